"""The macOS system libraries a macOS libbinlog.a calls beyond libSystem,
as the text stubs (.tbd) a Mac's SDK holds for them: run by zig's Python,
`python system_stubs.py LLVM_NM LIBBINLOG_A DIR`.

zig carries macOS's libSystem (as a .tbd stub), but not these:
- libc++ (/usr/lib/libc++.1.dylib): atomic-wait, the writers' group
  commit, waits on an address with libc++'s __libcpp_atomic_wait on
  macOS (`-lc++`; zig would link its own libc++ in, built from source,
  where a Mac links the system's);
- Security (security-framework: the system's TLS roots, for
  rustls-native-certs, in the archive tier) and CoreFoundation (its
  types, and iana-time-zone's local time zone).
Each symbol libbinlog.a imports that no member of it defines and
libSystem does not export must belong to one of them by its prefix, else
this stops naming it: nothing is left to a lookup at load time. Each
stub (DIR/libc++.tbd, DIR/NAME.framework/NAME.tbd) exports exactly the
symbols libbinlog.a imports from it, under the library's install name,
so that the module binds each to that library (two-level namespace), as
a Mac's linker does from the SDK's own stubs.
"""

import os
import re
import subprocess
import sys

import ziglang

# Each library: its stub's path in DIR, its install name, its symbols' prefix.
LIBRARIES = {
    "libc++": ("libc++.tbd", "/usr/lib/libc++.1.dylib", r"__ZNSt3__1"),
    "Security": ("Security.framework/Security.tbd", "/System/Library/Frameworks/Security.framework/Versions/A/Security",
                 r"_k?Sec"),
    "CoreFoundation": ("CoreFoundation.framework/CoreFoundation.tbd",
                       "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
                       r"_(k?CF|__kCF|__CF)"),
}
STUB = """--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '{install_name}'
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ {symbols} ]
...
"""

nm, archive, out = sys.argv[1:]


def symbols(*flags):
    listed = subprocess.run([nm, "--just-symbol-name", *flags, archive], check=True, capture_output=True, text=True)
    return {line.strip() for line in listed.stdout.splitlines() if line.strip() and not line.endswith(":")}


with open(os.path.join(os.path.dirname(ziglang.__file__), "lib", "libc", "darwin", "libSystem.tbd")) as f:
    libsystem = set(re.findall(r"[\w$.]+", f.read()))
imported = symbols("--undefined-only") - symbols("--defined-only") - libsystem
unclaimed = {s for s in imported if not any(re.match(p, s) for _, _, p in LIBRARIES.values())}
if unclaimed:
    sys.exit(f"system_stubs: {archive} imports what neither libSystem nor "
             f"{', '.join(LIBRARIES)} exports: {' '.join(sorted(unclaimed))}")
for name, (path, install_name, prefix) in LIBRARIES.items():
    own = sorted(s for s in imported if re.match(prefix, s))
    os.makedirs(os.path.dirname(os.path.join(out, path)), exist_ok=True)
    with open(os.path.join(out, path), "w") as f:
        f.write(STUB.format(install_name=install_name, symbols=", ".join(own)))
    print(f"system_stubs: {name}: {len(own)} symbols")
