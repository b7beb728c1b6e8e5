# SPDX-License-Identifier: MIT
# The fuzz targets, included by the top-level Makefile.
#
#   make fuzz			builds them with clang's libFuzzer and sanitizers
#   make fuzz-NAME-run		runs fuzz_NAME for FUZZ_SECONDS (default 60) on
#				build/fuzz/corpus-NAME, seeded from
#				tests/fuzz/corpus-NAME; crashes land in
#				build/fuzz/NAME-*
#   make fuzz-ci		runs every target for FUZZ_SECONDS on a fresh
#				copy of its seeds: a PASS/FAIL line each and
#				the executions in total
#
# Target NAME is tests/fuzz/fuzz_NAME.c (which may use tests/unit's fake
# PCI bus and virtio driver), linked against every kvmlite
# source built for fuzzing.  Its seeds are also replayed by `make units`
# as test_fuzz_NAME, built with gcc and the sanitizers.  A crash found is
# fixed, and its input added to the seeds.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_CFLAGS	:= -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
		   -Iinclude -pthread -fsanitize=address,undefined \
		   -fno-sanitize-recover=all
FUZZ_TARGETS	:= virtqueue virtio_blk inflate json e1000_tx e1000_rx \
		   qcow2 pci options

# kvmlite's sources twice more: instrumented for libFuzzer (clang), and
# sanitized for the replays (gcc; the SAN=1 library already is).
FUZZ_LIB	:= $(BUILD)/fuzz/libkvmlite.a
FUZZ_OBJS	:= $(patsubst $(BUILD)/%,$(BUILD)/fuzz/%,$(LIBOBJS))
ifeq ($(SAN),1)
REPLAY_LIB	:= $(BUILD)/libkvmlite.a
else
REPLAY_LIB	:= $(BUILD)/replay/libkvmlite.a
endif
REPLAY_OBJS	:= $(patsubst $(BUILD)/%,$(BUILD)/replay/%,$(LIBOBJS))

$(FUZZ_OBJS): $(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(REPLAY_OBJS): $(BUILD)/replay/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
$(BUILD)/replay/libkvmlite.a: $(REPLAY_OBJS)
$(FUZZ_LIB) $(BUILD)/replay/libkvmlite.a:
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) scripts/fuzz.mk
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/unit -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_LIB)

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
		$(REPLAY_LIB) scripts/fuzz.mk
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -Itests/unit \
		-DFUZZ_CORPUS='"tests/fuzz/corpus-$*"' \
		-DREPLAY_NAME='"fuzz_$*_replay"' -o $@ $< tests/fuzz/replay.c \
		$(REPLAY_LIB)

units: $(FUZZ_TARGETS:%=$(BUILD)/tests/test_fuzz_%)

fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

# -rss_limit_mb: an image's header must not make kvmlite allocate a lot.
FUZZ_RUN_FLAGS	:= -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024

$(FUZZ_TARGETS:%=fuzz-%-run): fuzz-%-run: $(BUILD)/fuzz/fuzz_%
	@mkdir -p $(BUILD)/fuzz/corpus-$*
	$< $(FUZZ_RUN_FLAGS) -artifact_prefix=$(BUILD)/fuzz/$*- \
		$(BUILD)/fuzz/corpus-$* tests/fuzz/corpus-$*

fuzz-ci: fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUN_FLAGS="$(FUZZ_RUN_FLAGS)" \
		scripts/fuzz-ci.sh $(BUILD)/fuzz $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-ci $(FUZZ_TARGETS:%=fuzz-%-run)
