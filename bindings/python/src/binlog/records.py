"""What readers return: records, segment headers, tails, damaged regions."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from operator import itemgetter
from typing import Dict, NamedTuple

from .enums import TailKind

# binlog_batch_record and binlog_batch_meta, as the reader's buffers hold
# them (native byte order; reader.py checks the sizes against the header).
BATCH_RECORD = struct.Struct("=QqQIIIIII")
BATCH_META = struct.Struct("=IIII")


class Record(tuple):
    """One record: ``seq``, ``timestamp_ns`` (ns since the Unix epoch),
    ``offset`` in its file, ``type`` (str), ``payload`` (a read-only
    :class:`memoryview`), ``metadata`` (dict[str, str]).

    The payload is a view of the buffer the reader copied a batch of
    records into (one copy, made by the library while it checked each
    record's CRC): it stays valid as long as it is referenced, and keeps
    that buffer (up to the reader's batch size) alive; ``bytes(payload)``
    copies it out. A tuple underneath (the fields the library filled in,
    then the buffer), so that a batch becomes records without Python code
    per record.
    """

    __slots__ = ()

    seq: int = property(itemgetter(0))  # type: ignore[assignment]
    timestamp_ns: int = property(itemgetter(1))  # type: ignore[assignment]
    offset: int = property(itemgetter(2))  # type: ignore[assignment]

    @property
    def type(self) -> str:
        start = self[3]
        return str(self[9][start : start + self[4]], "utf-8")

    @property
    def payload(self) -> memoryview:
        start = self[5]
        return self[9][start : start + self[6]]

    @property
    def metadata(self) -> Dict[str, str]:
        buf, at, count = self[9], self[7], self[8]
        meta = {}
        for i in range(count):
            ko, kl, vo, vl = BATCH_META.unpack_from(buf, at + i * BATCH_META.size)
            meta[str(buf[ko : ko + kl], "utf-8")] = str(buf[vo : vo + vl], "utf-8")
        return meta

    def __repr__(self) -> str:
        return (f"Record(seq={self.seq}, timestamp_ns={self.timestamp_ns}, type={self.type!r}, "
                f"payload=<{self[6]} bytes>, metadata={self.metadata!r})")


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
