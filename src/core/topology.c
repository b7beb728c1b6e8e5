// SPDX-License-Identifier: MIT
/*
 * -smp topology to APIC IDs, packed the way QEMU packs them so guests
 * (and anything comparing with QEMU) see the same IDs.
 */
#include "kvmlite/config.h"
#include "kvmlite/topology.h"

/* Bits needed to number @count items: ceil(log2(count)). */
static unsigned int count_bits(unsigned int count)
{
	unsigned int bits = 0;

	while (bits < 32 && (1ULL << bits) < count)
		bits++;
	return bits;
}

void topology_init(struct cpu_topology *t, const struct smp_config *smp)
{
	t->sockets = smp->sockets ? smp->sockets : 1;
	t->dies = smp->dies ? smp->dies : 1;
	t->cores = smp->cores ? smp->cores : 1;
	t->threads = smp->threads ? smp->threads : 1;
	t->thread_bits = count_bits(t->threads);
	t->core_bits = count_bits(t->cores);
	t->die_bits = count_bits(t->dies);
}

void topology_ids(const struct cpu_topology *t, unsigned int index,
		  unsigned int *socket, unsigned int *die, unsigned int *core,
		  unsigned int *thread)
{
	*thread = index % t->threads;
	*core = index / t->threads % t->cores;
	*die = index / (t->threads * t->cores) % t->dies;
	*socket = index / (t->threads * t->cores * t->dies);
}

uint32_t topology_apic_id(const struct cpu_topology *t, unsigned int index)
{
	unsigned int socket, die, core, thread;

	topology_ids(t, index, &socket, &die, &core, &thread);
	return (uint32_t)socket << topology_pkg_shift(t) |
	       die << topology_die_shift(t) |
	       core << topology_core_shift(t) | thread;
}

static unsigned int field(uint32_t apic_id, unsigned int shift,
			  unsigned int bits)
{
	return (apic_id >> shift) & ((1U << bits) - 1);
}

void topology_ids_from_apic_id(const struct cpu_topology *t, uint32_t apic_id,
			       unsigned int *socket, unsigned int *die,
			       unsigned int *core, unsigned int *thread)
{
	unsigned int pkg_shift = topology_pkg_shift(t);

	*thread = field(apic_id, 0, t->thread_bits);
	*core = field(apic_id, topology_core_shift(t), t->core_bits);
	*die = field(apic_id, topology_die_shift(t), t->die_bits);
	*socket = pkg_shift < 32 ? apic_id >> pkg_shift : 0;
}
