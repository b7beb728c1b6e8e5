/* SPDX-License-Identifier: MIT */
/*
 * -cpu models and per-vCPU CPUID against a synthetic KVM_GET_SUPPORTED_CPUID
 * table: feature edits touch exactly their bit, errors and warnings carry
 * QEMU's text, and every vCPU gets its APIC ID and KVM's leaves.
 */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cpuid_table.h"
#include "kvmlite/config.h"
#include "kvmlite/cpuid.h"
#include "kvmlite/topology.h"

/* As many entries as kvm.c asks KVM_GET_SUPPORTED_CPUID for */
#define MAX_ENTRIES	256
#define BIT(n)		(1U << (n))

#define LEAF1_EBX	0xff3f0800	/* stale APIC ID, count; clflush 8 */
#define LEAF1_ECX	(BIT(0) | BIT(9) | BIT(19) | BIT(20) | BIT(23) | \
			 BIT(26) | BIT(28))
#define LEAF1_EDX	0x078bfbff	/* no HT */
#define LEAF7_EBX	(BIT(0) | BIT(3) | BIT(5) | BIT(8))
#define LEAFD1_EAX	0xf
#define KVM_FEATURES	0x01007afb
#define EXT_ECX		(BIT(0) | BIT(5) | BIT(8))
#define EXT_EDX		0x2c100800
#define STALE_APIC_ID	0x77

#define SIG_EBX		0x4b4d564b	/* "KVMK" */
#define SIG_ECX		0x564b4d56	/* "VMKV" */
#define SIG_EDX		0x0000004d	/* "M\0\0\0" */

static char err[2048];
static char warnings[1024];

/* ---- synthetic tables ---- */

static struct kvm_cpuid2 *table_new(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENTRIES *
				      sizeof(c->entries[0]));

	if (!c)
		exit(2);
	return c;
}


/*
 * What KVM might report.  Indexed leaves list subleaf 0 first, so a lookup
 * that ignores the index edits the wrong one.
 */
static struct kvm_cpuid2 *supported_table(bool x2apic, bool kvm_leaves)
{
	struct kvm_cpuid2 *c = table_new();

