/* SPDX-License-Identifier: MIT */
/*
 * The kernel loaders against synthetic images built in memory: what each
 * boot protocol leaves in guest RAM and in the boot state, and that broken
 * or hostile images fail with one line naming the file.
 *
 * Guest RAM and every image sit next to PROT_NONE guard pages, so a read
 * past the end of a file or a write outside RAM kills the test.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kvmlite/loader.h"
#include "kvmlite/memory.h"

#define KiB		(1ULL << 10)
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define PAGE		4096ULL

/* The standard test image: where its parts sit in the file and in RAM. */
#define PH_OFF		0x40
#define NOTE_OFF	0x200
#define MB_OFF		0x400
#define TEXT_OFF	0x1000
#define TEXT_LEN	0x300
#define IMG_LEN		(TEXT_OFF + TEXT_LEN)
#define KERNEL_PADDR	0x100000ULL
#define KERNEL_MEMSZ	0x3000ULL
#define ELF_ENTRY	0x100010ULL
#define PVH_ENTRY	0x100123ULL

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define MB_HEADER_MAGIC			0x1badb002
#define MB_AOUT_KLUDGE			(1U << 16)

#define PTE_ADDR	0x000ffffffffff000ULL
#define NOT_MAPPED	(~0ULL)

#define KERNEL_PATH	"vmlinux"
#define INITRD_PATH	"initrd.img"
#define NOT_A_KERNEL	KERNEL_PATH ": not a kernel kvmlite can boot " \
			"(supported: Linux bzImage, ELF with a PVH note, " \
			"Multiboot, x86-64 ELF)"

static uint8_t img[64 * KiB];
static char err[1024];
static struct boot_state st;
#define FORMAT		(st.format ? st.format : "(none)")

/* ---- guarded memory ---- */

static void *must_mmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* RAM laid out as guest_mem_init lays it out, between two guard pages. */
static struct guest_mem mem_new(uint64_t size)
{
	struct guest_mem mem = { 0 };
	uint8_t *p = must_mmap(size + 2 * PAGE);

