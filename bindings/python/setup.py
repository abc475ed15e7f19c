"""The compiled parts of the package: binlog._native (binlog_build.py,
cffi over binlog.h with the library linked in) and binlog._fast (csrc/,
the per-record paths in C; see csrc/fast.h); the rest of the metadata is
in pyproject.toml."""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from binlog_build import INCLUDE_DIR, declare, link_args  # noqa: E402 (after the path it is found on)

FAST = Extension("binlog._fast", [f"csrc/{n}.c" for n in ("module", "record", "records", "writer_core")],
                 depends=["csrc/fast.h"], include_dirs=[INCLUDE_DIR], define_macros=[("Py_LIMITED_API", "0x03090000")],
                 py_limited_api=True, extra_link_args=link_args("_fast"))


class BuildExt(build_ext):
    """build_ext, reading libbinlog.a only when binlog._native is built."""

    def pre_run(self, ext: Extension, ffi: object) -> None:
        """cffi's hook, called just before it writes the module's C source."""
        declare(ffi)


setup(cmdclass={"build_ext": BuildExt}, cffi_modules=["binlog_build.py:ffibuilder"], ext_modules=[FAST])
