#!/usr/bin/env python3
"""check_exports.py TRIPLE ARTIFACT [options]: ARTIFACT, built for TRIPLE
(aarch64-apple-darwin, x86_64-apple-darwin, x86_64-unknown-freebsd, or a
Linux one), is what that machine loads and exports what the Linux build
exports:

  - its format and machine are TRIPLE's: Mach-O arm64 or x86_64 for
    macOS, ELF x86-64 elsewhere; a FreeBSD shared object needs FreeBSD's
    libc.so.7, not Linux's libc.so.6; and an artifact for macOS or FreeBSD
    references __error, the BSD libc's errno, one for Linux glibc's
    __errno_location;
  - the functions it exports are exactly the expected set (--expect: a
    list, one name a line, tests/abi/symbols.txt by default, which
    check-abi holds equal to the Linux libbinlog.so's exports; or an
    artifact, whose exports are read the same way): a shared object's
    exported functions, a static archive's defined binlog_* functions;
    on aarch64 a shared object may export DEPENDENCY_EXPORTS too; with
    --program (the binlog tool), whose symbol table lists every global
    function, its exports are not compared;
  - for macOS and FreeBSD, it references no Linux-only symbol (inotify,
    epoll, timerfd, signalfd, fallocate, syncfs, sync_file_range,
    statx, glibc's own names) and no symbol of a GLIBC_ version; a static
    archive's references are what its members leave undefined;
  - --id NAME: a Mach-O library's install name (LC_ID_DYLIB) or an ELF
    shared object's SONAME is NAME; --dylib-versions CUR,COMPAT: the
    Mach-O current and compatibility versions; --macos-min VERSION: the
    oldest macOS a Mach-O file, or each object of an archive, asks for
    (LC_BUILD_VERSION's minos).

The tools are llvm-nm, llvm-objdump and llvm-readobj (rustup's llvm-tools: --llvm-bin,
by default the active toolchain's). Prints one line when it passes; fails
naming the artifact and each difference.
"""
import argparse
import os
import re
import subprocess
import sys

# Symbols only Linux (or glibc) has: a reference to one does not load on
# macOS or FreeBSD. Exact names, and prefixes ending with "*".
LINUX_ONLY = """
inotify_* epoll_* timerfd_* signalfd signalfd4 fallocate fallocate64 syncfs
sync_file_range statx prlimit64 getauxval mremap splice vmsplice tee
__errno_location gnu_get_libc_version gnu_get_libc_release __fxstat* __lxstat*
__xstat* __res_init __register_atfork __sched_cpucount
""".split()

# What a dependency exports beside the ABI, by machine (docs/ABI.md,
# What the library exports): BLAKE3's NEON code, C, calls the crate's portable
# compression function, a Rust #[no_mangle] function, by the name BLAKE3's
# C library gives its own, and a Rust cdylib exports every #[no_mangle]
# function of every crate in it.
DEPENDENCY_EXPORTS = {"aarch64": {"blake3_compress_in_place_portable"}}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"check_exports: {' '.join(cmd)} failed:\n{r.stderr.strip()}")
    return r.stdout


