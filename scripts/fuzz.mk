# SPDX-License-Identifier: MIT
# The virtqueue fuzz target, included by the top-level Makefile.
#
#   make fuzz			builds it with clang's libFuzzer and sanitizers
#   make fuzz-run		runs it for FUZZ_SECONDS (default 60)
#
# The corpus grows in build/fuzz/corpus, seeded from tests/fuzz/corpus;
# crashing inputs land in build/fuzz/.  The seeds are also replayed, built
# with gcc and the sanitizers, by `make units` as test_fuzz_corpus.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_SRCS	:= tests/fuzz/fuzz_virtqueue.c src/virtio/virtqueue.c \
		   src/core/memory.c
FUZZ_CFLAGS	:= -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		   -Iinclude -fsanitize=address,undefined \
		   -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_virtqueue: $(FUZZ_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(FUZZ_SRCS)

REPLAY_SRCS	:= $(FUZZ_SRCS) tests/fuzz/replay.c

$(BUILD)/tests/test_fuzz_corpus: $(REPLAY_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -o $@ $(REPLAY_SRCS)

units: $(BUILD)/tests/test_fuzz_corpus

fuzz: $(BUILD)/fuzz/fuzz_virtqueue

fuzz-run: fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_virtqueue -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus \
		tests/fuzz/corpus

.PHONY: fuzz fuzz-run
