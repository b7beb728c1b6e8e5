// SPDX-License-Identifier: MIT
/*
 * A vCPU's registers in the layout of QEMU's "info registers", which
 * people and scripts already know how to read.  The segment "flags"
 * column is the high word of the descriptor (type at bit 8, S, DPL, P,
 * AVL, L, D/B, G), as QEMU keeps it.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "kvmlite/cpustate.h"

#define CR0_PE		(1ULL << 0)
#define EFER_LMA	(1ULL << 10)
#define SEG_TYPE_CODE	0x8
#define SEG_TYPE_CE	0x4	/* conforming code, or expand-down data */
#define SEG_TYPE_RW	0x2	/* readable code, or writable data */
#define SEG_TYPE_A	0x1

int cpu_state_read(int fd, struct cpu_state *st)
{
	if (ioctl(fd, KVM_GET_REGS, &st->regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &st->sregs) < 0 ||
	    ioctl(fd, KVM_GET_FPU, &st->fpu) < 0 ||
	    ioctl(fd, KVM_GET_DEBUGREGS, &st->debug) < 0 ||
	    ioctl(fd, KVM_GET_VCPU_EVENTS, &st->events) < 0 ||
	    ioctl(fd, KVM_GET_MP_STATE, &st->mp_state) < 0)
		return -1;
	return 0;
}

static bool long_mode(const struct cpu_state *st)
{
	return st->sregs.efer & EFER_LMA;
}

/* A segment is shown present only if KVM says it is also usable. */
static unsigned int seg_flags(const struct kvm_segment *s)
{
	return s->type << 8 | s->s << 12 | s->dpl << 13 |
	       (s->present && !s->unusable) << 15 | s->avl << 20 |
	       s->l << 21 | s->db << 22 | s->g << 23;
}

static void print_system_type(FILE *out, unsigned int type, bool lma)
{
	static const char *const legacy[16] = {
		"Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16",
		"TaskGate", "IntGate16", "TrapGate16", "Reserved", "TSS32-avl",
		"Reserved", "TSS32-busy", "CallGate32", "Reserved", "IntGate32",
		"TrapGate32",
	};
	static const char *const ia32e[16] = {
		"<hiword>", "Reserved", "LDT", "Reserved", "Reserved",
		"Reserved", "Reserved", "Reserved", "Reserved", "TSS64-avl",
		"Reserved", "TSS64-busy", "CallGate64", "Reserved",
		"IntGate64", "TrapGate64",
	};

	fputs((lma ? ia32e : legacy)[type & 0xf], out);
}

/* " DPL=0 CS64 [-RA]": what the descriptor is, in protected mode only. */
static void print_descriptor(FILE *out, const struct kvm_segment *s,
			     bool lma)
{
	fprintf(out, " DPL=%u ", s->dpl);
	if (!s->s) {
		print_system_type(out, s->type, lma);
		return;
	}
	if (s->type & SEG_TYPE_CODE)
		fprintf(out, "%s [%c%c",
			s->l ? "CS64" : s->db ? "CS32" : "CS16",
			s->type & SEG_TYPE_CE ? 'C' : '-',
			s->type & SEG_TYPE_RW ? 'R' : '-');
	else
		fprintf(out, "%s [%c%c", s->db || lma ? "DS  " : "DS16",
			s->type & SEG_TYPE_CE ? 'E' : '-',
			s->type & SEG_TYPE_RW ? 'W' : '-');
	fprintf(out, "%c]", s->type & SEG_TYPE_A ? 'A' : '-');
}

static void print_segment(FILE *out, const char *name,
			  const struct kvm_segment *s,
			  const struct cpu_state *st)
{
	unsigned int flags = seg_flags(s);

	if (long_mode(st) && st->sregs.cs.l)
		fprintf(out, "%-3s=%04x %016llx %08x %08x", name, s->selector,
			(unsigned long long)s->base, s->limit,
			flags & 0x00ffff00);
	else
		fprintf(out, "%-3s=%04x %08x %08x %08x", name, s->selector,
			(unsigned int)s->base, s->limit, flags & 0x00ffff00);
	if ((st->sregs.cr0 & CR0_PE) && (flags & (1 << 15)))
		print_descriptor(out, s, long_mode(st));
	fputc('\n', out);
}

