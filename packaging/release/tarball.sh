#!/usr/bin/env bash
# packaging/release/tarball.sh DIR NAME OUT EPOCH: DIR's files as NAME/...
# in the gzip'd tar OUT, made the same from the same files: names sorted,
# every time EPOCH (seconds since 1970), owner and group 0, no name or time
# in the gzip header.
set -euo pipefail
dir=$1 name=$2 out=$3 epoch=$4
mkdir -p "$(dirname "$out")"
tar -C "$dir" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  --format=gnu --transform="s,^\.,$name," -cf - . | gzip -9n > "$out"
echo "$out: $(tar -tzf "$out" | grep -vc '/$') files"
