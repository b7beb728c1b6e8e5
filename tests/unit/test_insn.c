// SPDX-License-Identifier: MIT
#include <string.h>

#include "check.h"
#include "kvmlite/insn.h"

static struct kvm_regs regs;
static struct kvm_sregs long_mode, protected_mode;
static struct insn_mem op;

static int decode(const struct kvm_sregs *sregs, const uint8_t *code,
		  size_t len)
{
	memset(&op, 0, sizeof(op));
	return insn_decode_0f_mem(code, len, &regs, sregs, &op);
}

static void setup(void)
{
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x100000;
	regs.rax = 0x1000;
	regs.rbx = 0x2000;
	regs.rbp = 0x3000;
	regs.rsp = 0x4000;
	regs.r9 = 0x900000;
	regs.r13 = 0xd00000;
	memset(&long_mode, 0, sizeof(long_mode));
	long_mode.cs.l = 1;
	long_mode.fs.base = 0xf0000000;
	long_mode.ds.base = 0x11110000;	/* ignored in 64-bit mode */
	protected_mode = long_mode;
	protected_mode.cs.l = 0;
	protected_mode.cs.db = 1;
	protected_mode.ds.base = 0x10000;
	protected_mode.ss.base = 0x20000;
}

TEST(rip_relative_counts_from_the_next_instruction)
{
	static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x15, 0x10, 0, 0, 0 };

	setup();
	CHECK_EQ(decode(&long_mode, ldmxcsr, sizeof(ldmxcsr)), 0);
	CHECK_EQ(op.opcode, 0xae);
	CHECK_EQ(op.reg, 2);
	CHECK_EQ(op.len, 7);
	CHECK_EQ(op.linear, 0x100000 + 7 + 0x10);
}

TEST(sib_scales_the_index_and_adds_disp8)
{
	/* stmxcsr -4(%rbx,%rax,8) */
	static const uint8_t code[] = { 0x0f, 0xae, 0x5c, 0xc3, 0xfc };

	setup();
	CHECK_EQ(decode(&long_mode, code, sizeof(code)), 0);
	CHECK_EQ(op.reg, 3);
	CHECK_EQ(op.len, 5);
	CHECK_EQ(op.linear, 0x2000 + 0x1000 * 8 - 4);
}

TEST(rex_extends_base_and_index)
{
	/* ldmxcsr 0x190(%r9), then ldmxcsr (%r13,%r9) */
	static const uint8_t base[] = { 0x41, 0x0f, 0xae, 0x91,
					0x90, 0x01, 0, 0 };
	static const uint8_t both[] = { 0x43, 0x0f, 0xae, 0x54, 0x0d, 0x00 };

	setup();
	CHECK_EQ(decode(&long_mode, base, sizeof(base)), 0);
	CHECK_EQ(op.len, 8);
	CHECK_EQ(op.linear, 0x900000 + 0x190);
	CHECK_EQ(decode(&long_mode, both, sizeof(both)), 0);
	CHECK_EQ(op.linear, 0xd00000 + 0x900000);
}

TEST(fs_override_adds_its_base_and_addr32_truncates)
{
	/* fs: addr32 ldmxcsr (%eax) with RAX above 4 GiB */
	static const uint8_t code[] = { 0x64, 0x67, 0x0f, 0xae, 0x10 };

	setup();
	regs.rax = 0x100001000ULL;
	CHECK_EQ(decode(&long_mode, code, sizeof(code)), 0);
	CHECK_EQ(op.len, 5);
	CHECK_EQ(op.linear, 0xf0000000ULL + 0x1000);
}

TEST(protected_mode_uses_ds_or_ss)
{
	static const uint8_t via_ebx[] = { 0x0f, 0xae, 0x13 };
	static const uint8_t via_ebp[] = { 0x0f, 0xae, 0x55, 0x08 };
	static const uint8_t absolute[] = { 0x0f, 0xae, 0x15, 0, 0x50, 0, 0 };
	static const uint8_t sib_no_base[] = { 0x0f, 0xae, 0x14, 0x85,
					       0, 0x10, 0, 0 };

	setup();
	CHECK_EQ(decode(&protected_mode, via_ebx, sizeof(via_ebx)), 0);
	CHECK_EQ(op.linear, 0x10000 + 0x2000);
	CHECK_EQ(decode(&protected_mode, via_ebp, sizeof(via_ebp)), 0);
	CHECK_EQ(op.linear, 0x20000 + 0x3008);
	CHECK_EQ(decode(&protected_mode, absolute, sizeof(absolute)), 0);
	CHECK_EQ(op.linear, 0x10000 + 0x5000);
	CHECK_EQ(decode(&protected_mode, sib_no_base, sizeof(sib_no_base)), 0);
	CHECK_EQ(op.len, 8);
	CHECK_EQ(op.linear, 0x10000 + 0x1000 * 4 + 0x1000);
}

TEST(what_it_does_not_decode_is_refused)
{
	static const uint8_t reg_operand[] = { 0x0f, 0xae, 0xd0 };
	static const uint8_t one_byte_opcode[] = { 0x8b, 0x03 };
	static const uint8_t truncated[] = { 0x0f, 0xae, 0x15, 0x10 };
	static const uint8_t addr16[] = { 0x67, 0x0f, 0xae, 0x17 };
	struct kvm_sregs real_mode;

	setup();
	CHECK_EQ(decode(&long_mode, reg_operand, sizeof(reg_operand)), -1);
	CHECK_EQ(decode(&long_mode, one_byte_opcode,
			sizeof(one_byte_opcode)), -1);
	CHECK_EQ(decode(&long_mode, truncated, sizeof(truncated)), -1);
	CHECK_EQ(decode(&protected_mode, addr16, sizeof(addr16)), -1);
	real_mode = protected_mode;
	real_mode.cs.db = 0;
	CHECK_EQ(decode(&real_mode, reg_operand + 0, 0), -1);
}

int main(void)
{
	RUN(rip_relative_counts_from_the_next_instruction);
	RUN(sib_scales_the_index_and_adds_disp8);
	RUN(rex_extends_base_and_index);
	RUN(fs_override_adds_its_base_and_addr32_truncates);
	RUN(protected_mode_uses_ds_or_ss);
	RUN(what_it_does_not_decode_is_refused);
	return check_summary();
}