	if (mprotect(p + PAGE, size, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(2);
	}
	mem.host = p + PAGE;
	mem.size = size;
	mem.low_size = size < LOW_RAM_LIMIT ? size : LOW_RAM_LIMIT;
	mem.high_size = size - mem.low_size;
	return mem;
}

static void mem_free(struct guest_mem *mem)
{
	munmap(mem->host - PAGE, mem->size + 2 * PAGE);
}

/* A copy of @data whose last byte is the last before a guard page. */
static struct boot_file file_new(const char *path, const void *data,
				 size_t len)
{
	struct boot_file f = { .path = path };
	size_t pages = (len + PAGE - 1) / PAGE;
	uint8_t *p;

	if (!len)
		return f;
	p = must_mmap((pages + 1) * PAGE);
	mprotect(p, pages * PAGE, PROT_READ | PROT_WRITE);
	memcpy(p + pages * PAGE - len, data, len);
	mprotect(p, pages * PAGE, PROT_READ);
	f.data = p + pages * PAGE - len;
	f.size = len;
	return f;
}

static void file_free(struct boot_file *f)
{
	size_t pages = (f->size + PAGE - 1) / PAGE;

	if (f->size)
		munmap((uint8_t *)f->data + f->size - pages * PAGE,
		       (pages + 1) * PAGE);
}

/* ---- guest memory access ---- */

/* memcpy: multiboot's memory map entries are packed, so unaligned. */
static uint32_t rd32(struct guest_mem *mem, uint64_t gpa)
{
	const void *p = guest_ptr(mem, gpa, 4);
	uint32_t v = 0xdeadbeef;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(struct guest_mem *mem, uint64_t gpa)
{
	const void *p = guest_ptr(mem, gpa, 8);
	uint64_t v = 0xdeadbeefdeadbeefULL;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static const char *rdstr(struct guest_mem *mem, uint64_t gpa)
{
	const char *p = guest_ptr(mem, gpa, 1);

	return p ? p : "(outside RAM)";
}

static bool all_bytes(struct guest_mem *mem, uint64_t gpa, uint64_t len,
		      uint8_t val)
{
	const uint8_t *p = guest_ptr(mem, gpa, len);
	uint64_t i;

	if (!p)
		return false;
	for (i = 0; i < len; i++)
		if (p[i] != val)
			return false;
	return true;
}

static void poison(struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	memset(guest_ptr(mem, gpa, len), 0xcc, len);
}

/* Where the boot page tables send @va, or NOT_MAPPED. */
static uint64_t walk(struct guest_mem *mem, uint64_t va)
{
	uint64_t e = rd64(mem, BOOT_PML4_ADDR + ((va >> 39) & 511) * 8);

	if ((e & 3) != 3)
		return NOT_MAPPED;
	e = rd64(mem, (e & PTE_ADDR) + ((va >> 30) & 511) * 8);
	if ((e & 3) != 3)
		return NOT_MAPPED;
	e = rd64(mem, (e & PTE_ADDR) + ((va >> 21) & 511) * 8);
	if ((e & 0x83) != 0x83)
		return NOT_MAPPED;
	return (e & PTE_ADDR & ~(2 * MiB - 1)) | (va & (2 * MiB - 1));
}

/* ---- image builders ---- */

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/*
 * elf32_header() and elf64_header(), elf32_phdr() and elf64_phdr(): the
 * same fields, laid out for either class.
 */
#define DEFINE_ELF_BUILDERS(bits)					\
static void elf##bits##_header(uint8_t *d, uint16_t machine,		\
			       uint##bits##_t entry, uint16_t phnum)	\
{									\
	Elf##bits##_Ehdr *eh = (Elf##bits##_Ehdr *)d;			\
									\
	memset(eh, 0, sizeof(*eh));					\
	memcpy(eh->e_ident, ELFMAG, SELFMAG);				\
	eh->e_ident[EI_CLASS] = ELFCLASS##bits;				\
	eh->e_ident[EI_DATA] = ELFDATA2LSB;				\
	eh->e_ident[EI_VERSION] = EV_CURRENT;				\
	eh->e_type = ET_EXEC;						\
	eh->e_machine = machine;					\
	eh->e_version = EV_CURRENT;					\
	eh->e_entry = entry;						\
	eh->e_phoff = PH_OFF;						\
	eh->e_ehsize = sizeof(*eh);					\
	eh->e_phentsize = sizeof(Elf##bits##_Phdr);			\
	eh->e_phnum = phnum;						\
}									\
									\
static Elf##bits##_Phdr *elf##bits##_phdr(uint8_t *d, int i, uint32_t type, \
					  uint##bits##_t off,		\
					  uint##bits##_t paddr,		\
					  uint##bits##_t filesz,	\
					  uint##bits##_t memsz)		\
{									\
	Elf##bits##_Phdr *ph = (Elf##bits##_Phdr *)(d + PH_OFF) + i;	\
									\
	memset(ph, 0, sizeof(*ph));					\
	ph->p_type = type;						\
	ph->p_offset = off;						\
	ph->p_vaddr = paddr;						\
	ph->p_paddr = paddr;						\
	ph->p_filesz = filesz;						\
	ph->p_memsz = memsz;						\
	return ph;							\
}

DEFINE_ELF_BUILDERS(32)
DEFINE_ELF_BUILDERS(64)

/* One ELF note at @p; returns its size. */
static size_t elf_note(uint8_t *p, uint32_t namesz, const char *name,
		       uint32_t type, uint32_t descsz, const void *desc)
{
	Elf32_Nhdr *nh = (Elf32_Nhdr *)p;
	size_t name_len = strlen(name) + 1;
	size_t name_pad = (name_len + 3) & ~3UL;

	nh->n_namesz = namesz;
	nh->n_descsz = descsz;
	nh->n_type = type;
	memset(p + sizeof(*nh), 0, name_pad);
	memcpy(p + sizeof(*nh), name, name_len);
	if (desc)
		memcpy(p + sizeof(*nh) + name_pad, desc, descsz);
	return sizeof(*nh) + name_pad + (desc ? (descsz + 3) & ~3UL : 0);
}

static size_t pvh_note(uint8_t *p, uint32_t entry)
{
	return elf_note(p, 4, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, 4, &entry);
}

/* An i386 ELF with one PT_LOAD of TEXT_LEN bytes, then bss, at 1 MiB. */
static size_t elf32_kernel(uint8_t *d, uint16_t phnum)
{
	memset(d, 0, IMG_LEN);
	elf32_header(d, EM_386, ELF_ENTRY, phnum);
	elf32_phdr(d, 0, PT_LOAD, TEXT_OFF, KERNEL_PADDR, TEXT_LEN,
		   KERNEL_MEMSZ);
	pattern(d + TEXT_OFF, TEXT_LEN, 0x11);
	return IMG_LEN;
}

static size_t pvh_kernel(uint8_t *d)
{
	size_t len = elf32_kernel(d, 2);

	elf32_phdr(d, 1, PT_NOTE, NOTE_OFF, 0, pvh_note(d + NOTE_OFF,
		   PVH_ENTRY), 0);
	return len;
}

static uint32_t *mb_header(uint8_t *p, uint32_t flags)
{
	uint32_t *h = (uint32_t *)p;

	memset(h, 0, 32);
	h[0] = MB_HEADER_MAGIC;
	h[1] = flags;
	h[2] = -(MB_HEADER_MAGIC + flags);
	return h;
}

static size_t mb_elf_kernel(uint8_t *d, uint32_t flags)
{
	size_t len = elf32_kernel(d, 1);

	mb_header(d + MB_OFF, flags);
	return len;
}

static size_t elf64_kernel(uint8_t *d, uint16_t machine)
{
	memset(d, 0, IMG_LEN);
	elf64_header(d, machine, ELF_ENTRY, 1);
	elf64_phdr(d, 0, PT_LOAD, TEXT_OFF, KERNEL_PADDR, TEXT_LEN,
		   KERNEL_MEMSZ);
	pattern(d + TEXT_OFF, TEXT_LEN, 0x22);
	return IMG_LEN;
}

/*
 * An a.out-kludge image: the header at file offset @hdr_off says it is at
 * @load + @hdr_delta in RAM, so the file from hdr_off - hdr_delta loads
 * at @load.
 */
static uint32_t *kludge_kernel(uint8_t *d, size_t len, uint32_t hdr_off,
			       uint32_t hdr_delta, uint32_t load,
			       uint32_t load_end, uint32_t bss_end,
			       uint32_t entry)
{
	uint32_t *h;

	pattern(d, len, 0x33);
	h = mb_header(d + hdr_off, 0x3 | MB_AOUT_KLUDGE);
	h[3] = load + hdr_delta;
	h[4] = load;
	h[5] = load_end;
	h[6] = bss_end;
	h[7] = entry;
	return h;
}

/*
 * A bzImage: boot sector and one setup sector, then the protected-mode
 * kernel, relocatable to BZ_PREF, 64-bit, protocol 2.15.  The header
 * fields are at their boot.rst offsets.
 */
#define BZ_SETUP_LEN	0x400
#define BZ_KERNEL_LEN	(IMG_LEN - BZ_SETUP_LEN)
#define BZ_PREF		0x200000ULL
#define BZ_INIT_SIZE	0x10000
#define BZ_PARAMS	BOOT_INFO_ADDR

static void put16(uint8_t *d, size_t off, uint16_t v)
{
	memcpy(d + off, &v, sizeof(v));
}

static void put32(uint8_t *d, size_t off, uint32_t v)
{
	memcpy(d + off, &v, sizeof(v));
}

static void put64(uint8_t *d, size_t off, uint64_t v)
{
	memcpy(d + off, &v, sizeof(v));
}

static size_t bz_kernel(uint8_t *d)
{
	memset(d, 0, IMG_LEN);
	d[0x1f1] = BZ_SETUP_LEN / 512 - 1;		/* setup_sects */
	put32(d, 0x1f4, BZ_KERNEL_LEN / 16);		/* syssize */
	put16(d, 0x1fe, 0xaa55);			/* boot_flag */
	d[0x200] = 0xeb;				/* jump */
	d[0x201] = 0x26c - 0x202;
	memcpy(d + 0x202, "HdrS", 4);
	put16(d, 0x206, 0x020f);			/* version */
	d[0x211] = 0x01;				/* LOADED_HIGH */
	put32(d, 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(d, 0x230, 0x200000);			/* kernel_alignment */
	d[0x234] = 1;					/* relocatable */
	put16(d, 0x236, 0x1);				/* XLF_KERNEL_64 */
	put32(d, 0x238, 255);				/* cmdline_size */
	put64(d, 0x258, BZ_PREF);			/* pref_address */
	put32(d, 0x260, BZ_INIT_SIZE);			/* init_size */
	pattern(d + BZ_SETUP_LEN, BZ_KERNEL_LEN, 0x44);
	return IMG_LEN;
}

/* ---- loading ---- */

static int load(struct guest_mem *mem, const struct boot_file *kernel,
		const struct boot_file *initrd, const char *cmdline)
{
	struct boot_files files = { .kernel = *kernel, .cmdline = cmdline };

	if (initrd)
		files.initrd = *initrd;
	strcpy(err, "(no error)");
	memset(&st, 0xa5, sizeof(st));
	return loader_load(mem, &files, &st, err, sizeof(err));
}

/* Loads @len bytes of img as the kernel (and @initrd, if not NULL). */
static int load_kernel(struct guest_mem *mem, size_t len,
		       const struct boot_file *initrd, const char *cmdline)
{
	struct boot_file k = file_new(KERNEL_PATH, img, len);
	int ret = load(mem, &k, initrd, cmdline);

	file_free(&k);
	return ret;
}

/* Loads @len bytes of img as the kernel into fresh RAM of @ram bytes. */
static int load_img(uint64_t ram, size_t len, const char *cmdline)
{
	struct guest_mem mem = mem_new(ram);
	int ret = load_kernel(&mem, len, NULL, cmdline);

	mem_free(&mem);
	return ret;
}

#define EXPECT_OK(ret)							\
	do {								\
		CHECK_EQ(ret, 0);					\
		CHECK_STR(err, "(no error)");				\
	} while (0)

#define EXPECT_FAIL(ret, msg)						\
	do {								\
		CHECK_EQ(ret, -1);					\
		CHECK_STR(err, msg);					\
	} while (0)

/* For messages whose numbers are checked elsewhere. */
#define EXPECT_FAIL_WITH(ret, part)					\
	do {								\
		CHECK_EQ(ret, -1);					\
		CHECK(strstr(err, KERNEL_PATH ": ") == err);		\
		CHECK(strstr(err, part) != NULL);			\
		CHECK(strchr(err, '\n') == NULL);			\
	} while (0)

/* ---- PVH ---- */

TEST(pvh_boots_at_note_entry_in_protected_mode)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL, "console=ttyS0"));
	CHECK_STR(FORMAT, "pvh");
	CHECK_EQ(st.mode, BOOT_PROTECTED32);
	CHECK_EQ(st.entry, PVH_ENTRY);
	CHECK_EQ(st.rbx, BOOT_INFO_ADDR);
	CHECK_EQ(st.rax, 0);
	CHECK_EQ(st.rsi, 0);
	CHECK_EQ(st.rdi, 0);
	mem_free(&mem);
}

TEST(pvh_copies_segment_and_zeroes_bss)
{
	struct guest_mem mem = mem_new(8 * MiB);

	/* As after a reset that did not clear RAM: the bss must be zeroed. */
	poison(&mem, KERNEL_PADDR, 2 * KERNEL_MEMSZ);
	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL, ""));
	CHECK(!memcmp(guest_ptr(&mem, KERNEL_PADDR, TEXT_LEN), img + TEXT_OFF,
		      TEXT_LEN));
	CHECK(all_bytes(&mem, KERNEL_PADDR + TEXT_LEN,
			KERNEL_MEMSZ - TEXT_LEN, 0));
	/* Nothing past memsz is touched. */
	CHECK(all_bytes(&mem, KERNEL_PADDR + KERNEL_MEMSZ, KERNEL_MEMSZ, 0xcc));
	mem_free(&mem);
}

TEST(pvh_start_info_fields)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL,
			      "console=ttyS0 quiet"));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + 0), 0x336ec578);	/* magic */
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + 4), 1);	/* version */
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + 8), 0);		/* flags */
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + 12), 0);	/* nr_modules */
	CHECK_EQ(rd64(&mem, BOOT_INFO_ADDR + 16), 0);	/* modlist */
	CHECK_EQ(rd64(&mem, BOOT_INFO_ADDR + 24), BOOT_CMDLINE_ADDR);
	CHECK_EQ(rd64(&mem, BOOT_INFO_ADDR + 32), 0);		/* rsdp */
	CHECK_STR(rdstr(&mem, rd64(&mem, BOOT_INFO_ADDR + 24)),
		  "console=ttyS0 quiet");
	mem_free(&mem);
}

static void check_pvh_memmap(struct guest_mem *mem)
{
	struct e820_entry e820[MAX_E820_ENTRIES];
	int i, n = guest_mem_e820(mem, e820);
	uint64_t map = rd64(mem, BOOT_INFO_ADDR + 40);

	CHECK_EQ(map, BOOT_MEMMAP_ADDR);
	CHECK_EQ(rd32(mem, BOOT_INFO_ADDR + 48), n);
	for (i = 0; i < n; i++) {
		uint64_t e = map + i * 24;

		CHECK_EQ(rd64(mem, e + 0), e820[i].addr);
		CHECK_EQ(rd64(mem, e + 8), e820[i].size);
		CHECK_EQ(rd32(mem, e + 16), e820[i].type);
		CHECK_EQ(rd32(mem, e + 20), 0);
	}
}

/* The memory map is the e820, @nr entries, the last @size bytes at @addr. */
static void check_pvh_memmap_ends(struct guest_mem *mem, uint32_t nr,
				  uint64_t addr, uint64_t size)
{
	uint64_t last = BOOT_MEMMAP_ADDR + (nr - 1) * 24;

	check_pvh_memmap(mem);
	CHECK_EQ(rd32(mem, BOOT_INFO_ADDR + 48), nr);
	CHECK_EQ(rd64(mem, last), addr);
	CHECK_EQ(rd64(mem, last + 8), size);
}

