#!/usr/bin/env bash
# Builds the JNI library for one platform and puts it where the jar carries
# it, target/classes/io/libbinlog/native/<platform>/ (NativeLoader.java):
# JNI headers with `javac -h`, then the glue (src/main/c) compiled by
# `zig cc` and linked with that platform's static libbinlog.a.
#
# BINLOG_JNI_PLATFORM (default linux-<this machine>), with the library's
# output and where libbinlog.a comes from (BINLOG_LIB_DIR overrides it):
#   linux-<host arch>  target/jni/libbinlog_jni.so                ../../target/release (make lib)
#   linux-aarch64      target/jni-aarch64/libbinlog_jni.so        ../../target/zig/aarch64-unknown-linux-gnu/release
#   linux-x86_64       target/jni-x86_64/... (on an aarch64 host)  (make lib ARCH=...)
#   darwin-aarch64     target/jni-darwin-aarch64/libbinlog_jni.dylib  ../../target/zig/aarch64-apple-darwin/release
#   darwin-x86_64      target/jni-darwin-x86_64/libbinlog_jni.dylib   (make lib PLATFORM=<arch>-apple-darwin)
#   freebsd-x86_64     target/jni-freebsd-x86_64/libbinlog_jni.so     ../../target/zig/x86_64-unknown-freebsd/release
# Linux: for glibc 2.17 (`zig cc -target <arch>-linux-gnu.2.17`: runs on
# glibc 2.17 and later), exporting only the JNI entry points (jni.map),
# needing nothing but glibc; FreeBSD likewise (`zig cc -target
# x86_64-freebsd`), needing its base system's libraries alone. macOS 11 and later: compiled by `zig cc -target
# <arch>-macos.11.0`, linked by Rust's own lld (rust-lld as ld64.lld: zig's
# Mach-O linker has no -exported_symbols_list) against the stubs of libSystem
# and the other system libraries libbinlog calls that `make macos-frameworks`
# writes (BINLOG_MACOS_FRAMEWORKS, by default ../../target/macos-frameworks:
# zig has no Apple SDK), exporting only the JNI entry points; the JDK's
# include/linux/jni_md.h serves (OpenJDK installs one Unix jni_md.h as
# include/linux/ and include/darwin/).
# BINLOG_JNI_CC names the compiler (the Makefile sets it); without it (Maven
# run by hand) the Makefile's is asked for, installing zig if missing.
# Skips the build when the library is newer than every input (FORCE=1 rebuilds).
# The host's build (Maven's) also drops from target/classes every other
# platform's library older than the glue's sources: the jar carries no stale
# library (`make jni-<platform>` rebuilds one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
host_arch=$(uname -m)
platform=${BINLOG_JNI_PLATFORM:-linux-$host_arch}
arch=${platform#*-}
case $platform in
  "linux-$host_arch") out=$here/target/jni; libdir=$root/target/release ;;
  linux-x86_64 | linux-aarch64) out=$here/target/jni-$arch; libdir=$root/target/zig/$arch-unknown-linux-gnu/release ;;
  darwin-x86_64 | darwin-aarch64) out=$here/target/jni-$platform; libdir=$root/target/zig/$arch-apple-darwin/release ;;
  freebsd-x86_64) out=$here/target/jni-$platform; libdir=$root/target/zig/x86_64-unknown-freebsd/release ;;
  *) echo "build-jni.sh: no build for $platform (linux-x86_64, linux-aarch64, darwin-aarch64, darwin-x86_64," \
       "freebsd-x86_64)" >&2
     exit 1 ;;
esac
libdir=${BINLOG_LIB_DIR:-$libdir}
native=$here/target/classes/io/libbinlog/native
# BINLOG_JNI_OUT=<dir>: a build to check, never the jar's: built in
# <dir>/<platform>, put in <dir>/jar/io/libbinlog/native/<platform>/.
if [ -n "${BINLOG_JNI_OUT:-}" ]; then
  out=$BINLOG_JNI_OUT/$platform native=$BINLOG_JNI_OUT/jar/io/libbinlog/native
fi
stubs=${BINLOG_MACOS_FRAMEWORKS:-$root/target/macos-frameworks}
file=libbinlog_jni.$([[ $platform == darwin-* ]] && echo dylib || echo so)
lib=$out/$file
if [ -z "${BINLOG_JNI_CC:-}" ]; then
  make -s --no-print-directory -C "$root" zig-tools >&2
  BINLOG_JNI_CC=$(make -s --no-print-directory -C "$root" print-zig-cc JNI_PLATFORM="$platform")
fi

javac_bin=$(readlink -f "$(command -v javac)")
java_home=$(dirname "$(dirname "$javac_bin")")
if [ ! -f "$java_home/include/jni.h" ]; then
  echo "build-jni.sh: no jni.h under $java_home (from $javac_bin)" >&2
  exit 1
fi
if [ ! -f "$libdir/libbinlog.a" ]; then
  echo "build-jni.sh: $libdir/libbinlog.a is missing: run 'make lib $([[ $platform == darwin-* ]] &&
    echo "PLATFORM=$arch-apple-darwin" || echo "ARCH=$arch")' in $root" >&2
  exit 1
