#!/usr/bin/env bash
# check_glibc.sh MAX "CC" FILE...: every FILE runs on glibc MAX and later.
#  - a shared object (.so): the highest GLIBC_x.y version among the
#    symbols it imports (objdump -T) is at most MAX, and it imports no
#    _dl_find_object (glibc 2.35's, which static libgcc's unwinder calls);
#  - a static archive (.a): the same of a shared object linked from it by
#    CC (a `zig cc -target <arch>-linux-gnu.MAX`) keeping every function it
#    exports (-u): the glibc symbols a program linking the archive imports;
#  - a wheel (.whl): the same of every shared object in it;
#  - a program (any other name): the same as a shared object.
# Prints each file's highest version; fails naming the file and symbol.
set -euo pipefail

max=$1 cc=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-glibc: $*" >&2; exit 1; }

# The newest GLIBC_ version $1 imports, "none" without one.
newest() {
  objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 | grep . || echo none
}

check_so() { # $1: the shared object, $2: the name to report
  local v
  v=$(newest "$1")
  if [[ $v != none && $(printf '%s\n%s\n' "$v" "$max" | sort -V | tail -n 1) != "$max" ]]; then
    fail "$2 needs glibc $v (want $max at most): $(objdump -T "$1" | grep "GLIBC_$v" | awk '{print $NF}' | sort -u | head -5 | tr '\n' ' ')"
  fi
  ! objdump -T "$1" | grep -qw _dl_find_object || fail "$2 imports _dl_find_object (static libgcc's unwinder)"
  if [[ $v == none ]]; then echo "check-glibc: $2: no GLIBC symbol version"; else echo "check-glibc: $2: GLIBC_$v at most"; fi
}

for f in "$@"; do
  [[ -f $f ]] || fail "$f does not exist"
  case $f in
    *.so | *.so.*) check_so "$f" "$f" ;;
    *.a)
      syms=$(nm -g --defined-only "$f" 2>/dev/null | awk '$2 == "T" && $3 ~ /^binlog_/ {print "-Wl,-u," $3}' | sort -u)
      [[ -n $syms ]] || fail "$f defines no binlog_ function"
      # shellcheck disable=SC2086 # CC is a command and its arguments; syms are flags
      $cc -shared -o "$work/from-archive.so" $syms "$f" -lunwind -lpthread -ldl -lm -lrt -lutil ||
        fail "$f does not link for glibc $max"
      check_so "$work/from-archive.so" "$f (linked)"
      ;;
    *.whl)
      rm -rf "$work/whl" && mkdir -p "$work/whl"
      python3 -m zipfile -e "$f" "$work/whl"
      n=0
      while IFS= read -r so; do check_so "$so" "$f: ${so#"$work/whl/"}"; n=$((n + 1)); done \
        < <(find "$work/whl" -name '*.so')
      [[ $n -gt 0 ]] || fail "$f holds no shared object"
      ;;
    *)
      readelf -h "$f" 2>/dev/null | grep -q 'EXEC\|DYN' || fail "$f: neither a .so, a .a, a .whl nor a program"
      check_so "$f" "$f"
      ;;
  esac
done