TEST(pvh_memmap_is_the_e820)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL, ""));
	/* 0-EBDA, EBDA, BIOS area, 1 MiB-8 MiB: the map as a PC has it. */
	check_pvh_memmap_ends(&mem, 4, 1 * MiB, 7 * MiB);
	mem_free(&mem);
}

TEST(pvh_memmap_covers_high_ram)
{
	struct guest_mem mem = mem_new(5 * GiB);

	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL, ""));
	check_pvh_memmap_ends(&mem, 5, 4 * GiB, 2 * GiB);
	CHECK_EQ(rd32(&mem, BOOT_MEMMAP_ADDR + 4 * 24 + 16), E820_RAM);
	mem_free(&mem);
}

TEST(pvh_initrd_is_module_at_top_of_low_ram)
{
	static uint8_t rd[0x1234];
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file r;
	uint64_t mod, addr;

	pattern(rd, sizeof(rd), 0x44);
	r = file_new(INITRD_PATH, rd, sizeof(rd));
	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), &r, ""));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + 12), 1);
	mod = rd64(&mem, BOOT_INFO_ADDR + 16);
	CHECK_EQ(mod, BOOT_MODLIST_ADDR);
	addr = rd64(&mem, mod);
	CHECK_EQ(addr, (8 * MiB - sizeof(rd)) & ~(PAGE - 1));
	CHECK_EQ(addr % PAGE, 0);
	CHECK(addr + sizeof(rd) <= mem.low_size);
	CHECK(addr >= KERNEL_PADDR + KERNEL_MEMSZ);
	CHECK_EQ(rd64(&mem, mod + 8), sizeof(rd));
	CHECK_EQ(rd64(&mem, mod + 16), 0);	/* no module command line */
	CHECK_EQ(rd64(&mem, mod + 24), 0);
	CHECK(!memcmp(guest_ptr(&mem, addr, sizeof(rd)), rd, sizeof(rd)));
	file_free(&r);
	mem_free(&mem);
}

TEST(pvh_initrd_stays_below_low_ram_top_with_high_ram)
{
	static uint8_t rd[3 * PAGE];
	struct guest_mem mem = mem_new(5 * GiB);
	struct boot_file r;

	pattern(rd, sizeof(rd), 0x55);
	r = file_new(INITRD_PATH, rd, sizeof(rd));
	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), &r, ""));
	CHECK_EQ(rd64(&mem, BOOT_MODLIST_ADDR), LOW_RAM_LIMIT - sizeof(rd));
	CHECK(!memcmp(guest_ptr(&mem, LOW_RAM_LIMIT - sizeof(rd), sizeof(rd)),
		      rd, sizeof(rd)));
	file_free(&r);
	mem_free(&mem);
}

/* The image of @len bytes in img must boot PVH at @entry. */
static void check_boots_pvh(size_t len, uint64_t entry)
{
	EXPECT_OK(load_img(8 * MiB, len, ""));
	CHECK_STR(FORMAT, "pvh");
	CHECK_EQ(st.entry, entry);
}

TEST(pvh_note_with_8_byte_desc_uses_low_word)
{
	uint64_t entry = 0xabcd000000100200ULL;
	size_t len = elf32_kernel(img, 2);

	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0,
		   elf_note(img + NOTE_OFF, 4, "Xen", 18, 8, &entry), 0);
	check_boots_pvh(len, 0x100200);
}

TEST(pvh_note_found_after_other_notes)
{
	uint32_t desc = 0x12345678;
	size_t len = elf32_kernel(img, 2), n;

	/* Same type, wrong name; right name, wrong type; then the note. */
	n = elf_note(img + NOTE_OFF, 4, "Lin", 18, 4, &desc);
	n += elf_note(img + NOTE_OFF + n, 4, "Xen", 17, 4, &desc);
	n += pvh_note(img + NOTE_OFF + n, PVH_ENTRY);
	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0, n, 0);
	check_boots_pvh(len, PVH_ENTRY);
}

TEST(pvh_note_in_elf64_boots_pvh)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	((Elf64_Ehdr *)img)->e_phnum = 2;
	elf64_phdr(img, 1, PT_NOTE, NOTE_OFF, 0, pvh_note(img + NOTE_OFF,
		   PVH_ENTRY), 0);
	check_boots_pvh(len, PVH_ENTRY);
	CHECK_EQ(st.mode, BOOT_PROTECTED32);
}

TEST(reload_after_reset_gives_same_state)
{
	static uint8_t rd[PAGE];
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file k = file_new(KERNEL_PATH, img, pvh_kernel(img));
	struct boot_file r = file_new(INITRD_PATH, rd, sizeof(rd));
	struct boot_state first;

	EXPECT_OK(load(&mem, &k, &r, "x"));
	first = st;
	poison(&mem, 0, 8 * MiB);
	EXPECT_OK(load(&mem, &k, &r, "x"));
	CHECK(!memcmp(&first, &st, sizeof(st)));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR), 0x336ec578);
	CHECK(all_bytes(&mem, KERNEL_PADDR + TEXT_LEN,
			KERNEL_MEMSZ - TEXT_LEN, 0));
	CHECK(all_bytes(&mem, 8 * MiB - PAGE, PAGE, 0));
	file_free(&r);
	file_free(&k);
	mem_free(&mem);
}

/* ---- Multiboot ---- */

#define MBI_FLAGS	(1U << 0 | 1U << 2 | 1U << 6 | 1U << 9)
#define MBI_MODS	(1U << 3)

/* Offsets in the multiboot information structure (spec 0.6.96, 3.3). */
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME		64

TEST(multiboot_elf_boots_with_magic)
{
	struct guest_mem mem = mem_new(8 * MiB);

	poison(&mem, KERNEL_PADDR, KERNEL_MEMSZ);
	EXPECT_OK(load_kernel(&mem, mb_elf_kernel(img, 0x3), NULL, "args"));
	CHECK_STR(FORMAT, "multiboot");
	CHECK_EQ(st.mode, BOOT_PROTECTED32);
	CHECK_EQ(st.entry, ELF_ENTRY);
	CHECK_EQ(st.rax, 0x2badb002);
	CHECK_EQ(st.rbx, BOOT_INFO_ADDR);
	CHECK(!memcmp(guest_ptr(&mem, KERNEL_PADDR, TEXT_LEN), img + TEXT_OFF,
		      TEXT_LEN));
	CHECK(all_bytes(&mem, KERNEL_PADDR + TEXT_LEN,
			KERNEL_MEMSZ - TEXT_LEN, 0));
	mem_free(&mem);
}

TEST(multiboot_info_fields)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, mb_elf_kernel(img, 0x3), NULL,
			      "console=ttyS0 debug"));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR), MBI_FLAGS);
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MEM_LOWER), 639);
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MEM_UPPER), 7 * 1024);
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MODS_COUNT), 0);
	CHECK_STR(rdstr(&mem, rd32(&mem, BOOT_INFO_ADDR + MBI_CMDLINE)),
		  KERNEL_PATH " console=ttyS0 debug");
	CHECK_STR(rdstr(&mem, rd32(&mem, BOOT_INFO_ADDR + MBI_LOADER_NAME)),
		  "kvmlite");
	mem_free(&mem);
}

static void check_mb_mmap(struct guest_mem *mem)
{
	struct e820_entry e820[MAX_E820_ENTRIES];
	int i, n = guest_mem_e820(mem, e820);
	uint64_t map = rd32(mem, BOOT_INFO_ADDR + MBI_MMAP_ADDR);

	CHECK_EQ(rd32(mem, BOOT_INFO_ADDR + MBI_MMAP_LENGTH), n * 24);
	for (i = 0; i < n; i++) {
		uint64_t e = map + i * 24;

		CHECK_EQ(rd32(mem, e), 20);
		CHECK_EQ(rd64(mem, e + 4), e820[i].addr);
		CHECK_EQ(rd64(mem, e + 12), e820[i].size);
		CHECK_EQ(rd32(mem, e + 20), e820[i].type);
	}
}

TEST(multiboot_mmap_is_the_e820)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, mb_elf_kernel(img, 0x3), NULL, ""));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MMAP_LENGTH), 4 * 24);
	check_mb_mmap(&mem);
	mem_free(&mem);
}

TEST(multiboot_with_high_ram)
{
	struct guest_mem mem = mem_new(5 * GiB);

	EXPECT_OK(load_kernel(&mem, mb_elf_kernel(img, 0x3), NULL, ""));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MEM_UPPER),
		 (3 * GiB - 1 * MiB) / KiB);
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MMAP_LENGTH), 5 * 24);
	check_mb_mmap(&mem);
	mem_free(&mem);
}

