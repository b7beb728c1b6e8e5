// SPDX-License-Identifier: MIT
/*
 * printf to the serial port.  Conversions: %d %u %x %p %c %s %%, with the
 * length modifiers l, ll and z, a field width and the 0 flag.
 *
 * Guest code is emulated, so this is written for few instructions: literal
 * text is found with a string instruction and written out in runs, and
 * each number is built with its padding and written at once.  (Collecting
 * everything in a buffer first costs more instructions than it saves.)
 */
#include "guest.h"

/* Widest field printed; larger widths are clamped to it. */
#define FIELD_MAX	64

static const char hex_digits[] = "0123456789abcdef";

static int emit(const char *s, size_t len)
{
	serial_write(s, len);
	return len;
}

/* Prints @s right-aligned in a field of @width characters. */
static int emit_padded(const char *s, size_t len, unsigned int width)
{
	char spaces[FIELD_MAX];
	int count = 0;

	if (width > FIELD_MAX)
		width = FIELD_MAX;
	if (width > len) {
		memset(spaces, ' ', width - len);
		count = emit(spaces, width - len);
	}
	return count + emit(s, len);
}

/* Builds the field backwards from @end and returns where it starts. */
static char *format_number(char *end, uint64_t val, bool hex, bool negative,
			   unsigned int width, bool zero_pad)
{
	char *p = end;
	unsigned int len;

	if (width > FIELD_MAX)
		width = FIELD_MAX;
	if (hex) {
		do {
			*--p = hex_digits[val & 15];
			val >>= 4;
		} while (val);
	} else {
		do {
			*--p = '0' + val % 10;
			val /= 10;
		} while (val);
	}
	/* The sign goes after padding spaces but before padding zeros. */
	if (negative && !zero_pad)
		*--p = '-';
	len = end - p + (negative && zero_pad);
	if (len < width) {
		p -= width - len;
		memset(p, zero_pad ? '0' : ' ', width - len);
	}
	if (negative && zero_pad)
		*--p = '-';
	return p;
}

/*
 * Prints the conversion at *@fmtp, just past a '%', and moves *@fmtp past
 * it.  Returns the number of characters printed.
 */
static int convert(const char **fmtp, va_list *ap)
{
	const char *fmt = *fmtp;
	char buf[FIELD_MAX + 2], *end = buf + sizeof(buf), *p;
	bool zero_pad = false, is_long = false, negative = false, hex = false;
	unsigned int width = 0;
	uint64_t val;
	const char *s;
	char c;

	if (*fmt == '0') {
		zero_pad = true;
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9')
		width = width * 10 + (*fmt++ - '0');
	while (*fmt == 'l' || *fmt == 'z') {
		is_long = true;
		fmt++;
	}
	/* A '%' ending the string prints as itself. */
	*fmtp = *fmt ? fmt + 1 : fmt;

	switch (*fmt) {
	case 'd': {
		int64_t v = is_long ? va_arg(*ap, long) : va_arg(*ap, int);

		negative = v < 0;
		val = negative ? -(uint64_t)v : (uint64_t)v;
		break;
	}
	case 'x':
		hex = true;
		/* fall through */
	case 'u':
		val = is_long ? va_arg(*ap, unsigned long) :
				va_arg(*ap, unsigned int);
		break;
	case 'p':
		p = format_number(end, (uintptr_t)va_arg(*ap, void *), true,
				  false, width, zero_pad);
		*--p = 'x';
		*--p = '0';
		return emit(p, end - p);
	case 'c':
		c = va_arg(*ap, int);
		return emit_padded(&c, 1, width);
	case 's':
		s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		return emit_padded(s, strlen(s), width);
	case '%':
		return emit("%", 1);
	default:
		/* Unknown conversion: show it rather than guess. */
		return emit(fmt - 1, *fmt ? 2 : 1);
	}
	p = format_number(end, val, hex, negative, width, zero_pad);
	return emit(p, end - p);
}

int printf(const char *fmt, ...)
{
	size_t left = strlen(fmt), run;
	const char *percent, *next;
	int count = 0;
	va_list ap;

	va_start(ap, fmt);
	while (left) {
		percent = memchr(fmt, '%', left);
		run = percent ? (size_t)(percent - fmt) : left;
		count += emit(fmt, run);
		fmt += run;
		left -= run;
		if (!left)
			break;
		next = fmt + 1;
		count += convert(&next, &ap);
		left -= next - fmt;
		fmt = next;
	}
	va_end(ap);
	return count;
}
