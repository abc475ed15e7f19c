"""The conformance corpus's section 18 cases (tests/conformance/remote/,
expected-remote.tsv; README.md there) read through the Python binding:
each `remote` and `remote-salvage` line's case is shipped with
:class:`binlog.Shipper` to the versitygw of `make test-python`
(conftest.py), its objects edited as the case's file says (the server
keeps each object as a file of its key's path), and read with
:func:`binlog.open_log_tiered_reader`, skipping damage or not: the
records, the end (its error naming the object), the damaged regions
(object, offsets, records) and the gaps (reason, object, records) must be
the ones the line states, as the Rust readers, the CLI, verify, C, Go and
Java give them."""

import os
import re
import shutil
from pathlib import PurePosixPath

import pytest

import binlog
from test_conformance import CORPUS, _error, _read_to_end


def _cases():
    for line in (CORPUS / "expected-remote.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            cols = line.split("\t")
            assert len(cols) == 8, line
            if cols[2] in ("remote", "remote-salvage"):  # `cat`: the tool's
                yield cols


def _edit(log_dir, what, name, arg=None):
    """One edit of a case's file (README.md), the object's metadata unchanged."""
    f = log_dir / name
    if what == "remove":
        f.unlink()
    elif what == "cut":
        os.truncate(f, int(arg))
    elif what == "grow":
        os.truncate(f, f.stat().st_size + int(arg))
    elif what == "flip":
        b = bytearray(f.read_bytes())
        b[int(arg)] ^= 1
        f.write_bytes(bytes(b))
    elif what == "rename":
        f.rename(log_dir / arg)
    else:
        pytest.fail(f"unknown edit {what}")


def _set_up(s3, case_path, directory):
    """Ships the case of file ``case_path`` from ``directory`` and makes its edits."""
    for f in (CORPUS / "remote" / "log").iterdir():
        shutil.copy(f, directory / f.name)
    for line in (CORPUS / case_path).read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        words = line.split(" ")
        if words[0] == "keep-local":
            options = s3.ship_options(keep_local=int(words[1]))
            with binlog.Shipper(directory, "conformance", **options) as s:
                assert s.ship_once().uploaded == 3
        else:
            _edit(s3.root / s3.bucket / s3.prefix / "conformance", *words)


def _remote_error(e):
    """error:NAME@OFFSET:OBJECT."""
    url = re.search(r"(s3://[^:]*): offset ", str(e.args[0]))
    return f"{_error(e)}:{PurePosixPath(url.group(1)).name if url else '?'}"


def _seq(v):
    return "?" if v is None else str(v)


def _gap(g):
    """REASON:OBJECT:FROM-TO."""
    reason = g.reason.name.lower().replace("_", "-")
    return f"{reason}:{PurePosixPath(g.path).name}:{_seq(g.from_seq)}-{_seq(g.to_seq)}"


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: f"{c[0]}-{c[2]}")
def test_the_tiered_reader_reads_the_shipped_case_as_expected(aws_env, tmp_path, case):
    name, path, mode, _, records, end, damages, gaps = case
    _set_up(aws_env, path, tmp_path)
    with binlog.open_log_tiered_reader(tmp_path, "conformance", aws_env.url) as r:
        r.skip_damaged(mode == "remote-salvage")
        got_records, got_end, got_damages = _read_to_end(r, _remote_error)
        got_gaps = ",".join(_gap(g) for g in r.gaps()) or "-"
    assert [got_records, got_end, got_damages, got_gaps] == [records, end, damages, gaps]
