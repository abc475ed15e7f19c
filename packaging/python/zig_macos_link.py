"""`zig cc` as the linker of a macOS extension module built here:
`python zig_macos_link.py ZIG_PYTHON TARGET OBJCOPY STUBS ARGS...` links
as `zig cc -target TARGET -shared -undefined dynamic_lookup ARGS...`
would, given what Apple's linker is given on a Mac (binlog_build.py's
link_args).

zig's Mach-O linker has no `-exported_symbol`, which keeps libbinlog.a's
symbols out of the module's exports. Where ARGS ask for it, the objects and
archives are first linked into one relocatable object (`zig cc -r`, which
takes from the archives the members the objects need, as a final link
does), whose symbols llvm-objcopy (OBJCOPY) then makes local but for the
exported ones; that object is linked as the module.

The system libraries zig lacks are named by the stubs in STUBS (`make
macos-frameworks`'s): `-framework NAME` finds STUBS/NAME.framework/NAME.tbd,
and `-lc++` becomes STUBS/lib/libc++.tbd (for zig, `-lc++` means linking its
own libc++ in).
"""

import os
import subprocess
import sys
import tempfile

zig_python, target, objcopy, stubs, *args = sys.argv[1:]
zig_cc = [zig_python, "-m", "ziglang", "cc", "-target", target, "-F", stubs]
args = [os.path.join(stubs, "lib", "libc++.tbd") if a == "-lc++" else a for a in args]
exported = [a.split(",", 2)[2] for a in args if a.startswith("-Wl,-exported_symbol,")]
args = [a for a in args if not a.startswith("-Wl,-exported_symbol,")]
with tempfile.TemporaryDirectory() as tmp:
    if exported:
        inputs = [a for a in args if a.endswith((".o", ".a")) and not a.startswith("-")]
        merged = os.path.join(tmp, "merged.o")
        subprocess.run(zig_cc + ["-r", "-o", merged] + inputs, check=True)
        subprocess.run([objcopy] + [f"--keep-global-symbol={s}" for s in exported] + [merged], check=True)
        args = [merged] + [a for a in args if a not in inputs]
    # zig makes a dynamic library (it has no -bundle, which a Mac's build
    # uses): its install name is the module's file name, not the build path.
    name = os.path.basename(args[args.index("-o") + 1])
    link = zig_cc + ["-shared", "-undefined", "dynamic_lookup", f"-Wl,-install_name,@rpath/{name}"] + args
    sys.exit(subprocess.run(link).returncode)
