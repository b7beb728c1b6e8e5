/* SPDX-License-Identifier: MIT */
/*
 * The command-line parser against QEMU 7.2's observed behaviour: values,
 * defaults and the exact text of every message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kvmlite/config.h"

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)

static struct config cfg;
static char err[1024];
static char output[16384];	/* what -help and -version print */
static char warnings[4096];	/* what went to stderr */

/* @args is NULL-terminated and starts after argv[0]. */
static enum config_result parse_args(const char **args)
{
	const char *argv[64] = { "kvmlite" };
	enum config_result ret;
	FILE *out;
	int argc = 1;

	while (*args)
		argv[argc++] = *args++;
	memset(output, 0, sizeof(output));
	strcpy(err, "(no error)");
	out = fmemopen(output, sizeof(output) - 1, "w");
	check_capture_begin();
	ret = config_parse(&cfg, argc, (char **)argv, err, sizeof(err), out);
	check_capture_end(warnings, sizeof(warnings));
	fclose(out);
	return ret;
}

#define PARSE(...)	parse_args((const char *[]){ __VA_ARGS__, NULL })
#define PARSE_NONE()	parse_args((const char *[]){ NULL })

#define EXPECT_RUN(...)							\
	do {								\
		CHECK_EQ(PARSE(__VA_ARGS__), CONFIG_RUN);		\
		CHECK_STR(err, "(no error)");				\
	} while (0)

#define EXPECT_ERROR(msg, ...)						\
	do {								\
		CHECK_EQ(PARSE(__VA_ARGS__), CONFIG_ERROR);		\
		CHECK_STR(err, msg);					\
	} while (0)

static int size_of(const char *text, uint64_t unit, uint64_t *out)
{
	int ret;

	*out = 0;
	check_capture_begin();
	ret = parse_size(text, unit, out);
	check_capture_end(warnings, sizeof(warnings));
	return ret;
}

#define EXPECT_SIZE(text, unit, want)					\
	do {								\
		uint64_t got_;						\
		CHECK_EQ(size_of(text, unit, &got_), 0);		\
		CHECK_EQ(got_, want);					\
	} while (0)

#define EXPECT_SIZE_ERR(text, unit, code)				\
	do {								\
		uint64_t got_;						\
		CHECK_EQ(size_of(text, unit, &got_), code);		\
	} while (0)

static const char size_msg[] = "Parameter 'size' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)";

/* --- parse_size --------------------------------------------------------- */

TEST(size_bare_number_uses_default_unit)
{
	EXPECT_SIZE("512", MiB, 512 * MiB);
	EXPECT_SIZE("512", 1, 512);
	EXPECT_SIZE("0", MiB, 0);
}

TEST(size_every_suffix)
{
	EXPECT_SIZE("3b", MiB, 3);
	EXPECT_SIZE("3B", MiB, 3);
	EXPECT_SIZE("3k", 1, 3 * KiB);
	EXPECT_SIZE("3K", 1, 3 * KiB);
	EXPECT_SIZE("3m", 1, 3 * MiB);
	EXPECT_SIZE("3M", 1, 3 * MiB);
	EXPECT_SIZE("3g", 1, 3 * GiB);
	EXPECT_SIZE("3G", 1, 3 * GiB);
	EXPECT_SIZE("3t", 1, 3ULL << 40);
	EXPECT_SIZE("3T", 1, 3ULL << 40);
	EXPECT_SIZE("3p", 1, 3ULL << 50);
	EXPECT_SIZE("3P", 1, 3ULL << 50);
	EXPECT_SIZE("3e", 1, 3ULL << 60);
	EXPECT_SIZE("3E", 1, 3ULL << 60);
}

TEST(size_fractions_need_a_unit)
{
	EXPECT_SIZE("0.5G", 1, 512 * MiB);
	EXPECT_SIZE("1.5k", 1, 1536);
	EXPECT_SIZE("1.G", 1, GiB);
	EXPECT_SIZE("1.0b", 1, 1);
	EXPECT_SIZE("1.5", MiB, 1536 * KiB);
	EXPECT_SIZE_ERR("1.5", 1, -EINVAL);
	EXPECT_SIZE_ERR("0.5b", 1, -EINVAL);
	EXPECT_SIZE_ERR(".5G", 1, -EINVAL);
}

TEST(size_fraction_rounds_half_a_byte_up)
{
	EXPECT_SIZE("0.00048828125k", 1, 1);	/* 0.5 bytes */
	EXPECT_SIZE("0.000244140625k", 1, 0);	/* 0.25 bytes */
	EXPECT_SIZE("0.1k", 1, 102);		/* 102.4 bytes */
}

TEST(size_overflow_at_2_pow_64)
{
	EXPECT_SIZE("18446744073709551615", 1, UINT64_MAX);
	EXPECT_SIZE("15E", 1, 15ULL << 60);
	EXPECT_SIZE("15.5E", 1, 31ULL << 59);
	EXPECT_SIZE_ERR("18446744073709551616", 1, -ERANGE);
	EXPECT_SIZE_ERR("16E", 1, -ERANGE);
	EXPECT_SIZE_ERR("17179869184G", 1, -ERANGE);
	EXPECT_SIZE_ERR("16.5E", 1, -ERANGE);
	EXPECT_SIZE_ERR("17592186044416", MiB, -ERANGE);
	/* Junk after the digits is reported as junk, not as overflow. */
	EXPECT_SIZE_ERR("99999999999999999999x", 1, -EINVAL);
}

