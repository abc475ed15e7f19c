"""The conformance corpus (tests/conformance/, README.md there) read
through the Python binding: every line of expected.tsv must give the
records, the end, the damaged regions and the gaps it states, as the Rust
readers, the CLI, C, Go and Java do; and :func:`binlog.verify` on each
file must say what ``binlog verify`` says of it
(cli/tests/it/conformance_verify.rs derives the same from expected.tsv)."""

import re
from pathlib import Path, PurePosixPath

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


def _damage(d, file):
    """OBJECT:OFFSET-RESUME:FROM-TO, OBJECT the name of the file or object
    the region is in, left out where it is ``file`` (the one file a
    segment reader reads; None: always named)."""
    region = f"{d.offset}-{d.resume_offset}:{d.from_seq}-{d.to_seq}"
    name = PurePosixPath(d.path).name
    return region if file is not None and name == PurePosixPath(file).name else f"{name}:{region}"


def _read_to_end(r, error_name, file=None):
    """The columns records, end and damages of r read to its end, an
    error's end named by error_name; a damage named unless it is in
    ``file``."""
    seqs = []
    try:
        for rec in r:
            seqs.append(rec.seq)
        end = _tail(r.tail())
    except binlog.BinlogError as e:
        end = error_name(e)
    damages = ",".join(_damage(d, file) for d in r.damages()) or "-"
    return _runs(seqs), end, damages


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
        records, end, damages = _read_to_end(r, _error, path)
        gaps = ",".join(f"{g.from_seq}-{g.to_seq}:{g.reason.name.lower().replace('_', '-')}"
                        for g in r.gaps()) or "-"
        return [records, end, damages, gaps]


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: f"{c[0]}-{c[2]}")
def test_the_reader_classifies_the_corpus_file_as_expected(case):
    name, path, mode, type_filter, records, end, damages, gaps = case
    assert _read(path, mode, type_filter) == [records, end, damages, gaps]


def _count(runs):
    """How many sequence numbers runs "a-b,c-d" hold."""
    return sum(int(b) - int(a) + 1 for a, b in re.findall(r"(\d+)-(\d+)", runs))


def _expected_verdict(open_line, salvage_line):
    """What verify must say of a file, (status, intact records, offset of
    the first issue), from its open line and its salvage line if any (whose
    records are the intact ones), as cli/tests/it/conformance_verify.rs derives
    it: status as ``binlog verify``'s exit status (0 clean, 1 damaged, 2 not
    a segment this library reads); the first issue is where the first
    damaged region starts, else where the end is damaged; damage to a
    compressed file's seek table is in no original byte (None)."""
    read = salvage_line or open_line
    end, records = open_line[5], _count(read[4])
    if end in ("sealed", "unsealed"):
        return (0, records, None)
    if "NOT_A_BINLOG" in end or "UNSUPPORTED_VERSION" in end:
        return (2, records, None)
    if "SEEK_TABLE" in end or "COMPRESSED_TRUNCATED" in end:
        return (1, records, None)
    at = re.match(r"(\d+)", read[6]) or re.search(r"@(\d+)", read[5]) or re.search(r"@(\d+)", end)
    return (1, records, int(at.group(1)) if at else None)


def _verify_verdict(path):
    """What binlog.verify says of a file: a finding of a file it cannot
    read is status 2, else any damage 1; the first damage's offset."""
    with binlog.verify(CORPUS / path) as v:
        findings = list(v)
        records = v.records
    k = binlog.FindingKind
    unreadable = {k.NOT_A_BINLOG, k.UNSUPPORTED_VERSION, k.UNREADABLE}
    damage = [f for f in findings if f.damage]
    status = 2 if any(f.kind in unreadable for f in findings) else 1 if damage else 0
    return (status, records, damage[0].offset if damage else None)


def _files():
    cases = list(_cases())
    for c in cases:
        if c[2] == "open" and c[3] == "-":
            salvage = [s for s in cases if s[1] == c[1] and s[2] == "salvage" and s[3] == "-"]
            yield c, (salvage or [None])[0]


@pytest.mark.parametrize("lines", list(_files()), ids=lambda lines: lines[0][1])
def test_verify_classifies_the_corpus_file_as_the_readers_do(lines):
    want = _expected_verdict(*lines)
    status, records, issue = _verify_verdict(lines[0][1])
    if want[2] is None and status != 0:
        issue = None  # an offset none is derived for (a seek table's) is not compared
    assert (status, records, issue) == want
