# SPDX-License-Identifier: MIT
# Damages a 64 KiB-cluster qcow2 image made by qemu-img (refcount block
# at 0x20000, first L2 table at 0x40000) in one named way, for the check
# tests: damage.py IMAGE leak|refcount0|refcount2|past_eof|hostile-*
import sys,struct
f,kind=sys.argv[1],sys.argv[2]
d=open(f,'r+b')
if kind=='leak':
    d.seek(0,2); end=d.tell(); d.truncate(end+65536); n=end//65536
    d.seek(0x20000+2*n); d.write(struct.pack('>H',1))
elif kind=='refcount0':
    d.seek(0x20000+2*5); d.write(struct.pack('>H',0))
elif kind=='refcount2':
    d.seek(0x20000+2*5); d.write(struct.pack('>H',2))
elif kind=='past_eof':
    d.seek(0x40000+8*2); d.write(struct.pack('>Q',0x8000000010000000))
elif kind=='hostile-l1':
    d.seek(40); d.write(struct.pack('>Q',0x7000000000))
elif kind=='hostile-l1-size':
    d.seek(36); d.write(struct.pack('>I',0x7fffffff))
elif kind=='hostile-refcount-order':
    d.seek(96); d.write(struct.pack('>I',7))
elif kind=='hostile-cluster-bits':
    d.seek(20); d.write(struct.pack('>I',40))
elif kind=='hostile-l2':
    d.seek(0x30000); d.write(struct.pack('>Q',0x8000000000000200))
elif kind=='hostile-ext':
    d.seek(0x74); d.write(struct.pack('>I',0xfffffff0))
elif kind=='feature-extl2':
    d.seek(72); d.write(struct.pack('>Q',0x10))
elif kind=='feature-unknown':
    d.seek(72); d.write(struct.pack('>Q',0x20))
elif kind=='feature-zstd':
    d.seek(72); d.write(struct.pack('>Q',0x8)); d.seek(104); d.write(b'\x01')
elif kind=='feature-aes':
    d.seek(32); d.write(struct.pack('>I',1))
elif kind=='dirty':
    d.seek(72); d.write(struct.pack('>Q',0x1))
    d.seek(0x20000+2*5); d.write(struct.pack('>H',0))
