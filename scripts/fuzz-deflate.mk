# SPDX-License-Identifier: MIT
# The DEFLATE fuzz target, included by the top-level Makefile.
#
#   make fuzz			builds it (with any other fuzz targets)
#   make fuzz-inflate-run	runs it for FUZZ_SECONDS (default 60)
#
# Built with clang's libFuzzer and sanitizers.  The corpus grows in
# build/fuzz/corpus-inflate, seeded from tests/fuzz/corpus-inflate;
# crashing inputs land in build/fuzz/.

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
INFLATE_FUZZ_SRCS := tests/fuzz/fuzz_inflate.c src/block/inflate.c \
		   src/block/deflate.c src/block/deflate_common.c
INFLATE_FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
		   -Werror -Iinclude -pthread -fsanitize=address,undefined \
		   -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_inflate: $(INFLATE_FUZZ_SRCS) scripts/fuzz-deflate.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(INFLATE_FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
		$(INFLATE_FUZZ_SRCS)

fuzz: $(BUILD)/fuzz/fuzz_inflate

fuzz-inflate-run: $(BUILD)/fuzz/fuzz_inflate
	@mkdir -p $(BUILD)/fuzz/corpus-inflate
	$(BUILD)/fuzz/fuzz_inflate -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-inflate \
		tests/fuzz/corpus-inflate

.PHONY: fuzz fuzz-inflate-run
