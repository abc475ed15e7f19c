"""`make bench-python`, second part: what a batch and metadata cost at
32 B. Three ways of appending the same records to a segment, timed in
each round in an order that rotates every round (11 rounds):

- one: ``append("rec", payload)``, one call a record;
- batch: ``append_batch(entries)`` of 1,024 ``("rec", payload)`` tuples
  (the list built once, as the payloads are);
- meta: ``append("rec", payload, {"a": "1", "b": "2"})``.

Ratios (records/s of one way over another's, the medians of the rounds'
ratios, by wall-clock and by CPU time): batch / one, target >= 2x; meta
/ one, target >= 0.5x.

Usage: python bench_append.py [OUT.json] [--records N] [--rounds R] [--dir D]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import tempfile
import time

import binlog

RECORD = 32
BATCH = 1024
META = {"a": "1", "b": "2"}


def one(w: binlog.Writer, n: int, data: list) -> None:
    append = w.append
    for i in range(n):
        append("rec", data[i & 63])


def batch(w: binlog.Writer, n: int, data: list) -> None:
    entries = [("rec", data[i & 63]) for i in range(BATCH)]
    append_batch = w.append_batch
    for _ in range(n // BATCH):
        append_batch(entries)


def meta(w: binlog.Writer, n: int, data: list) -> None:
    append = w.append
    for i in range(n):
        append("rec", data[i & 63], META)


def timed(way, path: str, n: int, data: list) -> tuple:
    """Wall-clock and CPU seconds of appending ``n`` records to a new
    segment: the appends, not the opening and the sealing, the same for
    every way."""
    if os.path.exists(path):
        os.unlink(path)
    with binlog.open_writer(path) as w:
        wall, cpu = time.perf_counter(), time.process_time()
        way(w, n, data)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--dir", default=None, help="where the files go (default: a temporary directory)")
    args = parser.parse_args()
    n = args.records // BATCH * BATCH
    data = [os.urandom(RECORD) for _ in range(64)]
    ways = [one, batch, meta]
    directory = tempfile.mkdtemp(prefix="binlog-bench-append-", dir=args.dir)
    path = os.path.join(directory, "a.binlog")
    try:
        for way in ways:
            timed(way, path, BATCH * 10, data)  # warm-up
        rounds = []
        for r in range(args.rounds):
            order = ways[r % 3:] + ways[:r % 3]
            rounds.append({way.__name__: timed(way, path, n, data) for way in order})
    finally:
        shutil.rmtree(directory)
    result = {"records": n, "record_bytes": RECORD, "batch": BATCH, "rounds": args.rounds}
    for clock, index in (("wall", 0), ("cpu", 1)):
        for way in ways:
            secs = statistics.median(r[way.__name__][index] for r in rounds)
            result[f"{way.__name__}_{clock}_Mrecords_per_s"] = n / secs / 1e6
        for way, target in ((batch, 2.0), (meta, 0.5)):
            ratios = [r["one"][index] / r[way.__name__][index] for r in rounds]
            key = f"{way.__name__}_vs_one_{clock}"
            result[f"{key}_ratio_median"] = statistics.median(ratios)
            result[f"{key}_ratios"] = ratios
            print(f"append {way.__name__:5} ({clock:4}): {result[f'{way.__name__}_{clock}_Mrecords_per_s']:5.2f} M/s, "
                  f"one call a record {result[f'one_{clock}_Mrecords_per_s']:5.2f} M/s: median ratio "
                  f"{result[f'{key}_ratio_median']:.2f}x (target >= {target}x; rounds: "
                  + " ".join(f"{x:.2f}" for x in ratios) + ")")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
