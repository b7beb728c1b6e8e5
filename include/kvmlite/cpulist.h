/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_CPULIST_H
#define KVMLITE_CPULIST_H

#include <stddef.h>

/*
 * Host CPU lists as taskset writes them: "2-5", "2,4,6,8", "0-1,4".
 * Fills @cpus in order (a range counts up) and returns how many, or -1
 * when the text is not such a list or holds more than @max CPUs.
 */
int cpulist_parse(const char *text, int *cpus, int max);

/*
 * Checks that @cpus lie in this process's allowed CPU set (so pinning
 * composes with taskset -c); -1 with a message naming the first that
 * does not.
 */
int cpulist_check_allowed(const int *cpus, int n, char *err, size_t errlen);

#endif
