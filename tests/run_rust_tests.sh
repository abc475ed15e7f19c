#!/usr/bin/env bash
# Runs the crate's Rust tests, each test binary of `cargo test
# --all-targets` of the workspace (the library and the tool, cli/; built
# here with --no-run), JOBS at a time (default 2)
# instead of one after another: many of them spend their time waiting on
# children, kills, fsyncs and a local S3 server, so two at once keep both
# CPUs of a small machine busy. Each crate's integration tests are one
# binary (tests/it, cli/tests/it), run once per module: every test of
# the module and no other, by its exact name, in a process of its own, as
# when each file was a binary. Each runs from the crate's root, as under
# cargo test, with its output kept in target/rust-tests/<name>.log (under
# CARGO_TARGET_DIR if set; in RUST_TESTS_OUT if set) and
# printed when it fails. FEATURES, if set, go to cargo test's --features
# (test-posix: libbinlog/posix-backend); TARGETS, if set, replace its
# choice of test binaries (--all-targets, or --test it for named modules),
# and may name a --target; BINLOG_TEST_RUNNER, if set, is the emulator
# each test binary runs under (`make test-cross-rust`: qemu-aarch64), as
# the tests run the children they start (tests/it/common/child.rs). The
# slowest start first (the times of the last run, in
# target/rust-tests/times.txt; on a fresh tree, SLOW_FIRST), so that none
# of them starts last and runs alone. Exits non-zero when any
# fails.
#
#   tests/run_rust_tests.sh MODULE... [-- ARG...]
# runs only those modules of tests/it, one after another (JOBS=1), their
# output printed as it comes; the ARGs go to each, as to a test binary:
# filters and --skip (by substring, unless --exact) pick among the
# module's tests, and options (--nocapture, --include-ignored, ...) are
# passed on. `cargo test --test it -- crash::` would also run log_crash's
# tests, and all modules in one process. Without MODULEs, the ARGs' filters
# pick among the tests of every module, and their options go to every
# binary.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do modules+=("$1"); shift; done
[ $# = 0 ] || shift
out=${RUST_TESTS_OUT:-${CARGO_TARGET_DIR:-target}/rust-tests}
mkdir -p "$out"

# Where the order starts on a tree that has no times yet.
SLOW_FIRST="power_loss archive_ship_kill archive_prune archive_multipart_faults writer_failing_writes
log_failed_roll archive_seal_checks archive_read log_crash power_faults_random archive_unreachable
prepared_space cli_compressed_reading archive_faults prepared_space_crash archive_follow"

# name<TAB>executable for every test-mode unit cargo built (only tests/it
# when modules are named).
if [ ${#modules[@]} = 0 ]; then
  jobs=${JOBS:-2}
  targets=${TARGETS:---all-targets}
  rm -f "$out"/*.log "$out"/*.time
else
  jobs=${JOBS:-1}
  targets=${TARGETS:---test it}
fi
# shellcheck disable=SC2086 # $targets is words
${CARGO:-cargo} test $targets ${FEATURES:+--features "$FEATURES"} --no-run --message-format=json-render-diagnostics |
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        t = m["target"]
        print("%s-%s\t%s" % (t["kind"][0], t["name"], m["executable"]))
' > "$out/binaries.tsv"

# The tests of each module of tests/it that the ARGs select (libtest lists
# them, filters, --skip and --exact applied), one line per module:
# test-<module>, the executable, then the tests' names; the other options
# are for the runs. The options taking a value are named here, so that
# their values are not taken for filters.
its=$(awk -F'\t' '$1 == "test-it" { print $2 }' "$out/binaries.tsv")
list=()
run_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --skip) list+=("$1" "$2"); shift 2 ;;
    --logfile | --test-threads | --color | --format | -Z | --shuffle-seed) run_args+=("$1" "$2"); shift 2 ;;
    --exact) list+=("$1"); shift ;;
    --ignored | --include-ignored | --exclude-should-panic) list+=("$1"); run_args+=("$1"); shift ;;
    -*) run_args+=("$1"); shift ;;
    *) list+=("$1"); shift ;;
  esac
done
# Each crate's tests/it binary (the library's and the tool's): its tests,
# those selected and all, each line after the binary and a tab.
: > "$out/it-tests.txt"
: > "$out/it-all-tests.txt"
read -ra runner <<< "${BINLOG_TEST_RUNNER-}"
for it in $its; do
  ${runner[@]+"${runner[@]}"} "$it" --list --format terse ${list[@]+"${list[@]}"} | sed "s|^|$it\t|" >> "$out/it-tests.txt"
  ${runner[@]+"${runner[@]}"} "$it" --list --format terse | sed "s|^|$it\t|" >> "$out/it-all-tests.txt"
done
python3 - "$out" ${modules[@]+"${modules[@]}"} > "$out/modules.tsv" <<'EOF'
import os, sys
out, wanted = sys.argv[1], sys.argv[2:]
def modules(listing):
    tests = {}
    for line in open(os.path.join(out, listing)):
        exe, line = line.split("\t", 1)
        if line.endswith(": test\n"):
            name = line[: -len(": test\n")]
            tests.setdefault(name.split("::", 1)[0], (exe, []))[1].append(name)
    return tests
selected, every = modules("it-tests.txt"), modules("it-all-tests.txt")
unknown = [m for m in wanted if m not in every]
if unknown:
    sys.exit("run_rust_tests: no module %s in tests/it or cli/tests/it" % ", ".join(unknown))
for m in wanted or sorted(selected):
    if m in selected:
        print("\t".join(["test-" + m, selected[m][0]] + selected[m][1]))
    else:
        print("run_rust_tests: no test of %s selected" % m, file=sys.stderr)
EOF

# The rows to run, longest first: the last run's milliseconds, else the
# SLOW_FIRST rank; named modules in the order given.
python3 - "$out" "$SLOW_FIRST" "${#modules[@]}" > "$out/order.tsv" <<'EOF'
import os, sys
out, slow, named = sys.argv[1], sys.argv[2].split(), sys.argv[3] != "0"
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "modules.tsv"))]
if not named:
    rows += [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "binaries.tsv"))
             if not l.startswith("test-it\t")]
    times = {}
    try:
        for line in open(os.path.join(out, "times.txt")):
            name, secs = line.split()
            times[name] = float(secs)
    except FileNotFoundError:
        pass
    def key(row):
        name = row[0]
        if name in times:
            return -times[name]
        short = name.split("-", 1)[1]
        return -1e9 + slow.index(short) if short in slow else 0
    rows.sort(key=key)
for row in rows:
    print("\t".join(row))
EOF

# Row $1 of order.tsv: its name, its executable, and the exact names of
# its tests (none for a binary run whole); the options of the ARGs follow.
run_one() {
  local row name exe start status=0 runner
  row=$(sed -n "$1p" "$out/order.tsv")
  shift
  IFS=$'\t' read -ra row <<< "$row"
  name=${row[0]} exe=${row[1]}
  read -ra runner <<< "${BINLOG_TEST_RUNNER-}"
  local log="$out/$name.log" cmd=(${runner[@]+"${runner[@]}"} "$exe")
  [ ${#row[@]} = 2 ] || cmd+=(--exact "${row[@]:2}")
  start=$(date +%s%N)
  if [ "$named" = 1 ]; then
    "${cmd[@]}" "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
  else
    "${cmd[@]}" "$@" > "$log" 2>&1 || status=$?
  fi
  echo "$name $(( ($(date +%s%N) - start) / 1000000 ))" > "$out/$name.time"
  if [ "$status" = 0 ]; then
    echo "ok $name: $(grep -h '^test result:' "$log" | tail -n 1)"
  else
    echo "FAILED $name (exit $status): its output follows"
    [ "$named" = 1 ] || cat "$log"
    echo "FAILED $name (exit $status): its output is above, and in $log"
    return 1
  fi
}
named=$([ ${#modules[@]} = 0 ] && echo 0 || echo 1)
export -f run_one
export out named

status=0
count=$(wc -l < "$out/order.tsv")
seq 1 "$count" |
  xargs -I{} -P "$jobs" bash -c 'run_one "$@"' _ {} ${run_args[@]+"${run_args[@]}"} || status=$?
if [ "$named" = 0 ]; then
  cat "$out"/*.time > "$out/times.txt" 2>/dev/null || true
fi
if [ "$status" = 0 ]; then
  echo "run_rust_tests: $count test binaries and modules passed"
else
  echo "run_rust_tests: a test binary or module failed (see FAILED above)"
fi
exit "$status"
