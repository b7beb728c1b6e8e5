// SPDX-License-Identifier: MIT
/*
 * -smp topology: APIC IDs packed as QEMU packs them, and the CPUID leaves
 * (1, 4, 0xb, 0x1f, AMD's 0x80000008 and 0x8000001e) that let a guest
 * find the same sockets, dies, cores and threads.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "cpuid_table.h"
#include "kvmlite/config.h"
#include "kvmlite/cpuid.h"
#include "kvmlite/topology.h"

#define MAX_ENTRIES	256
#define BIT(n)		(1U << (n))
#define HTT		BIT(28)
#define LEAF1_EBX	0xff3f0800	/* stale APIC ID and count; clflush 8 */
#define LEAF1_EDX	0x078bfbff
#define STALE		0x77

static struct cpu_topology topo;

static void set_topo(unsigned int sockets, unsigned int dies,
		     unsigned int cores, unsigned int threads)
{
	topo = *full_topology(sockets, dies, cores, threads);
}

static void check_apic_ids(const uint32_t *want, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int s, d, c, t, s2, d2, c2, t2;

		CHECK_EQ(topology_apic_id(&topo, i), want[i]);
		topology_ids(&topo, i, &s, &d, &c, &t);
		topology_ids_from_apic_id(&topo, want[i], &s2, &d2, &c2, &t2);
		CHECK_EQ(s, s2);
		CHECK_EQ(d, d2);
		CHECK_EQ(c, c2);
		CHECK_EQ(t, t2);
		CHECK_EQ(((s * topo.dies + d) * topo.cores + c) *
			 topo.threads + t, i);
	}
}

/* ---- APIC IDs ---- */

