"""cffi build script: the extension module ``binlog._native``.

It compiles the C declarations of ``include/binlog.h`` (out-of-line API
mode, so every call is a direct C call and releases the GIL) and links
the static ``libbinlog.a`` into the module, so that the wheel carries the
whole library and needs nothing but libc at run time.

Where the header and the library are: ``BINLOG_INCLUDE_DIR`` and
``BINLOG_LIB_DIR`` (the Makefile sets both), else this checkout's
``include/`` and ``target/release/`` (``$CARGO_TARGET_DIR/release/``).
The source distribution carries the crate in ``rust/`` instead: without
``BINLOG_LIB_DIR`` its build compiles the library there with cargo first
(into ``CARGO_TARGET_DIR``, else ``rust/target``). The library is read
or built only when the module is built (:func:`declare`, from setup.py's
``build_ext``), so importing this file, as setup.py's metadata steps do,
needs none.

For macOS (a Mac's own build, or ``_PYTHON_HOST_PLATFORM=macosx-11.0-<arch>``
when the Makefile builds its wheels here with zig) the modules are linked as Apple's linker links
them: the Python API looked up at load time, the init function alone
exported, the library's system frameworks named.

Every libbinlog defines every function of the header: one built
without the archive tier (``make lib ARCHIVE=0``) answers the shipper's
and the tiered reader's with ``BINLOG_ERR_INVALID_ARGUMENT`` (so
``binlog.Shipper`` raises ``InvalidArgumentError`` saying so), and a
module built against it is the same module.
"""

import os
import re
import shutil
import subprocess

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
# The crate: the source distribution's rust/, else the checkout's root.
CRATE = HERE + "/rust" if os.path.isdir(HERE + "/rust") else os.path.dirname(os.path.dirname(HERE))
INCLUDE_DIR = os.environ.get("BINLOG_INCLUDE_DIR", os.path.join(CRATE, "include"))
LIB_DIR = os.environ.get("BINLOG_LIB_DIR") or os.environ.get("CARGO_TARGET_DIR", CRATE + "/target") + "/release"
# The machine the modules are for: setuptools' cross-build override, else this one.
MACOS = os.environ.get("_PYTHON_HOST_PLATFORM", os.uname().sysname).startswith(("macosx", "Darwin"))
# What libbinlog.a needs besides libc (rustc --print native-static-libs;
# on macOS, libc++'s atomic wait; the frameworks are link_args').
STATIC_LIBS = ["c++"] if MACOS else ["gcc_s", "util", "rt", "pthread", "m", "dl"]


def link_args(module: str) -> list:
    """Unused code dropped, symbols stripped, and only the module's init
    function exported: the Rust symbols of libbinlog.a stay private, so a
    libbinlog loaded by another module of the same process cannot be
    confused with this copy. On Linux by native.map (a version script,
    which zig's linker takes as GNU ld does; it has no --exclude-libs).
    On macOS the frameworks of the archive tier's TLS roots and time
    zones are named, and loaded only by a module that calls them."""
    if MACOS:
        return ["-Wl,-dead_strip,-dead_strip_dylibs", f"-Wl,-exported_symbol,_PyInit_{module}", "-Wl,-S,-x",
                "-framework", "Security", "-framework", "CoreFoundation"]
    return ["-Wl,--gc-sections", "-Wl,--version-script=" + os.path.join(HERE, "native.map"), "-s"]


# Integer macros cffi can take as constants (`#define NAME 123`).
INT_DEFINE = re.compile(r"^#define (BINLOG_[A-Z0-9_]+) (-?\d+)$", re.M)

CALLBACKS = """
extern "Python" int32_t _binlog_segment_callback(void *, const struct binlog_segment_info *);
extern "Python" int64_t _binlog_clock(void *);
"""


def declarations(header_path: str) -> str:
    """The header's declarations as cffi's cdef parser takes them: the C
    preprocessor, without the system includes (cffi knows the fixed-width
    types), resolves the C/C++ conditionals and drops the comments."""
    with open(header_path, encoding="utf-8") as f:
        text = f.read()
    constants = "".join(f"#define {n} {v}\n" for n, v in INT_DEFINE.findall(text))
    without_includes = re.sub(r"^#include .*$", "", text, flags=re.M)
    preprocessed = subprocess.run(os.environ.get("CC", "cc").split() + ["-E", "-P", "-std=c11", "-x", "c", "-"],
                                  input=without_includes, capture_output=True, text=True, check=True).stdout
    return constants + preprocessed + CALLBACKS


LIBRARY = os.path.join(LIB_DIR, "libbinlog.a")


def declare(ffi: FFI) -> None:
    """Gives ``ffi`` the header's declarations; the library must be built
    by now, but the source distribution's, which this builds as `make lib`
    does (the archive tier and signing in), by the machine's cargo."""
    cargo = os.environ.get("CARGO", "cargo")
    if CRATE == HERE + "/rust" and "BINLOG_LIB_DIR" not in os.environ:
        if shutil.which(cargo) is None:
            raise SystemExit(f"libbinlog: the source distribution builds the C library with Rust's cargo (1.88 "
                             f"or newer, https://rustup.rs): {cargo} is not found (or set BINLOG_LIB_DIR)")
        subprocess.run([cargo, "rustc", "--manifest-path", CRATE + "/Cargo.toml", "--lib", "--release", "--locked",
                        "--no-default-features", "--features=compression,s3,sign", "--crate-type=staticlib"],
                       check=True)
    if not os.path.isfile(LIBRARY):
        raise SystemExit(f"{LIBRARY} does not exist: run `make lib` first "
                         "(or set BINLOG_LIB_DIR to the directory of libbinlog.a)")
    ffi.cdef(declarations(os.path.join(INCLUDE_DIR, "binlog.h")))


# Declared by declare() just before cffi writes the module's C source.
ffibuilder = FFI()
ffibuilder.set_source("binlog._native", '#include "binlog.h"', include_dirs=[INCLUDE_DIR], extra_objects=[LIBRARY],
                      libraries=STATIC_LIBS, extra_link_args=link_args("_native"))

if __name__ == "__main__":
    declare(ffibuilder)
    ffibuilder.compile(verbose=True)
