"""Records as Arrow tables, a batch of records at a time: ``Reader.to_arrow``
and ``MergedReader.to_arrow`` (pyarrow and numpy: ``pip install
libbinlog[arrow]``)."""

from __future__ import annotations

from itertools import islice
from typing import Any, Iterable, List, Tuple

from ._native import ffi, lib
from .errors import END, BufferTooSmallError, check

#: Bytes of records one library call copies out at first (doubled for a
#: larger record, as the reader does).
BUFFER_BYTES = 4 << 20
MAX_BUFFER_BYTES = 4 << 30


def modules() -> Tuple[Any, Any]:
    """numpy and pyarrow, or an ImportError saying how to install them."""
    try:
        import numpy
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
    except ImportError as e:
        raise ImportError(f"to_arrow() and to_pandas() need pyarrow and numpy ({e.name} is missing): "
                          "pip install 'libbinlog[arrow]'") from e
    return numpy, pyarrow


def schema(pa: Any, merged: bool) -> Any:
    """The table's columns; ``meta`` as ``binlog export`` writes it: a
    list of ``{key, value}`` entries in their written order, a key written
    twice kept twice (engines refuse a map whose keys repeat)."""
    text = pa.dictionary(pa.int32(), pa.string())
    entry = pa.struct([pa.field(name, pa.string(), False) for name in ("key", "value")])
    return pa.schema(([("log", text)] if merged else []) + [
        ("seq", pa.uint64()), ("time", pa.timestamp("ns", tz="UTC")), ("type", text),
        pa.field("meta", pa.list_(entry), False), ("payload", pa.binary())])


def reader_table(handle: Any, batch_size: int) -> Any:
    """The records ``handle`` (a ``binlog_reader *``) has left, read with
    ``binlog_reader_next_batch`` and turned into columns by numpy."""
    np, pa = modules()
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    u4 = np.uint32
    rec = np.empty(batch_size, np.dtype([("seq", np.uint64), ("time", np.int64), ("offset", np.uint64),
                                         ("type_off", u4), ("type_len", u4), ("payload_off", u4),
                                         ("payload_len", u4), ("meta_off", u4), ("meta_count", u4)]))
    assert rec.itemsize == ffi.sizeof("binlog_batch_record")
    buf, count = np.empty(BUFFER_BYTES, np.uint8), ffi.new("size_t *")
    batches: List[Any] = []
    while True:
        code = lib.binlog_reader_next_batch(handle, ffi.from_buffer(buf), len(buf),
                                            ffi.from_buffer("binlog_batch_record[]", rec), batch_size, 0, count)
        if code == BufferTooSmallError.code and len(buf) <= MAX_BUFFER_BYTES:
            buf = np.empty(len(buf) * 2, np.uint8)
            continue
        if check(code) == END:
            return pa.Table.from_batches(batches, schema(pa, False))
        batches.append(_batch(np, pa, buf, rec[:count[0]]))


def _batch(np: Any, pa: Any, buf: Any, rec: Any) -> Any:
    """One batch's columns, copied out of ``buf`` (reused for the next)."""
    counts, meta = rec["meta_count"], schema(pa, False).field("meta").type
    words = buf[: len(buf) // 4 * 4].view(np.uint32)  # the metadata entries: 4 words each
    first = _ranges(np, rec["meta_off"] // 4, counts * 4)[::4]
    keys_values = [_texts(np, pa, buf, words[first + i], words[first + i + 1]) for i in (0, 2)]
    entries = pa.StructArray.from_arrays(keys_values, fields=list(meta.value_type))
    meta = pa.ListArray.from_arrays(pa.array(_offsets(np, counts).astype(np.int32)), entries, meta)
    return pa.RecordBatch.from_arrays([
        pa.array(rec["seq"].copy()), pa.array(rec["time"].copy(), pa.timestamp("ns", tz="UTC")),
        _texts(np, pa, buf, rec["type_off"], rec["type_len"]).dictionary_encode(), meta,
        _bytes(np, pa, buf, rec["payload_off"], rec["payload_len"], pa.large_binary()).cast(pa.binary())],
        schema=schema(pa, False))


def _offsets(np: Any, lengths: Any) -> Any:
    out = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _ranges(np: Any, starts: Any, lengths: Any) -> Any:
    """The indexes ``starts[i] .. starts[i] + lengths[i]``, end to end."""
    ends = _offsets(np, lengths)
    return np.repeat(starts.astype(np.int64) - ends[:-1], lengths) + np.arange(ends[-1])


def _bytes(np: Any, pa: Any, buf: Any, starts: Any, lengths: Any, kind: Any) -> Any:
    """The byte strings ``buf[starts[i]:][:lengths[i]]``, copied, as an
    array of ``kind`` (large_binary or large_string)."""
    n = len(lengths)
    bounds = np.empty(2 * n, np.int64)
    bounds[0::2] = starts
    bounds[1::2] = bounds[0::2] + lengths
    if n and np.all(bounds[1:] >= bounds[:-1]):
        # In buffer order (as the library lays a batch out): every other
        # string of the whole buffer cut at the bounds, copied by Arrow.
        whole = pa.Array.from_buffers(kind, 2 * n - 1, [None, pa.py_buffer(bounds), pa.py_buffer(buf)])
        return whole.take(pa.array(np.arange(0, 2 * n, 2)))
    data = pa.py_buffer(buf[_ranges(np, starts, lengths)])
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(_offsets(np, lengths)), data])


def _texts(np: Any, pa: Any, buf: Any, starts: Any, lengths: Any) -> Any:
    return _bytes(np, pa, buf, starts, lengths, pa.large_string()).cast(pa.string())


def merged_table(records: Iterable[Tuple[Any, List[Tuple[str, str]]]], batch_size: int) -> Any:
    """The merged records left (:class:`binlog.MergedRecord`, each with
    its metadata entries in order), a batch of ``batch_size`` at a time
    (the library returns a merged read's records one by one)."""
    pa = modules()[1]
    it, out = iter(records), schema(pa, True)
    batches: List[Any] = []
    while True:
        got: List[Any] = list(islice(it, batch_size))
        if not got:
            return pa.Table.from_batches(batches, out)
        column = {f: [getattr(r, f) for r, _ in got] for f in ("log", "seq", "timestamp_ns", "type", "payload")}
        batches.append(pa.RecordBatch.from_arrays([
            pa.array(column["log"], pa.string()).dictionary_encode(), pa.array(column["seq"], pa.uint64()),
            pa.array(column["timestamp_ns"], out.field("time").type),
            pa.array(column["type"], pa.string()).dictionary_encode(),
            pa.array([entries for _, entries in got], out.field("meta").type),
            pa.array(column["payload"], pa.binary())], schema=out))
