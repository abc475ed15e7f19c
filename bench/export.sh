#!/bin/sh
# `binlog export --to parquet` against the way to Parquet without it:
# `binlog cat --json` piped into DuckDB's `COPY (SELECT * FROM
# read_json(...)) TO '...parquet'` (DuckDB's Python API, from the
# virtual environment `make analytics-tools` makes), on a log of N
# records (1,000,000 unless given) of about 200 B protobuf
# (examples/make_export_bench_log.rs). ROUNDS interleaved pairs (7
# unless given), the order alternated; the median wall time of each, the
# ratio of the medians, the files' sizes and their ratio, and the CPU,
# printed and written to DIR/bench-export.json. In the same rounds, on
# the same log: `binlog cat --decode` and `cat --json --decode` against
# `cat --json` (records/s, output to /dev/null). Built by `make
# bench-export` first (release binaries in target/release).
#
#   bench/export.sh PYTHON DIR [ROUNDS (7)] [N (1000000)]
set -eu
[ $# -ge 2 ] || { sed -n '2,14p' "$0"; exit 2; }
python=$1 dir=$2 rounds=${3:-7} n=${4:-1000000}
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS: a number of at least 1, not '$rounds'" >&2; exit 2 ;; esac
bin=target/release/binlog
rm -rf "$dir" && mkdir -p "$dir"
target/release/examples/make_export_bench_log "$dir/log" "$n"

ours() {
    "$bin" export "$dir/log" --to parquet --out "$dir/ours" --force >/dev/null
}
duckdb_copy() {
    "$bin" cat "$dir/log" --json | "$python" -c '
import duckdb, sys
duckdb.sql("SET enable_progress_bar = false")
duckdb.sql("COPY (SELECT * FROM read_json(\x27/dev/stdin\x27, format = \x27newline_delimited\x27)) TO \x27" + sys.argv[1] + "\x27 (FORMAT parquet)")
' "$dir/duckdb.parquet"
}
cat_json() { "$bin" cat "$dir/log" --json >/dev/null; }
cat_decode() { "$bin" cat "$dir/log" --decode >/dev/null; }
cat_json_decode() { "$bin" cat "$dir/log" --json --decode >/dev/null; }
# Wall nanoseconds of one run of $1.
timed() {
    t0=$(date +%s%N)
    "$1"
    echo $(($(date +%s%N) - t0))
}

: >"$dir/times"
i=0
while [ "$i" -lt "$rounds" ]; do
    if [ $((i % 2)) = 0 ]; then
        echo "ours $(timed ours)" >>"$dir/times"
        echo "duckdb $(timed duckdb_copy)" >>"$dir/times"
    else
        echo "duckdb $(timed duckdb_copy)" >>"$dir/times"
        echo "ours $(timed ours)" >>"$dir/times"
    fi
    for c in cat_json cat_decode cat_json_decode; do echo "$c $(timed $c)" >>"$dir/times"; done
    i=$((i + 1))
done
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
"$python" - "$dir" "$n" "$cpu" <<'PY'
import json, os, statistics, sys
d, n, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = {"ours": [], "duckdb": [], "cat_json": [], "cat_decode": [], "cat_json_decode": []}
for line in open(os.path.join(d, "times")):
    who, ns = line.split()
    times[who].append(int(ns) / 1e9)
ours, duck = statistics.median(times["ours"]), statistics.median(times["duckdb"])
size_ours = sum(os.path.getsize(os.path.join(d, "ours", f)) for f in os.listdir(os.path.join(d, "ours")))
size_duck = os.path.getsize(os.path.join(d, "duckdb.parquet"))
result = {
    "cpu": cpu, "records": n, "rounds": len(times["ours"]),
    "export_s": ours, "cat_json_duckdb_s": duck, "times_faster": duck / ours,
    "cat_json_s": statistics.median(times["cat_json"]),
    "decode_records_per_s_ratio": statistics.median(times["cat_json"]) / statistics.median(times["cat_decode"]),
    "json_decode_records_per_s_ratio": statistics.median(times["cat_json"]) / statistics.median(times["cat_json_decode"]),
    "export_bytes": size_ours, "duckdb_bytes": size_duck, "size_ratio": size_ours / size_duck,
}
print(f"CPU: {cpu}")
print(f"{n} records, {result['rounds']} interleaved pairs, medians:")
print(f"  binlog export --to parquet:            {ours:.2f} s, {size_ours / 1e6:.1f} MB")
print(f"  binlog cat --json | duckdb COPY:       {duck:.2f} s, {size_duck / 1e6:.1f} MB")
print(f"  export is {duck / ours:.2f}x faster; its file is {size_ours / size_duck:.2f}x DuckDB's")
print(f"  records/s of cat --decode: {result['decode_records_per_s_ratio']:.2f}x cat --json's; "
      f"of cat --json --decode: {result['json_decode_records_per_s_ratio']:.2f}x")
with open(os.path.join(d, "bench-export.json"), "w") as f:
    json.dump(result, f, indent=1)
PY