fi
if [[ $platform == darwin-* && ! -f $stubs/made ]]; then
  echo "build-jni.sh: no stubs of Apple's libraries in $stubs: run 'make macos-frameworks' in $root" >&2
  exit 1
fi

sources=("$here"/src/main/java/io/libbinlog/*.java)
glue=("$here/src/main/c" "${sources[@]}" "$root/include/binlog.h")
[[ $platform == darwin-* ]] && glue+=("$stubs/made")
if [ "${FORCE:-0}" = 1 ] || [ ! -f "$lib" ] || \
   [ -n "$(find "${glue[@]}" "$libdir/libbinlog.a" "$0" -newer "$lib" 2>/dev/null)" ]; then
  mkdir -p "$out/include" "$out/classes"
  rm -f "$out"/include/*.h
  javac -encoding UTF-8 -h "$out/include" -d "$out/classes" "${sources[@]}"
  # shellcheck disable=SC2206 # a command and its arguments
  cc=($BINLOG_JNI_CC -std=c11 -O2 -fPIC -Wall -Wextra -Werror -fvisibility=hidden -ffunction-sections
      -fdata-sections -I"$java_home/include" -I"$java_home/include/linux" -I"$out/include" -I"$root/include")
  if [[ $platform != darwin-* ]]; then
    # What Rust's standard library in libbinlog.a needs besides libc (the
    # Makefile's STATIC_LIBS): on glibc before 2.34 these are libraries of
    # their own (libpthread, libdl, ...), and --as-needed keeps only what is
    # used. Linux's unwinder is zig's libunwind, linked in: libgcc's
    # (-static-libgcc) would import glibc 2.35's _dl_find_object. FreeBSD's
    # is libgcc_s, part of its base system; its list is STATIC_LIBS less
    # libkvm, libmemstat, libprocstat and libdevstat, which zig has no
    # stubs of and the glue does not reach. Every symbol is bound when
    # linked (-z defs), but on FreeBSD `environ`, which its programs define
    # (crt1), not libc: it is left for the JVM's executable, as FreeBSD's
    # own shared libraries leave it, once a link with -z defs has found it
    # the only one unbound.
    syslibs=(-lunwind -lutil -lrt -lpthread -lm -ldl)
    [[ $platform == freebsd-* ]] && syslibs=(-lexecinfo -lpthread -lgcc_s -lm -lrt -lutil)
    # libbinlog.a comes first (--whole-archive; --gc-sections drops what no JNI entry point reaches): its code then
    # starts the library's text, so where its hot loops fall (their alignment, worth a few percent of a read) does
    # not move with every change in the size of the glue, which follows it.
    link() {
      "${cc[@]}" -shared -o "$1" -Wl,--whole-archive "$libdir/libbinlog.a" -Wl,--no-whole-archive \
        "$here/src/main/c/binlog_jni.c" -Wl,--as-needed "${syslibs[@]}" \
        -Wl,--version-script="$here/src/main/c/jni.map" -Wl,--gc-sections -Wl,-s -Wl,-z,noexecstack "${@:2}"
    }
    if ! link "$lib.tmp" -Wl,--no-undefined -Wl,-z,defs 2> "$out/link.log"; then
      unbound=$(sed -n 's/.*undefined symbol: //p' "$out/link.log" | grep -vx environ || true)
      [[ $platform == freebsd-* && -z $unbound ]] || { cat "$out/link.log" >&2; exit 1; }
      link "$lib.tmp"
    fi
  else
    # libSystem and the system libraries beyond it as text stubs (.tbd, what
    # an Apple SDK holds): each symbol bound to its library's install name,
    # which dyld resolves on the Mac; a symbol no stub exports fails the link
    # (undefined), never left for run time; -dead_strip_dylibs drops the
    # libraries the JNI library does not call.
    mapfile -t tbds < <(find "$stubs" -name '*.tbd' -type f | sort)
    lld=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld
    echo '_Java_io_libbinlog_*' > "$out/exported.txt"
    echo '_JNI_OnLoad' >> "$out/exported.txt"
    "${cc[@]}" -c -o "$out/binlog_jni.o" "$here/src/main/c/binlog_jni.c"
    "$lld" -flavor darwin -arch "${arch/aarch64/arm64}" -platform_version macos 11.0 11.0 -dylib \
      -install_name "@rpath/$file" -o "$lib.tmp" "$out/binlog_jni.o" "$libdir/libbinlog.a" \
      -L"$stubs/lib" -lSystem "${tbds[@]}" \
      -exported_symbols_list "$out/exported.txt" -dead_strip -dead_strip_dylibs -x
  fi
  mv -f "$lib.tmp" "$lib"
  echo "built $lib ($(stat -c %s "$lib") bytes)"
fi

mkdir -p "$native/$platform"
cp -p "$lib" "$native/$platform/$file"
if [ "$platform" = "linux-$host_arch" ]; then
  for other in "$native"/*/libbinlog_jni.*; do
    [[ $other == "$native/$platform/"* ]] && continue
    if [ -n "$(find "${glue[@]}" -newer "$other" 2>/dev/null | head -1)" ]; then
      echo "build-jni.sh: dropped ${other#"$here"/} from the jar: older than the glue's sources" \
        "(make jni-$(basename "$(dirname "$other")") rebuilds it)" >&2
      rm -f "$other"
    fi
  done
fi
