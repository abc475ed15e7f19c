"""The files of a rolling log, as a reader reads them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import List, Optional

from ._native import ffi, lib
from .cstrings import c_path, c_string
from .enums import SegmentState
from .errors import check


@dataclass(frozen=True)
class ListedSegment:
    """One file of a log; ``first_seq``/``last_seq`` are ``None`` when
    unknown (``last_seq`` is known once the segment's records are closed),
    ``salvaged_offset`` is set for a file ``binlog repair --salvage`` made."""

    path: str
    segment_no: int
    state: SegmentState
    first_seq: Optional[int]
    last_seq: Optional[int]
    bytes: int
    salvaged_offset: Optional[int]
    compressed: bool
    #: For a compressed segment, the size of the segment it holds.
    original_bytes: int


def list_segments(directory: "str | os.PathLike[str]", name: str) -> List[ListedSegment]:
    """The files of log ``name`` in ``directory``, oldest first (a snapshot)."""
    out = ffi.new("binlog_segment_list **")
    check(lib.binlog_log_list_segments(c_path("directory", directory), c_string("log name", name), out))
    listing = ffi.gc(out[0], lib.binlog_segment_list_free)
    count = ffi.new("size_t *")
    check(lib.binlog_segment_list_count(listing, count))
    s = ffi.new("binlog_listed_segment *")
    compressed = ffi.new("bool *")
    original = ffi.new("uint64_t *")
    files = []
    for i in range(count[0]):
        check(lib.binlog_segment_list_get(listing, i, s))
        check(lib.binlog_segment_list_get_compression(listing, i, compressed, original))
        files.append(ListedSegment(
            os.fsdecode(ffi.string(s.path)), s.segment_no, SegmentState(s.state),
            s.first_seq if s.has_first_seq else None, s.last_seq if s.has_last_seq else None,
            s.bytes, s.salvaged_offset if s.salvaged else None, bool(compressed[0]), original[0]))
    return files
