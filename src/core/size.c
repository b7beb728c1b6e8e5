// SPDX-License-Identifier: MIT
/*
 * Sizes as QEMU 7.2 reads them ("512", "0.5G", "1000k", "0x1000"), and
 * the -m option built on them.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/log.h"

#define RAM_ALIGN	8192ULL	/* QEMU rounds guest RAM up to this */
#define MAX_MEM_SLOTS	256

/* The multiplier a suffix letter stands for, or 0 if it is none. */
static uint64_t suffix_unit(char c)
{
	static const char units[] = "BKMGTPE";
	const char *p = c ? strchr(units, toupper((unsigned char)c)) : NULL;

	return p ? 1ULL << (10 * (p - units)) : 0;
}

/*
 * The integral part, in decimal unless it starts "0x".  strtoull() would
 * quietly negate "-5", so a minus sign anywhere in it is refused.
 */
static int parse_integer(const char *text, const char **end, uint64_t *val,
			 bool *hex)
{
	char *e;

	errno = 0;
	*val = strtoull(text, &e, 10);
	*end = e;
	if (e == text || memchr(text, '-', e - text))
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*hex = *val == 0 && (*e == 'x' || *e == 'X');
	if (*hex) {
		*val = strtoull(text, &e, 16);
		*end = e;
		if (errno)
			return -ERANGE;
	}
	return 0;
}

/*
 * The digits after a '.'.  "1.G" has none and is fine; an exponent, which
 * strtod() would happily read ("1.5e3"), is not.
 */
static int parse_fraction(const char *dot, const char **end, double *frac)
{
	const char *digits_end = dot + 1 + strspn(dot + 1, "0123456789");
	char *e;

	*frac = 0;
	*end = digits_end;
	if (digits_end == dot + 1)
		return 0;
	*frac = strtod(dot, &e);
	return e == digits_end ? 0 : -EINVAL;
}

/*
 * (@val + @frac) * @unit, rounding half a byte up as QEMU does.  With a
 * power-of-two unit, @frac * @unit and its split into whole and rest are
 * exact in a double.
 */
static int scale(uint64_t val, double frac, uint64_t unit, uint64_t *out)
{
	double part = frac * (double)unit;
	uint64_t whole = (uint64_t)part;

	whole += part - (double)whole >= 0.5;
	if (__builtin_mul_overflow(val, unit, out) ||
	    __builtin_add_overflow(*out, whole, out))
		return -ERANGE;
	return 0;
}

int parse_size(const char *text, uint64_t default_unit, uint64_t *out)
{
	double frac = 0;
	const char *end;
	uint64_t val, unit;
	bool hex = false;
	int ret;

	ret = parse_integer(text, &end, &val, &hex);
	/* Trailing junk outranks overflow: "99999999999999999999x" is junk. */
	if (ret)
		return *end ? -EINVAL : ret;
	if (!hex && *end == '.' && parse_fraction(end, &end, &frac))
		return -EINVAL;
	unit = suffix_unit(*end);
	if (unit) {
		if (hex)
			warn_report("Using a multiplier suffix on hex numbers is deprecated: %s",
				    text);
		end++;
	} else {
		unit = default_unit;
	}
	/* A fraction of a byte makes no sense: "1.5" and "1.5b" are refused. */
	if (*end || (unit == 1 && frac != 0))
		return -EINVAL;
	return scale(val, frac, unit, out);
}

/* A size= or maxmem= value; bytes unless it has a suffix. */
static int mem_read_size(const struct opt_iter *it, const struct opt_elem *e,
			 const char *name, char *buf, size_t len,
			 uint64_t *out, char *err, size_t errlen)
{
	int ret = -EINVAL;

	if (!opt_val_copy(e, buf, len))
		ret = parse_size(buf, 1, out);
	if (ret == -ERANGE)
		return opt_fail(it, err, errlen,
				"Value '%s' is out of range for parameter '%s'",
				buf, name);
	if (ret)
		return opt_fail(it, err, errlen,
				"Parameter '%s' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)",
				name);
	return 0;
}

