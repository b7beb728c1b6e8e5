# SPDX-License-Identifier: MIT
# Freestanding test guests, included by the top-level Makefile.
#
# Every guests/NAME.c becomes $(GUEST_DIR)/NAME: an ELF32 image loaded at
# 1 MiB that boots through Xen PVH or Multiboot v1.  The names listed in
# GUEST_ELF64 also become $(GUEST_DIR)/NAME64, an ELF64 image without either
# header, entered directly in long mode (see guests/boot/elf64.S).  Those in
# GUEST_MULTIBOOT_ONLY also become $(GUEST_DIR)/NAME-mb, an ELF32 image
# without the PVH note, which a loader can only boot through Multiboot.
# Those in GUEST_BZIMAGE are instead $(GUEST_DIR)/NAME, a Linux bzImage:
# setup sectors with a boot protocol header (guests/boot/bzsetup.S), then
# the protected-mode part linked at its pref_address (guests/bzimage.ld).

GUEST_DIR	:= $(BUILD)/guests
GUEST_OBJ	:= $(GUEST_DIR)/obj

GUEST_CC	?= gcc
GUEST_LD	?= ld
GUEST_OBJCOPY	?= objcopy

# min-pagesize=0: low addresses such as the BIOS data area at 0x400 are
# real memory to a guest, not null-pointer dereferences.
GUEST_CPPFLAGS	:= -nostdinc -Iguests/lib -MMD -MP \
		   -isystem $(shell $(GUEST_CC) -print-file-name=include)
GUEST_CFLAGS	:= -std=gnu11 -O2 -Wall -Wextra -Werror \
		   -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
		   -mgeneral-regs-only -fno-stack-protector -fcf-protection=none \
		   -fno-asynchronous-unwind-tables -fno-delete-null-pointer-checks \
		   --param=min-pagesize=0
GUEST_LDBASE	:= -nostdlib -static --build-id=none -z max-page-size=0x1000 \
		   -z noseparate-code -z noexecstack
GUEST_LDFLAGS	:= $(GUEST_LDBASE) -T guests/guest.ld
GUEST_LDSCRIPTS	:= guests/guest.ld guests/sections.ld

GUEST_BZIMAGE	:= linuxboot
GUEST_ALL	:= $(patsubst guests/%.c,%,$(sort $(wildcard guests/*.c)))
GUEST_NAMES	:= $(filter-out $(GUEST_BZIMAGE),$(GUEST_ALL))
GUEST_ELF64	:= hello
GUEST_MULTIBOOT_ONLY := hello

GUEST_LIB	:= $(patsubst guests/%.c,$(GUEST_OBJ)/%.o, \
			$(sort $(wildcard guests/lib/*.c)))
GUEST_MAINS	:= $(GUEST_ALL:%=$(GUEST_OBJ)/%.o)
GUEST_HEAD32	:= $(GUEST_OBJ)/boot/head32.o
GUEST_HEAD32_MB	:= $(GUEST_OBJ)/boot/head32-mb.o
GUEST_HEAD64	:= $(GUEST_OBJ)/boot/head64.o
GUEST_ENTRY64	:= $(GUEST_OBJ)/boot/elf64.o
GUEST_BZHEAD	:= $(GUEST_OBJ)/boot/bzsetup.o $(GUEST_OBJ)/boot/linux64.o
GUEST_ASM	:= $(GUEST_HEAD32) $(GUEST_HEAD64) $(GUEST_ENTRY64) \
		   $(GUEST_BZHEAD)

GUEST_IMAGES	:= $(GUEST_NAMES:%=$(GUEST_DIR)/%)
GUEST_IMAGES64	:= $(GUEST_ELF64:%=$(GUEST_DIR)/%64)
GUEST_IMAGES_MB	:= $(GUEST_MULTIBOOT_ONLY:%=$(GUEST_DIR)/%-mb)
GUEST_LINKED	:= $(GUEST_NAMES:%=$(GUEST_OBJ)/%.elf)
GUEST_LINKED_MB	:= $(GUEST_MULTIBOOT_ONLY:%=$(GUEST_OBJ)/%-mb.elf)
GUEST_IMAGES_BZ	:= $(GUEST_BZIMAGE:%=$(GUEST_DIR)/%)
GUEST_LINKED_BZ	:= $(GUEST_BZIMAGE:%=$(GUEST_OBJ)/%-bz.elf)

guests: $(GUEST_IMAGES) $(GUEST_IMAGES64) $(GUEST_IMAGES_MB) $(GUEST_IMAGES_BZ)

$(GUEST_LIB) $(GUEST_MAINS): $(GUEST_OBJ)/%.o: guests/%.c guests/guests.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_ASM): $(GUEST_OBJ)/%.o: guests/%.S guests/guests.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CPPFLAGS) -c -o $@ $<

# Linked as x86-64 code, then converted: Multiboot loaders want ELF32.
$(GUEST_LINKED): $(GUEST_OBJ)/%.elf: $(GUEST_HEAD32) $(GUEST_HEAD64) \
		$(GUEST_LIB) $(GUEST_OBJ)/%.o $(GUEST_LDSCRIPTS)
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# Dropping the note before the link leaves no PT_NOTE in the image at all.
$(GUEST_HEAD32_MB): $(GUEST_HEAD32)
	$(GUEST_OBJCOPY) --remove-section .note.Xen $< $@

$(GUEST_LINKED_MB): $(GUEST_OBJ)/%-mb.elf: $(GUEST_HEAD32_MB) $(GUEST_HEAD64) \
		$(GUEST_LIB) $(GUEST_OBJ)/%.o $(GUEST_LDSCRIPTS)
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

$(GUEST_IMAGES) $(GUEST_IMAGES_MB): $(GUEST_DIR)/%: $(GUEST_OBJ)/%.elf
	$(GUEST_OBJCOPY) -O elf32-i386 $< $@

$(GUEST_IMAGES64): $(GUEST_DIR)/%64: $(GUEST_ENTRY64) $(GUEST_HEAD64) \
		$(GUEST_LIB) $(GUEST_OBJ)/%.o $(GUEST_LDSCRIPTS)
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

$(GUEST_LINKED_BZ): $(GUEST_OBJ)/%-bz.elf: $(GUEST_BZHEAD) $(GUEST_HEAD64) \
		$(GUEST_LIB) $(GUEST_OBJ)/%.o guests/bzimage.ld guests/sections.ld
	$(GUEST_LD) $(GUEST_LDBASE) --no-warn-rwx-segments -T guests/bzimage.ld \
		-o $@ $(filter %.o,$^)

# The file ends where .bss begins, rounded up to syssize's 16-byte units.
$(GUEST_IMAGES_BZ): $(GUEST_DIR)/%: $(GUEST_OBJ)/%-bz.elf
	$(GUEST_OBJCOPY) -O binary $< $@
	truncate -s %16 $@

.PHONY: guests