	add(c, 0, -1, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(c, 1, -1, 0x000906ea, LEAF1_EBX,
	    LEAF1_ECX | (x2apic ? BIT(21) : 0), LEAF1_EDX);
	add(c, 7, 0, 1, LEAF7_EBX, BIT(2), BIT(10));
	add(c, 7, 1, 0, LEAF7_EBX, 0, 0);
	add(c, 0xb, 0, 1, 1, 0x100, STALE_APIC_ID);
	add(c, 0xb, 1, 4, 4, 0x201, STALE_APIC_ID);
	add(c, 0xd, 0, LEAFD1_EAX, 0x240, 0x340, 0);
	add(c, 0xd, 1, LEAFD1_EAX, 0, 0, 0);
	if (kvm_leaves) {
		add(c, 0x40000000, -1, 0x40000001, SIG_EBX, SIG_ECX, SIG_EDX);
		add(c, 0x40000001, -1, KVM_FEATURES, 0, 0, 0);
	}
	add(c, 0x80000000, -1, 0x80000008, 0, 0, 0);
	add(c, 0x80000001, -1, 0, 0, EXT_ECX, EXT_EDX);
	return c;
}



/* ---- running cpu_model_init ---- */

static struct cpu_model model;
static struct kvm_cpuid2 *host;

/* Parses @text against a fresh table; the model stays in `model`. */
static int init(const char *text, bool x2apic)
{
	int ret;

	free(host);
	host = supported_table(x2apic, true);
	strcpy(err, "(no error)");
	model.cpuid = NULL;
	check_capture_begin();
	ret = cpu_model_init(&model, text, host, err, sizeof(err));
	check_capture_end(warnings, sizeof(warnings));
	return ret;
}

static void done(void)
{
	cpu_model_free(&model);
	free(host);
	host = NULL;
}

#define EXPECT_OK(text)							\
	do {								\
		CHECK_EQ(init(text, true), 0);				\
		CHECK_STR(err, "(no error)");				\
		CHECK_STR(warnings, "");				\
	} while (0)

#define EXPECT_ERROR(text, msg)						\
	do {								\
		CHECK_EQ(init(text, true), -1);				\
		CHECK_STR(err, msg);					\
		CHECK(model.cpuid == NULL);				\
	} while (0)

/* Every leaf as supported except leaf @fn.@index register @r == @val. */
static void check_only_change(uint32_t fn, uint32_t index, char r,
			      uint32_t val)
{
	struct kvm_cpuid_entry2 want;
	uint32_t i;

	if (!model.cpuid) {
		CHECK(model.cpuid != NULL);
		return;
	}
	CHECK_EQ(model.cpuid->nent, host->nent);
	for (i = 0; i < host->nent && i < model.cpuid->nent; i++) {
		want = host->entries[i];
		/* The model always advertises the hypervisor bit. */
		if (want.function == 1)
			want.ecx |= BIT(31);
		if (want.function == fn && want.index == index) {
			if (r == 'a')
				want.eax = val;
			else if (r == 'b')
				want.ebx = val;
			else if (r == 'c')
				want.ecx = fn == 1 ? val | BIT(31) : val;
			else
				want.edx = val;
		}
		if (memcmp(&want, &model.cpuid->entries[i], sizeof(want))) {
			printf("  leaf 0x%x.%u differs\n", want.function,
			       want.index);
			CHECK(0);
		}
	}
}

static void check_unchanged(void)
{
	check_only_change(~0U, 0, 'a', 0);
}

/* -cpu @text must give the supported table as it is. */
static void check_no_change(const char *text)
{
	EXPECT_OK(text);
	check_unchanged();
	done();
}

/* -cpu @text must set leaf @fn.@index register @r to @val, and no more. */
static void check_edit(const char *text, uint32_t fn, uint32_t index, char r,
		       uint32_t val)
{
	EXPECT_OK(text);
	check_only_change(fn, index, r, val);
	done();
}

/* ---- models ---- */

TEST(host_copies_supported_table)
{
	check_no_change("host");
}

TEST(max_is_host)
{
	check_no_change("max");
	check_edit("max,-xsave", 1, 0, 'c', (LEAF1_ECX | BIT(21)) & ~BIT(26));
}

TEST(null_model_is_host)
{
	check_no_change(NULL);
}

#define NO_MODEL(name)	"unable to find CPU model '" name "' (kvmlite " \
			"provides 'host' and its alias 'max')"

TEST(unknown_model_fails)
{
	EXPECT_ERROR("qemu64", NO_MODEL("qemu64"));
	EXPECT_ERROR("foo", NO_MODEL("foo"));
	EXPECT_ERROR("foo,+x2apic", NO_MODEL("foo"));
	EXPECT_ERROR("hostx", NO_MODEL("hostx"));
	EXPECT_ERROR("hos", NO_MODEL("hos"));
	EXPECT_ERROR("Host", NO_MODEL("Host"));
	EXPECT_ERROR("", NO_MODEL(""));
	EXPECT_ERROR(",+x2apic", NO_MODEL(""));
	done();
}

/* ---- feature edits ---- */

TEST(minus_xsave_clears_bit_26_only)
{
	EXPECT_OK("host,-xsave");
	CHECK_EQ(reg(model.cpuid, 1, 0, 'c'),
		 ((LEAF1_ECX | BIT(21)) & ~BIT(26)) | BIT(31));
	check_only_change(1, 0, 'c', (LEAF1_ECX | BIT(21)) & ~BIT(26));
	done();
}

TEST(plus_supported_feature_is_kept)
{
	EXPECT_OK("host,+x2apic");
	check_unchanged();
	CHECK(reg(model.cpuid, 1, 0, 'c') & BIT(21));
	done();
	check_no_change("host,x2apic=on");
}

TEST(plus_unsupported_feature_warns_and_stays_clear)
{
	CHECK_EQ(init("host,+x2apic", false), 0);
	CHECK_STR(err, "(no error)");
	CHECK_STR(warnings, "kvmlite: warning: host doesn't support requested "
		  "feature: CPUID.01H:ECX.x2apic [bit 21]\n");
	CHECK_EQ(reg(model.cpuid, 1, 0, 'c'), LEAF1_ECX | BIT(31));
	check_unchanged();
	done();
	/* A leaf the host does not report at all. */
	CHECK_EQ(init("host,+invtsc", true), 0);
	CHECK_STR(warnings, "kvmlite: warning: host doesn't support requested "
		  "feature: CPUID.80000007H:EDX.invtsc [bit 8]\n");
	CHECK(entry(model.cpuid, 0x80000007, 0) == NULL);
	check_unchanged();
	done();
	/* The edits after the warning still apply. */
	CHECK_EQ(init("host,+x2apic,-avx", false), 0);
	CHECK_EQ(reg(model.cpuid, 1, 0, 'c'), (LEAF1_ECX & ~BIT(28)) | BIT(31));
	done();
}

TEST(minus_feature_the_host_lacks_is_silent)
{
	CHECK_EQ(init("host,-x2apic,-invtsc", false), 0);
	CHECK_STR(err, "(no error)");
	CHECK_STR(warnings, "");
	check_unchanged();
	done();
}

TEST(off_spellings)
{
	check_edit("host,xsave=off", 1, 0, 'c',
		   (LEAF1_ECX | BIT(21)) & ~BIT(26));
	/* QEMU's underscore spellings of '.' and '-' names. */
	check_edit("host,sse4_1=off", 1, 0, 'c',
		   (LEAF1_ECX | BIT(21)) & ~BIT(19));
	check_edit("host,sse4.1=off", 1, 0, 'c',
		   (LEAF1_ECX | BIT(21)) & ~BIT(19));
	check_edit("host,-lahf_lm", 0x80000001, 0, 'c', EXT_ECX & ~BIT(0));
	check_edit("host,lahf-lm=off", 0x80000001, 0, 'c', EXT_ECX & ~BIT(0));
	check_edit("host,-kvm_pv_eoi", 0x40000001, 0, 'a',
		   KVM_FEATURES & ~BIT(6));
	/* The hypercall users, which an emulating host may not take. */
	check_edit("host,-kvm-pv-ipi,kvm-pv-sched-yield=off", 0x40000001, 0,
		   'a', KVM_FEATURES & ~BIT(11) & ~BIT(13));
}

TEST(last_edit_wins)
{
	check_no_change("host,-xsave,xsave=on");
	check_edit("host,+xsave,-xsave", 1, 0, 'c',
		   (LEAF1_ECX | BIT(21)) & ~BIT(26));
}

TEST(several_edits_apply)
{
	EXPECT_OK("host,-xsave,-sse4_2,nx=off");
	CHECK_EQ(reg(model.cpuid, 1, 0, 'c'),
		 ((LEAF1_ECX | BIT(21)) & ~(BIT(26) | BIT(20))) | BIT(31));
	CHECK_EQ(reg(model.cpuid, 0x80000001, 0, 'd'), EXT_EDX & ~BIT(20));
	done();
}

TEST(subleaf_features_edit_their_subleaf)
{
	EXPECT_OK("host,-avx2");
	check_only_change(7, 0, 'b', LEAF7_EBX & ~BIT(5));
	CHECK_EQ(reg(model.cpuid, 7, 1, 'b'), LEAF7_EBX);
	done();
	EXPECT_OK("host,-xsaveopt");
	check_only_change(0xd, 1, 'a', LEAFD1_EAX & ~BIT(0));
	CHECK_EQ(reg(model.cpuid, 0xd, 0, 'a'), LEAFD1_EAX);
	done();
	check_edit("host,-md-clear", 7, 0, 'd', 0);
}

#define UNKNOWN(name)	"-cpu: unknown feature '" name "'; " \
			"known features: "

/* -cpu @text must fail with a message that starts @want. */
static void check_fails_with(const char *text, const char *want)
{
	CHECK_EQ(init(text, true), -1);
	CHECK(!strncmp(err, want, strlen(want)));
	done();
}

TEST(unknown_feature_lists_known_names)
{
	CHECK_EQ(init("host,+bogus", true), -1);
	CHECK(model.cpuid == NULL);
	CHECK(!strncmp(err, UNKNOWN("bogus") "fpu vme de pse tsc ",
		       strlen(UNKNOWN("bogus") "fpu vme de pse tsc ")));
	CHECK(strstr(err, " x2apic ") != NULL);
	CHECK(strstr(err, " sse4.1 ") != NULL);
	CHECK(strlen(err) > strlen(" kvmclock-stable-bit") &&
	      !strcmp(err + strlen(err) - strlen(" kvmclock-stable-bit"),
		      " kvmclock-stable-bit"));
	CHECK(strchr(err, '\n') == NULL);
	done();
	check_fails_with("host,bogus=off", UNKNOWN("bogus"));
	/* Not a prefix match, and the spellings are not mixed freely. */
	check_fails_with("host,-xsav", UNKNOWN("xsav"));
	check_fails_with("host,-sse4_1x", UNKNOWN("sse4_1x"));
	check_fails_with("host,-", UNKNOWN(""));
	/* An error after a good edit still fails the whole model. */
	CHECK_EQ(init("host,-xsave,+bogus", true), -1);
	CHECK(model.cpuid == NULL);
	done();
}

TEST(unknown_feature_message_is_truncated_safely)
{
	struct {
		char buf[48];
		char canary[16];
	} e;

	host = supported_table(true, true);
	memset(&e, 'Z', sizeof(e));
	CHECK_EQ(cpu_model_init(&model, "host,+bogus", host, e.buf,
				sizeof(e.buf)), -1);
	CHECK_EQ(strlen(e.buf), sizeof(e.buf) - 1);
	CHECK(!strncmp(e.buf, UNKNOWN("bogus"), sizeof(e.buf) - 1));
	CHECK(!memcmp(e.canary, "ZZZZZZZZZZZZZZZZ", sizeof(e.canary)));
	/* A long name fits in neither the name buffer nor the message. */
	memset(&e, 'Z', sizeof(e));
	CHECK_EQ(cpu_model_init(&model, "host,+aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", host,
				e.buf, sizeof(e.buf)), -1);
	CHECK_EQ(strlen(e.buf), sizeof(e.buf) - 1);
	CHECK(!memcmp(e.canary, "ZZZZZZZZZZZZZZZZ", sizeof(e.canary)));
	done();
}

#define BAD_EDIT(item)	"-cpu: '" item "': expected +feature, -feature " \
			"or feature=on|off"

TEST(bad_edit_syntax_fails)
{
	EXPECT_ERROR("host,xsave=maybe", BAD_EDIT("xsave=maybe"));
	EXPECT_ERROR("host,xsave=", BAD_EDIT("xsave="));
	EXPECT_ERROR("host,xsave=ON", BAD_EDIT("xsave=ON"));
	EXPECT_ERROR("host,xsave", BAD_EDIT("xsave"));
	EXPECT_ERROR("host,-xsave,xsave=1", BAD_EDIT("xsave=1"));
	done();
}

/* ---- per-vCPU CPUID ---- */

TEST(vcpu_gets_apic_id_and_count)
{
	struct kvm_cpuid2 *c;

	EXPECT_OK("host");
	c = cpuid_for_vcpu(&model, full_topology(2, 1, 4, 1), 5, 2500000);
	CHECK(c != NULL);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x05040800);
	CHECK_EQ(reg(c, 1, 0, 'c'), LEAF1_ECX | BIT(21) | BIT(31));
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX | BIT(28));
	CHECK_EQ(reg(c, 1, 0, 'a'), 0x000906ea);
	CHECK_EQ(reg(c, 0xb, 0, 'd'), 5);
	CHECK_EQ(reg(c, 0xb, 1, 'd'), 5);
	/* The rest of leaf 0xb is -smp's topology, not the host's. */
	CHECK_EQ(reg(c, 0xb, 1, 'a'), 2);
	CHECK_EQ(reg(c, 0xb, 1, 'b'), 4);
	CHECK_EQ(reg(c, 0xb, 1, 'c'), 0x201);
	/* The model itself is untouched, for the next vCPU. */
	check_unchanged();
	free(c);

	c = cpuid_for_vcpu(&model, full_topology(1, 1, 255, 1), 0xfe, 2500000);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0xfeff0800);
	CHECK_EQ(reg(c, 0xb, 0, 'd'), 0xfe);
	free(c);
	done();
}

