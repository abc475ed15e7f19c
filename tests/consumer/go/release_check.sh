#!/usr/bin/env bash
# `make go-release-check PROXY MODULE VERSION`: the Go module of a release as
# `go get` takes it, from the GOPROXY directory `make go-release` wrote.
#  1. the zip: every file under MODULE@VERSION/, binlog.h the checkout's,
#     each libbinlog_<GOOS>_<GOARCH>.a built for its platform and defining
#     the C ABI's functions (packaging/go/check_module_zip.py);
#  2. in a fresh module in a temporary directory, with a module cache of
#     its own, GOPROXY=file://PROXY and nothing else: the C compiler finds
#     no binlog.h and the linker no libbinlog, pkg-config no binlog.pc
#     (checked, not assumed); `go get MODULE@VERSION`, `go build -race`, and
#     the program (tests/consumer/go/main.go) writes a log from several
#     goroutines while following it, then prints one line; it needs no
#     libbinlog.so; `go mod vendor` copies the archives and the header, and
#     the vendored build links too;
#  3. each platform the zip carries picks its own archive (go list with
#     GOOS and GOARCH), and the program links for it with zig's C compiler
#     where this machine can (below).
set -euo pipefail

proxy=$1 module=$2 version=$3
root=$(cd "$(dirname "$0")/../../.." && pwd)
GO=${GO:-go} PYTHON=${PYTHON:-python3}
fail() { echo "go-release-check: $*" >&2; exit 1; }
zip=$proxy/$module/@v/$version.zip
[[ -f $zip ]] || fail "no $zip: run make go-release"

# 1. The zip.
"$PYTHON" "$root/packaging/go/check_module_zip.py" "$zip" "$module@$version" \
  "$root/include/binlog.h" "$root/tests/abi/symbols.txt" "$LLVM_NM"

# 2. A fresh module, nothing of libbinlog but the proxy.
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
mkdir -p "$work/app" "$work/data" "$work/no-pkgconfig"
unset CGO_CFLAGS CGO_CPPFLAGS CGO_LDFLAGS LD_LIBRARY_PATH LIBRARY_PATH C_INCLUDE_PATH CPATH GOPATH GOWORK
export GOPROXY=file://$proxy GONOSUMDB=github.com/libbinlog GOMODCACHE=$work/modcache \
  GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local CGO_ENABLED=1 \
  PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$work/no-pkgconfig
! pkg-config --exists binlog 2>/dev/null || fail "pkg-config finds a binlog.pc"
cc=$("$GO" env CC)
! echo '#include <binlog.h>' | $cc -E -x c - >/dev/null 2>&1 || fail "$cc finds a binlog.h of its own"
! echo 'int main(void){return 0;}' | $cc -x c - -lbinlog -o "$work/probe" >/dev/null 2>&1 ||
  fail "$cc links a libbinlog of its own (-lbinlog)"
cd "$work/app"
cp "$root/tests/consumer/go/main.go" .
"$GO" mod init example.com/binlogrelease >/dev/null 2>&1
"$GO" get "$module@$version" 2>&1 | grep -v '^go: downloading' || true
grep -q "^require $module $version\b" go.mod || fail "go get did not require $module $version: $(cat go.mod)"
"$GO" build -race -o consumer .
! readelf -d consumer | grep -q 'NEEDED.*libbinlog' || fail "the program needs a libbinlog shared library"
out=$(./consumer "$work/data") || fail "the program failed: $out"
lib_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
[[ $out == "consumer ok: libbinlog $lib_version" ]] || fail "the program printed: $out"
echo "$out"
echo "go-release-check: go get $module@$version from $proxy, nothing installed: built with -race, ran"
"$GO" mod vendor
vendored=$work/app/vendor/$module
[[ -f $vendored/binlog.h ]] && compgen -G "$vendored/libbinlog_*.a" >/dev/null ||
  fail "go mod vendor did not copy binlog.h and the archives"
