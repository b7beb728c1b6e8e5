/* SPDX-License-Identifier: MIT */
/*
 * Just enough x86 instruction decoding to complete, from userspace, the
 * few instructions with a memory operand that a software KVM's emulator
 * refuses (see src/core/emulation.c).
 */
#ifndef KVMLITE_INSN_H
#define KVMLITE_INSN_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* A two-byte opcode (0F xx) whose ModRM names memory. */
struct insn_mem {
	uint8_t opcode;		/* the byte after 0F */
	uint8_t reg;		/* ModRM.reg: the opcode extension */
	unsigned int len;	/* bytes, prefixes to displacement */
	uint64_t linear;	/* the operand's linear address */
};

/*
 * Decodes @code (@len bytes fetched at CS:RIP) in the mode @sregs
 * describes.  Returns 0, or -1 for anything else: another opcode map, a
 * register operand, 16-bit addressing, or bytes that run out.
 */
int insn_decode_0f_mem(const uint8_t *code, size_t len,
		       const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, struct insn_mem *out);

#endif
