# SPDX-License-Identifier: MIT
# Benchmarks, included by the top-level Makefile.
#
#   make bench [QUICK=1]	every scenario, one report: bench/results.md,
#				bench/results.csv, bench/results.svg
#   make bench-NAME		one scenario, its own bench/NAME.md
#
# The scripts (scripts/bench/) build kvmlite, the guests and the tools
# below themselves, so that a kvmlite that fails to build is reported as
# failed, not hidden.

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

# DEFLATE: kvmlite's compressor and decompressor vs zlib on 64 KiB clusters.
$(BUILD)/deflate_bench: tests/bench/deflate_bench.c $(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Iinclude -o $@ $< $(BUILD)/libkvmlite.a -pthread

bench:
	QUICK=$(QUICK) scripts/bench/run.sh

# startup: hello from exec to first byte and to exit (and peak RSS);
# exits: PIO, MMIO and PIT round trips; smp: -smp 1/8/64 bring-up;
# blk: virtio-blk raw and qcow2; e1000: TAP throughput; sizes: binaries;
# monitor: QMP/HMP round trips under load; deflate: kvmlite vs zlib.
BENCH_SCENARIOS	:= startup exits smp blk e1000 convert sizes monitor deflate

$(BENCH_SCENARIOS:%=bench-%):
	QUICK=$(QUICK) scripts/bench/$(@:bench-%=%).sh

# The PIT read is one of the exit round trips.
bench-pit: bench-exits

.PHONY: bench $(BENCH_SCENARIOS:%=bench-%) bench-pit

# Notes a VMM's first KVM_RUN for the Linux boot benchmark (LD_PRELOAD).
$(BUILD)/first_kvm_run.so: tests/bench/first_kvm_run.c scripts/bench.mk
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -shared -fPIC -o $@ $< -ldl

# Linux boot time: kvmlite vs QEMU pc and microvm (slow: minutes a run,
# so not part of make bench).
bench-linux:
	scripts/bench/linux-boot.sh

.PHONY: bench-linux