/* RFLAGS as QEMU shows it: [D O S Z A P C]. */
static void print_flags_line(FILE *out, const struct cpu_state *st)
{
	static const struct {
		unsigned int bit;
		char name;
	} shown[] = {
		{ 10, 'D' }, { 11, 'O' }, { 7, 'S' }, { 6, 'Z' }, { 4, 'A' },
		{ 2, 'P' }, { 0, 'C' },
	};
	unsigned long long rflags = st->regs.rflags;
	size_t i;

	if (long_mode(st))
		fprintf(out, "RIP=%016llx RFL=%08llx [", st->regs.rip, rflags);
	else
		fprintf(out, "EIP=%08x EFL=%08x [", (unsigned int)st->regs.rip,
			(unsigned int)rflags);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		fputc(rflags & (1ULL << shown[i].bit) ? shown[i].name : '-',
		      out);
	fprintf(out, "] CPL=%u II=%u A20=1 SMM=%u HLT=%u\n",
		st->sregs.ss.dpl, st->events.interrupt.shadow ? 1 : 0,
		st->events.smi.smm ? 1 : 0,
		st->mp_state.mp_state == KVM_MP_STATE_HALTED);
}

static void print_gprs(FILE *out, const struct cpu_state *st)
{
	const struct kvm_regs *r = &st->regs;

	if (long_mode(st))
		fprintf(out,
			"RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
			"RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
			"R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
			"R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n",
			r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp,
			r->rsp, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13,
			r->r14, r->r15);
	else
		fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n"
			"ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n",
			(unsigned int)r->rax, (unsigned int)r->rbx,
			(unsigned int)r->rcx, (unsigned int)r->rdx,
			(unsigned int)r->rsi, (unsigned int)r->rdi,
			(unsigned int)r->rbp, (unsigned int)r->rsp);
}

static void print_control(FILE *out, const struct cpu_state *st)
{
	const struct kvm_sregs *s = &st->sregs;
	int i;

	if (long_mode(st))
		fprintf(out, "GDT=     %016llx %08x\nIDT=     %016llx %08x\n"
			"CR0=%08x CR2=%016llx CR3=%016llx CR4=%08x\n",
			s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit,
			(unsigned int)s->cr0, s->cr2, s->cr3,
			(unsigned int)s->cr4);
	else
		fprintf(out, "GDT=     %08x %08x\nIDT=     %08x %08x\n"
			"CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
			(unsigned int)s->gdt.base, s->gdt.limit,
			(unsigned int)s->idt.base, s->idt.limit,
			(unsigned int)s->cr0, (unsigned int)s->cr2,
			(unsigned int)s->cr3, (unsigned int)s->cr4);
	for (i = 0; i < 4; i++)
		fprintf(out, "DR%d=%016llx ", i, st->debug.db[i]);
	fprintf(out, "\nDR6=%016llx DR7=%016llx\nEFER=%016llx\n",
		st->debug.dr6, st->debug.dr7, s->efer);
}

static void print_fpu(FILE *out, const struct cpu_state *st)
{
	const struct kvm_fpu *f = &st->fpu;
	unsigned long long lo, hi;
	int i, nr_xmm = long_mode(st) ? 16 : 8;

	fprintf(out, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n",
		f->fcw, f->fsw, (f->fsw >> 11) & 7, f->ftwx, f->mxcsr);
	for (i = 0; i < 8; i++) {
		memcpy(&lo, f->fpr[i], 8);
		fprintf(out, "FPR%d=%016llx %04x%c", i, lo,
			f->fpr[i][8] | f->fpr[i][9] << 8, i & 1 ? '\n' : ' ');
	}
	for (i = 0; i < nr_xmm; i++) {
		memcpy(&lo, f->xmm[i], 8);
		memcpy(&hi, f->xmm[i] + 8, 8);
		fprintf(out, "XMM%02d=%016llx %016llx%c", i, hi, lo,
			i & 1 ? '\n' : ' ');
	}
}

void cpu_state_print(FILE *out, const struct cpu_state *st, bool fpu)
{
	const struct kvm_sregs *s = &st->sregs;

	print_gprs(out, st);
	print_flags_line(out, st);
	print_segment(out, "ES", &s->es, st);
	print_segment(out, "CS", &s->cs, st);
	print_segment(out, "SS", &s->ss, st);
	print_segment(out, "DS", &s->ds, st);
	print_segment(out, "FS", &s->fs, st);
	print_segment(out, "GS", &s->gs, st);
	print_segment(out, "LDT", &s->ldt, st);
	print_segment(out, "TR", &s->tr, st);
	print_control(out, st);
	if (fpu)
		print_fpu(out, st);
}
