#!/bin/sh
# What the Makefile's targets need of the machine beyond the README's
# prerequisites, installed when missing: first one line each saying what
# and why, then Debian's packages (one apt-get, as root) and Rust's parts
# (rustup). What is there already is left alone, without a word. Their
# output is shown only when they fail.
# Usage: tests/install_missing.sh TOOL...: a Debian package below,
# target:<triple> (Rust's standard library for that machine) or
# toolchain:<name> (a Rust toolchain), component:<name> (a rustup component
# of the active toolchain). PYTHON: the Python that needs venv.
set -eu
apt= targets= toolchains= components=
for tool in "$@"; do
  case $tool in
    fuse3) command -v fusermount3 >/dev/null && continue
      why="tests/power_loss.rs mounts its power-cut filesystem through FUSE";;
    strace) command -v strace >/dev/null && continue
      why="tests/persistence_points.rs checks the order of the library's syncs with it";;
    zstd) command -v zstd >/dev/null && continue
      why="the compressed-segment tests and make bench compare with the zstd tool";;
    python3-venv) "${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null && continue
      why="the tools from PyPI (zig, moto, DuckDB) and the Python binding's tests run in virtual environments";;
    stress-ng) command -v stress-ng >/dev/null && continue
      why="make test-under-load keeps two CPUs busy with it";;
    qemu-user | libc6-*-cross) dpkg-query -W -f '${Status}' "$tool" 2>/dev/null | grep -q 'ok installed' && continue
      why="make test-cross runs the other machine's C tests under qemu-user";;
    target:*) rustup target list --installed | grep -qx "${tool#target:}" && continue
      targets="$targets ${tool#target:}"
      tool="Rust's standard library for ${tool#target:} (rustup)" why="the C library is built for that machine too";;
    toolchain:*) rustup toolchain list | grep -q "^${tool#toolchain:}" && continue
      toolchains="$toolchains ${tool#toolchain:}"
      tool="Rust's ${tool#toolchain:} toolchain (rustup)" why="cargo-fuzz and Miri need it";;
    component:*) rustup component list --installed | grep -q "^${tool#component:}" && continue
      components="$components ${tool#component:}"
      tool="Rust's ${tool#component:} (rustup)" why="tests/check_exports.py reads the artifacts of every platform with its llvm-nm and llvm-objdump";;
    *) echo "$0: no such tool: $tool" >&2; exit 2;;
  esac
  case $tool in Rust*) ;; *) apt="$apt $tool" tool="$tool (Debian's package)";; esac
  echo "installing $tool: $why"
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quietly() { "$@" >"$log" 2>&1 || { cat "$log"; echo "$0: failed: $*" >&2; exit 1; }; }
[ -z "$apt" ] || { quietly apt-get update -q; quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $apt; }
[ -z "$targets" ] || quietly rustup target add $targets
[ -z "$components" ] || quietly rustup component add $components
for t in $toolchains; do quietly rustup toolchain install "$t" --profile minimal; done