TEST(single_vcpu_has_count_one_and_no_ht)
{
	struct kvm_cpuid2 *c;

	EXPECT_OK("host");
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 1, 1), 0, 1000000);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x00010800);
	CHECK_EQ(reg(c, 1, 0, 'd'), LEAF1_EDX);
	CHECK_EQ(reg(c, 0xb, 0, 'd'), 0);
	free(c);
	done();
}

TEST(hypervisor_bit_set)
{
	struct kvm_cpuid2 *c;

	CHECK_EQ(init("host", false), 0);
	CHECK_EQ(reg(model.cpuid, 1, 0, 'c'), LEAF1_ECX | BIT(31));
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 2, 1), 1, 1000000);
	CHECK_EQ(reg(c, 1, 0, 'c'), LEAF1_ECX | BIT(31));
	free(c);
	done();
}

TEST(minus_hypervisor_clears_it)
{
	struct kvm_cpuid2 *c;

	CHECK_EQ(init("host,-hypervisor", false), 0);
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 1, 1), 0, 1000000);
	CHECK_EQ(reg(c, 1, 0, 'c') & BIT(31), 0);
	free(c);
	done();
}

/* Leaf 0x40000000: KVM's signature, and leaves up to the timing leaf. */
static void check_hypervisor_leaf(const struct kvm_cpuid2 *c)
{
	char sig[13] = { 0 };
	uint32_t r[3] = { reg(c, 0x40000000, 0, 'b'),
			  reg(c, 0x40000000, 0, 'c'),
			  reg(c, 0x40000000, 0, 'd') };

	CHECK_EQ(reg(c, 0x40000000, 0, 'a'), 0x40000010);
	memcpy(sig, r, 12);
	CHECK(!memcmp(sig, "KVMKVMKVM\0\0\0", 12));
}