TEST(multiboot_initrd_is_module)
{
	static uint8_t rd[2 * PAGE + 5];
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file r;
	uint32_t mod, start;

	pattern(rd, sizeof(rd), 0x66);
	r = file_new(INITRD_PATH, rd, sizeof(rd));
	EXPECT_OK(load_kernel(&mem, mb_elf_kernel(img, 0x3), &r, ""));
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR), MBI_FLAGS | MBI_MODS);
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR + MBI_MODS_COUNT), 1);
	mod = rd32(&mem, BOOT_INFO_ADDR + MBI_MODS_ADDR);
	CHECK_EQ(mod, BOOT_MODLIST_ADDR);
	start = rd32(&mem, mod);
	CHECK_EQ(start, 8 * MiB - 3 * PAGE);
	CHECK_EQ(rd32(&mem, mod + 4), start + sizeof(rd));
	CHECK_STR(rdstr(&mem, rd32(&mem, mod + 8)), INITRD_PATH);
	CHECK_EQ(rd32(&mem, mod + 12), 0);
	CHECK(!memcmp(guest_ptr(&mem, start, sizeof(rd)), rd, sizeof(rd)));
	/* The module string does not clobber the loader name. */
	CHECK_STR(rdstr(&mem, rd32(&mem, BOOT_INFO_ADDR + MBI_LOADER_NAME)),
		  "kvmlite");
	file_free(&r);
	mem_free(&mem);
}

TEST(multiboot_header_only_counts_in_first_8k)
{
	memset(img, 0, 16 * KiB);
	elf32_kernel(img, 1);
	mb_header(img + 8 * KiB, 0x3);
	EXPECT_FAIL(load_img(8 * MiB, 16 * KiB, ""), NOT_A_KERNEL);
	memset(img + 8 * KiB, 0, 32);
	mb_header(img + 8 * KiB - 12, 0x3);
	EXPECT_OK(load_img(8 * MiB, 16 * KiB, ""));
	CHECK_STR(FORMAT, "multiboot");
}

TEST(multiboot_optional_flag_bits_are_ignored)
{
	EXPECT_OK(load_img(8 * MiB, mb_elf_kernel(img, 0x3 | 0x80000000), ""));
	EXPECT_OK(load_img(8 * MiB, mb_elf_kernel(img, 0), ""));
}

TEST(multiboot_unknown_required_flags_fail)
{
	EXPECT_FAIL(load_img(8 * MiB, mb_elf_kernel(img, 0x8003), ""),
		    KERNEL_PATH ": multiboot header requests features "
		    "kvmlite does not provide (flags 0x8003)");
	/* Video mode: kvmlite has no framebuffer to describe. */
	EXPECT_FAIL(load_img(8 * MiB, mb_elf_kernel(img, 0x7), ""),
		    KERNEL_PATH ": multiboot header requests features "
		    "kvmlite does not provide (flags 0x7)");
}

TEST(multiboot_bad_checksum_is_not_multiboot)
{
	size_t len = mb_elf_kernel(img, 0x3);

	((uint32_t *)(img + MB_OFF))[2]++;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
}

TEST(multiboot_without_elf_or_kludge_fails)
{
	memset(img, 0x90, 4096);
	mb_header(img + 0x20, 0x3);
	EXPECT_FAIL(load_img(8 * MiB, 4096, ""), KERNEL_PATH ": a multiboot "
		    "kernel must be a 32-bit ELF or use the a.out kludge");
	/* An i386 header check: an ELF32 for ARM is not a multiboot ELF. */
	mb_elf_kernel(img, 0x3);
	((Elf32_Ehdr *)img)->e_machine = EM_ARM;
	EXPECT_FAIL(load_img(8 * MiB, IMG_LEN, ""), KERNEL_PATH ": a multiboot "
		    "kernel must be a 32-bit ELF or use the a.out kludge");
}

TEST(multiboot_header_in_elf64_boots_elf64)
{
	size_t len = elf64_kernel(img, EM_X86_64);
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file k;

	mb_header(img + MB_OFF, 0x3);
	k = file_new(KERNEL_PATH, img, len);
	EXPECT_OK(load(&mem, &k, NULL, ""));
	CHECK_STR(FORMAT, "elf64");
	CHECK_EQ(st.mode, BOOT_LONG64);
	CHECK_EQ(st.rax, 0);
	file_free(&k);
	mem_free(&mem);
	/* Even with flags it could not honour. */
	mb_header(img + MB_OFF, 0xffff);
	EXPECT_OK(load_img(8 * MiB, len, ""));
}

/* ---- Multiboot a.out kludge ---- */

TEST(kludge_loads_at_load_addr_and_zeroes_bss)
{
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file k;
	uint32_t at = 0x200000;

	/* The file from 0x100 holds the image; its header is 0x40 in. */
	kludge_kernel(img, 0x2000, 0x140, 0x40, at, at + 0x1800,
		      at + 0x4000, at + 0x80);
	k = file_new(KERNEL_PATH, img, 0x2000);
	poison(&mem, at - PAGE, 0x6000);
	EXPECT_OK(load(&mem, &k, NULL, "a b"));
	CHECK_STR(FORMAT, "multiboot");
	CHECK_EQ(st.mode, BOOT_PROTECTED32);
	CHECK_EQ(st.entry, at + 0x80);
	CHECK_EQ(st.rax, 0x2badb002);
	CHECK_EQ(st.rbx, BOOT_INFO_ADDR);
	CHECK(!memcmp(guest_ptr(&mem, at, 0x1800), img + 0x100, 0x1800));
	CHECK(all_bytes(&mem, at + 0x1800, 0x4000 - 0x1800, 0));
	CHECK(all_bytes(&mem, at - PAGE, PAGE, 0xcc));
	CHECK(all_bytes(&mem, at + 0x4000, 0x1000, 0xcc));
	CHECK_STR(rdstr(&mem, BOOT_CMDLINE_ADDR), KERNEL_PATH " a b");
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR), MBI_FLAGS);
	file_free(&k);
	mem_free(&mem);
}

TEST(kludge_zero_load_end_and_bss_end_load_whole_file)
{
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file k;
	uint32_t at = 0x300000;

	kludge_kernel(img, 0x1803, 0x10, 0x10, at, 0, 0, at);
	k = file_new(KERNEL_PATH, img, 0x1803);
	poison(&mem, at, 0x3000);
	EXPECT_OK(load(&mem, &k, NULL, ""));
	CHECK(!memcmp(guest_ptr(&mem, at, 0x1803), img, 0x1803));
	CHECK(all_bytes(&mem, at + 0x1803, 0x10, 0xcc));
	file_free(&k);
	mem_free(&mem);
}

TEST(kludge_initrd_goes_above_bss)
{
	static uint8_t rd[0x100000];
	struct guest_mem mem = mem_new(4 * MiB);
	struct boot_file k, r;
	uint32_t at = 0x100000;

	/* bss up to 3 MiB: a 1 MiB initrd just fits at 3 MiB. */
	kludge_kernel(img, 0x1000, 0, 0, at, 0, 3 * MiB, at);
	k = file_new(KERNEL_PATH, img, 0x1000);
	r = file_new(INITRD_PATH, rd, sizeof(rd));
	EXPECT_OK(load(&mem, &k, &r, ""));
	CHECK_EQ(rd32(&mem, BOOT_MODLIST_ADDR), 3 * MiB);
	file_free(&k);
	/* One byte more of bss and it no longer does. */
	kludge_kernel(img, 0x1000, 0, 0, at, 0, 3 * MiB + 1, at);
	k = file_new(KERNEL_PATH, img, 0x1000);
	EXPECT_FAIL(load(&mem, &k, &r, ""), INITRD_PATH ": the initrd "
		    "(1048576 bytes) does not fit in guest RAM between the "
		    "kernel and 0x400000");
	file_free(&r);
	file_free(&k);
	mem_free(&mem);
}

#define KLUDGE_BAD	KERNEL_PATH ": inconsistent multiboot a.out addresses"

TEST(kludge_header_addr_below_load_addr_fails)
{
	kludge_kernel(img, 0x2000, 0x100, 0, 0x200000, 0, 0, 0x200000);
	((uint32_t *)(img + 0x100))[3] = 0x1fffff;
	EXPECT_FAIL(load_img(8 * MiB, 0x2000, ""), KLUDGE_BAD);
}

TEST(kludge_header_delta_beyond_file_start_fails)
{
	/* The header claims to be 0x200 into the image but is 0x100 in. */
	kludge_kernel(img, 0x2000, 0x100, 0x200, 0x200000, 0, 0, 0x200000);
	EXPECT_FAIL(load_img(8 * MiB, 0x2000, ""), KLUDGE_BAD);
}

TEST(kludge_load_end_below_load_fails)
{
	kludge_kernel(img, 0x2000, 0x100, 0x100, 0x200000, 0x1fffff, 0,
		      0x200000);
	EXPECT_FAIL(load_img(8 * MiB, 0x2000, ""), KLUDGE_BAD);
}

TEST(kludge_load_end_beyond_file_fails)
{
	kludge_kernel(img, 0x2000, 0x100, 0x100, 0x200000, 0x202001, 0,
		      0x200000);
	EXPECT_FAIL(load_img(8 * MiB, 0x2000, ""), KLUDGE_BAD);
	/* Exactly the file loads. */
	kludge_kernel(img, 0x2000, 0x100, 0x100, 0x200000, 0x202000, 0,
		      0x200000);
	EXPECT_OK(load_img(8 * MiB, 0x2000, ""));
}

