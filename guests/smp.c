// SPDX-License-Identifier: MIT
/*
 * Multiprocessor start-up as an OS does it, checked against the topology
 * the command line describes:
 *
 *	cpus=N sockets=S [dies=D] cores=C threads=T [mode=up|reboot]
 *
 * The BSP reads the MP table, starts every AP in it with INIT-SIPI-SIPI
 * and waits until each has counted itself in a shared counter (a locked
 * instruction) and recorded its APIC IDs and CPUID topology.  Then it
 * checks the table's APIC IDs against QEMU's packing of that topology,
 * each CPU's IDs and topology leaves, and sends an IPI to every AP, which
 * answers with one of its own.  mode=up stops once all APs are up (the
 * start-up benchmark).  mode=reboot first starts the APs and resets the
 * machine while they run, marking the reboot in CMOS RAM, which a reset
 * keeps: the checks then run on the second boot, after the VMM put the
 * APs back to waiting for INIT and SIPI.
 */
#include "guest.h"
#include "clock.h"
#include "cpu.h"
#include "irq.h"
#include "mptable.h"
#include "smp.h"

#define STR(x)			#x
#define XSTR(x)			STR(x)

#define IPI_VECTOR		IRQ_FREE_VECTOR_BASE
#define LAPIC_ID_ADDR		0xfee00020
#define LAPIC_EOI_ADDR		0xfee000b0
#define AP_WAIT_US		20000000	/* start-up is emulated here */
#define IPI_WAIT_US		5000000
#define CMOS_REBOOT_MARK	0x50	/* free CMOS RAM */
#define REBOOT_MAGIC		0xa5
#define I8042_COMMAND_PORT	0x64
#define I8042_CMD_RESET		0xfe

#define LEVEL_SMT		1
#define LEVEL_CORE		2
#define LEVEL_DIE		5

struct topology {
	unsigned long cpus, sockets, dies, cores, threads;
};

/* What one CPU sees of itself */
struct cpu_report {
	unsigned int lapic_id;
	unsigned int initial_id;	/* CPUID.1:EBX[31:24] */
	unsigned int logical;		/* CPUID.1:EBX[23:16] */
	bool htt;
	bool has_leaf_b, has_leaf_1f;
	struct cpuid_regs leaf_b[2];	/* SMT and core levels */
	struct cpuid_regs leaf_1f[3];	/* SMT, core and die levels */
};

static struct topology want;
static struct cpu_report reports[MP_MAX_CPUS];	/* BSP first, then APs */
static unsigned int bsp_id;
static uint32_t aps_up;
volatile uint32_t ipi_count[MP_MAX_CPUS];

extern char ipi_entry[];

/* Counts the IPI for the receiving CPU. */
asm(".pushsection .text\n"
    "ipi_entry:\n"
    "	pushq %rax\n"
    "	movabsl " XSTR(LAPIC_ID_ADDR) ", %eax\n"
    "	shrl $24, %eax\n"
    "	lock incl ipi_count(,%rax,4)\n"
    "	xorl %eax, %eax\n"
    "	movabsl %eax, " XSTR(LAPIC_EOI_ADDR) "\n"
    "	popq %rax\n"
    "	iretq\n"
    ".popsection\n");

static unsigned int bits_for(unsigned long count)
{
	unsigned int bits = 0;

	while ((1UL << bits) < count)
		bits++;
	return bits;
}

/* The APIC ID QEMU gives vCPU @index: each field a power of two wide. */
static unsigned int packed_apic_id(unsigned int index)
{
	unsigned int tb = bits_for(want.threads), cb = bits_for(want.cores);
	unsigned int db = bits_for(want.dies);
	unsigned int thread = index % want.threads;
	unsigned int core = index / want.threads % want.cores;
	unsigned int die = index / (want.threads * want.cores) % want.dies;
	unsigned int socket = index / (want.threads * want.cores * want.dies);

	return socket << (tb + cb + db) | die << (tb + cb) | core << tb |
	       thread;
}

static void describe_cpu(struct cpu_report *r)
{
	struct cpuid_regs leaf1 = cpuid(1);
	uint32_t max_leaf = cpuid(0).eax;
	unsigned int i;

	r->lapic_id = lapic_id();
	r->initial_id = leaf1.ebx >> 24;
	r->logical = leaf1.ebx >> 16 & 0xff;
	r->htt = leaf1.edx >> 28 & 1;
	r->has_leaf_b = max_leaf >= 0xb && cpuid_count(0xb, 0).ebx;
	r->has_leaf_1f = max_leaf >= 0x1f && cpuid_count(0x1f, 0).ebx;
	for (i = 0; i < 2; i++)
		r->leaf_b[i] = cpuid_count(0xb, i);
	for (i = 0; i < 3; i++)
		r->leaf_1f[i] = cpuid_count(0x1f, i);
}

