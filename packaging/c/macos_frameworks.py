#!/usr/bin/env python3
"""macos_frameworks.py OUTDIR: stubs of the Apple libraries the build's
crates link beyond libSystem, for a linker with no macOS SDK (there is
none here: zig has libSystem's stub alone).

A crate that binds one says so in its source: #[link(name = "Security",
kind = "framework")], #[link(name = "c++")]. For each such extern block of
the workspace's dependencies on macOS (cargo metadata), and for the
modules of a -sys crate that links one framework, the functions and
statics it declares (by their link_name where one is given) go into a
text stub as the SDK's are (.tbd): OUTDIR/<Name>.framework/<Name>.tbd,
or OUTDIR/lib/lib<name>.tbd for libc++ and libiconv, each with the
library's install name on the Mac. The linker binds each symbol the code
uses to the library that exports it (two-level namespace), as it does
against the SDK; dyld loads the real one on the Mac. Prints each library
and the crates that link it.
"""
import collections
import json
import os
import re
import subprocess
import sys

# The system libraries outside libSystem that a crate may name, and their
# install names.
DYLIBS = {"c++": "/usr/lib/libc++.1.dylib", "iconv": "/usr/lib/libiconv.2.dylib"}
LINK = re.compile(r'link\(name = "([\w+]+)"(?:, kind = "(framework|dylib)")?\)[^;{}]*$')


def braced(code, start):
    """The text between the brace at start and the one that closes it."""
    depth = 0
    for end in range(start, len(code)):
        depth += {"{": 1, "}": -1}.get(code[end], 0)
        if depth == 0:
            break
    return code[start + 1:end]


def macro_names(code, at):
    """What the invocations of the macro whose body holds position at (an
    extern block declaring `static $x` or `fn $x`: security-framework-sys's
    names!, `Ident => kSecName`) name: each identifier after "=>" in an
    invocation's braces."""
    for mac in re.finditer(r"macro_rules!\s*(\w+)\s*\{", code):
        if mac.end() <= at <= mac.end() + len(braced(code, mac.end() - 1)):
            return {name for call in re.finditer(r"\b" + mac.group(1) + r"!\s*\{", code)
                    for name in re.findall(r"=>\s*(\w+)", braced(code, call.end() - 1))}
    return set()


out = sys.argv[1]
meta = json.loads(subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", "aarch64-apple-darwin"],
    check=True, capture_output=True, text=True).stdout)
resolved = {n["id"] for n in meta["resolve"]["nodes"]}
symbols, crates = collections.defaultdict(set), collections.defaultdict(set)
for pkg in meta["packages"]:
    if pkg["id"] not in resolved or pkg["source"] is None:
        continue
    src = os.path.dirname(pkg["manifest_path"])
    pattern = r'kind = "framework"|link\(name = "(' + "|".join(map(re.escape, DYLIBS)) + ')"'
    if subprocess.run(["grep", "-rqE", pattern, "--include=*.rs", src]).returncode != 0:
        continue
    # Each extern block's declarations, under the library its own
    # attribute names, else (a -sys crate's modules) the one framework
    # the crate links; None: neither (libSystem's).
    blocks = []
    for root, _, files in os.walk(src):
        for f in (f for f in files if f.endswith(".rs")):
            code = open(os.path.join(root, f)).read()
            for m in re.finditer(r'extern\s*(?:"C"\s*)?\{', code):
                own = LINK.search(code[max(0, m.start() - 300):m.start()])
                lib = own and (own.group(1) if own.group(2) == "framework" else "lib" + own.group(1)
                               if own.group(1) in DYLIBS else None)
                body = braced(code, m.end() - 1)
                names = set(re.findall(r'link_name = "(\w+)"\]\s*(?:pub )?(?:fn|static)', body))
                names |= {n for n in re.findall(r"\b(?:fn|static(?: mut)?) (\w+)", body)
                          if not re.search(r'link_name = "\w+"\]\s*(?:pub )?(?:fn|static(?: mut)?) ' + n + r"\b", body)}
                if re.search(r"\b(?:fn|static(?: mut)?) \$", body):
                    names |= macro_names(code, m.start())
                blocks.append((lib, names))
    frameworks = {lib for lib, _ in blocks if lib and not lib.startswith("lib")}
    for lib, names in blocks:
        if lib is None and len(frameworks) == 1 and pkg["name"].endswith("-sys"):
            lib = next(iter(frameworks))
        if lib and names:
            symbols[lib] |= names
            crates[lib].add(f"{pkg['name']} {pkg['version']}")

for lib, syms in sorted(symbols.items()):
    if lib.startswith("lib"):
        path, install = os.path.join(out, "lib", f"{lib}.tbd"), DYLIBS[lib[3:]]
    else:
        path = os.path.join(out, f"{lib}.framework", f"{lib}.tbd")
        install = f"/System/Library/Frameworks/{lib}.framework/Versions/A/{lib}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '{install}'
exports:
  - targets:     [ x86_64-macos, arm64-macos ]
    symbols:     [ {', '.join('_' + s for s in sorted(syms))} ]
...
""")
    print(f"macos_frameworks: {lib}: {len(syms)} symbols, linked by {', '.join(sorted(crates[lib]))}")
