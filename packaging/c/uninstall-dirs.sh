#!/bin/sh
# `uninstall-dirs.sh MANIFEST`: removes the directories install-dirs.sh
# recorded, deepest first, each only if it is empty (a file someone else
# put there keeps it), then the manifest. Without a manifest (the build
# tree was cleaned since) it removes nothing.
set -eu
manifest=$1
[ -f "$manifest" ] || exit 0
sort -u "$manifest" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- |
  while IFS= read -r dir; do
    [ -n "$dir" ] && rmdir "$dir" 2>/dev/null || true
  done
rm -f "$manifest"