TEST(size_rejects_malformed_text)
{
	static const char *const bad[] = {
		"", "foo", "-5", " -5", "1e3", "1.5e3", "12 ", "1 G", "1kb",
		"1M1", "1a", "0x", "0x10.5", "1,5",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v;

		if (size_of(bad[i], 1, &v) != -EINVAL) {
			printf("  accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
}

TEST(size_accepts_what_strtoull_does)
{
	EXPECT_SIZE(" 12", 1, 12);
	EXPECT_SIZE("+5", 1, 5);
	EXPECT_SIZE("00012", 1, 12);
}

TEST(size_hex)
{
	EXPECT_SIZE("0x10", 1, 16);
	EXPECT_SIZE("0X1E", 1, 30);
	CHECK_STR(warnings, "");
	EXPECT_SIZE("0x10k", 1, 16 * KiB);
	CHECK_STR(warnings, "kvmlite: warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k\n");
}

/* --- -m ----------------------------------------------------------------- */

/* -m @text must be accepted and give @size bytes of RAM. */
static void check_ram(const char *text, uint64_t size)
{
	EXPECT_RUN("-m", text);
	CHECK_EQ(cfg.ram_size, size);
}

TEST(m_default_is_128_mib)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK_EQ(cfg.ram_size, 128 * MiB);
}

TEST(m_bare_number_is_mib)
{
	check_ram("512", 512 * MiB);
	check_ram("1025", 1074790400);
}

TEST(m_suffixes)
{
	check_ram("2048k", 2 * MiB);
	check_ram("1000k", 1024000);
	check_ram("536870912b", 512 * MiB);
	check_ram("0.5G", 512 * MiB);
	check_ram("64M", 64 * MiB);
}

TEST(m_zero_means_default)
{
	check_ram("0", 128 * MiB);
	check_ram("0M", 128 * MiB);
	check_ram("0.0001k", 128 * MiB);
	check_ram("", 128 * MiB);
}

TEST(m_rounds_up_to_8_kib)
{
	check_ram("1001k", 1032192);
	check_ram("5b", 8192);
}

TEST(m_size_key)
{
	check_ram("size=256", 256 * MiB);
	check_ram("1G,size=2G", 2 * GiB);
}

TEST(m_last_wins_and_keys_merge)
{
	EXPECT_RUN("-m", "1G", "-m", "2G");
	CHECK_EQ(cfg.ram_size, 2 * GiB);
	EXPECT_RUN("-m", "1G,slots=2", "-m", "maxmem=2G");
	CHECK_EQ(cfg.ram_size, GiB);
	EXPECT_ERROR("invalid value of maxmem: maximum memory size (0x100000000) must be at least the initial memory size (0x140000000)",
		     "-m", "4G,maxmem=4G", "-m", "5G");
}

TEST(m_slots_and_maxmem_accepted)
{
	check_ram("size=256M,slots=2,maxmem=1G", 256 * MiB);
	check_ram("256,maxmem=1G", 256 * MiB);
	EXPECT_RUN("-m", "1G,slots=0,maxmem=1G");
	EXPECT_RUN("-m", "1G,slots=256,maxmem=2G");
	EXPECT_RUN("-m", "1G,slots=0x10,maxmem=2G");
}

TEST(m_hex_warns_like_qemu)
{
	check_ram("0x10", 16 * MiB);
	CHECK_STR(warnings, "kvmlite: warning: Using a multiplier suffix on hex numbers is deprecated: 0x10M\n");
}

TEST(m_malformed_size)
{
	static const char *const bad[] = {
		"foo", "128X", "-5", "1.5", "1.5b", "1e3", "12 ", ",",
	};
	char want[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(want, sizeof(want), "-m %s: %s", bad[i], size_msg);
		EXPECT_ERROR(want, "-m", bad[i]);
	}
	EXPECT_ERROR("-m size=foo: Parameter 'size' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)",
		     "-m", "size=foo");
	EXPECT_ERROR("-m size=: Parameter 'size' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)",
		     "-m", "size=");
}

TEST(m_out_of_range)
{
	EXPECT_ERROR("-m 16E: Value '16E' is out of range for parameter 'size'",
		     "-m", "16E");
	EXPECT_ERROR("-m 18446744073709551616: Value '18446744073709551616' is out of range for parameter 'size'",
		     "-m", "18446744073709551616");
	/* Fits as bytes, overflows as MiB. */
	EXPECT_ERROR("Parameter 'memory.size' expects size",
		     "-m", "17592186044416");
}

TEST(m_unknown_key)
{
	EXPECT_ERROR("-m 1G,foo=1: Invalid parameter 'foo'", "-m", "1G,foo=1");
	EXPECT_ERROR("-m 1G,Size=2: Invalid parameter 'Size'", "-m", "1G,Size=2");
	EXPECT_ERROR("-m 1G,=2: Invalid parameter ''", "-m", "1G,=2");
}

TEST(m_slots_errors)
{
	EXPECT_ERROR("slots specified but no max-size", "-m", "1G,slots=2");
	EXPECT_ERROR("invalid value of maxmem: maximum memory size (0x40000000) must be at least the initial memory size (0x80000000)",
		     "-m", "2G,slots=2,maxmem=1G");
	EXPECT_ERROR("invalid value of maxmem: maximum memory size (0x3e8) must be at least the initial memory size (0x40000000)",
		     "-m", "1G,maxmem=1000");
	EXPECT_ERROR("invalid value of maxmem: memory slots were specified but maximum memory size (0x40000000) is equal to the initial memory size (0x40000000)",
		     "-m", "1G,slots=300,maxmem=1G");
	EXPECT_ERROR("unsupported amount of memory slots: 300",
		     "-m", "1G,slots=300,maxmem=4G");
	EXPECT_ERROR("unsupported amount of memory slots: 18446744073709551615",
		     "-m", "1G,slots=-1,maxmem=2G");
	EXPECT_ERROR("-m 1G,slots=foo,maxmem=2G: Parameter 'slots' expects a number",
		     "-m", "1G,slots=foo,maxmem=2G");
	EXPECT_ERROR("-m 1G,slots=08,maxmem=2G: Parameter 'slots' expects a number",
		     "-m", "1G,slots=08,maxmem=2G");
	EXPECT_ERROR("-m 1G,slots=99999999999999999999,maxmem=2G: Value '99999999999999999999' is too large for parameter 'slots'",
		     "-m", "1G,slots=99999999999999999999,maxmem=2G");
	EXPECT_ERROR("-m 1G,maxmem=foo: Parameter 'maxmem' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)",
		     "-m", "1G,maxmem=foo");
}

TEST(m_short_form_boolean_is_a_bad_value)
{
	EXPECT_ERROR("-m 1G,slots: Parameter 'slots' expects a number",
		     "-m", "1G,slots");
	CHECK_STR(warnings, "kvmlite: warning: -m 1G,slots: short-form boolean option 'slots' deprecated, please use slots=on instead\n");
}

TEST(m_double_dash_and_missing_argument)
{
	EXPECT_RUN("--m", "64");
	CHECK_EQ(cfg.ram_size, 64 * MiB);
	EXPECT_ERROR("--m foo: Parameter 'size' expects a non-negative number below 2^64 (optional suffix k, M, G, T, P or E)",
		     "--m", "foo");
	EXPECT_ERROR("-m: requires an argument", "-m");
	EXPECT_ERROR("--m: requires an argument", "--m");
}

/* --- -smp --------------------------------------------------------------- */

static void check_smp(const char *text, unsigned int cpus, unsigned int max,
		      unsigned int sockets, unsigned int dies,
		      unsigned int cores, unsigned int threads)
{
	struct smp_config s;

	if (!text) {
		CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	} else {
		CHECK_EQ(PARSE("-smp", text), CONFIG_RUN);
		CHECK_STR(err, "(no error)");
	}
	s = cfg.smp;
	CHECK_EQ(s.cpus, cpus);
	CHECK_EQ(s.maxcpus, max);
	CHECK_EQ(s.sockets, sockets);
	CHECK_EQ(s.dies, dies);
	CHECK_EQ(s.cores, cores);
	CHECK_EQ(s.threads, threads);
}

#define SMP_ROW(name, text, c, m, s, d, co, t)				\
	TEST(smp_##name) { check_smp(text, c, m, s, d, co, t); }

/* The reference table: cpus, maxcpus, sockets, dies, cores, threads. */
SMP_ROW(none, NULL, 1, 1, 1, 1, 1, 1)
SMP_ROW(1, "1", 1, 1, 1, 1, 1, 1)
SMP_ROW(2, "2", 2, 2, 1, 1, 2, 1)
SMP_ROW(4, "4", 4, 4, 1, 1, 4, 1)
SMP_ROW(sockets_2, "sockets=2", 2, 2, 2, 1, 1, 1)
SMP_ROW(cores_4, "cores=4", 4, 4, 1, 1, 4, 1)
SMP_ROW(threads_2, "threads=2", 2, 2, 1, 1, 1, 2)
SMP_ROW(4_sockets_2, "4,sockets=2", 4, 4, 2, 1, 2, 1)
SMP_ROW(4_threads_2, "4,threads=2", 4, 4, 1, 1, 2, 2)
SMP_ROW(4_cores_2, "4,cores=2", 4, 4, 2, 1, 2, 1)
SMP_ROW(4_maxcpus_8, "4,maxcpus=8", 4, 8, 1, 1, 8, 1)
SMP_ROW(maxcpus_8, "maxcpus=8", 8, 8, 1, 1, 8, 1)
SMP_ROW(sockets_2_cores_3, "sockets=2,cores=3", 6, 6, 2, 1, 3, 1)
SMP_ROW(6_dies_2, "6,dies=2", 6, 6, 1, 2, 3, 1)
SMP_ROW(2_maxcpus_4_sockets_2, "2,maxcpus=4,sockets=2", 2, 4, 2, 1, 2, 1)
/* Further observed on QEMU 7.2. */
SMP_ROW(sockets_2_dies_2, "sockets=2,dies=2", 4, 4, 2, 2, 1, 1)
SMP_ROW(3_maxcpus_8_cores_2, "3,maxcpus=8,cores=2", 3, 8, 4, 1, 2, 1)
SMP_ROW(threads_last, "4,sockets=1,cores=2", 4, 4, 1, 1, 2, 2)
SMP_ROW(full, "4,sockets=2,cores=2,threads=1,dies=1,maxcpus=4",
	4, 4, 2, 1, 2, 1)
SMP_ROW(clusters_1, "1,clusters=1", 1, 1, 1, 1, 1, 1)
SMP_ROW(255, "255", 255, 255, 1, 1, 255, 1)
SMP_ROW(hex_and_octal, "0x10,cores=010", 16, 16, 2, 1, 8, 1)
SMP_ROW(cpus_key, "cpus=4,cpus=2", 2, 2, 1, 1, 2, 1)
SMP_ROW(empty, "", 1, 1, 1, 1, 1, 1)
SMP_ROW(trailing_comma, "4,", 4, 4, 1, 1, 4, 1)
SMP_ROW(wraps_to_zero, "4294967296", 1, 1, 1, 1, 1, 1)

static const char zero_warning[] = "kvmlite: warning: Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero\n";

/*
 * -smp @text, with a zero among its values, is warned about and read as
 * @cpus CPUs, all cores of one socket.
 */
static void check_smp_zero(const char *text, unsigned int cpus)
{
	check_smp(text, cpus, cpus, 1, 1, cpus, 1);
	CHECK_STR(warnings, zero_warning);
}

TEST(smp_zero_warns_and_counts_as_omitted)
{
	check_smp_zero("0", 1);
	check_smp_zero("cpus=0", 1);
	check_smp_zero("sockets=0", 1);
	check_smp_zero("4,dies=0", 4);
	check_smp_zero("1,clusters=0", 1);
	/* Once, however many zeros. */
	check_smp_zero("4,threads=0,cores=0", 4);
	check_smp("4", 4, 4, 1, 1, 4, 1);
	CHECK_STR(warnings, "");
}

TEST(smp_repeated_options_merge)
{
	EXPECT_RUN("-smp", "2", "-smp", "4");
	CHECK_EQ(cfg.smp.cpus, 4);
	CHECK_EQ(cfg.smp.cores, 4);
	EXPECT_RUN("-smp", "4", "-smp", "sockets=2");
	CHECK_EQ(cfg.smp.sockets, 2);
	CHECK_EQ(cfg.smp.cores, 2);
	EXPECT_RUN("-smp", "4,maxcpus=8", "-smp", "2");
	CHECK_EQ(cfg.smp.cpus, 2);
	CHECK_EQ(cfg.smp.maxcpus, 8);
	/* Values are only read once all are known. */
	EXPECT_RUN("-smp", "1.5", "-smp", "1");
}

TEST(smp_product_mismatch)
{
	EXPECT_ERROR("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * dies (1) * cores (1) * threads (1) != maxcpus (4)",
		     "-smp", "4,sockets=3");
	EXPECT_ERROR("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * dies (1) * cores (2) * threads (1) != maxcpus (3)",
		     "-smp", "3,cores=2");
	EXPECT_ERROR("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * dies (1) * cores (1) * threads (2) != maxcpus (3)",
		     "-smp", "cpus=3,threads=2");
	EXPECT_ERROR("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * dies (1) * cores (2) * threads (2) != maxcpus (16)",
		     "-smp", "8,sockets=2,cores=2,threads=2,maxcpus=16");
	EXPECT_ERROR("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (4294967295) * dies (1) * cores (0) * threads (1) != maxcpus (4)",
		     "-smp", "4,sockets=-1");
}

TEST(smp_maxcpus_below_cpus)
{
	EXPECT_ERROR("Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * dies (1) * cores (1) * threads (1) == maxcpus (1) < smp_cpus (2)",
		     "-smp", "2,maxcpus=1");
	EXPECT_ERROR("Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (2) * dies (1) * cores (1) * threads (1) == maxcpus (2) < smp_cpus (4)",
		     "-smp", "4,maxcpus=2,sockets=2");
}

TEST(smp_machine_limit)
{
	EXPECT_ERROR("Invalid SMP CPUs 300. The max CPUs supported by machine 'kvmlite' is 255",
		     "-smp", "300");
	EXPECT_ERROR("Invalid SMP CPUs 256. The max CPUs supported by machine 'kvmlite' is 255",
		     "-smp", "256");
	EXPECT_ERROR("Invalid SMP CPUs 300. The max CPUs supported by machine 'kvmlite' is 255",
		     "-smp", "4,maxcpus=300");
	EXPECT_ERROR("Invalid SMP CPUs -1. The max CPUs supported by machine 'kvmlite' is 255",
		     "-smp", "-1");
}

TEST(smp_clusters_unsupported)
{
	EXPECT_ERROR("clusters not supported by this machine's CPU topology",
		     "-smp", "1,clusters=2");
}

TEST(smp_bad_values)
{
	EXPECT_ERROR("Parameter 'smp.cpus' expects integer", "-smp", "foo");
	EXPECT_ERROR("Parameter 'smp.cpus' expects integer", "-smp", "1.5");
	EXPECT_ERROR("Parameter 'smp.cpus' expects integer", "-smp", "4 ");
	EXPECT_ERROR("Parameter 'smp.cpus' expects integer", "-smp",
		     "99999999999999999999");
	EXPECT_ERROR("Parameter 'smp.sockets' expects integer", "-smp",
		     "4,sockets=foo");
	EXPECT_ERROR("Parameter 'smp.cores' expects integer", "-smp",
		     "4,cores=");
	EXPECT_ERROR("Parameter 'smp.bogus' is unexpected", "-smp", "4,bogus=1");
}

TEST(smp_bad_syntax)
{
	EXPECT_ERROR("-smp 4,cores: Expected '=' after parameter 'cores'",
		     "-smp", "4,cores");
	EXPECT_ERROR("-smp 2,4: Invalid parameter '4'", "-smp", "2,4");
	EXPECT_ERROR("-smp ,: Invalid parameter ''", "-smp", ",");
	EXPECT_ERROR("-smp 4,,5: Invalid parameter ''", "-smp", "4,,5");
	EXPECT_ERROR("-smp 4,=2: Invalid parameter ''", "-smp", "4,=2");
	EXPECT_ERROR("--smp 4,cores: Expected '=' after parameter 'cores'",
		     "--smp", "4,cores");
}

TEST(smp_parse_alone)
{
	struct smp_config s;
	char msg[256];

	CHECK_EQ(smp_parse("4,threads=2", &s, msg, sizeof(msg)), 0);
	CHECK_EQ(s.cores, 2);
	CHECK_EQ(s.threads, 2);
	CHECK_EQ(smp_parse("2,4", &s, msg, sizeof(msg)), -1);
	CHECK_STR(msg, "-smp 2,4: Invalid parameter '4'");
}

/* --- -kernel, -initrd, -append ------------------------------------------ */

TEST(kernel_initrd_append_stored)
{
	EXPECT_RUN("-kernel", "vmlinux", "-initrd", "rd.img", "-append",
		   "console=ttyS0 quiet");
	CHECK_STR(cfg.kernel, "vmlinux");
	CHECK_STR(cfg.initrd, "rd.img");
	CHECK_STR(cfg.append, "console=ttyS0 quiet");
}

TEST(kernel_defaults_are_null)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK(cfg.kernel == NULL);
	CHECK(cfg.initrd == NULL);
	CHECK(cfg.append == NULL);
	CHECK(cfg.cpu_model == NULL);
	CHECK(cfg.log_file == NULL);
}

TEST(kernel_last_wins)
{
	EXPECT_RUN("-kernel", "a", "-kernel", "b");
	CHECK_STR(cfg.kernel, "b");
}

TEST(initrd_without_kernel)
{
	EXPECT_ERROR("-initrd only allowed with -kernel option", "-initrd",
		     "rd.img");
	EXPECT_ERROR("-initrd only allowed with -kernel option", "-initrd", "");
}

TEST(append_without_kernel)
{
	EXPECT_ERROR("-append only allowed with -kernel option", "-append",
		     "quiet");
	EXPECT_ERROR("-append only allowed with -kernel option", "-append", "");
	EXPECT_ERROR("-append only allowed with -kernel option", "-initrd",
		     "rd.img", "-append", "quiet");
}

/* --- -monitor, -qmp, -S, -daemonize, -pidfile -------------------------- */

TEST(no_monitor_by_default)
{
	EXPECT_RUN("-m", "64");
	CHECK_EQ(cfg.nr_monitors, 0);
	CHECK(!cfg.start_paused && !cfg.daemonize && !cfg.pidfile);
}

TEST(qmp_and_monitor_sockets)
{
	EXPECT_RUN("-qmp", "unix:/tmp/q.sock,server=on,wait=off", "-qmp",
		   "tcp:127.0.0.1:4444,server,nowait", "-monitor",
		   "unix:/tmp/h.sock,server,nowait");
	CHECK_EQ(cfg.nr_monitors, 3);
	CHECK_EQ(cfg.monitors[0].mode, MONITOR_QMP);
	CHECK_EQ(cfg.monitors[0].chr.kind, CHARDEV_UNIX);
	CHECK_STR(cfg.monitors[0].chr.path, "/tmp/q.sock");
	CHECK(cfg.monitors[0].chr.server && !cfg.monitors[0].chr.wait);
	CHECK_STR(cfg.monitors[0].opt, "-qmp");
	CHECK_EQ(cfg.monitors[1].chr.kind, CHARDEV_TCP);
	CHECK_STR(cfg.monitors[1].chr.host, "127.0.0.1");
	CHECK_STR(cfg.monitors[1].chr.port, "4444");
	CHECK_EQ(cfg.monitors[2].mode, MONITOR_HMP);
	/* The serial port stays on stdio. */
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_STDIO);
}

TEST(monitor_errors)
{
	EXPECT_ERROR("-qmp foo: 'foo' is not a valid char driver", "-qmp",
		     "foo");
	EXPECT_ERROR("-monitor tcp:4444: error parsing address '4444'",
		     "-monitor", "tcp:4444");
	EXPECT_ERROR("-qmp mon:stdio: mon: is for -serial, to share it with the monitor",
		     "-qmp", "mon:stdio");
	EXPECT_ERROR("-monitor stdio: cannot use stdio by multiple character devices",
		     "-qmp", "stdio", "-monitor", "stdio");
}

TEST(monitor_none_and_null_open_nothing)
{
	EXPECT_RUN("-monitor", "none", "-qmp", "null");
	CHECK_EQ(cfg.nr_monitors, 0);
}

TEST(nographic_monitor_shares_serial_stdio)
{
	EXPECT_RUN("-nographic");
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK_EQ(cfg.monitors[0].mode, MONITOR_HMP);
	CHECK_EQ(cfg.monitors[0].chr.kind, CHARDEV_STDIO);
	CHECK(cfg.monitors[0].mux);
	CHECK(cfg.serial[0].mux_escapes);
	/* Also on an explicit stdio port, where QEMU would refuse. */
	EXPECT_RUN("-nographic", "-serial", "stdio");
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK(cfg.monitors[0].mux);
}

TEST(nographic_monitor_alone_without_stdio_serial)
{
	EXPECT_RUN("-nographic", "-serial", "none");
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK(!cfg.monitors[0].mux);
	EXPECT_RUN("-nographic", "-serial", "file:/tmp/x");
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK(!cfg.monitors[0].mux);
}

TEST(nographic_monitor_given_elsewhere)
{
	EXPECT_RUN("-nographic", "-qmp", "unix:/tmp/q,server,nowait");
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK_EQ(cfg.monitors[0].mode, MONITOR_QMP);
	CHECK(cfg.serial[0].mux_escapes);
	EXPECT_RUN("-nographic", "-monitor", "none");
	CHECK_EQ(cfg.nr_monitors, 0);
	EXPECT_RUN("-nographic", "-nodefaults");
	CHECK_EQ(cfg.nr_monitors, 0);
	CHECK_EQ(cfg.nr_serial, 0);
}

TEST(mon_stdio_shares_serial)
{
	EXPECT_RUN("-serial", "mon:stdio");
	CHECK_EQ(cfg.nr_serial, 1);
	CHECK(cfg.serial[0].mux_escapes);
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK(cfg.monitors[0].mux);
	EXPECT_ERROR("-serial mon:pty: 'mon:pty': kvmlite shares the monitor with stdio only (mon:stdio)",
		     "-serial", "mon:pty");
}

TEST(monitor_stdio_moves_default_serial)
{
	/* QEMU's default serial port is then an invisible console. */
	EXPECT_RUN("-monitor", "stdio");
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_NULL);
	CHECK_EQ(cfg.nr_monitors, 1);
	CHECK(!cfg.monitors[0].mux);
	EXPECT_ERROR("-serial stdio: cannot use stdio by multiple character devices",
		     "-monitor", "stdio", "-serial", "stdio");
	EXPECT_ERROR("cannot use stdio by multiple character devices",
		     "-nographic", "-monitor", "stdio");
}

