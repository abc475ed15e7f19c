#!/usr/bin/env bash
# tests/lean/no_network_code.sh LIBRARY [absent|present]: whether LIBRARY
# (an unstripped libbinlog.so or libbinlog.a) holds code of the archive
# tier's network crates, by its symbols (demangled) and its strings (a
# crate's panic locations name its source path, `tokio-1.x/src/...`).
# "absent" (the default, for the lean library) fails on any; "present"
# (the full library: the check's control) fails on none.
set -euo pipefail
lib=$1
want=${2:-absent}
[[ -f $lib ]] || { echo "no-network-code: no $lib" >&2; exit 1; }
crates='tokio|hyper|hyper_util|h2|rustls|ring|object_store|reqwest|http'
# A crate's name as a path's first segment (`tokio::`) or a source
# directory (`ring-0.17.14/`), never inside another word (`String::`).
pattern="(^|[^A-Za-z0-9_])($crates)(::|-[0-9]+\.[0-9]+\.[0-9]+/)"
found=$({ nm -C "$lib" 2>/dev/null || true; strings -a "$lib"; } |
  { grep -Eo "$pattern" || true; } | sed -E 's/^[^a-z]//; s/(::|-[0-9.]+\/)$//' | sort | uniq -c | sort -rn)
case $want in
  absent)
    [[ -z $found ]] || { echo "no-network-code: $lib holds network crates' code (count, crate):"; echo "$found"; exit 1; } >&2
    echo "no-network-code: $lib holds no symbol or string of: ${crates//|/, }" ;;
  present)
    [[ -n $found ]] || { echo "no-network-code: found nothing in $lib, which has the archive tier: the check is blind" >&2; exit 1; }
    echo "no-network-code: $lib (with the archive tier) holds them, as the check expects: $(echo $found | head -c 200)" ;;
  *) echo "usage: $0 LIBRARY [absent|present]" >&2; exit 2 ;;
esac
