"""`make bench-python`: appending 600-byte records with the binding and
reading them back (every CRC checked), against writing and reading the
same bytes with plain buffered Python file I/O, in the same run.

The baseline does the least a program storing records could: it writes
the payloads back to back and reads them back with ``read(600)``,
knowing their size; it frames nothing, checks no CRC and keeps no index.
The binding's side frames each record (sequence number, timestamp, type,
CRC), checks every CRC on reading, and seals the segment on close.

The four timings alternate in each round (plain and binlog writes, then
plain and binlog reads, the order of each pair flipping every round) so
that a disturbance of the shared machine hits both sides; the ratios are
the medians of the rounds' ratios (binlog throughput / plain throughput),
by wall-clock time and by the process's CPU time (the steadier of the two
on a machine other jobs share).

Usage: python bench_io.py [OUT.json] [--records N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time

import binlog

RECORD = 600


def payloads() -> list:
    return [os.urandom(RECORD) for _ in range(64)]


def plain_write(path: str, n: int, data: list) -> None:
    with open(path, "wb") as f:
        write = f.write
        for i in range(n):
            write(data[i & 63])


def binlog_write(path: str, n: int, data: list) -> None:
    with binlog.open_writer(path) as w:
        append = w.append
        for i in range(n):
            append("rec", data[i & 63])


def plain_read(path: str) -> int:
    count = 0
    with open(path, "rb") as f:
        read = f.read
        while len(read(RECORD)) == RECORD:
            count += 1
    return count


def binlog_read(path: str) -> int:
    count = 0
    with binlog.open_reader(path) as r:
        for record in r:
            count += len(record.payload) == RECORD
    return count


def timed(fn, *args):
    """Wall-clock and CPU seconds (all the process's threads, the writer's
    background thread included) of ``fn(*args)``, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def round_(directory: str, n: int, data: list, flip: bool) -> dict:
    plain, log = os.path.join(directory, "plain.bin"), os.path.join(directory, "log.binlog")
    for path in (plain, log):
        if os.path.exists(path):
            os.unlink(path)
    writes = [(plain_write, plain), (binlog_write, log)]
    reads = [(plain_read, plain), (binlog_read, log)]
    if flip:
        writes.reverse()
        reads.reverse()
    t = {}
    for write, path in writes:
        t[write.__name__], _ = timed(write, path, n, data)
    for read, path in reads:
        t[read.__name__], count = timed(read, path)
        assert count == n, f"{read.__name__} read {count} of {n} records"
    return t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--dir", default=None, help="where the files go (default: a temporary directory)")
    args = parser.parse_args()
    data = payloads()
    directory = tempfile.mkdtemp(prefix="binlog-bench-", dir=args.dir)
    try:
        round_(directory, 10_000, data, False)  # warm-up
        rounds = [round_(directory, args.records, data, i % 2 == 1) for i in range(args.rounds)]
    finally:
        shutil.rmtree(directory)
    mb = args.records * RECORD / 1e6
    result = {"records": args.records, "record_bytes": RECORD, "rounds": args.rounds}
    for clock, index in (("wall", 0), ("cpu", 1)):
        for kind in ("write", "read"):
            ratios = [r[f"plain_{kind}"][index] / r[f"binlog_{kind}"][index] for r in rounds]
            key = f"{kind}_{clock}"
            result[f"{key}_ratio_median"] = statistics.median(ratios)
            result[f"{key}_ratios"] = ratios
            for side in ("plain", "binlog"):
                secs = statistics.median(r[f"{side}_{kind}"][index] for r in rounds)
                result[f"{side}_{key}_MBps"] = mb / secs
                result[f"{side}_{key}_ns_per_record"] = secs / args.records * 1e9
            print(f"{kind:5} ({clock:4}): binlog {result[f'binlog_{key}_MBps']:7.1f} MB/s "
                  f"({result[f'binlog_{key}_ns_per_record']:4.0f} ns/record), plain "
                  f"{result[f'plain_{key}_MBps']:7.1f} MB/s: median ratio "
                  f"{result[f'{key}_ratio_median']:.2f}x (target >= 1.0x; rounds: "
                  + " ".join(f"{x:.2f}" for x in ratios) + ")")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
