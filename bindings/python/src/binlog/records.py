"""What readers return: records, segment headers, tails, gaps, damaged regions."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Dict, NamedTuple, Optional

from . import _fast
from .enums import GapReason, TailKind

# binlog_batch_record and binlog_batch_meta as the reader's buffers hold
# them (native byte order; reader.py checks the sizes against the header).
BATCH_RECORD = struct.Struct("=QqQIIIIII")
BATCH_META = struct.Struct("=IIII")

#: One record read: ``seq``, ``timestamp_ns``, ``offset``, ``type``,
#: ``payload`` (bytes), ``payload_view`` (a read-only memoryview, no
#: copy) and ``metadata``; a C type
#: (``binlog._fast``), documented in its docstring.
Record = _fast.Record


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


class Gap(NamedTuple):
    """Records a log reader could not return, as the C library reports
    them (``binlog_gap``): records ``[from_seq, to_seq)`` of ``path`` (a
    segment file, or an object's ``s3://`` URL) for ``reason``; ``offset``
    for damage. A field not known is ``None``."""

    reason: GapReason
    path: str
    offset: Optional[int]
    from_seq: Optional[int]
    to_seq: Optional[int]


class Damage(NamedTuple):
    """A damaged region skipped (``binlog_damage2``): bytes ``[offset,
    resume_offset)`` of ``path`` and records ``[from_seq, to_seq)`` are
    lost. ``path`` is the segment file (as the reader was given it, or as
    a log reader found it in its directory) or the object's ``s3://``
    URL."""

    offset: int
    resume_offset: int
    from_seq: int
    to_seq: int
    path: str