TEST(start_paused_and_pidfile)
{
	EXPECT_RUN("-S", "-pidfile", "/tmp/k.pid");
	CHECK(cfg.start_paused);
	CHECK_STR(cfg.pidfile, "/tmp/k.pid");
}

TEST(daemonize_rules)
{
	EXPECT_RUN("-daemonize", "-qmp", "unix:/tmp/q,server,nowait");
	CHECK(cfg.daemonize);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_NULL);
	EXPECT_ERROR("-nographic cannot be used with -daemonize",
		     "-nographic", "-daemonize");
	EXPECT_ERROR("-nographic cannot be used with -daemonize",
		     "-nographic", "-daemonize", "-serial", "null");
	EXPECT_RUN("-nographic", "-daemonize", "-serial", "null", "-monitor",
		   "none");
	EXPECT_ERROR("-serial stdio: cannot use stdio with -daemonize",
		     "-daemonize", "-serial", "stdio");
	EXPECT_ERROR("-monitor stdio: cannot use stdio with -daemonize",
		     "-daemonize", "-monitor", "stdio");
}

/* --- -serial, -nographic ------------------------------------------------ */

TEST(serial_default_is_stdio_without_escapes)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK_EQ(cfg.nr_serial, 1);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_STDIO);
	CHECK(!cfg.serial[0].mux_escapes);
	CHECK(!cfg.nographic);
}

TEST(nographic_default_serial_has_escapes)
{
	EXPECT_RUN("-nographic");
	CHECK(cfg.nographic);
	CHECK_EQ(cfg.nr_serial, 1);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_STDIO);
	CHECK(cfg.serial[0].mux_escapes);
}

TEST(nographic_escapes_on_any_stdio_port)
{
	EXPECT_RUN("-serial", "null", "-serial", "stdio", "-nographic");
	CHECK_EQ(cfg.nr_serial, 2);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_NULL);
	CHECK(!cfg.serial[0].mux_escapes);
	CHECK_EQ(cfg.serial[1].kind, CHARDEV_STDIO);
	CHECK(cfg.serial[1].mux_escapes);
	EXPECT_RUN("-serial", "stdio");
	CHECK(!cfg.serial[0].mux_escapes);
}

