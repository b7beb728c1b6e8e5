# SPDX-License-Identifier: MIT
# kvmlite: `make` builds everything, `make run` boots the hello guest,
# `make test` runs the whole suite; `make test SAN=1` runs it against
# kvmlite, kvmlite-img and tests built with ASan and UBSan.

CC	?= gcc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -pthread -MMD -MP
LDFLAGS	+= -pthread
BUILD	:= build

# Sanitized objects get a tree of their own, never mixed with the others.
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
CFLAGS	+= $(SAN_FLAGS)
LDFLAGS	+= $(SAN_FLAGS)
BUILD	:= build/san
BINDIR	:= $(BUILD)/
endif
KVMLITE_BIN	:= $(BINDIR)kvmlite
KVMLITE_IMG_BIN	:= $(BINDIR)kvmlite-img

SRCS	:= $(sort $(wildcard src/*/*.c))
MAIN	:= src/core/main.c
IMG_MAIN := src/img/main.c
LIBOBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(MAIN) $(IMG_MAIN),$(SRCS)))
UNITS	:= $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_*.c)))

all: $(KVMLITE_BIN) $(KVMLITE_IMG_BIN) units guests

$(KVMLITE_BIN): $(BUILD)/src/core/main.o $(BUILD)/libkvmlite.a
	$(CC) $(LDFLAGS) -o $@ $^

$(KVMLITE_IMG_BIN): $(BUILD)/src/img/main.o $(BUILD)/libkvmlite.a
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

run: $(KVMLITE_BIN) guests
	./$(KVMLITE_BIN) -nographic -m 64M -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel $(GUEST_DIR)/hello -append "hello from make run"; \
		status=$$?; [ $$status -eq 1 ] || exit $$status

test: all
	@scripts/install-test-deps.sh
	@BUILD=$(BUILD) KVMLITE=./$(KVMLITE_BIN) \
		KVMLITE_IMG=./$(KVMLITE_IMG_BIN) tests/run.sh

# Boots the Debian kernel (scripts/linux-guest.sh) and reports milestones.
test-linux: $(KVMLITE_BIN) $(KVMLITE_IMG_BIN)
	@scripts/test-linux.sh

clean:
	rm -rf $(BUILD) $(KVMLITE_BIN) $(KVMLITE_IMG_BIN)

.PHONY: all units guests run test test-linux clean

# build/linux holds unpacked Debian packages (scripts/linux-guest.sh).
# build/san is the sanitized tree (SAN=1), with dependencies of its own.
-include $(shell find $(BUILD) -mindepth 1 \( -path build/linux -o \
	-path build/san \) -prune -o -name '*.d' -type f -print 2>/dev/null)
