# SPDX-License-Identifier: MIT
# The fuzz targets, included by the top-level Makefile.
#
#   make fuzz			builds them with clang's libFuzzer and sanitizers
#   make fuzz-run		runs the virtqueue's for FUZZ_SECONDS (default 60)
#   make fuzz-inflate-run	runs the DEFLATE decoder's and encoder's
#   make fuzz-json-run		runs the QMP JSON parser's
#   make fuzz-e1000-run		runs the e1000 transmit path's
#
# A corpus grows in build/fuzz/corpus (build/fuzz/corpus-inflate,
# build/fuzz/corpus-json), seeded from tests/fuzz/corpus
# (tests/fuzz/corpus-inflate, tests/fuzz/corpus-json); crashing inputs
# land in build/fuzz/.  The seeds are also replayed, built with gcc and the
# sanitizers, by `make units` as test_fuzz_corpus (test_fuzz_inflate,
# test_fuzz_json).

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

INFLATE_SRCS	:= tests/fuzz/fuzz_inflate.c src/block/inflate.c \
		   src/block/deflate.c src/block/deflate_common.c

$(BUILD)/fuzz/fuzz_inflate: $(INFLATE_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -fsanitize=fuzzer -o $@ \
		$(INFLATE_SRCS)

$(BUILD)/tests/test_fuzz_inflate: $(INFLATE_SRCS) tests/fuzz/replay.c \
		scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -pthread \
		-DFUZZ_CORPUS='"tests/fuzz/corpus-inflate"' \
		-DREPLAY_NAME='"fuzz_inflate_replay"' -o $@ \
		$(INFLATE_SRCS) tests/fuzz/replay.c

JSON_FUZZ_SRCS	:= tests/fuzz/fuzz_json.c src/monitor/json.c

$(BUILD)/fuzz/fuzz_json: $(JSON_FUZZ_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(JSON_FUZZ_SRCS)

$(BUILD)/tests/test_fuzz_json: $(JSON_FUZZ_SRCS) tests/fuzz/replay.c \
		scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_CORPUS='"tests/fuzz/corpus-json"' \
		-DREPLAY_NAME='"fuzz_json_replay"' -o $@ \
		$(JSON_FUZZ_SRCS) tests/fuzz/replay.c


# The e1000 transmit path, with the device and what it needs of the PCI
# core; its corpus is tests/fuzz/corpus-e1000-tx.
E1000_FUZZ_SRCS	:= tests/fuzz/fuzz_e1000_tx.c src/devices/e1000.c \
		   src/devices/e1000_tx.c src/devices/e1000_rx.c \
		   src/pci/pci.c src/pci/msix.c src/pci/host.c src/bus/bus.c \
		   src/core/mptable.c src/core/timer.c src/core/ioloop.c \
		   src/core/sandbox.c src/core/log.c src/core/memory.c src/net/checksum.c
E1000_CORPUS	:= tests/fuzz/corpus-e1000-tx

$(BUILD)/fuzz/fuzz_e1000_tx: $(E1000_FUZZ_SRCS) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread -fsanitize=fuzzer -o $@ \
		$(E1000_FUZZ_SRCS)

$(BUILD)/tests/test_fuzz_e1000_tx: $(E1000_FUZZ_SRCS) tests/fuzz/replay.c \
		scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -pthread -DFUZZ_CORPUS='"$(E1000_CORPUS)"' \
		-DREPLAY_NAME='"fuzz_e1000_tx_replay"' -o $@ \
		$(E1000_FUZZ_SRCS) tests/fuzz/replay.c


units: $(BUILD)/tests/test_fuzz_corpus $(BUILD)/tests/test_fuzz_inflate \
	$(BUILD)/tests/test_fuzz_json $(BUILD)/tests/test_fuzz_e1000_tx

fuzz: $(BUILD)/fuzz/fuzz_virtqueue $(BUILD)/fuzz/fuzz_inflate \
	$(BUILD)/fuzz/fuzz_json $(BUILD)/fuzz/fuzz_e1000_tx

fuzz-run: fuzz
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_virtqueue -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus \
		tests/fuzz/corpus

fuzz-inflate-run: $(BUILD)/fuzz/fuzz_inflate
	@mkdir -p $(BUILD)/fuzz/corpus-inflate
	$(BUILD)/fuzz/fuzz_inflate -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-inflate \
		tests/fuzz/corpus-inflate

fuzz-json-run: $(BUILD)/fuzz/fuzz_json
	@mkdir -p $(BUILD)/fuzz/corpus-json
	$(BUILD)/fuzz/fuzz_json -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-json \
		tests/fuzz/corpus-json


fuzz-e1000-run: $(BUILD)/fuzz/fuzz_e1000_tx
	@mkdir -p $(BUILD)/fuzz/corpus-e1000-tx
	$(BUILD)/fuzz/fuzz_e1000_tx -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-e1000-tx \
		$(E1000_CORPUS)


.PHONY: fuzz fuzz-run fuzz-inflate-run fuzz-json-run fuzz-e1000-run