TEST(serial_forms)
{
	EXPECT_RUN("-serial", "pty", "-serial", "file:/tmp/com2.log",
		   "-serial", "unix:/tmp/s.sock,server,nowait", "-serial",
		   "null");
	CHECK_EQ(cfg.nr_serial, 4);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_PTY);
	CHECK_EQ(cfg.serial[1].kind, CHARDEV_FILE);
	CHECK_STR(cfg.serial[1].path, "/tmp/com2.log");
	CHECK_EQ(cfg.serial[2].kind, CHARDEV_UNIX);
	CHECK_STR(cfg.serial[2].path, "/tmp/s.sock");
	CHECK(cfg.serial[2].server);
	CHECK(!cfg.serial[2].wait);
	CHECK_EQ(cfg.serial[3].kind, CHARDEV_NULL);
}

TEST(serial_none_takes_no_port)
{
	EXPECT_RUN("-serial", "none");
	CHECK_EQ(cfg.nr_serial, 0);
	EXPECT_RUN("-nographic", "-serial", "none");
	CHECK_EQ(cfg.nr_serial, 0);
	EXPECT_RUN("-serial", "none", "-serial", "pty");
	CHECK_EQ(cfg.nr_serial, 1);
	CHECK_EQ(cfg.serial[0].kind, CHARDEV_PTY);
}

TEST(serial_at_most_four)
{
	EXPECT_RUN("-serial", "null", "-serial", "null", "-serial", "null",
		   "-serial", "none", "-serial", "null");
	CHECK_EQ(cfg.nr_serial, 4);
	EXPECT_ERROR("-serial pty: too many serial ports (kvmlite has 4)",
		     "-serial", "null", "-serial", "null", "-serial", "null",
		     "-serial", "null", "-serial", "pty");
}

TEST(serial_invalid_driver)
{
	EXPECT_ERROR("-serial foo: 'foo' is not a valid char driver",
		     "-serial", "foo");
	EXPECT_ERROR("--serial foo: 'foo' is not a valid char driver",
		     "--serial", "foo");
}

TEST(serial_stdio_once)
{
	EXPECT_ERROR("-serial stdio: cannot use stdio by multiple character devices",
		     "-serial", "stdio", "-serial", "stdio");
	EXPECT_ERROR("-serial stdio: cannot use stdio by multiple character devices",
		     "-nographic", "-serial", "stdio", "-serial", "null",
		     "-serial", "stdio");
}

/* --- -display, -no-reboot, -name, -cpu ---------------------------------- */

TEST(display_none)
{
	EXPECT_RUN("-display", "none");
	EXPECT_RUN("-display", "type=none");
	EXPECT_RUN("-display", "none,");
	EXPECT_RUN("-display", "gtk", "-display", "none");
}

TEST(display_graphical_unsupported)
{
	EXPECT_ERROR("-display gtk: display 'gtk' is not supported: kvmlite has no graphical console (use -display none or -nographic)",
		     "-display", "gtk");
	EXPECT_ERROR("-display sdl: display 'sdl' is not supported: kvmlite has no graphical console (use -display none or -nographic)",
		     "-display", "sdl");
}

TEST(display_errors)
{
	EXPECT_ERROR("-display foo: Parameter 'type' does not accept value 'foo'",
		     "-display", "foo");
	EXPECT_ERROR("-display cocoa: Parameter 'type' does not accept value 'cocoa'",
		     "-display", "cocoa");
	EXPECT_ERROR("-display : Parameter 'type' is missing", "-display", "");
	EXPECT_ERROR("-display none,foo=1: Parameter 'foo' is unexpected",
		     "-display", "none,foo=1");
	EXPECT_ERROR("-display none,foo: Expected '=' after parameter 'foo'",
		     "-display", "none,foo");
}

TEST(no_reboot)
{
	EXPECT_RUN("-kernel", "k");
	CHECK(!cfg.no_reboot);
	EXPECT_RUN("-no-reboot");
	CHECK(cfg.no_reboot);
}

/* --- -rtc --------------------------------------------------------------- */

#define RTC_DATE_ERROR	"invalid datetime format\nvalid formats: '2006-06-17T16:01:21' or '2006-06-17'"

TEST(rtc_valid)
{
	EXPECT_RUN("-m", "64M");
	CHECK_EQ(cfg.rtc.base, RTC_BASE_UTC);
	EXPECT_RUN("-rtc", "base=localtime");
	CHECK_EQ(cfg.rtc.base, RTC_BASE_LOCALTIME);
	EXPECT_RUN("-rtc", "base=2006-06-17T16:01:21,clock=vm,driftfix=slew");
	CHECK_EQ(cfg.rtc.base, RTC_BASE_DATE);
	CHECK_EQ(cfg.rtc.start_epoch, 1150560081);
	EXPECT_RUN("-rtc", "base=2006-06-17");
	CHECK_EQ(cfg.rtc.start_epoch, 1150502400);
	EXPECT_RUN("-rtc", "base=1960-02-29T00:00:00");
	CHECK_EQ(cfg.rtc.start_epoch, -310521600);
	EXPECT_RUN("-rtc", "base=localtime", "-rtc", "base=utc,clock=rt");
	CHECK_EQ(cfg.rtc.base, RTC_BASE_UTC);
	EXPECT_RUN("-rtc", "clock=host,driftfix=none");
}

TEST(rtc_errors)
{
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=foo");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=2006-13-17");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=2006-02-29");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=2006-06-17T24:00:00");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=2006-06-17x");
	EXPECT_ERROR(RTC_DATE_ERROR, "-rtc", "base=utc,base=foo");
	EXPECT_ERROR("invalid option value 'foo'", "-rtc", "clock=foo");
	EXPECT_ERROR("invalid option value ''", "-rtc", "driftfix=");
	EXPECT_ERROR("invalid option value 'slow'", "-rtc", "driftfix=slow");
	EXPECT_ERROR("-rtc foo=bar: Invalid parameter 'foo'", "-rtc",
		     "foo=bar");
	EXPECT_ERROR("-rtc utc: Invalid parameter 'utc'", "-rtc", "utc");
	EXPECT_ERROR("-rtc: requires an argument", "-rtc");
}

TEST(name_plain)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK_STR(cfg.name, "");
	EXPECT_RUN("-name", "my vm");
	CHECK_STR(cfg.name, "my vm");
	CHECK_STR(cfg.process_name, "");
	CHECK(!cfg.debug_threads);
}

TEST(name_with_keys)
{
	EXPECT_RUN("-name", "testvm,process=myproc,debug-threads=on");
	CHECK_STR(cfg.name, "testvm");
	CHECK_STR(cfg.process_name, "myproc");
	CHECK(cfg.debug_threads);
	EXPECT_RUN("-name", "guest=foo,debug-threads=no");
	CHECK_STR(cfg.name, "foo");
	CHECK(!cfg.debug_threads);
	EXPECT_RUN("-name", "process=p");
	CHECK_STR(cfg.name, "");
	CHECK_STR(cfg.process_name, "p");
}

TEST(name_escaped_comma)
{
	EXPECT_RUN("-name", "a,,b");
	CHECK_STR(cfg.name, "a,b");
	EXPECT_RUN("-name", "foo,process=x,,y");
	CHECK_STR(cfg.process_name, "x,y");
}

TEST(name_repeated_merges)
{
	EXPECT_RUN("-name", "foo", "-name", "process=x");
	CHECK_STR(cfg.name, "foo");
	CHECK_STR(cfg.process_name, "x");
	EXPECT_RUN("-name", "foo,guest=bar");
	CHECK_STR(cfg.name, "bar");
}

TEST(name_short_form_boolean)
{
	EXPECT_RUN("-name", "foo,debug-threads");
	CHECK(cfg.debug_threads);
	CHECK_STR(warnings, "kvmlite: warning: -name foo,debug-threads: short-form boolean option 'debug-threads' deprecated, please use debug-threads=on instead\n");
	EXPECT_RUN("-name", "foo,debug-threads=on", "-name", "foo,nodebug-threads");
	CHECK(!cfg.debug_threads);
	/* A bare first word is the name, whatever it looks like. */
	EXPECT_RUN("-name", "nodebug-threads");
	CHECK_STR(cfg.name, "nodebug-threads");
}

TEST(name_too_long)
{
	char name[300], want[400];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(want, sizeof(want),
		 "-name %s: Parameter 'guest' is longer than 255 bytes", name);
	EXPECT_ERROR(want, "-name", name);
	name[255] = '\0';
	EXPECT_RUN("-name", name);
	CHECK_STR(cfg.name, name);
}

TEST(name_errors)
{
	EXPECT_ERROR("-name debug-threads=foo: Parameter 'debug-threads' expects 'on' or 'off'",
		     "-name", "debug-threads=foo");
	EXPECT_ERROR("-name foo,debug-threads=On: Parameter 'debug-threads' expects 'on' or 'off'",
		     "-name", "foo,debug-threads=On");
	EXPECT_ERROR("-name foo,bogus=1: Invalid parameter 'bogus'", "-name",
		     "foo,bogus=1");
}

TEST(cpu_model_stored_whole)
{
	EXPECT_RUN("-cpu", "host,-xsave,+pdpe1gb,avx=off");
	CHECK_STR(cfg.cpu_model, "host,-xsave,+pdpe1gb,avx=off");
	EXPECT_ERROR("-cpu option cannot be empty", "-cpu", "");
}

/* --- -accel, -enable-kvm, -machine -------------------------------------- */

TEST(accel_kvm_forms)
{
	EXPECT_RUN("-enable-kvm");
	EXPECT_RUN("-accel", "kvm");
	EXPECT_RUN("-accel", "accel=kvm");
	EXPECT_RUN("-machine", "accel=kvm");
	EXPECT_RUN("-enable-kvm", "-machine", "accel=kvm");
}

