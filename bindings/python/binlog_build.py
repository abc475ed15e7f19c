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

A library built without the cargo feature "s3" lacks the shipper's
functions, which the header declares all the same: their declarations
are left out of the module (``binlog.Shipper`` then raises
``InvalidArgumentError`` saying so) unless ``BINLOG_REQUIRE_S3`` is set,
as the Makefile sets it, which makes such a build fail instead.
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

# The functions only a library with the feature "s3" defines.
S3_ONLY = re.compile(r"^[\w *]+\b(binlog_ship(?:per|_options)_\w+)\([^;]*\);", re.M)

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


def archive_symbols(path: str) -> set:
    """The global symbols a static library's members define, as its
    index says (the first member, "/" or "/SYM64/", that ar and rustc
    write: a count, one offset a symbol, then the NUL-terminated names)."""
    with open(path, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise SystemExit(f"{path}: not a static library")
        header = f.read(60)
        width = {b"/": 4, b"/SYM64/": 8}.get(header[:16].rstrip())
        if width is None:
            raise SystemExit(f"{path}: no symbol index (run ranlib on it)")
        index = f.read(int(header[48:58]))
    count = int.from_bytes(index[:width], "big")
    names = index[width * (count + 1):].split(b"\0")[:count]
    return {n.decode("ascii", "replace") for n in names}


def without_missing_s3(cdef: str, library: str) -> str:
    """``cdef`` without the declarations of the shipper's functions if
    ``library`` lacks them (built without the feature "s3")."""
    if "binlog_shipper_open" in archive_symbols(library):
        return cdef
    if os.environ.get("BINLOG_REQUIRE_S3"):
        raise SystemExit(f"{library} was built without the cargo feature \"s3\" "
                         "(the wheel must ship the shipper and the tiered reader)")
    return S3_ONLY.sub("", cdef)


HEADER = os.path.join(INCLUDE_DIR, "binlog.h")
LIBRARY = os.path.join(LIB_DIR, "libbinlog.a")


def declare(ffi: FFI) -> None:
    """Gives ``ffi`` the header's declarations, less the shipper's if
    the library lacks them; the library must be built by now."""
    if not os.path.isfile(LIBRARY):
        raise SystemExit(f"{LIBRARY} does not exist: run `make lib` first "
                         "(or set BINLOG_LIB_DIR to the directory of libbinlog.a)")
    ffi.cdef(without_missing_s3(declarations(HEADER), LIBRARY))


# Declared by declare() just before cffi writes the module's C source.
ffibuilder = FFI()
ffibuilder.set_source(
    "binlog._native",
    '#include "binlog.h"',
    include_dirs=[INCLUDE_DIR],
    extra_objects=[LIBRARY],
    libraries=STATIC_LIBS,
    # Only the module's init function is exported: the Rust symbols of
    # libbinlog.a stay private, so a libbinlog.so loaded by another module
    # of the same process cannot be confused with this copy.
    extra_link_args=["-Wl,--gc-sections", "-Wl,--exclude-libs,ALL", "-s"],
)

if __name__ == "__main__":
    declare(ffibuilder)
    ffibuilder.compile(verbose=True)