TEST(smp4_is_four_sockets)
{
	static const uint32_t want[] = { 0, 1, 2, 3 };

	set_topo(4, 1, 1, 1);
	CHECK_EQ(topo.thread_bits, 0);
	CHECK_EQ(topo.core_bits, 0);
	CHECK_EQ(topo.die_bits, 0);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(smp4_threads2)
{
	static const uint32_t want[] = { 0, 1, 2, 3 };

	set_topo(2, 1, 1, 2);		/* -smp 4,threads=2 */
	CHECK_EQ(topo.thread_bits, 1);
	CHECK_EQ(topology_pkg_shift(&topo), 1);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(three_cores_round_up_to_four)
{
	static const uint32_t want[] = { 0, 1, 2, 4, 5, 6 };

	set_topo(2, 1, 3, 1);		/* -smp 6,cores=3 */
	CHECK_EQ(topo.core_bits, 2);
	CHECK_EQ(topology_pkg_shift(&topo), 2);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(sockets2_cores2_threads2)
{
	static const uint32_t want[] = { 0, 1, 2, 3, 4, 5, 6, 7 };

	set_topo(2, 1, 2, 2);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(three_dies_round_up_to_four)
{
	static const uint32_t want[] = { 0, 1, 2, 4, 5, 6 };

	set_topo(2, 3, 1, 1);
	CHECK_EQ(topo.die_bits, 2);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(dies_cores_threads)
{
	/* thread bit 0, core bits 2:1, die bit 3, socket from bit 4 */
	static const uint32_t want[] = {
		0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13,
		16, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 29,
	};

	set_topo(2, 2, 3, 2);
	CHECK_EQ(topology_core_shift(&topo), 1);
	CHECK_EQ(topology_die_shift(&topo), 3);
	CHECK_EQ(topology_pkg_shift(&topo), 4);
	check_apic_ids(want, ARRAY_SIZE(want));
}

TEST(zero_counts_are_one)
{
	struct smp_config smp = { .cpus = 1, .maxcpus = 1 };

	topology_init(&topo, &smp);
	CHECK_EQ(topo.sockets, 1);
	CHECK_EQ(topo.dies, 1);
	CHECK_EQ(topo.cores, 1);
	CHECK_EQ(topo.threads, 1);
	CHECK_EQ(topology_apic_id(&topo, 0), 0);
}

/* ---- CPUID ---- */

static struct cpu_model model;
static struct kvm_cpuid2 *host;
static char err[2048];


/* Leaf 4 EAX of a host whose caches are shared by 32 threads of 16 cores. */
#define CACHE(type, level)	(15U << 26 | 31U << 14 | (level) << 5 | \
				 BIT(8) | (type))
#define L1D	CACHE(1, 1U)
#define L1I	CACHE(2, 1U)
#define L2	CACHE(3, 2U)
#define L3	CACHE(3, 3U)

/* An Intel host's KVM_GET_SUPPORTED_CPUID, with 0xb and maybe 0x1f. */
static struct kvm_cpuid2 *intel_table(bool leaf_1f)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENTRIES *
				      sizeof(c->entries[0]));

	add(c, 0, -1, leaf_1f ? 0x1f : 0x16, 0x756e6547, 0x6c65746e,
	    0x49656e69);
	add(c, 1, -1, 0x000906ea, LEAF1_EBX, BIT(21), LEAF1_EDX | HTT);
	add(c, 4, 0, L1D, 0x01c0003f, 0x3f, 0);
	add(c, 4, 1, L1I, 0x01c0003f, 0x3f, 0);
	add(c, 4, 2, L2, 0x03c0003f, 0x3ff, 0);
	add(c, 4, 3, L3, 0x03c0003f, 0x3fff, 6);
	add(c, 4, 4, 0, 0, 0, 0);
	add(c, 0xb, 0, 1, 2, 0x100, STALE);
	add(c, 0xb, 1, 5, 32, 0x201, STALE);
	add(c, 0xb, 2, 0, 0, 2, STALE);
	if (leaf_1f) {
		add(c, 0x1f, 0, 1, 2, 0x100, STALE);
		add(c, 0x1f, 1, 5, 32, 0x201, STALE);
		add(c, 0x1f, 2, 0, 0, 2, STALE);
	}
	add(c, 0x40000000, -1, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(c, 0x80000000, -1, 0x80000008, 0, 0, 0);
	add(c, 0x80000008, -1, 0x3027, 0, 0, 0);
	return c;
}

/* An AMD host's, with topology extensions. */
static struct kvm_cpuid2 *amd_table(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENTRIES *
				      sizeof(c->entries[0]));

	add(c, 0, -1, 0x10, 0x68747541, 0x444d4163, 0x69746e65);
	add(c, 1, -1, 0x00a00f11, LEAF1_EBX, BIT(21), LEAF1_EDX | HTT);
	add(c, 0x80000000, -1, 0x80000021, 0x68747541, 0x444d4163,
	    0x69746e65);
	add(c, 0x80000008, -1, 0x3030, 0, 0x1700f, 0);
	add(c, 0x8000001e, -1, STALE, 0xab0107, 0x703, 0);
	return c;
}

static struct kvm_cpuid2 *vcpu_cpuid(struct kvm_cpuid2 *table,
				     unsigned int index)
{
	host = table;
	CHECK_EQ(cpu_model_init(&model, "host", host, err, sizeof(err)), 0);
	return cpuid_for_vcpu(&model, &topo, topology_apic_id(&topo, index),
			      1000000);
}

static void done(struct kvm_cpuid2 *c)
{
	free(c);
	cpu_model_free(&model);
	free(host);
	host = NULL;
}




static void check_level(const struct kvm_cpuid2 *c, uint32_t fn,
			uint32_t index, uint32_t eax, uint32_t ebx,
			uint32_t ecx, uint32_t edx)
{
	CHECK_EQ(reg(c, fn, index, 'a'), eax);
	CHECK_EQ(reg(c, fn, index, 'b'), ebx);
	CHECK_EQ(reg(c, fn, index, 'c'), ecx);
	CHECK_EQ(reg(c, fn, index, 'd'), edx);
}

/* Leaf 4 EAX with the cores and sharing fields replaced. */
static uint32_t leaf4(uint32_t host_eax, uint32_t cores, uint32_t sharing)
{
	return (host_eax & 0x3fff) | (cores - 1) << 26 | (sharing - 1) << 14;
}

TEST(single_vcpu_is_one_of_one)
{
	struct kvm_cpuid2 *c;

	set_topo(1, 1, 1, 1);
	c = vcpu_cpuid(intel_table(true), 0);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x00010800);
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX);		/* no HTT */
	CHECK_EQ(reg(c, 4, 0, 'a'), leaf4(L1D, 1, 1));
	CHECK_EQ(reg(c, 4, 3, 'a'), leaf4(L3, 1, 1));
	check_level(c, 4, 4, 0, 0, 0, 0);
	check_level(c, 0xb, 0, 0, 1, 0x100, 0);
	check_level(c, 0xb, 1, 0, 1, 0x201, 0);
	check_level(c, 0xb, 2, 0, 0, 2, 0);
	/* No dies: leaf 0x1f is empty, as in QEMU, so guests use 0xb. */
	check_level(c, 0x1f, 0, 0, 0, 0, 0);
	check_level(c, 0x1f, 1, 0, 0, 0, 0);
	/* Not an AMD host: 0x80000008 ECX stays. */
	CHECK_EQ(reg(c, 0x80000008, 0, 'c'), 0);
	done(c);
}

