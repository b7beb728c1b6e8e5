// SPDX-License-Identifier: MIT
/* Command line lookups: space-separated words, "key=value" or "flag". */
#include "guest.h"

/*
 * Returns the value of the first word that is @key or starts with "@key=",
 * or NULL if there is none.  The value is not NUL-terminated: it ends at the
 * next space or at the end of the line, and is empty for a bare flag.
 */
const char *cmdline_get(const char *cmdline, const char *key)
{
	size_t key_len = strlen(key);
	const char *p = cmdline;

	while (*p) {
		if (!strncmp(p, key, key_len)) {
			const char *after = p + key_len;

			if (*after == '=')
				return after + 1;
			if (*after == ' ' || !*after)
				return after;
		}
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

/* Whether a value from cmdline_get() is exactly @word. */
bool cmdline_value_is(const char *val, const char *word)
{
	size_t len = strlen(word);

	return val && !strncmp(val, word, len) &&
	       (!val[len] || val[len] == ' ');
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parses a value from cmdline_get(): decimal, or hexadecimal after "0x".
 * Fails on an empty value, a stray character or overflow.
 */
bool cmdline_parse_ulong(const char *val, unsigned long *out)
{
	unsigned int base = 10;
	unsigned long n = 0;
	const char *p = val;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p || *p == ' ')
		return false;
	for (; *p && *p != ' '; p++) {
		int d = digit_value(*p);

		if (d < 0 || (unsigned int)d >= base ||
		    n > (~0UL - d) / base)
			return false;
		n = n * base + d;
	}
	*out = n;
	return true;
}
