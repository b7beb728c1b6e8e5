// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/cpulist.h"

static int parse_cpu(const char **p)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)**p))
		return -1;
	v = strtol(*p, &end, 10);
	if (v >= CPU_SETSIZE)
		return -1;
	*p = end;
	return (int)v;
}

int cpulist_parse(const char *text, int *cpus, int max)
{
	const char *p = text;
	int n = 0, first, last;

	for (;;) {
		first = last = parse_cpu(&p);
		if (*p == '-') {
			p++;
			last = parse_cpu(&p);
		}
		if (first < 0 || last < first || last - first >= max - n)
			return -1;
		while (first <= last)
			cpus[n++] = first++;
		if (!*p)
			return n;
		if (*p++ != ',')
			return -1;
	}
}

/* Writes @set as a list with ranges ("0-3,6"). */
static void format_set(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int cpu, last;

	buf[0] = '\0';
	for (cpu = 0; cpu < CPU_SETSIZE && used < len; cpu++) {
		if (!CPU_ISSET(cpu, set))
			continue;
		for (last = cpu; last + 1 < CPU_SETSIZE &&
		     CPU_ISSET(last + 1, set); last++)
			;
		used += snprintf(buf + used, len - used, "%s%d", used ? "," : "",
				 cpu);
		if (last > cpu && used < len)
			used += snprintf(buf + used, len - used, "-%d", last);
		cpu = last;
	}
}

int cpulist_check_allowed(const int *cpus, int n, char *err, size_t errlen)
{
	cpu_set_t allowed;
	char list[64];
	int i;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return 0;
	for (i = 0; i < n; i++) {
		if (!CPU_ISSET(cpus[i], &allowed)) {
			format_set(&allowed, list, sizeof(list));
			snprintf(err, errlen, "host CPU %d is not one this "
				 "process may run on (allowed: %s)", cpus[i],
				 list);
			return -1;
		}
	}
	return 0;
}