GOFLAGS=-mod=vendor "$GO" build -o consumer-vendored .
out=$(./consumer-vendored "$work/data-vendored") && [[ $out == "consumer ok: libbinlog $lib_version" ]] ||
  fail "the vendored build printed: $out"
echo "go-release-check: go mod vendor copies the archives and the header; the vendored build runs"

# 3. Each platform picks its archive, and links it where this machine can:
#    zig's C compiler links a program for linux/arm64 (run under qemu-aarch64
#    when it is installed) and for freebsd/amd64 (zig has FreeBSD's libc
#    stubs); for macOS it has libSystem but no framework, so a darwin
#    program links only where stubs of the frameworks are at hand
#    (MACOS_FRAMEWORKS, made by the macOS build, with stubs of libiconv and
#    libresolv written here; -lc++ is zig's own libc++, which it builds on
#    first use, minutes, then keeps in its cache); without them the package
#    compiles, which uses the header but not the archive.
dir=$("$GO" list -f '{{.Dir}}' "$module")
zigcc="$ZIG_PYTHON -m ziglang cc"
for a in "$dir"/libbinlog_*.a; do
  p=${a##*/libbinlog_} p=${p%.a} goos=${p%_*} goarch=${p#*_}
  flags=$(GOOS=$goos GOARCH=$goarch "$GO" list -f '{{.CgoLDFLAGS}}' "$module")
  [[ $flags == "[$a "* ]] || fail "$goos/$goarch links $flags, not $a first"
  ldflags= goflags=
  case $p in
    linux_amd64) echo "go-release-check: $goos/$goarch links $a (run above)"; continue ;;
    linux_arm64) target=aarch64-linux-gnu.2.17 ;;
    freebsd_amd64) target=x86_64-freebsd ;;
    darwin_*)
      target=${goarch/amd64/x86_64}-macos target=${target/arm64/aarch64}
      if [[ -d ${MACOS_FRAMEWORKS:-} ]]; then
        tbd() { printf '%s\n' '--- !tapi-tbd' 'tbd-version: 4' 'targets: [ arm64-macos, x86_64-macos ]' \
          "install-name: '/usr/lib/$1'" 'exports:' '  - targets: [ arm64-macos, x86_64-macos ]' \
          "    symbols: [ $2 ]" '...'; }
        tbd libiconv.2.dylib '_iconv, _iconv_open, _iconv_close' > "$work/libiconv.tbd"
        # Go's own: its resolver's (package net).
        tbd libresolv.9.dylib '_res_9_ninit, _res_9_nclose, _res_9_nsearch' > "$work/libresolv.tbd"
        # -w: no DWARF, which go would combine with dsymutil and strip -S,
        # neither of which reads Mach-O here.
        ldflags="-F$MACOS_FRAMEWORKS -L$work" goflags=-ldflags=-w
      else
        GOOS=$goos GOARCH=$goarch CC="$zigcc -target $target" "$GO" build "$module"
        echo "go-release-check: $goos/$goarch links $a; the package compiles with zig cc -target $target" \
          "(no MACOS_FRAMEWORKS to link a program)"
        continue
      fi ;;
  esac
  GOOS=$goos GOARCH=$goarch CC="$zigcc -target $target" CGO_LDFLAGS="$ldflags" "$GO" build $goflags -o "consumer-$p" .
  kind=$(file -b "consumer-$p" | cut -d, -f1-2)
  if [[ $p == linux_arm64 && -d /usr/aarch64-linux-gnu/lib ]] && command -v qemu-aarch64 >/dev/null; then
    out=$(qemu-aarch64 -L /usr/aarch64-linux-gnu "./consumer-$p" "$work/data-$p") &&
      [[ $out == "consumer ok: libbinlog $lib_version" ]] || fail "linux/arm64 under qemu-aarch64 printed: $out"
    kind="$kind, run under qemu-aarch64"
  fi
  echo "go-release-check: $goos/$goarch links $a: the program linked by zig cc -target $target ($kind)"
done
