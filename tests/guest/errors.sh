#!/usr/bin/env bash
# Every failure a user can cause is one line on stderr naming the input
# and what was expected, and exit status 1.
. "$(dirname "$0")/lib.bash"

HELLO=$GUESTS/hello
printf 'not a kernel\n' >"$TMP/text"
: >"$TMP/empty"

check_error unknown_option '^kvmlite: -bogus: invalid option$' -- -bogus
check_error missing_argument '^kvmlite: -m: requires an argument$' -- -m
check_error bad_memory_size "^kvmlite: -m foo: Parameter 'size' expects" \
	-- -m foo -kernel $HELLO
check_error too_little_memory 'kvmlite needs at least 2 MiB' \
	-- -m 1M -kernel $HELLO
check_error no_kernel 'no guest kernel: give one with -kernel' --
check_error missing_kernel \
	"^kvmlite: could not open kernel file '/nonexistent': No such file" \
	-- -kernel /nonexistent
check_error kernel_is_directory "kernel file '$TMP': not a regular file" \
	-- -kernel "$TMP"
check_error kernel_not_bootable \
	"$TMP/text: not a kernel kvmlite can boot \\(supported: Linux bzImage, ELF with a PVH note, Multiboot, x86-64 ELF\\)" \
	-- -kernel "$TMP/text"
check_error kernel_empty "$TMP/empty: not a kernel kvmlite can boot" \
	-- -kernel "$TMP/empty"
check_error missing_initrd "could not open initrd file '/nonexistent'" \
	-- -kernel $HELLO -initrd /nonexistent
check_error initrd_without_kernel \
	'^kvmlite: -initrd only allowed with -kernel option$' -- -initrd x
check_error bad_serial "^kvmlite: -serial foo: 'foo' is not a valid char driver" \
	-- -kernel $HELLO -serial foo
check_error serial_file_missing_dir "/nonexistent/dir/x" \
	-- -kernel $HELLO -serial file:/nonexistent/dir/x
check_error bad_cpu_model "unable to find CPU model 'foo'" \
	-- -kernel $HELLO -cpu foo
check_error unknown_cpu_feature \
	"unknown feature 'bogus'; known features: .*x2apic.*xsave" \
	-- -kernel $HELLO -cpu host,+bogus
check_error bad_smp 'Invalid CPU topology: product of the hierarchy' \
	-- -kernel $HELLO -smp 4,sockets=3
check_error unknown_device "'foo' is not a valid device model name" \
	-- -kernel $HELLO -device foo
check_error cmdline_too_long 'the command line is 9000 bytes' \
	-- -kernel $HELLO -append "$(head -c 9000 /dev/zero | tr '\0' x)"

# Without /dev/kvm, or without permission, the message says what to check.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	cat >"$TMP/no-dev-kvm" <<WRAP
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /dev && exec "\$0" "\$@"' \
	$(realpath "$KVMLITE") "\$@"
WRAP
	# The user "nobody" must reach the binary and kernel, wherever the
	# checkout lives.
	chmod 755 "$TMP"
	cp "$KVMLITE" $HELLO "$TMP/"
	cat >"$TMP/unprivileged" <<WRAP
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups $TMP/kvmlite "\$@"
WRAP
	chmod +x "$TMP/no-dev-kvm" "$TMP/unprivileged"
	KVMLITE=$TMP/no-dev-kvm check_error no_dev_kvm \
		'could not open /dev/kvm: No such file or directory \(is the kvm module loaded' \
		-- -kernel $PWD/$HELLO
	KVMLITE=$TMP/unprivileged check_error dev_kvm_permission \
		'could not open /dev/kvm: Permission denied \(is this user in the group that owns /dev/kvm\?\)' \
		-- -kernel $TMP/hello
fi

# Pinning must name one allowed host CPU per vCPU.
check_error pin_vcpus_too_few '^kvmlite: -pin-vcpus: 1 host CPUs listed for 2 vCPUs; give one per vCPU$' \
	-- -smp 2 -pin-vcpus 0 -kernel $HELLO
check_error pin_vcpus_not_allowed 'host CPU 1000 is not one this process may run on \(allowed: ' \
	-- -pin-vcpus 1000 -kernel $HELLO
check_error pin_vcpus_malformed '^kvmlite: -pin-vcpus 2-: expected a host CPU list' \
	-- -pin-vcpus 2- -kernel $HELLO
check_error pin_io_not_allowed '^kvmlite: -pin-io: host CPU 1000 is not one' \
	-- -pin-io 1000 -kernel $HELLO
