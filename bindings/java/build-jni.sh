#!/usr/bin/env bash
# Builds target/jni/libbinlog_jni.so: JNI headers with `javac -h`, then
# `zig cc` for glibc 2.17 (the Makefile's ZIG_CC: the library runs on glibc
# 2.17 and later), with libbinlog linked in statically
# (../../target/release/libbinlog.a, `make lib` at the repository root). The
# library exports only the JNI entry points (jni.map) and needs nothing but
# glibc, so the jar can carry it: it is copied into
# target/classes/io/libbinlog/native/<platform>/, where the jar and the tests
# find it (NativeLoader.java).
# BINLOG_JNI_CC names the compiler (the Makefile sets it); without it (Maven
# run by hand) the Makefile's is asked for, installing zig if missing.
# Skips the build when the library is newer than every input (FORCE=1 rebuilds).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# BINLOG_JNI_ARCH=aarch64 (with BINLOG_JNI_CC and BINLOG_LIB_DIR for that
# machine, `make jni ARCH=aarch64`) builds target/jni-aarch64/ instead, which
# the jar does not carry.
host_arch=$(uname -m)
arch=${BINLOG_JNI_ARCH:-$host_arch}
libdir=${BINLOG_LIB_DIR:-$root/target/release}
if [ "$arch" = "$host_arch" ]; then out="$here/target/jni"; else out="$here/target/jni-$arch"; fi
so="$out/libbinlog_jni.so"
# NativeLoader.platform() for the JVMs this script builds for.
platform=linux-$arch
bundled="$here/target/classes/io/libbinlog/native/$platform"
# What Rust's standard library in libbinlog.a needs besides libc (the
# Makefile's STATIC_LIBS less libgcc_s): on glibc before 2.34 these are
# libraries of their own (libpthread, libdl, ...), and --as-needed keeps only
# what is used. The unwinder is zig's libunwind, linked in: libgcc's
# (-static-libgcc) would import glibc 2.35's _dl_find_object.
static_libs=(-lunwind -lutil -lrt -lpthread -lm -ldl)
if [ -z "${BINLOG_JNI_CC:-}" ]; then
  make -s --no-print-directory -C "$root" zig-tools >&2
  BINLOG_JNI_CC=$(make -s --no-print-directory -C "$root" print-zig-cc)
fi

javac_bin=$(readlink -f "$(command -v javac)")
java_home=$(dirname "$(dirname "$javac_bin")")
if [ ! -f "$java_home/include/jni.h" ]; then
  echo "build-jni.sh: no jni.h under $java_home (from $javac_bin)" >&2
  exit 1
fi
if [ ! -f "$libdir/libbinlog.a" ]; then
  echo "build-jni.sh: $libdir/libbinlog.a is missing: run 'make lib' in $root" >&2
  exit 1
fi

sources=("$here"/src/main/java/io/libbinlog/*.java)
if [ "${FORCE:-0}" = 1 ] || [ ! -f "$so" ] || \
   [ -n "$(find "$here/src/main/c" "${sources[@]}" "$root/include/binlog.h" "$libdir/libbinlog.a" "$0" \
           -newer "$so" 2>/dev/null)" ]; then
  mkdir -p "$out/include" "$out/classes"
  rm -f "$out"/include/*.h
  javac -encoding UTF-8 -h "$out/include" -d "$out/classes" "${sources[@]}"

  # libbinlog.a comes first (--whole-archive; --gc-sections drops what no JNI entry point reaches): its code then
  # starts the library's text, so where its hot loops fall (their alignment, worth a few percent of a read) does
  # not move with every change in the size of the glue, which follows it.
  # shellcheck disable=SC2086 # a command and its arguments
  $BINLOG_JNI_CC -std=c11 -O2 -shared -fPIC -Wall -Wextra -Werror \
    -fvisibility=hidden -ffunction-sections -fdata-sections \
    -I"$java_home/include" -I"$java_home/include/linux" -I"$out/include" -I"$root/include" \
    -o "$so.tmp" -Wl,--whole-archive "$libdir/libbinlog.a" -Wl,--no-whole-archive \
    "$here/src/main/c/binlog_jni.c" -Wl,--as-needed "${static_libs[@]}" \
    -Wl,--version-script="$here/src/main/c/jni.map" -Wl,--gc-sections -Wl,-s \
    -Wl,--no-undefined -Wl,-z,defs -Wl,-z,noexecstack
  mv -f "$so.tmp" "$so"
  echo "built $so ($(stat -c %s "$so") bytes)"
fi

if [ "$arch" = "$host_arch" ]; then
  mkdir -p "$bundled"
  cp -p "$so" "$bundled/libbinlog_jni.so"
fi
