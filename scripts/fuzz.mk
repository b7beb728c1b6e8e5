# SPDX-License-Identifier: MIT
# The virtqueue fuzz target, included by the top-level Makefile.
#
#   make fuzz			builds it with clang's libFuzzer and sanitizers
#   make fuzz-run		runs it for FUZZ_SECONDS (default 60)
#   make fuzz-e1000-run		the same for the e1000 transmit path
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

# The e1000 transmit path, with the device and what it needs of the PCI
# core; its corpus is tests/fuzz/corpus-e1000-tx.
E1000_FUZZ_SRCS	:= tests/fuzz/fuzz_e1000_tx.c src/devices/e1000.c \
		   src/devices/e1000_tx.c src/devices/e1000_rx.c \
		   src/pci/pci.c src/pci/msix.c src/pci/host.c src/bus/bus.c \
		   src/core/mptable.c src/core/timer.c src/core/ioloop.c \
		   src/core/log.c src/core/memory.c src/net/checksum.c
E1000_CORPUS	:= tests/fuzz/corpus-e1000-tx

$(BUILD)/fuzz/fuzz_e1000_tx: $(E1000_FUZZ_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -fsanitize=fuzzer -o $@ \
		$(E1000_FUZZ_SRCS)

$(BUILD)/tests/test_fuzz_e1000_tx: $(E1000_FUZZ_SRCS) tests/fuzz/replay.c \
		scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -pthread -DCORPUS_DIR='"$(E1000_CORPUS)"' \
		-DREPLAY_NAME='"fuzz_e1000_tx_replay"' -o $@ \
		$(E1000_FUZZ_SRCS) tests/fuzz/replay.c

units: $(BUILD)/tests/test_fuzz_e1000_tx

fuzz: $(BUILD)/fuzz/fuzz_virtqueue $(BUILD)/fuzz/fuzz_e1000_tx

fuzz-run: fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_virtqueue -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus \
		tests/fuzz/corpus

fuzz-e1000-run: $(BUILD)/fuzz/fuzz_e1000_tx
	@mkdir -p $(BUILD)/fuzz/corpus-e1000-tx
	$(BUILD)/fuzz/fuzz_e1000_tx -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-e1000-tx \
		$(E1000_CORPUS)

.PHONY: fuzz fuzz-run fuzz-e1000-run
