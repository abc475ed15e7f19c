"""Damaged and unfinished segments: tails, skipping damaged regions,
salvaging a segment whose header is damaged."""

import pytest

import binlog
from support import torn_segment


def _segment(path, count=20):
    with binlog.open_writer(path) as w:
        for i in range(count):
            w.append("t", b"record %02d " % i * 10)


def test_a_torn_tail_ends_the_records_and_is_described(tmp_path):
    path = tmp_path / "t.binlog"
    torn_segment(path)
    with binlog.open_reader(path) as r:
        assert [x.seq for x in r] == [0, 1, 2, 3]
        tail = r.tail()
    assert tail.kind == binlog.TailKind.TORN and tail.len > 0 and tail.offset > 0


def test_skipping_damage_reads_past_it_and_reports_what_was_lost_and_where(tmp_path):
    path = tmp_path / "d.binlog"
    _segment(path)
    data = bytearray(path.read_bytes())
    data[data.index(b"record 07")] ^= 0xFF
    path.write_bytes(bytes(data))
    with binlog.open_reader(path) as r:
        r.skip_damaged()
        seqs = [x.seq for x in r]
        damages = r.damages()
    assert seqs == [s for s in range(20) if s != 7]
    assert len(damages) == 1 and (damages[0].from_seq, damages[0].to_seq) == (7, 8)
    assert damages[0].offset < damages[0].resume_offset
    assert damages[0].path == str(path)


def test_a_segment_with_a_damaged_header_is_refused_then_salvaged(tmp_path):
    path = tmp_path / "h.binlog"
    _segment(path)
    data = bytearray(path.read_bytes())
    data[12] ^= 0xFF  # inside the header, after the magic number
    path.write_bytes(bytes(data))
    with pytest.raises(binlog.CorruptHeaderError):
        binlog.open_reader(path)
    with binlog.open_reader(path, salvage=True) as r:
        assert [x.seq for x in r] == list(range(20))
        (damage,) = r.damages()
    assert (damage.offset, damage.path) == (0, str(path))


def test_a_log_reader_read_record_by_record_describes_each_records_segment(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", max_segment_records=3, content_type="text/plain") as w:
        for i in range(7):
            w.append("t", b"%d" % i)
    with binlog.open_log_reader(tmp_path, "log", batch_records=1) as r:
        with pytest.raises(binlog.NotFoundError):
            r.header
        numbers = []
        for record in r:
            h = r.header
            numbers.append((record.seq, h.segment_no, h.first_seq))
    assert h.log_name == "log" and h.content_type == "text/plain"
    assert [n[2] for n in numbers] == [0, 0, 0, 3, 3, 3, 6]
    assert len({n[1] for n in numbers}) == 3


def test_a_batched_log_reader_describes_the_segment_of_the_last_record_fetched(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", max_segment_records=3) as w:
        for i in range(7):
            w.append("t", b"%d" % i)
    with binlog.open_log_reader(tmp_path, "log") as r:
        first = r.next()
        assert first.seq == 0 and r.header.first_seq == 6  # all 7 came in one batch
        assert [x.seq for x in r] == list(range(1, 7))
