// SPDX-License-Identifier: MIT
/*
 * The QMP JSON parser, printer and stream splitter: RFC 8259 grammar,
 * QEMU's messages and output style, and the limits that keep a hostile
 * client from costing unbounded memory, stack or time.
 */
#include <stdlib.h>

#include "check.h"
#include "kvmlite/json.h"

static char err[256];

static struct json *parse(const char *text)
{
	return json_parse(text, strlen(text), err, sizeof(err));
}

/* Parses and prints back; "" if the parse failed. */
static const char *round_trip(const char *text)
{
	static char out[4096];
	struct json *v = parse(text);
	char *s = v ? json_to_string(v) : NULL;

	snprintf(out, sizeof(out), "%s", s ? s : "");
	free(s);
	json_free(v);
	return out;
}

/* The error json_parse reports for @text; "" if it parsed. */
static const char *parse_err(const char *text)
{
	struct json *v = parse(text);

	if (v) {
		json_free(v);
		return "";
	}
	return err;
}

TEST(scalars)
{
	CHECK_STR(round_trip("true"), "true");
	CHECK_STR(round_trip(" false "), "false");
	CHECK_STR(round_trip("null"), "null");
	CHECK_STR(round_trip("0"), "0");
	CHECK_STR(round_trip("-0"), "0");
	CHECK_STR(round_trip("-42"), "-42");
	CHECK_STR(round_trip("9223372036854775807"), "9223372036854775807");
	CHECK_STR(round_trip("-9223372036854775808"), "-9223372036854775808");
	CHECK_STR(round_trip("1.5"), "1.5");
	CHECK_STR(round_trip("1E2"), "100");
	CHECK_STR(round_trip("\"a\""), "\"a\"");
}

TEST(integers_beyond_int64_become_doubles)
{
	struct json *v = parse("12345678901234567890");

	CHECK(v && v->type == JSON_NUMBER);
	json_free(v);
	v = parse("7");
	CHECK(v && v->type == JSON_INT && v->u.integer == 7);
	json_free(v);
}

TEST(containers_print_as_qemu)
{
	CHECK_STR(round_trip("{}"), "{}");
	CHECK_STR(round_trip("[]"), "[]");
	CHECK_STR(round_trip("{\"a\":1,\"b\":[true,null,{}]}"),
		  "{\"a\": 1, \"b\": [true, null, {}]}");
	/* Members stay in the order they came in. */
	CHECK_STR(round_trip("{\"z\":1,\"a\":2}"), "{\"z\": 1, \"a\": 2}");
	CHECK_STR(round_trip(" [ 1 , 2 ]\r\n"), "[1, 2]");
}

TEST(string_escapes_decode)
{
	struct json *v = parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"");

	CHECK(v && v->type == JSON_STRING);
	if (v)
		CHECK_STR(v->u.string,
			  "\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
	json_free(v);
}

TEST(strings_print_as_qemu)
{
	/* Upper-case \u escapes beyond ASCII, surrogate pairs, '/' plain. */
	CHECK_STR(round_trip("\"\\u00e9\\u007f/\\u0001\\ud83d\\ude00\\\"\""),
		  "\"\\u00E9\\u007F/\\u0001\\uD83D\\uDE00\\\"\"");
	CHECK_STR(round_trip("\"tab\\there\\r\\n\""), "\"tab\\there\\r\\n\"");
}

TEST(qemu_error_messages)
{
	CHECK_STR(parse_err("garbage"),
		  "JSON parse error, invalid keyword 'garbage'");
	CHECK_STR(parse_err("{\"a\":}"), "JSON parse error, expecting value");
	CHECK_STR(parse_err("{\"a\" 1}"),
		  "JSON parse error, missing : in object pair");
	CHECK_STR(parse_err("}"), "JSON parse error, expecting value");
	CHECK_STR(parse_err(""), "JSON parse error, expecting value");
	CHECK_STR(parse_err("{1:2}"),
		  "JSON parse error, key is not a string in object");
}

