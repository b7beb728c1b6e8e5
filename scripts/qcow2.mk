# SPDX-License-Identifier: MIT
# qcow2 tests that need more than one source file, included by the
# top-level Makefile.
#
#   make crash-qcow2		the kill -9 crash tests, 50 rounds each: the
#				host-side writer, and kvmlite under the
#				blkflush guest

BLKRAND_SRCS	:= tests/qcow2/blkrand.c

$(BUILD)/tests/test_qcow2_io: tests/unit/test_qcow2_io.c $(BLKRAND_SRCS) \
			      $(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Itests/qcow2 -o $@ \
		$(filter %.c,$^) $(BUILD)/libkvmlite.a $(LDFLAGS)

crash-qcow2: all $(BUILD)/tests/test_qcow2_io
	QCOW2_CRASH_ROUNDS=50 $(BUILD)/tests/test_qcow2_io
	QCOW2_CRASH_ROUNDS=50 tests/guest/qcow2_crash.sh | \
		tee $(BUILD)/crash-qcow2.log
	! grep -q '^FAIL' $(BUILD)/crash-qcow2.log

.PHONY: crash-qcow2

$(BUILD)/tests/blkrand: tests/qcow2/blkrand_main.c $(BLKRAND_SRCS) \
			$(BUILD)/libkvmlite.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/qcow2 -o $@ $(filter %.c,$^) \
		$(BUILD)/libkvmlite.a $(LDFLAGS)

units: $(BUILD)/tests/blkrand
