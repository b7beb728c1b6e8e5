/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_JSON_H
#define KVMLITE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * JSON (RFC 8259) values for QMP: a parser for what clients send, which
 * is untrusted, builders for what kvmlite answers, and a printer in QEMU's
 * compact style ({"key": value, "k2": [1, 2]}).  Objects keep their
 * members in insertion order, so answers come out in the order QEMU's do.
 */

/* Limits on one parsed value; deeper or longer input is refused. */
#define JSON_MAX_DEPTH		1024	/* as QEMU's MAX_NESTING */
#define JSON_MAX_SIZE		(1 << 20)	/* bytes of one value */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,		/* fits int64_t */
	JSON_NUMBER,		/* any other number, as a double */
	JSON_STRING,		/* UTF-8, no NUL inside */
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

struct json_member {
	char *key;
	struct json *value;
};

struct json {
	enum json_type type;
	union {
		bool boolean;
		int64_t integer;
		double number;
		char *string;
		struct {
			struct json **items;
			size_t len, cap;
		} array;
		struct {
			struct json_member *members;
			size_t len, cap;
		} object;
	} u;
};

/*
 * Builders.  Each returns NULL when out of memory.  The setters take
 * ownership of @value (freeing it on failure, NULL included) and return 0
 * or -1, so a whole answer can be built and checked once at the end.
 */
struct json *json_null_new(void);
struct json *json_bool_new(bool b);
struct json *json_int_new(int64_t i);
struct json *json_string_new(const char *s);
struct json *json_array_new(void);
struct json *json_object_new(void);
int json_array_append(struct json *array, struct json *value);
/* Appends @key; keys must be unique, which the caller sees to. */
int json_object_set(struct json *object, const char *key, struct json *value);
int json_object_set_str(struct json *object, const char *key, const char *s);
int json_object_set_int(struct json *object, const char *key, int64_t i);
int json_object_set_bool(struct json *object, const char *key, bool b);
struct json *json_copy(const struct json *v);
void json_free(struct json *v);

/* Lookups; NULL or false if absent or of another type. */
struct json *json_object_get(const struct json *object, const char *key);
const char *json_object_get_str(const struct json *object, const char *key);
bool json_object_get_int(const struct json *object, const char *key,
			 int64_t *out);
bool json_object_get_bool(const struct json *object, const char *key);

/*
 * Parses exactly one value from @text (surrounding white space allowed).
 * On error returns NULL and writes QEMU's kind of message to @err, e.g.
 * "JSON parse error, invalid keyword 'garbage'".
 */
struct json *json_parse(const char *text, size_t len, char *err,
			size_t errlen);

/* Prints @v compactly, as QEMU does; -1 if the stream failed. */
int json_print(FILE *out, const struct json *v);
/* The same into a new string, or NULL when out of memory. */
char *json_to_string(const struct json *v);

/*
 * Splits a byte stream into top-level values, as a QMP connection sends
 * them: objects and arrays by their brackets, strings by their quotes,
 * bare words (numbers, keywords, garbage) at the next delimiter.  Each
 * value's text, or an error for what cannot be one, goes to the callback
 * in order.  A value deeper than JSON_MAX_DEPTH or longer than
 * JSON_MAX_SIZE is reported once and skipped to its end, so the stream
 * carries on with the next one; memory stays bounded either way.
 */
typedef void (*json_stream_fn)(void *opaque, const char *text, size_t len,
			       const char *error);

struct json_stream {
	char *buf;
	size_t len, cap;
	size_t max_size;
	int max_depth;
	int state;		/* what is being gathered (json.c) */
	int depth;
	bool in_string, escape;
	bool skipping;		/* reported; dropping the rest of it */
};

void json_stream_init(struct json_stream *st);
void json_stream_feed(struct json_stream *st, const char *data, size_t len,
		      json_stream_fn fn, void *opaque);
void json_stream_free(struct json_stream *st);

#endif
