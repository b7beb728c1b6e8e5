// SPDX-License-Identifier: MIT
/*
 * kvm_floor: the least code that boots a PVH guest through /dev/kvm.
 *
 * It is the floor the benchmarks compare kvmlite with: one VM, one memory
 * slot, one vCPU and a run loop that knows three ports and answers every
 * other port and MMIO access at once.  It does what kvmlite must do to boot
 * build/guests/hello and build/guests/exitbench and nothing else.
 *
 * Usage: kvm_floor [-m MiB] [-stats] KERNEL [CMDLINE]
 *
 * COM1 output goes to stdout; an outl to port 0xf4 exits with status
 * (value << 1) | 1, as QEMU's isa-debug-exit does.  With -stats, the number
 * of resident guest RAM pages is printed to stderr at exit.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#define TSS_ADDR	0xfffbd000UL
#define GDT_ADDR	0x1000UL	/* null, code32 (0x08), data (0x10) */
#define INFO_ADDR	0x2000UL	/* hvm_start_info, then the memmap */
#define CMDLINE_ADDR	0x3000UL
#define CMDLINE_MAX	0x1000UL
#define LOW_RAM_END	0x9fc00UL
#define HIGH_RAM	0x100000UL

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define HVM_START_MAGIC			0x336ec578

#define COM1_THR	0x3f8
#define COM1_LSR	0x3fd
#define DEBUG_EXIT	0xf4

#define CPUID_HV_BASE	0x40000000
#define CPUID_HV_TIMING	0x40000010	/* EAX: TSC frequency in kHz */

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static uint8_t *ram;
static uint64_t ram_size;
static int stats;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kvm_floor: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void __attribute__((noreturn)) finish(int status)
{
	if (stats) {
		long page = sysconf(_SC_PAGESIZE);
		size_t n = (ram_size + page - 1) / page, resident = 0;
		unsigned char *vec = malloc(n);

		if (!vec || mincore(ram, ram_size, vec) < 0)
			die("mincore: %s", strerror(errno));
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
		fprintf(stderr, "guest_pages_resident %zu page_size %ld\n",
			resident, page);
	}
	exit(status);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s: %s", name, strerror(errno));
	return r;
}
#define IOCTL(fd, req, arg) xioctl(fd, req, (void *)(arg), #req)

static void *guest(uint64_t paddr, uint64_t len)
{
	if (paddr > ram_size || len > ram_size - paddr)
		die("0x%llx+0x%llx is outside guest RAM",
		    (unsigned long long)paddr, (unsigned long long)len);
	return ram + paddr;
}

/* Walks one note segment or section; returns the PVH entry or 0. */
static uint64_t find_pvh(const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;

	while (off + sizeof(Elf32_Nhdr) <= len) {
		const Elf32_Nhdr *n = (const void *)(p + off);
		uint64_t name = off + sizeof(*n);
		uint64_t desc = name + ((n->n_namesz + 3) & ~3UL);

		off = desc + ((n->n_descsz + 3) & ~3UL);
		if (off > len)
			break;
		if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
		    !memcmp(p + name, "Xen", 4))
			return n->n_descsz >= 8 ? *(const uint64_t *)(p + desc)
						: *(const uint32_t *)(p + desc);
	}
	return 0;
}

/* Loads the PT_LOAD segments at their p_paddr; returns the PVH entry. */
static uint64_t load_elf(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *f;
	uint64_t entry = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	f = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED || st.st_size < (off_t)sizeof(Elf32_Ehdr) ||
	    memcmp(f, ELFMAG, SELFMAG))
		die("%s: not an ELF file", path);
	close(fd);

	int is64 = f[EI_CLASS] == ELFCLASS64;
	uint64_t phoff = is64 ? ((Elf64_Ehdr *)f)->e_phoff : ((Elf32_Ehdr *)f)->e_phoff;
	unsigned phnum = is64 ? ((Elf64_Ehdr *)f)->e_phnum : ((Elf32_Ehdr *)f)->e_phnum;
	unsigned phent = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (phoff + (uint64_t)phnum * phent > (uint64_t)st.st_size)
		die("%s: bad program headers", path);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * phent;
		uint32_t type = *(const uint32_t *)ph;
		uint64_t off, paddr, filesz, memsz;

		if (is64) {
			const Elf64_Phdr *p = (const void *)ph;

			off = p->p_offset, paddr = p->p_paddr;
			filesz = p->p_filesz, memsz = p->p_memsz;
		} else {
			const Elf32_Phdr *p = (const void *)ph;

			off = p->p_offset, paddr = p->p_paddr;
			filesz = p->p_filesz, memsz = p->p_memsz;
		}
		if (off + filesz > (uint64_t)st.st_size || filesz > memsz)
			die("%s: bad segment %u", path, i);
		if (type == PT_LOAD) {
			/* Fresh anonymous memory is already zero past filesz. */
			memcpy(guest(paddr, memsz), f + off, filesz);
		} else if (type == PT_NOTE && !entry) {
			entry = find_pvh(f + off, filesz);
		}
	}
	munmap(f, st.st_size);
	if (!entry)
		die("%s: no PVH entry note", path);
	return entry;
}

