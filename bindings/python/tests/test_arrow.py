"""Reader.to_arrow() and to_pandas(): every record left, a batch at a
time, as columns seq, time, type, meta, payload (and log for a merged
reader), meta as `binlog export` writes it (the tool `make test-python`
gives: BINLOG_TEST_TOOL); an ImportError naming the extra without
pyarrow."""

import json
import os
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
    return [(r.seq, r.timestamp_ns, r.type, list(r.metadata.items()), bytes(r.payload)) for r in records]


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
    got = [(row["seq"], table["time"][i].value, row["type"], [(e["key"], e["value"]) for e in row["meta"]],
            row["payload"]) for i, row in enumerate(table.to_pylist())]
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
        ("a", 0, [{"key": "n", "value": "a"}], b"a"), ("b", 0, [{"key": "n", "value": "b"}], b"b"),
        ("a", 1, [{"key": "n", "value": "a"}], b"a")]


#: Metadata with a key written twice, its entries in order.
REPEATED = [["k", "1"], ["x", "y"], ["k", "2"]]


def _tool(*args, stdin=""):
    tool = os.environ.get("BINLOG_TEST_TOOL")
    if not tool:
        pytest.fail("BINLOG_TEST_TOOL (the binlog tool) is not set: run the tests with make test-python")
    subprocess.run([tool, *args], input=stdin, text=True, check=True, capture_output=True)


def _write_log(directory, name, times):
    """Log ``name``: a record at each time, every other one with REPEATED
    (written by `binlog write`, as the Python writer takes a dict)."""
    lines = [json.dumps({"type": "e", "ts_ns": t, "meta": [] if i % 2 else REPEATED}) for i, t in enumerate(times)]
    _tool("write", "--json", "--log", name, str(directory), stdin="\n".join(lines))


def _exports(directory, out, *args):
    """The tables `binlog export` writes of ``directory``, in Parquet and Arrow IPC."""
    import pyarrow.parquet as pq

    for to in ("parquet", "arrow"):
        _tool("export", *args, "--to", to, "--out", str(out / to), str(directory))
        path = out / to / f"records.{to}"
        yield pq.read_table(path) if to == "parquet" else pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def test_to_arrow_meta_is_the_exports_list_of_entries_with_a_repeated_key_kept_in_order(tmp_path):
    _write_log(tmp_path / "logs", "a", [1, 2])
    with binlog.open_log_reader(tmp_path / "logs", "a") as r:
        table = r.to_arrow()
    want = [[{"key": k, "value": v} for k, v in REPEATED], []]
    assert table["meta"].to_pylist() == want
    for exported in _exports(tmp_path / "logs", tmp_path / "out"):
        assert table.schema.field("meta") == exported.schema.field("meta")
        assert exported["meta"].to_pylist() == want


def test_a_merged_readers_meta_is_the_exports_too_with_a_repeated_key_kept_in_order(tmp_path):
    _write_log(tmp_path / "logs", "a", [1, 4])
    _write_log(tmp_path / "logs", "b", [2, 3])
    with binlog.open_merged_reader(tmp_path / "logs") as r:
        table = r.to_arrow(batch_size=3)
    entries = [{"key": k, "value": v} for k, v in REPEATED]
    got = [(x["log"], x["meta"]) for x in table.to_pylist()]
    assert got == [("a", entries), ("b", entries), ("b", []), ("a", [])]
    for exported in _exports(tmp_path / "logs", tmp_path / "out", "--merge"):
        assert table.schema.field("meta") == exported.schema.field("meta")
        assert exported["meta"].to_pylist() == table["meta"].to_pylist()


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
