"""binlog_build.py and a libbinlog.a built without the cargo feature "s3"
(no shipper functions, which the header declares all the same): their
declarations are left out of the module, whose binlog.Shipper then says
why it cannot ship, rather than the module failing to load; with
BINLOG_REQUIRE_S3 (the Makefile's wheel) the build stops instead. The
package over the real library without the feature (`make test-python`
builds it: BINLOG_TEST_LIB_WITHOUT_S3) refuses what needs a shipper. The
library is read only when the module is built, so importing the build
script (setup.py's metadata steps) needs none."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from cffi import FFI

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import binlog_build  # noqa: E402 (found beside tests/)

import binlog  # noqa: E402

SHIPPER_FUNCTION = r"binlog_ship(?:per|_options)_\w+"
SHIPPER_CALL = re.compile(rf"\b({SHIPPER_FUNCTION})\s*\(")
# The library's exported functions, one a line (the ABI check's list).
SYMBOLS = os.path.join(binlog_build.ROOT, "tests", "abi", "symbols.txt")


@pytest.fixture
def library_without_s3(tmp_path):
    """A static library defining one function of the header, as ar makes it."""
    source = tmp_path / "version.c"
    source.write_text("unsigned binlog_version_number(void) { return 1000; }\n")
    subprocess.run(["cc", "-c", "-o", str(tmp_path / "version.o"), str(source)], check=True)
    subprocess.run(["ar", "rcs", str(tmp_path / "libbinlog.a"), str(tmp_path / "version.o")], check=True)
    return str(tmp_path / "libbinlog.a")


def _declarations():
    return binlog_build.declarations(binlog_build.HEADER)


def _shipper_symbols():
    with open(SYMBOLS, encoding="utf-8") as f:
        return {line.strip() for line in f if re.fullmatch(SHIPPER_FUNCTION, line.strip())}


def test_the_shipper_s_declarations_are_left_out_for_a_library_without_them(library_without_s3, monkeypatch):
    monkeypatch.delenv("BINLOG_REQUIRE_S3", raising=False)
    assert binlog_build.archive_symbols(library_without_s3) == {"binlog_version_number"}
    full = _declarations()
    assert set(SHIPPER_CALL.findall(full)) == _shipper_symbols() != set()
    kept = binlog_build.without_missing_s3(full, library_without_s3)
    assert SHIPPER_CALL.findall(kept) == []
    assert "binlog_reader_open_log_tiered(" in kept, "the tiered open is in every build"
    FFI().cdef(kept)  # what is left still parses, the shipper's types with it


def test_a_build_that_requires_s3_stops_at_a_library_without_it(library_without_s3, monkeypatch):
    monkeypatch.setenv("BINLOG_REQUIRE_S3", "1")
    with pytest.raises(SystemExit, match='without the cargo feature "s3"'):
        binlog_build.without_missing_s3(_declarations(), library_without_s3)


def test_the_library_make_lib_built_has_the_shipper_and_so_does_the_installed_module():
    assert "binlog_shipper_open" in binlog_build.archive_symbols(binlog_build.LIBRARY)
    full = _declarations()
    assert binlog_build.without_missing_s3(full, binlog_build.LIBRARY) == full
    assert binlog.shipper.HAS_S3


@pytest.fixture(scope="module")
def package_without_s3(tmp_path_factory):
    """A copy of the installed package whose ``binlog._native`` is built
    (by binlog_build.py) against the library without the feature "s3";
    returns the directory to put on ``PYTHONPATH``."""
    lib_dir = os.environ.get("BINLOG_TEST_LIB_WITHOUT_S3")
    if not lib_dir:
        pytest.fail("BINLOG_TEST_LIB_WITHOUT_S3 is not set: run the tests with make test-python")
    build = tmp_path_factory.mktemp("build-without-s3")
    env = {k: v for k, v in os.environ.items() if k != "BINLOG_REQUIRE_S3"}
    subprocess.run([sys.executable, binlog_build.__file__], cwd=build, check=True, capture_output=True,
                   env=dict(env, BINLOG_LIB_DIR=lib_dir))
    root = tmp_path_factory.mktemp("package-without-s3")
    shutil.copytree(os.path.dirname(binlog.__file__), root / "binlog",
                    ignore=shutil.ignore_patterns("_native*.so", "__pycache__"))
    for module in (build / "binlog").glob("_native*.so"):
        shutil.copy(module, root / "binlog")
    return root


# Run by the package without the feature "s3": what it does with the
# options and the shipper, as JSON.
WITHOUT_S3_SCRIPT = """
import json, os, sys
import binlog
d = sys.argv[1]
out = {"has_s3": binlog.shipper.HAS_S3, "native": binlog._native.__file__}
try:
    binlog.open_log_writer(os.path.join(d, "shipped"), "orders", retention_until_shipped=True)
except binlog.InvalidArgumentError as e:
    out["until_shipped"] = str(e)
out["refused_log_files"] = os.path.exists(os.path.join(d, "shipped"))
with binlog.open_log_writer(os.path.join(d, "local"), "orders", retention_until_shipped=False,
                            max_segment_records=1, retention_hard_max_bytes=1) as w:
    for i in range(3):
        w.append("t", b"x")
    out["segments"] = [s.segment_no for s in binlog.list_segments(os.path.join(d, "local"), "orders")]
try:
    binlog.Shipper(os.path.join(d, "local"), "orders", url="s3://bucket/prefix")
except binlog.InvalidArgumentError as e:
    out["shipper"] = str(e)
print(json.dumps(out))
"""


def test_a_build_without_s3_refuses_until_shipped_when_the_log_opens(package_without_s3, tmp_path):
    done = subprocess.run([sys.executable, "-c", WITHOUT_S3_SCRIPT, str(tmp_path)], cwd=package_without_s3,
                          env=dict(os.environ, PYTHONPATH=str(package_without_s3)),
                          check=True, capture_output=True, text=True)
    out = json.loads(done.stdout)
    assert out["has_s3"] is False and out["native"].startswith(str(package_without_s3)), out
    assert "retention until_shipped: this build of libbinlog has no shipper (cargo feature `s3`)" in (
        out["until_shipped"]), out
    assert out["refused_log_files"] is False, "the refused log was created"
    assert out["segments"] == [2], "the hard cap works without a shipper"
    assert 'built without the feature "s3"' in out["shipper"], out


def test_the_build_script_imports_without_a_library_and_building_asks_for_make_lib(tmp_path):
    script = os.path.dirname(os.path.abspath(binlog_build.__file__))
    env = dict(os.environ, BINLOG_LIB_DIR=str(tmp_path))
    imported = subprocess.run([sys.executable, "-c", "import binlog_build"],
                              cwd=script, env=env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    built = subprocess.run([sys.executable, "-c", "import binlog_build, cffi; binlog_build.declare(cffi.FFI())"],
                           cwd=script, env=env, capture_output=True, text=True)
    assert built.returncode != 0
    assert f"{tmp_path / 'libbinlog.a'} does not exist: run `make lib` first" in built.stderr
