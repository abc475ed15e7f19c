#!/bin/sh
# `install-dirs.sh MANIFEST DIR...`: makes each DIR (with its parents) and
# appends to MANIFEST every directory that did not exist before, so that
# `make uninstall` removes the directories `make install` made and no other
# (a prefix's existing lib/ or bin/ stays).
set -eu
manifest=$1
shift
for dir in "$@"; do
  missing=
  d=$dir
  while [ ! -d "$d" ]; do
    missing="$d
$missing"
    d=$(dirname "$d")
  done
  mkdir -p "$dir"
  printf '%s' "$missing" >> "$manifest"
done
