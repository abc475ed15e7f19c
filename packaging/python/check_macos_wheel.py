"""Checks a macOS wheel built here, where no Mac can load it:
`python check_macos_wheel.py ARCH WHEEL` (ARCH: arm64 or x86_64).

- The wheel is tagged cp39-abi3-macosx_11_0_ARCH, in its name and its WHEEL file.
- It holds binlog/_native.abi3.so and binlog/_fast.abi3.so, and each is a
  64-bit Mach-O dynamic library or bundle for ARCH, for macOS 11.0
  (LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX);
- it exports its PyInit_ function and nothing else of ours (only what
  the linker adds beside: the Mach-O header's and the DSO handle's symbols);
- it loads libSystem and Apple's frameworks only, and every symbol it
  imports is bound to one of them, but the Python C API's, looked up in
  the interpreter at load time (`-undefined dynamic_lookup`);
- it imports no Linux-only function (inotify, epoll, timerfd, fallocate,
  glibc's versioned symbols).
Exits 1 naming every failure."""

import re
import struct
import sys
import zipfile

CPU = {"arm64": 0x0100000C, "x86_64": 0x01000007}
MH_MAGIC_64, MH_DYLIB, MH_BUNDLE = 0xFEEDFACF, 6, 8
LC_SYMTAB, LC_LOAD_DYLIB, LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0x2, 0xC, 0x24, 0x32
LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB = 0x80000018, 0x8000001F
PLATFORM_MACOS, MACOS_11 = 1, 11 << 16
N_EXT, N_PEXT, N_TYPE, N_UNDF, N_SECT = 0x01, 0x10, 0x0E, 0x0, 0xE
LINKER_SYMBOLS = {"__mh_dylib_header", "__mh_bundle_header", "___dso_handle"}
LINUX_ONLY = re.compile(r"^_?(inotify_|epoll_|timerfd_|fallocate|posix_fallocate64|__errno_location)|GLIBC_")
SYSTEM_DYLIB = re.compile(r"^(/usr/lib/libSystem\.B\.dylib|/usr/lib/libc\+\+\.1\.dylib|/usr/lib/libiconv\.2\.dylib"
                          r"|/System/Library/Frameworks/\w+\.framework/Versions/\w+/\w+)$")


def macho(data, arch, name):
    """The failures of one extension module's Mach-O image."""
    if len(data) < 32 or struct.unpack_from("<I", data)[0] != MH_MAGIC_64:
        return [f"{name}: not a 64-bit little-endian Mach-O file (magic {data[:4].hex()})"]
    _, cputype, _, filetype, ncmds, _, _, _ = struct.unpack_from("<IiiIIIII", data)
    failures = []
    if cputype != CPU[arch]:
        failures.append(f"{name}: CPU type {cputype:#x}, not {arch}'s {CPU[arch]:#x}")
    if filetype not in (MH_DYLIB, MH_BUNDLE):
        failures.append(f"{name}: file type {filetype}, not a dynamic library or bundle")
    minos, dylibs, symbols, at = None, [], [], 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, at)
        if cmd == LC_BUILD_VERSION:
            platform, minos = struct.unpack_from("<II", data, at + 8)
            if platform != PLATFORM_MACOS:
                failures.append(f"{name}: LC_BUILD_VERSION platform {platform}, not macOS")
        elif cmd == LC_VERSION_MIN_MACOSX:
            minos = struct.unpack_from("<I", data, at + 8)[0]
        elif cmd in (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB):
            offset = struct.unpack_from("<I", data, at + 8)[0]
            dylibs.append(data[at + offset:at + size].split(b"\0")[0].decode())
        elif cmd == LC_SYMTAB:
            symoff, nsyms, stroff, _ = struct.unpack_from("<IIII", data, at + 8)
            for i in range(nsyms):
                strx, ntype, _, desc, _ = struct.unpack_from("<IBBHQ", data, symoff + 16 * i)
                symbols.append((data[stroff + strx:data.index(b"\0", stroff + strx)].decode(), ntype, desc))
        at += size
    if minos != MACOS_11:
        seen = "none" if minos is None else f"{minos >> 16}.{(minos >> 8) & 0xFF}"
        failures.append(f"{name}: minimum macOS {seen}, not 11.0")
    failures += [f"{name}: loads {d}, not a system library" for d in dylibs if not SYSTEM_DYLIB.match(d)]
    module = name.rsplit("/", 1)[-1].split(".")[0]
    exported = {s for s, t, _ in symbols if t & N_EXT and not t & N_PEXT and t & N_TYPE == N_SECT}
    if f"_PyInit_{module}" not in exported:
        failures.append(f"{name}: does not export _PyInit_{module}")
    failures += [f"{name}: exports {s}" for s in sorted(exported - LINKER_SYMBOLS - {f"_PyInit_{module}"})]
    for s, t, desc in symbols:
        if not t & N_EXT or t & N_TYPE != N_UNDF:
            continue
        if LINUX_ONLY.search(s):
            failures.append(f"{name}: imports the Linux-only {s}")
        # The library ordinal of an import: 1 to n, the load commands'
        # libraries; anything else (zig writes 0, Apple's linker 0xFE)
        # leaves the symbol to a lookup in whatever the process has loaded.
        if not 1 <= (desc >> 8) & 0xFF <= len(dylibs) and not re.match(r"^__?Py", s):
            failures.append(f"{name}: imports {s} from no library (left to the interpreter at load time)")
    return failures


def check(arch, wheel):
    tag = f"cp39-abi3-macosx_11_0_{arch}"
    failures = [] if wheel.endswith(f"-{tag}.whl") else [f"{wheel}: the name is not tagged {tag}"]
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = [n for n in names if n.endswith(".dist-info/WHEEL")]
        if not meta or f"Tag: {tag}" not in z.read(meta[0]).decode().splitlines():
            failures.append(f"{wheel}: its WHEEL file does not say Tag: {tag}")
        for module in ("binlog/_native.abi3.so", "binlog/_fast.abi3.so"):
            if module in names:
                failures += macho(z.read(module), arch, module)
            else:
                failures.append(f"{wheel}: no {module} inside")
    return failures


if __name__ == "__main__":
    failures = check(sys.argv[1], sys.argv[2])
    for f in failures:
        print(f"check_macos_wheel: {f}", file=sys.stderr)
    if not failures:
        print(f"check_macos_wheel: {sys.argv[2]}: macOS 11.0 {sys.argv[1]}, each module exports its PyInit_ alone "
              "and imports from libSystem, Apple's frameworks and the interpreter only")
    sys.exit(1 if failures else 0)
