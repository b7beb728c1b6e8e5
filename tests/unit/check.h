/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_TESTS_CHECK_H
#define KVMLITE_TESTS_CHECK_H

/*
 * A minimal unit test harness.  Each TEST() is one case; the runner prints
 * "PASS name" or "FAIL name" per case, which tests/run.sh counts.
 *
 *	TEST(parses_megabytes) { CHECK_EQ(x, 1); }
 *	int main(void) { RUN(parses_megabytes); return check_summary(); }
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int check_case_failed;
static int check_cases_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__,	\
			       __LINE__, #cond);			\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		unsigned long long check_a_ = (unsigned long long)(a);	\
		unsigned long long check_b_ = (unsigned long long)(b);	\
		if (check_a_ != check_b_) {				\
			printf("  %s:%d: %s == %s: 0x%llx != 0x%llx\n",	\
			       __FILE__, __LINE__, #a, #b, check_a_,	\
			       check_b_);				\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *check_a_ = (a), *check_b_ = (b);		\
		if (strcmp(check_a_, check_b_) != 0) {			\
			printf("  %s:%d: %s:\n    got  \"%s\"\n"	\
			       "    want \"%s\"\n", __FILE__, __LINE__,	\
			       #a, check_a_, check_b_);			\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define RUN(name)							\
	do {								\
		check_case_failed = 0;					\
		test_##name();						\
		printf("%s %s\n", check_case_failed ? "FAIL" : "PASS",	\
		       #name);						\
		check_cases_failed += check_case_failed;		\
	} while (0)

/* Sends stderr to a temporary file until check_capture_end(). */
static FILE *check_capture_file;
static int check_saved_stderr = -1;

static inline void check_capture_begin(void)
{
	fflush(stderr);
	check_capture_file = tmpfile();
	check_saved_stderr = dup(2);
	dup2(fileno(check_capture_file), 2);
}

/* Restores stderr and copies what was written to @buf. */
static inline void check_capture_end(char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(check_saved_stderr, 2);
	close(check_saved_stderr);
	rewind(check_capture_file);
	n = fread(buf, 1, size - 1, check_capture_file);
	buf[n] = '\0';
	fclose(check_capture_file);
}

static inline int check_summary(void)
{
	return check_cases_failed ? 1 : 0;
}

/*
 * Runs a shell command built like printf; returns its exit status, or -1
 * if it did not exit normally.  A non-zero status is shown, indented, so
 * that a failing check can be understood from the log.
 */
static inline int check_shell(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline int check_shell(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	if (WEXITSTATUS(st))
		printf("  `%s` exited with %d\n", cmd, WEXITSTATUS(st));
	return WEXITSTATUS(st);
}

#endif
