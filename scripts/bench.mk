# SPDX-License-Identifier: MIT
# Startup benchmark, included by the top-level Makefile.
#
#   make bench-startup		kvmlite vs QEMU microvm vs kvm_floor
#
# The script builds kvmlite, the guests and the two tools below itself, so
# that a kvmlite that fails to build is reported as failed, not hidden.

BENCH_CFLAGS	:= -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror

# The least code that boots a PVH guest through /dev/kvm.
$(BUILD)/kvm_floor: tests/bench/kvm_floor.c scripts/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

# Static, so that its own RSS adds as little as possible to the child's
# ru_maxrss (the mm it spawns from counts towards the child's peak).
$(BUILD)/timeit: tests/bench/timeit.c scripts/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -static -o $@ $<

bench-startup:
	scripts/bench-startup.sh

.PHONY: bench-startup

# PIT counter read cost: kvmlite vs QEMU's in-kernel PIT vs kvm_floor.
bench-pit:
	scripts/bench-pit.sh

.PHONY: bench-pit

# SMP start-up: -smp 1, 8, 32, 64 until every AP is up.
bench-smp:
	scripts/bench-smp.sh

.PHONY: bench-smp

# DEFLATE: kvmlite's compressor and decompressor vs zlib on 64 KiB clusters.
$(BUILD)/deflate_bench: tests/bench/deflate_bench.c $(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Iinclude -o $@ $< $(BUILD)/libkvmlite.a -pthread

bench-deflate:
	scripts/bench-deflate.sh

.PHONY: bench-deflate

# virtio-blk throughput: kvmlite vs QEMU vs the host on the same image.
bench-blk:
	scripts/bench-blk.sh

.PHONY: bench-blk

# Monitor round trips (query-status, info cpus) with every vCPU busy.
bench-monitor:
	scripts/bench-monitor.sh

.PHONY: bench-monitor

# e1000 over TAP: throughput and packets per exit, kvmlite vs QEMU.
bench-e1000:
	scripts/bench-e1000.sh

.PHONY: bench-e1000

# Notes a VMM's first KVM_RUN for the Linux boot benchmark (LD_PRELOAD).
$(BUILD)/first_kvm_run.so: tests/bench/first_kvm_run.c scripts/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -shared -fPIC -o $@ $< -ldl

# Linux boot time: kvmlite vs QEMU pc and microvm (slow: minutes a run).
bench-linux:
	scripts/bench/linux-boot.sh

.PHONY: bench-linux
