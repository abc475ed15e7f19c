#!/usr/bin/env bash
# Builds target/jni/libbinlog_jni.so: JNI headers with `javac -h`, then gcc.
# Needs ../../target/release/libbinlog.so (`make lib` at the repository root).
# Skips the build when the library is newer than every input (FORCE=1 rebuilds).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$here/target/jni"
libdir="$root/target/release"
so="$out/libbinlog_jni.so"

javac_bin=$(readlink -f "$(command -v javac)")
java_home=$(dirname "$(dirname "$javac_bin")")
if [ ! -f "$java_home/include/jni.h" ]; then
  echo "build-jni.sh: no jni.h under $java_home (from $javac_bin)" >&2
  exit 1
fi
if [ ! -f "$libdir/libbinlog.so" ]; then
  echo "build-jni.sh: $libdir/libbinlog.so is missing: run 'make lib' in $root" >&2
  exit 1
fi

sources=("$here"/src/main/java/io/libbinlog/*.java)
if [ "${FORCE:-0}" != 1 ] && [ -f "$so" ] && \
   [ -z "$(find "$here/src/main/c" "${sources[@]}" "$root/include/binlog.h" "$0" -newer "$so" 2>/dev/null)" ]; then
  exit 0
fi

mkdir -p "$out/include" "$out/classes"
rm -f "$out"/include/*.h
javac -encoding UTF-8 -h "$out/include" -d "$out/classes" "${sources[@]}"

${CC:-gcc} -std=c11 -O2 -g -shared -fPIC -Wall -Wextra -Werror \
  -I"$java_home/include" -I"$java_home/include/linux" -I"$out/include" -I"$root/include" \
  -o "$so.tmp" "$here/src/main/c/binlog_jni.c" \
  -L"$libdir" -lbinlog -Wl,-rpath,"$libdir" -Wl,--no-undefined -Wl,-z,defs
mv -f "$so.tmp" "$so"
echo "built $so"
