"""The package over the lean library (`make lib ARCHIVE=0`, without the
archive tier: no cargo feature "s3"), built by binlog_build.py exactly as
over the full one (the header and the library's functions are the same):
the library itself refuses what needs the tier, and the rest works.
`make test-python` builds that library (BINLOG_TEST_LIB_WITHOUT_S3). The
library is read only when the module is built, so importing the build
script (setup.py's metadata steps) needs none."""

import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import binlog_build  # noqa: E402 (found beside tests/)

import binlog  # noqa: E402

ABSENT = 'built without the archive tier (cargo feature "s3")'


@pytest.fixture(scope="module")
def package_without_s3(tmp_path_factory):
    """A copy of the installed package whose ``binlog._native`` is built
    (by binlog_build.py) against the lean library; returns the directory
    to put on ``PYTHONPATH``."""
    lib_dir = os.environ.get("BINLOG_TEST_LIB_WITHOUT_S3")
    if not lib_dir:
        pytest.fail("BINLOG_TEST_LIB_WITHOUT_S3 is not set: run the tests with make test-python")
    build = tmp_path_factory.mktemp("build-without-s3")
    subprocess.run([sys.executable, binlog_build.__file__], cwd=build, check=True, capture_output=True,
                   env=dict(os.environ, BINLOG_LIB_DIR=lib_dir))
    root = tmp_path_factory.mktemp("package-without-s3")
    shutil.copytree(os.path.dirname(binlog.__file__), root / "binlog",
                    ignore=shutil.ignore_patterns("_native*.so", "__pycache__"))
    for module in (build / "binlog").glob("_native*.so"):
        shutil.copy(module, root / "binlog")
    return root


# Run by the package over the lean library: what it does with the options,
# the shipper and the tiered reader, as JSON.
WITHOUT_S3_SCRIPT = """
import json, os, sys
import binlog
d = sys.argv[1]
out = {"native": binlog._native.__file__}
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
try:
    binlog.open_log_tiered_reader(os.path.join(d, "local"), "orders", "s3://bucket/prefix")
except binlog.InvalidArgumentError as e:
    out["tiered"] = str(e)
print(json.dumps(out))
"""


def test_a_build_without_the_archive_tier_refuses_what_needs_it_and_keeps_the_core(package_without_s3, tmp_path):
    done = subprocess.run([sys.executable, "-c", WITHOUT_S3_SCRIPT, str(tmp_path)], cwd=package_without_s3,
                          env=dict(os.environ, PYTHONPATH=str(package_without_s3)),
                          check=True, capture_output=True, text=True)
    out = json.loads(done.stdout)
    assert out["native"].startswith(str(package_without_s3)), out
    assert "retention until_shipped: this build of libbinlog has no shipper (cargo feature `s3`)" in (
        out["until_shipped"]), out
    assert out["refused_log_files"] is False, "the refused log was created"
    assert out["segments"] == [2], "the hard cap works without a shipper"
    assert ABSENT in out.get("shipper", ""), out
    assert ABSENT in out.get("tiered", ""), out


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
