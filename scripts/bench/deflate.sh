#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# DEFLATE benchmark: kvmlite's compressor and decompressor against zlib
# (through python3) on the same 64 KiB clusters of a disk-image-like
# corpus (C headers, then shared libraries), zlib set up as QEMU's qcow2
# driver sets it up (level 6, 4 KiB window).  Speeds are per second of
# process CPU time, which a busy machine disturbs less than wall time;
# inflate speeds are the best of 5 rounds, compression runs once.
#
# Usage: scripts/bench/deflate.sh   env CORPUS (default: made from
#        /usr/include and /usr/lib), CLUSTER (default 65536).
set -u
cd "$(dirname "$0")/../.."

CLUSTER=${CLUSTER:-65536}
DIR=build/bench-deflate
CORPUS=${CORPUS:-$DIR/corpus}
make -s build/libkvmlite.a build/deflate_bench >&2 || exit 1
mkdir -p "$DIR"
if [ ! -s "$CORPUS" ]; then
	{ tar cf - /usr/include 2>/dev/null | head -c 16M
	  tar cf - /usr/lib/x86_64-linux-gnu 2>/dev/null | head -c 48M
	} >"$CORPUS"
fi

python3 - "$CORPUS" "$DIR/zlib-clusters" "$CLUSTER" <<'PY'
import struct, sys, time, zlib
data = open(sys.argv[1], 'rb').read()
size = int(sys.argv[3])
clusters = [data[i:i + size] for i in range(0, len(data), size)]
records, total = [], 0
t = time.process_time()
for c in clusters:
    z = zlib.compressobj(6, zlib.DEFLATED, -12, 9)
    records.append(z.compress(c) + z.flush())
t = time.process_time() - t
print('%-28s %8.1f MB/s' % ('zlib deflate', len(data) / t / 1e6))
total = sum(min(len(r), len(c)) for r, c in zip(records, clusters))
print('%-28s %8d bytes (%.1f%%)' % ('zlib compressed size', total,
                                     100.0 * total / len(data)))
best = None
for _ in range(5):
    t = time.process_time()
    for r, c in zip(records, clusters):
        if len(r) < len(c):
            zlib.decompressobj(-12).decompress(r, len(c))
    t = time.process_time() - t
    best = t if best is None else min(best, t)
t = best
done = sum(len(c) for r, c in zip(records, clusters) if len(r) < len(c))
print('%-28s %8.1f MB/s' % ('zlib inflate', done / t / 1e6))
with open(sys.argv[2], 'wb') as f:
    for r, c in zip(records, clusters):
        r = r if len(r) < len(c) else b''
        f.write(struct.pack('<I', len(r)) + r)
PY
build/deflate_bench "$CORPUS" "$DIR/zlib-clusters" "$CLUSTER"