static void __attribute__((noreturn)) ap_main(unsigned int slot)
{
	struct cpu_report *r = &reports[slot + 1];

	describe_cpu(r);
	lapic_enable(IRQ_SPURIOUS_VECTOR);
	__atomic_add_fetch(&aps_up, 1, __ATOMIC_SEQ_CST);

	/* sti's one-instruction shadow keeps a wake-up from slipping by. */
	while (!ipi_count[r->lapic_id])
		asm volatile("sti; hlt; cli" : : : "memory");
	lapic_send_ipi(bsp_id, ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
	for (;;)
		asm volatile("hlt");
}

static bool fail(const char *what, unsigned int a, unsigned int b)
{
	printf("smp: FAIL %s (%u, expected %u)\n", what, a, b);
	return false;
}

static bool parse_topology(const char *cmdline)
{
	static const char *const keys[] = {
		"cpus", "sockets", "dies", "cores", "threads",
	};
	unsigned long *vals[] = {
		&want.cpus, &want.sockets, &want.dies, &want.cores,
		&want.threads,
	};
	unsigned int i;

	want.dies = 1;
	for (i = 0; i < 5; i++) {
		const char *v = cmdline_get(cmdline, keys[i]);

		if (v && !cmdline_parse_ulong(v, vals[i]))
			return false;
		if (!*vals[i])
			return false;
	}
	return want.cpus <= MP_MAX_CPUS &&
	       want.cpus <= want.sockets * want.dies * want.cores *
			    want.threads;
}

/* The table lists the CPUs in index order, with QEMU's APIC IDs. */
static bool check_mp_table(const struct mp_info *mp)
{
	unsigned int i;

	if (mp->nr_cpus != want.cpus)
		return fail("MP table processor entries", mp->nr_cpus,
			    want.cpus);
	if (mp->bsp != 0)
		return fail("MP table BSP entry", mp->bsp, 0);
	for (i = 0; i < mp->nr_cpus; i++)
		if (mp->apic_id[i] != packed_apic_id(i))
			return fail("MP table APIC ID", mp->apic_id[i],
				    packed_apic_id(i));
	if (mp->apic_id[0] != lapic_id())
		return fail("BSP APIC ID", lapic_id(), mp->apic_id[0]);
	printf("smp: MP table ok: %u CPUs, %u buses, %u I/O APIC, %u IRQs\n",
	       mp->nr_cpus, mp->nr_buses, mp->nr_ioapics, mp->nr_irqs);
	return true;
}

/* Every CPU of the table reported exactly once, its IDs agreeing. */
static bool check_apic_ids(const struct mp_info *mp)
{
	bool seen[MP_MAX_CPUS] = { false };
	unsigned int i;

	for (i = 0; i < mp->nr_cpus; i++)
		seen[mp->apic_id[i]] = true;
	for (i = 0; i < want.cpus; i++) {
		const struct cpu_report *r = &reports[i];

		if (!seen[r->lapic_id])
			return fail("APIC ID not in the MP table, or twice",
				    r->lapic_id, 0);
		seen[r->lapic_id] = false;
		if (r->initial_id != r->lapic_id)
			return fail("CPUID.1 initial APIC ID", r->initial_id,
				    r->lapic_id);
		if (r->has_leaf_b && r->leaf_b[0].edx != r->lapic_id)
			return fail("CPUID.0BH x2APIC ID", r->leaf_b[0].edx,
				    r->lapic_id);
	}
	printf("smp: APIC IDs ok\n");
	return true;
}

static bool check_level(const struct cpuid_regs *l, unsigned int type,
			unsigned int shift, unsigned int count)
{
	if ((l->ecx >> 8 & 0xff) != type)
		return fail("CPUID level type", l->ecx >> 8 & 0xff, type);
	if ((l->eax & 0x1f) != shift)
		return fail("CPUID level shift", l->eax & 0x1f, shift);
	if ((l->ebx & 0xffff) != count)
		return fail("CPUID level count", l->ebx & 0xffff, count);
	return true;
}

/* One CPU's topology leaves against the expectation. */
static bool check_cpu_topology(const struct cpu_report *r)
{
	unsigned int tb = bits_for(want.threads), cb = bits_for(want.cores);
	unsigned int db = bits_for(want.dies);
	unsigned int per_pkg = want.threads * want.cores * want.dies;

	/* Without HTT the count field is invalid and there is one. */
	if (!r->htt && per_pkg > 1)
		return fail("CPUID.1 HTT", r->htt, 1);
	if (r->htt && r->logical != per_pkg)
		return fail("CPUID.1 logical processors", r->logical, per_pkg);
	if (!r->has_leaf_b)
		return fail("CPUID leaf 0BH present", 0, 1);
	if (!check_level(&r->leaf_b[0], LEVEL_SMT, tb, want.threads) ||
	    !check_level(&r->leaf_b[1], LEVEL_CORE, tb + cb + db, per_pkg))
		return false;
	if (want.dies == 1)
		return true;
	if (!r->has_leaf_1f)
		return fail("CPUID leaf 1FH present", 0, 1);
	return check_level(&r->leaf_1f[0], LEVEL_SMT, tb, want.threads) &&
	       check_level(&r->leaf_1f[1], LEVEL_CORE, tb + cb,
			   want.threads * want.cores) &&
	       check_level(&r->leaf_1f[2], LEVEL_DIE, tb + cb + db, per_pkg);
}

/* What a guest computes from CPUID alone must be what was asked for. */
static bool check_topology(void)
{
	unsigned int pkg_shift = reports[0].leaf_b[1].eax & 0x1f;
	bool pkg_seen[MP_MAX_CPUS] = { false };
	unsigned int i, sockets = 0;

	for (i = 0; i < want.cpus; i++) {
		unsigned int pkg = reports[i].lapic_id >> pkg_shift;

		if (!check_cpu_topology(&reports[i]))
			return fail("on the CPU with APIC ID",
				    reports[i].lapic_id, reports[i].lapic_id);
		sockets += !pkg_seen[pkg];
		pkg_seen[pkg] = true;
	}
	/* Only full sockets are sure to be seen: cpus may be short of them. */
	if (want.cpus == want.sockets * want.dies * want.cores * want.threads &&
	    sockets != want.sockets)
		return fail("sockets", sockets, want.sockets);
	printf("smp: topology ok: sockets=%lu dies=%lu cores=%lu threads=%lu\n",
	       want.sockets, want.dies, want.cores, want.threads);
	return true;
}

static bool wait_until(volatile uint32_t *counter, uint32_t count,
		       uint64_t us)
{
	uint64_t start = rdtsc(), cycles = tsc_cycles_us(us);

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < count &&
	       rdtsc() - start < cycles)
		cpu_relax();
	return *counter >= count;
}

