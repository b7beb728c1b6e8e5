// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the QMP JSON path: the bytes go through the stream
 * splitter as a client's would, each value through the parser, and each
 * parsed value through the printer and the parser again: kvmlite must be
 * able to read everything it prints, and printing must settle after one
 * pass (the first may normalise, as "-0e3" becomes "0").  The whole input
 * is also parsed as one value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/json.h"

/* Prints @v and parses the text back; aborts if it cannot. */
static char *reprint(const struct json *v)
{
	char err[256], *text = json_to_string(v), *again;
	struct json *parsed;

	if (!text)
		return NULL;
	parsed = json_parse(text, strlen(text), err, sizeof(err));
	if (!parsed)
		abort();
	again = json_to_string(parsed);
	json_free(parsed);
	free(text);
	return again;
}

static void check_round_trip(const struct json *v)
{
	char err[256], *twice = reprint(v), *thrice = NULL;
	struct json *parsed;

	if (!twice)
		return;
	parsed = json_parse(twice, strlen(twice), err, sizeof(err));
	if (!parsed)
		abort();
	thrice = reprint(parsed);
	if (thrice && strcmp(twice, thrice))
		abort();
	free(thrice);
	json_free(parsed);
	free(twice);
}

static void on_value(void *opaque, const char *text, size_t len,
		     const char *error)
{
	char err[256];
	struct json *v;

	(void)opaque;
	if (error)
		return;
	v = json_parse(text, len, err, sizeof(err));
	if (v)
		check_round_trip(v);
	json_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_stream st;
	char err[256];
	struct json *v;

	json_stream_init(&st);
	/* Small limits reach the skipping paths with short inputs. */
	st.max_size = 512;
	st.max_depth = 16;
	json_stream_feed(&st, (const char *)data, size, on_value, NULL);
	json_stream_free(&st);
	v = json_parse((const char *)data, size, err, sizeof(err));
	json_free(v);
	return 0;
}
