// SPDX-License-Identifier: MIT
#include "check.h"
#include "kvmlite/cpulist.h"

static int cpus[8];

TEST(range_counts_up)
{
	CHECK_EQ(cpulist_parse("2-5", cpus, 8), 4);
	CHECK_EQ(cpus[0], 2);
	CHECK_EQ(cpus[3], 5);
}

TEST(list_keeps_order)
{
	CHECK_EQ(cpulist_parse("6,4,0-1", cpus, 8), 4);
	CHECK_EQ(cpus[0], 6);
	CHECK_EQ(cpus[1], 4);
	CHECK_EQ(cpus[2], 0);
	CHECK_EQ(cpus[3], 1);
}

TEST(single_cpu)
{
	CHECK_EQ(cpulist_parse("3", cpus, 1), 1);
	CHECK_EQ(cpus[0], 3);
}

TEST(malformed_lists_refused)
{
	static const char *const bad[] = {
		"", "x", "1,", ",1", "1-", "-1", "3-1", "1,,2", "1 2", "1-2-3",
		"99999",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_EQ(cpulist_parse(bad[i], cpus, 8), -1);
}

TEST(too_many_cpus_refused)
{
	CHECK_EQ(cpulist_parse("0-8", cpus, 8), -1);
	CHECK_EQ(cpulist_parse("0-3,4-7", cpus, 8), 8);
	CHECK_EQ(cpulist_parse("0-3,4-7,1", cpus, 8), -1);
}

TEST(cpu_outside_allowed_set_named)
{
	char err[128];
	int far = 1000;

	CHECK_EQ(cpulist_check_allowed(&far, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, "host CPU 1000 is not one this process may run on "
		      "(allowed: ") == err);
}

int main(void)
{
	RUN(range_counts_up);
	RUN(list_keeps_order);
	RUN(single_cpu);
	RUN(malformed_lists_refused);
	RUN(too_many_cpus_refused);
	RUN(cpu_outside_allowed_set_named);
	return check_summary();
}
