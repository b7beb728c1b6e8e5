// SPDX-License-Identifier: MIT
/*
 * CPUID for the guest: what KVM supports on this host, edited by -cpu,
 * with the hypervisor leaves and the -smp topology (APIC IDs, leaves 1, 4,
 * 0xb, 0x1f and AMD's) filled in per vCPU.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/cpuid.h"
#include "kvmlite/log.h"
#include "kvmlite/topology.h"

enum cpuid_reg { EAX, EBX, ECX, EDX };

struct cpu_feature {
	const char *name;
	uint32_t leaf;
	uint32_t subleaf;
	enum cpuid_reg reg;
	uint8_t bit;
};

/* Names as QEMU spells them, so -cpu lines carry over unchanged. */
static const struct cpu_feature features[] = {
	{ "fpu", 1, 0, EDX, 0 }, { "vme", 1, 0, EDX, 1 },
	{ "de", 1, 0, EDX, 2 }, { "pse", 1, 0, EDX, 3 },
	{ "tsc", 1, 0, EDX, 4 }, { "msr", 1, 0, EDX, 5 },
	{ "pae", 1, 0, EDX, 6 }, { "mce", 1, 0, EDX, 7 },
	{ "cx8", 1, 0, EDX, 8 }, { "apic", 1, 0, EDX, 9 },
	{ "sep", 1, 0, EDX, 11 }, { "mtrr", 1, 0, EDX, 12 },
	{ "pge", 1, 0, EDX, 13 }, { "mca", 1, 0, EDX, 14 },
	{ "cmov", 1, 0, EDX, 15 }, { "pat", 1, 0, EDX, 16 },
	{ "pse36", 1, 0, EDX, 17 }, { "clflush", 1, 0, EDX, 19 },
	{ "mmx", 1, 0, EDX, 23 }, { "fxsr", 1, 0, EDX, 24 },
	{ "sse", 1, 0, EDX, 25 }, { "sse2", 1, 0, EDX, 26 },
	{ "ss", 1, 0, EDX, 27 }, { "ht", 1, 0, EDX, 28 },
	{ "pni", 1, 0, ECX, 0 }, { "pclmulqdq", 1, 0, ECX, 1 },
	{ "monitor", 1, 0, ECX, 3 }, { "ssse3", 1, 0, ECX, 9 },
	{ "fma", 1, 0, ECX, 12 }, { "cx16", 1, 0, ECX, 13 },
	{ "pdcm", 1, 0, ECX, 15 }, { "pcid", 1, 0, ECX, 17 },
	{ "sse4.1", 1, 0, ECX, 19 }, { "sse4.2", 1, 0, ECX, 20 },
	{ "x2apic", 1, 0, ECX, 21 }, { "movbe", 1, 0, ECX, 22 },
	{ "popcnt", 1, 0, ECX, 23 }, { "tsc-deadline", 1, 0, ECX, 24 },
	{ "aes", 1, 0, ECX, 25 }, { "xsave", 1, 0, ECX, 26 },
	{ "avx", 1, 0, ECX, 28 }, { "f16c", 1, 0, ECX, 29 },
	{ "rdrand", 1, 0, ECX, 30 }, { "hypervisor", 1, 0, ECX, 31 },
	{ "fsgsbase", 7, 0, EBX, 0 }, { "bmi1", 7, 0, EBX, 3 },
	{ "hle", 7, 0, EBX, 4 }, { "avx2", 7, 0, EBX, 5 },
	{ "smep", 7, 0, EBX, 7 }, { "bmi2", 7, 0, EBX, 8 },
	{ "erms", 7, 0, EBX, 9 }, { "invpcid", 7, 0, EBX, 10 },
	{ "rtm", 7, 0, EBX, 11 }, { "avx512f", 7, 0, EBX, 16 },
	{ "rdseed", 7, 0, EBX, 18 }, { "adx", 7, 0, EBX, 19 },
	{ "smap", 7, 0, EBX, 20 }, { "clflushopt", 7, 0, EBX, 23 },
	{ "clwb", 7, 0, EBX, 24 }, { "sha-ni", 7, 0, EBX, 29 },
	{ "umip", 7, 0, ECX, 2 }, { "pku", 7, 0, ECX, 3 },
	{ "gfni", 7, 0, ECX, 8 }, { "vaes", 7, 0, ECX, 9 },
	{ "la57", 7, 0, ECX, 16 }, { "rdpid", 7, 0, ECX, 22 },
	{ "md-clear", 7, 0, EDX, 10 }, { "spec-ctrl", 7, 0, EDX, 26 },
	{ "xsaveopt", 0xd, 1, EAX, 0 }, { "xsavec", 0xd, 1, EAX, 1 },
	{ "xgetbv1", 0xd, 1, EAX, 2 }, { "xsaves", 0xd, 1, EAX, 3 },
	{ "lahf-lm", 0x80000001, 0, ECX, 0 }, { "abm", 0x80000001, 0, ECX, 5 },
	{ "sse4a", 0x80000001, 0, ECX, 6 },
	{ "3dnowprefetch", 0x80000001, 0, ECX, 8 },
	{ "syscall", 0x80000001, 0, EDX, 11 }, { "nx", 0x80000001, 0, EDX, 20 },
	{ "pdpe1gb", 0x80000001, 0, EDX, 26 },
	{ "rdtscp", 0x80000001, 0, EDX, 27 }, { "lm", 0x80000001, 0, EDX, 29 },
	{ "invtsc", 0x80000007, 0, EDX, 8 },
	{ "kvmclock", 0x40000001, 0, EAX, 0 },
	{ "kvm-nopiodelay", 0x40000001, 0, EAX, 1 },
	{ "kvm-mmu", 0x40000001, 0, EAX, 2 },
	{ "kvmclock2", 0x40000001, 0, EAX, 3 },
	{ "kvm-asyncpf", 0x40000001, 0, EAX, 4 },
	{ "kvm-steal-time", 0x40000001, 0, EAX, 5 },
	{ "kvm-pv-eoi", 0x40000001, 0, EAX, 6 },
	{ "kvm-pv-unhalt", 0x40000001, 0, EAX, 7 },
	{ "kvm-pv-tlb-flush", 0x40000001, 0, EAX, 9 },
	{ "kvm-asyncpf-vmexit", 0x40000001, 0, EAX, 10 },
	{ "kvm-pv-ipi", 0x40000001, 0, EAX, 11 },
	{ "kvm-poll-control", 0x40000001, 0, EAX, 12 },
	{ "kvm-pv-sched-yield", 0x40000001, 0, EAX, 13 },
	{ "kvm-asyncpf-int", 0x40000001, 0, EAX, 14 },
	{ "kvm-msi-ext-dest-id", 0x40000001, 0, EAX, 15 },
	{ "kvmclock-stable-bit", 0x40000001, 0, EAX, 24 },
};

