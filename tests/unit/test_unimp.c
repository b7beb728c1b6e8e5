// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "kvmlite/log.h"
#include "kvmlite/unimp.h"

static char log_path[] = "/tmp/kvmlite-unimp-XXXXXX";

static int count_lines(const char *needle)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(log_path, "r");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

TEST(port_logged_once)
{
	struct unimp_log *log = unimp_log_new();

	unimp_log_port(log, 0x1234, false);
	unimp_log_port(log, 0x1234, true);
	unimp_log_port(log, 0x1235, true);
	CHECK_EQ(count_lines("unimplemented port 0x1234 read"), 1);
	CHECK_EQ(count_lines("port 0x1234"), 1);
	CHECK_EQ(count_lines("unimplemented port 0x1235 write"), 1);
	free(log);
}

TEST(mmio_address_logged_once)
{
	struct unimp_log *log = unimp_log_new();

	unimp_log_mmio(log, 0xfee00300, true);
	unimp_log_mmio(log, 0xfee00300, false);
	unimp_log_mmio(log, 0xd0000000, false);
	CHECK_EQ(count_lines("unimplemented MMIO 0xfee00300 write"), 1);
	CHECK_EQ(count_lines("MMIO 0xfee00300"), 1);
	CHECK_EQ(count_lines("unimplemented MMIO 0xd0000000 read"), 1);
	free(log);
}

TEST(mmio_log_is_bounded)
{
	struct unimp_log *log = unimp_log_new();
	uint64_t i;

	for (i = 0; i < UNIMP_MMIO_MAX + 50; i++)
		unimp_log_mmio(log, 0x100000000ULL + i * 8, false);
	CHECK_EQ(count_lines("MMIO 0x1"), UNIMP_MMIO_MAX);
	CHECK_EQ(count_lines("no more will be"), 1);
	free(log);
}

int main(void)
{
	int fd = mkstemp(log_path);

	if (fd < 0 || log_set_file(log_path))
		return 1;
	close(fd);
	RUN(port_logged_once);
	RUN(mmio_address_logged_once);
	RUN(mmio_log_is_bounded);
	unlink(log_path);
	return check_summary();
}