/* Leaf 0x40000010: the TSC and APIC bus frequencies, in kHz. */
static void check_timing_leaf(const struct kvm_cpuid2 *c, uint32_t tsc_khz)
{
	CHECK_EQ(reg(c, 0x40000010, 0, 'a'), tsc_khz);
	CHECK_EQ(reg(c, 0x40000010, 0, 'b'), 1000000);
}

TEST(hypervisor_leaves_point_at_timing_leaf)
{
	struct kvm_cpuid2 *c;

	EXPECT_OK("host");
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 1, 1), 0, 2894563);
	CHECK(c != NULL);
	check_hypervisor_leaf(c);
	CHECK_EQ(reg(c, 0x40000001, 0, 'a'), KVM_FEATURES);
	check_timing_leaf(c, 2894563);
	CHECK_EQ(c ? c->nent : 0, host->nent + 1);
	CHECK_EQ(count(c, 0x40000000), 1);
	CHECK_EQ(count(c, 0x40000010), 1);
	free(c);
	done();
}

TEST(hypervisor_leaves_added_when_host_has_none)
{
	struct kvm_cpuid2 *c;

	host = supported_table(true, false);
	CHECK_EQ(cpu_model_init(&model, "host", host, err, sizeof(err)), 0);
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 4, 1), 3, 1234567);
	CHECK_EQ(c ? c->nent : 0, host->nent + 2);
	check_hypervisor_leaf(c);
	check_timing_leaf(c, 1234567);
	CHECK_EQ(reg(c, 0x40000010, 0, 'c'), 0);
	CHECK_EQ(reg(c, 1, 0, 'b'), 0x03040800);
	free(c);
	done();
}