TEST(kludge_bss_end_below_load_end_fails)
{
	kludge_kernel(img, 0x2000, 0x100, 0x100, 0x200000, 0x201000,
		      0x200fff, 0x200000);
	EXPECT_FAIL(load_img(8 * MiB, 0x2000, ""), KLUDGE_BAD);
}

TEST(kludge_header_cut_by_end_of_file_fails)
{
	/* The magic, flags and checksum are there; the addresses are not. */
	kludge_kernel(img, 0x1000, 0xff4, 0, 0x200000, 0, 0, 0x200000);
	EXPECT_FAIL(load_img(8 * MiB, 0x1000, ""), KLUDGE_BAD);
}

TEST(kludge_below_1m_fails)
{
	kludge_kernel(img, 0x1000, 0, 0, 0x80000, 0, 0, 0x80000);
	EXPECT_FAIL(load_img(8 * MiB, 0x1000, ""), KERNEL_PATH ": loads at "
		    "0x80000, below 1 MiB, where kvmlite keeps the boot data");
}

TEST(kludge_bss_beyond_ram_fails)
{
	kludge_kernel(img, 0x1000, 0, 0, 0x700000, 0, 0xffffffff, 0x700000);
	EXPECT_FAIL(load_img(8 * MiB, 0x1000, ""), KERNEL_PATH ": needs guest "
		    "RAM at 0x700000-0xfffffffe, which this -m does not "
		    "provide");
}

/* ---- ELF64 ---- */

TEST(elf64_boots_in_long_mode)
{
	struct guest_mem mem = mem_new(8 * MiB);

	poison(&mem, KERNEL_PADDR, KERNEL_MEMSZ);
	EXPECT_OK(load_kernel(&mem, elf64_kernel(img, EM_X86_64), NULL,
			      "root=/dev/vda"));
	CHECK_STR(FORMAT, "elf64");
	CHECK_EQ(st.mode, BOOT_LONG64);
	CHECK_EQ(st.entry, ELF_ENTRY);
	CHECK_EQ(st.rdi, BOOT_CMDLINE_ADDR);
	CHECK_EQ(st.rsi, BOOT_INFO_ADDR);
	CHECK_EQ(st.rax, 0);
	CHECK_EQ(st.rbx, 0);
	CHECK_STR(rdstr(&mem, BOOT_CMDLINE_ADDR), "root=/dev/vda");
	CHECK(!memcmp(guest_ptr(&mem, KERNEL_PADDR, TEXT_LEN), img + TEXT_OFF,
		      TEXT_LEN));
	CHECK(all_bytes(&mem, KERNEL_PADDR + TEXT_LEN,
			KERNEL_MEMSZ - TEXT_LEN, 0));
	/* rsi: an hvm_start_info with the memory map. */
	CHECK_EQ(rd32(&mem, BOOT_INFO_ADDR), 0x336ec578);
	check_pvh_memmap(&mem);
	mem_free(&mem);
}

TEST(elf64_identity_maps_low_4g)
{
	struct guest_mem mem = mem_new(8 * MiB);

	EXPECT_OK(load_kernel(&mem, elf64_kernel(img, EM_X86_64), NULL, ""));
	CHECK_EQ(rd64(&mem, BOOT_PML4_ADDR), BOOT_PDPT_ADDR | 3);
	CHECK_EQ(rd64(&mem, BOOT_PML4_ADDR + 8), 0);
	CHECK_EQ(rd64(&mem, BOOT_PDPT_ADDR + 3 * 8),
		 (BOOT_PD_ADDR + 3 * PAGE) | 3);
	CHECK_EQ(rd64(&mem, BOOT_PD_ADDR + 3 * PAGE + 8),
		 (3 * GiB + 2 * MiB) | 0x83);
	CHECK_EQ(walk(&mem, 0), 0);
	CHECK_EQ(walk(&mem, ELF_ENTRY), ELF_ENTRY);
	CHECK_EQ(walk(&mem, 3 * GiB + 2 * MiB + 0x1234),
		 3 * GiB + 2 * MiB + 0x1234);
	/* The MMIO hole (LAPIC, IOAPIC) is reachable too. */
	CHECK_EQ(walk(&mem, 0xfee00000), 0xfee00000);
	CHECK_EQ(walk(&mem, 4 * GiB - 1), 4 * GiB - 1);
	CHECK_EQ(walk(&mem, 4 * GiB), NOT_MAPPED);
	mem_free(&mem);
}

TEST(elf64_maps_high_ram)
{
	struct guest_mem mem = mem_new(5 * GiB);

	EXPECT_OK(load_kernel(&mem, elf64_kernel(img, EM_X86_64), NULL, ""));
	/* 3 GiB low, 2 GiB from 4 GiB: RAM ends at 6 GiB. */
	CHECK_EQ(walk(&mem, 4 * GiB), 4 * GiB);
	CHECK_EQ(walk(&mem, 5 * GiB + 2 * MiB + 5), 5 * GiB + 2 * MiB + 5);
	CHECK_EQ(walk(&mem, 6 * GiB - 1), 6 * GiB - 1);
	CHECK_EQ(walk(&mem, 6 * GiB), NOT_MAPPED);
	mem_free(&mem);
}

TEST(elf64_segment_in_high_ram_loads)
{
	size_t len = elf64_kernel(img, EM_X86_64);
	struct guest_mem mem = mem_new(5 * GiB);
	struct boot_file k;

	((Elf64_Ehdr *)img)->e_phnum = 2;
	elf64_phdr(img, 1, PT_LOAD, TEXT_OFF, 4 * GiB + 1 * MiB, TEXT_LEN,
		   0x2000);
	k = file_new(KERNEL_PATH, img, len);
	EXPECT_OK(load(&mem, &k, NULL, ""));
	CHECK(!memcmp(guest_ptr(&mem, 4 * GiB + 1 * MiB, TEXT_LEN),
		      img + TEXT_OFF, TEXT_LEN));
	CHECK(!memcmp(mem.host + 3 * GiB + 1 * MiB, img + TEXT_OFF,
		      TEXT_LEN));
	file_free(&k);
	mem_free(&mem);
}

TEST(elf64_for_other_machine_fails)
{
	EXPECT_FAIL(load_img(8 * MiB, elf64_kernel(img, EM_AARCH64), ""),
		    KERNEL_PATH ": ELF64 file for machine 183, not x86-64");
}

TEST(elf32_without_note_or_header_fails)
{
	EXPECT_FAIL(load_img(8 * MiB, elf32_kernel(img, 1), ""), NOT_A_KERNEL);
}

/* ---- broken ELF files ---- */

TEST(random_bytes_fail_listing_formats)
{
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < sizeof(img); i++) {
		x = x * 1103515245 + 12345;
		img[i] = x >> 16;
	}
	EXPECT_FAIL(load_img(8 * MiB, sizeof(img), ""), NOT_A_KERNEL);
	EXPECT_FAIL(load_img(8 * MiB, 1, ""), NOT_A_KERNEL);
}

TEST(zero_length_kernel_fails)
{
	EXPECT_FAIL(load_img(8 * MiB, 0, ""), NOT_A_KERNEL);
}

TEST(truncated_elf_header_fails)
{
	elf64_kernel(img, EM_X86_64);
	EXPECT_FAIL(load_img(8 * MiB, sizeof(Elf64_Ehdr) - 1, ""),
		    NOT_A_KERNEL);
	EXPECT_FAIL(load_img(8 * MiB, sizeof(Elf32_Ehdr), ""), NOT_A_KERNEL);
	EXPECT_FAIL(load_img(8 * MiB, SELFMAG, ""), NOT_A_KERNEL);
	pvh_kernel(img);
	EXPECT_FAIL(load_img(8 * MiB, sizeof(Elf32_Ehdr) - 1, ""),
		    NOT_A_KERNEL);
}

TEST(program_headers_beyond_file_fail)
{
	size_t len = pvh_kernel(img);

	/* The second header's last byte is the file's last byte + 1. */
	EXPECT_FAIL(load_img(8 * MiB, PH_OFF + 2 * sizeof(Elf32_Phdr) - 1, ""),
		    NOT_A_KERNEL);
	((Elf32_Ehdr *)img)->e_phoff = len - sizeof(Elf32_Phdr);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	((Elf32_Ehdr *)img)->e_phoff = 0xfffffff0;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);

	elf64_kernel(img, EM_X86_64);
	((Elf64_Ehdr *)img)->e_phoff = 0xffffffffffffffc0ULL;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	((Elf64_Ehdr *)img)->e_phoff = PH_OFF;
	((Elf64_Ehdr *)img)->e_phnum = 0xffff;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
}

TEST(wrong_phentsize_is_not_elf)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	((Elf64_Ehdr *)img)->e_phentsize = sizeof(Elf32_Phdr);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
}

#define OUTSIDE_FILE	KERNEL_PATH ": ELF segment 0 lies outside the file"

