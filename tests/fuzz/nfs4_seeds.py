#!/usr/bin/env python3
"""Writes seed COMPOUND4args for nfs4_fuzz into the directory given (NFSv4.0
compounds: no session needed). Encoded from RFC 7530 section 16's XDR."""
import os
import struct
import sys

def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def opaque(b): return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)
def bitmap(*bits):
    words = [0, 0]
    for b in bits: words[b // 32] |= 1 << (b % 32)
    return u32(2) + u32(words[0]) + u32(words[1])
def compound(*ops, minor=0): return opaque(b"") + u32(minor) + u32(len(ops)) + b"".join(ops)

PUTROOTFH = u32(24)
def LOOKUP(n): return u32(15) + opaque(n)
def GETATTR(*bits): return u32(9) + bitmap(*bits)
GETFH = u32(10)
SAVEFH = u32(32)
RESTOREFH = u32(31)
def READDIR(): return u32(26) + u64(0) + b"\0" * 8 + u32(4096) + u32(8192) + bitmap(1, 3, 4, 20, 33, 36)
def CREATE_DIR(n): return u32(6) + u32(2) + opaque(n) + bitmap(33) + opaque(u32(0o755))
def OPEN(n, create): 
    how = u32(1) + u32(0) + bitmap(33) + opaque(u32(0o644)) if create else u32(0)
    return (u32(18) + u32(1) + u32(3) + u32(0) + u64(1) + opaque(b"owner") + how +
            u32(0) + opaque(n))
def READ(): return u32(25) + u32(0) + b"\0" * 12 + u64(0) + u32(100)
def WRITE(): return u32(38) + u32(0) + b"\0" * 12 + u64(0) + u32(2) + opaque(b"data")
def REMOVE(n): return u32(28) + opaque(n)
def RENAME(a, b): return u32(29) + opaque(a) + opaque(b)
def SETATTR(): return u32(34) + u32(0) + b"\0" * 12 + bitmap(4, 33) + opaque(u64(3) + u32(0o600))
READLINK = u32(27)
def ACCESS(): return u32(3) + u32(0x3f)
def SETCLIENTID(): return (u32(35) + b"v" * 8 + opaque(b"client") + u32(0x40000000) +
                           opaque(b"tcp") + opaque(b"127.0.0.1.8.1") + u32(1))

seeds = {
    "getattr": compound(PUTROOTFH, GETATTR(0, 1, 3, 4, 8, 20, 33, 35, 36, 37, 47, 53)),
    "lookup": compound(PUTROOTFH, LOOKUP(b"d"), LOOKUP(b"f"), GETFH, GETATTR(1, 4)),
    "readdir": compound(PUTROOTFH, READDIR()),
    "mkdir": compound(PUTROOTFH, CREATE_DIR(b"new"), GETFH),
    "open": compound(PUTROOTFH, LOOKUP(b"d"), OPEN(b"f", False), READ(), WRITE()),
    "create": compound(PUTROOTFH, OPEN(b"n", True), GETFH),
    "rename": compound(PUTROOTFH, LOOKUP(b"d"), SAVEFH, RENAME(b"f", b"g"), RESTOREFH, REMOVE(b"g")),
    "setattr": compound(PUTROOTFH, LOOKUP(b"d"), LOOKUP(b"f"), SETATTR(), ACCESS()),
    "readlink": compound(PUTROOTFH, LOOKUP(b"l"), READLINK),
    "setclientid": compound(SETCLIENTID()),
    "v41": compound(PUTROOTFH, GETATTR(0), minor=1),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
