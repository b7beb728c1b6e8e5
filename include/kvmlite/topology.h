/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TOPOLOGY_H
#define KVMLITE_TOPOLOGY_H

#include <stdint.h>

struct smp_config;

/*
 * The -smp topology as the guest sees it: APIC IDs packed from
 * thread, core, die and socket numbers, each field as wide as its count
 * rounded up to a power of two, as QEMU packs them:
 *
 *	apic_id = socket << pkg_shift | die << die_shift |
 *		  core << core_shift | thread
 */
struct cpu_topology {
	unsigned int sockets, dies, cores, threads;
	unsigned int thread_bits, core_bits, die_bits;
};

/* From a completed smp_config; zero counts are taken as 1. */
void topology_init(struct cpu_topology *t, const struct smp_config *smp);

/* Bit offsets of the core, die and package fields of an APIC ID. */
static inline unsigned int topology_core_shift(const struct cpu_topology *t)
{
	return t->thread_bits;
}

static inline unsigned int topology_die_shift(const struct cpu_topology *t)
{
	return t->thread_bits + t->core_bits;
}

static inline unsigned int topology_pkg_shift(const struct cpu_topology *t)
{
	return t->thread_bits + t->core_bits + t->die_bits;
}

/* Logical processors per core, per die and per package, unrounded. */
static inline unsigned int topology_threads_per_die(const struct cpu_topology *t)
{
	return t->threads * t->cores;
}

static inline unsigned int topology_threads_per_pkg(const struct cpu_topology *t)
{
	return t->threads * t->cores * t->dies;
}

/* vCPU @index -> (socket, die, core, thread), threads varying fastest. */
void topology_ids(const struct cpu_topology *t, unsigned int index,
		  unsigned int *socket, unsigned int *die, unsigned int *core,
		  unsigned int *thread);

/* The APIC ID of vCPU @index. */
uint32_t topology_apic_id(const struct cpu_topology *t, unsigned int index);

/* The inverse: the fields of @apic_id. */
void topology_ids_from_apic_id(const struct cpu_topology *t, uint32_t apic_id,
			       unsigned int *socket, unsigned int *die,
			       unsigned int *core, unsigned int *thread);

#endif
