#!/usr/bin/env bash
# `make test-consumer`: libbinlog as a user installs and uses it.
#  1. `make install`, with no cargo on the PATH as for `sudo make install`,
#     into a prefix under target/consumer, with the LIBDIR a
#     distribution would give (a LIBDIR of one's own is honoured):
#     <prefix>/lib/<multiarch> (Debian's, `cc -print-multiarch`), else
#     <prefix>/lib64 (where CMake looks on the others);
#  2. tests/consumer/c, copied out of the tree, built through pkg-config
#     (PKG_CONFIG_PATH=<libdir>/pkgconfig; also compiled as C++) and
#     through CMake (CMAKE_PREFIX_PATH=<prefix>), each shared and static;
#     every program runs with no LD_LIBRARY_PATH: the shared ones find the
#     library by the RPATH a non-system prefix needs (the Makefile's from
#     pkg-config's libdir, CMake's its own), the static ones need no
#     libbinlog.so; the CMake build again once the installed tree is moved
#     (its CMake files find the prefix from their own place);
#  3. a staged install (DESTDIR) names no staging directory in its .pc and
#     CMake files, puts the tool's bash, zsh and fish completions where each
#     shell looks, and `make uninstall` leaves no file of it and no
#     directory it made (one that held another file before stays).
# ARCHIVE=0 does the same with the lean library (`make lib ARCHIVE=0`, no
# archive tier), whose install has no tool, man pages or completions.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
archive=${ARCHIVE:-1}
work=$root/target/consumer$([[ $archive == 0 ]] && echo -lean || true)
prefix=$work/prefix
multiarch=$(${CC:-cc} -print-multiarch 2>/dev/null || true)
if [[ -n $multiarch ]]; then libdir=$prefix/lib/$multiarch; else libdir=$prefix/lib64; fi
make_=(make --no-print-directory -C "$root" ARCHIVE="$archive")
# The consumers' own builds must not inherit this make's variables.
unset MAKEFLAGS MFLAGS MAKELEVEL LIBDIR INCLUDEDIR BINDIR MANDIR BASHCOMPDIR ZSHCOMPDIR FISHCOMPDIR

fail() { echo "test-consumer: $*" >&2; exit 1; }

# The completion scripts under <prefix>/share, each where its shell looks.
completions_installed() {
  local f
  for f in bash-completion/completions/binlog zsh/site-functions/_binlog fish/vendor_completions.d/binlog.fish; do
    [[ -s $1/share/$f ]] || fail "completions $1/share/$f missing or empty"
    grep -q 'verify' "$1/share/$f" || fail "completions $1/share/$f do not name the verify command"
  done
}

needs_shared() { readelf -d "$1" | grep -q 'NEEDED.*\[libbinlog\.so\.0\]' || fail "$1 does not need libbinlog.so.0"; }
needs_no_shared() { ! readelf -d "$1" | grep -q 'NEEDED.*libbinlog' || fail "$1 needs a shared libbinlog"; }
runs() {
  local out
  out=$(env -u LD_LIBRARY_PATH "$1" "$work/data") || fail "$1 failed: $out"
  [[ $out == "consumer ok: libbinlog "* ]] || fail "$1 printed: $out"
  echo "$1: $out"
}

rm -rf "$work"
mkdir -p "$work/data"

# 1. Install as `sudo make install` does after `make`: with no cargo on the
#    PATH (root's), from what the build made. A missing artifact is named,
#    with the make command that builds it.
nocargo_path=$(tr ':' '\n' <<<"$PATH" | while IFS= read -r d; do [[ -x $d/cargo ]] || printf '%s\n' "$d"; done | paste -sd:)
! PATH=$nocargo_path command -v cargo >/dev/null || fail "cargo is still on the PATH $nocargo_path"
out=$(PATH=$nocargo_path "${make_[@]}" install PREFIX="$prefix" LIB=target/release/no-such-lib.so 2>&1) &&
  fail "make install without cargo succeeded with its library missing"
prebuild=make$([[ $archive == 0 ]] && echo ' lib ARCHIVE=0' || true)
[[ $out == *"target/release/no-such-lib.so is not built"*"run \`$prebuild\` first"* ]] ||
  fail "make install without cargo and a missing library said: $out (want it named and \`$prebuild\`)"
[[ ! -e $prefix ]] || fail "a refused install made $prefix"
PATH=$nocargo_path "${make_[@]}" install PREFIX="$prefix" LIBDIR="$libdir" DESTDIR= >/dev/null
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
[[ -f $libdir/libbinlog.so.$version ]] || fail "no $libdir/libbinlog.so.$version"
[[ $(readlink "$libdir/libbinlog.so.0") == "libbinlog.so.$version" ]] || fail "libbinlog.so.0 is not a link to libbinlog.so.$version"
[[ $(readlink "$libdir/libbinlog.so") == "libbinlog.so.$version" ]] || fail "libbinlog.so is not a link to libbinlog.so.$version"
readelf -d "$libdir/libbinlog.so.$version" | grep -q 'Library soname: \[libbinlog\.so\.0\]' || fail "installed library has no SONAME libbinlog.so.0"
! readelf -S "$libdir/libbinlog.so.$version" | grep -q '\.debug_info' || fail "installed library is not stripped"
[[ -f $prefix/include/binlog.h ]] || fail "header missing"
if [[ $archive == 0 ]]; then
  [[ ! -e $prefix/bin && ! -e $prefix/share ]] || fail "the lean install put a tool or man pages in $prefix"
