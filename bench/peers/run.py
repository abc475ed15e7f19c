#!/usr/bin/env python3
"""make bench-peers: libbinlog against the libraries its users would pick
instead, from each language's binding, in one run.

Each suite (bench/peers/rust, go, java; the Python binding's
bench_io.py) runs interleaved pairs (libbinlog, then the peer, the order
alternating) and reports every pair's records per second; this script
takes each row's ratios libbinlog/peer, their median and range, samples
the load average (/proc/loadavg) while each suite runs, and does it all
twice: once as the machine is, once after touching (allocating, writing
and freeing) a few GB of memory, since on a VM whose balloon returns freed
memory to the host, appends into memory not touched before pay a host
page fault. Writes target/bench-peers.json and prints a table.

Environment: BENCH_PEERS_QUICK=1 (fewer records and pairs, for
development), BENCH_PEERS_TOUCH_GB (default 3), BENCH_PEERS_SUITES
(default rust,go,java,python).
"""
import argparse
import json
import mmap
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILT = os.path.join(ROOT, "target", "bench-peers")

# (pairs, records of 600 B, records of 32 B, durable records of 600 B)
FULL = (7, 200_000, 1_000_000, 1_000)
QUICK = (3, 20_000, 100_000, 100)


def java_command() -> list:
    java = os.path.join(ROOT, "bench", "peers", "java")
    with open(os.path.join(java, "target", "classpath.txt")) as f:
        classpath = os.path.join(java, "target", "classes") + ":" + f.read().strip()
    return ["java", "@" + os.path.join(java, "jvm.args"), "-cp", classpath, "io.libbinlog.bench.PeersBench"]


SUITES = {
    "rust": lambda: [os.path.join(ROOT, "bench", "peers", "rust", "target", "release", "binlog-bench-peers")],
    "go": lambda: [os.path.join(BUILT, "go-bench-peers")],
    "java": java_command,
}


class LoadSampler:
    """The 1-minute load average every `period` seconds while it runs."""

    def __init__(self, period: float = 2.0):
        self.samples, self.period = [], period
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def now() -> float:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])

    def _run(self):
        while True:
            self.samples.append(self.now())
            if self.stop.wait(self.period):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def summary(self) -> dict:
        s = self.samples or [self.now()]
        return {"min": min(s), "median": statistics.median(s), "max": max(s), "samples": len(s)}


def touch_memory(gib: float) -> float:
    """Allocates, writes and frees `gib` GiB of anonymous memory; returns seconds."""
    start = time.perf_counter()
    size, chunk = int(gib * (1 << 30)), b"\x5a" * (1 << 20)
    if size < len(chunk):
        return 0.0
    m = mmap.mmap(-1, size)
    for off in range(0, size - len(chunk) + 1, len(chunk)):
        m[off : off + len(chunk)] = chunk
    m.close()
    return time.perf_counter() - start


def summarise(suite: str, peer: str, row: str, records: int, lib: list, other: list, ratios=None) -> dict:
    if ratios is None:
        ratios = [a / b for a, b in zip(lib, other)]
    return {
        "suite": suite, "peer": peer, "row": row, "records": records,
        "lib_per_s": statistics.median(lib), "peer_per_s": statistics.median(other),
        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "ratios": ratios,
    }


def run_suite(name: str, sizes: tuple, workdir: str) -> list:
    pairs, n600, n32, ndurable = sizes
    cmd = SUITES[name]() + [str(pairs), str(n600), str(n32), str(ndurable), workdir]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    rows = []
    for line in out.splitlines():
        r = json.loads(line)
        row = summarise(r["suite"], r["peer"], r["row"], r["records"], r["lib_per_s"], r["peer_per_s"])
        # The share of each side's files in 2 MiB folios, pair by pair (-1: not root).
        for side in ("lib", "peer"):
            row[f"{side}_2mib_folios"] = r.get(f"{side}_2mib_folios", [])
        rows.append(row)
    return rows


def run_python(sizes: tuple, workdir: str) -> list:
    """The Python binding's bench_io.py (make bench-python): 600 B records
    against plain file I/O, one call per record, written then read."""
    pairs, n600 = sizes[0], sizes[1]
    python = os.path.join(ROOT, "target", "python", "bench-venv", "bin", "python")
    out = os.path.join(workdir, "bench-python.json")
    script = os.path.join(ROOT, "bindings", "python", "bench", "bench_io.py")
    subprocess.run([python, script, out, "--records", str(n600), "--rounds", str(max(pairs, 7)),
                    "--dir", workdir], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        r = json.load(f)
    rows = []
    for kind, what in (("write", "append one call per record 600 B"), ("read", "full-scan read 600 B")):
        mbps = lambda side: r[f"{side}_{kind}_wall_MBps"] * 1e6 / r["record_bytes"]
        rows.append(summarise("python", "plain file I/O", what, r["records"], [mbps("binlog")], [mbps("plain")],
                              r[f"{kind}_wall_ratios"]))
    return rows


def machine() -> dict:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem_kib / (1 << 20), 1),
            "kernel": platform.release(), "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def rate(x: float) -> str:
    return f"{x / 1e6:8.2f} M" if x >= 1e5 else f"{x:10.0f}"