TEST(existing_timing_leaf_is_updated_not_duplicated)
{
	struct kvm_cpuid2 *c;

	host = supported_table(true, true);
	add(host, 0x40000010, -1, 1, 2, 3, 4);
	CHECK_EQ(cpu_model_init(&model, "host", host, err, sizeof(err)), 0);
	c = cpuid_for_vcpu(&model, full_topology(1, 1, 1, 1), 0, 3000000);
	CHECK_EQ(c ? c->nent : 0, host->nent);
	CHECK_EQ(count(c, 0x40000010), 1);
	check_timing_leaf(c, 3000000);
	free(c);
	done();
}

TEST(vcpu_cpuid_is_a_fresh_copy)
{
	struct kvm_cpuid2 *a, *b;

	EXPECT_OK("host");
	a = cpuid_for_vcpu(&model, full_topology(1, 1, 2, 1), 0, 1000000);
	b = cpuid_for_vcpu(&model, full_topology(1, 1, 2, 1), 1, 1000000);
	CHECK(a != b);
	CHECK_EQ(reg(a, 1, 0, 'b') >> 24, 0);
	CHECK_EQ(reg(b, 1, 0, 'b') >> 24, 1);
	CHECK_EQ(reg(a, 0xb, 0, 'd'), 0);
	CHECK_EQ(reg(b, 0xb, 0, 'd'), 1);
	free(a);
	free(b);
	done();
}

