"""Writing a segment and reading it back: payloads, types, metadata,
timestamps, gathered parts, batches and headers."""

import array
import copy
import gc

import pytest

import binlog


def test_records_come_back_in_order_with_their_fields(tmp_path):
    path = tmp_path / "a.binlog"
    with binlog.open_writer(path) as w:
        seqs = [w.append("t%d" % (i % 3), b"payload %d" % i) for i in range(1000)]
    assert seqs == list(range(1000))
    with binlog.open_reader(path) as r:
        records = list(r)
    assert [r.seq for r in records] == seqs
    assert [bytes(r.payload) for r in records] == [b"payload %d" % i for i in range(1000)]
    assert [r.type for r in records] == ["t%d" % (i % 3) for i in range(1000)]
    assert all(r.metadata == {} for r in records)


def test_metadata_and_explicit_timestamps_round_trip(tmp_path):
    path = tmp_path / "m.binlog"
    meta = {"customer": "42", "région": "é✓", "": "empty key"}
    with binlog.open_writer(path) as w:
        w.append("order", b"x", metadata=meta, timestamp_ns=1_700_000_000_123_456_789)
        w.append("order", b"y", timestamp_ns=5)
    with binlog.open_reader(path) as r:
        first, second = list(r)
    assert first.metadata == meta
    assert first.timestamp_ns == 1_700_000_000_123_456_789
    assert second.timestamp_ns == 5 and second.metadata == {}


def test_bytearray_memoryview_and_gathered_payloads_are_written_as_given(tmp_path):
    path = tmp_path / "g.binlog"
    big = bytearray(range(256)) * 10
    with binlog.open_writer(path) as w:
        w.append("a", big)
        w.append("b", memoryview(big)[10:20])
        w.append("c", [b"head-", bytearray(b"middle-"), memoryview(b"tail")])
        w.append("d", [b"x", b"y"], metadata={"k": "v"})
        w.append("e", b"")
    with binlog.open_reader(path) as r:
        payloads = [bytes(rec.payload) for rec in r]
    assert payloads == [bytes(big), bytes(big[10:20]), b"head-middle-tail", b"xy", b""]


def test_payload_views_stay_valid_after_the_reader_moves_on_and_closes(tmp_path):
    path = tmp_path / "v.binlog"
    with binlog.open_writer(path) as w:
        for i in range(20000):  # several batches
            w.append("t", bytes([i % 251]) * 100)
    with binlog.open_reader(path) as r:
        views = [rec.payload_view for rec in r]
    assert len(views) == 20000
    assert all(v.readonly for v in views)
    assert all(bytes(v) == bytes([i % 251]) * 100 for i, v in enumerate(views))


def test_payloads_kept_while_the_reader_reuses_batch_buffers_keep_their_bytes(tmp_path):
    path = tmp_path / "k.binlog"
    with binlog.open_writer(path) as w:
        for i in range(40000):  # about 16 batch buffers of records
            w.append("t", bytes([i % 251]) * 100)
    kept = {}
    with binlog.open_reader(path) as r:
        for i, rec in enumerate(r):
            # Each record checked as read, then dropped (its buffer free
            # for reuse), except every 4999th, whose buffer stays viewed.
            assert bytes(rec.payload) == bytes([i % 251]) * 100
            if i % 4999 == 0:
                kept[i] = rec.payload_view
    assert len(kept) == 9
    assert all(bytes(v) == bytes([i % 251]) * 100 for i, v in kept.items())


def test_two_readers_of_different_record_sizes_taking_turns_read_every_payload(tmp_path):
    # Payload slices are reused by index in a batch where a record starts
    # and ends as the last one there did; readers of other layouts replace them.
    fixed, varying = tmp_path / "fixed.binlog", tmp_path / "varying.binlog"
    with binlog.open_writer(fixed) as a, binlog.open_writer(varying) as b:
        for i in range(3000):
            a.append("t", bytes([i % 251]) * 100)
            b.append("t", bytes([i % 241]) * (i % 150))
    with binlog.open_reader(fixed, batch_records=16) as ra, \
            binlog.open_reader(varying, batch_records=16) as rb:
        taken_a, taken_b = iter(ra), iter(rb)
        for i in range(3000):
            assert bytes(next(taken_a).payload) == bytes([i % 251]) * 100
            assert bytes(next(taken_b).payload) == bytes([i % 241]) * (i % 150)


