"""binlog.verify: files written by the binding, damaged on disk (a torn
tail, a flipped byte, a deleted middle segment), give the library's
findings (kind, file, offset, records lost), the same places its reader
reports; clean files give no damage."""

import os
import re
import shutil
import struct
import threading
import zlib

import pytest

import binlog
from binlog import FindingKind, RepairAction
from binlog._native import lib
from support import torn_segment


def _segment(path, count=10):
    with binlog.open_writer(path) as w:
        for i in range(count):
            w.append("t", b"record %02d " % i * 10)


def _damage(findings):
    """The one damage finding among ``findings``."""
    damage = [f for f in findings if f.damage]
    assert len(damage) == 1, findings
    return damage[0]


def test_the_kinds_and_actions_are_the_libraries_codes():
    for enum, prefix in ((FindingKind, "BINLOG_FINDING_"), (RepairAction, "BINLOG_REPAIR_")):
        in_header = {n[len(prefix):]: getattr(lib, n) for n in dir(lib) if n.startswith(prefix)}
        assert in_header == {m.name: m.value for m in enum}


def test_the_kinds_and_actions_have_the_librarys_names():
    assert FindingKind.TORN_TAIL.label == "torn-tail"
    assert FindingKind.SEQUENCE_JUMP.label == "sequence"
    assert FindingKind.MANIFEST_DAMAGED.label == "manifest-damaged"
    assert FindingKind.NOT_LISTED.label == "not-listed"
    assert RepairAction.CUT_TORN_TAIL.label == "cut-torn-tail"
    assert len({k.label for k in FindingKind}) == len(FindingKind)


def test_a_clean_segment_has_no_damage(tmp_path):
    path = tmp_path / "clean.binlog"
    _segment(path)
    with binlog.verify(path) as v:
        assert [f for f in v if f.damage] == []
        assert (v.segments, v.records) == (1, 10)
        assert list(v) == []  # the end, again


def test_a_torn_tail_is_found_where_the_reader_ends(tmp_path):
    path = tmp_path / "t.binlog"
    torn_segment(path)
    with binlog.open_reader(path) as r:
        last = list(r)[-1]
        tail = r.tail()
    with binlog.verify(path) as v:
        findings = list(v)
        counts = (v.segments, v.records)
    f = _damage(findings)
    assert f.kind is FindingKind.TORN_TAIL and f.repair is RepairAction.CUT_TORN_TAIL
    assert f.location == str(path) and str(path) in f.message
    assert tail.kind == binlog.TailKind.TORN
    assert (f.offset, f.length) == (tail.offset, tail.len) and f.offset > last.offset
    assert (f.from_seq, f.to_seq) == (4, 4)
    assert counts == (1, 4)


def test_a_flipped_byte_mid_file_is_corruption_the_reader_skips_the_same(tmp_path):
    path = tmp_path / "d.binlog"
    _segment(path, 20)
    data = bytearray(path.read_bytes())
    data[data.index(b"record 07")] ^= 0xFF
    path.write_bytes(bytes(data))
    with binlog.open_reader(path) as r:
        r.skip_damaged()
        list(r)
        (damage,) = r.damages()
    with binlog.verify(path) as v:
        findings = list(v)
        counts = (v.segments, v.records)
    f = _damage(findings)
    assert f.kind is FindingKind.CORRUPT and f.location == str(path)
    assert (f.offset, f.from_seq, f.to_seq) == (damage.offset, 7, 8)
    assert f.length == damage.resume_offset - damage.offset
    assert f"offset {f.offset}" in f.message
    assert counts == (1, 19)


