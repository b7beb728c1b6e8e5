// SPDX-License-Identifier: MIT
/*
 * CPUID for the guest: what KVM supports on this host, edited by -cpu,
 * with the hypervisor leaves and per-vCPU APIC IDs filled in.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/cpuid.h"
#include "kvmlite/log.h"

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
			    "EAX\0EBX\0ECX\0EDX" + 4 * f->reg, f->name, f->bit);
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

static void set_apic_ids(struct kvm_cpuid2 *c, uint32_t apic_id,
			 uint32_t nr_vcpus)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) |
				 ((nr_vcpus & 0xff) << 16);
			if (nr_vcpus > 1)
				e->edx |= 1U << 28;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = apic_id;
		}
	}
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct cpu_model *model,
				  uint32_t apic_id, uint32_t nr_vcpus,
				  uint32_t tsc_khz)
{
	struct kvm_cpuid2 *c = malloc(cpuid_size(MAX_ENTRIES));

	if (!c)
		return NULL;
	memcpy(c, model->cpuid, cpuid_size(model->cpuid->nent));
	if (c->nent > MAX_ENTRIES - 2)
		c->nent = MAX_ENTRIES - 2;
	set_hypervisor_leaves(c, tsc_khz);
	set_apic_ids(c, apic_id, nr_vcpus);
	return c;
}
