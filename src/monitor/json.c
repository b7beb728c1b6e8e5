// SPDX-License-Identifier: MIT
/*
 * JSON values, parser, printer and stream splitter for QMP.
 *
 * Everything a client sends is untrusted: the parser checks the grammar
 * of RFC 8259 and the UTF-8 of every string, bounds its recursion, and
 * rejects what C strings cannot carry (\u0000).  Duplicate keys are found
 * by sorting, so a huge object costs n log n, not n squared.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/json.h"

/* --- values -------------------------------------------------------------- */

static struct json *json_alloc(enum json_type type)
{
	struct json *v = calloc(1, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

struct json *json_null_new(void)
{
	return json_alloc(JSON_NULL);
}

struct json *json_bool_new(bool b)
{
	struct json *v = json_alloc(JSON_BOOL);

	if (v)
		v->u.boolean = b;
	return v;
}

struct json *json_int_new(int64_t i)
{
	struct json *v = json_alloc(JSON_INT);

	if (v)
		v->u.integer = i;
	return v;
}

static struct json *json_number_new(double d)
{
	struct json *v = json_alloc(JSON_NUMBER);

	if (v)
		v->u.number = d;
	return v;
}

/* Takes ownership of @s. */
static struct json *json_string_take(char *s)
{
	struct json *v = s ? json_alloc(JSON_STRING) : NULL;

	if (!v) {
		free(s);
		return NULL;
	}
	v->u.string = s;
	return v;
}

struct json *json_string_new(const char *s)
{
	return json_string_take(strdup(s));
}

struct json *json_array_new(void)
{
	return json_alloc(JSON_ARRAY);
}

struct json *json_object_new(void)
{
	return json_alloc(JSON_OBJECT);
}

/* Makes room for one more element of @size bytes in *@items. */
static int grow(void *items, size_t *cap, size_t len, size_t size)
{
	void **p = items;
	size_t n = *cap ? *cap * 2 : 4;
	void *bigger;

	if (len < *cap)
		return 0;
	bigger = realloc(*p, n * size);
	if (!bigger)
		return -1;
	*p = bigger;
	*cap = n;
	return 0;
}

int json_array_append(struct json *array, struct json *value)
{
	if (!array || !value || array->type != JSON_ARRAY ||
	    grow(&array->u.array.items, &array->u.array.cap,
		 array->u.array.len, sizeof(value))) {
		json_free(value);
		return -1;
	}
	array->u.array.items[array->u.array.len++] = value;
	return 0;
}

/* Appends @key, which it takes ownership of, with @value. */
static int object_append(struct json *object, char *key, struct json *value)
{
	struct json_member *m;

	if (!object || !key || !value || object->type != JSON_OBJECT ||
	    grow(&object->u.object.members, &object->u.object.cap,
		 object->u.object.len, sizeof(*m))) {
		free(key);
		json_free(value);
		return -1;
	}
	m = &object->u.object.members[object->u.object.len++];
	m->key = key;
	m->value = value;
	return 0;
}

int json_object_set(struct json *object, const char *key, struct json *value)
{
	return object_append(object, strdup(key), value);
}

int json_object_set_str(struct json *object, const char *key, const char *s)
{
	return json_object_set(object, key, json_string_new(s));
}

int json_object_set_int(struct json *object, const char *key, int64_t i)
{
	return json_object_set(object, key, json_int_new(i));
}

int json_object_set_bool(struct json *object, const char *key, bool b)
{
	return json_object_set(object, key, json_bool_new(b));
}

void json_free(struct json *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case JSON_STRING:
		free(v->u.string);
		break;
	case JSON_ARRAY:
		for (i = 0; i < v->u.array.len; i++)
			json_free(v->u.array.items[i]);
		free(v->u.array.items);
		break;
	case JSON_OBJECT:
		for (i = 0; i < v->u.object.len; i++) {
			free(v->u.object.members[i].key);
			json_free(v->u.object.members[i].value);
		}
		free(v->u.object.members);
		break;
	default:
		break;
	}
	free(v);
}

struct json *json_copy(const struct json *v)
{
	struct json *c;
	size_t i;
	int ret = 0;

