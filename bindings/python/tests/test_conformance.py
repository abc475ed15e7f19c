"""The conformance corpus (tests/conformance/, README.md there) read
through the Python binding: every line of expected.tsv must give the
records, the end and the damaged regions it states, as the Rust readers,
the CLI, C, Go and Java do. A log's gaps are told by their number only
(:attr:`binlog.Reader.gap_count`)."""

import re
from pathlib import Path

import pytest

import binlog

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "conformance"


def _cases():
    for line in (CORPUS / "expected.tsv").read_text().splitlines():
        if line and not line.startswith("#"):
            cols = line.split("\t")
            assert len(cols) == 8, line
            yield cols


def _runs(seqs):
    runs, i = [], 0
    while i < len(seqs):
        j = i
        while j + 1 < len(seqs) and seqs[j + 1] == seqs[j] + 1:
            j += 1
        runs.append(f"{seqs[i]}-{seqs[j]}")
        i = j + 1
    return ",".join(runs) or "-"


def _error(e):
    name = e.name.removeprefix("BINLOG_ERR_")
    at = re.search(r": offset (\d+)", str(e.args[0]))
    return f"error:{name}@{at.group(1)}" if at else f"error:{name}"


def _tail(t):
    k = binlog.TailKind
    return {
        k.SEALED: "sealed",
        k.UNSEALED: "unsealed",
        k.SEAL_DAMAGED: f"seal-damaged@{t.offset}",
        k.TORN: f"torn@{t.offset}+{t.len}",
    }.get(t.kind, "reading")


def _read(path, mode, type_filter):
    """The columns records, end, damages, gaps of one read."""
    try:
        if mode == "log":
            r = binlog.open_log_reader(CORPUS / path, "conformance")
        else:
            r = binlog.open_reader(CORPUS / path, salvage=mode == "salvage")
    except binlog.BinlogError as e:
        return ["-", _error(e), "-", "-"]
    with r:
        if type_filter != "-":
            r.filter_types([type_filter])
        seqs = []
        try:
            for rec in r:
                seqs.append(rec.seq)
            end = _tail(r.tail())
        except binlog.BinlogError as e:
            end = _error(e)
        damages = ",".join(f"{d.offset}-{d.resume_offset}:{d.from_seq}-{d.to_seq}"
                           for d in r.damages()) or "-"
        gaps = f"{r.gap_count} gaps" if mode == "log" and r.gap_count else "-"
        return [_runs(seqs), end, damages, gaps]


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: f"{c[0]}-{c[2]}")
def test_the_reader_classifies_the_corpus_file_as_expected(case):
    name, path, mode, type_filter, records, end, damages, gaps = case
    gap_count = "-" if gaps == "-" else f"{len(gaps.split(','))} gaps"
    assert _read(path, mode, type_filter) == [records, end, damages, gap_count]
