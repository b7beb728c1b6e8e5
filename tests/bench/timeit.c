// SPDX-License-Identifier: MIT
/*
 * timeit: runs a command and reports its wall time and peak RSS.
 *
 * Usage: timeit [-o FILE] [-t SECONDS] COMMAND [ARG...]
 *
 * The clock starts just before the spawn and stops when wait4() returns,
 * so the figure is exec to exit plus one spawn.  One line goes to FILE
 * (stderr without -o):
 *
 *   elapsed_ns N status S maxrss_kib K
 *
 * S is the exit status, or 128 + the signal number: a command still running
 * after -t SECONDS is killed and reads 137.  timeit itself exits 0 unless
 * it could not run the command.  Link it statically: the child's
 * ru_maxrss can never read below the RSS timeit had when it spawned.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static pid_t child;

static void on_alarm(int sig)
{
	(void)sig;
	kill(child, SIGKILL);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	FILE *out = stderr;
	struct rusage ru;
	long long t0, t1;
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int timeout = 0;
	int i = 1, status, err;

	for (; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-o")) {
			out = fopen(argv[i + 1], "w");
			if (!out) {
				fprintf(stderr, "timeit: %s: %s\n", argv[i + 1],
					strerror(errno));
				return 127;
			}
		} else if (!strcmp(argv[i], "-t")) {
			timeout = strtoul(argv[i + 1], NULL, 0);
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: timeit [-o FILE] [-t SECONDS] COMMAND [ARG...]\n");
		return 127;
	}

	t0 = now_ns();
	err = posix_spawnp(&child, argv[i], NULL, NULL, argv + i, environ);
	if (err) {
		fprintf(stderr, "timeit: %s: %s\n", argv[i], strerror(err));
		return 127;
	}
	if (timeout) {
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: wait4 sees EINTR */
		alarm(timeout);
	}
	while (wait4(child, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 127;
		}
	}
	t1 = now_ns();

	fprintf(out, "elapsed_ns %lld status %d maxrss_kib %ld\n", t1 - t0,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		ru.ru_maxrss);
	return fclose(out) ? 127 : 0;
}
