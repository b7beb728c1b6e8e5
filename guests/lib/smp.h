/* SPDX-License-Identifier: MIT */
/* Starting the application processors. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#define SMP_MAX_APS	255

/* Runs on each AP, on its own stack, with slot 0, 1, ... in arrival order. */
typedef void (*ap_main_fn)(unsigned int slot) __attribute__((noreturn));

/*
 * Wakes the APs with these APIC IDs by INIT-SIPI-SIPI, as MP spec 1.4,
 * appendix B.4 describes, and returns without waiting for them.  Each
 * AP comes up in long mode on the BSP's page tables, GDT and IDT (so
 * call irq_init() first if the APs take interrupts), interrupts off.
 */
void smp_start_aps(const unsigned int *apic_ids, unsigned int n,
		   ap_main_fn ap_main);

#endif /* GUEST_SMP_H */