TEST(segment_beyond_file_fails)
{
	size_t len = elf64_kernel(img, EM_X86_64);
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + PH_OFF);

	ph->p_filesz = TEXT_LEN + 1;
	ph->p_memsz = KERNEL_MEMSZ;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), OUTSIDE_FILE);
	ph->p_filesz = TEXT_LEN;
	ph->p_offset = 0xfffffffffffff000ULL;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), OUTSIDE_FILE);
	ph->p_offset = len + 1;
	ph->p_filesz = 0;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), OUTSIDE_FILE);
	/* offset + filesz wraps around to a small number */
	ph->p_offset = TEXT_OFF;
	ph->p_filesz = 0xfffffffffffff000ULL;
	ph->p_memsz = 0xfffffffffffff000ULL;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), OUTSIDE_FILE);
}

TEST(filesz_above_memsz_fails)
{
	size_t len = pvh_kernel(img);

	elf32_phdr(img, 0, PT_LOAD, TEXT_OFF, KERNEL_PADDR, TEXT_LEN,
		   TEXT_LEN - 1);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), OUTSIDE_FILE);
}

TEST(segment_below_1m_fails)
{
	size_t len = pvh_kernel(img);

	elf32_phdr(img, 0, PT_LOAD, TEXT_OFF, 0xf0000, TEXT_LEN,
		   KERNEL_MEMSZ);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": loads at "
		    "0xf0000, below 1 MiB, where kvmlite keeps the boot data");
	/* Even one that would end above 1 MiB. */
	elf32_phdr(img, 0, PT_LOAD, TEXT_OFF, 0xfffff, TEXT_LEN, 0x10000);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": loads at "
		    "0xfffff, below 1 MiB, where kvmlite keeps the boot data");
}

TEST(segment_beyond_ram_fails)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 8 * MiB - PAGE, TEXT_LEN,
		   PAGE + 1);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": needs guest "
		    "RAM at 0x7ff000-0x800000, which this -m does not provide");
	/* Ends exactly at the top: fine. */
	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 8 * MiB - PAGE, TEXT_LEN, PAGE);
	EXPECT_OK(load_img(8 * MiB, len, ""));
}

TEST(segment_across_pci_hole_fails)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 3 * GiB - PAGE, TEXT_LEN,
		   2 * PAGE);
	EXPECT_FAIL_WITH(load_img(5 * GiB, len, ""), "needs guest RAM");
	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 3 * GiB, TEXT_LEN, PAGE);
	EXPECT_FAIL_WITH(load_img(5 * GiB, len, ""), "needs guest RAM");
	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 6 * GiB - PAGE, TEXT_LEN,
		   PAGE + 1);
	EXPECT_FAIL_WITH(load_img(5 * GiB, len, ""), "needs guest RAM");
}

TEST(segment_end_overflowing_64_bits_fails)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 0xfffffffffffff000ULL, TEXT_LEN,
		   0x2000);
	EXPECT_FAIL_WITH(load_img(8 * MiB, len, ""), "needs guest RAM");
	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 2 * MiB, TEXT_LEN,
		   0xffffffffffffff00ULL);
	EXPECT_FAIL_WITH(load_img(8 * MiB, len, ""), "needs guest RAM");
	elf64_phdr(img, 0, PT_LOAD, TEXT_OFF, 4 * GiB + PAGE, TEXT_LEN,
		   0xfffffffffffff000ULL);
	EXPECT_FAIL_WITH(load_img(5 * GiB, len, ""), "needs guest RAM");
}

TEST(no_loadable_segment_fails)
{
	size_t len = elf64_kernel(img, EM_X86_64);

	((Elf64_Ehdr *)img)->e_phnum = 0;
	EXPECT_FAIL(load_img(8 * MiB, len, ""),
		    KERNEL_PATH ": ELF file has no loadable segment");
	((Elf64_Ehdr *)img)->e_phnum = 1;
	((Elf64_Phdr *)(img + PH_OFF))->p_memsz = 0;
	((Elf64_Phdr *)(img + PH_OFF))->p_filesz = 0;
	EXPECT_FAIL(load_img(8 * MiB, len, ""),
		    KERNEL_PATH ": ELF file has no loadable segment");
}

TEST(pvh_note_with_bad_desc_size_fails)
{
	uint32_t desc[3] = { 0x100000, 0, 0 };
	size_t len = elf32_kernel(img, 2);

	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0,
		   elf_note(img + NOTE_OFF, 4, "Xen", 18, 2, desc), 0);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": PVH entry note "
		    "has 2 bytes, expected 4 or 8");
	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0,
		   elf_note(img + NOTE_OFF, 4, "Xen", 18, 12, desc), 0);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": PVH entry note "
		    "has 12 bytes, expected 4 or 8");
	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0,
		   elf_note(img + NOTE_OFF, 4, "Xen", 18, 0, desc), 0);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), KERNEL_PATH ": PVH entry note "
		    "has 0 bytes, expected 4 or 8");
}

/*
 * A note whose size wraps to 0 in 32-bit arithmetic, followed where such
 * a wrap would land by a good PVH note: the bad note must end the search.
 */
static size_t wrapping_note_then_pvh(uint8_t *d, uint32_t namesz,
				     uint32_t descsz)
{
	size_t len = elf32_kernel(d, 2);
	Elf32_Nhdr *nh = (Elf32_Nhdr *)(d + NOTE_OFF);

	nh->n_namesz = namesz;
	nh->n_descsz = descsz;
	nh->n_type = XEN_ELFNOTE_PHYS32_ENTRY;
	elf32_phdr(d, 1, PT_NOTE, NOTE_OFF, 0, sizeof(*nh) +
		   pvh_note(d + NOTE_OFF + sizeof(*nh), PVH_ENTRY), 0);
	return len;
}

TEST(notes_with_huge_sizes_end_the_search)
{
	size_t len = wrapping_note_then_pvh(img, 0, 0);

	/* The layout works: with sizes 0 the PVH note is found. */
	EXPECT_OK(load_img(8 * MiB, len, ""));
	CHECK_STR(FORMAT, "pvh");
	wrapping_note_then_pvh(img, 0xfffffffd, 0);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	wrapping_note_then_pvh(img, 0, 0xfffffffd);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	wrapping_note_then_pvh(img, 0xffffffff, 0xffffffff);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	/* A desc running past the end of the segment */
	pvh_note(img + NOTE_OFF, PVH_ENTRY);
	elf32_phdr(img, 1, PT_NOTE, NOTE_OFF, 0, 19, 0);
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
}

TEST(note_segment_beyond_file_is_ignored)
{
	size_t len = pvh_kernel(img);
	Elf32_Phdr *note = (Elf32_Phdr *)(img + PH_OFF) + 1;

	/* Without its note it is a plain ELF32, which nothing boots. */
	note->p_offset = len - 8;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
	note->p_offset = 0xffffffff;
	EXPECT_FAIL(load_img(8 * MiB, len, ""), NOT_A_KERNEL);
}

/* ---- command line and initrd ---- */

TEST(cmdline_up_to_limit_fits)
{
	static char line[BOOT_CMDLINE_MAX + 1];
	struct guest_mem mem = mem_new(8 * MiB);

	memset(line, 'a', BOOT_CMDLINE_MAX - 1);
	line[BOOT_CMDLINE_MAX - 1] = '\0';
	EXPECT_OK(load_kernel(&mem, pvh_kernel(img), NULL, line));
	CHECK_STR(rdstr(&mem, BOOT_CMDLINE_ADDR), line);
	/* The page tables' first page follows; the NUL is the last byte. */
	CHECK_EQ(BOOT_CMDLINE_ADDR + BOOT_CMDLINE_MAX, BOOT_PML4_ADDR);
	mem_free(&mem);
}

TEST(cmdline_too_long_fails)
{
	static char line[BOOT_CMDLINE_MAX + 1];

	memset(line, 'a', BOOT_CMDLINE_MAX);
	line[BOOT_CMDLINE_MAX] = '\0';
	EXPECT_FAIL(load_img(8 * MiB, pvh_kernel(img), line), "-append: the "
		    "command line is 8192 bytes; at most 8191 fit");
	EXPECT_FAIL(load_img(8 * MiB, elf64_kernel(img, EM_X86_64), line),
		    "-append: the command line is 8192 bytes; at most "
		    "8191 fit");
	/* Multiboot counts the "vmlinux " it puts in front. */
	line[BOOT_CMDLINE_MAX - 1 - sizeof(KERNEL_PATH)] = '\0';
	EXPECT_OK(load_img(8 * MiB, mb_elf_kernel(img, 0x3), line));
	line[BOOT_CMDLINE_MAX - 1 - sizeof(KERNEL_PATH)] = 'a';
	line[BOOT_CMDLINE_MAX - sizeof(KERNEL_PATH)] = '\0';
	EXPECT_FAIL(load_img(8 * MiB, mb_elf_kernel(img, 0x3), line),
		    "-append: the command line is 8192 bytes; at most "
		    "8191 fit");
}

