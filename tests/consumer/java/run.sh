#!/usr/bin/env bash
# `make test-java-consumer`: the Java binding as a user gets it.
#  1. `mvn install` of bindings/java (tests skipped: `make test-java` runs
#     them) puts io.libbinlog:libbinlog-java in the local repository
#     (wherever Maven's settings put it); its jar carries libbinlog_jni.so for this machine and
#     the libraries of the other platforms built so far, each of its
#     platform's format and machine, exporting only JNI entry points, and
#     needing nothing but glibc (2.17 or later: make check-glibc) or, on
#     macOS, libSystem and two frameworks (check_natives.py, which must
#     reject a jar with a library at another platform's path);
#  2. this directory, copied out of the tree, is built by Maven against
#     that artifact and run with a plain `java -cp` (no
#     -Djava.library.path, no LD_LIBRARY_PATH);
#  3. four JVMs started together with an empty cache directory all load
#     the library, leaving one copy and no temporary file;
#  4. LIBBINLOG_JNI_LIBRARY names a library of the user's own: it is the
#     one loaded (a missing file fails the load).
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$root/target/consumer-java
binding=$root/bindings/java
mvn_=(mvn -B -q)
fail() { echo "test-java-consumer: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"

# 1. Install the binding.
# The project's <version>, the first after its <artifactId>.
version=$(sed -n '0,/<artifactId>libbinlog-java<\/artifactId>/d; s:.*<version>\(.*\)</version>.*:\1:p' "$binding/pom.xml" | head -n 1)
[[ -n $version ]] || fail "no <version> in $binding/pom.xml"
(cd "$binding" && "${mvn_[@]}" install -DskipTests)
# The local repository Maven installed it into, as its settings say
# (~/.m2/repository unless settings.xml or -Dmaven.repo.local says otherwise),
# written to a file: on stdout Maven wraps it in colour codes.
(cd "$binding" && "${mvn_[@]}" org.apache.maven.plugins:maven-help-plugin:3.5.1:evaluate \
  -Dexpression=settings.localRepository -Doutput="$work/local-repository")
m2=$(cat "$work/local-repository")
[[ -d $m2 ]] || fail "Maven's local repository $m2 is no directory"
jar=$m2/io/libbinlog/libbinlog-java/$version/libbinlog-java-$version.jar
for kind in sources javadoc; do
  [[ -f ${jar%.jar}-$kind.jar ]] || fail "no ${jar%.jar}-$kind.jar"
done
# The JDK's jar tool, not unzip (which a machine may lack).
platform=linux-$(uname -m)
mkdir -p "$work/jar"
(cd "$work/jar" && jar xf "$jar" META-INF/MANIFEST.MF io/libbinlog/native)
grep -q '^Automatic-Module-Name: io.libbinlog' "$work/jar/META-INF/MANIFEST.MF" || fail "$jar has no Automatic-Module-Name"
so=$work/libbinlog_jni.so
cp "$work/jar/io/libbinlog/native/$platform/libbinlog_jni.so" "$so" || fail "$jar carries no io/libbinlog/native/$platform/libbinlog_jni.so"
"$root/tests/consumer/java/check_natives.py" "$jar" "$platform" || fail "$jar's native libraries (above)"
# The check fails on a library of the wrong machine or format: this
# machine's at the other Linux machine's and at macOS's paths.
other=linux-$([[ $platform == linux-x86_64 ]] && echo aarch64 || echo x86_64)
mkdir -p "$work/wrong/io/libbinlog/native/$other" "$work/wrong/io/libbinlog/native/darwin-aarch64"
cp "$so" "$work/wrong/io/libbinlog/native/$other/libbinlog_jni.so"
cp "$so" "$work/wrong/io/libbinlog/native/darwin-aarch64/libbinlog_jni.dylib"
cp "$jar" "$work/wrong.jar" && (cd "$work/wrong" && jar uf "$work/wrong.jar" io)
if "$root/tests/consumer/java/check_natives.py" "$work/wrong.jar" > "$work/wrong.out" 2>&1; then
  fail "check_natives.py accepted $platform's library at $other's and darwin-aarch64's paths"
fi
grep -q "native/$other/libbinlog_jni.so: ELF machine" "$work/wrong.out" && grep -q "darwin-aarch64/libbinlog_jni.dylib: not a 64-bit Mach-O" "$work/wrong.out" ||
  fail "check_natives.py on a wrong jar said: $(cat "$work/wrong.out")"
echo "test-java-consumer: $jar carries libbinlog_jni.so, $(stat -c %s "$so") bytes; a jar with a library of the wrong machine is refused"

# 2. Build the consumer against the installed artifact and run it.
app=$work/app
mkdir -p "$app"
cp -r "$root/tests/consumer/java/pom.xml" "$root/tests/consumer/java/src" "$app/"
(cd "$app" && "${mvn_[@]}" package -Dlibbinlog.version="$version")
classpath=$app/target/libbinlog-consumer-1.jar:$jar
runs() {
  local out
  out=$(env -u LD_LIBRARY_PATH java -cp "$classpath" example.ConsumerApp "$work/data") || fail "the consumer failed: $out"
  [[ $out == "consumer ok: libbinlog ${version%-SNAPSHOT}" ]] || fail "the consumer printed: $out"
  echo "$out"
}
XDG_CACHE_HOME=$work/cache runs
[[ -n $(find "$work/cache/libbinlog" -name 'libbinlog_jni-*.so') ]] || fail "no copy of the library under \$XDG_CACHE_HOME/libbinlog"

# 3. Concurrent first uses.
export XDG_CACHE_HOME=$work/cache-concurrent
pids=()
for i in 1 2 3 4; do runs > "$work/concurrent-$i.out" 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent JVM failed: $(cat "$work"/concurrent-*.out)"; done
files=$(ls -A "$XDG_CACHE_HOME/libbinlog")
[[ $files == libbinlog_jni-*.so && $(echo "$files" | wc -l) == 1 ]] || fail "after 4 concurrent JVMs the cache holds: $files"
cmp -s "$XDG_CACHE_HOME/libbinlog/$files" "$so" || fail "the cached library differs from the jar's"
unset XDG_CACHE_HOME

# 4. The override.
LIBBINLOG_JNI_LIBRARY=$so XDG_CACHE_HOME=$work/cache-unused runs
[[ ! -e $work/cache-unused ]] || fail "with LIBBINLOG_JNI_LIBRARY set, the jar's library was extracted anyway"
if LIBBINLOG_JNI_LIBRARY=$work/missing.so java -cp "$classpath" example.ConsumerApp "$work/data" > "$work/missing.out" 2>&1; then
  fail "LIBBINLOG_JNI_LIBRARY naming a missing file did not fail the load"
fi
grep -q UnsatisfiedLinkError "$work/missing.out" || fail "a missing LIBBINLOG_JNI_LIBRARY gave: $(head -3 "$work/missing.out")"
echo "test-java-consumer: a Maven project outside the tree ran against the installed jar with no flags"