def test_a_records_fields_and_repr_read_after_its_reader_closed(tmp_path):
    path = tmp_path / "f.binlog"
    with binlog.open_writer(path) as w:
        w.append("first", b"x" * 10, metadata={"k": "v", "é": "✓"}, timestamp_ns=7)
        w.append("second", b"")
    with binlog.open_reader(path) as r:
        first, second = list(r)
    assert (first.seq, first.timestamp_ns, first.type, first.metadata) == (0, 7, "first", {"k": "v", "é": "✓"})
    assert first.offset > 0 and second.offset > first.offset
    assert (second.seq, second.type, bytes(second.payload), second.metadata) == (1, "second", b"", {})
    assert repr(first) == ("Record(seq=0, timestamp_ns=7, type='first', payload=<10 bytes>, "
                           "metadata={'k': 'v', 'é': '✓'})")
    assert isinstance(first, binlog.Record)
    assert copy.copy(first) is first
    with pytest.raises(TypeError):
        binlog.Record()


def test_a_record_larger_than_a_batch_buffer_is_read(tmp_path):
    path = tmp_path / "big.binlog"
    payload = bytes(range(256)) * 8192  # 2 MiB, above the 256 KiB batch
    with binlog.open_writer(path) as w:
        w.append("small", b"s")
        w.append("big", payload)
        w.append("small", b"t")
    with binlog.open_reader(path) as r:
        assert [bytes(rec.payload) for rec in r] == [b"s", payload, b"t"]


def test_a_batch_is_appended_whole_with_consecutive_sequence_numbers(tmp_path):
    path = tmp_path / "b.binlog"
    with binlog.open_writer(path) as w:
        w.append("x", b"0")
        first = w.append_batch([("a", b"1"), ("b", b"2", {"k": "v"}), ("c", [b"3", b"4"], None, 77)])
        assert w.next_seq == 4
    assert first == 1
    with binlog.open_reader(path) as r:
        records = list(r)
    assert [(x.seq, x.type, bytes(x.payload)) for x in records] == [
        (0, "x", b"0"), (1, "a", b"1"), (2, "b", b"2"), (3, "c", b"34")]
    assert records[2].metadata == {"k": "v"} and records[3].timestamp_ns == 77


def test_the_header_holds_the_options_given(tmp_path):
    path = tmp_path / "h.binlog"
    with binlog.open_writer(path, log_name="orders", content_type="application/json",
                            params={"host": "a", "zone": "b"}, first_seq=100,
                            segment_no=7, created_ns=123) as w:
        assert w.append("t", b"1") == 100
    with binlog.open_reader(path) as r:
        h = r.header
        assert [rec.seq for rec in r] == [100]
    assert (h.log_name, h.content_type, h.params) == ("orders", "application/json", {"host": "a", "zone": "b"})
    assert (h.segment_no, h.first_seq, h.created_ns) == (7, 100, 123)
    assert h.major == binlog.FORMAT_MAJOR and h.writer == "libbinlog/" + binlog.__version__


def test_nul_bytes_in_type_names_payloads_metadata_and_header_strings_round_trip_whole(tmp_path):
    # These go to the library as pointer and length: a NUL byte is data.
    path = tmp_path / "nul.binlog"
    meta = {"k\0ey": "v\0al\0"}
    header = {"log_name": "or\0ders", "content_type": "a\0b", "params": {"h\0": "\0v"}}
    with binlog.open_writer(path, **header) as w:
        w.append("t\0x", b"\0pay\0load\0")
        w.append("t\0x", bytearray(b"\0"), metadata=meta)
        w.append_batch([("t\0x", b"\0\0", meta)])
        w.append("t", b"plain")
    with binlog.open_reader(path) as r:
        h = r.header
        r.filter_types(["t\0x"])
        records = [(rec.type, bytes(rec.payload), rec.metadata) for rec in r]
    assert {"log_name": h.log_name, "content_type": h.content_type, "params": h.params} == header
    assert records == [("t\0x", b"\0pay\0load\0", {}), ("t\0x", b"\0", meta),
                       ("t\0x", b"\0\0", meta)]