TEST(malformed_input_refused)
{
	static const char *const bad[] = {
		"[1,]", "[1 2]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "01",
		"1.", ".5", "1e", "-", "+1", "1x", "nul", "True", "\"abc",
		"\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"",
		"\"a\nb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"", "[", "]", "{", "[1]]", "1 2", "@",
		"\"\\u0000\"", "1e999", "{\"a\":1,\"a\":2}",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct json *v = parse(bad[i]);

		if (v || strncmp(err, "JSON parse error, ", 18)) {
			printf("  accepted or odd message for '%s': %s\n",
			       bad[i], err);
			check_case_failed = 1;
		}
		json_free(v);
	}
}

TEST(specific_messages)
{
	CHECK_STR(parse_err("{\"a\":1,\"a\":2}"),
		  "JSON parse error, duplicate key 'a'");
	CHECK_STR(parse_err("\"\\u0000\""),
		  "JSON parse error, \\u0000 is not supported");
	CHECK_STR(parse_err("\"\xff\""),
		  "JSON parse error, invalid UTF-8 sequence in string");
	CHECK_STR(parse_err("@"), "JSON parse error, stray '@'");
}

TEST(depth_limit)
{
	size_t n = JSON_MAX_DEPTH + 1, i;
	char *text = malloc(2 * n + 1);

	for (i = 0; i < n; i++) {
		text[i] = '[';
		text[n + i] = ']';
	}
	text[2 * n] = '\0';
	CHECK(!parse(text));
	CHECK_STR(err, "JSON parse error, nesting depth limit exceeded");
	/* One level less is fine. */
	text[n - 1] = ' ';
	text[n] = ' ';
	{
		struct json *v = parse(text);

		CHECK(v != NULL);
		json_free(v);
	}
	free(text);
}

TEST(many_duplicate_candidates_are_fast)
{
	/* 100000 distinct keys: a quadratic check would take minutes. */
	size_t n = 100000, i, len = 0;
	char *text = malloc(n * 16 + 16);
	struct json *v;

	text[len++] = '{';
	for (i = 0; i < n; i++)
		len += sprintf(text + len, "%s\"k%zu\":0", i ? "," : "", i);
	text[len++] = '}';
	v = json_parse(text, len, err, sizeof(err));
	CHECK(v && v->u.object.len == n);
	json_free(v);
	free(text);
}

TEST(builders_and_lookups)
{
	struct json *o = json_object_new(), *a = json_array_new();
	int64_t i = 0;
	char *s;

	CHECK_EQ(json_object_set_str(o, "s", "x\"y"), 0);
	CHECK_EQ(json_object_set_int(o, "i", -5), 0);
	CHECK_EQ(json_object_set_bool(o, "b", true), 0);
	CHECK_EQ(json_array_append(a, json_int_new(1)), 0);
	CHECK_EQ(json_object_set(o, "a", a), 0);
	/* A failed build frees what it was given and says so. */
	CHECK_EQ(json_object_set(o, "n", NULL), -1);
	CHECK_EQ(json_array_append(o, json_int_new(1)), -1);
	s = json_to_string(o);
	CHECK_STR(s, "{\"s\": \"x\\\"y\", \"i\": -5, \"b\": true, \"a\": [1]}");
	free(s);
	CHECK_STR(json_object_get_str(o, "s"), "x\"y");
	CHECK(json_object_get_int(o, "i", &i) && i == -5);
	CHECK(json_object_get_bool(o, "b"));
	CHECK(!json_object_get_str(o, "i"));
	CHECK(!json_object_get(o, "missing"));
	{
		struct json *c = json_copy(o);

		s = json_to_string(c);
		CHECK_STR(s, "{\"s\": \"x\\\"y\", \"i\": -5, \"b\": true, \"a\": [1]}");
		free(s);
		json_free(c);
	}
	json_free(o);
}

/* ---- the stream splitter ---- */

struct collected {
	char items[16][128];
	int n;
};

static void collect(void *opaque, const char *text, size_t len,
		    const char *error)
{
	struct collected *c = opaque;

	if (c->n == 16)
		return;
	if (error)
		snprintf(c->items[c->n++], 128, "E:%s", error);
	else
		snprintf(c->items[c->n++], 128, "%.*s", (int)len, text);
}

static void feed(struct json_stream *st, struct collected *c, const char *s)
{
	json_stream_feed(st, s, strlen(s), collect, c);
}

