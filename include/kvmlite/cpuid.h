/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CPUID_H
#define KVMLITE_CPUID_H

#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;
struct cpu_topology;

/*
 * A -cpu model: the host's KVM-supported CPUID with the user's +feature /
 * -feature edits applied.  Per-vCPU fields (APIC IDs, topology) are
 * filled in by cpuid_for_vcpu.
 */
struct cpu_model {
	struct kvm_cpuid2 *cpuid;
};

/*
 * Parses "host[,+feat|,-feat|,feat=on|off]..." against @supported.
 * Unknown models and feature names are errors; the latter lists the known
 * names.  A requested feature the host lacks is a warning, as in QEMU.
 */
int cpu_model_init(struct cpu_model *model, const char *text,
		   const struct kvm_cpuid2 *supported, char *err,
		   size_t errlen);
void cpu_model_free(struct cpu_model *model);

/*
 * A copy of the model's CPUID for the vCPU with @apic_id in @topo; free()
 * it.  Leaves 1, 4, 0xb, 0x1f (dies > 1) and, on AMD, 0x80000008 and
 * 0x8000001e describe @topo, so the guest finds the -smp topology.
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct cpu_model *model,
				  const struct cpu_topology *topo,
				  uint32_t apic_id, uint32_t tsc_khz);

#endif