else
  [[ -x $prefix/bin/binlog && -f $prefix/share/man/man1/binlog.1 ]] || fail "tool or man page missing"
  completions_installed "$prefix"
  [[ $("$prefix/bin/binlog" --version) == *"$version"* ]] || fail "installed binlog --version does not say $version"
fi

# 2a. pkg-config.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[[ $(pkg-config --modversion binlog) == "$version" ]] || fail "pkg-config --modversion binlog is not $version"
# libbinlog.a holds no unwinder (a Rust staticlib leaves `_Unwind_*` to the
# program's link, docs/INSTALL.md "Dependencies"): its static libraries
# must name the one it links. readelf, not nm: nm hands an object that
# carries LLVM bitcode (std's, in a library built without LTO) to a
# linker plugin, whose older LLVM finds no symbols in it. (grep without
# -q reads all of readelf's output: under pipefail an early exit would
# fail the pipe.)
readelf -Ws "$libdir/libbinlog.a" | grep ' UND _Unwind_RaiseException$' >/dev/null ||
  fail "libbinlog.a now holds its unwinder: docs/INSTALL.md says it leaves _Unwind_* to -lgcc_s"
[[ " $(pkg-config --static --libs binlog) " == *" -lgcc_s "* ]] || fail "pkg-config --static --libs binlog does not name -lgcc_s, the unwinder libbinlog.a needs"
mkdir -p "$work/pkg-config"
cp "$root/tests/consumer/c/app.c" "$root/tests/consumer/c/Makefile" "$work/pkg-config/"
make --no-print-directory -C "$work/pkg-config"
needs_shared "$work/pkg-config/app-shared"
needs_no_shared "$work/pkg-config/app-static"
runs "$work/pkg-config/app-shared"
runs "$work/pkg-config/app-static"
needs_shared "$work/pkg-config/app-cxx"
runs "$work/pkg-config/app-cxx"
unset PKG_CONFIG_PATH

# 2b. CMake.
mkdir -p "$work/cmake-src"
cp "$root/tests/consumer/c/app.c" "$root/tests/consumer/c/CMakeLists.txt" "$work/cmake-src/"
cmake -S "$work/cmake-src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
needs_shared "$work/cmake-build/app_shared"
needs_no_shared "$work/cmake-build/app_static"
runs "$work/cmake-build/app_shared"
runs "$work/cmake-build/app_static"

# 2c. The installed tree moved elsewhere: CMake finds it where it is now.
mv "$prefix" "$work/moved"
cmake -S "$work/cmake-src" -B "$work/cmake-moved" -DCMAKE_PREFIX_PATH="$work/moved" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cmake-moved" >/dev/null
! grep -rq "$prefix" "$work/moved/${libdir#"$prefix"/}/cmake" || fail "the CMake files name the prefix they were installed to"
runs "$work/cmake-moved/app_shared"
runs "$work/cmake-moved/app_static"
mv "$work/moved" "$prefix"

# 3. A staged install, then uninstall. A directory that held another
#    program's file before the install keeps it.
stage=$work/stage
mkdir -p "$stage/opt/binlog/bin"
touch "$stage/opt/binlog/bin/other-tool"
"${make_[@]}" install DESTDIR="$stage" PREFIX=/opt/binlog >/dev/null
staged_libdir=$(PKG_CONFIG_PATH=$stage/opt/binlog/lib/pkgconfig pkg-config --variable=libdir binlog)
[[ $staged_libdir == /opt/binlog/lib ]] || fail "staged binlog.pc names $staged_libdir, not /opt/binlog/lib"
! grep -rq "$stage" "$stage/opt/binlog/lib/pkgconfig" "$stage/opt/binlog/lib/cmake" || fail "staged .pc or CMake files name DESTDIR"
[[ $archive == 0 ]] || completions_installed "$stage/opt/binlog"
"${make_[@]}" uninstall DESTDIR="$stage" PREFIX=/opt/binlog >/dev/null
left=$(find "$stage" | sort | tr '\n' ' ')
[[ $left == "$stage $stage/opt $stage/opt/binlog $stage/opt/binlog/bin $stage/opt/binlog/bin/other-tool " ]] ||
  fail "uninstall of the staged install left: $left"
# The first install made its prefix: its uninstall removes it whole.
"${make_[@]}" uninstall PREFIX="$prefix" LIBDIR="$libdir" DESTDIR= >/dev/null
[[ ! -e $prefix ]] || fail "uninstall left: $(find "$prefix" | tr '\n' ' ')"
echo "test-consumer: pkg-config (C and C++) and CMake consumers, shared and static, ran against the installed files, CMake's also once they were moved"
