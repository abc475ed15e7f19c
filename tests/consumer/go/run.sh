#!/usr/bin/env bash
# `make test-go-consumer`: the Go binding as another module uses it.
#  1. the install lines of bindings/go/README.md, as written: `make` and
#     `make install` of libbinlog into a prefix under target/consumer-go,
#     then in a module copied out of the tree a replace directive naming
#     this checkout's bindings/go, `go mod tidy` and `go build -tags
#     binlog_use_pkgconfig`, with no network (GOPROXY=off);
#  2. `go mod vendor`, then `go vet` and `go build -race` from the vendor
#     directory, with the same tag: cgo finds binlog.h and libbinlog through pkg-config
#     (PKG_CONFIG_PATH=<libdir>/pkgconfig) and nothing in this tree; the
#     rpath of a non-system prefix comes from CGO_LDFLAGS;
#  3. the program runs (race detector on) and loads the installed library.
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

# 1-2. The lines of bindings/go/README.md's "Install", as written, with this
#    checkout for ~/src/libbinlog, a prefix under target/ for /usr/local and
#    a module of its own for ~/src/myapp, run without sudo; a prefix
#    pkg-config does not search needs PKG_CONFIG_PATH and an rpath (the
#    README says so).
app=$work/app
mkdir -p "$app"
cp "$root/tests/consumer/go/main.go" "$app/"
printf 'module example.com/binlogconsumer\n\ngo 1.23\n' > "$app/go.mod"
lines=$(sed -n '/<!-- go-offline-install:begin -->/,/<!-- go-offline-install:end -->/p' "$root/bindings/go/README.md" |
  sed -e '/^<!--/d' -e '/^```/d')
[[ $(grep -c . <<<"$lines") == 6 ]] || fail "bindings/go/README.md's install lines are not the 6 this test knows: $lines"
lines=${lines//'~/src/libbinlog'/$root}
lines=${lines//'$HOME/src/libbinlog'/$root}
lines=${lines//'~/src/myapp'/$app}
lines=${lines//'/usr/local'/$prefix}
lines=${lines//'sudo '/}
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=1
export PKG_CONFIG_PATH=$libdir/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$libdir"
(set -e; eval "$lines") >/dev/null || fail "bindings/go/README.md's install lines failed: $lines"
[[ -x $app/binlogconsumer ]] || fail "go build made no $app/binlogconsumer"
cd "$app"

# 2. Vendor and build against the installed files alone.
"$GO" mod vendor
[[ -f vendor/github.com/libbinlog/libbinlog/bindings/go/binlog.go ]] || fail "go mod vendor did not copy the binding"
export GOFLAGS=-mod=vendor PKG_CONFIG_PATH=$libdir/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$libdir"
"$GO" vet -tags binlog_use_pkgconfig ./...
"$GO" build -race -tags binlog_use_pkgconfig -o consumer .
runpath=$(readelf -d consumer | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[[ $runpath == "$libdir" ]] || fail "the consumer's RUNPATH is '$runpath', not $libdir alone"
! grep -qaF -e "$root/target/release" -e "$root/include" consumer || fail "the consumer names a directory of the build tree"
loaded=$(env -u LD_LIBRARY_PATH ldd ./consumer | awk '/libbinlog/ {print $3}')
[[ $loaded == "$libdir/libbinlog.so.0" ]] || fail "the consumer loads libbinlog from '$loaded', not $libdir"

# 3. Run.
out=$(env -u LD_LIBRARY_PATH ./consumer "$work/data") || fail "the consumer failed: $out"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
[[ $out == "consumer ok: libbinlog $version" ]] || fail "the consumer printed: $out"
echo "$out"
echo "test-go-consumer: a module outside the tree, vendored, built under -race against the installed libbinlog (-tags binlog_use_pkgconfig) and run"
