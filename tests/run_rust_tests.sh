#!/usr/bin/env bash
# Runs the crate's test binaries (`cargo test --all-targets`'s, built here
# with --no-run) JOBS at a time (default 2) instead of one after another:
# many of them spend their time waiting on children, kills, fsyncs and a
# local S3 server, so two at once keep both CPUs of a small machine busy.
# Each binary runs from the crate's root, as under cargo test, with its
# output kept in target/rust-tests/<target>.log and printed when it fails.
# The slowest binaries start first (the times of the last run, in
# target/rust-tests/times.txt; on a fresh tree, SLOW_FIRST), so that none
# of them starts last and runs alone. Extra arguments go to every binary
# (e.g. `-- --test-threads 1`). Exits non-zero when any binary fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
out=target/rust-tests
mkdir -p "$out"
rm -f "$out"/*.log "$out"/*.time

# Where the order starts on a tree that has no times yet.
SLOW_FIRST="power_loss archive_ship_kill archive_prune archive_multipart_faults writer_failing_writes
log_failed_roll archive_seal_checks archive_read log_crash power_faults_random archive_unreachable
prepared_space cli_compressed_reading archive_faults prepared_space_crash archive_follow"

# name<TAB>executable for every test-mode unit cargo built.
${CARGO:-cargo} test --all-targets --no-run --message-format=json-render-diagnostics |
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        t = m["target"]
        print("%s-%s\t%s" % (t["kind"][0], t["name"], m["executable"]))
' > "$out/binaries.tsv"

# Longest first: the last run's milliseconds, else the SLOW_FIRST rank.
python3 - "$out" "$SLOW_FIRST" > "$out/order.tsv" <<'EOF'
import os, sys
out, slow = sys.argv[1], sys.argv[2].split()
times = {}
try:
    for line in open(os.path.join(out, "times.txt")):
        name, secs = line.split()
        times[name] = float(secs)
except FileNotFoundError:
    pass
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "binaries.tsv"))]
def key(row):
    name = row[0]
    if name in times:
        return -times[name]
    short = name.split("-", 1)[1]
    return -1e9 + slow.index(short) if short in slow else 0
for row in sorted(rows, key=key):
    print("\t".join(row))
EOF

run_one() {
  local name=$1 exe=$2 start status=0
  start=$(date +%s%N)
  "$exe" > "$out/$name.log" 2>&1 || status=$?
  echo "$name $(( ($(date +%s%N) - start) / 1000000 ))" > "$out/$name.time"
  if [ "$status" = 0 ]; then
    echo "ok $name: $(grep -h '^test result:' "$out/$name.log" | tail -n 1)"
  else
    echo "FAILED $name (exit $status): its output follows"
    cat "$out/$name.log"
    echo "FAILED $name (exit $status): its output is above, and in $out/$name.log"
    return 1
  fi
}
export -f run_one
export out

status=0
tr '\t' '\n' < "$out/order.tsv" |
  xargs -d '\n' -n 2 -P "$jobs" bash -c 'run_one "$@"' _ || status=$?
cat "$out"/*.time > "$out/times.txt" 2>/dev/null || true
count=$(wc -l < "$out/binaries.tsv")
if [ "$status" = 0 ]; then
  echo "run_rust_tests: $count test binaries passed"
else
  echo "run_rust_tests: a test binary failed (see FAILED above)"
fi
exit "$status"