#define NR_FEATURES (sizeof(features) / sizeof(features[0]))
#define MAX_ENTRIES 256
#define HV_TIMING_LEAF 0x40000010

static size_t cpuid_size(uint32_t nent)
{
	return sizeof(struct kvm_cpuid2) +
	       nent * sizeof(struct kvm_cpuid_entry2);
}

static struct kvm_cpuid_entry2 *find_entry(struct kvm_cpuid2 *c,
					   uint32_t leaf, uint32_t subleaf)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		bool indexed = e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

		if (e->function == leaf && (!indexed || e->index == subleaf))
			return e;
	}
	return NULL;
}

static uint32_t *entry_reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default: return &e->edx;
	}
}

static const struct cpu_feature *feature_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NR_FEATURES; i++)
		if (!strcmp(features[i].name, name))
			return &features[i];
	/* QEMU accepts both spellings: sse4_1, lahf_lm, tsc_deadline... */
	for (i = 0; i < NR_FEATURES; i++) {
		const char *a = features[i].name, *b = name;

		while (*a && (*a == *b || (*a == '-' && *b == '_') ||
			      (*a == '.' && *b == '_'))) {
			a++;
			b++;
		}
		if (!*a && !*b)
			return &features[i];
	}
	return NULL;
}

static void list_features(char *err, size_t errlen)
{
	size_t i, used = strlen(err);

	for (i = 0; i < NR_FEATURES && used < errlen; i++)
		used += snprintf(err + used, errlen - used, "%s%s",
				 i ? " " : "", features[i].name);
}

