// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the Linux boot benchmark: notes when a VMM first
 * enters its guest.  The first KVM_RUN ioctl of the process writes
 *
 *	first_kvm_run_ns N
 *
 * (CLOCK_REALTIME, the clock bash's $EPOCHREALTIME reads) to the file
 * named by $FIRST_KVM_RUN_FILE, so that exec to first guest instruction
 * (VMM setup) and the rest (guest time) can be told apart for any VMM
 * that calls ioctl() through libc.  Every other call costs one compare.
 * The file is opened when the shim loads, because by its first KVM_RUN a
 * VMM may have sandboxed itself (kvmlite's vCPU threads may not open).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*ioctl_fn)(int, unsigned long, void *);

static atomic_bool noted;
static int note_fd = -1;

__attribute__((constructor)) static void open_note(void)
{
	const char *path = getenv("FIRST_KVM_RUN_FILE");

	if (path)
		note_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0644);
}

static void note_first_run(void)
{
	struct timespec ts;
	char line[64];
	int len;

	if (atomic_exchange(&noted, true) || note_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	len = snprintf(line, sizeof(line), "first_kvm_run_ns %lld\n",
		       ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if (write(note_fd, line, len) != len)
		perror("first_kvm_run");
	close(note_fd);
}

int ioctl(int fd, unsigned long request, ...)
{
	static ioctl_fn real_ioctl;
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		real_ioctl = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (request == KVM_RUN)
		note_first_run();
	return real_ioctl(fd, request, arg);
}
