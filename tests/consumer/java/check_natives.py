#!/usr/bin/env python3
"""Checks the JNI libraries a libbinlog-java jar carries
(io/libbinlog/native/<platform>/libbinlog_jni.{so,dylib}, NativeLoader.java).

Usage: check_natives.py JAR PLATFORM...: the jar must carry each PLATFORM
named (linux-x86_64, linux-aarch64, darwin-aarch64, darwin-x86_64,
freebsd-x86_64), and
every library it carries, named or not, must be:
  - at the path its platform's JVM looks for, and of that platform's format
    and machine: ELF x86-64 or AArch64; Mach-O arm64 or x86_64 dylib;
  - exporting the JNI entry points alone: JNI_OnLoad and one for each
    native method of the jar's classes (javap), no more, no fewer;
  - Linux: needing glibc alone, with no RPATH or RUNPATH; FreeBSD: its
    base system's libraries alone, no RPATH, no Linux-only function;
  - macOS: linked two-level (each import bound to its library when linked,
    none left to run time), against libSystem, libc++ and the frameworks
    CoreFoundation and Security alone, for macOS 11 or earlier, referencing
    no Linux-only function (inotify, epoll, timerfd, fallocate, ...), and on
    arm64 signed (Apple silicon loads no unsigned code).
Mach-O is read here (header, load commands, symbol table): no Apple tool
needed. Exits 1 naming each fault."""
import re
import struct
import subprocess
import sys
import tempfile
import zipfile

MACHINES = {  # platform: (format, ELF e_machine or Mach-O cputype)
    "linux-x86_64": ("ELF", 62),
    "linux-aarch64": ("ELF", 183),
    "darwin-x86_64": ("Mach-O", 0x01000007),
    "darwin-aarch64": ("Mach-O", 0x0100000C),
    "freebsd-x86_64": ("ELF", 62),
}
JNI = re.compile(r"Java_io_libbinlog_\w+|JNI_On(Load|Unload)")
# glibc alone: libc, its dynamic loader (for __tls_get_addr) and, as the
# libraries are linked for glibc 2.17 (where they are not in libc yet), its
# libpthread, libdl and the like.
GLIBC = {"libc.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libm.so.6", "libutil.so.1",
         "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
# FreeBSD's base system: libc, and the libraries Rust's std links beside it
# (libgcc_s its unwinder; libthr is libpthread's file).
FREEBSD = {"libc.so.7", "libm.so.5", "libthr.so.3", "libexecinfo.so.1", "libkvm.so.7", "libmemstat.so.3",
           "libprocstat.so.1", "libdevstat.so.7", "libgcc_s.so.1", "librt.so.1", "libutil.so.9"}
DYLIBS = {"/usr/lib/libSystem.B.dylib", "/usr/lib/libc++.1.dylib",
          "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
          "/System/Library/Frameworks/Security.framework/Versions/A/Security"}
LINUX_ONLY = re.compile(r"(inotify_\w+|epoll_\w+|timerfd_\w+|fallocate(64)?|posix_fallocate64|__errno_location|"
                        r"syncfs|sync_file_range|statx|memfd_create|gnu_get_libc_\w+|__libc_\w+|\w+@GLIBC\w*)")
LC_LOAD_DYLIB, LC_SYMTAB, LC_CODE_SIGNATURE, LC_BUILD_VERSION = 0xC, 0x2, 0x1D, 0x32
MH_DYLIB, MH_NOUNDEFS, MH_TWOLEVEL = 6, 0x1, 0x80


def elf(path, data, want_machine, os_name):
    faults = []
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return [], ["not a 64-bit little-endian ELF file"]
    machine = struct.unpack_from("<H", data, 18)[0]
    if machine != want_machine:
        faults.append(f"ELF machine {machine}, want {want_machine}")
    dynamic = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\).*\[(.*)\]", dynamic))
    system, libc = (FREEBSD, "libc.so.7") if os_name == "freebsd" else (GLIBC, "libc.so.6")
    if needed - system or libc not in needed:
        faults.append(f"needs {sorted(needed)}, want {'its base system' if os_name == 'freebsd' else 'glibc'} alone")
    if re.search(r"\((RPATH|RUNPATH)\)", dynamic):
        faults.append("has an RPATH or RUNPATH")
    nm = lambda which: subprocess.run(["nm", "-D", which, path], capture_output=True, text=True,
                                      check=True).stdout.split("\n")
    if os_name == "freebsd":
        linux_only = sorted(s for s in (line.split()[-1] for line in nm("--undefined-only") if line.strip())
                            if LINUX_ONLY.fullmatch(s))
        if linux_only:
            faults.append(f"references Linux-only functions: {linux_only}")
    return [line.split()[-1] for line in nm("--defined-only") if line.strip()], faults