def print_table(condition: dict):
    print(f"\n== {condition['memory']} (touch {condition.get('touch_seconds', 0):.1f} s)")
    print(f"{'suite':6} {'peer':24} {'row':42} {'libbinlog/s':>11} {'peer/s':>11}  ratio median [range]   load")
    for suite in condition["suites"]:
        load = suite["load"]
        for r in suite["rows"]:
            print(f"{r['suite']:6} {r['peer']:24} {r['row']:42} {rate(r['lib_per_s']):>11} {rate(r['peer_per_s']):>11}"
                  f"  {r['ratio_median']:5.2f}x [{r['ratio_min']:.2f}-{r['ratio_max']:.2f}]"
                  f"  {load['min']:.1f}-{load['max']:.1f}  {folios(r)}")


def folios(r: dict) -> str:
    """The median share of each side's files in 2 MiB folios, if the suite
    measured it (as root)."""
    shares = [[x for x in r.get(f"{side}_2mib_folios", []) if x >= 0] for side in ("lib", "peer")]
    if not all(shares):
        return ""
    return "2 MiB folios %.0f%% / %.0f%%" % tuple(100 * statistics.median(x) for x in shares)


def markdown(path: str):
    """Prints a results file as a Markdown table: each row's median ratio,
    range and load, as found and after touching memory."""
    with open(path) as f:
        result = json.load(f)
    m = result["machine"]
    print(f"{m['date_utc']}, {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; "
          f"{result['pairs']} pairs, {result['records_600']} / {result['records_32']} records of 600 / 32 B, "
          f"{result['records_durable']} durable{' (BENCH_PEERS_QUICK)' if result['quick'] else ''}.\n")
    first, second = result["conditions"]
    print(f"| suite | peer | row | as found: ratio [range] | load | after touching: ratio [range] | load |")
    print("|---|---|---|---|---|---|---|")
    for s1, s2 in zip(first["suites"], second["suites"]):
        for r1, r2 in zip(s1["rows"], s2["rows"]):
            cells = [f"{r['ratio_median']:.2f}x [{r['ratio_min']:.2f}-{r['ratio_max']:.2f}] {folios(r)} | "
                     f"{s['load']['min']:.1f}-{s['load']['max']:.1f}" for r, s in ((r1, s1), (r2, s2))]
            print(f"| {r1['suite']} | {r1['peer']} | {r1['row']} | {cells[0]} | {cells[1]} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "bench-peers.json"))
    parser.add_argument("--markdown", metavar="JSON", help="print a results file as a Markdown table, run nothing")
    args = parser.parse_args()
    if args.markdown:
        return markdown(args.markdown)
    quick = os.environ.get("BENCH_PEERS_QUICK", "") not in ("", "0")
    sizes = QUICK if quick else FULL
    touch_gib = float(os.environ.get("BENCH_PEERS_TOUCH_GB", "3"))
    suites = os.environ.get("BENCH_PEERS_SUITES", "rust,go,java,python").split(",")
    workdir = os.path.join(ROOT, "target", "bench-peers", "work")
    os.makedirs(workdir, exist_ok=True)
    result = {"machine": machine(), "quick": quick,
              "pairs": sizes[0], "records_600": sizes[1], "records_32": sizes[2], "records_durable": sizes[3],
              "touch_gib": touch_gib, "conditions": []}
    started = time.perf_counter()
    for memory in ("as found", f"after touching {touch_gib:g} GiB"):
        condition = {"memory": memory, "suites": []}
        if memory != "as found":
            condition["touch_seconds"] = touch_memory(touch_gib)
        for name in suites:
            print(f"bench-peers: {name}, memory {memory}", file=sys.stderr, flush=True)
            with LoadSampler() as load:
                t = time.perf_counter()
                rows = run_python(sizes, workdir) if name == "python" else run_suite(name, sizes, workdir)
            condition["suites"].append({"suite": name, "seconds": time.perf_counter() - t,
                                        "load": load.summary(), "rows": rows})
        result["conditions"].append(condition)
        print_table(condition)
    result["seconds"] = time.perf_counter() - started
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nbench-peers: {result['seconds']:.0f} s, {result['machine']['cpu']}, "
          f"{result['machine']['cores']} cores; wrote {args.out}")


if __name__ == "__main__":
    main()