	switch (v->type) {
	case JSON_STRING:
		return json_string_new(v->u.string);
	case JSON_ARRAY:
		c = json_array_new();
		for (i = 0; i < v->u.array.len; i++)
			ret |= json_array_append(c, json_copy(
						 v->u.array.items[i]));
		break;
	case JSON_OBJECT:
		c = json_object_new();
		for (i = 0; i < v->u.object.len; i++)
			ret |= json_object_set(c, v->u.object.members[i].key,
				json_copy(v->u.object.members[i].value));
		break;
	default:
		c = json_alloc(v->type);
		if (c)
			c->u = v->u;
		return c;
	}
	if (ret) {
		json_free(c);
		return NULL;
	}
	return c;
}

struct json *json_object_get(const struct json *object, const char *key)
{
	size_t i;

	if (!object || object->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < object->u.object.len; i++)
		if (!strcmp(object->u.object.members[i].key, key))
			return object->u.object.members[i].value;
	return NULL;
}

const char *json_object_get_str(const struct json *object, const char *key)
{
	struct json *v = json_object_get(object, key);

	return v && v->type == JSON_STRING ? v->u.string : NULL;
}

bool json_object_get_int(const struct json *object, const char *key,
			 int64_t *out)
{
	struct json *v = json_object_get(object, key);

	if (!v || v->type != JSON_INT)
		return false;
	*out = v->u.integer;
	return true;
}

bool json_object_get_bool(const struct json *object, const char *key)
{
	struct json *v = json_object_get(object, key);

	return v && v->type == JSON_BOOL && v->u.boolean;
}

/* --- parser -------------------------------------------------------------- */

struct parser {
	const char *p, *end;
	int depth;
	char *err;
	size_t errlen;
};

static struct json *parse_value(struct parser *ps);

/* Records the first error only: it is the one that explains the rest. */
static void *parse_error(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void *parse_error(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err[0])
		return NULL;
	n = snprintf(ps->err, ps->errlen, "JSON parse error, ");
	if (n > 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && is_space(*ps->p))
		ps->p++;
}

static int peek(struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '_' || c == '-' || c == '.' || c == '+';
}

/* A growing byte string for decoded string contents. */
struct chars {
	char *s;
	size_t len, cap;
};

static int chars_add(struct chars *c, const char *data, size_t n)
{
	while (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		char *s = realloc(c->s, cap);

		if (!s)
			return -1;
		c->s = s;
		c->cap = cap;
	}
	memcpy(c->s + c->len, data, n);
	c->len += n;
	c->s[c->len] = '\0';
	return 0;
}

static int chars_add_utf8(struct chars *c, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6;
		b[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12;
		b[1] = 0x80 | ((cp >> 6) & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | cp >> 18;
		b[1] = 0x80 | ((cp >> 12) & 0x3f);
		b[2] = 0x80 | ((cp >> 6) & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	return chars_add(c, b, n);
}

/*
 * Decodes one UTF-8 sequence at @s (at most @avail bytes); returns its
 * length with the code point in @cp, or 0 if it is malformed, overlong,
 * a surrogate or beyond U+10FFFF.
 */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* \uXXXX, with a surrogate pair taken as one code point.  At the 'u'. */
static int parse_unicode_escape(struct parser *ps, struct chars *c)
{
	uint32_t cp, low;

	if (hex4(ps->p + 1, ps->end, &cp)) {
		parse_error(ps, "invalid \\u escape in string");
		return -1;
	}
	ps->p += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		parse_error(ps, "lone surrogate \\u%04X in string", cp);
		return -1;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' ||
		    ps->p[1] != 'u' || hex4(ps->p + 2, ps->end, &low) ||
		    low < 0xdc00 || low > 0xdfff) {
			parse_error(ps, "lone surrogate \\u%04X in string", cp);
			return -1;
		}
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	if (!cp) {
		parse_error(ps, "\\u0000 is not supported");
		return -1;
	}
	return chars_add_utf8(c, cp);
}

/* One escape sequence; ps->p is at the character after the backslash. */
static int parse_escape(struct parser *ps, struct chars *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (ps->p >= ps->end) {
		parse_error(ps, "unterminated string");
		return -1;
	}
	if (*ps->p == 'u')
		return parse_unicode_escape(ps, c);
	hit = memchr(from, *ps->p, sizeof(from) - 1);
	if (!hit) {
		parse_error(ps, "invalid escape sequence in string");
		return -1;
	}
	ps->p++;
	return chars_add(c, &to[hit - from], 1);
}

/* A string; ps->p is at the opening quote.  Returns it NUL-terminated. */
static char *parse_string(struct parser *ps)
{
	struct chars c = { 0 };
	uint32_t cp;
	size_t n;
	int ret = chars_add(&c, "", 0);

	ps->p++;
	while (!ret) {
		if (ps->p >= ps->end) {
			ret = -1;
			parse_error(ps, "unterminated string");
		} else if (*ps->p == '"') {
			ps->p++;
			return c.s;
		} else if (*ps->p == '\\') {
			ps->p++;
			ret = parse_escape(ps, &c);
		} else if ((unsigned char)*ps->p < 0x20) {
			ret = -1;
			parse_error(ps, "control character 0x%02x in string",
				    (unsigned char)*ps->p);
		} else {
			n = utf8_decode((const unsigned char *)ps->p,
					ps->end - ps->p, &cp);
			if (!n) {
				ret = -1;
				parse_error(ps,
					    "invalid UTF-8 sequence in string");
			} else {
				ret = chars_add(&c, ps->p, n);
				ps->p += n;
			}
		}
	}
	parse_error(ps, "out of memory");
	free(c.s);
	return NULL;
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(const char *p, const char *end, bool *integral)
{
	*integral = true;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && is_digit(*p))
		while (p < end && is_digit(*p))
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		*integral = false;
		if (++p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integral = false;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

static struct json *parse_number(struct parser *ps)
{
	const char *start = ps->p, *end;
	bool integral;
	char *text, *stop;
	long long i;
	double d;

	end = scan_number(start, ps->end, &integral);
	if (!end || (end < ps->end && is_word_char(*end))) {
		while (ps->p < ps->end && is_word_char(*ps->p))
			ps->p++;
		return parse_error(ps, "invalid number '%.*s'",
				   ps->p - start > 64 ? 64 : (int)(ps->p - start),
				   start);
	}
	text = strndup(start, end - start);
	if (!text)
		return parse_error(ps, "out of memory");
	ps->p = end;
	errno = 0;
	i = strtoll(text, &stop, 10);
	if (integral && !errno) {
		free(text);
		return json_int_new(i);
	}
	d = strtod(text, &stop);
	free(text);
	if (isinf(d))
		return parse_error(ps, "number out of range");
	return json_number_new(d);
}

static struct json *parse_keyword(struct parser *ps)
{
	const char *start = ps->p;
	size_t n;

	while (ps->p < ps->end && is_word_char(*ps->p))
		ps->p++;
	n = ps->p - start;
	if (n == 4 && !memcmp(start, "true", 4))
		return json_bool_new(true);
	if (n == 5 && !memcmp(start, "false", 5))
		return json_bool_new(false);
	if (n == 4 && !memcmp(start, "null", 4))
		return json_null_new();
	return parse_error(ps, "invalid keyword '%.*s'", (int)(n > 64 ? 64 : n),
			   start);
}

/* Fails on a repeated key; sorts a copy of the key list to find one. */
static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_unique_keys(struct parser *ps, const struct json *object)
{
	size_t i, n = object->u.object.len;
	char **keys;
	int ret = 0;

	if (n < 2)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys) {
		parse_error(ps, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		keys[i] = object->u.object.members[i].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n && !ret; i++) {
		if (!strcmp(keys[i - 1], keys[i])) {
			parse_error(ps, "duplicate key '%.64s'", keys[i]);
			ret = -1;
		}
	}
	free(keys);
	return ret;
}

/* One "key": value pair of an object, appended to it. */
static int parse_member(struct parser *ps, struct json *object)
{
	struct json *value;
	char *key;

	skip_space(ps);
	if (peek(ps) != '"') {
		parse_error(ps, "key is not a string in object");
		return -1;
	}
	key = parse_string(ps);
	if (!key)
		return -1;
	skip_space(ps);
	if (peek(ps) != ':') {
		free(key);
		parse_error(ps, "missing : in object pair");
		return -1;
	}
	ps->p++;
	value = parse_value(ps);
	if (!value) {
		free(key);
		return -1;
	}
	if (object_append(object, key, value)) {
		parse_error(ps, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * The elements of an array or the members of an object, after the
 * opening bracket, up to and including @close.
 */
static struct json *parse_container(struct parser *ps, struct json *v,
				    char close, const char *what)
{
	int ret;

	skip_space(ps);
	if (peek(ps) == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		if (v->type == JSON_OBJECT)
			ret = parse_member(ps, v);
		else
			ret = json_array_append(v, parse_value(ps)) ? -1 : 0;
		if (ret)
			break;
		skip_space(ps);
		if (peek(ps) == close) {
			ps->p++;
			if (v->type == JSON_OBJECT && check_unique_keys(ps, v))
				break;
			return v;
		}
		if (peek(ps) != ',') {
			parse_error(ps, "expected separator in %s", what);
			break;
		}
		ps->p++;
	}
	parse_error(ps, "out of memory");
	json_free(v);
	return NULL;
}

static struct json *parse_nested(struct parser *ps, bool object)
{
	struct json *v;

	if (++ps->depth > JSON_MAX_DEPTH)
		return parse_error(ps, "nesting depth limit exceeded");
	ps->p++;
	v = object ? json_object_new() : json_array_new();
	if (!v)
		return parse_error(ps, "out of memory");
	v = parse_container(ps, v, object ? '}' : ']',
			    object ? "dict" : "list");
	ps->depth--;
	return v;
}

static struct json *parse_value(struct parser *ps)
{
	int c;

	skip_space(ps);
	c = peek(ps);
	if (c == '{' || c == '[')
		return parse_nested(ps, c == '{');
	if (c == '"')
		return json_string_take(parse_string(ps));
	if (c == '-' || is_digit(c))
		return parse_number(ps);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return parse_keyword(ps);
	if (c > 0x20 && c < 0x7f && !strchr("{}[],:", c))
		return parse_error(ps, "stray '%c'", c);
	return parse_error(ps, "expecting value");
}

struct json *json_parse(const char *text, size_t len, char *err,
			size_t errlen)
{
	struct parser ps = { text, text + len, 0, err, errlen };
	struct json *v;

	err[0] = '\0';
	v = parse_value(&ps);
	skip_space(&ps);
	if (v && ps.p < ps.end) {
		json_free(v);
		return parse_error(&ps, "unexpected '%c' after the value",
				   *ps.p);
	}
	if (!v && !err[0])
		parse_error(&ps, "out of memory");
	return v;
}

/* --- printer ------------------------------------------------------------- */

static void print_escaped(FILE *out, uint32_t cp)
{
	if (cp >= 0x10000) {
		cp -= 0x10000;
		fprintf(out, "\\u%04X\\u%04X", 0xd800 + (cp >> 10),
			0xdc00 + (cp & 0x3ff));
	} else {
		fprintf(out, "\\u%04X", cp);
	}
}

/*
 * As QEMU prints strings: the usual short escapes, \uXXXX (upper case)
 * for other control characters, DEL and everything beyond ASCII.  Invalid
 * UTF-8, which only kvmlite's own strings could hold, comes out as
 * U+FFFD.
 */
static void print_string(FILE *out, const char *s)
{
	static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const unsigned char *p = (const unsigned char *)s;
	const char *hit;
	uint32_t cp;
	size_t n;

	fputc('"', out);
	while (*p) {
		hit = memchr(from, *p, sizeof(from) - 1);
		if (hit) {
			fputc('\\', out);
			fputc(to[hit - from], out);
			p++;
		} else if (*p >= 0x20 && *p < 0x7f) {
			fputc(*p++, out);
		} else {
			n = utf8_decode(p, strnlen((const char *)p, 4), &cp);
			print_escaped(out, n ? cp : 0xfffd);
			p += n ? n : 1;
		}
	}
	fputc('"', out);
}

static void print_value(FILE *out, const struct json *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		fputs("null", out);
		break;
	case JSON_BOOL:
		fputs(v->u.boolean ? "true" : "false", out);
		break;
	case JSON_INT:
		fprintf(out, "%lld", (long long)v->u.integer);
		break;
	case JSON_NUMBER:
		fprintf(out, "%.17g", v->u.number);
		break;
	case JSON_STRING:
		print_string(out, v->u.string);
		break;
	case JSON_ARRAY:
		fputc('[', out);
		for (i = 0; i < v->u.array.len; i++) {
			if (i)
				fputs(", ", out);
			print_value(out, v->u.array.items[i]);
		}
		fputc(']', out);
		break;
	case JSON_OBJECT:
		fputc('{', out);
		for (i = 0; i < v->u.object.len; i++) {
			if (i)
				fputs(", ", out);
			print_string(out, v->u.object.members[i].key);
			fputs(": ", out);
			print_value(out, v->u.object.members[i].value);
		}
		fputc('}', out);
		break;
	}
}

int json_print(FILE *out, const struct json *v)
{
	print_value(out, v);
	return ferror(out) ? -1 : 0;
}

char *json_to_string(const struct json *v)
{
	char *s = NULL;
	size_t len;
	FILE *out = open_memstream(&s, &len);
	int ret;

	if (!out)
		return NULL;
	ret = json_print(out, v);
	if (fclose(out) || ret) {
		free(s);
		return NULL;
	}
	return s;
}

/* --- stream splitter ----------------------------------------------------- */

enum stream_state {
	STREAM_IDLE,		/* between values */
	STREAM_NESTED,		/* inside an object or array */
	STREAM_STRING,		/* a top-level string */
	STREAM_WORD,		/* a top-level number, keyword or garbage */
};

void json_stream_init(struct json_stream *st)
{
	memset(st, 0, sizeof(*st));
	st->max_size = JSON_MAX_SIZE;
	st->max_depth = JSON_MAX_DEPTH;
}

void json_stream_free(struct json_stream *st)
{
	free(st->buf);
	st->buf = NULL;
	st->len = st->cap = 0;
}

/* Reports @error for the value being gathered and drops the rest of it. */
static void stream_skip(struct json_stream *st, const char *error,
			json_stream_fn fn, void *opaque)
{
	if (st->skipping)
		return;
	st->skipping = true;
	st->len = 0;
	fn(opaque, NULL, 0, error);
}

static void stream_store(struct json_stream *st, char c, json_stream_fn fn,
			 void *opaque)
{
	if (st->skipping)
		return;
	if (st->len + 1 > st->max_size) {
		stream_skip(st, "JSON token size limit exceeded", fn, opaque);
		return;
	}
	if (st->len == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 256;
		char *buf = realloc(st->buf, cap);

		if (!buf) {
			stream_skip(st, "out of memory", fn, opaque);
			return;
		}
		st->buf = buf;
		st->cap = cap;
	}
	st->buf[st->len++] = c;
}

/* The value is complete: hand it over (unless it was skipped). */
static void stream_emit(struct json_stream *st, json_stream_fn fn,
			void *opaque)
{
	if (!st->skipping)
		fn(opaque, st->buf, st->len, NULL);
	st->state = STREAM_IDLE;
	st->len = 0;
	st->depth = 0;
	st->in_string = st->escape = st->skipping = false;
	/* A huge value should not pin its buffer for the connection's life. */
	if (st->cap > 4096)
		json_stream_free(st);
}

/* Tracks quotes and escapes; true while @c is inside a string. */
static bool stream_in_string(struct json_stream *st, char c)
{
	if (!st->in_string)
		return false;
	if (st->escape)
		st->escape = false;
	else if (c == '\\')
		st->escape = true;
	else if (c == '"')
		st->in_string = false;
	return true;
}

static void stream_nested(struct json_stream *st, char c, json_stream_fn fn,
			  void *opaque)
{
	stream_store(st, c, fn, opaque);
	if (stream_in_string(st, c))
		return;
	if (c == '"') {
		st->in_string = true;
	} else if (c == '{' || c == '[') {
		if (++st->depth > st->max_depth)
			stream_skip(st, "JSON nesting depth limit exceeded", fn,
				    opaque);
	} else if (c == '}' || c == ']') {
		if (--st->depth == 0)
			stream_emit(st, fn, opaque);
	}
}

static void stream_start(struct json_stream *st, char c, json_stream_fn fn,
			 void *opaque)
{
	if (is_space(c))
		return;
	if (strchr("}],:", c)) {
		fn(opaque, NULL, 0, "JSON parse error, expecting value");
		return;
	}
	if (c == '{' || c == '[') {
		st->state = STREAM_NESTED;
		st->depth = 1;
	} else if (c == '"') {
		st->state = STREAM_STRING;
		st->in_string = true;
	} else {
		st->state = STREAM_WORD;
	}
	stream_store(st, c, fn, opaque);
}

void json_stream_feed(struct json_stream *st, const char *data, size_t len,
		      json_stream_fn fn, void *opaque)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = data[i];
		switch (st->state) {
		case STREAM_IDLE:
			stream_start(st, c, fn, opaque);
			break;
		case STREAM_NESTED:
			stream_nested(st, c, fn, opaque);
			break;
		case STREAM_STRING:
			stream_store(st, c, fn, opaque);
			stream_in_string(st, c);
			if (!st->in_string)
				stream_emit(st, fn, opaque);
			break;
		case STREAM_WORD:
			if (is_space(c) || strchr("{}[],:\"", c)) {
				stream_emit(st, fn, opaque);
				stream_start(st, c, fn, opaque);
			} else {
				stream_store(st, c, fn, opaque);
			}
			break;
		}
	}
}
