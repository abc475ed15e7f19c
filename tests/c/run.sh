#!/bin/sh
# Builds and runs the C tests named as arguments (tests/c/NAME.c), two at a
# time: each built with ASan + UBSan and run (leaks included), then, when
# C_VALGRIND is 1, built plain and run under valgrind's memcheck. A test's
# output goes to $BUILD/tests/NAME.log, printed when it fails; the run fails
# when any test does. From the Makefile's run-c-tests, which sets CC,
# CFLAGS, SANITIZE, LDLIBS, BUILD, C_VALGRIND and TMPDIR.
set -eu
if [ "${1:-}" != --one ]; then
  mkdir -p "$BUILD/tests"
  printf '%s\n' "$@" | xargs -n 1 -P 2 "$0" --one
  echo "C tests: $# passed under ASan + UBSan$([ "$C_VALGRIND" = 1 ] && echo ' and valgrind')"
  exit
fi
t=$2
o=$BUILD/tests/$(basename "$t")
# Chained with && (a function run as an `if` condition or beside || runs
# with set -e ignored).
run() {
  # shellcheck disable=SC2086 # CFLAGS, SANITIZE and LDLIBS are word lists
  $CC $CFLAGS $SANITIZE -o "$o.asan" "tests/c/$t.c" $LDLIBS &&
    echo "== $t (ASan+UBSan)" &&
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$o.asan" || return
  [ "$C_VALGRIND" = 1 ] || return 0
  # shellcheck disable=SC2086
  $CC $CFLAGS -o "$o" "tests/c/$t.c" $LDLIBS &&
    echo "== $t (valgrind)" &&
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      --suppressions=tests/c/valgrind.supp "$o"
}
if ! run > "$o.log" 2>&1; then
  cat "$o.log"
  echo "== $t: FAILED (log: $o.log)"
  exit 255 # xargs stops starting tests and fails
fi
