"""cffi build script: the extension module ``binlog._native``.

It compiles the C declarations of ``include/binlog.h`` (out-of-line API
mode, so every call is a direct C call and releases the GIL) and links
the static ``libbinlog.a`` into the module, so that the wheel carries the
whole library and needs nothing but libc at run time.

Where the header and the library are: ``BINLOG_INCLUDE_DIR`` and
``BINLOG_LIB_DIR`` (the Makefile sets both), else this checkout's
``include/`` and ``target/release/``. The library is read only when the
module is built (:func:`declare`, from setup.py's ``build_ext``), so
importing this file, as setup.py's metadata steps do, needs none.

Every libbinlog defines every function of the header: one built
without the archive tier (``make lib ARCHIVE=0``) answers the shipper's
and the tiered reader's with ``BINLOG_ERR_INVALID_ARGUMENT`` (so
``binlog.Shipper`` raises ``InvalidArgumentError`` saying so), and a
module built against it is the same module.
"""

import os
import re
import subprocess

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
INCLUDE_DIR = os.environ.get("BINLOG_INCLUDE_DIR", os.path.join(ROOT, "include"))
LIB_DIR = os.environ.get("BINLOG_LIB_DIR", os.path.join(ROOT, "target", "release"))
# What libbinlog.a needs besides libc (the Makefile's STATIC_LIBS).
STATIC_LIBS = ["gcc_s", "util", "rt", "pthread", "m", "dl"]

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
    cc = os.environ.get("CC", "cc").split()
    preprocessed = subprocess.run(
        cc + ["-E", "-P", "-std=c11", "-x", "c", "-"],
        input=without_includes, capture_output=True, text=True, check=True,
    ).stdout
    return constants + preprocessed + CALLBACKS


HEADER = os.path.join(INCLUDE_DIR, "binlog.h")
LIBRARY = os.path.join(LIB_DIR, "libbinlog.a")


def declare(ffi: FFI) -> None:
    """Gives ``ffi`` the header's declarations; the library must be
    built by now."""
    if not os.path.isfile(LIBRARY):
        raise SystemExit(f"{LIBRARY} does not exist: run `make lib` first "
                         "(or set BINLOG_LIB_DIR to the directory of libbinlog.a)")
    ffi.cdef(declarations(HEADER))


# Declared by declare() just before cffi writes the module's C source.
ffibuilder = FFI()
ffibuilder.set_source(
    "binlog._native",
    '#include "binlog.h"',
    include_dirs=[INCLUDE_DIR],
    extra_objects=[LIBRARY],
    libraries=STATIC_LIBS,
    # Only the module's init function is exported (native.map, a version
    # script, which zig's linker takes as GNU ld does; it has no
    # --exclude-libs): the Rust symbols of libbinlog.a stay private, so a
    # libbinlog.so loaded by another module of the same process cannot be
    # confused with this copy.
    extra_link_args=["-Wl,--gc-sections", "-Wl,--version-script=" + os.path.join(HERE, "native.map"), "-s"],
)

if __name__ == "__main__":
    declare(ffibuilder)
    ffibuilder.compile(verbose=True)
