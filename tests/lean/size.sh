#!/usr/bin/env bash
# tests/lean/size.sh LIBRARY MAX_BYTES: LIBRARY (a libbinlog.so or .a as
# built, with its debug information) is at most MAX_BYTES once stripped as
# `make install` strips it (a .so `--strip-unneeded`, a .a
# `--strip-debug`). docs/INSTALL.md's sizes table holds the targets.
set -euo pipefail
lib=$1 max=$2
[[ -f $lib ]] || { echo "size: no $lib" >&2; exit 1; }
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
case $lib in
  *.so) strip --strip-unneeded -o "$stripped" "$lib" ;;
  *.a) strip --strip-debug -o "$stripped" "$lib" ;;
  *) echo "size: $lib is neither a .so nor a .a" >&2; exit 1 ;;
esac
size=$(stat -c %s "$stripped")
[[ $size -le $max ]] || { echo "size: $lib is $size bytes stripped, over its $max" >&2; exit 1; }
echo "size: $lib is $size bytes stripped (at most $max)"
