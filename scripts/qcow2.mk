# SPDX-License-Identifier: MIT
# qcow2 tests that need more than one source file, included by the
# top-level Makefile.
#
#   make crash-qcow2		the kill -9 crash test, 50 rounds

BLKRAND_SRCS	:= tests/qcow2/blkrand.c

$(BUILD)/tests/test_qcow2_io: tests/unit/test_qcow2_io.c $(BLKRAND_SRCS) \
			      $(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Itests/qcow2 -o $@ \
		$(filter %.c,$^) $(BUILD)/libkvmlite.a $(LDFLAGS)

crash-qcow2: $(BUILD)/tests/test_qcow2_io
	QCOW2_CRASH_ROUNDS=50 $(BUILD)/tests/test_qcow2_io

.PHONY: crash-qcow2

$(BUILD)/tests/blkrand: tests/qcow2/blkrand_main.c $(BLKRAND_SRCS) \
			$(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/qcow2 -o $@ $(filter %.c,$^) \
		$(BUILD)/libkvmlite.a $(LDFLAGS)

units: $(BUILD)/tests/blkrand

# The qcow2 fuzz target, built and run like the virtqueue's (fuzz.mk):
#   make fuzz-qcow2		builds it with clang's libFuzzer
#   make fuzz-qcow2-run	runs it for FUZZ_SECONDS
# Its seeds (tests/fuzz/qcow2_corpus) are replayed by make units.

QFUZZ_SRCS	:= tests/fuzz/fuzz_qcow2.c src/block/image.c \
		   src/block/backing_policy.c \
		   $(wildcard src/block/qcow2_*.c) src/block/inflate.c \
		   src/block/deflate.c src/block/deflate_common.c \
		   src/core/iov.c

$(BUILD)/fuzz/fuzz_qcow2: $(QFUZZ_SRCS) scripts/qcow2.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -fsanitize=fuzzer -o $@ $(QFUZZ_SRCS)

$(BUILD)/tests/test_fuzz_qcow2_corpus: $(QFUZZ_SRCS) tests/fuzz/replay.c \
				       scripts/qcow2.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -pthread \
		-DFUZZ_CORPUS='"tests/fuzz/qcow2_corpus"' \
		-DREPLAY_NAME='"fuzz_qcow2_replay"' -o $@ \
		$(QFUZZ_SRCS) tests/fuzz/replay.c

units: $(BUILD)/tests/test_fuzz_qcow2_corpus

fuzz-qcow2: $(BUILD)/fuzz/fuzz_qcow2

fuzz-qcow2-run: fuzz-qcow2
	@mkdir -p $(BUILD)/fuzz/qcow2_corpus
	$(BUILD)/fuzz/fuzz_qcow2 -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
		-artifact_prefix=$(BUILD)/fuzz/qcow2- \
		$(BUILD)/fuzz/qcow2_corpus tests/fuzz/qcow2_corpus

.PHONY: fuzz-qcow2 fuzz-qcow2-run
