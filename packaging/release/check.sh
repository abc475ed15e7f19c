#!/usr/bin/env bash
# packaging/release/check.sh DIST VERSION (`make release-check`): the
# release in DIST as each ecosystem's client takes it, from DIST alone.
#  1. DIST/SHA256SUMS verifies with its signature and every file matches
#     (sums.sh verify); in a copy, one byte changed in an artifact, and one
#     in SHA256SUMS, are each refused.
#  2. cargo: a fresh crate outside the tree depends on `libbinlog =
#     "VERSION"` from a local registry (a directory source replacing
#     crates.io, at one path on this machine) holding DIST/crates'
#     libbinlog and the dependencies its Cargo.lock names (`cargo vendor`,
#     from ~/.cargo's cache), builds with --offline (the Rust library
#     only: no C library in its target directory) and writes and reads a
#     log; the crate's unit tests pass, run from the unpacked crate file
#     with no feature (the core alone: make test runs them only here; those
#     of the features run from the checkout, in test-rust).
#  3. Maven: a fresh project (tests/release/java) depends on
#     io.libbinlog:libbinlog-java:VERSION from DIST/maven (file://); every
#     other artifact and plugin comes from a copy of the local repository
#     without io/libbinlog (a mirror), into an empty local repository, so
#     the binding can only come from DIST; `mvn verify` runs its test,
#     and the local repository records DIST's repository as the jar's.
# Builds are kept for the next run in target/release-check (the consumer
# crate's dependencies), the vendored sources while Cargo.lock is the same
# (the registry, below); the projects themselves are made anew in a
# temporary directory.
set -euo pipefail
dist=$(realpath "$1") version=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=$root/target/release-check
cargo=${CARGO:-cargo}
fail() { echo "release-check: $*" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/libbinlog-release-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. Checksums and signature.
"$root/packaging/release/sums.sh" verify "$dist"
crate=crates/libbinlog-$version.crate
[[ -f $dist/$crate ]] || fail "$dist/$crate: no such file"
for changed in "$crate" SHA256SUMS; do
  rm -rf "$work/tampered" && cp -a "$dist" "$work/tampered"
  f=$work/tampered/$changed
  byte=$(od -An -tu1 -j 100 -N 1 "$f" | tr -d ' ')
  printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$f" bs=1 seek=100 conv=notrunc status=none
  if "$root/packaging/release/sums.sh" verify "$work/tampered" > "$work/tampered.out" 2>&1; then
    fail "one byte changed in $changed, yet the release verified"
  fi
  echo "release-check: one byte changed in $changed is refused: $(tail -n 1 "$work/tampered.out")"
done

# 2. cargo. The registry is a directory at one path on this machine,
# RELEASE_REGISTRY (default ~/.cache/libbinlog-release-registry): sccache's
# keys hold a crate's source path, so at each clone's own path every
# dependency would be compiled anew. It holds this release's crate, so
# one release check at a time uses it (flock on fd 9, which no program
# started under the lock inherits: a server cargo starts, as sccache's,
# would hold it after this script).
registry=${RELEASE_REGISTRY:-$HOME/.cache/libbinlog-release-registry}
mkdir -p "$registry" "$work/crate"
registry=$(cd "$registry" && pwd)
exec 9> "$registry/.lock"
if ! flock -n 9; then
  echo "release-check: waiting for $registry/.lock (another release check uses the registry)"
  flock -w 1800 9 || fail "$registry/.lock: still held after 30 minutes"
fi
cargo_unlocked() { "$cargo" "$@" 9>&-; }
tar -xzf "$dist/$crate" -C "$work/crate"
unpacked=$work/crate/libbinlog-$version
lock_sum=$(sha256sum < "$unpacked/Cargo.lock" | cut -c1-16)
vendor=$registry/vendor-$lock_sum
if [[ ! -f $vendor/.vendored ]]; then
  rm -rf "$registry"/vendor-*
  cargo_unlocked vendor --quiet --offline --locked --manifest-path "$unpacked/Cargo.toml" "$vendor" > /dev/null
  touch "$vendor/.vendored"
fi
rm -rf "$vendor/libbinlog"
cp -a "$unpacked" "$vendor/libbinlog"
printf '{"files":{},"package":"%s"}' "$(sha256sum < "$dist/$crate" | cut -d' ' -f1)" \
  > "$vendor/libbinlog/.cargo-checksum.json"
app=$work/rust-consumer
mkdir -p "$app/src" "$app/.cargo"
cat > "$app/Cargo.toml" <<TOML
[package]
name = "release-consumer"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
libbinlog = "$version"
TOML
cat > "$app/.cargo/config.toml" <<TOML
[source.crates-io]
replace-with = "release"

[source.release]
directory = "$vendor"
TOML
cp "$root/tests/release/rust/main.rs" "$app/src/main.rs"
# A directory source's crate is taken as unchanged while its version is:
# the consumer's build of libbinlog is made anew, its dependencies' kept.
export CARGO_TARGET_DIR=$cache/rust-target
(cd "$app" && cargo_unlocked clean --quiet --offline -p libbinlog 2>/dev/null || true)
touch "$work/before-build"
(cd "$app" && cargo_unlocked build --quiet --offline)
grep -q "^source = \"registry+https://github.com/rust-lang/crates.io-index\"" "$app/Cargo.lock" ||
  fail "the consumer's Cargo.lock has no crates.io package"
grep -A2 '^name = "libbinlog"' "$app/Cargo.lock" | grep -q "^version = \"$version\"" ||
  fail "the consumer's Cargo.lock has no libbinlog $version"
mkdir -p "$work/rust-data"
out=$("$CARGO_TARGET_DIR/debug/release-consumer" "$work/rust-data" 9>&-)
[[ $out == "dependent ok: libbinlog $version" ]] || fail "the Rust consumer printed: $out"
# A Rust user's build makes the Rust library only (the C library is `make lib`'s).
built=$(find "$CARGO_TARGET_DIR" -newer "$work/before-build" ! -type d -name 'libbinlog*' ! -name '*.rlib' \
  ! -name '*.rmeta' ! -name '*.d')
[[ -z $built ]] || fail "the consumer's build made a C library: $built"
echo "release-check: cargo: a crate depending on libbinlog = \"$version\" from the crate file built offline (a Rust library only) and ran"
# The crate's own tests (its unit tests: the integration suite reads the
# checkout), from the unpacked crate file alone, offline from the same
# registry (the consumer's configuration).
(cd "$app" && cargo_unlocked test --quiet --offline --lib --no-default-features --manifest-path "$unpacked/Cargo.toml" \
  > "$work/crate-tests.log" 2>&1) ||
  { tail -n 30 "$work/crate-tests.log"; fail "the unit tests of $crate failed, run from the unpacked crate"; }
echo "release-check: cargo: $crate's unit tests pass from the crate file alone, with no feature ($(grep -o '[0-9]* passed' "$work/crate-tests.log"))"
unset CARGO_TARGET_DIR
exec 9>&-

# 3. Maven.
m2=${M2_REPOSITORY:-$HOME/.m2/repository}
[[ -d $m2 ]] || fail "$m2: no local Maven repository to take plugins from (run \`make java\` once)"
seed=$work/m2-seed
mkdir -p "$seed/io"
for d in "$m2"/*; do [[ ${d##*/} == io ]] || ln -s "$d" "$seed/"; done
for d in "$m2"/io/*; do [[ ${d##*/} == libbinlog ]] || ln -s "$d" "$seed/io/"; done
cat > "$work/settings.xml" <<XML
<settings>
  <mirrors>
    <mirror>
      <id>local-copy</id>
      <mirrorOf>*,!libbinlog-dist</mirrorOf>
      <url>file://$seed</url>
    </mirror>
  </mirrors>
</settings>
XML
cp -r "$root/tests/release/java" "$work/java-consumer"
repo=$work/m2-local
(cd "$work/java-consumer" && mvn -B -q -s "$work/settings.xml" -Dmaven.repo.local="$repo" \
  -Dlibbinlog.version="$version" -Dlibbinlog.repository="file://$dist/maven" verify) ||
  fail "mvn verify of the consumer (tests/release/java) failed"
grep -q 'tests="1" errors="0" skipped="0" failures="0"' \
  "$work/java-consumer/target/surefire-reports/TEST-example.ReleaseTest.xml" ||
  fail "the consumer's test (tests/release/java) did not run and pass"
grep -qx "libbinlog-java-$version.jar>libbinlog-dist=" \
  "$repo/io/libbinlog/libbinlog-java/$version/_remote.repositories" ||
  fail "io.libbinlog:libbinlog-java:$version did not come from $dist/maven"
echo "release-check: Maven: a project depending on io.libbinlog:libbinlog-java:$version from $dist/maven passed mvn verify"
