// SPDX-License-Identifier: MIT
/*
 * Replays a fuzz corpus through the fuzz target without libFuzzer, so the
 * inputs that once found bugs keep being run as a unit test.  A failing
 * input traps; the run then exits without its PASS line.
 *
 *	replay [DIR]		(default FUZZ_CORPUS)
 *
 * scripts/fuzz.mk defines FUZZ_CORPUS and REPLAY_NAME for each target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0) {
		fclose(f);
		return -1;
	}
	rewind(f);
	buf = malloc(size ? size : 1);
	if (!buf || fread(buf, 1, size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	struct dirent *ent;
	char path[4096];
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d) {
		perror(dir);
		return 1;
	}
	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
		if (replay_file(path) < 0) {
			printf("FAIL " REPLAY_NAME ": cannot read %s\n",
			       path);
			closedir(d);
			return 1;
		}
		n++;
	}
	closedir(d);
	printf("%s " REPLAY_NAME " (%s: %u inputs)\n", n ? "PASS" : "FAIL",
	       dir, n);
	return n ? 0 : 1;
}
