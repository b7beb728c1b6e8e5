// SPDX-License-Identifier: MIT
/*
 * ModRM/SIB effective addresses (Intel SDM vol. 2, 2.1 and 2.2.1) for
 * 32- and 64-bit code.  Only what a refused 0F-map instruction with a
 * memory operand needs: legacy prefixes, REX, ModRM, SIB, displacement.
 */
#include <stdbool.h>

#include "kvmlite/insn.h"

#define PREFIX_ADDR_SIZE	0x67
#define PREFIX_FS		0x64
#define PREFIX_GS		0x65
#define OPCODE_ESCAPE		0x0f
#define REX_B			0x1
#define REX_X			0x2
#define MODRM_RM_SIB		4
#define MODRM_RM_DISP32		5	/* with mod 0: no base register */
#define SIB_NO_INDEX		4
#define REG_RSP			4
#define REG_RBP			5

struct decoder {
	const uint8_t *code;
	size_t len, pos;
	bool long_mode, addr_override;
	uint8_t rex, segment;
};

static bool next_byte(struct decoder *d, uint8_t *byte)
{
	if (d->pos >= d->len)
		return false;
	*byte = d->code[d->pos++];
	return true;
}

static bool next_disp(struct decoder *d, unsigned int size, int64_t *disp)
{
	uint32_t v = 0;
	unsigned int i;
	uint8_t b;

	for (i = 0; i < size; i++) {
		if (!next_byte(d, &b))
			return false;
		v |= (uint32_t)b << (8 * i);
	}
	*disp = size == 1 ? (int8_t)v : (int32_t)v;
	return true;
}

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case PREFIX_FS:
	case PREFIX_GS: case 0x66: case PREFIX_ADDR_SIZE: case 0xf0:
	case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Legacy prefixes, then REX (64-bit mode only, and only last). */
static bool read_prefixes(struct decoder *d, uint8_t *first_opcode)
{
	uint8_t b;

	for (;;) {
		if (!next_byte(d, &b))
			return false;
		if (!is_legacy_prefix(b))
			break;
		if (b == PREFIX_ADDR_SIZE)
			d->addr_override = true;
		else if (b == PREFIX_FS || b == PREFIX_GS)
			d->segment = b;
	}
	if (d->long_mode && (b & 0xf0) == 0x40) {
		d->rex = b;
		if (!next_byte(d, &b))
			return false;
	}
	*first_opcode = b;
	return true;
}

/* Register number (0 = rAX ... 15 = r15) to its kvm_regs field. */
static uint64_t gpr(const struct kvm_regs *r, unsigned int n)
{
	const uint64_t v[16] = {
		r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
	};

	return v[n & 15];
}

/*
 * In 64-bit mode only FS and GS have bases; in 32-bit mode the default
 * segment is SS for an rSP or rBP base, DS otherwise.
 */
static uint64_t segment_base(const struct decoder *d,
			     const struct kvm_sregs *s, bool stack_based)
{
	if (d->segment == PREFIX_FS)
		return s->fs.base;
	if (d->segment == PREFIX_GS)
		return s->gs.base;
	if (d->long_mode)
		return 0;
	return stack_based ? s->ss.base : s->ds.base;
}

/* The SIB byte's base + index * scale; *stack_based if the base is rSP/rBP. */
static bool sib_address(struct decoder *d, const struct kvm_regs *regs,
			uint8_t mod, uint64_t *ea, bool *stack_based)
{
	uint8_t sib, base, index;
	int64_t disp;

	if (!next_byte(d, &sib))
		return false;
	base = sib & 7;
	index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
	*ea = 0;
	if (index != SIB_NO_INDEX)
		*ea = gpr(regs, index) << (sib >> 6);
	if (base == REG_RBP && mod == 0) {
		if (!next_disp(d, 4, &disp))
			return false;
		*ea += disp;
		return true;
	}
	base |= d->rex & REX_B ? 8 : 0;
	*stack_based = (base & 7) == REG_RSP || (base & 7) == REG_RBP;
	*ea += gpr(regs, base);
	return true;
}

/* Everything after ModRM; RIP-relative needs the length, so it is last. */
static bool modrm_address(struct decoder *d, const struct kvm_regs *regs,
			  const struct kvm_sregs *sregs, uint8_t modrm,
			  uint64_t *linear)
{
	uint8_t mod = modrm >> 6, rm = modrm & 7;
	bool stack_based = false, rip_relative = false;
	uint64_t ea = 0;
	int64_t disp = 0;

	if (rm == MODRM_RM_SIB) {
		if (!sib_address(d, regs, mod, &ea, &stack_based))
			return false;
	} else if (rm == MODRM_RM_DISP32 && mod == 0) {
		rip_relative = d->long_mode;
		if (!next_disp(d, 4, &disp))
			return false;
	} else {
		rm |= d->rex & REX_B ? 8 : 0;
		stack_based = (rm & 7) == REG_RBP;
		ea = gpr(regs, rm);
	}
	if (mod == 1 && !next_disp(d, 1, &disp))
		return false;
	if (mod == 2 && !next_disp(d, 4, &disp))
		return false;
	ea += disp;
	if (rip_relative)
		ea += regs->rip + d->pos;
	if (!d->long_mode || d->addr_override)
		ea = (uint32_t)ea;
	*linear = segment_base(d, sregs, stack_based) + ea;
	if (!d->long_mode)
		*linear = (uint32_t)*linear;
	return true;
}

int insn_decode_0f_mem(const uint8_t *code, size_t len,
		       const struct kvm_regs *regs,
		       const struct kvm_sregs *sregs, struct insn_mem *out)
{
	struct decoder d = { .code = code, .len = len, .long_mode = sregs->cs.l };
	uint8_t b, modrm;

	/* 16-bit code and 16-bit addressing have other ModRM tables. */
	if (!d.long_mode && !sregs->cs.db)
		return -1;
	if (!read_prefixes(&d, &b) || b != OPCODE_ESCAPE)
		return -1;
	if (!d.long_mode && d.addr_override)
		return -1;
	if (!next_byte(&d, &out->opcode) || !next_byte(&d, &modrm))
		return -1;
	if (modrm >> 6 == 3)
		return -1;
	if (!modrm_address(&d, regs, sregs, modrm, &out->linear))
		return -1;
	out->reg = (modrm >> 3) & 7;
	out->len = d.pos;
	return 0;
}
