#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py - writes the seed corpus of tests/fuzz/fuzz_heap.c into tests/fuzz/corpus/.

The encoder below mirrors the input format documented at the top of fuzz_heap.c: a 5-byte header
(storage, heaps, protection, limit hook mode, segment size, pool, cache, limit, fault injection)
followed by operations. Each seed aims at one area (cross-heap traffic, protection, huge blocks and
mremap, the limit hook, fault injection, the cache, reset, statistics, reported misuse); the last
few are longer deterministic pseudo-random mixes. Run it again after changing the format:

    python3 tests/fuzz/make_seeds.py            # rewrites tests/fuzz/corpus/seed-*
"""
import os
import random
import sys

STORAGE = {"malloc": 0, "mmap_anon": 1, "mmap_zero": 2}
MODE = {"fail": 0, "proceed": 1, "longjmp": 2, "alternate": 3}
SEG_SHIFT = {64: 0, 128: 1, 256: 2, 512: 3, 1024: 4}   # KiB -> h1 % 5


class Seed:
    def __init__(self, storage="mmap_anon", two=False, prot=(0, 0), mode="fail", oom_jump=False,
                 seg_kib=256, pool=1, cache="default", limit_half_segs=0, fail_at=0):
        self.seg = seg_kib * 1024
        h0 = STORAGE[storage] | (4 if two else 0) | (prot[0] << 3) | (prot[1] << 4) | (MODE[mode] << 5)
        if oom_jump:
            h0 |= 0x80
        # a byte with h1 % 5 == shift and (h1 >> 3) % 4 == pool
        h1 = next(v for v in range(256) if v % 5 == SEG_SHIFT[seg_kib] and (v >> 3) % 4 == pool % 4)
        if cache == "off":
            h2 = 0
        elif cache == "default":
            h2 = 2
        else:                               # small: bytes, a multiple of 64 up to 4032
            h2 = 1 | ((cache // 64) << 2)
        # limit: ((h3 >> 2) + 1) * seg / 2; limit_half_segs = 0 -> none
        h3 = 0 if limit_half_segs == 0 else (((limit_half_segs - 1) << 2) | 1)
        h4 = 0 if fail_at == 0 else 191 + fail_at
        self.b = bytearray([h0, h1, h2, h3 & 0xff, h4])

    @staticmethod
    def sb(slot, heap=0):
        return (slot & 63) | ((heap & 1) << 6)

    def size_bytes(self, size):
        seg = self.seg
        if size < 544:
            cls, x = 0, size
        elif size < 544 + 8192:
            cls, x = 18, size - 544
        elif size < seg:
            cls, x = 22, size
        elif seg <= size < 3 * seg:
            cls, x = 28, size - seg
        else:
            assert size < 4 << 20
            cls, x = 30, size
        return bytes([cls, x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff])

    def edge(self, k):                      # one of the small edge sizes
        return bytes([17, k & 0xff, 0, 0])

    def near_segment(self, delta):          # segment size - 192 + delta, delta in [0, 256)
        return bytes([26, delta & 0xff, 0, 0])

    def alloc(self, slot, size, heap=0):
        self.b += bytes([0, self.sb(slot, heap)]) + self.size_bytes(size)
        return self

    def alloc_raw(self, slot, size_enc, heap=0):
        self.b += bytes([1, self.sb(slot, heap)]) + size_enc
        return self

    def free(self, slot, heap=0):
        self.b += bytes([80, self.sb(slot, heap)])
        return self

    def realloc(self, slot, size, heap=0):
        self.b += bytes([130, self.sb(slot, heap)]) + self.size_bytes(size)
        return self

    def check(self):
        self.b += bytes([170])
        return self

    def gc(self, heap=0):
        self.b += bytes([185, self.sb(0, heap)])
        return self

    def flush(self, heap=0):
        self.b += bytes([193, self.sb(0, heap)])
        return self

    def reset(self, heap=0, keep=0):
        self.b += bytes([201, self.sb(0, heap), keep])
        return self

    def cache_limit(self, heap=0, v=2):
        self.b += bytes([206, self.sb(0, heap), v])
        return self

    def stats(self, heap=0, limited=False):
        self.b += bytes([213, self.sb(0, heap) | (2 if limited else 0)])
        return self

    def reset_peak(self, heap=0):
        self.b += bytes([223, self.sb(0, heap)])
        return self

    def block_size(self, slot, heap=0):
        self.b += bytes([228, self.sb(slot, heap)])
        return self

    def double_free(self, slot, heap=0, other_heap=False):
        self.b += bytes([240, self.sb(slot, heap), 1 if other_heap else 0])
        return self

    def stale_realloc(self, slot, size, heap=0):
        self.b += bytes([240, self.sb(slot, heap), 2]) + self.size_bytes(size)
        return self

    def foreign_free(self, heap=0, realloc_size=100):
        self.b += bytes([240, self.sb(0, heap), 3]) + self.size_bytes(realloc_size)
        return self

    def giant(self, slot, k=0, heap=0):      # a size that cannot be served (not with "malloc")
        self.b += bytes([1, self.sb(slot, heap), 17, k & 3, 0x1f, 0])
        return self

    def set_limit(self, heap=0, v=0):
        self.b += bytes([226, self.sb(0, heap), v])
        return self

    def fault(self, n):
        self.b += bytes([248, n])
        return self


def seeds():
    out = {}

    s = Seed()
    for i in range(12):
        s.alloc(i, 8 * i + 1)
    for i in range(0, 12, 2):
        s.free(i)
    for i in range(12, 20):
        s.alloc(i, 24)
    s.check().stats().check()
    out["small-basic"] = s

    s = Seed(two=True)
    for i in range(8):
        s.alloc(i, 100 + 300 * i, heap=i & 1)
    for i in range(8):
        s.realloc(i, 900 + 50 * i, heap=(i + 1) & 1)     # cross-heap realloc moves the block
    s.check()
    for i in range(8):
        s.free(i, heap=i & 1)                          # some through the non-owner
    s.check()
    out["two-heaps-cross"] = s

    s = Seed(prot=(1, 1), two=True)
    s.alloc(0, 496).alloc(1, 497).alloc(2, 520).alloc(3, 0, heap=1)
    s.realloc(0, 2000).realloc(1, 10).realloc(3, 700, heap=0).check()
    s.block_size(0).block_size(3).stats().free(2).check()
    out["protection"] = s

    s = Seed(seg_kib=64)
    s.alloc(0, 1 << 20).realloc(0, 3 << 20).check().realloc(0, 200000).check()
    s.alloc(1, 150000).realloc(1, 900000).realloc(1, 64).check().free(0).check()
    out["huge-mremap"] = s

    s = Seed(seg_kib=64, limit_half_segs=8)              # limit 256 KiB, hook says FAIL
    s.alloc(0, 100000).alloc(1, 100000).alloc(2, 100000).alloc(3, 3000000).check()
    s.realloc(0, 400000).free(1).realloc(0, 180000).check()
    out["limit-fail"] = s

    s = Seed(seg_kib=64, limit_half_segs=4, mode="proceed", cache=512)
    for i in range(6):
        s.alloc(i, 60000)
    s.alloc(6, 300).free(6).alloc(7, 100000).check().stats()
    out["limit-proceed"] = s

    s = Seed(seg_kib=128, limit_half_segs=6, mode="longjmp", oom_jump=True, two=True)
    s.alloc(0, 100000).alloc(1, 100000, heap=1).alloc(2, 200000).realloc(0, 500000).check()
    s.fault(1).alloc(3, 70000).fault(2).realloc(1, 250000, heap=1).check()
    out["limit-longjmp"] = s

    s = Seed(seg_kib=64, fail_at=2)
    s.alloc(0, 40000).alloc(1, 40000).alloc(2, 40000).realloc(0, 500000).check()
    s.fault(1).realloc(0, 1500000).fault(1).realloc(0, 100000).fault(3).alloc(3, 2000000).check()
    out["fault-injection"] = s

    s = Seed(cache=1024)
    for i in range(20):
        s.alloc(i, 40 + 16 * i)
    for i in range(20):
        s.free(i)
    s.alloc(0, 40).alloc(1, 56).realloc(0, 300).cache_limit(v=2)
    for i in range(2, 12):
        s.alloc(i, 100).free(i)
    s.check().flush().cache_limit(v=0).gc().check()
    out["cache"] = s

    s = Seed(two=True, pool=2)                           # the glue's two request epochs
    for rnd in range(3):
        h = rnd & 1
        for i in range(6):
            s.alloc(8 * h + i, 64 + 1000 * i, heap=h)
        s.free(8 * (1 - h), heap=h)                      # a late free of the other epoch's block
        s.reset(heap=1 - h, keep=1).check()
    out["reset-epochs"] = s

    s = Seed()
    s.alloc(0, 10).alloc(1, 5000).alloc(2, 70000).stats().reset_peak().free(1).alloc(3, 30)
    s.block_size(0).block_size(2).stats(limited=True).check().stats()
    out["stats-peak-blocksize"] = s

    s = Seed(two=True)
    s.alloc(0, 48).alloc(1, 3000).alloc(2, 700, heap=1).alloc(3, 100000)
    s.double_free(0).double_free(1, other_heap=True).stale_realloc(2, 64, heap=0).double_free(3)
    s.foreign_free().check()
    out["misuse-reported"] = s

    s = Seed(storage="malloc", seg_kib=1024)
    s.alloc(0, 1000000).alloc(1, 2500000).realloc(1, 3900000).alloc(2, 17).check().realloc(0, 10).check()
    out["malloc-1m"] = s

    s = Seed(storage="mmap_zero", seg_kib=128)
    s.alloc(0, 200000).alloc(1, 500).realloc(0, 400000).free(1).realloc(0, 100).gc().check()
    out["mmap-zero"] = s

    s = Seed(seg_kib=64)
    for i, d in enumerate((0, 100, 128, 140, 150, 160, 170, 200, 255)):
        s.alloc_raw(i, s.near_segment(d))
    for k in range(20):
        s.alloc_raw(10 + k, s.edge(k))
    s.check()
    for i in range(9):
        s.realloc(i, 64)
    s.check()
    out["segment-edges"] = s

    s = Seed(seg_kib=64)                                 # more than 16 huge tails: the rest list evicts
    for i in range(20):
        s.alloc(i, 65536 + 3000 * i)
    s.check().stats()
    for i in range(0, 20, 3):
        s.free(i)
    s.alloc(30, 70000).check()
    out["rest-list-eviction"] = s

    s = Seed(two=True, seg_kib=128, mode="proceed")
    s.alloc(0, 5000).giant(1, 0).giant(2, 1, heap=1).giant(3, 2).giant(4, 3).alloc(5, 300000)
    s.set_limit(0, 2).alloc(6, 400000).set_limit(0, 1 | (8 << 2)).alloc(7, 200000).set_limit(1, 3).check()
    s.set_limit(0, 0).alloc(8, 600000).check()
    out["giant-sizes-and-limits"] = s

    s = Seed(seg_kib=64, limit_half_segs=10, mode="longjmp", oom_jump=True)
    s.alloc(0, 100000).set_limit(0, 2).alloc(1, 300).alloc(2, 100000).realloc(0, 200000).giant(3, 3)
    s.set_limit(0, 0).alloc(4, 1000000).check()
    out["set-limit-longjmp"] = s

    rng = random.Random(20260525)
    for n in range(3):
        s = Seed(storage=("mmap_anon", "malloc", "mmap_zero")[n], two=(n != 1), prot=(n & 1, 0),
                 seg_kib=(64, 256, 128)[n], cache=("default", 256, "off")[n], limit_half_segs=(0, 0, 40)[n])
        for _ in range(120):
            r = rng.random()
            slot = rng.randrange(24)
            heap = rng.randrange(2)
            size = rng.choice([rng.randrange(544), rng.randrange(544), rng.randrange(20000),
                               rng.randrange(300000), rng.randrange(1 << 21)])
            if r < 0.45:
                s.alloc(slot, size, heap)
            elif r < 0.7:
                s.free(slot, heap)
            elif r < 0.9:
                s.realloc(slot, size, heap)
            elif r < 0.95:
                s.check()
            else:
                s.stats(heap, limited=rng.random() < 0.5)
        out["mix-%d" % n] = s
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(dest, exist_ok=True)
    for name in os.listdir(dest):
        if name.startswith("seed-"):
            os.unlink(os.path.join(dest, name))
    for name, s in sorted(seeds().items()):
        with open(os.path.join(dest, "seed-" + name), "wb") as fp:
            fp.write(bytes(s.b))
    print("wrote %d seeds to %s" % (len(seeds()), dest))


if __name__ == "__main__":
    main()
