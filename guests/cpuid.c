// SPDX-License-Identifier: MIT
/* Prints what CPUID tells about the CPU and the hypervisor, on one line. */
#include "guest.h"
#include "cpu.h"

#define CPUID_HV_BASE		0x40000000
#define CPUID_HV_TIMING		0x40000010	/* EAX: TSC frequency in kHz */
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_HV		(1U << 31)

/* A NUL-terminated copy of the 12 bytes in @a, @b, @c, in that order. */
static void signature(char sig[13], uint32_t a, uint32_t b, uint32_t c)
{
	memcpy(sig, &a, 4);
	memcpy(sig + 4, &b, 4);
	memcpy(sig + 8, &c, 4);
	sig[12] = '\0';
}

int guest_main(const struct boot_info *bi)
{
	struct cpuid_regs r0 = cpuid(0), r1 = cpuid(1);
	struct cpuid_regs hv = cpuid(CPUID_HV_BASE);
	uint32_t tsc_khz = 0;
	char vendor[13], hv_sig[13];

	(void)bi;
	signature(vendor, r0.ebx, r0.edx, r0.ecx);
	signature(hv_sig, hv.ebx, hv.ecx, hv.edx);
	/* Beyond the maximum leaf, CPUID returns another leaf's values. */
	if (hv.eax >= CPUID_HV_TIMING)
		tsc_khz = cpuid(CPUID_HV_TIMING).eax;

	printf("cpuid: vendor=%s hypervisor=%s max_hv_leaf=0x%x xsave=%d "
	       "x2apic=%d hv_bit=%d apic_id=%u tsc_khz=%u\n",
	       vendor, hv_sig, hv.eax, !!(r1.ecx & CPUID_1_ECX_XSAVE),
	       !!(r1.ecx & CPUID_1_ECX_X2APIC), !!(r1.ecx & CPUID_1_ECX_HV),
	       r1.ebx >> 24, tsc_khz);
	return 0;
}