TEST(initrd_too_large_fails)
{
	static uint8_t rd[8 * MiB];
	struct guest_mem mem = mem_new(8 * MiB);
	struct boot_file k = file_new(KERNEL_PATH, img, pvh_kernel(img));
	struct boot_file r = file_new(INITRD_PATH, rd, sizeof(rd));

	EXPECT_FAIL(load(&mem, &k, &r, ""), INITRD_PATH ": the initrd "
		    "(8388608 bytes) does not fit in guest RAM between the "
		    "kernel and 0x800000");
	file_free(&r);
	/* Larger than RAM: no wrap-around to a high address. */
	r = file_new(INITRD_PATH, rd, sizeof(rd));
	r.size = 9 * MiB;	/* only the size is read before failing */
	EXPECT_FAIL(load(&mem, &k, &r, ""), INITRD_PATH ": the initrd "
		    "(9437184 bytes) does not fit in guest RAM between the "
		    "kernel and 0x800000");
	r.size = sizeof(rd);
	file_free(&r);
	/* Just above the kernel's end is too low... */
	r = file_new(INITRD_PATH, rd,
		     8 * MiB - KERNEL_PADDR - KERNEL_MEMSZ + 1);
	EXPECT_FAIL(load(&mem, &k, &r, ""), INITRD_PATH ": the initrd "
		    "(7327745 bytes) does not fit in guest RAM between the "
		    "kernel and 0x800000");
	file_free(&r);
	/* ...right at it is fine. */
	r = file_new(INITRD_PATH, rd, 8 * MiB - KERNEL_PADDR - KERNEL_MEMSZ);
	EXPECT_OK(load(&mem, &k, &r, ""));
	CHECK_EQ(rd64(&mem, BOOT_MODLIST_ADDR), KERNEL_PADDR + KERNEL_MEMSZ);
	file_free(&r);
	file_free(&k);
	mem_free(&mem);
}

/* ---- Linux bzImage ---- */

TEST(bzimage_enters_startup_64_in_long_mode)
{
	struct guest_mem mem = mem_new(64 * MiB);

	EXPECT_OK(load_kernel(&mem, bz_kernel(img), NULL, "console=ttyS0"));
	CHECK_STR(FORMAT, "bzimage");
	CHECK_EQ(st.mode, BOOT_LONG64);
	CHECK_EQ(st.entry, BZ_PREF + 0x200);
	CHECK_EQ(st.rsi, BZ_PARAMS);
	CHECK(!memcmp(guest_ptr(&mem, BZ_PREF, BZ_KERNEL_LEN),
		      img + BZ_SETUP_LEN, BZ_KERNEL_LEN));
	CHECK_EQ(walk(&mem, BZ_PREF + BZ_INIT_SIZE - 1),
		 BZ_PREF + BZ_INIT_SIZE - 1);
	CHECK_EQ(walk(&mem, BZ_PARAMS), BZ_PARAMS);
	mem_free(&mem);
}

TEST(bzimage_non_relocatable_loads_at_1m)
{
	struct guest_mem mem = mem_new(64 * MiB);

	bz_kernel(img);
	img[0x234] = 0;
	EXPECT_OK(load_kernel(&mem, IMG_LEN, NULL, ""));
	CHECK_EQ(st.entry, 0x100000 + 0x200);
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x214), 0x100000);  /* code32_start */
	mem_free(&mem);
}

TEST(bzimage_boot_params_fields)
{
	struct guest_mem mem = mem_new(64 * MiB);
	uint8_t *bp;

	poison(&mem, BZ_PARAMS, 0x1000);
	EXPECT_OK(load_kernel(&mem, bz_kernel(img), NULL, "root=/dev/vda"));
	bp = guest_ptr(&mem, BZ_PARAMS, 0x1000);
	/* The header is the file's, with the loader's fields filled in. */
	CHECK(!memcmp(bp + 0x1f1, img + 0x1f1, 0x210 - 0x1f1));
	CHECK_EQ(bp[0x210], 0xff);			/* type_of_loader */
	CHECK_EQ(bp[0x211], 0x01);			/* loadflags */
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x214), BZ_PREF);
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x228), BOOT_CMDLINE_ADDR);
	CHECK_STR(rdstr(&mem, BOOT_CMDLINE_ADDR), "root=/dev/vda");
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x218), 0);	/* no ramdisk */
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x21c), 0);
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x23c), 0);	/* subarch PC */
	CHECK_EQ(rd64(&mem, BZ_PARAMS + 0x250), 0);	/* setup_data */
	CHECK_EQ(rd64(&mem, BZ_PARAMS + 0x258), BZ_PREF);
	/* Everything else is zero, the sentinel included. */
	CHECK(all_bytes(&mem, BZ_PARAMS, 0x1e8, 0));
	CHECK_EQ(bp[0x1ef], 0);
	CHECK(all_bytes(&mem, BZ_PARAMS + 0x26c, 0x2d0 - 0x26c, 0));
	mem_free(&mem);
}

TEST(bzimage_e820_is_the_memory_map)
{
	struct guest_mem mem = mem_new(4 * GiB);
	struct e820_entry want[MAX_E820_ENTRIES];
	int i, n = guest_mem_e820(&mem, want);
	uint64_t e;

	EXPECT_OK(load_kernel(&mem, bz_kernel(img), NULL, ""));
	CHECK_EQ(*(uint8_t *)guest_ptr(&mem, BZ_PARAMS + 0x1e8, 1), n);
	for (i = 0; i < n; i++) {
		e = BZ_PARAMS + 0x2d0 + i * 20;
		CHECK_EQ(rd64(&mem, e), want[i].addr);
		CHECK_EQ(rd64(&mem, e + 8), want[i].size);
		CHECK_EQ(rd32(&mem, e + 16), want[i].type);
	}
	CHECK_EQ(rd64(&mem, BZ_PARAMS + 0x2d0 + (n - 1) * 20), 4 * GiB);
	mem_free(&mem);
}

TEST(bzimage_initrd_below_initrd_addr_max)
{
	static uint8_t rd[3 * PAGE + 5];
	struct guest_mem mem = mem_new(64 * MiB);
	struct boot_file initrd;
	uint32_t addr;

	pattern(rd, sizeof(rd), 0x55);
	initrd = file_new(INITRD_PATH, rd, sizeof(rd));
	bz_kernel(img);
	put32(img, 0x22c, 32 * MiB - 1);
	EXPECT_OK(load_kernel(&mem, IMG_LEN, &initrd, ""));
	addr = rd32(&mem, BZ_PARAMS + 0x218);
	CHECK_EQ(addr, (32 * MiB - sizeof(rd)) & ~(PAGE - 1));
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x21c), sizeof(rd));
	CHECK(!memcmp(guest_ptr(&mem, addr, sizeof(rd)), rd, sizeof(rd)));
	/* Without a limit below RAM's, it goes to the top of RAM. */
	bz_kernel(img);
	EXPECT_OK(load_kernel(&mem, IMG_LEN, &initrd, ""));
	CHECK_EQ(rd32(&mem, BZ_PARAMS + 0x218),
		 (64 * MiB - sizeof(rd)) & ~(PAGE - 1));
	file_free(&initrd);
	mem_free(&mem);
}

TEST(bzimage_initrd_clear_of_init_size)
{
	static uint8_t rd[PAGE];
	struct guest_mem mem = mem_new(64 * MiB);
	struct boot_file initrd = file_new(INITRD_PATH, rd, sizeof(rd));

	bz_kernel(img);
	put32(img, 0x260, 64 * MiB - BZ_PREF - PAGE / 2);
	EXPECT_FAIL(load_kernel(&mem, IMG_LEN, &initrd, ""),
		    INITRD_PATH ": the initrd (4096 bytes) does not fit in "
		    "guest RAM between the kernel and 0x4000000");
	file_free(&initrd);
	mem_free(&mem);
}

TEST(bzimage_init_size_beyond_ram_fails)
{
	bz_kernel(img);
	put32(img, 0x260, 64 * MiB);
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN, ""),
		    KERNEL_PATH ": needs guest RAM at 0x200000-0x41fffff, "
		    "which this -m does not provide");
}

TEST(bzimage_too_old_fails)
{
	bz_kernel(img);
	put16(img, 0x206, 0x0205);
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN, ""),
		    KERNEL_PATH ": Linux boot protocol 2.05 is too old; "
		    "kvmlite needs 2.06 or later");
}

TEST(bzimage_without_64_bit_entry_fails)
{
	bz_kernel(img);
	put16(img, 0x236, 0);
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN, ""),
		    KERNEL_PATH ": no 64-bit entry point (boot protocol "
		    "2.15); kvmlite expects a 64-bit bzImage with "
		    "XLF_KERNEL_64");
	bz_kernel(img);
	put16(img, 0x206, 0x020b);
	EXPECT_FAIL_WITH(load_img(64 * MiB, IMG_LEN, ""), "2.11");
}

TEST(zimage_fails)
{
	bz_kernel(img);
	img[0x211] = 0;
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN, ""),
		    KERNEL_PATH ": not a bzImage (boot flag 0xaa55, loadflags "
		    "0x0); kvmlite expects a bzImage");
}

