// SPDX-License-Identifier: MIT
/*
 * -smp, completed by QEMU 7.2's rules: values left out (or given as 0)
 * are derived from the others, preferring cores over sockets.  The
 * arithmetic is in 32 bits and wraps as QEMU's does, so even absurd
 * input gets QEMU's message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/log.h"

static const char *const smp_key_names[SMP_NR_KEYS] = {
	[SMP_CPUS] = "cpus",
	[SMP_SOCKETS] = "sockets",
	[SMP_DIES] = "dies",
	[SMP_CLUSTERS] = "clusters",
	[SMP_CORES] = "cores",
	[SMP_THREADS] = "threads",
	[SMP_MAXCPUS] = "maxcpus",
};

static int smp_key(const struct opt_elem *e)
{
	int k;

	for (k = 0; k < SMP_NR_KEYS; k++)
		if (opt_key_is(e, smp_key_names[k]))
			return k;
	return -1;
}

int smp_args_add(struct smp_args *args, const char *opt, const char *text,
		 char *err, size_t errlen)
{
	struct opt_iter it;
	struct opt_elem e;
	int ret, k;

	opt_iter_init(&it, opt, text, "cpus", true);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0) {
		k = smp_key(&e);
		if (k < 0) {
			snprintf(err, errlen, "Parameter 'smp.%.*s' is unexpected",
				 (int)e.key_len, e.key);
			return -1;
		}
		args->given[k] = e;
	}
	return ret;
}

/* QEMU keeps 64-bit values and truncates them to unsigned int. */
static int smp_read(const struct opt_elem *e, long long *val)
{
	char buf[64], *end = buf;

	*val = 0;
	if (!opt_val_copy(e, buf, sizeof(buf))) {
		errno = 0;
		*val = strtoll(buf, &end, 0);
	}
	return end == buf || *end || errno ? -1 : 0;
}

/* Reads what was given into @v; what wasn't, or is 0, is 0: omitted. */
static int smp_read_all(const struct smp_args *args, unsigned int *v,
			char *err, size_t errlen)
{
	bool zero = false;
	long long val;
	int k;

	for (k = 0; k < SMP_NR_KEYS; k++) {
		v[k] = 0;
		if (!args->given[k].val)
			continue;
		if (smp_read(&args->given[k], &val)) {
			snprintf(err, errlen, "Parameter 'smp.%s' expects integer",
				 smp_key_names[k]);
			return -1;
		}
		zero |= val == 0;
		v[k] = (unsigned int)val;
	}
	/* 7.2 only warns; later QEMU refuses zeros outright. */
	if (zero)
		warn_report("Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero");
	return 0;
}

static unsigned int or_one(unsigned int v)
{
	return v ? v : 1;
}

/* QEMU would divide by a product that wrapped to 0; the check catches it. */
static unsigned int quotient(unsigned int a, unsigned int b)
{
	return b ? a / b : 0;
}

static void smp_derive(const unsigned int *v, struct smp_config *smp)
{
	unsigned int maxcpus = v[SMP_MAXCPUS] ? v[SMP_MAXCPUS] : v[SMP_CPUS];
	unsigned int sockets = v[SMP_SOCKETS];
	unsigned int dies = or_one(v[SMP_DIES]);
	unsigned int cores = v[SMP_CORES];
	unsigned int threads = v[SMP_THREADS];

	if (!maxcpus) {
		sockets = or_one(sockets);
		cores = or_one(cores);
		threads = or_one(threads);
		maxcpus = sockets * dies * cores * threads;
	} else if (!cores) {
		sockets = or_one(sockets);
		threads = or_one(threads);
		cores = quotient(maxcpus, sockets * dies * threads);
	} else if (!sockets) {
		threads = or_one(threads);
		sockets = quotient(maxcpus, dies * cores * threads);
	} else if (!threads) {
		threads = quotient(maxcpus, sockets * dies * cores);
	}
	smp->cpus = v[SMP_CPUS] ? v[SMP_CPUS] : maxcpus;
	smp->maxcpus = maxcpus;
	smp->sockets = sockets;
	smp->dies = dies;
	smp->cores = cores;
	smp->threads = threads;
}

static int smp_check(const struct smp_config *s, char *err, size_t errlen)
{
	if (s->sockets * s->dies * s->cores * s->threads != s->maxcpus)
		snprintf(err, errlen,
			 "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (%u) * dies (%u) * cores (%u) * threads (%u) != maxcpus (%u)",
			 s->sockets, s->dies, s->cores, s->threads, s->maxcpus);
	else if (s->maxcpus < s->cpus)
		snprintf(err, errlen,
			 "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (%u) * dies (%u) * cores (%u) * threads (%u) == maxcpus (%u) < smp_cpus (%u)",
			 s->sockets, s->dies, s->cores, s->threads, s->maxcpus,
			 s->cpus);
	else if (s->maxcpus > MAX_VCPUS)
		/* %d: QEMU prints 4294967295 CPUs as -1. */
		snprintf(err, errlen,
			 "Invalid SMP CPUs %d. The max CPUs supported by machine '%s' is %d",
			 (int)s->maxcpus, MACHINE_NAME, MAX_VCPUS);
	else
		return 0;
	return -1;
}

int smp_args_finish(const struct smp_args *args, struct smp_config *smp,
		    char *err, size_t errlen)
{
	unsigned int v[SMP_NR_KEYS];

	if (smp_read_all(args, v, err, errlen))
		return -1;
	if (v[SMP_CLUSTERS] > 1) {
		snprintf(err, errlen,
			 "clusters not supported by this machine's CPU topology");
		return -1;
	}
	smp_derive(v, smp);
	return smp_check(smp, err, errlen);
}

int smp_parse(const char *text, struct smp_config *smp, char *err,
	      size_t errlen)
{
	struct smp_args args;

	memset(&args, 0, sizeof(args));
	if (smp_args_add(&args, "-smp", text, err, errlen))
		return -1;
	return smp_args_finish(&args, smp, err, errlen);
}