def symbols(nm, path, dynamic):
    """(defined functions, undefined names) of path, as llvm-nm lists them;
    versions (name@GLIBC_2.2.5) kept on the undefined names."""
    args = [nm, "--no-sort"] + (["-D"] if dynamic else ["-g"])
    defined, undefined = set(), set()
    for line in run(args + [path]).splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TW":
            defined.add(f[2])
        elif len(f) == 2 and f[0] in "Uwv":
            undefined.add(f[1])
    return defined, undefined


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("triple")
    p.add_argument("artifact")
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--expect", default=os.path.join(here, "abi", "symbols.txt"))
    p.add_argument("--id")
    p.add_argument("--dylib-versions")
    p.add_argument("--macos-min")
    p.add_argument("--llvm-bin")
    p.add_argument("--program", action="store_true")
    a = p.parse_args()
    bindir = a.llvm_bin or os.path.join(
        run(["rustc", "--print", "sysroot"]).strip(), "lib", "rustlib",
        run(["rustc", "-vV"]).split("host: ")[1].split()[0], "bin")
    nm, objdump, readobj = (os.path.join(bindir, t) for t in ("llvm-nm", "llvm-objdump", "llvm-readobj"))
    macos, linux = "apple-darwin" in a.triple, "linux" in a.triple
    arch = a.triple.split("-")[0]
    errors = []

    def read(path):
        """(kind, exported functions, undefined names) of an artifact."""
        if path.endswith(".txt"):
            return "list", {s for s in open(path).read().split()}, set()
        formats = set(re.findall(r"^Format: (.+)$", run([readobj, "--file-headers", path]), re.M))
        archive = path.endswith(".a")
        elf = all(f.startswith("elf") for f in formats)
        macho = any(f.startswith("Mach-O") for f in formats)
        defined, undefined = symbols(nm, path, dynamic=elf and not archive)
        if macho:
            defined = {s[1:] for s in defined}
            undefined = {s[1:] for s in undefined}
        if archive:
            undefined -= defined
            defined = {s for s in defined if s.startswith("binlog_")}
        return formats, defined, undefined

    formats, exported, undefined = read(a.artifact)
    want_format = ("Mach-O " + {"aarch64": "arm64", "x86_64": "64-bit x86-64"}[arch]) if macos \
        else {"aarch64": "elf64-littleaarch64", "x86_64": "elf64-x86-64"}[arch]
    if formats != {want_format}:
        errors.append(f"its format is {', '.join(sorted(formats))}, not {want_format}")
    bare = {u.split("@")[0] for u in undefined}
    errno = "__errno_location" if linux else "__error"
    if errno not in bare:
        errors.append(f"it does not reference {errno} (errno's function in {'glibc' if linux else 'the BSD libc'}):"
                      " not built for that libc")

    _, expected, _ = read(a.expect)
    extra = exported - expected - DEPENDENCY_EXPORTS.get(arch, set())
    for name, names in (("missing", expected - exported), ("unexpected", extra)):
        if names and not a.program:
            errors.append(f"{len(names)} exported functions {name} (against {a.expect}): "
                          + " ".join(sorted(names)[:12]) + (" ..." if len(names) > 12 else ""))

    if not linux:
        bad = sorted(u for u in bare if any(
            u == s or (s.endswith("*") and u.startswith(s[:-1])) for s in LINUX_ONLY))
        glibc = sorted(u for u in undefined if "@GLIBC_" in u)
        for what, names in (("Linux-only symbols", bad), ("symbols of a GLIBC_ version", glibc)):
            if names:
                errors.append(f"it references {len(names)} {what}: " + " ".join(names[:12])
                              + (" ..." if len(names) > 12 else ""))

    if macos and a.macos_min:
        minos = set(re.findall(r"^\s+minos (\S+)$", run([objdump, "--macho", "--private-headers", a.artifact]), re.M))
        if minos != {a.macos_min}:
            errors.append(f"it asks for macOS {', '.join(sorted(minos)) or 'nothing'}, not {a.macos_min}"
                          " (every object's LC_BUILD_VERSION minos)")

    if not a.artifact.endswith(".a"):
        headers = run([objdump, "--macho", "--private-headers", a.artifact] if macos
                      else [objdump, "-p", a.artifact])
        if macos:
            m = re.search(r"cmd LC_ID_DYLIB\n.*?name (\S+).*?current version (\S+)\n"
                          r"compatibility version (\S+)", headers, re.S)
            got_id, versions = (m.group(1), f"{m.group(2)},{m.group(3)}") if m else (None, None)
            if a.dylib_versions and versions != a.dylib_versions:
                errors.append(f"its current,compatibility versions are {versions}, not {a.dylib_versions}")
        else:
            m = re.search(r"SONAME\s+(\S+)", headers)
            got_id = m.group(1) if m else None
            needed = set(re.findall(r"NEEDED\s+(\S+)", headers))
            if "freebsd" in a.triple and ("libc.so.7" not in needed or "libc.so.6" in needed):
                errors.append(f"it needs {' '.join(sorted(needed)) or 'no library'}, not FreeBSD's libc.so.7")
        if a.id and got_id != a.id:
            errors.append(f"its {'install name' if macos else 'SONAME'} is {got_id or 'absent'}, not {a.id}")

    if errors:
        print(f"check_exports: {a.artifact} ({a.triple}):", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        sys.exit(1)
    print(f"check_exports: {a.artifact}: {want_format}"
          + ("" if a.program else f", the {len(exported & expected)} functions expected exported"
             + "".join(f" and {s}" for s in sorted(exported - expected)))
          + ("" if linux else ", no Linux-only reference") + (f", id {a.id}" if a.id else ""))


if __name__ == "__main__":
    main()
