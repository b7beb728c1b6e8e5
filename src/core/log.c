// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "kvmlite/log.h"

static FILE *log_file;

static void report(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, PROGRAM_NAME ": %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("", fmt, ap);
	va_end(ap);
}

void warn_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("warning: ", fmt, ap);
	va_end(ap);
}

int log_set_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	log_file = f;
	return 0;
}

void log_msg(const char *fmt, ...)
{
	FILE *out = log_file ? log_file : stderr;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}
