#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py - (re)writes the generated seeds in tests/fuzz/corpus/.

Each seed is a small meaningful input in its target's encoding (see the
opening comment of tests/fuzz/fuzz_NAME.c).  The config seeds are the
project's own configurations; crash inputs kept as regression tests are
named regress-* and are not written here.  Run from the repository root:
    python3 tests/fuzz/mkseeds.py
"""
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    if target == "engine":  # the same seeds for the engine over colliding hashes
        put("engine_collide", name, data)
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- config: the shipped configuration and the system tests' ----
def config():
    put("config", "default.cfg", open("config/dedupvisor.cfg").read())
    cases = "tests/system/cases"
    for case in sorted(os.listdir(cases)):
        p = os.path.join(cases, case, "dedupvisor.cfg")
        if os.path.exists(p):
            put("config", case + ".cfg", open(p).read())
    put("config", "keys.cfg",
        "cpus=4\ndedup.run =0\ndedup.pages_to_scan= 0x100\ndedup.sleep_ms = 0\n"
        "dedup.summary_scans = 1000000\ndedup.scanner =1\ndedup.scan_target_s= 86400\n"
        "vm a-1 ram=0x100000 image=a.bin vcpus=64 entry=0xFFFFF domain=65535\n"
        "vm B_2 ram=1g image=b.c.bin seed=0xffffffff rounds=1 inter=1 dup=2 zero=3 unique=4 ws=5 corrupt=6\r\n"
        "vm c ram=4096K image=c\tentry=0 limit=8k\nvm d ram=2M limit=0x200000 image=d\n")


# ---- elf: ELF64 x86-64 executables, accepted and refused ----
KVMA = 0xFFFFFFFF80000000


def elf(entry, segs, phnum=None, etype=2, machine=62, tail=b""):
    phoff = 64
    n = len(segs) if phnum is None else phnum
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    hdr += struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, 64, 56, n, 64, 0, 0)
    ph = b""
    for (ptype, off, vaddr, filesz, memsz) in segs:
        ph += struct.pack("<IIQQQQQQ", ptype, 5, off, vaddr, vaddr, filesz, memsz, 0x1000)
    body = hdr + ph
    body += bytes((i * 7) & 0xFF for i in range(256)) + tail
    return body


def elf_seeds():
    put("elf", "one-segment", elf(KVMA + 0x40, [(1, 0, KVMA, 0x100, 0x3000)]))
    put("elf", "two-segments", elf(KVMA + 0x100010, [(1, 0, KVMA, 0x80, 0x1000),
                                                   (1, 0x80, KVMA + 0x100000, 0x80, 0x800),
                                                   (4, 0, 0, 0, 0)]))
    put("elf", "low-window", elf(0x100040, [(1, 0, 0x100000, 0x100, 0x100)]))
    put("elf", "overlap", elf(KVMA, [(1, 0, KVMA, 0x10, 0x2000), (1, 0, KVMA + 0x1000, 0x10, 0x10)]))
    put("elf", "truncated", elf(KVMA, [(1, 0, KVMA, 0x10000, 0x10000)])[:100])
    put("elf", "wrong-arch", elf(KVMA, [(1, 0, KVMA, 0x10, 0x10)], machine=3))
    put("elf", "top-of-memory", elf(0xFFFFFFFFFFFFF000, [(1, 0, 0xFFFFFFFFFFFFF000, 0x10, 0x1000)]))


# ---- boot_info: compact encoding of fuzz_boot_info.c ----
def boot_info(mode, files, regions, heap=16, kphys=0x200000, ksize=0, raw_count=0, ops=b""):
    b = struct.pack("<BBBHQQH", mode, files, len(regions), heap, kphys, ksize, raw_count)
    for (gap, pages, typ) in regions:
        b += struct.pack("<QQB", gap, pages, typ)
    return b + ops


def boot_seeds():
    pc = [(0, 256, 4), (0, 0x8000, 1), (0x1000000, 16, 3), (0, 0x800, 1)]
    allocs = bytes([0, 1, 4, 5, 8, 0, 2, 0, 0, 2, 3, 0]) + struct.pack("<Q", 0x123456789000) + bytes([0, 0, 1])
    put("boot_info", "pc-map", boot_info(0, 1, pc, ops=allocs))
    put("boot_info", "small-pool", boot_info(0, 3, [(0x100000, 0x1100, 1)], heap=1, ops=bytes([0] * 40 + [2] * 10)))
    put("boot_info", "holes", boot_info(0, 2, [(0, 160, 1), (0x60000, 0x100, 4), (0x100000, 0x1000, 1),
                                             (0x10000000, 0x1000, 1), (0x100000000, 0x200, 2)], heap=0x100,
                                        ops=bytes([0, 1, 2, 0, 0, 3]) + struct.pack("<Q", 0x100000)))
    put("boot_info", "too-small", boot_info(0, 1, [(0x100000, 0x100, 1)]))
    put("boot_info", "absolute-unsorted", boot_info(16, 1, [(0x200000, 0x100, 1), (0x100000, 0x100, 1)]))
    put("boot_info", "bad-header", boot_info(7, 0, [(0, 1, 1)]))


# ---- console_cmd ----
def console_seeds():
    for i, line in enumerate(["stats", "vms", "help", "set pages_to_scan 1000", "set sleep_ms 20",
                              "set merge_first_sight 1", "set run 0", "set summary_scans 8",
                              " \tset  sleep_ms\t00060000 \r", "set pages_to_scan 4294967296",
                              "set bogus 1", "stats now", "set run 1 2", "set scan_target_s 30"]):
        put("console_cmd", "line%02d" % i, line)


# ---- acpi: u32 rsdp, then memory (as tests/unit/test_acpi.c builds it) ----
def acpi_mem(rev, s5, madt_entries=3, dsdt_len_extra=0):
    mem = bytearray(0x800)

    def fix(at, length, csum_at):
        mem[at + csum_at] = 0
        mem[at + csum_at] = (-sum(mem[at:at + length])) & 0xFF

    def header(at, sig, length):
        mem[at:at + 4] = sig
        mem[at + 4:at + 8] = struct.pack("<I", length)

    rsdp = 0x40
    mem[rsdp:rsdp + 8] = b"RSD PTR "
    mem[rsdp + 15] = rev
    if rev >= 2:
        mem[rsdp + 24:rsdp + 32] = struct.pack("<Q", 0x100)
        header(0x100, b"XSDT", 36 + 16)
        mem[0x100 + 36:0x100 + 52] = struct.pack("<QQ", 0x200, 0x400)
        root_len = 52
    else:
        mem[rsdp + 16:rsdp + 20] = struct.pack("<I", 0x100)
        header(0x100, b"RSDT", 36 + 8)
        mem[0x100 + 36:0x100 + 44] = struct.pack("<II", 0x200, 0x400)
        root_len = 44
    fix(rsdp, 20, 8)
    fix(0x100, root_len, 9)
    header(0x200, b"FACP", 116)
    mem[0x200 + 40:0x200 + 44] = struct.pack("<I", 0x600)
    mem[0x200 + 64:0x200 + 68] = struct.pack("<I", 0xB004)
    fix(0x200, 116, 9)
    madt_len = 44 + 8 * madt_entries
    header(0x400, b"APIC", madt_len)
    for i in range(madt_entries):
        at = 0x400 + 44 + 8 * i
        mem[at:at + 8] = bytes([0, 8, i, 2 * i]) + struct.pack("<I", 0 if i == 2 else 1)
    fix(0x400, madt_len, 9)
    dlen = 36 + len(s5) + dsdt_len_extra
    header(0x600, b"DSDT", dlen)
    mem[0x600 + 36:0x600 + 36 + len(s5)] = s5
    fix(0x600, dlen, 9)
    return struct.pack("<I", rsdp) + bytes(mem)


def acpi_seeds():
    s5 = bytes([0x08]) + b"_S5_" + bytes([0x12, 0x0A, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0, 0])
    put("acpi", "xsdt", acpi_mem(2, s5))
    put("acpi", "rsdt", acpi_mem(0, b"\x08_S5_\x12\x06\x04\x00\x00\x00\x00"))
    put("acpi", "s5-oneop", acpi_mem(2, b"\x08_S5_\x12\x46\x00\x04\x01\x01", madt_entries=8))
    put("acpi", "no-rsdp", struct.pack("<I", 0) + bytes(64))


# ---- engine: u8 setup, then (op, slot[, gfn if live], args) ----
OPS = dict(write=0, write2=1, bytes=2, hv=3, scan=4, full=5, cow=6, read=7, evict=8, add=9,
           remove=10, exhaust=11, knob=12, race=13, clock=14, tier=15, fault=16, ceiling=17)


class Eng:
    def __init__(self, setup):
        self.b = bytearray([setup])
        self.live = [False] * 4

    def op(self, name, s, g=0, *args):
        self.b += bytes([OPS[name], s])
        if self.live[s]:
            self.b.append(g)
        self.b += bytes(args)
        if name == "add" and not self.live[s]:
            self.live[s] = True
        if name == "remove":
            self.live[s] = False
        return self


def engine_seeds():
    e = Eng(1)
    e.op("add", 0, 0, 15, 0, 7).op("add", 1, 0, 15, 2, 7).op("add", 3, 0, 7, 1 | 2 * 2, 0)
    for g in range(8):
        e.op("write", 3, g, g % 3)
    e.op("full", 0).op("full", 0).op("write", 0, 3, 9).op("bytes", 1, 4, 0x10, 0, 2, 1, 2, 3)
    e.op("hv", 1, 5, 2).op("scan", 0, 0, 40).op("cow", 0, 1).op("evict", 1, 2).op("read", 0, 2)
    put("engine", "three-vms", bytes(e.b))
    e = Eng(0)
    e.op("add", 0, 0, 11, 8, 3).op("add", 2, 0, 11, 8, 3).op("race", 0, 0, 1)
    for i in range(6):
        e.op("scan", 0, 0, 20).op("write", 0, i, 1).op("write", 2, i + 1, 1)
    e.op("exhaust", 0, 0, 0x40).op("write", 0, 3, 2).op("cow", 2, 4).op("remove", 2).op("knob", 0)
    e.op("add", 2, 0, 5, 1 | 16 | 32 * 2, 0).op("full", 0)
    put("engine", "races-and-exhaustion", bytes(e.b))
    e = Eng(2)
    e.op("add", 1, 0, 3, 1, 0).op("add", 0, 0, 3, 1, 0)
    for g in range(4):
        e.op("write", 0, g, 0).op("write", 1, g, 5).op("hv", 0, g, 5)
    e.op("full", 0).op("remove", 0).op("full", 0)
    put("engine", "lazy-and-zero", bytes(e.b))
    # The cold tier: compressible pages go cold, fault back, merge with twins.
    e = Eng(1 | 4)
    e.op("add", 0, 0, 20, 8, 3).op("add", 1, 0, 9, 0, 4)
    for g in range(12):
        e.op("write", 0, g, 12 + g % 4)
    e.op("full", 0).op("clock", 0, 0, 9).op("full", 0).op("full", 0).op("read", 0, 3)
    e.op("write", 1, 2, 12).op("clock", 0, 0, 9).op("full", 0).op("full", 0)
    e.op("exhaust", 0, 0, 0x10).op("read", 0, 5).op("fault", 0, 6).op("cow", 0, 7).op("hv", 0, 8, 13)
    e.op("tier", 0, 0, 3, 2, 1).op("race", 0, 0, 2).op("ceiling", 1, 0, 3).op("full", 0).op("clock", 0, 0, 5)
    e.op("full", 0).op("remove", 0).op("full", 0)
    put("engine", "cold-tier", bytes(e.b))
    # Same-behaviour (domain 2): idle pages fuse, twin or not; reads and
    # writes copy back; a VM of domain 0 beside it merges as before.
    e = Eng(1 | 8)
    e.op("add", 0, 0, 15, 4, 7).op("add", 1, 0, 15, 5, 0).op("add", 2, 0, 15, 0, 7)
    for g in range(6):
        e.op("write", 1, g, g % 3)
    e.op("full", 0).op("full", 0).op("full", 0).op("read", 0, 1).op("write", 1, 2, 9)
    e.op("fault", 0, 3).op("cow", 1, 4).op("hv", 0, 5, 2).op("bytes", 1, 0, 8, 0, 0, 7)
    e.op("exhaust", 0, 0, 0x20).op("read", 0, 6).op("read", 1, 7).op("race", 0, 0, 1)
    e.op("full", 0).op("full", 0).op("remove", 0).op("full", 0).op("full", 0)
    put("engine", "same-behaviour", bytes(e.b))


# ---- zpool: u8 frames, u8 cap, then ops (tests/fuzz/fuzz_zpool.c) ----
def zpool_seeds():
    ALLOC, FREE, BADFREE, CAP, EXHAUST = 0, 2, 3, 4, 5
    b = bytearray([48, 8])
    for size in (64, 65, 100, 700, 1000, 1024, 1360, 2000, 2048, 1, 2049, 0):
        b += bytes([ALLOC]) + struct.pack("<H", size)
    for i in (3, 0, 5, 1):
        b += bytes([FREE, i])
    b += bytes([BADFREE]) + struct.pack("<I", 0x3F) + bytes([CAP, 2])
    for size in (2048, 2048, 2048, 64):
        b += bytes([ALLOC]) + struct.pack("<H", size)
    b += bytes([CAP, 40, EXHAUST, 1]) + bytes([ALLOC]) + struct.pack("<H", 300) * 3
    put("zpool", "classes-cap-exhaustion", bytes(b))
    b = bytearray([16, 63])
    for i in range(200):  # fill and drain one class, then another
        b += bytes([ALLOC]) + struct.pack("<H", 60 + i % 4)
    for i in range(200):
        b += bytes([FREE, (i * 7) % 251])
    put("zpool", "fill-and-drain", bytes(b))


# ---- recount: u8 shape, per VM (u8 pages, u16 tail), per page (u16 blocks, u8 tweak) ----
def recount(nvm, chunk_sel, vms):
    b = bytes([nvm | chunk_sel << 3])
    for (tail, pages) in vms:
        b += struct.pack("<BH", len(pages), tail)
        for (blocks, tweak) in pages:
            b += struct.pack("<HB", blocks, tweak)
    return b


def recount_seeds():
    put("recount", "pages", recount(3, 0, [(0, [(0x5555, 0), (0x5555, 0), (0, 0), (0xAAAA, 0)]),
                                           (100, [(0x5555, 0), (0xFFFF, 0), (0, 0)]),
                                           (4095, [(0, 0), (0, 0)])]))
    put("recount", "halves", recount(2, 1, [(0, [(0x1155, 0), (0x5511, 0), (0x5555, 7)]),
                                            (1, [(0x1111, 255), (0x5555, 7)])]))
    put("recount", "small-chunks", recount(4, 3, [(0, [(0x0123, 0)]), (0, [(0x3210, 1)]),
                                                  (0, []), (0, [(0x0123, 0), (0, 0)])]))


# ---- http: byte 0 cuts the stream (0: whole), then a connection's bytes ----
def http_seeds():
    h = "Host: hv.local\r\n"
    reqs = {
        "get": "GET /api/stats HTTP/1.1\r\n" + h + "\r\n",
        "get-1.0": "GET /metrics HTTP/1.0\nConnection: keep-alive\n\n",
        "knobs": "POST /api/knobs?dry=1 HTTP/1.1\r\n" + h + "Authorization: Bearer fuzz-token\r\n"
                 "Content-Length: 38\r\n\r\n{\"pages_to_scan\": 500, \"run\": true }  ",
        "pipelined": ("GET / HTTP/1.1\r\n" + h + "\r\n"
                      "POST /api/vms/alpha/pause HTTP/1.1\r\n" + h + "Content-Length: 2\r\n\r\n{}\r\n"
                      "HEAD /api/vms/b-2/memory HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n"),
        "absolute": "GET http://hv.local/api/history?seconds=60 HTTP/1.1\r\n" + h + "\r\n",
        "expect": "POST /api/knobs HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n"
                  "Content-Length: 14\r\n\r\n{\"sleep_ms\":0}",
        "chunked": "POST /api/knobs HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\n\r\n",
        "two-lengths": "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "bad-version": "GET / HTTP/2.0\r\n\r\n",
        "other-method": "BREW /pot HTTP/1.1\r\n" + h + "\r\n",
    }
    # Heads at HTTP_MAX_HEAD (4096 bytes) and one byte over, so that
    # mutations explore the limits.
    for size in (4096, 4097):
        start = "GET /api/stats HTTP/1.1\r\n" + h + "X-Fill: "
        reqs["head-%d" % size] = start + "x" * (size - len(start) - 4) + "\r\n\r\n"
    reqs["long-line"] = "GET /" + "a" * 4100 + " HTTP/1.1\r\n" + h + "\r\n"
    for name, text in reqs.items():
        put("http", name, b"\x00" + text.encode())
        put("http", name + "-cut7", b"\x07" + text.encode())


# ---- hypercall: u8 setup [u8 pages_to_scan - 1], per VM (pages, shape, image, seed),
# then (op, slot, args) ----
HOPS = dict(hc=0, hc2=1, write=2, write2=3, read=4, scan=5, converge=6, stop=7, stray=8, hog=9,
            evict=10, knob=11)
HC_NR = dict(console=0, progress=1, error=2, query=3, power_off=4)  # number - 1, as u8 < 240


class Hc:
    def __init__(self, setup, vms, rate=None):
        self.b = bytearray([setup])
        if setup & 2:
            self.b.append(rate)
        for v in vms:
            self.b += bytes(v)

    def op(self, name, s, *args):
        self.b += bytes([HOPS[name], s]) + bytes(args)
        return self

    def hc(self, s, nr, gsel=0, lsel=0, graw=0, lraw=0, vcpu=0, c=0, d=0):
        self.b += bytes([HOPS["hc"], s, vcpu, HC_NR[nr] if isinstance(nr, str) else nr, gsel, lsel])
        self.b += struct.pack("<IIII", graw, lraw, c, d)
        return self

    def write(self, s, gfn, kind, vcpu=0, raw=b""):
        return self.op("write", s, vcpu, gfn, kind, *raw)


def vmspec(pages, domain=0, vcpus=1, linux=False, limit=False, entry=0, lazy=0, short=False,
           repeat=3, seed=0):
    shape = domain | (vcpus - 1) << 1 | (7 << 3 if linux else 0) | (3 << 6 if limit else 0)
    img = entry | lazy << 2 | (32 if short else 0) | repeat << 6
    return (pages - 8, shape, img, seed)


def hypercall_seeds():
    # Three VMs, two in domain 0 sharing pool pages, a third alone in domain 1.
    h = Hc(1, [vmspec(24, vcpus=2, entry=1, lazy=3, seed=1), vmspec(32, vcpus=2, seed=2),
               vmspec(16, domain=1, short=True, repeat=1, seed=3)])
    h.op("scan", 0, 7).op("scan", 0, 7)
    h.hc(0, "query", gsel=0, lsel=1).hc(1, "query", gsel=2, lsel=1).hc(2, "query", gsel=5, lsel=3, graw=3)
    h.hc(0, "console", gsel=1, lsel=3, graw=100, lraw=20).hc(1, "progress", graw=1, lraw=0, c=30)
    h.hc(0, "error", gsel=1, graw=0x2000, lraw=4, c=0x11, d=0x22)
    h.write(0, 5, 1 | 2 << 2).write(1, 5, 1 | 2 << 2, vcpu=1).write(2, 3, 0).write(0, 7, 3)
    h.write(1, 9, 2, raw=struct.pack("<HB", 4094, 7) + bytes(range(1, 9)))
    h.op("read", 1, 1, 5).op("scan", 0, 7).op("converge", 0).op("read", 0, 0, 5)
    h.write(0, 5, 2, raw=struct.pack("<HB", 0, 0) + b"\x55")
    h.hc(1, "query", gsel=8, lsel=1, graw=4096 - 56).hc(0, "power_off", graw=3).op("scan", 0, 7)
    h.hc(1, "query", gsel=3, lsel=1).op("converge", 0).op("stop", 2).op("scan", 1, 3)
    put("hypercall", "three-vms", bytes(h.b))
    # Every pointer kind with every length kind, for the two calls that take a buffer.
    h = Hc(0, [vmspec(12, seed=4), vmspec(40, vcpus=4, seed=5)])
    for g in range(10):
        for ln in range(8):
            h.hc(g & 1, "query" if ln & 1 else "console", gsel=g, lsel=ln, graw=0x12345 * (g + 1),
                 lraw=0x777 * ln, vcpu=g)
    h.hc(0, 240).hc(1, 241, c=0x1000).hc(0, 0xFF, c=6)  # numbers 0, 0x1000, 6: HC_ENOSYS
    put("hypercall", "hostile-pointers", bytes(h.b))
    # Frames down to the engine's reserve: writes wait, the counters' copy fails.
    h = Hc(2, [vmspec(20, seed=6), vmspec(20, seed=6)], rate=63)
    h.op("scan", 0, 3).op("converge", 0).op("hog", 0, 0)
    for g in range(6):
        h.write(g & 1, g * 3, 3)
    h.hc(0, "query", gsel=5, lsel=1, graw=7 | 200 << 16).hc(1, "query", gsel=2, lsel=1)
    h.op("hog", 0, 2).write(0, 4, 3).hc(1, "query", gsel=5, lsel=1, graw=9 | 10 << 16)
    h.op("hog", 0, 5).write(1, 4, 1 | 1 << 2).op("knob", 0, 0).op("scan", 0, 7)
    put("hypercall", "enomem", bytes(h.b))
    # A VM over its limit= stops at a write; a Linux VM gets #UD; stray accesses stop VMs.
    h = Hc(1, [vmspec(16, limit=True, lazy=6, seed=7), vmspec(10, linux=True, seed=8),
               vmspec(24, vcpus=3, domain=1, seed=9)])
    h.hc(1, "query", gsel=0, lsel=1).hc(1, "power_off").write(1, 2, 3)
    for g in range(8, 16):
        h.write(0, g, 3)
    h.op("stray", 2, 1, 1, 0, 0, 0, 0).op("stray", 1, 0, 2, 5, 0, 0, 0).op("knob", 0, 9)
    h.op("scan", 0, 7).op("evict", 0, 0, 3).op("converge", 0)
    put("hypercall", "limit-linux-stray", bytes(h.b))
    # The cold tier (setup bit 2): pages go cold over many scanner steps and
    # compress; reads, writes and hypercalls fault or read them back; a VM
    # over its limit= faults one back; frames down to the reserve.
    h = Hc(1 | 4, [vmspec(24, vcpus=2, seed=10, repeat=0), vmspec(20, seed=11, repeat=0),
               vmspec(16, limit=True, seed=12, repeat=0)])
    for _ in range(6):
        h.op("scan", 0, 7)
    h.op("read", 0, 0, 3).write(1, 1, 4, 3).hc(0, "query", gsel=1, lsel=1, graw=5 * 4096)
    h.hc(0, "console", gsel=1, lsel=3, graw=6 * 4096, lraw=20).op("read", 2, 0, 2)
    for _ in range(6):
        h.op("scan", 0, 7)
    h.op("hog", 0, 0).op("read", 0, 1, 7).write(1, 0, 9, 3).op("hog", 0, 5).op("converge", 0)
    h.op("read", 0, 1, 7).write(2, 0, 5, 3).op("stop", 1).op("scan", 0, 7)
    put("hypercall", "cold-tier", bytes(h.b))
    # Regression inputs (regress-*, kept, not rewritten here): both VMs power
    # off, then a converge: sharing_converge() spun for ever with no pages to scan;
    # regress-query-enomem-partial: HC_QUERY_COUNTERS across two zero pages with one
    # frame above the reserve returned HC_ENOMEM after writing the first page's part;
    # regress-converge-written-candidate (minimized): a page written after its visit as a
    # candidate, then a converge, which stopped one pass early, before it merged.


# ---- lapic: records of op, register or vector, value (u32), time (u16) ----
def lapic_seeds():
    def rec(op, arg, value=0, dt=1):
        return struct.pack("<BBIH", op, arg, value, dt)
    svr, tpr, lint0, lvtt, icr, init_cnt, dcr, eoi, self_ipi = 0x0F, 0x08, 0x35, 0x32, 0x30, 0x38, 0x3E, 0x0B, 0x3F
    # An AP as Linux sets it up (setup_local_APIC), its timer armed one-shot
    # and periodic, an IPI received and serviced, the BSP's INIT-SIPI.
    ap = bytes([1, 0]) + rec(1, tpr, 0) + rec(1, svr, 0x1FF) + rec(1, lint0, 0x10700) \
        + rec(1, dcr, 0xB) + rec(1, lvtt, 0xEC) + rec(1, init_cnt, 5000, 100) \
        + rec(3, 0xFB) + rec(4, 0, 0, 6000) + rec(7, eoi) + rec(1, lvtt, 0x200EC) \
        + rec(1, init_cnt, 300) + rec(4, 0, 0, 700) + rec(0, 0x39) + rec(1, self_ipi, 0x40) \
        + rec(2, icr, 1, 0) + rec(4, 0, 0, 10) + rec(7, eoi) + rec(6, 0)
    put("lapic", "linux-ap", ap)
    bsp = bytes([0, 1]) + rec(1, icr, 1) + rec(5, 0, 0x400) + rec(0, 0x02) + rec(3, 0x30, 8) \
        + rec(4, 0) + rec(1, tpr, 0x40) + rec(3, 0x45) + rec(0, 0x0A)
    put("lapic", "bsp-init-sipi", bsp)


if __name__ == "__main__":
    for t in ("config", "elf", "boot_info", "console_cmd", "acpi", "engine", "engine_collide", "recount",
              "http", "hypercall", "zpool", "lapic"):
        d = os.path.join(ROOT, t)
        if os.path.isdir(d):
            for f in os.listdir(d):
                if not f.startswith("regress-"):
                    os.remove(os.path.join(d, f))
    config()
    elf_seeds()
    boot_seeds()
    console_seeds()
    acpi_seeds()
    engine_seeds()
    recount_seeds()
    http_seeds()
    hypercall_seeds()
    zpool_seeds()
    lapic_seeds()
