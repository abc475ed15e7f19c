"""What readers return: records, segment headers, tails, damaged regions."""

from __future__ import annotations

import struct
from collections import namedtuple
from dataclasses import dataclass
from typing import Dict, NamedTuple

from .enums import TailKind

# binlog_batch_record and binlog_batch_meta as the reader's buffers hold
# them (native byte order; reader.py checks the sizes against the header),
# and the fields of a record read on demand, at their offsets in it.
BATCH_RECORD = struct.Struct("=QqQIIIIII")
BATCH_META = struct.Struct("=IIII")
_SEQ = struct.Struct("=Q")  # at 0
_TIMESTAMP = struct.Struct("=q")  # at 8
_OFFSET = struct.Struct("=Q")  # at 16
_SPAN = struct.Struct("=II")  # type at 24, payload at 32, metadata at 40
# The parts of a Record, named only for namedtuple's getter of a field
# (in C, so reading a payload runs no Python code).
_Parts = namedtuple("_Parts", "descriptions at payload buffer")


class Record(tuple):
    """One record: ``seq``, ``timestamp_ns`` (ns since the Unix epoch),
    ``offset`` in its file, ``type`` (str), ``payload`` (a read-only
    :class:`memoryview`), ``metadata`` (dict[str, str]).

    The payload is a view of the buffer the reader copied a batch of
    records into (one copy, made by the library while it checked each
    record's CRC): it stays valid as long as it is referenced, after the
    reader has moved on or closed too, and keeps that buffer (up to the
    reader's batch size) alive; ``bytes(record.payload)`` copies it out.
    The reader copies a later batch into a buffer again only once no view
    of it is alive (:mod:`binlog.batch_buffers`).

    Underneath, a tuple of the batch's descriptions (``binlog_batch_record``
    structs), this record's offset in them, the payload and the buffer,
    made in C (``binlog._fast.Batch``) as records are taken; the other
    fields are decoded when asked for.
    """

    __slots__ = ()

    payload: memoryview = _Parts.payload  # type: ignore[assignment]

    @property
    def seq(self) -> int:
        return _SEQ.unpack_from(self[0], self[1])[0]

    @property
    def timestamp_ns(self) -> int:
        return _TIMESTAMP.unpack_from(self[0], self[1] + 8)[0]

    @property
    def offset(self) -> int:
        return _OFFSET.unpack_from(self[0], self[1] + 16)[0]

    @property
    def type(self) -> str:
        start, length = _SPAN.unpack_from(self[0], self[1] + 24)
        return str(self[3][start : start + length], "utf-8")

    @property
    def metadata(self) -> Dict[str, str]:
        at, count = _SPAN.unpack_from(self[0], self[1] + 40)
        buf = self[3]
        meta = {}
        for i in range(count):
            ko, kl, vo, vl = BATCH_META.unpack_from(buf, at + i * BATCH_META.size)
            meta[str(buf[ko : ko + kl], "utf-8")] = str(buf[vo : vo + vl], "utf-8")
        return meta

    def __repr__(self) -> str:
        return (f"Record(seq={self.seq}, timestamp_ns={self.timestamp_ns}, type={self.type!r}, "
                f"payload=<{len(self.payload)} bytes>, metadata={self.metadata!r})")


@dataclass(frozen=True)
class Header:
    """A segment's header."""

    major: int
    minor: int
    created_ns: int
    segment_no: int
    first_seq: int
    log_name: str
    content_type: str
    #: The library and version that wrote it, e.g. ``"libbinlog/0.1.0"``.
    writer: str
    params: Dict[str, str]


class Tail(NamedTuple):
    """How a segment ended: ``kind``, and for SEAL_DAMAGED and TORN the
    ``offset`` and ``len`` of the bytes that are not records."""

    kind: TailKind
    offset: int
    len: int


class Damage(NamedTuple):
    """A damaged region skipped: bytes ``[offset, resume_offset)`` and
    records ``[from_seq, to_seq)`` are lost."""

    offset: int
    resume_offset: int
    from_seq: int
    to_seq: int