def test_a_deleted_middle_segment_is_records_missing(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", max_segment_records=3) as w:
        for i in range(9):
            w.append("t", b"%d" % i)
    segments = binlog.list_segments(tmp_path, "log")
    assert len(segments) == 3
    with binlog.verify(tmp_path) as v:
        assert [f for f in v if f.damage] == []
    os.remove(segments[1].path)
    with binlog.verify(tmp_path, log_name="log") as v:
        findings = list(v)
        counts = (v.segments, v.records)
    f = _damage(findings)
    assert f.kind is FindingKind.MISSING_RECORDS and f.location == segments[2].path
    assert (f.from_seq, f.to_seq) == (3, 6) and f.offset is not None
    assert counts == (2, 6)


def test_a_damaged_manifest_is_a_note_then_damage_once_no_segment_is_left(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", max_segment_records=3) as w:
        for i in range(6):
            w.append("t", b"%d" % i)
    manifest = tmp_path / "log.manifest"
    data = bytearray(manifest.read_bytes())
    data[len(data) // 2] ^= 1
    manifest.write_bytes(bytes(data))
    with binlog.verify(tmp_path, log_name="log") as v:
        (f,) = list(v)
        assert v.segments == 2
    assert f.kind is FindingKind.MANIFEST_UNUSED and not f.damage
    assert f.location == str(manifest)
    for s in binlog.list_segments(tmp_path, "log"):
        os.remove(s.path)
    with binlog.verify(tmp_path, log_name="log") as v:
        (f,) = list(v)
        assert v.segments == 0
    assert f.kind is FindingKind.MANIFEST_DAMAGED and f.damage
    assert str(manifest) in f.message and str(f).startswith("manifest-damaged: ")


def test_a_directory_without_a_log_is_not_found(tmp_path):
    with pytest.raises(binlog.NotFoundError, match=str(tmp_path)):
        binlog.verify(tmp_path)


def test_a_directory_of_several_logs_needs_a_name(tmp_path):
    for name in ("a", "b"):
        with binlog.open_log_writer(tmp_path, name) as w:
            w.append("t", b"x")
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.verify(tmp_path)
    with binlog.verify(tmp_path, log_name="b") as v:
        assert [f for f in v if f.damage] == [] and v.records == 1


def test_a_missing_file_is_not_found(tmp_path):
    path = tmp_path / "absent.binlog"
    with pytest.raises(binlog.NotFoundError, match=str(path)):
        binlog.verify(path)


def test_calls_after_close_raise_closed(tmp_path):
    path = tmp_path / "c.binlog"
    _segment(path, 2)
    v = binlog.verify(path)
    v.close()
    v.close()
    with pytest.raises(binlog.ClosedError, match=str(path)):
        next(v)
    with pytest.raises(binlog.ClosedError):
        v.records


def test_close_while_other_threads_iterate_ends_their_calls_with_closed(tmp_path):
    path = tmp_path / "s.binlog"
    path.write_bytes(b"not a segment")
    v = binlog.verify(path)
    errors = []

    def run():
        try:
            while True:
                list(v)
                v.records
        except binlog.ClosedError as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    v.close()
    for t in threads:
        t.join()
    assert len(errors) == 4


# Key files as `binlog keys new` wrote them: a secret key, its public key
# and the public key of another secret key.
SECRET_KEY = "binlog-secret-key-ed25519 4dce59af616fa335443736365736b61318ff9c642cb6f0b9e2d9c37af7844617\n"
PUBLIC_KEY = "binlog-public-key-ed25519 55f8f2cec48dd5c899ca4fa3f6326ba33fabb7a75d37f008ae04b3399a69c48e\n"
ANOTHER_PUBLIC_KEY = "binlog-public-key-ed25519 5bc79df1147713d584014da3b3f7360cbec4f6cde5cc1dc43eb4a7702fb2676e\n"


# A forward-secure key file as `binlog keys epochs` wrote it (one epoch,
# 1970 to 2069, certified by the master key) and the master's public key.
EPOCH_KEYS = (
    "binlog-epoch-keys-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a 0 3153600000000000000\n"
    "0 5ac25cced169220469401f38b2cd60d2b5de6c5779c1cbef61982a187398c7c0 "
    "ecc1b6ce14b5cde1c952ca5d61c6b97a9d89fb5d302ebb74dd3d9a451918696b"
    "2d0233bd9e5c403bc62eb034cfe67a475ebaf9b28cf1a5bbba64f839ba354f08\n"
)
MASTER_PUBLIC_KEY = "binlog-public-key-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a\n"


def _findings_at(directory, trust, head=None):
    """The findings of log "log" in ``directory`` verified trusting key file
    ``trust`` (and checked against signed head file ``head``): (kind, the
    file it names), in order; every one damage."""
    with binlog.verify(directory, log_name="log", trust=trust, head=head) as v:
        findings = list(v)
    assert all(f.damage for f in findings), findings
    return [(f.kind, f.location) for f in findings]


def test_a_log_signed_with_epoch_keys_verifies_against_the_master_key(tmp_path):
    (tmp_path / "e").write_text(EPOCH_KEYS)
    os.chmod(tmp_path / "e", 0o600)  # a secret key file others may read is refused
    (tmp_path / "master.pub").write_text(MASTER_PUBLIC_KEY)
    (tmp_path / "other.pub").write_text(ANOTHER_PUBLIC_KEY)
    logs = tmp_path / "logs"
    with binlog.open_log_writer(logs, "log", max_segment_records=3, signing_key=tmp_path / "e") as w:
        for i in range(6):
            w.append("t", b"record %02d" % i)
    paths = [s.path for s in binlog.list_segments(logs, "log")]
    assert len(paths) == 2
    assert _findings_at(logs, tmp_path / "master.pub") == []
    # Each seal, and the signed head beside the log.
    own_head = str(logs / "log.head")
    assert _findings_at(logs, tmp_path / "other.pub") == [(FindingKind.OTHER_KEY, p) for p in paths + [own_head]]


def test_a_signed_log_verifies_against_its_key_and_tells_changes(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "k").write_text(SECRET_KEY)
    os.chmod(keys / "k", 0o600)
    (keys / "k.pub").write_text(PUBLIC_KEY)
    (keys / "other.pub").write_text(ANOTHER_PUBLIC_KEY)
    public = keys / "k.pub"
    with binlog.open_log_writer(tmp_path, "log", max_segment_records=3, signing_key=keys / "k") as w:
        for i in range(9):
            w.append("t", b"record %02d" % i)
    paths = [s.path for s in binlog.list_segments(tmp_path, "log")]
    assert len(paths) == 3

    assert _findings_at(tmp_path, public) == []
    # The signed head the writer keeps in the log's directory, copied away from it.
    kept = keys / "log.head"
    shutil.copyfile(tmp_path / "log.head", kept)
    assert _findings_at(tmp_path, public, head=kept) == []
    own_head = str(tmp_path / "log.head")
    assert _findings_at(tmp_path, str(keys / "other.pub")) == [
        (FindingKind.OTHER_KEY, p) for p in paths + [own_head]]

    # A payload byte of record 1 changed, its frame's CRC recomputed: only
    # the seal's digest tells.
    with binlog.open_reader(paths[0]) as r:
        at = [x.offset for x in r][1]
    original = open(paths[0], "rb").read()
    data = bytearray(original)
    (length,) = struct.unpack_from("<I", data, at)
    body = data[at + 8:at + 8 + length]
    body[body.index(b"record 01") + 7] ^= 1
    data[at + 4:at + 8 + length] = struct.pack("<I", zlib.crc32(body)) + body
    open(paths[0], "wb").write(data)
    assert _findings_at(tmp_path, public) == [(FindingKind.RECORDS_CHANGED, paths[0])]
    open(paths[0], "wb").write(original)

    os.remove(paths[1])
    with binlog.verify(tmp_path, trust=public) as v:
        findings = list(v)
    assert sorted((f.kind, f.location) for f in findings) == [
        (FindingKind.MISSING_RECORDS, paths[2]), (FindingKind.CHAIN_GAP, paths[2])]
    assert all(f.damage for f in findings)
    assert FindingKind.CHAIN_GAP.label == "chain-gap" and FindingKind.RECORDS_CHANGED.label == "records-changed"

    # The newest segment and the manifest deleted: the chain and the records
    # left are whole, the head beside the log tells; deleted with them, only
    # the kept head does.
    os.remove(paths[2])
    os.remove(tmp_path / "log.manifest")
    assert _findings_at(tmp_path, public) == [(FindingKind.CUT_OFF, own_head)]
    os.remove(own_head)
    assert _findings_at(tmp_path, public) == []
    assert _findings_at(tmp_path, public, head=str(kept)) == [(FindingKind.CUT_OFF, str(kept))]
    assert FindingKind.CUT_OFF.label == "cut-off"


def test_a_checkpoint_comes_every_n_records(tmp_path):
    (tmp_path / "k").write_text(SECRET_KEY)
    os.chmod(tmp_path / "k", 0o600)
    logs = tmp_path / "logs"
    with binlog.open_log_writer(logs, "log", signing_key=tmp_path / "k", checkpoint_records=3) as w:
        for i in range(3):
            w.append("t", b"record %02d" % i)
        # binlog-head-1 <log> <next seq> ...: the 3 records are covered,
        # the writer still open (not a second later).
        head = (logs / "log.head").read_text().splitlines()[0]
        assert head.startswith("binlog-head-1 log 3 "), head


def test_a_key_that_is_no_path_or_no_key_is_refused_naming_it(tmp_path):
    (tmp_path / "k").write_text(SECRET_KEY)
    (tmp_path / "k.pub").write_text(PUBLIC_KEY)
    with pytest.raises(TypeError, match="signing_key must be a path"):
        binlog.open_writer(tmp_path / "s.binlog", signing_key=5)
    with pytest.raises(binlog.InvalidArgumentError, match=re.escape(str(tmp_path / "k.pub"))):
        binlog.open_writer(tmp_path / "s.binlog", signing_key=tmp_path / "k.pub")  # a public key
    _segment(tmp_path / "s.binlog")
    with pytest.raises(TypeError, match="trust must be a path"):
        binlog.verify(tmp_path / "s.binlog", trust=5)
    with pytest.raises(binlog.InvalidArgumentError, match=re.escape(str(tmp_path / "k"))):
        binlog.verify(tmp_path / "s.binlog", trust=tmp_path / "k")  # a secret key
    with pytest.raises(TypeError, match="head must be a path"):
        binlog.verify(tmp_path / "s.binlog", trust=tmp_path / "k.pub", head=5)
    with pytest.raises(binlog.InvalidArgumentError, match="trusted key"):
        binlog.verify(tmp_path / "s.binlog", head=tmp_path / "k.pub")  # no trust
    with pytest.raises(binlog.InvalidArgumentError, match=re.escape(str(tmp_path / "k.pub"))):
        binlog.verify(tmp_path / "s.binlog", trust=tmp_path / "k.pub", head=tmp_path / "k.pub")  # no head