TEST(accel_tcg_fallback_after_kvm)
{
	EXPECT_RUN("-accel", "kvm", "-accel", "tcg");
	EXPECT_RUN("-machine", "accel=kvm:tcg");
	EXPECT_RUN("-enable-kvm", "-machine", "accel=tcg");
}

TEST(accel_tcg_alone)
{
	EXPECT_ERROR("-accel tcg: accelerator 'tcg' is not supported: kvmlite only runs guests with kvm",
		     "-accel", "tcg");
	EXPECT_ERROR("accelerator 'tcg' is not supported: kvmlite only runs guests with kvm",
		     "-machine", "accel=tcg");
	EXPECT_ERROR("accelerator 'tcg' is not supported: kvmlite only runs guests with kvm",
		     "-machine", "accel=tcg:kvm");
}

TEST(accel_invalid)
{
	EXPECT_ERROR("-accel foo: invalid accelerator foo", "-accel", "foo");
	EXPECT_ERROR("-accel kvm:tcg: invalid accelerator kvm:tcg", "-accel",
		     "kvm:tcg");
	EXPECT_ERROR("invalid accelerator foo", "-machine", "accel=foo");
	EXPECT_ERROR("no accelerator found", "-machine", "accel=");
	EXPECT_ERROR("-accel kvm,foo=1: Property 'kvm-accel.foo' not found",
		     "-accel", "kvm,foo=1");
	EXPECT_ERROR("-accel : Parameter 'accel' is missing", "-accel", "");
	EXPECT_ERROR("-accel tcg,thread=single: Property 'tcg-accel.thread' not found",
		     "-accel", "kvm", "-accel", "tcg,thread=single");
}

TEST(accel_and_machine_accel_incompatible)
{
	EXPECT_ERROR("The -accel and \"-machine accel=\" options are incompatible",
		     "-accel", "kvm", "-machine", "accel=kvm");
	EXPECT_ERROR("The -accel and \"-machine accel=\" options are incompatible",
		     "-enable-kvm", "-accel", "kvm");
}

TEST(machine_names)
{
	EXPECT_RUN("-machine", "kvmlite");
	EXPECT_RUN("-machine", "pc");
	EXPECT_RUN("-machine", "q35");
	EXPECT_RUN("-machine", "type=q35");
	EXPECT_RUN("-M", "pc,accel=kvm");
	EXPECT_RUN("-machine", "");
}

TEST(machine_errors)
{
	EXPECT_ERROR("unsupported machine type 'microvm' (supported: kvmlite, pc, q35)",
		     "-M", "microvm");
	EXPECT_ERROR("unsupported machine type 'foo' (supported: kvmlite, pc, q35)",
		     "-machine", "foo,bar=1");
	EXPECT_ERROR("Property 'kvmlite-machine.foo' not found", "-machine",
		     "pc,foo=1");
	EXPECT_ERROR("-machine q35,q35: Expected '=' after parameter 'q35'",
		     "-machine", "q35,q35");
}

/* --- -device isa-debug-exit --------------------------------------------- */

TEST(device_absent_by_default)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK(!cfg.debug_exit.enabled);
}

TEST(device_debug_exit_defaults)
{
	EXPECT_RUN("-device", "isa-debug-exit");
	CHECK(cfg.debug_exit.enabled);
	CHECK_EQ(cfg.debug_exit.iobase, 0x501);
	CHECK_EQ(cfg.debug_exit.iosize, 2);
}

