"""Summaries: what records hold, in all and per type (``binlog_summary_*``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple

from ._native import ffi, lib
from .cstrings import PathArg, c_path
from .errors import check

if TYPE_CHECKING:
    from ._native import CData


@dataclass(frozen=True)
class TypeSummary:
    """The records of one type: how many, their ``bytes`` in the file
    (framing, type, metadata and payload) and ``payload_bytes``, and the
    sequence numbers and timestamps (ns) of the first and last read."""

    name: str
    records: int
    bytes: int
    payload_bytes: int
    first_seq: int
    last_seq: int
    first_ns: int
    last_ns: int


@dataclass(frozen=True)
class Summary:
    """What records hold in all, and per type in the order of each type's
    first record. "First" and "last" are in read order; ``min_ns`` and
    ``max_ns`` the earliest and latest timestamps; all ``None`` with no
    record. Memory grows with the types, not the records."""

    records: int
    bytes: int
    payload_bytes: int
    first_seq: Optional[int]
    last_seq: Optional[int]
    first_ns: Optional[int]
    last_ns: Optional[int]
    min_ns: Optional[int]
    max_ns: Optional[int]
    types: Tuple[TypeSummary, ...]

    def type(self, name: str) -> Optional[TypeSummary]:
        """The summary of type ``name``, ``None`` if no record has it."""
        return next((t for t in self.types if t.name == name), None)


def summarize(path: PathArg) -> Summary:
    """Summarizes every record of a segment file (plain or compressed) or
    of a directory holding one log (:class:`InvalidArgumentError` for one
    of several: :meth:`Reader.summary` of a log reader; a log with no
    segment left has every count 0). Damage raises
    :class:`CorruptionError`."""
    return summary_of(lambda out: lib.binlog_summary_open(c_path("path", path), out))


def summary_of(make: Callable[[CData], int]) -> Summary:
    """The :class:`Summary` of the handle ``make`` writes to its argument."""
    out = ffi.new("binlog_summary **")
    check(make(out))
    s, t, n = out[0], ffi.new("binlog_totals *"), ffi.new("size_t *")
    try:
        check(lib.binlog_summary_totals(s, t))
        check(lib.binlog_summary_type_count(s, n))
        ts = ffi.new("binlog_type_summary *")
        types = []
        for i in range(n[0]):
            check(lib.binlog_summary_type(s, i, ts))
            types.append(TypeSummary(ffi.unpack(ts.name, ts.name_len).decode(), ts.records, ts.bytes,
                                     ts.payload_bytes, ts.first_seq, ts.last_seq, ts.first_ns,
                                     ts.last_ns))
    finally:
        lib.binlog_summary_free(s)
    def some(v: int) -> Optional[int]:
        return v if t.records else None

    return Summary(t.records, t.bytes, t.payload_bytes, some(t.first_seq), some(t.last_seq), some(t.first_ns),
                   some(t.last_ns), some(t.min_ns), some(t.max_ns), tuple(types))
