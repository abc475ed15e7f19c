#!/usr/bin/env bash
# Prints what failed in a `make test` log, last and short: a run's record
# often keeps only its last lines, and the group that failed may have
# printed long before the other ended. The lines are the test runners' own
# failure lines (cargo test, run_rust_tests.sh, pytest, go test, JUnit,
# valgrind, make), each cut to 200 characters, the last 20 of them.
log=${1:?usage: what_failed.sh MAKE_TEST_LOG}
pattern='^FAILED |^---- .* ----$|panicked at|^test .* FAILED$|^error(\[|:)|^--- FAIL|^FAIL[[:space:]]|'
pattern+='AssertionError|Exception in|Tests run:.*Failures: [1-9]|ERROR SUMMARY: [1-9]|\*\*\* \['
echo "make test failed; the lines that say what, from $log:"
grep -E -A1 "$pattern" "$log" | grep -v '^--$' | cut -c1-200 | tail -n 20
