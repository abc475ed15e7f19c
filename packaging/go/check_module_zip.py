#!/usr/bin/env python3
"""What `make go-release-check` checks of the Go module's zip beside the
go command: every file under <module>@<version>/, binlog.h the same as
include/binlog.h, and each libbinlog_<GOOS>_<GOARCH>.a it carries built for
that platform (every object member of the archive: ELF for that machine and
OS ABI, Rust's objects for FreeBSD marked so, or Mach-O for that CPU) and defining every function of the C ABI
(tests/abi/symbols.txt; llvm-nm reads ELF and Mach-O alike).

Usage: check_module_zip.py ZIP MODULE@VERSION HEADER SYMBOLS LLVM_NM"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

# GOOS_GOARCH: (format, machine, OS ABIs, Rust's OS ABI). ELF: e_machine,
# EI_OSABI (0 and 3 are Linux's; Rust marks its objects for FreeBSD 9,
# while zig leaves the C parts' 0); Mach-O: cputype.
PLATFORMS = {
    "linux_amd64": ("elf", 62, {0, 3}, None),
    "linux_arm64": ("elf", 183, {0, 3}, None),
    "freebsd_amd64": ("elf", 62, {0, 9}, 9),
    "darwin_amd64": ("macho", 0x01000007, None, None),
    "darwin_arm64": ("macho", 0x0100000C, None, None),
}


def members(data):
    """(name, bytes) of each member of an ar archive, GNU or BSD names."""
    if data[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    pos, longnames = 8, b""
    while pos < len(data):
        header = data[pos : pos + 60]
        name, size = header[:16].decode().rstrip(), int(header[48:58])
        body = data[pos + 60 : pos + 60 + size]
        if name.startswith("#1/"):
            n = int(name[3:])
            name, body = body[:n].rstrip(b"\0").decode(), body[n:]
        elif name == "//":
            longnames = body
        elif re.fullmatch(r"/\d+", name):
            start = int(name[1:])
            name = longnames[start : longnames.index(b"\n", start)].decode().rstrip("/")
        yield name, body
        pos += 60 + size + (size & 1)


def check_archive(path, label, platform, llvm_nm, symbols):
    fmt, machine, osabis, rust_osabi = PLATFORMS[platform]
    objects = 0
    for name, body in members(open(path, "rb").read()):
        if body[:4] == b"\x7fELF":
            got = ("elf", struct.unpack("<H", body[18:20])[0], body[7])
            ok = fmt == "elf" and got[1] == machine and got[2] in osabis
            ok = ok and (rust_osabi is None or not name.endswith(".rcgu.o") or got[2] == rust_osabi)
        elif body[:4] == b"\xcf\xfa\xed\xfe":
            got = ("macho", struct.unpack("<I", body[4:8])[0])
            ok = fmt == "macho" and got[1] == machine
        else:
            continue  # the archive's symbol and name tables
        if not ok:
            sys.exit(f"{label}: member {name} is {got}, not {platform}'s {fmt} for {machine:#x}")
        objects += 1
    if not objects:
        sys.exit(f"{label}: holds no object file")
    nm = subprocess.run([llvm_nm, "--defined-only", "--extern-only", "--just-symbol-name", path],
                        check=True, capture_output=True, text=True).stdout.split()
    defined = {s[1:] if fmt == "macho" else s for s in nm}
    missing = sorted(symbols - defined)
    if missing:
        sys.exit(f"{label}: does not define {len(missing)} function(s) of the C ABI: {' '.join(missing[:5])}")
    return objects


def main(zip_path, prefix, header, symbols_path, llvm_nm):
    symbols = set(open(symbols_path).read().split())
    with zipfile.ZipFile(zip_path) as z, tempfile.TemporaryDirectory() as tmp:
        names = z.namelist()
        outside = [n for n in names if not n.startswith(prefix + "/")]
        if outside:
            sys.exit(f"{zip_path}: files outside {prefix}/: {outside[:5]}")
        if z.read(prefix + "/binlog.h") != open(header, "rb").read():
            sys.exit(f"{zip_path}: {prefix}/binlog.h is not {header}")
        carried = []
        for platform in PLATFORMS:
            name = f"{prefix}/libbinlog_{platform}.a"
            if name not in names:
                continue
            path = z.extract(name, tmp)
            objects = check_archive(path, f"{zip_path}: {name}", platform, llvm_nm, symbols)
            carried.append(platform)
            print(f"{os.path.basename(name)}: {z.getinfo(name).file_size:,} bytes "
                  f"({z.getinfo(name).compress_size:,} in the zip), {objects} objects, "
                  f"all {platform}, defining the {len(symbols)} functions of the C ABI")
        if not carried:
            sys.exit(f"{zip_path}: carries no libbinlog_<GOOS>_<GOARCH>.a")
        print(f"{os.path.basename(zip_path)}: {len(names)} files under {prefix}/, "
              f"{os.path.getsize(zip_path):,} bytes; static libraries for {' '.join(carried)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