def test_reopening_a_segment_appends_after_its_records(tmp_path):
    path = tmp_path / "r.binlog"
    with binlog.open_writer(path) as w:
        w.append("t", b"1")
    w = binlog.open_writer(path)
    assert w.append("t", b"2") == 1
    w.close()
    with binlog.open_reader(path) as r:
        assert [bytes(x.payload) for x in r] == [b"1", b"2"]
        assert r.tail().kind == binlog.TailKind.SEALED


def test_seek_by_sequence_and_time_and_filter_by_type(tmp_path):
    path = tmp_path / "s.binlog"
    with binlog.open_writer(path) as w:
        for i in range(100):
            w.append("even" if i % 2 == 0 else "odd", b"%d" % i, timestamp_ns=1000 + i)
    with binlog.open_reader(path) as r:
        assert r.next().seq == 0
        r.seek_seq(50)
        assert r.next().seq == 50
        r.seek_time(1090)
        assert [x.seq for x in r] == list(range(90, 100))
        r.seek_seq(0)
        r.filter_types(["odd"])
        assert [x.seq for x in r] == list(range(1, 100, 2))
        assert r.next() is None


def test_any_contiguous_buffer_is_a_payload(tmp_path):
    class Blob(bytes):
        pass

    path = tmp_path / "buf.binlog"
    numbers = array.array("I", [1, 2, 3])
    with binlog.open_writer(path) as w:
        w.append("a", numbers)
        w.append("b", Blob(b"subclass"))
        w.append("c", Blob(b"with meta"), metadata={"k": "v"})
        w.append("d", (numbers, b"!"))
    with binlog.open_reader(path) as r:
        payloads = [bytes(rec.payload) for rec in r]
    assert payloads == [numbers.tobytes(), b"subclass", b"with meta", numbers.tobytes() + b"!"]


def test_appends_by_keyword_with_a_str_subclass_or_non_ascii_type_read_back_alike(tmp_path):
    class Name(str):
        pass

    path = tmp_path / "kw.binlog"
    with binlog.open_writer(path) as w:
        seqs = [w.append(type_name="k", payload=b"1"), w.append("k", payload=b"2"),
                w.append(Name("k"), b"3"), w.append("k", b"4", None, None), w.append("übung", b"5")]
    assert seqs == [0, 1, 2, 3, 4]
    with binlog.open_reader(path) as r:
        assert [(x.type, bytes(x.payload)) for x in r] == [
            ("k", b"1"), ("k", b"2"), ("k", b"3"), ("k", b"4"), ("übung", b"5")]


def test_an_append_method_kept_keeps_its_writer_open(tmp_path):
    path = tmp_path / "m.binlog"
    append = binlog.open_writer(path).append  # the writer itself not kept
    gc.collect()
    assert [append("t", b"a"), append("t", b"b")] == [0, 1]
    del append
    gc.collect()  # the writer is closed and sealed when collected
    with binlog.open_reader(path) as r:
        assert [bytes(x.payload) for x in r] == [b"a", b"b"]
        assert r.tail().kind == binlog.TailKind.SEALED


def test_records_whose_payload_views_were_released_keep_their_fields_while_the_reader_reads_on(tmp_path):
    # Releasing every payload of a batch leaves no view a user can see of
    # its buffer; the records still read their type and metadata there.
    path = tmp_path / "r.binlog"
    with binlog.open_writer(path) as w:
        for i in range(40):
            w.append("t%d" % i, b"p%d" % i, metadata={"i": "%d" % i})
    with binlog.open_reader(path, batch_records=4) as r:
        first = [r.next() for _ in range(4)]
        for rec in first:
            rec.payload_view.release()
        rest = list(r)
    assert [x.seq for x in rest] == list(range(4, 40))
    assert [(x.seq, x.type, x.metadata) for x in first] == [(i, "t%d" % i, {"i": "%d" % i}) for i in range(4)]


def test_the_repr_of_a_record_whose_payload_view_was_released_gives_its_length(tmp_path):
    path = tmp_path / "p.binlog"
    with binlog.open_writer(path) as w:
        w.append("t", b"x" * 3, timestamp_ns=9)
    with binlog.open_reader(path) as r:
        (rec,) = list(r)
    rec.payload_view.release()
    assert repr(rec) == "Record(seq=0, timestamp_ns=9, type='t', payload=<3 bytes>, metadata={})"
