#!/usr/bin/env bash
# `make test-go-consumer`: the Go binding as another module uses it.
#  1. `make install` of libbinlog into a prefix under target/consumer-go;
#  2. this module, copied out of the tree, requires
#     github.com/libbinlog/libbinlog/bindings/go through a replace
#     directive naming the repository's bindings/go (the stand-in for
#     `go get ...@bindings/go/vX.Y.Z`), with no network (GOPROXY=off);
#  3. `go mod vendor`, then `go vet` and `go build -race` from the vendor
#     directory: cgo finds binlog.h and libbinlog through pkg-config
#     (PKG_CONFIG_PATH=<libdir>/pkgconfig) and nothing in this tree; the
#     rpath of a non-system prefix comes from CGO_LDFLAGS;
#  4. the program runs (race detector on) and loads the installed library.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$root/target/consumer-go
prefix=$work/prefix
libdir=$prefix/lib
GO=${GO:-go}
fail() { echo "test-go-consumer: $*" >&2; exit 1; }
unset MAKEFLAGS MFLAGS MAKELEVEL LIBDIR INCLUDEDIR BINDIR MANDIR

rm -rf "$work"
mkdir -p "$work/data"

# 1. Install.
make --no-print-directory -C "$root" install PREFIX="$prefix" LIBDIR="$libdir" DESTDIR= >/dev/null

# 2. The module, out of the tree.
app=$work/app
mkdir -p "$app"
cp "$root/tests/consumer/go/go.mod" "$root/tests/consumer/go/main.go" "$app/"
cd "$app"
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=1
"$GO" mod edit -replace "github.com/libbinlog/libbinlog/bindings/go=$root/bindings/go"
"$GO" mod tidy

# 3. Vendor and build against the installed files alone.
"$GO" mod vendor
[[ -f vendor/github.com/libbinlog/libbinlog/bindings/go/binlog.go ]] || fail "go mod vendor did not copy the binding"
export GOFLAGS=-mod=vendor PKG_CONFIG_PATH=$libdir/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$libdir"
"$GO" vet ./...
"$GO" build -race -o consumer .
runpath=$(readelf -d consumer | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[[ $runpath == "$libdir" ]] || fail "the consumer's RUNPATH is '$runpath', not $libdir alone"
! grep -qaF -e "$root/target/release" -e "$root/include" consumer || fail "the consumer names a directory of the build tree"
loaded=$(env -u LD_LIBRARY_PATH ldd ./consumer | awk '/libbinlog/ {print $3}')
[[ $loaded == "$libdir/libbinlog.so.0" ]] || fail "the consumer loads libbinlog from '$loaded', not $libdir"

# 4. Run.
out=$(env -u LD_LIBRARY_PATH ./consumer "$work/data") || fail "the consumer failed: $out"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
[[ $out == "consumer ok: libbinlog $version" ]] || fail "the consumer printed: $out"
echo "$out"
echo "test-go-consumer: a module outside the tree, vendored, built under -race against the installed libbinlog and run"
