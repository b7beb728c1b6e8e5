#!/usr/bin/env bash
# Boots the tiny guests through each boot protocol and checks their
# verdicts, then the same guests under QEMU's microvm as an oracle.
. "$(dirname "$0")/lib.bash"

check hello_pvh 1 '^kvmlite hello guest$' '^cmdline: hello world$' \
	'^boot: pvh$' '^mem: 0x0000000000100000-0x0000000003ffffff type 1$' \
	'^hello: done$' \
	-- -m 64M $DEBUG_EXIT -kernel $GUESTS/hello -append "hello world"
check hello_elf64 1 '^cmdline: long mode$' '^boot: elf64$' '^hello: done$' \
	-- -m 64M $DEBUG_EXIT -kernel $GUESTS/hello64 -append "long mode"
check hello_multiboot 1 "^cmdline: $GUESTS/hello-mb mb args\$" \
	'^boot: multiboot$' '^hello: done$' \
	-- -m 64M $DEBUG_EXIT -kernel $GUESTS/hello-mb -append "mb args"
check hello_no_append 1 '^cmdline: $' -- $DEBUG_EXIT -kernel $GUESTS/hello

check exitcode_0 1 '^exitcode: 0$' \
	-- $DEBUG_EXIT -kernel $GUESTS/exitcode -append code=0
check exitcode_5 11 '^exitcode: 5$' \
	-- $DEBUG_EXIT -kernel $GUESTS/exitcode -append code=5
check exitcode_127 255 '^exitcode: 127$' \
	-- $DEBUG_EXIT -kernel $GUESTS/exitcode -append code=0x7f
check exitcode_iobase_0x501 7 '^exitcode: 3$' \
	-- -device isa-debug-exit -kernel $GUESTS/exitcode \
	-append "code=3 port=0x501"

check memsize_64M 1 '^memsize: total 63 MiB$' \
	-- -m 64M $DEBUG_EXIT -kernel $GUESTS/memsize
check memsize_512M 1 '^memsize: total 511 MiB$' \
	-- -m 512M $DEBUG_EXIT -kernel $GUESTS/memsize
check memsize_4G_split_around_hole 1 \
	'range 0x0000000000100000-0x00000000bfffffff ok' \
	'range 0x0000000100000000-0x000000013fffffff ok' \
	'^memsize: total 4095 MiB$' \
	-- -m 4G $DEBUG_EXIT -kernel $GUESTS/memsize
check memsize_16G 1 'range 0x0000000100000000-0x000000043fffffff ok' \
	'^memsize: total 16383 MiB$' \
	-- -m 16G $DEBUG_EXIT -kernel $GUESTS/memsize

# QEMU boots these through their multiboot header (it tries that first).
check_qemu qemu_hello 1 "^cmdline: $GUESTS/hello hello world\$" \
	'^hello: done$' \
	-- $QEMU_ARGS -m 64M -kernel $GUESTS/hello -append "hello world"
check_qemu qemu_exitcode_5 11 '^exitcode: 5$' \
	-- $QEMU_ARGS -kernel $GUESTS/exitcode -append code=5
check_qemu qemu_memsize_512M 1 '^memsize: total 511 MiB$' \
	-- $QEMU_ARGS -m 512M -kernel $GUESTS/memsize
check_qemu qemu_memsize_4G 1 'range 0x0000000100000000-0x000000013fffffff ok' \
	-- $QEMU_ARGS -m 4G -kernel $GUESTS/memsize
check_qemu qemu_hello_multiboot_only 1 '^boot: multiboot$' '^hello: done$' \
	-- $QEMU_ARGS -kernel $GUESTS/hello-mb
check_qemu qemu_exitcode_iobase_0x501 7 '^exitcode: 3$' \
	-- $QEMU_ARGS -device isa-debug-exit -kernel $GUESTS/exitcode \
	-append "code=3 port=0x501"