TEST(device_debug_exit_hex_and_decimal)
{
	EXPECT_RUN("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
	CHECK_EQ(cfg.debug_exit.iobase, 0xf4);
	CHECK_EQ(cfg.debug_exit.iosize, 4);
	EXPECT_RUN("-device", "isa-debug-exit,iobase=244,iosize=1");
	CHECK_EQ(cfg.debug_exit.iobase, 0xf4);
	CHECK_EQ(cfg.debug_exit.iosize, 1);
	EXPECT_RUN("-device", "driver=isa-debug-exit,id=exit0,iobase=0X10");
	CHECK_EQ(cfg.debug_exit.iobase, 0x10);
	EXPECT_RUN("-device", "isa-debug-exit,iobase=0xfffe");
	CHECK_EQ(cfg.debug_exit.iobase, 0xfffe);
}

TEST(device_unknown_model)
{
	EXPECT_ERROR("-device foo: 'foo' is not a valid device model name",
		     "-device", "foo");
	EXPECT_ERROR("-device rtl8139,foo=1: 'rtl8139' is not a valid device model name",
		     "-device", "rtl8139,foo=1");
	EXPECT_ERROR("-device : Parameter 'driver' is missing", "-device", "");
}

TEST(device_bad_properties)
{
	EXPECT_ERROR("-device isa-debug-exit,bogus=1: Property 'isa-debug-exit.bogus' not found",
		     "-device", "isa-debug-exit,bogus=1");
	EXPECT_ERROR("-device isa-debug-exit,iobase=foo: Parameter 'iobase' expects integer",
		     "-device", "isa-debug-exit,iobase=foo");
	EXPECT_ERROR("-device isa-debug-exit,iobase=: Parameter 'iobase' expects integer",
		     "-device", "isa-debug-exit,iobase=");
	EXPECT_ERROR("-device isa-debug-exit,iobase=08: Parameter 'iobase' expects integer",
		     "-device", "isa-debug-exit,iobase=08");
	EXPECT_ERROR("-device isa-debug-exit,iobase=-1: Parameter 'iobase' expects uint32_t",
		     "-device", "isa-debug-exit,iobase=-1");
	EXPECT_ERROR("-device isa-debug-exit,iosize=4294967296: Parameter 'iosize' expects uint32_t",
		     "-device", "isa-debug-exit,iosize=4294967296");
}

TEST(device_range_checked)
{
	EXPECT_ERROR("-device isa-debug-exit,iobase=0x10000: ports 0x10000-0x10001 are outside the I/O port space (0x0-0xffff)",
		     "-device", "isa-debug-exit,iobase=0x10000");
	EXPECT_ERROR("-device isa-debug-exit,iobase=0xffff,iosize=4: ports 0xffff-0x10002 are outside the I/O port space (0x0-0xffff)",
		     "-device", "isa-debug-exit,iobase=0xffff,iosize=4");
	EXPECT_ERROR("-device isa-debug-exit,iosize=0: iosize must be at least 1",
		     "-device", "isa-debug-exit,iosize=0");
}

TEST(device_only_one)
{
	EXPECT_ERROR("-device isa-debug-exit: only one isa-debug-exit device is supported",
		     "-device", "isa-debug-exit,iobase=0xf4", "-device",
		     "isa-debug-exit");
}

/* --- -netdev tap, -device e1000, -nic ----------------------------------- */

static const uint8_t mac56[MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

TEST(net_none_by_default)
{
	EXPECT_RUN("-m", "64");
	CHECK_EQ(cfg.nr_netdevs, 0);
	CHECK_EQ(cfg.nr_nics, 0);
}

TEST(net_seed_line)
{
	static const uint8_t mac[MAC_LEN] = { 0, 0, 2, 0x98, 0xac, 0x62 };

	EXPECT_RUN("-netdev", "tap,id=ipvm1,ifname=tap3,script=/etc/qemu-ifup",
		   "-device", "e1000,netdev=ipvm1,id=net0,mac=00:00:02:98:AC:62");
	CHECK_EQ(cfg.nr_netdevs, 1);
	CHECK_STR(cfg.netdevs[0].id, "ipvm1");
	CHECK_STR(cfg.netdevs[0].ifname, "tap3");
	CHECK_STR(cfg.netdevs[0].script, "/etc/qemu-ifup");
	CHECK_STR(cfg.netdevs[0].downscript, "/etc/qemu-ifdown");
	CHECK_EQ(cfg.netdevs[0].fd, -1);
	CHECK_EQ(cfg.nr_nics, 1);
	CHECK_EQ(cfg.nics[0].netdev, 0);
	CHECK_STR(cfg.nics[0].id, "net0");
	CHECK(!memcmp(cfg.nics[0].mac, mac, MAC_LEN));
	CHECK_EQ(cfg.nics[0].slot, -1);
}

TEST(net_scripts_no_and_fd)
{
	EXPECT_RUN("-netdev", "tap,id=t0,script=no,downscript=no",
		   "-device", "e1000,netdev=t0");
	CHECK_STR(cfg.netdevs[0].script, "");
	CHECK_STR(cfg.netdevs[0].downscript, "");
	CHECK_EQ(cfg.netdevs[0].vnet_hdr, -1);
	EXPECT_RUN("-netdev", "tap,id=t0,fd=3", "-device", "e1000,netdev=t0");
	CHECK_EQ(cfg.netdevs[0].fd, 3);
	EXPECT_RUN("-netdev", "tap,id=t0,vnet_hdr=off", "-device",
		   "e1000,netdev=t0");
	CHECK_EQ(cfg.netdevs[0].vnet_hdr, 0);
	EXPECT_RUN("-nic", "tap,vnet_hdr=on,model=e1000");
	CHECK_EQ(cfg.netdevs[0].vnet_hdr, 1);
}

/* QEMU creates every -netdev first, so order does not matter. */
TEST(net_default_macs_count_up)
{
	EXPECT_RUN("-device", "e1000,netdev=b", "-netdev", "tap,id=a",
		   "-netdev", "tap,id=b", "-device",
		   "e1000,netdev=a,mac=02:00:00:00:00:01", "-nic",
		   "tap,script=no,model=e1000", "-device", "e1000,addr=0x5.0");
	CHECK_EQ(cfg.nr_nics, 4);
	CHECK_EQ(cfg.nr_netdevs, 3);
	CHECK_EQ(cfg.nics[0].netdev, 1);
	CHECK(!memcmp(cfg.nics[0].mac, mac56, MAC_LEN));
	CHECK_EQ(cfg.nics[1].mac[5], 0x01);
	CHECK_EQ(cfg.nics[2].mac[5], 0x57);
	CHECK_EQ(cfg.nics[2].netdev, 2);
	CHECK_EQ(cfg.nics[3].mac[5], 0x58);
	CHECK_EQ(cfg.nics[3].netdev, -1);
	CHECK_EQ(cfg.nics[3].slot, 5);
	CHECK(strstr(warnings, "warning: nic e1000.3 has no peer"));
}

TEST(net_nic_shorthand)
{
	EXPECT_RUN("-nic", "tap,ifname=qx0,script=no,downscript=no,model=e1000,mac=52:54:00:aa:bb:cc");
	CHECK_EQ(cfg.nr_nics, 1);
	CHECK_STR(cfg.netdevs[0].ifname, "qx0");
	CHECK_EQ(cfg.nics[0].mac[3], 0xaa);
	EXPECT_RUN("-nic", "none");
	CHECK_EQ(cfg.nr_nics, 0);
}

TEST(net_netdev_errors)
{
	EXPECT_ERROR("-netdev tap: Parameter 'id' is missing", "-netdev", "tap");
	EXPECT_ERROR("-netdev tap,bogus=1: Parameter 'id' is missing",
		     "-netdev", "tap,bogus=1");
	EXPECT_ERROR("-netdev id=x: Parameter 'type' is missing", "-netdev",
		     "id=x");
	EXPECT_ERROR("-netdev user,id=u0: Parameter 'type' does not accept value 'user'",
		     "-netdev", "user,id=u0");
	EXPECT_ERROR("-netdev tap,id=t0,bogus=1: Invalid parameter 'bogus'",
		     "-netdev", "tap,id=t0,bogus=1");
	EXPECT_ERROR("-netdev tap,id=t0,vhost=on: Parameter 'vhost' is not supported by kvmlite",
		     "-netdev", "tap,id=t0,vhost=on");
	EXPECT_ERROR("-netdev tap,id=0bad: Parameter 'id' expects an identifier (letters, digits, '-', '.', '_', starting with a letter)",
		     "-netdev", "tap,id=0bad");
	EXPECT_ERROR("-netdev tap,id=t0: Duplicate ID 't0' for netdev",
		     "-netdev", "tap,id=t0,script=no", "-netdev", "tap,id=t0");
	EXPECT_ERROR("-netdev tap,id=t0,fd=foo: Invalid file descriptor number 'foo'",
		     "-netdev", "tap,id=t0,fd=foo");
	EXPECT_ERROR("-netdev tap,id=t0,fd=3,script=no: ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are invalid with fd=",
		     "-netdev", "tap,id=t0,fd=3,script=no");
	EXPECT_ERROR("-netdev tap,id=t0,fd=3,vnet_hdr=on: ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are invalid with fd=",
		     "-netdev", "tap,id=t0,fd=3,vnet_hdr=on");
	EXPECT_ERROR("-netdev tap,id=t0,vnet_hdr=maybe: Parameter 'vnet_hdr' expects 'on' or 'off'",
		     "-netdev", "tap,id=t0,vnet_hdr=maybe");
	EXPECT_ERROR("-netdev tap,id=t0,ifname=0123456789abcdef: Parameter 'ifname' is longer than 15 bytes",
		     "-netdev", "tap,id=t0,ifname=0123456789abcdef");
}

TEST(net_device_errors)
{
	EXPECT_ERROR("-device e1000,netdev=nosuch: Property 'e1000.netdev' can't find value 'nosuch'",
		     "-device", "e1000,netdev=nosuch");
	EXPECT_ERROR("-device e1000,netdev=: Property 'e1000.netdev' can't find value ''",
		     "-device", "e1000,netdev=");
	EXPECT_ERROR("-device e1000,netdev=t0: Property 'e1000.netdev' can't take value 't0', it's in use",
		     "-netdev", "tap,id=t0", "-device", "e1000,netdev=t0",
		     "-device", "e1000,netdev=t0");
	EXPECT_ERROR("-device e1000,mac=01:02:03:04:05: Property 'e1000.mac' doesn't take value '01:02:03:04:05'",
		     "-device", "e1000,mac=01:02:03:04:05");
	EXPECT_ERROR("-device e1000,mac=52:54:0:12:34:56: Property 'e1000.mac' doesn't take value '52:54:0:12:34:56'",
		     "-device", "e1000,mac=52:54:0:12:34:56");
	EXPECT_ERROR("-device e1000,addr=zz: Property 'e1000.addr' doesn't take value 'zz'",
		     "-device", "e1000,addr=zz");
	EXPECT_ERROR("-device e1000,addr=40: Property 'e1000.addr' doesn't take value '40'",
		     "-device", "e1000,addr=40");
	EXPECT_ERROR("-device e1000,bogus=1: Property 'e1000.bogus' not found",
		     "-device", "e1000,bogus=1");
	EXPECT_ERROR("-nic tap,script=no,mac=zz: invalid syntax for ethernet address",
		     "-nic", "tap,script=no,mac=zz");
	EXPECT_ERROR("Unsupported NIC model: virtio-foo", "-nic",
		     "tap,model=virtio-foo");
	EXPECT_ERROR("-nic foo: Parameter 'type' does not accept value 'foo'",
		     "-nic", "foo");
}

/* QEMU only warns; kvmlite refuses a backend that would carry nothing. */
TEST(net_unused_netdev)
{
	EXPECT_ERROR("-netdev tap,id=t0,script=no: netdev t0 has no peer; connect it with -device e1000,netdev=t0",
		     "-netdev", "tap,id=t0,script=no");
}

/* --- -d, -D ------------------------------------------------------------- */

TEST(log_items)
{
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK(!cfg.log_unimp);
	EXPECT_RUN("-d", "unimp", "-D", "/tmp/kvmlite.log");
	CHECK(cfg.log_unimp);
	CHECK_STR(cfg.log_file, "/tmp/kvmlite.log");
	EXPECT_RUN("-d", "unimp,unimp");
	CHECK(cfg.log_unimp);
}

TEST(log_unknown_item)
{
	EXPECT_ERROR("-d foo: unknown log item 'foo' (valid items: unimp, guest_errors)",
		     "-d", "foo");
	EXPECT_RUN("-d", "unimp,guest_errors");
	CHECK(cfg.log_unimp && cfg.log_guest_errors);
	EXPECT_RUN("-d", "guest_errors");
	CHECK(!cfg.log_unimp && cfg.log_guest_errors);
	EXPECT_ERROR("-d : unknown log item '' (valid items: unimp, guest_errors)", "-d", "");
	EXPECT_ERROR("-d unimp,: unknown log item '' (valid items: unimp, guest_errors)",
		     "-d", "unimp,");
}

TEST(log_help)
{
	CHECK_EQ(PARSE("-d", "help"), CONFIG_EXIT_OK);
	CHECK_STR(output, "Log items (comma separated):\n"
		  "unimp           log guest accesses to unimplemented I/O ports and MMIO\n"
		  "guest_errors    log when the guest gives a device something invalid\n");
}

/* --- -version, -help, unknown options ----------------------------------- */

TEST(version)
{
	static const char want[] = "kvmlite version 0.1.0\n"
		"Copyright (c) 2026 The kvmlite developers (MIT License)\n";

	CHECK_EQ(PARSE("-version"), CONFIG_EXIT_OK);
	CHECK_STR(output, want);
	CHECK_EQ(PARSE("--version"), CONFIG_EXIT_OK);
	CHECK_STR(output, want);
	/* Stops at -version, as QEMU: later options are not acted on. */
	CHECK_EQ(PARSE("-version", "-m", "foo"), CONFIG_EXIT_OK);
}

TEST(help_lists_every_option)
{
	static const char *const lines[] = {
		"-h or -help ", "-version ", "-machine [type=]name",
		"-accel kvm ", "-enable-kvm ", "-cpu model", "-smp [[cpus=]n]",
		"-m [size=]megs", "-name string", "-kernel file ",
		"-initrd file ", "-append cmdline ", "-nographic ",
		"-display none ", "-serial dev ", "-device isa-debug-exit",
		"-no-reboot ", "-d item", "-D logfile ",
	};
	char needle[64];
	size_t i;

	CHECK_EQ(PARSE("-help"), CONFIG_EXIT_OK);
	CHECK(!strncmp(output, "kvmlite version 0.1.0\nusage: kvmlite [options]\n",
		       strlen("kvmlite version 0.1.0\nusage: kvmlite [options]\n")));
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		snprintf(needle, sizeof(needle), "\n%s", lines[i]);
		if (!strstr(output, needle)) {
			printf("  no line starting \"%s\"\n", lines[i]);
			CHECK(0);
		}
	}
}

TEST(help_spellings)
{
	char first[sizeof(output)];

	CHECK_EQ(PARSE("-h"), CONFIG_EXIT_OK);
	strcpy(first, output);
	CHECK(strlen(first) > 100);
	CHECK_EQ(PARSE("--help"), CONFIG_EXIT_OK);
	CHECK_STR(output, first);
	CHECK_EQ(PARSE("-help"), CONFIG_EXIT_OK);
	CHECK_STR(output, first);
}

TEST(options_checked_before_acting)
{
	EXPECT_ERROR("-foo: invalid option", "-version", "-foo");
	EXPECT_ERROR("-m: requires an argument", "-help", "-m");
	CHECK_STR(output, "");
}

TEST(unknown_option)
{
	EXPECT_ERROR("-foo: invalid option", "-foo");
	EXPECT_ERROR("--foo: invalid option", "--foo");
	EXPECT_ERROR("---m: invalid option", "---m", "64");
	EXPECT_ERROR("-m=64: invalid option", "-m=64");
	EXPECT_ERROR("-: invalid option", "-");
	EXPECT_ERROR("--: invalid option", "--");
	EXPECT_ERROR("-enable-kvm=1: invalid option", "-enable-kvm=1");
	EXPECT_ERROR("-mon: invalid option", "-mon", "chardev=c0");
	EXPECT_ERROR("-qmp-pretty: invalid option", "-qmp-pretty",
		     "unix:/tmp/q,server");
	EXPECT_ERROR("-vga: invalid option", "-vga", "std");
}

TEST(missing_argument)
{
	static const char *const opts[] = {
		"-m", "-smp", "-kernel", "-initrd", "-append", "-serial",
		"-display", "-name", "-cpu", "-accel", "-machine", "-M",
		"-device", "-d", "-D", "-monitor", "-qmp", "-pidfile",
	};
	char want[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		snprintf(want, sizeof(want), "%s: requires an argument",
			 opts[i]);
		EXPECT_ERROR(want, opts[i]);
	}
}

TEST(argument_may_start_with_a_dash)
{
	EXPECT_RUN("-kernel", "k", "-append", "-v");
	CHECK_STR(cfg.append, "-v");
}

/* --- -drive, -hda, -device virtio-blk-pci ------------------------------ */

TEST(drive_defaults)
{
	const struct drive_config *d = &cfg.drives[0];

	EXPECT_RUN("-drive", "file=disk.img");
	CHECK_EQ(cfg.nr_drives, 1);
	CHECK_EQ(d->interface, DRIVE_IF_DEFAULT);
	CHECK_STR(d->id, "ide0-hd0");
	CHECK_STR(d->block.filename, "disk.img");
	CHECK(d->block.format == NULL);
	CHECK_EQ(d->block.cache, BLOCK_CACHE_WRITEBACK);
	CHECK_EQ(d->block.aio, BLOCK_AIO_AUTO);
	CHECK_EQ(d->block.discard, BLOCK_DISCARD_IGNORE);
	CHECK(!d->block.read_only);
	CHECK(!d->has_serial);
	CHECK_STR(d->bad_key, "");
	/* Without if=none a drive brings its own virtio-blk-pci. */
	CHECK_EQ(cfg.nr_blk, 1);
	CHECK_EQ(cfg.blk[0].drive, 0);
	CHECK_EQ(cfg.blk[0].num_queues, 1);
	CHECK_EQ(cfg.blk[0].slot, -1);
	CHECK_STR(cfg.blk[0].opt, "-drive");
	CHECK_STR(cfg.blk[0].arg, "file=disk.img");
	CHECK_EQ(PARSE_NONE(), CONFIG_RUN);
	CHECK_EQ(cfg.nr_drives, 0);
	CHECK_EQ(cfg.nr_blk, 0);
}

TEST(drive_values)
{
	const struct drive_config *d = &cfg.drives[0];

	EXPECT_RUN("-drive", "file=a,,b.img,format=raw,if=virtio,id=disk-1,"
		   "cache=none,aio=io_uring,readonly=on,discard=unmap,"
		   "serial=abc");
	CHECK_STR(d->block.filename, "a,b.img");
	CHECK_STR(d->block.format, "raw");
	CHECK_EQ(d->interface, DRIVE_IF_VIRTIO);
	CHECK_STR(d->id, "disk-1");
	CHECK_EQ(d->block.cache, BLOCK_CACHE_NONE);
	CHECK_EQ(d->block.aio, BLOCK_AIO_IO_URING);
	CHECK(d->block.read_only);
	CHECK_EQ(d->block.discard, BLOCK_DISCARD_UNMAP);
	CHECK_STR(cfg.blk[0].serial, "abc");
	EXPECT_RUN("-drive", "file=a,cache=directsync,aio=native,readonly=off,"
		   "readonly=yes,cache=unsafe,cache=none,discard=off");
	CHECK_EQ(d->block.cache, BLOCK_CACHE_NONE);
	CHECK_EQ(d->block.aio, BLOCK_AIO_NATIVE);
	CHECK(d->block.read_only);
	CHECK_EQ(d->block.discard, BLOCK_DISCARD_IGNORE);
	/* GET_ID returns 20 bytes: QEMU keeps no more. */
	EXPECT_RUN("-drive", "file=a,serial=0123456789abcdefghijKLMN");
	CHECK_STR(cfg.blk[0].serial, "0123456789abcdefghij");
}

TEST(drive_names_as_qemu)
{
	EXPECT_RUN("-drive", "file=a,if=virtio", "-drive", "file=b,if=none",
		   "-drive", "file=c,if=virtio", "-drive", "if=none",
		   "-hdb", "d", "-drive", "file=e", "-hdc", "f",
		   "-drive", "file=g,if=virtio,index=7");
	CHECK_EQ(cfg.nr_drives, 8);
	CHECK_STR(cfg.drives[0].id, "virtio0");
	CHECK_STR(cfg.drives[1].id, "none0");
	CHECK_STR(cfg.drives[2].id, "virtio1");
	CHECK_STR(cfg.drives[3].id, "none1");
	CHECK_STR(cfg.drives[4].id, "ide0-hd1");
	CHECK_STR(cfg.drives[5].id, "ide0-hd0");
	CHECK_STR(cfg.drives[6].id, "ide1-hd0");
	CHECK_STR(cfg.drives[7].id, "virtio7");
	CHECK_STR(cfg.drives[4].block.filename, "d");
	CHECK_STR(cfg.drives[4].opt, "-hdb");
	CHECK_EQ(cfg.nr_blk, 6);
}

TEST(bare_image_is_hda)
{
	EXPECT_RUN("-m", "64", "disk,1.img");
	CHECK_EQ(cfg.nr_drives, 1);
	CHECK_STR(cfg.drives[0].block.filename, "disk,1.img");
	CHECK_STR(cfg.drives[0].id, "ide0-hd0");
	CHECK(cfg.drives[0].opt == NULL);
	EXPECT_ERROR("-hda b.img: drive with bus=0, unit=0 (index=0) exists",
		     "a.img", "-hda", "b.img");
}

TEST(virtio_blk_device)
{
	const struct blk_device_config *b = &cfg.blk[0];

	EXPECT_RUN("-smp", "3", "-drive", "file=x,if=none,id=d,serial=old",
		   "-device", "virtio-blk-pci,drive=d,id=blk0,serial=new,addr=1f");
	CHECK_EQ(cfg.nr_blk, 1);
	CHECK_EQ(b->drive, 0);
	CHECK_EQ(b->num_queues, 3);
	CHECK_STR(b->serial, "new");
	CHECK_STR(b->id, "blk0");
	CHECK_EQ(b->slot, 31);
	CHECK_STR(b->opt, "-device");
	EXPECT_RUN("-device", "virtio-blk-pci,drive=d,num-queues=2,addr=0x5",
		   "-drive", "file=x,if=none,id=d,serial=old");
	CHECK_EQ(b->num_queues, 2);
	CHECK_STR(b->serial, "old");
	CHECK_EQ(b->slot, 5);
	EXPECT_RUN("-drive", "file=x,if=none,id=d", "-device",
		   "driver=virtio-blk-pci,drive=d,addr=0a.0,bootindex=1,"
		   "disable-legacy=on,num-queues=1024");
	CHECK_EQ(b->slot, 10);
	CHECK_EQ(b->num_queues, 1024);
	CHECK(!b->has_serial);
	/* Explicit devices come first, then those drives imply. */
	EXPECT_RUN("-drive", "file=a,if=virtio", "-drive",
		   "file=b,if=none,id=d", "-device", "virtio-blk-pci,drive=d");
	CHECK_EQ(cfg.blk[0].drive, 1);
	CHECK_EQ(cfg.blk[1].drive, 0);
}

/* The key is only named once the image, and so its format, is known. */
TEST(drive_unknown_key_kept_for_open)
{
	EXPECT_RUN("-drive", "file=a,bogus=1,other=2");
	CHECK_STR(cfg.drives[0].bad_key, "bogus");
}

TEST(drive_errors)
{
	EXPECT_ERROR("-drive file=a,if=virtio,id=1abc: Parameter 'id' expects an identifier\n"
		     "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
		     "-drive", "file=a,if=virtio,id=1abc");
	EXPECT_ERROR("-drive file=a,id=: Parameter 'id' expects an identifier\n"
		     "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
		     "-drive", "file=a,id=");
	EXPECT_ERROR("-drive file=a,discard=foo,cache=foo: invalid cache option",
		     "-drive", "file=a,discard=foo,cache=foo");
	EXPECT_ERROR("-drive file=a,discard=foo,aio=foo: invalid aio option",
		     "-drive", "file=a,discard=foo,aio=foo");
	EXPECT_ERROR("-drive file=a,aio=native: aio=native was specified, but it requires cache.direct=on, which was not specified.",
		     "-drive", "file=a,aio=native");
	EXPECT_ERROR("-drive file=a,cache=unsafe,aio=native,discard=foo: aio=native was specified, but it requires cache.direct=on, which was not specified.",
		     "-drive", "file=a,cache=unsafe,aio=native,discard=foo");
	EXPECT_ERROR("-drive file=a,readonly=foo,if=foo: Parameter 'read-only' expects 'on' or 'off'",
		     "-drive", "file=a,readonly=foo,if=foo");
	EXPECT_ERROR("-drive file=a,discard=foo: Invalid discard option",
		     "-drive", "file=a,discard=foo");
	EXPECT_ERROR("-drive file=a,media=foo,if=foo: 'foo' invalid media",
		     "-drive", "file=a,media=foo,if=foo");
	EXPECT_ERROR("-drive file=a,media=cdrom: media=cdrom is not supported: kvmlite has no CD-ROM drive",
		     "-drive", "file=a,media=cdrom");
	EXPECT_ERROR("-drive file=a,if=foo,aio=foo: invalid aio option",
		     "-drive", "file=a,if=foo,aio=foo");
	EXPECT_ERROR("-drive file=a,if=foo: unsupported bus type 'foo'",
		     "-drive", "file=a,if=foo");
	EXPECT_ERROR("-drive file=a,if=ide: if=ide is not supported: kvmlite disks are if=virtio or if=none",
		     "-drive", "file=a,if=ide");
	EXPECT_ERROR("-drive file=a,werror=stop: option 'werror' is not supported by kvmlite",
		     "-drive", "file=a,werror=stop");
	EXPECT_ERROR("-drive file=a,index=foo: Parameter 'index' expects a number",
		     "-drive", "file=a,index=foo");
	EXPECT_ERROR("-drive file=,format=foo: Unknown driver 'foo'",
		     "-drive", "file=,format=foo");
	EXPECT_ERROR("-drive file=,format=raw: A block device must be specified for \"file\"",
		     "-drive", "file=,format=raw");
	EXPECT_ERROR("-drive file=b,id=a: Duplicate ID 'a' for drive",
		     "-drive", "file=a,id=a", "-drive", "file=b,id=a");
	EXPECT_ERROR("-drive file=b,if=virtio,index=1: drive with bus=0, unit=1 (index=1) exists",
		     "-drive", "file=a,if=virtio,index=1", "-drive",
		     "file=b,if=virtio,index=1");
	EXPECT_ERROR("-drive file=a,index=5: machine type does not support if=ide,bus=2,unit=1",
		     "-drive", "file=a,index=5");
	EXPECT_ERROR("-drive if=virtio: Device needs media, but drive is empty",
		     "-drive", "if=virtio");
}

TEST(virtio_blk_errors)
{
	EXPECT_ERROR("-device virtio-blk-pci: drive property not set",
		     "-device", "virtio-blk-pci");
	EXPECT_ERROR("-device virtio-blk-pci,drive=: drive property not set",
		     "-device", "virtio-blk-pci,drive=");
	EXPECT_ERROR("-device virtio-blk-pci,drive=nosuch: Property 'virtio-blk-device.drive' can't find value 'nosuch'",
		     "-device", "virtio-blk-pci,drive=nosuch");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,bogus=1: Property 'virtio-blk-pci.bogus' not found",
		     "-drive", "file=a,if=none,id=d", "-device",
		     "virtio-blk-pci,drive=d,bogus=1");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=0: num-queues property must be larger than 0",
		     "-device", "virtio-blk-pci,drive=d,num-queues=0");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=foo: Parameter 'num-queues' expects integer",
		     "-device", "virtio-blk-pci,drive=d,num-queues=foo");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=: Parameter 'num-queues' expects integer",
		     "-device", "virtio-blk-pci,drive=d,num-queues=");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=-1: Parameter 'num-queues' expects uint16_t",
		     "-device", "virtio-blk-pci,drive=d,num-queues=-1");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=65536: Parameter 'num-queues' expects uint16_t",
		     "-device", "virtio-blk-pci,drive=d,num-queues=65536");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,num-queues=1025: num-queues property must be at most 1024",
		     "-device", "virtio-blk-pci,drive=d,num-queues=1025");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,addr=32: Property 'virtio-blk-pci.addr' doesn't take value '32'",
		     "-device", "virtio-blk-pci,drive=d,addr=32");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,addr=foo: Property 'virtio-blk-pci.addr' doesn't take value 'foo'",
		     "-device", "virtio-blk-pci,drive=d,addr=foo");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,addr=3.1: kvmlite has no multifunction devices: give function 0 (addr=3 or addr=3.0)",
		     "-device", "virtio-blk-pci,drive=d,addr=3.1");
	EXPECT_ERROR("-device virtio-blk-pci,drive=e,id=x: Duplicate ID 'x' for device",
		     "-device", "virtio-blk-pci,drive=d,id=x", "-device",
		     "virtio-blk-pci,drive=e,id=x");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d: Drive 'd' is already in use by another device",
		     "-drive", "file=a,if=none,id=d", "-device",
		     "virtio-blk-pci,drive=d,id=x", "-device",
		     "virtio-blk-pci,drive=d");
	EXPECT_ERROR("-drive file=a,if=virtio,id=d: Drive 'd' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)",
		     "-drive", "file=a,if=virtio,id=d", "-device",
		     "virtio-blk-pci,drive=d");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d: Device needs media, but drive is empty",
		     "-drive", "if=none,id=d", "-device",
		     "virtio-blk-pci,drive=d");
	EXPECT_ERROR("-device virtio-blk-pci,drive=d,disable-legacy=off: disable-legacy=off is not supported: kvmlite's virtio devices are modern only",
		     "-device", "virtio-blk-pci,drive=d,disable-legacy=off");
}

