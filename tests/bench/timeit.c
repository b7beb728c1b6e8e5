// SPDX-License-Identifier: MIT
/*
 * timeit: runs a command and reports its wall time and peak RSS.
 *
 * Usage: timeit [-o FILE] [-t SECONDS] [-f 1] COMMAND [ARG...]
 *
 * The clock starts just before the spawn and stops when wait4() returns,
 * so the figure is exec to exit plus one spawn.  One line goes to FILE
 * (stderr without -o):
 *
 *   elapsed_ns N status S maxrss_kib K [first_byte_ns F]
 *
 * With -f 1 the command's stdout is a pipe that timeit copies to its own,
 * and F is the time to the first byte on it (-1 if none came).
 * S is the exit status, or 128 + the signal number: a command still running
 * after -t SECONDS is killed and reads 137.  timeit itself exits 0 unless
 * it could not run the command.  Link it statically: the child's
 * ru_maxrss can never read below the RSS timeit had when it spawned.
 */
#include <errno.h>
#include <fcntl.h>
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

/*
 * Copies @fd to stdout until EOF; returns when the first byte came, or -1.
 * A timeout's SIGKILL closes the child's end, so this ends too.
 */
static long long copy_output(int fd)
{
	long long first = -1;
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return first;
		if (first < 0)
			first = now_ns();
		if (write(STDOUT_FILENO, buf, n) < 0 && errno != EPIPE)
			perror("timeit: write");
	}
}

int main(int argc, char **argv)
{
	FILE *out = stderr;
	struct rusage ru;
	long long t0, t1;
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned int timeout = 0;
	int i = 1, status, err, first_byte = 0, pipefd[2];
	posix_spawn_file_actions_t fa;
	long long first = -1;

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
		} else if (!strcmp(argv[i], "-f")) {
			first_byte = !strcmp(argv[i + 1], "1");
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: timeit [-o FILE] [-t SECONDS] [-f 1] COMMAND [ARG...]\n");
		return 127;
	}
	posix_spawn_file_actions_init(&fa);

	if (first_byte && (pipe2(pipefd, O_CLOEXEC) < 0 ||
			   posix_spawn_file_actions_adddup2(&fa, pipefd[1],
							    STDOUT_FILENO))) {
		perror("timeit: pipe");
		return 127;
	}
	t0 = now_ns();
	err = posix_spawnp(&child, argv[i], &fa, NULL, argv + i, environ);
	if (err) {
		fprintf(stderr, "timeit: %s: %s\n", argv[i], strerror(err));
		return 127;
	}
	if (timeout) {
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: wait4 sees EINTR */
		alarm(timeout);
	}
	if (first_byte) {
		close(pipefd[1]);
		first = copy_output(pipefd[0]);
	}
	while (wait4(child, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 127;
		}
	}
	t1 = now_ns();

	fprintf(out, "elapsed_ns %lld status %d maxrss_kib %ld", t1 - t0,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		ru.ru_maxrss);
	if (first_byte)
		fprintf(out, " first_byte_ns %lld", first < 0 ? -1 : first - t0);
	fputc('\n', out);
	return fclose(out) ? 127 : 0;
}
