"""The compiled part of the package (binlog_build.py); the rest of the
metadata is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["binlog_build.py:ffibuilder"])