/* "+f", "-f", "f=on", "f=off": which feature, and on or off. */
static int parse_edit(const char *item, char *name, size_t name_len, bool *on)
{
	const char *eq = strchr(item, '=');
	size_t len;

	if (item[0] == '+' || item[0] == '-') {
		*on = item[0] == '+';
		snprintf(name, name_len, "%s", item + 1);
		return 0;
	}
	if (!eq)
		return -1;
	len = eq - item < (long)name_len - 1 ? (size_t)(eq - item) : name_len - 1;
	memcpy(name, item, len);
	name[len] = '\0';
	if (!strcmp(eq + 1, "on"))
		*on = true;
	else if (!strcmp(eq + 1, "off"))
		*on = false;
	else
		return -1;
	return 0;
}

static int apply_edit(struct cpu_model *model, const char *item,
		      const struct kvm_cpuid2 *supported, char *err,
		      size_t errlen)
{
	const struct cpu_feature *f;
	struct kvm_cpuid_entry2 *e, *host;
	char name[64];
	bool on;

	if (parse_edit(item, name, sizeof(name), &on)) {
		snprintf(err, errlen, "-cpu: '%s': expected +feature, -feature "
			 "or feature=on|off", item);
		return -1;
	}
	f = feature_by_name(name);
	if (!f) {
		snprintf(err, errlen, "-cpu: unknown feature '%s'; known "
			 "features: ", name);
		list_features(err, errlen);
		return -1;
	}
	e = find_entry(model->cpuid, f->leaf, f->subleaf);
	host = find_entry((struct kvm_cpuid2 *)supported, f->leaf, f->subleaf);
	if (on && (!host || !(*entry_reg(host, f->reg) & (1U << f->bit)))) {
		warn_report("host doesn't support requested feature: "
			    "CPUID.%02XH:%s.%s [bit %u]", f->leaf,
			    &"EAX\0EBX\0ECX\0EDX"[4 * f->reg], f->name, f->bit);
		return 0;
	}
	if (!e)
		return 0;
	if (on)
		*entry_reg(e, f->reg) |= 1U << f->bit;
	else
		*entry_reg(e, f->reg) &= ~(1U << f->bit);
	return 0;
}

/* Guests check this bit before the 0x40000000 leaves; -hypervisor clears it. */
static void set_hypervisor_bit(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = find_entry(c, 1, 0);

	if (e)
		e->ecx |= 1U << 31;
}

static int check_model_name(const char *name, size_t len, char *err,
			    size_t errlen)
{
	if ((len == 4 && !strncmp(name, "host", 4)) ||
	    (len == 3 && !strncmp(name, "max", 3)))
		return 0;
	snprintf(err, errlen, "unable to find CPU model '%.*s' (kvmlite "
		 "provides 'host' and its alias 'max')", (int)len, name);
	return -1;
}

int cpu_model_init(struct cpu_model *model, const char *text,
		   const struct kvm_cpuid2 *supported, char *err,
		   size_t errlen)
{
	char *copy, *item, *save;
	const char *comma;
	int ret = 0;

	if (!text)
		text = "host";
	comma = strchr(text, ',');
	if (check_model_name(text, comma ? (size_t)(comma - text) :
			     strlen(text), err, errlen))
		return -1;
	if (supported->nent > MAX_ENTRIES) {
		snprintf(err, errlen, "KVM reports %u CPUID entries; kvmlite "
			 "handles at most %u", supported->nent, MAX_ENTRIES);
		return -1;
	}
	model->cpuid = malloc(cpuid_size(MAX_ENTRIES));
	if (!model->cpuid)
		return -1;
	memcpy(model->cpuid, supported, cpuid_size(supported->nent));
	set_hypervisor_bit(model->cpuid);
	if (!comma)
		return 0;
	copy = strdup(comma + 1);
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save))
		ret = apply_edit(model, item, supported, err, errlen);
	free(copy);
	if (ret)
		cpu_model_free(model);
	return ret;
}

void cpu_model_free(struct cpu_model *model)
{
	free(model->cpuid);
	model->cpuid = NULL;
}

static void set_hypervisor_leaves(struct kvm_cpuid2 *c, uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *base = find_entry(c, 0x40000000, 0);
	struct kvm_cpuid_entry2 *timing = find_entry(c, HV_TIMING_LEAF, 0);

	if (!base) {
		base = &c->entries[c->nent++];
		memset(base, 0, sizeof(*base));
		base->function = 0x40000000;
		/* "KVMKVMKVM\0\0\0": guests look for KVM's signature. */
		base->ebx = 0x4b4d564b;
		base->ecx = 0x564b4d56;
		base->edx = 0x4d;
	}
	base->eax = HV_TIMING_LEAF;
	if (!timing) {
		timing = &c->entries[c->nent++];
		memset(timing, 0, sizeof(*timing));
		timing->function = HV_TIMING_LEAF;
	}
	/* The de-facto timing leaf: TSC and LAPIC bus frequency in kHz. */
	timing->eax = tsc_khz;
	timing->ebx = 1000000;
}

