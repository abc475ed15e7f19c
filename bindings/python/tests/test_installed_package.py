"""The package as pip installs it: the wheel's own compiled module, with
the library linked in (no libbinlog.so loaded, no LD_LIBRARY_PATH), built
against the stable ABI, typed, with the repository's LICENSE."""

import importlib.metadata
import os
import pathlib
import subprocess
import sysconfig

import binlog
from binlog import _fast, _native


def test_the_package_is_the_installed_one_not_the_source_tree():
    site = sysconfig.get_paths()["purelib"]
    assert binlog.__file__.startswith(site), binlog.__file__


def test_the_compiled_module_is_abi3_and_the_library_is_linked_into_it():
    assert _native.__file__.endswith(".abi3.so"), _native.__file__
    assert _fast.__file__.endswith(".abi3.so"), _fast.__file__
    with open("/proc/self/maps") as maps:
        loaded = {line.split()[-1] for line in maps if "/" in line}
    assert not any(os.path.basename(p).startswith("libbinlog.so") for p in loaded), loaded
    assert "LD_LIBRARY_PATH" not in os.environ


def test_each_compiled_module_exports_its_init_function_alone():
    for module in (_native, _fast):
        listed = subprocess.run(["nm", "-D", "--defined-only", module.__file__], check=True, capture_output=True,
                                text=True).stdout
        assert {line.split()[-1] for line in listed.splitlines()} == {"PyInit_" + module.__name__.split(".")[1]}, listed


def test_the_library_version_is_the_package_version():
    assert binlog.__version__ == importlib.metadata.version("libbinlog")
    major, minor, patch = map(int, binlog.__version__.split("."))
    assert _native.lib.binlog_version_number() == major * 1_000_000 + minor * 1000 + patch


def test_the_package_says_it_is_typed():
    assert os.path.exists(os.path.join(os.path.dirname(binlog.__file__), "py.typed"))


def test_the_wheel_carries_the_repository_license():
    repo_license = pathlib.Path(__file__).resolve().parents[3] / "LICENSE"
    dist = importlib.metadata.distribution("libbinlog")
    shipped = [f for f in dist.files or [] if f.name == "LICENSE" and ".dist-info" in str(f)]
    assert len(shipped) == 1, dist.files
    assert shipped[0].read_text() == repo_license.read_text()
