#!/usr/bin/env python3
"""The sizes of the page-cache folios that hold a file, as a histogram.

    bench/folios.py FILE...
    bench/folios.py --share FILE...   (the files' share in 2 MiB folios; -1 if not root)

How a file was written decides its folios (a 2 MiB write into held memory
leaves 2 MiB folios, a 64 KiB piece a 64 KiB one), and the folios decide
what reading it costs: a record read through a mapping of 2 MiB folios
shares one page-table entry with its neighbours, one in a 64 KiB folio pays a
page fault (docs/PERFORMANCE.md, figure e). Maps each file, touches every
page (so a page not cached is read in, by readahead's folios), and reads each
page's frame from /proc/self/pagemap and its flags from /proc/kpageflags: a
folio is a head page and the tail pages after it. Needs root (the frame
numbers); changes nothing.
"""
import collections, ctypes, mmap, os, struct, sys

PAGE = 4096
HEAD, TAIL = 1 << 15, 1 << 16  # KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL


def folio_sizes(path):
    """A Counter of folio sizes in pages."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return collections.Counter()
        m = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)
    pages = (size + PAGE - 1) // PAGE
    start = ctypes.addressof(ctypes.c_char.from_buffer(m))
    for i in range(pages):
        m[i * PAGE]  # fault each page in (read only: nothing is copied)
    with open("/proc/self/pagemap", "rb") as pm, open("/proc/kpageflags", "rb") as kf:
        pm.seek(start // PAGE * 8)
        entries = struct.unpack(f"{pages}Q", pm.read(pages * 8))
        sizes, run = collections.Counter(), 0
        for e in entries:
            frame = e & ((1 << 55) - 1)
            if not e >> 63 or frame == 0:
                sys.exit("folios.py: no page frame numbers (run as root)")
            kf.seek(frame * 8)
            flags = struct.unpack("Q", kf.read(8))[0]
            if flags & TAIL and run:
                run += 1
                continue
            if run:
                sizes[run] += 1
            run = 1
        sizes[run] += 1
    m.close()
    return sizes


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[1])
    if sys.argv[1] == "--share":
        # One number for all the files (the peers suites' folio share).
        try:
            sizes = [folio_sizes(p) for p in sys.argv[2:]]
        except SystemExit:
            return print(-1)
        pages = sum(k * v for c in sizes for k, v in c.items())
        return print(sum(512 * c[512] for c in sizes) / pages if pages else -1)
    for path in sys.argv[1:]:
        sizes = folio_sizes(path)
        total = sum(k * v for k, v in sizes.items()) or 1
        print(path)
        for k in sorted(sizes):
            print(f"  {k * 4:>6} KiB folios: {sizes[k]:>7}, {k * sizes[k] * 100 / total:5.1f}% of the file")


if __name__ == "__main__":
    main()
