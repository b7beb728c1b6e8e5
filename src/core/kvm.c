// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmlite/kvm.h"
#include "kvmlite/memory.h"

#define MAX_CPUID_ENTRIES 256

struct kvm_required_cap {
	int cap;
	const char *name;
};

/* Everything kvmlite relies on; checked once so failures are explicit. */
static const struct kvm_required_cap required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
};

#define NR_IRQCHIPS 3	/* PIC master, PIC slave, IOAPIC */

static int open_dev(const char *dev, char *err, size_t errlen)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		snprintf(err, errlen, "could not open %s: %s (is the kvm "
			 "module loaded and does this host allow "
			 "virtualization?)", dev, strerror(errno));
	else if (errno == EACCES || errno == EPERM)
		snprintf(err, errlen, "could not open %s: %s (is this user "
			 "in the group that owns %s?)", dev, strerror(errno),
			 dev);
	else
		snprintf(err, errlen, "could not open %s: %s", dev,
			 strerror(errno));
	return -1;
}

static int check_caps(struct kvm *kvm, const char *dev, char *err,
		      size_t errlen)
{
	int api = ioctl(kvm->sys_fd, KVM_GET_API_VERSION, 0);
	size_t i;

	if (api != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, expected %d",
			 dev, api, KVM_API_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
			  required_caps[i].cap) <= 0) {
			snprintf(err, errlen, "%s: the kernel lacks %s, which "
				 "kvmlite needs", dev, required_caps[i].name);
			return -1;
		}
	}
	kvm->max_vcpus = ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_MAX_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
				       KVM_CAP_NR_VCPUS);
	return 0;
}

static int get_supported_cpuid(struct kvm *kvm, char *err, size_t errlen)
{
	struct kvm_cpuid2 *cpuid;

	cpuid = calloc(1, sizeof(*cpuid) +
		       MAX_CPUID_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -1;
	cpuid->nent = MAX_CPUID_ENTRIES;
	if (ioctl(kvm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s",
			 strerror(errno));
		free(cpuid);
		return -1;
	}
	kvm->supported_cpuid = cpuid;
	return 0;
}

static int kvm_irqchip_save(struct kvm *kvm);

static int create_vm(struct kvm *kvm, char *err, size_t errlen)
{
	int mmap_size;

	kvm->vm_fd = ioctl(kvm->sys_fd, KVM_CREATE_VM, 0);
	if (kvm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	mmap_size = ioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s",
			 strerror(errno));
		return -1;
	}
	kvm->run_size = mmap_size;
	return 0;
}

int kvm_create_irqchip(struct kvm *kvm, char *err, size_t errlen)
{
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;

	/* Intel VMX needs these pages for real mode; they sit in the hole. */
	if (ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
		snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s",
			 strerror(errno));
		return -1;
	}
	kvm->irqchip_reset_state = calloc(NR_IRQCHIPS,
					  sizeof(struct kvm_irqchip));
	if (!kvm->irqchip_reset_state || kvm_irqchip_save(kvm)) {
		snprintf(err, errlen, "KVM_GET_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Keeps the irqchips' power-on state, which a machine reset restores. */
static int kvm_irqchip_save(struct kvm *kvm)
{
	struct kvm_irqchip *chips = kvm->irqchip_reset_state;
	int i;

	for (i = 0; i < NR_IRQCHIPS; i++) {
		chips[i].chip_id = i;
		if (ioctl(kvm->vm_fd, KVM_GET_IRQCHIP, &chips[i]) < 0)
			return -1;
	}
	return 0;
}

int kvm_irqchip_reset(struct kvm *kvm)
{
	struct kvm_irqchip *chips = kvm->irqchip_reset_state;
	int i;

	for (i = 0; i < NR_IRQCHIPS; i++)
		if (ioctl(kvm->vm_fd, KVM_SET_IRQCHIP, &chips[i]) < 0)
			return -1;
	return 0;
}

int kvm_open(struct kvm *kvm, const char *dev, char *err, size_t errlen)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->vm_fd = -1;
	kvm->sys_fd = open_dev(dev, err, errlen);
	if (kvm->sys_fd < 0)
		return -1;
	if (check_caps(kvm, dev, err, errlen) ||
	    get_supported_cpuid(kvm, err, errlen) ||
	    create_vm(kvm, err, errlen)) {
		kvm_close(kvm);
		return -1;
	}
	return 0;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	free(kvm->supported_cpuid);
	free(kvm->irqchip_reset_state);
	kvm->supported_cpuid = NULL;
	kvm->irqchip_reset_state = NULL;
	kvm->vm_fd = kvm->sys_fd = -1;
}

int kvm_add_memory(struct kvm *kvm, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = kvm->nr_slots,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -1;
	kvm->nr_slots++;
	return 0;
}

int kvm_irq_line(struct kvm *kvm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq);
}

int kvm_set_gsi_routing(struct kvm *kvm, const struct kvm_irq_routing *table)
{
	return ioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, table);
}

int kvm_irqfd(struct kvm *kvm, uint32_t gsi, int fd)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	return ioctl(kvm->vm_fd, KVM_IRQFD, &irqfd);
}

int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, uint32_t len, int fd,
		  bool assign)
{
	struct kvm_ioeventfd ioeventfd = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(kvm->vm_fd, KVM_IOEVENTFD, &ioeventfd);
}
