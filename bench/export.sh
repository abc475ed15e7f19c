#!/bin/sh
# `binlog export --to parquet` against the ways to Parquet without it:
# `binlog cat --json`, and `binlog cat --decode --json`, piped into
# DuckDB's `COPY (SELECT * FROM read_json(...)) TO '...parquet'`
# (DuckDB's Python API, from the virtual environment `make
# analytics-tools` makes), on a log of N records (1,000,000 unless given)
# of about 200 B protobuf (examples/make_export_bench_log.rs), of each
# message kind: its time a google.protobuf.Timestamp (`timestamp`), and
# an int64 (`int64`). ROUNDS rounds (7 unless given) of each kind, the
# order of the three alternated; the median wall time of each, the ratios
# of the medians, the files' sizes and their ratio, and the CPU, printed
# and written to DIR/bench-export.json. In the same rounds, on the same
# log: `binlog cat --decode` and `cat --json --decode` against `cat
# --json` (records/s, output to /dev/null). Built by `make bench-export`
# first (release binaries in target/release).
#
#   bench/export.sh PYTHON DIR [ROUNDS (7)] [N (1000000)]
set -eu
[ $# -ge 2 ] || { sed -n '2,17p' "$0"; exit 2; }
python=$1 dir=$2 rounds=${3:-7} n=${4:-1000000}
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS: a number of at least 1, not '$rounds'" >&2; exit 2 ;; esac
bin=target/release/binlog
rm -rf "$dir" && mkdir -p "$dir"

ours() {
    "$bin" export "$log" --to parquet --out "$out/ours" --force >/dev/null
}
# `binlog cat $@ --json` into DuckDB's COPY, to $out/$1.parquet.
duckdb_copy() {
    name=$1
    shift
    "$bin" cat "$log" "$@" --json | "$python" -c '
import duckdb, sys
duckdb.sql("SET enable_progress_bar = false")
duckdb.sql("COPY (SELECT * FROM read_json(\x27/dev/stdin\x27, format = \x27newline_delimited\x27)) TO \x27" + sys.argv[1] + "\x27 (FORMAT parquet)")
' "$out/$name.parquet"
}
duckdb() { duckdb_copy duckdb; }
duckdb_decoded() { duckdb_copy duckdb_decoded --decode; }
cat_json() { "$bin" cat "$log" --json >/dev/null; }
cat_decode() { "$bin" cat "$log" --decode >/dev/null; }
cat_json_decode() { "$bin" cat "$log" --json --decode >/dev/null; }
# Wall nanoseconds of one run of $1, appended to $out/times.
timed() {
    t0=$(date +%s%N)
    "$1"
    echo "$1 $(($(date +%s%N) - t0))" >>"$out/times"
}

for kind in timestamp int64; do
    out=$dir/$kind log=$dir/$kind/log
    mkdir -p "$out" && : >"$out/times"
    target/release/examples/make_export_bench_log "$log" "$n" "$kind"
    i=0
    while [ "$i" -lt "$rounds" ]; do
        case $((i % 3)) in
        0) order="ours duckdb duckdb_decoded" ;;
        1) order="duckdb duckdb_decoded ours" ;;
        *) order="duckdb_decoded ours duckdb" ;;
        esac
        for c in $order cat_json cat_decode cat_json_decode; do timed "$c"; done
        i=$((i + 1))
    done
done
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
"$python" - "$dir" "$n" "$cpu" <<'PY'
import json, os, statistics, sys
d, n, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3]
result = {"cpu": cpu, "records": n}
print(f"CPU: {cpu}")
for kind in ("timestamp", "int64"):
    out = os.path.join(d, kind)
    times = {}
    for line in open(os.path.join(out, "times")):
        who, ns = line.split()
        times.setdefault(who, []).append(int(ns) / 1e9)
    m = {who: statistics.median(t) for who, t in times.items()}
    size = lambda f: os.path.getsize(os.path.join(out, f))
    size_ours = sum(size(os.path.join("ours", f)) for f in os.listdir(os.path.join(out, "ours")))
    size_duck = size("duckdb.parquet")
    r = result[kind] = {
        "rounds": len(times["ours"]),
        "export_s": m["ours"], "cat_json_duckdb_s": m["duckdb"],
        "cat_decode_json_duckdb_s": m["duckdb_decoded"],
        "times_faster": m["duckdb"] / m["ours"],
        "times_faster_than_decoded": m["duckdb_decoded"] / m["ours"],
        "cat_json_s": m["cat_json"], "cat_decode_s": m["cat_decode"],
        "cat_json_decode_s": m["cat_json_decode"],
        "decode_records_per_s_ratio": m["cat_json"] / m["cat_decode"],
        "json_decode_records_per_s_ratio": m["cat_json"] / m["cat_json_decode"],
        "export_bytes": size_ours, "duckdb_bytes": size_duck, "size_ratio": size_ours / size_duck,
    }
    label = {"timestamp": "a google.protobuf.Timestamp", "int64": "an int64"}[kind]
    print(f"{n} records, their time {label}: {r['rounds']} rounds, medians:")
    print(f"  binlog export --to parquet:                 {m['ours']:.2f} s, {size_ours / 1e6:.1f} MB")
    print(f"  binlog cat --json | duckdb COPY:            {m['duckdb']:.2f} s, {size_duck / 1e6:.1f} MB")
    print(f"  binlog cat --decode --json | duckdb COPY:   {m['duckdb_decoded']:.2f} s")
    print(f"  export is {r['times_faster']:.2f}x faster than the first, {r['times_faster_than_decoded']:.2f}x than the second; "
          f"its file is {r['size_ratio']:.2f}x DuckDB's")
    print(f"  records/s of cat --decode: {r['decode_records_per_s_ratio']:.2f}x cat --json's; "
          f"of cat --json --decode: {r['json_decode_records_per_s_ratio']:.2f}x")
with open(os.path.join(d, "bench-export.json"), "w") as f:
    json.dump(result, f, indent=1)
PY
