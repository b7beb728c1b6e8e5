/* SPDX-License-Identifier: MIT */
/*
 * The real-mode part of the bzImage guests: a boot sector and
 * LINUX_SETUP_SECTS setup sectors with the setup header at 0x1f1, as
 * Documentation/arch/x86/boot.rst lays it out.  A 64-bit loader reads the
 * header and runs none of this; the sizes come from guests/bzimage.ld.
 */
#include "bootproto.h"

	.section .bzsetup, "a"
	.code16
bzsetup:
	/* No real-mode setup code: stop if a BIOS or loader runs it. */
	cli
1:	hlt
	jmp 1b

	.org 0x1f1
	.byte LINUX_SETUP_SECTS		/* setup_sects */
	.word 0				/* root_flags */
	.long bz_syssize		/* syssize: 16-byte units */
	.word 0				/* ram_size */
	.word 0xffff			/* vid_mode: normal */
	.word 0				/* root_dev */
	.word 0xaa55			/* boot_flag */
	.byte 0xeb, hdr_end - bzsetup - 0x202	/* jump past the header */
	.ascii "HdrS"			/* header */
	.word LINUX_BOOT_VERSION	/* version */
	.long 0				/* realmode_swtch */
	.word 0x1000			/* start_sys_seg */
	.word 0				/* kernel_version */
	.byte 0				/* type_of_loader */
	.byte LINUX_LOADED_HIGH		/* loadflags */
	.word 0				/* setup_move_size */
	.long 0x100000			/* code32_start */
	.long 0				/* ramdisk_image */
	.long 0				/* ramdisk_size */
	.long 0				/* bootsect_kludge */
	.word 0				/* heap_end_ptr */
	.byte 0				/* ext_loader_ver */
	.byte 0				/* ext_loader_type */
	.long 0				/* cmd_line_ptr */
	.long LINUX_INITRD_ADDR_MAX	/* initrd_addr_max */
	.long LINUX_KERNEL_ALIGNMENT	/* kernel_alignment */
	.byte 1				/* relocatable_kernel */
	.byte 21			/* min_alignment: 2 MiB */
	.word LINUX_XLF_KERNEL_64	/* xloadflags */
	.long LINUX_CMDLINE_SIZE	/* cmdline_size */
	.long 0				/* hardware_subarch */
	.quad 0				/* hardware_subarch_data */
	.long 0				/* payload_offset */
	.long 0				/* payload_length */
	.quad 0				/* setup_data */
	.quad _image_start		/* pref_address: the link address */
	.long bz_init_size		/* init_size */
	.long 0				/* handover_offset */
	.long 0				/* kernel_info_offset */
hdr_end:
	.org (LINUX_SETUP_SECTS + 1) * 512

	.section .note.GNU-stack, "", @progbits