TEST(stream_splits_values)
{
	struct json_stream st;
	struct collected c = { .n = 0 };

	json_stream_init(&st);
	feed(&st, &c, "{\"a\": \"}{\\\"\"} [1,[2]]\n\"s}\" 12 true{}");
	CHECK_EQ(c.n, 6);
	CHECK_STR(c.items[0], "{\"a\": \"}{\\\"\"}");
	CHECK_STR(c.items[1], "[1,[2]]");
	CHECK_STR(c.items[2], "\"s}\"");
	CHECK_STR(c.items[3], "12");
	CHECK_STR(c.items[4], "true");
	CHECK_STR(c.items[5], "{}");
	json_stream_free(&st);
}

TEST(stream_joins_chunks)
{
	struct json_stream st;
	struct collected c = { .n = 0 };

	json_stream_init(&st);
	feed(&st, &c, "{\"execute\":");
	CHECK_EQ(c.n, 0);
	feed(&st, &c, " \"stop\"");
	feed(&st, &c, "}gar");
	CHECK_EQ(c.n, 1);
	feed(&st, &c, "bage\n");
	CHECK_EQ(c.n, 2);
	CHECK_STR(c.items[0], "{\"execute\": \"stop\"}");
	CHECK_STR(c.items[1], "garbage");
	json_stream_free(&st);
}

TEST(stream_stray_closers_are_errors)
{
	struct json_stream st;
	struct collected c = { .n = 0 };

	json_stream_init(&st);
	feed(&st, &c, "} ]{}");
	CHECK_EQ(c.n, 3);
	CHECK_STR(c.items[0], "E:JSON parse error, expecting value");
	CHECK_STR(c.items[1], "E:JSON parse error, expecting value");
	CHECK_STR(c.items[2], "{}");
	json_stream_free(&st);
}

TEST(stream_depth_limit_recovers)
{
	struct json_stream st;
	struct collected c = { .n = 0 };
	int i;

	json_stream_init(&st);
	st.max_depth = 4;
	feed(&st, &c, "[[[[1]]]]");
	CHECK_EQ(c.n, 1);
	for (i = 0; i < 3; i++)
		feed(&st, &c, "[[[[[[\"]]]\"");
	for (i = 0; i < 18; i++)
		feed(&st, &c, "]");
	feed(&st, &c, "{\"ok\":1}");
	CHECK_EQ(c.n, 3);
	CHECK_STR(c.items[1], "E:JSON nesting depth limit exceeded");
	CHECK_STR(c.items[2], "{\"ok\":1}");
	json_stream_free(&st);
}

TEST(stream_size_limit_recovers)
{
	struct json_stream st;
	struct collected c = { .n = 0 };
	char chunk[1000];
	int i;

	json_stream_init(&st);
	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	feed(&st, &c, "{\"a\":\"");
	for (i = 0; i < 2 * JSON_MAX_SIZE / 1000; i++)
		feed(&st, &c, chunk);
	CHECK(st.cap <= JSON_MAX_SIZE);
	feed(&st, &c, "\"}{\"b\":2}");
	CHECK_EQ(c.n, 2);
	CHECK_STR(c.items[0], "E:JSON token size limit exceeded");
	CHECK_STR(c.items[1], "{\"b\":2}");
	/* A long bare word too. */
	for (i = 0; i < 2 * JSON_MAX_SIZE / 1000; i++)
		feed(&st, &c, chunk);
	feed(&st, &c, " 5 ");
	CHECK_EQ(c.n, 4);
	CHECK_STR(c.items[2], "E:JSON token size limit exceeded");
	CHECK_STR(c.items[3], "5");
	json_stream_free(&st);
}

int main(void)
{
	RUN(scalars);
	RUN(integers_beyond_int64_become_doubles);
	RUN(containers_print_as_qemu);
	RUN(string_escapes_decode);
	RUN(strings_print_as_qemu);
	RUN(qemu_error_messages);
	RUN(malformed_input_refused);
	RUN(specific_messages);
	RUN(depth_limit);
	RUN(many_duplicate_candidates_are_fast);
	RUN(builders_and_lookups);
	RUN(stream_splits_values);
	RUN(stream_joins_chunks);
	RUN(stream_stray_closers_are_errors);
	RUN(stream_depth_limit_recovers);
	RUN(stream_size_limit_recovers);
	return check_summary();
}