/* A table of @n entries with leaf 1 first and fillers after. */
static struct kvm_cpuid2 *full_table(uint32_t n)
{
	struct kvm_cpuid2 *c = table_new();

	add(c, 1, -1, 0x000906ea, LEAF1_EBX, LEAF1_ECX, LEAF1_EDX);
	while (c->nent < n)
		add(c, 0x80000100 + c->nent, -1, c->nent, 0, 0, 0);
	return c;
}

TEST(nearly_full_table_does_not_overflow)
{
	uint32_t n;

	for (n = MAX_ENTRIES - 3; n <= MAX_ENTRIES; n++) {
		struct kvm_cpuid2 *c;

		host = full_table(n);
		model.cpuid = NULL;
		CHECK_EQ(cpu_model_init(&model, "host,-xsave", host, err,
					sizeof(err)), 0);
		if (!model.cpuid) {
			done();
			continue;
		}
		CHECK_EQ(model.cpuid->nent, n);
		c = cpuid_for_vcpu(&model, full_topology(1, 1, 3, 1), 2, 1000000);
		CHECK(c != NULL);
		if (!c) {
			done();
			continue;
		}
		CHECK(c->nent <= MAX_ENTRIES);
		CHECK_EQ(c->nent, n + 2 < MAX_ENTRIES ? n + 2 : MAX_ENTRIES);
		CHECK_EQ(count(c, 0x40000000), 1);
		CHECK_EQ(count(c, 0x40000010), 1);
		CHECK_EQ(reg(c, 0x40000000, 0, 'a'), 0x40000010);
		CHECK_EQ(reg(c, 1, 0, 'b'), 0x02030800);
		CHECK_EQ(reg(c, 1, 0, 'c'), (LEAF1_ECX & ~BIT(26)) | BIT(31));
		free(c);
		done();
	}
}

int main(void)
{
	RUN(host_copies_supported_table);
	RUN(max_is_host);
	RUN(null_model_is_host);
	RUN(unknown_model_fails);

	RUN(minus_xsave_clears_bit_26_only);
	RUN(plus_supported_feature_is_kept);
	RUN(plus_unsupported_feature_warns_and_stays_clear);
	RUN(minus_feature_the_host_lacks_is_silent);
	RUN(off_spellings);
	RUN(last_edit_wins);
	RUN(several_edits_apply);
	RUN(subleaf_features_edit_their_subleaf);
	RUN(unknown_feature_lists_known_names);
	RUN(unknown_feature_message_is_truncated_safely);
	RUN(bad_edit_syntax_fails);

	RUN(vcpu_gets_apic_id_and_count);
	RUN(single_vcpu_has_count_one_and_no_ht);
	RUN(hypervisor_bit_set);
	RUN(minus_hypervisor_clears_it);
	RUN(hypervisor_leaves_point_at_timing_leaf);
	RUN(hypervisor_leaves_added_when_host_has_none);
	RUN(existing_timing_leaf_is_updated_not_duplicated);
	RUN(vcpu_cpuid_is_a_fresh_copy);
	RUN(nearly_full_table_does_not_overflow);

	return check_summary();
}