static void setup_boot_info(const char *cmdline)
{
	uint64_t *gdt = guest(GDT_ADDR, 3 * 8);
	struct hvm_start_info *info = guest(INFO_ADDR, sizeof(*info));
	struct hvm_memmap_entry *map = (void *)(info + 1);
	size_t len = strlen(cmdline) + 1;

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;	/* code32: base 0, 4 GiB, RX accessed */
	gdt[2] = 0x00cf93000000ffffULL;	/* data: base 0, 4 GiB, RW accessed */

	if (len > CMDLINE_MAX)
		die("command line too long");
	memcpy(guest(CMDLINE_ADDR, len), cmdline, len);

	/* The same map as kvmlite's, so the guest prints the same bytes. */
	map[0] = (struct hvm_memmap_entry){ 0, LOW_RAM_END, 1, 0 };
	map[1] = (struct hvm_memmap_entry){ LOW_RAM_END, 0xa0000 - LOW_RAM_END, 2, 0 };
	map[2] = (struct hvm_memmap_entry){ 0xf0000, 0x10000, 2, 0 };
	map[3] = (struct hvm_memmap_entry){ HIGH_RAM, ram_size - HIGH_RAM, 1, 0 };
	*info = (struct hvm_start_info){
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = CMDLINE_ADDR,
		.memmap_paddr = INFO_ADDR + sizeof(*info),
		.memmap_entries = 4,
	};
}

/*
 * Points the hypervisor base leaf at the timing leaf and fills it with the
 * TSC frequency, as kvmlite and QEMU's +invtsc do, so that a guest timing
 * itself (exitbench) needs no clock device.  @c has room for two more.
 */
static void add_timing_leaf(struct kvm_cpuid2 *c, int vcpu)
{
	int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
	struct kvm_cpuid_entry2 *base = NULL;

	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == CPUID_HV_BASE)
			base = &c->entries[i];
	if (!base) {
		base = &c->entries[c->nent++];
		*base = (struct kvm_cpuid_entry2){ .function = CPUID_HV_BASE };
	}
	base->eax = CPUID_HV_TIMING;
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){
		.function = CPUID_HV_TIMING, .eax = khz > 0 ? khz : 0,
	};
}

static void set_cpuid(int kvm, int vcpu)
{
	int nent = 64;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + (nent + 2) * sizeof(c->entries[0]));
		if (!c)
			die("out of memory");
		c->nent = nent;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(c);
		nent *= 2;
	}
	add_timing_leaf(c, vcpu);
	IOCTL(vcpu, KVM_SET_CPUID2, c);
	free(c);
}

static void set_regs(int vcpu, uint64_t entry)
{
	struct kvm_sregs s;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_regs r = { .rip = entry, .rbx = INFO_ADDR, .rflags = 2 };

	data.selector = 0x10;
	data.type = 3;

	IOCTL(vcpu, KVM_GET_SREGS, &s);
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.tr = (struct kvm_segment){
		.limit = 0x67, .type = 0xb, .present = 1,
	};
	s.gdt.base = GDT_ADDR;
	s.gdt.limit = 3 * 8 - 1;
	s.cr0 = 0x11;		/* PE | ET */
	s.cr3 = s.cr4 = s.efer = 0;
	IOCTL(vcpu, KVM_SET_SREGS, &s);
	IOCTL(vcpu, KVM_SET_REGS, &r);
}

static void handle_io(struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	size_t len = (size_t)run->io.size * run->io.count;

	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (run->io.port == COM1_THR) {
			if (write(1, data, len) < 0)
				die("write: %s", strerror(errno));
		} else if (run->io.port == DEBUG_EXIT) {
			uint32_t v = 0;

			memcpy(&v, data, run->io.size < 4 ? run->io.size : 4);
			finish((v << 1) | 1);
		}
	} else {
		memset(data, run->io.port == COM1_LSR ? 0x60 : 0xff, len);
	}
}

int main(int argc, char **argv)
{
	uint64_t mib = 64;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-m") && i + 1 < argc)
			mib = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-stats"))
			stats = 1;
		else
			break;
	}
	if (i >= argc || argc - i > 2 || mib < 2) {
		fprintf(stderr, "usage: %s [-m MiB] [-stats] KERNEL [CMDLINE]\n",
			argv[0]);
		return 2;
	}

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		die("/dev/kvm: %s", strerror(errno));
	int vm = IOCTL(kvm, KVM_CREATE_VM, 0);

	ram_size = mib << 20;
	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap %llu MiB: %s", (unsigned long long)mib, strerror(errno));
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = ram_size,
		.userspace_addr = (uintptr_t)ram,
	};
	IOCTL(vm, KVM_SET_USER_MEMORY_REGION, &slot);
	/* After the RAM slot: later memslot changes wait for SRCU. */
	IOCTL(vm, KVM_SET_TSS_ADDR, TSS_ADDR);
	IOCTL(vm, KVM_CREATE_IRQCHIP, 0);

	uint64_t entry = load_elf(argv[i]);

	setup_boot_info(i + 1 < argc ? argv[i + 1] : "");

	int vcpu = IOCTL(vm, KVM_CREATE_VCPU, 0);
	int run_size = IOCTL(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, vcpu, 0);

	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	set_cpuid(kvm, vcpu);
	set_regs(vcpu, entry);

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(run);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_SHUTDOWN:
			die("guest shut down (triple fault?)");
		case KVM_EXIT_INTERNAL_ERROR:
			die("internal error, suberror %u",
			    run->internal.suberror);
		case KVM_EXIT_FAIL_ENTRY:
			die("entry failed, reason 0x%llx", (unsigned long long)
			    run->fail_entry.hardware_entry_failure_reason);
		default:
			die("unhandled exit reason %u", run->exit_reason);
		}
	}
}
