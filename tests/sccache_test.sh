#!/bin/sh
# tests/sccache_test.sh: what tests/sccache.sh hands the compiler, with a
# stand-in for sccache that prints the OUT_DIR it was given. Equal
# generated sources at two paths get one path; different ones, or one
# changed, get another; a C compiler's run, a large directory and one with
# a symbolic link keep their own; rustc's runs lose CARGO_TARGET_DIR.
set -eu
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
printf '#!/bin/sh\nprintf "%%s\\n" "$OUT_DIR"\n' > "$t/fake-sccache"; chmod +x "$t/fake-sccache"
export SCCACHE_BIN="$t/fake-sccache" BINLOG_OUT_DIRS="$t/store"
wrap() { OUT_DIR=$1 tests/sccache.sh rustc --crate-name x lib.rs; }
fail() { echo "sccache_test: $*" >&2; exit 1; }

mkdir -p "$t/a/out" "$t/b/out" "$t/c/out" "$t/big/out" "$t/link/out"
for d in a b; do printf 'pub mod m {}\n' > "$t/$d/out/private.rs"; done
printf 'pub mod n {}\n' > "$t/c/out/private.rs"
a=$(wrap "$t/a/out"); b=$(wrap "$t/b/out"); c=$(wrap "$t/c/out")
case $a in "$t/store/"*) ;; *) fail "equal sources not moved into the store: $a";; esac
[ "$a" = "$b" ] || fail "equal sources at two paths got two: $a $b"
[ "$a" != "$c" ] || fail "different sources got one path: $a"
cmp -s "$a/private.rs" "$t/a/out/private.rs" || fail "the copy differs from its source"
printf 'pub mod changed {}\n' > "$t/b/out/private.rs"
[ "$(wrap "$t/b/out")" != "$a" ] || fail "a changed source kept its old copy"
cmp -s "$a/private.rs" "$t/a/out/private.rs" || fail "a copy changed after it was named"

[ "$(OUT_DIR=$t/a/out tests/sccache.sh cc -c x.c)" = "$t/a/out" ] || fail "a C compiler's run was changed"
head -c 1200000 /dev/zero > "$t/big/out/objects.o"
[ "$(wrap "$t/big/out")" = "$t/big/out" ] || fail "a large directory was copied"
ln -s private.rs "$t/link/out/l.rs"; printf 'x\n' > "$t/link/out/private.rs"
[ "$(wrap "$t/link/out")" = "$t/link/out" ] || fail "a directory with a link was copied"
printf '#!/bin/sh\nprintf "%%s\\n" "${CARGO_TARGET_DIR-unset}"\n' > "$t/env-sccache"; chmod +x "$t/env-sccache"
[ "$(CARGO_TARGET_DIR=$t SCCACHE_BIN=$t/env-sccache wrap "$t/a/out")" = unset ] ||
  fail "rustc's run kept CARGO_TARGET_DIR, which sccache's key holds"
[ "$(CARGO_TARGET_DIR=$t SCCACHE_BIN=$t/env-sccache tests/sccache.sh cc -c x.c)" = "$t" ] ||
  fail "a C compiler's run lost CARGO_TARGET_DIR"
echo "sccache_test: generated sources named by their contents, CARGO_TARGET_DIR left out, nothing else changed"