TEST(sockets_cores_threads_on_intel)
{
	struct kvm_cpuid2 *c;

	set_topo(2, 1, 3, 2);		/* -smp 12,sockets=2,cores=3,threads=2 */
	c = vcpu_cpuid(intel_table(false), 7);	/* socket 1 core 0 thread 1 */
	CHECK_EQ(topology_apic_id(&topo, 7), 9);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x09060800);
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX | HTT);
	CHECK_EQ(reg(c, 4, 0, 'a'), leaf4(L1D, 4, 2));
	CHECK_EQ(reg(c, 4, 1, 'a'), leaf4(L1I, 4, 2));
	CHECK_EQ(reg(c, 4, 2, 'a'), leaf4(L2, 4, 2));
	CHECK_EQ(reg(c, 4, 3, 'a'), leaf4(L3, 4, 8));
	CHECK_EQ(reg(c, 4, 3, 'd'), 6);			/* the rest stays */
	check_level(c, 4, 4, 0, 0, 0, 0);
	check_level(c, 0xb, 0, 1, 2, 0x100, 9);
	check_level(c, 0xb, 1, 3, 6, 0x201, 9);
	check_level(c, 0xb, 2, 0, 0, 2, 9);
	CHECK_EQ(count(c, 0x1f), 0);
	CHECK_EQ(reg(c, 0, 0, 'a'), 0x16);
	done(c);
}

TEST(cores_only)
{
	struct kvm_cpuid2 *c;

	set_topo(1, 1, 4, 1);		/* -smp 4,sockets=1 */
	c = vcpu_cpuid(intel_table(false), 3);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x03040800);
	CHECK_EQ(reg(c, 4, 0, 'a'), leaf4(L1D, 4, 1));
	CHECK_EQ(reg(c, 4, 3, 'a'), leaf4(L3, 4, 4));
	check_level(c, 0xb, 0, 0, 1, 0x100, 3);
	check_level(c, 0xb, 1, 2, 4, 0x201, 3);
	done(c);
}

TEST(sockets_only_have_no_htt)
{
	struct kvm_cpuid2 *c;

	set_topo(4, 1, 1, 1);		/* -smp 4 */
	c = vcpu_cpuid(intel_table(false), 2);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x02010800);
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX);
	check_level(c, 0xb, 0, 0, 1, 0x100, 2);
	check_level(c, 0xb, 1, 0, 1, 0x201, 2);
	done(c);
}

TEST(dies_add_leaf_1f)
{
	struct kvm_cpuid2 *c;
	uint32_t nent;

	set_topo(1, 2, 3, 2);		/* -smp 12,dies=2,cores=3,threads=2 */
	host = intel_table(false);
	nent = host->nent;
	free(host);
	c = vcpu_cpuid(intel_table(false), 11);	/* die 1 core 2 thread 1 */
	CHECK_EQ(topology_apic_id(&topo, 11), 13);
	CHECK_EQ(reg(c, 0, 0, 'a'), 0x1f);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x0d0c0800);
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX | HTT);
	CHECK_EQ(reg(c, 4, 0, 'a'), leaf4(L1D, 8, 2));
	CHECK_EQ(reg(c, 4, 3, 'a'), leaf4(L3, 8, 8));
	check_level(c, 0xb, 0, 1, 2, 0x100, 13);
	check_level(c, 0xb, 1, 4, 12, 0x201, 13);
	check_level(c, 0x1f, 0, 1, 2, 0x100, 13);
	check_level(c, 0x1f, 1, 3, 6, 0x201, 13);
	check_level(c, 0x1f, 2, 4, 12, 0x502, 13);
	CHECK_EQ(count(c, 0x1f), 3);
	CHECK(entry(c, 0x1f, 1)->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	CHECK_EQ(c->nent, nent + 3 + 1);	/* 0x1f, 0x40000010 */
	done(c);

	/* The host's own 0x1f is rewritten, with a terminator. */
	c = vcpu_cpuid(intel_table(true), 11);
	CHECK_EQ(count(c, 0x1f), 3);
	check_level(c, 0x1f, 2, 4, 12, 0x502, 13);
	done(c);
}

