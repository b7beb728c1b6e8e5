// SPDX-License-Identifier: MIT
/*
 * The four functions GCC may call even in freestanding code, plus what the
 * runtime needs.  String instructions keep the emulated instruction count
 * low: each iteration of a rep-prefixed one costs about a third of a whole
 * instruction, and a byte loop takes four or five instructions per byte.
 */
#include "guest.h"

void *memset(void *s, int c, size_t n)
{
	void *d = s;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);

	/* Overlapping with dst above src: copy backwards. */
	d += n - 1;
	s += n - 1;
	asm volatile("std; rep movsb; cld"
		     : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const char *p = s;
	bool found;

	if (!n)
		return NULL;
	asm("repne scasb"
	    : "+D"(p), "+c"(n), "=@ccz"(found) : "a"(c) : "memory");
	/* scasb leaves rdi one past the byte it compared last. */
	return found ? (void *)(p - 1) : NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;
	size_t n = SIZE_MAX;

	asm("repne scasb" : "+D"(p), "+c"(n) : "a"(0) : "memory");
	return p - s - 1;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}
