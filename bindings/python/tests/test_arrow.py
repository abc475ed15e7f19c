"""Reader.to_arrow() and to_pandas(): every record left, a batch at a
time, as columns seq, time, type, meta, payload (and log for a merged
reader); an ImportError naming the extra without pyarrow."""

import subprocess
import sys

import pytest

import binlog

pa = pytest.importorskip("pyarrow")


def _write(path, n):
    with binlog.open_writer(path) as w:
        for i in range(n):
            meta = {"k": str(i), "even": "yes"} if i % 3 == 0 else None
            w.append(f"t{i % 4}", bytes([i % 256]) * (i % 50), metadata=meta, timestamp_ns=1000 + i)


def _rows(records):
    return [(r.seq, r.timestamp_ns, r.type, dict(r.metadata), bytes(r.payload)) for r in records]


def test_to_arrow_holds_every_record_left_in_batches(tmp_path):
    path = tmp_path / "s.binlog"
    _write(path, 1000)
    with binlog.open_reader(path) as r:
        want = _rows(r)
    with binlog.open_reader(path, batch_records=7) as r:
        assert r.next().seq == 0  # a record taken, the rest of its batch pending
        table = r.to_arrow(batch_size=100)
    assert table.schema.names == ["seq", "time", "type", "meta", "payload"]
    assert str(table.schema.field("time").type) == "timestamp[ns, tz=UTC]"
    assert table["payload"].type == pa.binary() and table["seq"].type == pa.uint64()
    assert table.column("seq").num_chunks == 10
    got = [(row["seq"], table["time"][i].value, row["type"], dict(row["meta"]), row["payload"])
           for i, row in enumerate(table.to_pylist())]
    assert got == want[1:]


def test_to_pandas_is_the_tables_data_frame_and_an_empty_reader_gives_no_rows(tmp_path):
    pytest.importorskip("pandas")
    path = tmp_path / "s.binlog"
    _write(path, 10)
    with binlog.open_reader(path) as r:
        frame = r.to_pandas()
        assert len(r.to_arrow()) == 0
    assert list(frame["seq"]) == list(range(10)) and list(frame["type"][:2]) == ["t0", "t1"]
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]"


def test_a_merged_reader_adds_the_log_column(tmp_path):
    for name, times in (("a", [1, 3]), ("b", [2])):
        with binlog.open_log_writer(tmp_path, name) as w:
            for t in times:
                w.append("e", name.encode(), metadata={"n": name}, timestamp_ns=t)
    with binlog.open_merged_reader(tmp_path) as r:
        table = r.to_arrow(batch_size=2)
    assert table.schema.names == ["log", "seq", "time", "type", "meta", "payload"]
    assert [(x["log"], x["seq"], x["meta"], x["payload"]) for x in table.to_pylist()] == [
        ("a", 0, [("n", "a")], b"a"), ("b", 0, [("n", "b")], b"b"), ("a", 1, [("n", "a")], b"a")]


def test_without_pyarrow_to_arrow_says_which_extra_to_install(tmp_path):
    _write(tmp_path / "s.binlog", 1)
    code = ("import sys; sys.modules['pyarrow'] = None\n"
            "import binlog\n"
            f"binlog.open_reader({str(tmp_path / 's.binlog')!r}).to_arrow()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ImportError: to_arrow() and to_pandas() need pyarrow and numpy" in run.stderr
    assert "pip install 'libbinlog[arrow]'" in run.stderr


def test_byte_strings_out_of_buffer_order_are_gathered_too():
    import numpy as np
    from binlog import arrow

    buf = np.frombuffer(b"xxabcdefgh", np.uint8)
    starts, lengths = np.array([6, 2, 9], np.uint32), np.array([3, 2, 0], np.uint32)
    got = arrow._bytes(np, pa, buf, starts, lengths, pa.large_binary())
    assert got.to_pylist() == [b"efg", b"ab", b""]