def macho(data, want_cpu, arch):
    if len(data) < 32 or struct.unpack_from("<I", data, 0)[0] != 0xFEEDFACF:
        return [], ["not a 64-bit Mach-O file"]
    _, cpu, _, filetype, ncmds, _, flags, _ = struct.unpack_from("<IiiIIIII", data, 0)
    faults = []
    if cpu != want_cpu:
        faults.append(f"Mach-O cputype {cpu:#x}, want {want_cpu:#x}")
    if filetype != MH_DYLIB:
        faults.append(f"Mach-O file type {filetype}, want a dylib ({MH_DYLIB})")
    if flags & (MH_NOUNDEFS | MH_TWOLEVEL) != MH_NOUNDEFS | MH_TWOLEVEL:
        faults.append(f"flags {flags:#x}: not two-level with every import bound when linked")
    exported, undefined, dylibs, signed, minos = [], [], [], False, None
    off = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd == LC_LOAD_DYLIB:
            name_off = struct.unpack_from("<I", data, off + 8)[0]
            dylibs.append(data[off + name_off:off + size].split(b"\0")[0].decode())
        elif cmd == LC_CODE_SIGNATURE:
            signed = True
        elif cmd == LC_BUILD_VERSION:
            platform, minos = struct.unpack_from("<II", data, off + 8)
            if platform != 1:
                faults.append(f"built for Apple platform {platform}, want macOS (1)")
        elif cmd == LC_SYMTAB:
            symoff, nsyms, stroff = struct.unpack_from("<III", data, off + 8)
            for i in range(nsyms):
                strx, ntype, _, _, _ = struct.unpack_from("<IBBHQ", data, symoff + 16 * i)
                name = data[stroff + strx:data.index(b"\0", stroff + strx)].decode()
                if ntype & 0xE0:  # a debugging (stab) entry
                    continue
                if ntype & 0x1 and ntype & 0xE == 0xE:  # external, defined in a section
                    exported.append(name[1:])
                elif ntype & 0x1 and ntype & 0xE == 0:  # external, undefined
                    undefined.append(name[1:])
        off += size
    if set(dylibs) - DYLIBS or "/usr/lib/libSystem.B.dylib" not in dylibs:
        faults.append(f"links {dylibs}, want libSystem and {sorted(DYLIBS - {'/usr/lib/libSystem.B.dylib'})} at most")
    if minos is None or minos > 11 << 16:
        faults.append(f"minimum macOS {minos and f'{minos >> 16}.{minos >> 8 & 0xFF}'}, want 11.0 or earlier")
    if arch == "aarch64" and not signed:
        faults.append("no code signature (LC_CODE_SIGNATURE): Apple silicon does not load it")
    linux_only = sorted(s for s in undefined if LINUX_ONLY.fullmatch(s))
    if linux_only:
        faults.append(f"references Linux-only functions: {linux_only}")
    return exported, faults


def jni_names(z, tmp):
    """JNI_OnLoad and the JNI name of each native method of the jar's classes."""
    classes = [n for n in z.namelist() if n.startswith("io/libbinlog/") and n.endswith(".class")]
    z.extractall(tmp, classes)
    out = subprocess.run(["javap", "-p", "-cp", tmp] + [c[:-6].replace("/", ".") for c in classes],
                         capture_output=True, text=True, check=True).stdout
    names, cls = {"JNI_OnLoad"}, None
    for line in out.splitlines():
        decl = re.search(r"\b(?:class|interface|enum|record) ([\w.$]+)", line)
        if decl and not line.startswith(" "):
            cls = decl[1]
        elif re.search(r"\bnative\b", line):
            method = re.search(r"(\w+)\(", line)[1]
            mangle = lambda n: n.replace("_", "_1").replace("$", "_00024").replace(".", "_")
            names.add(f"Java_{mangle(cls)}_{mangle(method)}")
    return names


def main(jar, wanted):
    faults, exports = [], {}
    with zipfile.ZipFile(jar) as z, tempfile.TemporaryDirectory() as tmp:
        expected = jni_names(z, tmp)
        natives = sorted(n for n in z.namelist() if n.startswith("io/libbinlog/native/") and not n.endswith("/"))
        for name in natives:
            m = re.fullmatch(r"io/libbinlog/native/([^/]+)/(libbinlog_jni\.(so|dylib))", name)
            if not m or m[1] not in MACHINES:
                faults.append(f"{name}: no platform's JVM looks for this path")
                continue
            platform, file = m[1], m[2]
            kind, machine = MACHINES[platform]
            if file != ("libbinlog_jni.dylib" if kind == "Mach-O" else "libbinlog_jni.so"):
                faults.append(f"{name}: {platform}'s JVM looks for {'libbinlog_jni.dylib' if kind == 'Mach-O' else 'libbinlog_jni.so'}")
            path = z.extract(name, tmp)
            data = open(path, "rb").read()
            symbols, own = elf(path, data, machine, platform.split("-")[0]) if kind == "ELF" else macho(data, machine, platform.split("-")[1])
            others = sorted(s for s in symbols if not JNI.fullmatch(s))
            if others:
                own.append(f"exports more than the JNI entry points: {others[:5]}{' ...' if len(others) > 5 else ''}")
            missing = sorted(expected - set(symbols))
            if missing:
                own.append(f"lacks {len(missing)} of the {len(expected)} JNI entry points of the jar's classes: "
                           f"{missing[:5]}{' ...' if len(missing) > 5 else ''}")
            faults += [f"{name}: {f}" for f in own]
            exports[platform] = symbols
            print(f"check_natives: {name}: {kind} {platform.split('-')[1]}, {len(data)} bytes, "
                  f"{len(symbols)} exported symbols" + ("" if own else ", ok"))
    for platform in wanted:
        if platform not in exports:
            faults.append(f"carries no library for {platform}")
    for f in faults:
        print(f"check_natives: {jar}: {f}", file=sys.stderr)
    return 1 if faults else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