/* The vendor string of leaf 0: "GenuineIntel", "AuthenticAMD"... */
static bool vendor_is(struct kvm_cpuid2 *c, const char *vendor)
{
	struct kvm_cpuid_entry2 *e = find_entry(c, 0, 0);
	char name[13];

	if (!e)
		return false;
	memcpy(name, &e->ebx, 4);
	memcpy(name + 4, &e->edx, 4);
	memcpy(name + 8, &e->ecx, 4);
	name[12] = '\0';
	return !strcmp(name, vendor);
}

static uint32_t cap(uint32_t val, uint32_t max)
{
	return val < max ? val : max;
}

/* Leaf @fn subleaf @index, appended if missing and there is room. */
static struct kvm_cpuid_entry2 *ensure_subleaf(struct kvm_cpuid2 *c,
					       uint32_t fn, uint32_t index,
					       uint32_t limit)
{
	struct kvm_cpuid_entry2 *e = find_entry(c, fn, index);

	if (e || c->nent >= limit)
		return e;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = index;
	e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	return e;
}

/* Subleaves of 0xb / 0x1f a topology needs that the table lacks. */
static uint32_t topology_missing(struct kvm_cpuid2 *c,
				 const struct cpu_topology *t)
{
	uint32_t i, n = 0;

	if (find_entry(c, 0xb, 0) || find_entry(c, 0xb, 1))
		for (i = 0; i < 2; i++)
			n += !find_entry(c, 0xb, i);
	if (t->dies > 1)
		for (i = 0; i < 3; i++)
			n += !find_entry(c, 0x1f, i);
	return n;
}

/* Leaf 1: initial APIC ID, logical processors per package, HTT. */
static void set_leaf1(struct kvm_cpuid_entry2 *e, const struct cpu_topology *t,
		      uint32_t apic_id)
{
	uint32_t per_pkg = topology_threads_per_pkg(t);

	e->ebx = (e->ebx & 0x0000ffff) | (apic_id & 0xff) << 24 |
		 cap(per_pkg, 0xff) << 16;
	if (per_pkg > 1)
		e->edx |= 1U << 28;
	else
		e->edx &= ~(1U << 28);
}

/*
 * Leaf 4, each cache: EAX[31:26] is the addressable cores per package
 * minus one, EAX[25:14] the addressable logical processors sharing the
 * cache minus one: a core's threads for L1 and L2, a die's for L3.
 */
static void set_leaf4(struct kvm_cpuid_entry2 *e, const struct cpu_topology *t)
{
	uint32_t level = (e->eax >> 5) & 7;
	uint32_t cores = 1U << (t->core_bits + t->die_bits);
	uint32_t sharing = 1U << (level >= 3 ? topology_die_shift(t) :
				  t->thread_bits);

	if (!(e->eax & 0x1f))
		return;		/* no more caches */
	e->eax = (e->eax & 0x3fff) | cap(cores - 1, 0x3f) << 26 |
		 cap(sharing - 1, 0xfff) << 14;
}

/* One level of leaf 0xb / 0x1f; @type 0 is the invalid terminator. */
static void set_level(struct kvm_cpuid_entry2 *e, uint32_t shift,
		      uint32_t count, uint32_t type, uint32_t apic_id)
{
	e->eax = type ? shift : 0;
	e->ebx = type ? cap(count, 0xffff) : 0;
	e->ecx = type << 8 | (e->index & 0xff);
	e->edx = apic_id;
}

#define LEVEL_SMT	1
#define LEVEL_CORE	2
#define LEVEL_DIE	5

/* Leaf 0xb: SMT, then core up to the package; further subleaves invalid. */
static void set_leaf_b(struct kvm_cpuid2 *c, const struct cpu_topology *t,
		       uint32_t apic_id, uint32_t limit)
{
	uint32_t i;

	if (!find_entry(c, 0xb, 0) && !find_entry(c, 0xb, 1))
		return;		/* the host has none; neither has the guest */
	ensure_subleaf(c, 0xb, 0, limit);
	ensure_subleaf(c, 0xb, 1, limit);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != 0xb)
			continue;
		if (e->index == 0)
			set_level(e, t->thread_bits, t->threads, LEVEL_SMT,
				  apic_id);
		else if (e->index == 1)
			set_level(e, topology_pkg_shift(t),
				  topology_threads_per_pkg(t), LEVEL_CORE,
				  apic_id);
		else
			set_level(e, 0, 0, 0, apic_id);
	}
}

