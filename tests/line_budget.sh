#!/bin/sh
# The line budget (`make test` runs it as `make line-budget`): fails when
# the library's Rust sources (every .rs under src/, its inline tests and
# the tool included) or the bindings' main code pass their budget. The
# budgets are in the Makefile (SRC_LINE_BUDGET, BINDINGS_LINE_BUDGET);
# raising one is a decision, said in its commit message.
#
# The bindings' main code: Java's main sources and its JNI C, Go's
# non-test files, Python's package and its C extension.
set -eu
src_budget=$1
bindings_budget=$2
cd "$(dirname "$0")/.."
count() { if [ -n "$1" ]; then printf '%s\n' $1 | xargs cat | wc -l; else echo 0; fi; }
src=$(count "$(find src -name '*.rs')")
java=$(count "$(find bindings/java/src/main -name '*.java')")
jni=$(count "$(find bindings/java/src/main -name '*.c' -o -name '*.h' | grep /main/)")
go=$(count "$(find bindings/go -name '*.go' ! -name '*_test.go')")
py=$(count "$(find bindings/python/src bindings/python/csrc -name '*.py' -o -name '*.c' -o -name '*.h')")
bindings=$((java + jni + go + py))
echo "src/: $src lines (budget $src_budget)"
echo "bindings' main code: $bindings lines (budget $bindings_budget):" \
  "Java $java, JNI C $jni, Go $go, Python $py"
status=0
if [ "$src" -gt "$src_budget" ]; then
  echo "src/ is $((src - src_budget)) lines over its budget: merge or cut before adding"; status=1
fi
if [ "$bindings" -gt "$bindings_budget" ]; then
  echo "the bindings are $((bindings - bindings_budget)) lines over their budget"; status=1
fi
exit $status