TEST(bzimage_truncated_fails)
{
	bz_kernel(img);
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN - 1, ""),
		    KERNEL_PATH ": truncated bzImage: 4863 bytes, but its "
		    "header describes 4864");
	EXPECT_FAIL_WITH(load_img(64 * MiB, BZ_SETUP_LEN, ""), "truncated");
}

TEST(bzimage_cmdline_longer_than_cmdline_size_fails)
{
	char line[300];

	memset(line, 'x', 256);
	line[256] = 0;
	bz_kernel(img);
	EXPECT_FAIL(load_img(64 * MiB, IMG_LEN, line),
		    "-append: the command line is 256 bytes; " KERNEL_PATH
		    " accepts at most 255");
	line[255] = 0;
	EXPECT_OK(load_img(64 * MiB, IMG_LEN, line));
}

/* ---- mutated images: any answer but a crash ---- */

TEST(mutated_images_never_crash)
{
	static uint8_t base[IMG_LEN];
	struct guest_mem mem = mem_new(8 * MiB);
	uint32_t x = 1;
	int kind, iter, i, ok = 0, failed = 0;

	for (kind = 0; kind < 5; kind++) {
		if (kind == 4)
			bz_kernel(base);
		else if (kind == 0)
			pvh_kernel(base);
		else if (kind == 1)
			mb_elf_kernel(base, 0x3);
		else if (kind == 2)
			elf64_kernel(base, EM_X86_64);
		else
			kludge_kernel(base, IMG_LEN, MB_OFF, MB_OFF, 0x100000,
				      0, 0x110000, 0x100000);
		for (iter = 0; iter < 500; iter++) {
			struct boot_file k;
			int ret;

			memcpy(img, base, IMG_LEN);
			for (i = 0; i < 4; i++) {
				x = x * 1103515245 + 12345;
				img[(x >> 8) % 0x440] = x >> 24;
			}
			k = file_new(KERNEL_PATH, img, IMG_LEN);
			ret = load(&mem, &k, NULL, "");
			file_free(&k);
			if (ret == 0) {
				ok++;
				continue;
			}
			failed++;
			if (ret != -1 || strchr(err, '\n') ||
			    (!strstr(err, KERNEL_PATH) &&
			     !strstr(err, "-append"))) {
				printf("  kind %d iter %d: %d \"%s\"\n", kind,
				       iter, ret, err);
				CHECK(0);
				break;
			}
		}
	}
	/* The mutations are neither all fatal nor all harmless. */
	CHECK(ok > 100);
	CHECK(failed > 100);
	mem_free(&mem);
}

/* ---- boot_file_map ---- */

static char tmpdir[64];

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
}

TEST(file_map_reads_regular_file)
{
	char path[128];
	struct boot_file f;
	struct guest_mem mem = mem_new(8 * MiB);
	size_t len = pvh_kernel(img);

	snprintf(path, sizeof(path), "%s/kernel", tmpdir);
	write_file(path, img, len);
	CHECK_EQ(boot_file_map(&f, "kernel file", path, err, sizeof(err)), 0);
	CHECK(f.path == path);
	CHECK_EQ(f.size, len);
	CHECK(f.data && !memcmp(f.data, img, len));
	EXPECT_OK(load(&mem, &f, NULL, "from a file"));
	CHECK_STR(FORMAT, "pvh");
	boot_file_unmap(&f);
	CHECK(f.data == NULL);
	CHECK_EQ(f.size, 0);
	mem_free(&mem);
}

TEST(file_map_missing_file_fails)
{
	char path[128], want[256];
	struct boot_file f;

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	snprintf(want, sizeof(want), "could not open kernel file '%s': No "
		 "such file or directory", path);
	CHECK_EQ(boot_file_map(&f, "kernel file", path, err, sizeof(err)), -1);
	CHECK_STR(err, want);
	snprintf(want, sizeof(want), "could not open initrd file '%s': No "
		 "such file or directory", path);
	CHECK_EQ(boot_file_map(&f, "initrd file", path, err, sizeof(err)), -1);
	CHECK_STR(err, want);
}

TEST(file_map_directory_fails)
{
	char want[256];
	struct boot_file f;

	snprintf(want, sizeof(want), "could not open kernel file '%s': not a "
		 "regular file", tmpdir);
	CHECK_EQ(boot_file_map(&f, "kernel file", tmpdir, err, sizeof(err)),
		 -1);
	CHECK_STR(err, want);
}

TEST(file_map_empty_file_then_load_fails)
{
	char path[128], want[256];
	struct boot_file f;
	struct guest_mem mem = mem_new(8 * MiB);

	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0);
	CHECK_EQ(boot_file_map(&f, "kernel file", path, err, sizeof(err)), 0);
	CHECK_EQ(f.size, 0);
	snprintf(want, sizeof(want), "%s: not a kernel kvmlite can boot "
		 "(supported: Linux bzImage, ELF with a PVH note, Multiboot, "
		 "x86-64 ELF)", path);
	EXPECT_FAIL(load(&mem, &f, NULL, ""), want);
	boot_file_unmap(&f);
	mem_free(&mem);
}

static void remove_tmpdir(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/kernel", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kvmlite-loader-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(file_map_reads_regular_file);
	RUN(file_map_missing_file_fails);
	RUN(file_map_directory_fails);
	RUN(file_map_empty_file_then_load_fails);
	remove_tmpdir();

	RUN(pvh_boots_at_note_entry_in_protected_mode);
	RUN(pvh_copies_segment_and_zeroes_bss);
	RUN(pvh_start_info_fields);
	RUN(pvh_memmap_is_the_e820);
	RUN(pvh_memmap_covers_high_ram);
	RUN(pvh_initrd_is_module_at_top_of_low_ram);
	RUN(pvh_initrd_stays_below_low_ram_top_with_high_ram);
	RUN(pvh_note_with_8_byte_desc_uses_low_word);
	RUN(pvh_note_found_after_other_notes);
	RUN(pvh_note_in_elf64_boots_pvh);
	RUN(reload_after_reset_gives_same_state);

	RUN(multiboot_elf_boots_with_magic);
	RUN(multiboot_info_fields);
	RUN(multiboot_mmap_is_the_e820);
	RUN(multiboot_with_high_ram);
	RUN(multiboot_initrd_is_module);
	RUN(multiboot_header_only_counts_in_first_8k);
	RUN(multiboot_optional_flag_bits_are_ignored);
	RUN(multiboot_unknown_required_flags_fail);
	RUN(multiboot_bad_checksum_is_not_multiboot);
	RUN(multiboot_without_elf_or_kludge_fails);
	RUN(multiboot_header_in_elf64_boots_elf64);

	RUN(kludge_loads_at_load_addr_and_zeroes_bss);
	RUN(kludge_zero_load_end_and_bss_end_load_whole_file);
	RUN(kludge_initrd_goes_above_bss);
	RUN(kludge_header_addr_below_load_addr_fails);
	RUN(kludge_header_delta_beyond_file_start_fails);
	RUN(kludge_load_end_below_load_fails);
	RUN(kludge_load_end_beyond_file_fails);
	RUN(kludge_bss_end_below_load_end_fails);
	RUN(kludge_header_cut_by_end_of_file_fails);
	RUN(kludge_below_1m_fails);
	RUN(kludge_bss_beyond_ram_fails);

	RUN(elf64_boots_in_long_mode);
	RUN(elf64_identity_maps_low_4g);
	RUN(elf64_maps_high_ram);
	RUN(elf64_segment_in_high_ram_loads);
	RUN(elf64_for_other_machine_fails);
	RUN(elf32_without_note_or_header_fails);

	RUN(random_bytes_fail_listing_formats);
	RUN(zero_length_kernel_fails);
	RUN(truncated_elf_header_fails);
	RUN(program_headers_beyond_file_fail);
	RUN(wrong_phentsize_is_not_elf);
	RUN(segment_beyond_file_fails);
	RUN(filesz_above_memsz_fails);
	RUN(segment_below_1m_fails);
	RUN(segment_beyond_ram_fails);
	RUN(segment_across_pci_hole_fails);
	RUN(segment_end_overflowing_64_bits_fails);
	RUN(no_loadable_segment_fails);
	RUN(pvh_note_with_bad_desc_size_fails);
	RUN(notes_with_huge_sizes_end_the_search);
	RUN(note_segment_beyond_file_is_ignored);

	RUN(cmdline_up_to_limit_fits);
	RUN(cmdline_too_long_fails);
	RUN(initrd_too_large_fails);

	RUN(bzimage_enters_startup_64_in_long_mode);
	RUN(bzimage_non_relocatable_loads_at_1m);
	RUN(bzimage_boot_params_fields);
	RUN(bzimage_e820_is_the_memory_map);
	RUN(bzimage_initrd_below_initrd_addr_max);
	RUN(bzimage_initrd_clear_of_init_size);
	RUN(bzimage_init_size_beyond_ram_fails);
	RUN(bzimage_too_old_fails);
	RUN(bzimage_without_64_bit_entry_fails);
	RUN(zimage_fails);
	RUN(bzimage_truncated_fails);
	RUN(bzimage_cmdline_longer_than_cmdline_size_fails);

	RUN(mutated_images_never_crash);

	return check_summary();
}
