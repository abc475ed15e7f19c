#!/usr/bin/env bash
# Builds target/jni/libbinlog_jni.so: JNI headers with `javac -h`, then gcc,
# with libbinlog linked in statically (../../target/release/libbinlog.a,
# `make lib` at the repository root). The library exports only the JNI entry
# points (jni.map) and needs nothing but glibc, so the jar can carry it: it is
# copied into target/classes/io/libbinlog/native/<platform>/, where the jar
# and the tests find it (NativeLoader.java).
# Skips the build when the library is newer than every input (FORCE=1 rebuilds).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/target/jni"
libdir="$root/target/release"
so="$out/libbinlog_jni.so"
# NativeLoader.platform() for the JVMs this script builds for.
platform=linux-x86_64
bundled="$here/target/classes/io/libbinlog/native/$platform"
# What Rust's standard library in libbinlog.a needs besides libc (the
# Makefile's STATIC_LIBS); since glibc 2.34 these are stubs in libc itself,
# and --as-needed keeps only what is used. libgcc (unwinding) is linked in.
static_libs=(-lutil -lrt -lpthread -lm -ldl)

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

  ${CC:-gcc} -std=c11 -O2 -shared -fPIC -Wall -Wextra -Werror \
    -fvisibility=hidden -ffunction-sections -fdata-sections \
    -I"$java_home/include" -I"$java_home/include/linux" -I"$out/include" -I"$root/include" \
    -o "$so.tmp" "$here/src/main/c/binlog_jni.c" \
    "$libdir/libbinlog.a" -static-libgcc -Wl,--as-needed "${static_libs[@]}" \
    -Wl,--version-script="$here/src/main/c/jni.map" -Wl,--gc-sections -Wl,-s \
    -Wl,--no-undefined -Wl,-z,defs -Wl,-z,noexecstack
  mv -f "$so.tmp" "$so"
  echo "built $so ($(stat -c %s "$so") bytes)"
fi

mkdir -p "$bundled"
cp -p "$so" "$bundled/libbinlog_jni.so"
