#!/bin/sh
# The C ABI's reads compared (docs/PERFORMANCE.md, "Reads, CPU a record"):
# one call a record, `_next_batch` and `_next_mapped`, on a sealed segment
# of 1,000,000 records of 32 B and one of 200,000 of 600 B, through the
# libbinlog.so that read_calls is linked with.
#   - instructions a record: one run of each under callgrind
#     (`BINLOG_TSC=0`: the clock read as every C caller's, not the TSC);
#   - thread CPU a record: ROUNDS rounds of the three, the order rotated
#     each round; the medians, and the median of each round's ratio of a
#     batch call to one call.
#
#   bench/read_calls.sh READ_CALLS DIR [ROUNDS (7)]
set -eu
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
bin=$1 dir=$2 rounds_n=${3:-7}
case $rounds_n in '' | *[!0-9]* | 0) echo "ROUNDS: a number of at least 1, not '$rounds_n'" >&2; exit 2 ;; esac
mkdir -p "$dir"
for size in 32 600; do
    n=$([ "$size" = 32 ] && echo 1000000 || echo 200000)
    seg=$dir/seg-$size.binlog
    "$bin" 0 "$size" "$n" "$seg" >/dev/null
    for mode in 0 1 2; do
        out=$dir/callgrind.$size.$mode
        BINLOG_TSC=0 valgrind -q --tool=callgrind --callgrind-out-file="$out" \
            --collect-atstart=no --toggle-collect=read_all "$bin" "$mode" "$size" "$n" "$seg" >/dev/null
        ir=$(sed -n 's/^summary: //p;s/^totals: //p' "$out" | head -1)
        echo "$size B mode $mode: $(awk "BEGIN { printf \"%.1f\", $ir / $n }") instructions a record"
    done
    rounds=$dir/rounds.$size
    : >"$rounds"
    i=0
    while [ "$i" -lt "$rounds_n" ]; do
        for mode in $(echo "0 1 2 0 1" | cut -d' ' -f$((i % 3 + 1))-$((i % 3 + 3))); do
            ns=$("$bin" "$mode" "$size" "$n" "$seg")
            printf '%s %s ' "$mode" "$ns" >>"$rounds"
        done
        echo >>"$rounds"
        i=$((i + 1))
    done
    python3 - "$size" "$rounds" <<'PY'
import statistics as st, sys
lines = open(sys.argv[2]).read().split("\n")
rounds = [dict(zip(map(int, l.split()[0::2]), map(float, l.split()[1::2]))) for l in lines if l]
ns = [st.median(r[m] for r in rounds) for m in range(3)]
ratio = [st.median(r[m] / r[0] for r in rounds) for m in (1, 2)]
print("%s B thread CPU a record, medians of %d rounds: one call %.2f ns, batch %.2f, mapped %.2f; "
      "batch / one call %.3f, mapped / one call %.3f" % (sys.argv[1], len(rounds), *ns, *ratio))
PY
done
