# SPDX-License-Identifier: MIT
# kvmlite: `make` builds everything, `make run` boots the hello guest,
# `make test` runs the whole suite.

CC	?= gcc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -pthread -MMD -MP
LDFLAGS	+= -pthread
BUILD	:= build

SRCS	:= $(sort $(wildcard src/*/*.c))
MAIN	:= src/core/main.c
IMG_MAIN := src/img/main.c
LIBOBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(MAIN) $(IMG_MAIN),$(SRCS)))
UNITS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_*.c)))

all: kvmlite kvmlite-img units guests

kvmlite: $(BUILD)/src/core/main.o $(BUILD)/libkvmlite.a
	$(CC) $(LDFLAGS) -o $@ $^

kvmlite-img: $(BUILD)/src/img/main.o $(BUILD)/libkvmlite.a
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/libkvmlite.a: $(LIBOBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

units: $(UNITS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libkvmlite.a $(LDFLAGS)

include guests/guests.mk
include scripts/bench.mk
include scripts/fuzz.mk
include scripts/qcow2.mk

run: kvmlite guests
	./kvmlite -nographic -m 64M -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel $(GUEST_DIR)/hello -append "hello from make run"; \
		status=$$?; [ $$status -eq 1 ] || exit $$status

test: all
	@scripts/install-test-deps.sh
	@tests/run.sh

# Boots the Debian kernel (scripts/linux-guest.sh) and reports milestones.
test-linux: kvmlite
	@scripts/test-linux.sh

clean:
	rm -rf $(BUILD) kvmlite kvmlite-img

.PHONY: all units guests run test test-linux clean

# build/linux holds unpacked Debian packages (scripts/linux-guest.sh).
-include $(shell find $(BUILD) -path $(BUILD)/linux -prune -o \
	-name '*.d' -type f -print 2>/dev/null)