/* slots= is a plain number in any C base; "-1" wraps, as in QEMU. */
static int mem_read_slots(const struct opt_iter *it, const struct opt_elem *e,
			  uint64_t *out, char *err, size_t errlen)
{
	char buf[64], *end = buf;

	if (!opt_val_copy(e, buf, sizeof(buf))) {
		errno = 0;
		*out = strtoull(buf, &end, 0);
	}
	if (end == buf || *end)
		return opt_fail(it, err, errlen,
				"Parameter 'slots' expects a number");
	if (errno)
		return opt_fail(it, err, errlen,
				"Value '%s' is too large for parameter 'slots'",
				buf);
	return 0;
}

static int mem_set(struct mem_args *mem, const struct opt_iter *it,
		   const struct opt_elem *e, char *err, size_t errlen)
{
	char buf[sizeof(mem->size_text)];

	if (opt_key_is(e, "size")) {
		if (mem_read_size(it, e, "size", buf, sizeof(buf), &mem->size,
				  err, errlen))
			return -1;
		strcpy(mem->size_text, buf);
		return 0;
	}
	if (opt_key_is(e, "maxmem")) {
		mem->has_maxmem = true;
		return mem_read_size(it, e, "maxmem", buf, sizeof(buf),
				     &mem->maxmem, err, errlen);
	}
	if (opt_key_is(e, "slots")) {
		mem->has_slots = true;
		return mem_read_slots(it, e, &mem->slots, err, errlen);
	}
	return opt_fail(it, err, errlen, "Invalid parameter '%.*s'",
			(int)e->key_len, e->key);
}

int mem_args_add(struct mem_args *mem, const char *opt, const char *text,
		 char *err, size_t errlen)
{
	struct opt_iter it;
	struct opt_elem e;
	int ret;

	opt_iter_init(&it, opt, text, "size", false);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0)
		if (mem_set(mem, &it, &e, err, errlen))
			return -1;
	return ret;
}

/*
 * QEMU reads "-m 512" as bytes first and then, as the text ends in a
 * digit, again with an "M" appended: that is where the legacy MiB come
 * from, and why "-m 0x10" warns about a suffix on a hex number.
 */
static int mem_ram_size(const struct mem_args *mem, uint64_t *size,
			char *err, size_t errlen)
{
	const char *text = mem->size_text;
	char mib[sizeof(mem->size_text) + 1];

	*size = mem->size;
	if (isdigit((unsigned char)text[strlen(text) - 1])) {
		snprintf(mib, sizeof(mib), "%sM", text);
		if (parse_size(mib, 1, size))
			goto too_big;
	}
	if (*size > UINT64_MAX - (RAM_ALIGN - 1))
		goto too_big;
	*size = (*size + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);
	return 0;
too_big:
	snprintf(err, errlen, "Parameter 'memory.size' expects size");
	return -1;
}

/* slots= and maxmem= are for memory hotplug: checked, then unused. */
static int mem_check_hotplug(const struct mem_args *mem, uint64_t size,
			     char *err, size_t errlen)
{
	if (mem->has_slots && !mem->has_maxmem)
		snprintf(err, errlen, "slots specified but no max-size");
	else if (mem->has_maxmem && mem->maxmem < size)
		snprintf(err, errlen,
			 "invalid value of maxmem: maximum memory size (0x%" PRIx64 ") must be at least the initial memory size (0x%" PRIx64 ")",
			 mem->maxmem, size);
	else if (mem->slots && mem->maxmem == size)
		snprintf(err, errlen,
			 "invalid value of maxmem: memory slots were specified but maximum memory size (0x%" PRIx64 ") is equal to the initial memory size (0x%" PRIx64 ")",
			 mem->maxmem, size);
	else if (mem->slots > MAX_MEM_SLOTS)
		snprintf(err, errlen,
			 "unsupported amount of memory slots: %" PRIu64,
			 mem->slots);
	else
		return 0;
	return -1;
}

int mem_args_finish(const struct mem_args *mem, uint64_t *ram_size,
		    char *err, size_t errlen)
{
	uint64_t size = DEFAULT_RAM_SIZE;

	/* "-m 0" (or "0.0001k") asks for nothing: the default, as QEMU. */
	if (mem->size && mem_ram_size(mem, &size, err, errlen))
		return -1;
	if (mem_check_hotplug(mem, size, err, errlen))
		return -1;
	*ram_size = size;
	return 0;
}