/*
 * BSP to each AP, and its answer back, one AP at a time: a local APIC
 * merges interrupts of one vector that arrive while it is pending, so
 * concurrent answers could not be counted.
 */
static bool check_ipis(const struct mp_info *mp)
{
	unsigned int i;
	bool ok = true;

	irq_enable();
	for (i = 1; ok && i < mp->nr_cpus; i++) {
		lapic_send_ipi(mp->apic_id[i],
			       ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
		ok = wait_until(&ipi_count[bsp_id], i, IPI_WAIT_US);
	}
	irq_disable();
	if (!ok)
		return fail("IPI answers from the APs", ipi_count[bsp_id],
			    mp->nr_cpus - 1);
	for (i = 1; i < mp->nr_cpus; i++)
		if (ipi_count[mp->apic_id[i]] != 1)
			return fail("IPIs received by the AP",
				    ipi_count[mp->apic_id[i]], 1);
	printf("smp: IPIs ok both ways\n");
	return true;
}

/* Starts the APs listed after the BSP in the MP table; false on timeout. */
static bool start_aps(const struct mp_info *mp)
{
	unsigned int ap_ids[MP_MAX_CPUS], i;
	uint64_t start = rdtsc();

	for (i = 1; i < mp->nr_cpus; i++)
		ap_ids[i - 1] = mp->apic_id[i];
	smp_start_aps(ap_ids, mp->nr_cpus - 1, ap_main);
	if (!wait_until(&aps_up, mp->nr_cpus - 1, AP_WAIT_US))
		return fail("APs up", aps_up, mp->nr_cpus - 1);
	printf("smp: %u APs up in %lu us\n", mp->nr_cpus - 1,
	       tsc_to_us(rdtsc() - start));
	return true;
}

/* mode=reboot: true on the second boot, after the mark is cleared. */
static bool rebooted(void)
{
	if (cmos_read(CMOS_REBOOT_MARK) != REBOOT_MAGIC)
		return false;
	cmos_write(CMOS_REBOOT_MARK, 0);
	printf("smp: second boot\n");
	return true;
}

static void reboot(void)
{
	cmos_write(CMOS_REBOOT_MARK, REBOOT_MAGIC);
	printf("smp: resetting with the APs running\n");
	outb(I8042_COMMAND_PORT, I8042_CMD_RESET);
}

int guest_main(const struct boot_info *bi)
{
	const char *mode = cmdline_get(bi->cmdline, "mode");
	bool reboot_first = cmdline_value_is(mode, "reboot") && !rebooted();
	struct mp_info mp;
	const char *err;

	if (!parse_topology(bi->cmdline)) {
		printf("usage: cpus=N sockets=S [dies=D] cores=C threads=T "
		       "[mode=up|reboot]\n");
		return GUEST_EXIT_BAD_ARGS;
	}
	err = mp_read(&mp);
	if (err) {
		printf("smp: FAIL MP table: %s\n", err);
		return 1;
	}
	if (!check_mp_table(&mp))
		return 1;

	irq_init();
	irq_set_gate(IPI_VECTOR, ipi_entry);
	describe_cpu(&reports[0]);
	bsp_id = reports[0].lapic_id;
	if (!start_aps(&mp))
		return 1;
	if (reboot_first)
		reboot();
	if (cmdline_value_is(mode, "up"))
		return 0;

	if (!check_apic_ids(&mp) || !check_topology() || !check_ipis(&mp))
		return 1;
	printf("smp: all checks passed\n");
	return 0;
}