/*
 * Leaf 0x1f, only with dies > 1 as in QEMU: SMT, core up to the die, die
 * up to the package.  Otherwise all zeroes, so guests use leaf 0xb.
 */
static void set_leaf_1f(struct kvm_cpuid2 *c, const struct cpu_topology *t,
			uint32_t apic_id, uint32_t limit)
{
	struct kvm_cpuid_entry2 *leaf0 = find_entry(c, 0, 0);
	uint32_t i;

	if (t->dies > 1) {
		for (i = 0; i < 3; i++)
			ensure_subleaf(c, 0x1f, i, limit);
		if (leaf0 && leaf0->eax < 0x1f)
			leaf0->eax = 0x1f;
	}
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != 0x1f)
			continue;
		if (t->dies <= 1) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
		} else if (e->index == 0) {
			set_level(e, t->thread_bits, t->threads, LEVEL_SMT,
				  apic_id);
		} else if (e->index == 1) {
			set_level(e, topology_die_shift(t),
				  topology_threads_per_die(t), LEVEL_CORE,
				  apic_id);
		} else if (e->index == 2) {
			set_level(e, topology_pkg_shift(t),
				  topology_threads_per_pkg(t), LEVEL_DIE,
				  apic_id);
		} else {
			set_level(e, 0, 0, 0, apic_id);
		}
	}
}

/*
 * AMD: 0x80000008 ECX[15:12] ApicIdCoreIdSize and [7:0] NC (logical
 * processors per package - 1); 0x8000001e extended APIC ID, core ID and
 * threads per core, node (die) ID and nodes per package.
 */
static void set_amd_leaves(struct kvm_cpuid2 *c, const struct cpu_topology *t,
			   uint32_t apic_id)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t pkg_shift = topology_pkg_shift(t);
	uint32_t core_mask = (1U << (t->core_bits + t->die_bits)) - 1;

	if (!vendor_is(c, "AuthenticAMD") && !vendor_is(c, "HygonGenuine"))
		return;
	e = find_entry(c, 0x80000008, 0);
	if (e)
		e->ecx = (e->ecx & ~0xf0ffU) | cap(pkg_shift, 0xf) << 12 |
			 cap(topology_threads_per_pkg(t) - 1, 0xff);
	e = find_entry(c, 0x8000001e, 0);
	if (e) {
		e->eax = apic_id;
		e->ebx = (e->ebx & ~0xffffU) |
			 cap(t->threads - 1, 0xff) << 8 |
			 ((apic_id >> topology_core_shift(t)) & core_mask & 0xff);
		e->ecx = (e->ecx & ~0x7ffU) | cap(t->dies - 1, 7) << 8 |
			 ((apic_id >> topology_die_shift(t)) & 0xff);
	}
}

static void set_topology(struct kvm_cpuid2 *c, const struct cpu_topology *t,
			 uint32_t apic_id, uint32_t limit)
{
	uint32_t i;

	set_leaf_b(c, t, apic_id, limit);
	set_leaf_1f(c, t, apic_id, limit);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			set_leaf1(e, t, apic_id);
		else if (e->function == 4)
			set_leaf4(e, t);
	}
	set_amd_leaves(c, t, apic_id);
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct cpu_model *model,
				  const struct cpu_topology *topo,
				  uint32_t apic_id, uint32_t tsc_khz)
{
	struct kvm_cpuid2 *c = malloc(cpuid_size(MAX_ENTRIES));
	uint32_t limit;

	if (!c)
		return NULL;
	memcpy(c, model->cpuid, cpuid_size(model->cpuid->nent));
	/* Room for the hypervisor leaves and the topology's subleaves. */
	limit = MAX_ENTRIES - 2;
	if (c->nent > limit - topology_missing(c, topo))
		c->nent = limit - topology_missing(c, topo);
	set_topology(c, topo, apic_id, limit);
	set_hypervisor_leaves(c, tsc_khz);
	return c;
}