TEST(amd_leaves)
{
	struct kvm_cpuid2 *c;

	set_topo(2, 2, 3, 2);
	c = vcpu_cpuid(amd_table(), 17);	/* socket 1 die 0 core 2 thr 1 */
	CHECK_EQ(topology_apic_id(&topo, 17), 0x15);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x150c0800);
	/* PerfTscSize kept; ApicIdCoreIdSize 4; NC 12 - 1 */
	CHECK_EQ(reg(c, 0x80000008, 0, 'c'), 0x1400b);
	CHECK_EQ(reg(c, 0x8000001e, 0, 'a'), 0x15);
	/* threads per core - 1; core 2 of die 0 */
	CHECK_EQ(reg(c, 0x8000001e, 0, 'b'), 0xab0102);
	/* nodes per package - 1; node 2 (socket 1, die 0) */
	CHECK_EQ(reg(c, 0x8000001e, 0, 'c'), 0x102);
	done(c);

	set_topo(1, 1, 1, 1);
	c = vcpu_cpuid(amd_table(), 0);
	CHECK_EQ(reg(c, 0x80000008, 0, 'c'), 0x10000);
	CHECK_EQ(reg(c, 0x8000001e, 0, 'b'), 0xab0000);
	CHECK_EQ(reg(c, 0x8000001e, 0, 'c'), 0);
	done(c);
}

/*
 * What a guest computes from leaf 0xb on every vCPU, as Linux does: the
 * number of packages, cores per package and threads per core.
 */
static void check_guest_view(unsigned int sockets, unsigned int dies,
			     unsigned int cores, unsigned int threads)
{
	unsigned int n = sockets * dies * cores * threads, i;
	unsigned int max_pkg = 0, max_core = 0, max_thread = 0;
	bool seen[256] = { false };

	set_topo(sockets, dies, cores, threads);
	for (i = 0; i < n; i++) {
		struct kvm_cpuid2 *c = vcpu_cpuid(intel_table(false), i);
		uint32_t id = reg(c, 0xb, 0, 'd');
		uint32_t smt = reg(c, 0xb, 0, 'a') & 0x1f;
		uint32_t pkg = reg(c, 0xb, 1, 'a') & 0x1f;
		unsigned int p = id >> pkg;
		unsigned int core = (id & ((1U << pkg) - 1)) >> smt;
		unsigned int thread = id & ((1U << smt) - 1);

		CHECK(id < 256 && !seen[id]);
		if (id < 256)
			seen[id] = true;
		CHECK_EQ(reg(c, 1, 0, 'b') >> 24, id);
		CHECK_EQ((reg(c, 1, 0, 'b') >> 16) & 0xff,
			 reg(c, 0xb, 1, 'b'));
		CHECK_EQ(reg(c, 0xb, 1, 'b') / reg(c, 0xb, 0, 'b'),
			 dies * cores);
		max_pkg = p > max_pkg ? p : max_pkg;
		max_core = core > max_core ? core : max_core;
		max_thread = thread > max_thread ? thread : max_thread;
		done(c);
	}
	CHECK_EQ(max_pkg + 1, sockets);
	CHECK_EQ(max_thread + 1, threads);
	/* Leaf 0xb's core field holds die and core: the last die's last. */
	CHECK_EQ(max_core, (dies - 1) << topo.core_bits | (cores - 1));
}

TEST(guest_sees_the_topology)
{
	check_guest_view(1, 1, 1, 1);
	check_guest_view(4, 1, 1, 1);
	check_guest_view(2, 1, 1, 2);
	check_guest_view(2, 1, 3, 1);
	check_guest_view(2, 1, 2, 2);
	check_guest_view(3, 1, 5, 2);
	check_guest_view(2, 3, 3, 2);
}

int main(void)
{
	RUN(smp4_is_four_sockets);
	RUN(smp4_threads2);
	RUN(three_cores_round_up_to_four);
	RUN(sockets2_cores2_threads2);
	RUN(three_dies_round_up_to_four);
	RUN(dies_cores_threads);
	RUN(zero_counts_are_one);

	RUN(single_vcpu_is_one_of_one);
	RUN(sockets_cores_threads_on_intel);
	RUN(cores_only);
	RUN(sockets_only_have_no_htt);
	RUN(dies_add_leaf_1f);
	RUN(amd_leaves);
	RUN(guest_sees_the_topology);

	return check_summary();
}
