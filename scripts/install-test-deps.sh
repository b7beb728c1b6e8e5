#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, when run as root and
# they are missing; otherwise names what is missing.  The suite skips the
# checks that need a missing tool rather than failing them.
set -u
needed=()
command -v qemu-system-x86_64 >/dev/null || needed+=(qemu-system-x86)
command -v qemu-img >/dev/null || needed+=(qemu-utils)
command -v python3 >/dev/null || needed+=(python3)
command -v ps >/dev/null || needed+=(procps)
# make fuzz: clang and its libFuzzer and sanitizer runtimes.
command -v clang >/dev/null || needed+=(clang)
[ -e "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] ||
	needed+=(libclang-rt-dev)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "test dependencies missing (install as root): ${needed[*]}" >&2
	exit 0
fi
echo "installing test dependencies: ${needed[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q "${needed[@]}" >/dev/null ||
	echo "could not install: ${needed[*]}" >&2
exit 0
