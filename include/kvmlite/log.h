/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_LOG_H
#define KVMLITE_LOG_H

#include <stdbool.h>

#define PROGRAM_NAME "kvmlite"

/* One line on stderr: "kvmlite: <message>". */
void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug log (-d ... -D FILE): stderr unless log_set_file() was called. */
int log_set_file(const char *path);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
