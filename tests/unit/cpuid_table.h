/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_CPUID_TABLE_H
#define KVMLITE_TESTS_CPUID_TABLE_H

/* Building and reading synthetic KVM CPUID tables in the unit tests. */

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/topology.h"

/* A full -smp topology (cpus = maxcpus); valid until the next call. */
static const struct cpu_topology *full_topology(unsigned int sockets,
						unsigned int dies,
						unsigned int cores,
						unsigned int threads)
{
	static struct cpu_topology t;
	struct smp_config smp = {
		.cpus = sockets * dies * cores * threads,
		.maxcpus = sockets * dies * cores * threads,
		.sockets = sockets, .dies = dies, .cores = cores,
		.threads = threads,
	};

	topology_init(&t, &smp);
	return &t;
}

/* Appends a leaf; @index < 0 makes it one without subleaves. */
static void add(struct kvm_cpuid2 *c, uint32_t fn, int index, uint32_t eax,
		uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	if (index >= 0) {
		e->index = index;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	}
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

static struct kvm_cpuid_entry2 *entry(const struct kvm_cpuid2 *c,
				      uint32_t fn, uint32_t index)
{
	uint32_t i;

	for (i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    c->entries[i].index == index)
			return (struct kvm_cpuid_entry2 *)&c->entries[i];
	return NULL;
}

static int count(const struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i;
	int n = 0;

	for (i = 0; c && i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

/* A register of leaf @fn.@index, or a value no test expects. */
static uint32_t reg(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t index,
		    char r)
{
	struct kvm_cpuid_entry2 *e = entry(c, fn, index);

	if (!e)
		return 0xdead0000;
	return r == 'a' ? e->eax : r == 'b' ? e->ebx : r == 'c' ? e->ecx :
	       e->edx;
}

#endif
