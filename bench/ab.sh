#!/bin/sh
# A/B of two builds of libbinlog.so with ONE bench binary (docs/PERFORMANCE.md,
# "How to measure on a noisy 2-core host"): runs `BENCH_ONLY=FIGURES bench`
# against each library directory in turn through LD_LIBRARY_PATH, PAIRS
# times, alternating which goes first, and prints per figure each side's
# median and B/A pair by pair, with the load average at each run (a figure
# with a baseline shows its ratio; `details` their values).
#
#   bench/ab.sh LIB_DIR_A LIB_DIR_B [PAIRS (7)] [FIGURES (a)] [BENCH (target/c/bench/bench)]
#
# Each LIB_DIR holds a libbinlog.so (and libbinlog.so.0, made here if
# missing), e.g. `cp target/release/libbinlog.so /tmp/lib-main/` before a
# change. Extra environment (BENCH_BUFFER_KIB, ...) passes through to both.
set -eu
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
a=$(cd "$1" && pwd) b=$(cd "$2" && pwd)
pairs=${3:-7} figures=${4:-a} bench=${5:-target/c/bench/bench}
out=$(mktemp -d "${TMPDIR:-/tmp}/bench-ab.XXXXXX")
for d in "$a" "$b"; do
    [ -e "$d/libbinlog.so.0" ] || ln -s libbinlog.so "$d/libbinlog.so.0"
done

run() { # side lib_dir pair
    load=$(cut -d' ' -f1 /proc/loadavg)
    LD_LIBRARY_PATH=$2 BENCH_ONLY=$figures "$bench" "$out/$1-$3.json" >/dev/null
    echo "$1 $3 $load" >>"$out/loads"
}
i=1
while [ "$i" -le "$pairs" ]; do
    if [ $((i % 2)) -eq 1 ]; then run A "$a" "$i"; run B "$b" "$i"; else run B "$b" "$i"; run A "$a" "$i"; fi
    i=$((i + 1))
done

python3 - "$out" "$pairs" "$a" "$b" <<'EOF'
import json, statistics as st, sys
out, pairs, a, b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
loads = {}
for line in open(out + "/loads"):
    side, i, load = line.split()
    loads[side, int(i)] = load
def values(side, i):
    d = json.load(open(f"{out}/{side}-{i}.json"))
    v = {k: f.get("ratio") if f.get("ratio") is not None else f["value"] for k, f in d["figures"].items()}
    v.update(d["details"])
    return v
runs = {s: [values(s, i) for i in range(1, pairs + 1)] for s in "AB"}
print(f"A = {a}\nB = {b}\n{pairs} pairs; load at each run (A, B): "
      + ", ".join(f"{loads['A', i]}/{loads['B', i]}" for i in range(1, pairs + 1)))
for k in runs["A"][0]:
    if not all(isinstance(r.get(k), (int, float)) for s in "AB" for r in runs[s]):
        continue
    va, vb = [r[k] for r in runs["A"]], [r[k] for r in runs["B"]]
    per_pair = [y / x for x, y in zip(va, vb) if x]
    print(f"{k:34s} A {st.median(va):10.3f}  B {st.median(vb):10.3f}  B/A pair by pair: median "
          f"{st.median(per_pair) if per_pair else float('nan'):.3f}, "
          f"{sum(p > 1 for p in per_pair)} of {len(per_pair)} above 1")
EOF
rm -r "$out"