TEST(double_dash_flags)
{
	EXPECT_RUN("--nographic", "--no-reboot", "--enable-kvm");
	CHECK(cfg.nographic);
	CHECK(cfg.no_reboot);
}

TEST(typical_command_line)
{
	EXPECT_RUN("-nographic", "-m", "64M", "-smp", "2", "-device",
		   "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel",
		   "guests/hello", "-append", "hello from make run",
		   "-enable-kvm", "-cpu", "host", "-name", "hello",
		   "-no-reboot", "-display", "none", "-M", "q35");
	CHECK_EQ(cfg.ram_size, 64 * MiB);
	CHECK_EQ(cfg.smp.cpus, 2);
	CHECK_EQ(cfg.debug_exit.iobase, 0xf4);
	CHECK_EQ(cfg.debug_exit.iosize, 4);
	CHECK_STR(cfg.kernel, "guests/hello");
	CHECK_STR(cfg.append, "hello from make run");
	CHECK_STR(cfg.cpu_model, "host");
	CHECK_STR(cfg.name, "hello");
	CHECK(cfg.serial[0].mux_escapes);
	CHECK_STR(warnings, "");
}

int main(void)
{
	RUN(size_bare_number_uses_default_unit);
	RUN(size_every_suffix);
	RUN(size_fractions_need_a_unit);
	RUN(size_fraction_rounds_half_a_byte_up);
	RUN(size_overflow_at_2_pow_64);
	RUN(size_rejects_malformed_text);
	RUN(size_accepts_what_strtoull_does);
	RUN(size_hex);

	RUN(m_default_is_128_mib);
	RUN(m_bare_number_is_mib);
	RUN(m_suffixes);
	RUN(m_zero_means_default);
	RUN(m_rounds_up_to_8_kib);
	RUN(m_size_key);
	RUN(m_last_wins_and_keys_merge);
	RUN(m_slots_and_maxmem_accepted);
	RUN(m_hex_warns_like_qemu);
	RUN(m_malformed_size);
	RUN(m_out_of_range);
	RUN(m_unknown_key);
	RUN(m_slots_errors);
	RUN(m_short_form_boolean_is_a_bad_value);
	RUN(m_double_dash_and_missing_argument);

	RUN(smp_none);
	RUN(smp_1);
	RUN(smp_2);
	RUN(smp_4);
	RUN(smp_sockets_2);
	RUN(smp_cores_4);
	RUN(smp_threads_2);
	RUN(smp_4_sockets_2);
	RUN(smp_4_threads_2);
	RUN(smp_4_cores_2);
	RUN(smp_4_maxcpus_8);
	RUN(smp_maxcpus_8);
	RUN(smp_sockets_2_cores_3);
	RUN(smp_6_dies_2);
	RUN(smp_2_maxcpus_4_sockets_2);
	RUN(smp_sockets_2_dies_2);
	RUN(smp_3_maxcpus_8_cores_2);
	RUN(smp_threads_last);
	RUN(smp_full);
	RUN(smp_clusters_1);
	RUN(smp_255);
	RUN(smp_hex_and_octal);
	RUN(smp_cpus_key);
	RUN(smp_empty);
	RUN(smp_trailing_comma);
	RUN(smp_wraps_to_zero);
	RUN(smp_zero_warns_and_counts_as_omitted);
	RUN(smp_repeated_options_merge);
	RUN(smp_product_mismatch);
	RUN(smp_maxcpus_below_cpus);
	RUN(smp_machine_limit);
	RUN(smp_clusters_unsupported);
	RUN(smp_bad_values);
	RUN(smp_bad_syntax);
	RUN(smp_parse_alone);

	RUN(kernel_initrd_append_stored);
	RUN(kernel_defaults_are_null);
	RUN(kernel_last_wins);
	RUN(initrd_without_kernel);
	RUN(append_without_kernel);

	RUN(serial_default_is_stdio_without_escapes);
	RUN(nographic_default_serial_has_escapes);
	RUN(nographic_escapes_on_any_stdio_port);
	RUN(serial_forms);
	RUN(serial_none_takes_no_port);
	RUN(serial_at_most_four);
	RUN(serial_invalid_driver);
	RUN(serial_stdio_once);

	RUN(display_none);
	RUN(display_graphical_unsupported);
	RUN(display_errors);
	RUN(no_reboot);
	RUN(rtc_valid);
	RUN(rtc_errors);
	RUN(name_plain);
	RUN(name_with_keys);
	RUN(name_escaped_comma);
	RUN(name_repeated_merges);
	RUN(name_short_form_boolean);
	RUN(name_too_long);
	RUN(name_errors);
	RUN(cpu_model_stored_whole);

	RUN(accel_kvm_forms);
	RUN(accel_tcg_fallback_after_kvm);
	RUN(accel_tcg_alone);
	RUN(accel_invalid);
	RUN(accel_and_machine_accel_incompatible);
	RUN(machine_names);
	RUN(machine_errors);

	RUN(device_absent_by_default);
	RUN(device_debug_exit_defaults);
	RUN(device_debug_exit_hex_and_decimal);
	RUN(device_unknown_model);
	RUN(device_bad_properties);
	RUN(device_range_checked);
	RUN(device_only_one);
	RUN(net_none_by_default);
	RUN(net_seed_line);
	RUN(net_scripts_no_and_fd);
	RUN(net_default_macs_count_up);
	RUN(net_nic_shorthand);
	RUN(net_netdev_errors);
	RUN(net_device_errors);
	RUN(net_unused_netdev);

	RUN(log_items);
	RUN(log_unknown_item);
	RUN(log_help);

	RUN(version);
	RUN(help_lists_every_option);
	RUN(help_spellings);
	RUN(options_checked_before_acting);
	RUN(no_monitor_by_default);
	RUN(qmp_and_monitor_sockets);
	RUN(monitor_errors);
	RUN(monitor_none_and_null_open_nothing);
	RUN(nographic_monitor_shares_serial_stdio);
	RUN(nographic_monitor_alone_without_stdio_serial);
	RUN(nographic_monitor_given_elsewhere);
	RUN(mon_stdio_shares_serial);
	RUN(monitor_stdio_moves_default_serial);
	RUN(start_paused_and_pidfile);
	RUN(daemonize_rules);
	RUN(unknown_option);
	RUN(missing_argument);
	RUN(argument_may_start_with_a_dash);
	RUN(drive_defaults);
	RUN(drive_values);
	RUN(drive_names_as_qemu);
	RUN(bare_image_is_hda);
	RUN(virtio_blk_device);
	RUN(drive_unknown_key_kept_for_open);
	RUN(drive_errors);
	RUN(virtio_blk_errors);
	RUN(double_dash_flags);
	RUN(typical_command_line);
	return check_summary();
}
