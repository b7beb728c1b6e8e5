// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader_priv.h"

/* Tried in order: the first format that recognises the file loads it. */
static const struct loader_format *const formats[] = {
	&bzimage_format,
	&pvh_format,
	&multiboot_format,
	&elf64_format,
};

int boot_file_map(struct boot_file *file, const char *what, const char *path,
		  char *err, size_t errlen)
{
	struct stat st;
	void *p = NULL;
	int fd;

	file->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "could not open %s '%s': not a regular "
			 "file", what, path);
		close(fd);
		return -1;
	}
	if (st.st_size > 0) {
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			goto fail;
	}
	close(fd);
	file->data = p;
	file->size = st.st_size;
	return 0;
fail:
	snprintf(err, errlen, "could not open %s '%s': %s", what, path,
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

void boot_file_unmap(struct boot_file *file)
{
	if (file->size)
		munmap((void *)file->data, file->size);
	file->data = NULL;
	file->size = 0;
}

int loader_load(struct guest_mem *mem, const struct boot_files *files,
		struct boot_state *state, char *err, size_t errlen)
{
	size_t i;
	int ret;

	memset(state, 0, sizeof(*state));
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		ret = formats[i]->load(mem, files, state, err, errlen);
		if (ret)
			return ret > 0 ? 0 : -1;
	}
	snprintf(err, errlen, "%s: not a kernel kvmlite can boot (supported: "
		 "Linux bzImage, ELF with a PVH note, Multiboot, x86-64 "
		 "ELF)",
		 files->kernel.path);
	return -1;
}
