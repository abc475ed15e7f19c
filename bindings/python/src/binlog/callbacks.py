"""C callbacks into Python: segment events and a log's clock.

cffi takes the GIL for the call (the library calls them from its own
threads too) and gives ``user`` back as the handle of the Python object.
A callback that raises (cffi prints its traceback) counts as failed
(:attr:`binlog.Writer.callback_failures`) and affects nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ._native import ffi, lib
from .enums import SegmentEvent

if TYPE_CHECKING:
    from ._native import CData


@dataclass(frozen=True)
class SegmentInfo:
    """A segment opened, sealed or compressed, with its numbers so far."""

    event: SegmentEvent
    path: str
    segment_no: int
    first_seq: int
    record_count: int
    bytes: int

    @classmethod
    def from_c(cls, info: CData) -> SegmentInfo:  # info: binlog_segment_info *
        return cls(
            SegmentEvent(info.event),
            os.fsdecode(ffi.string(info.path)),
            info.segment_no,
            info.first_seq,
            info.record_count,
            info.bytes,
        )


@ffi.def_extern(error=-1)
def _binlog_segment_callback(user: CData, info: CData) -> int:
    callback: Callable[[SegmentInfo], object] = ffi.from_handle(user)
    callback(SegmentInfo.from_c(info))
    return 0


# A clock that raises cannot stop the log: it reads the time as 0 (1970),
# which rolls nothing back (docs of binlog_options_set_clock).
@ffi.def_extern(error=0)
def _binlog_clock(user: CData) -> int:
    clock: Callable[[], int] = ffi.from_handle(user)
    return clock()


SEGMENT_CALLBACK = lib._binlog_segment_callback
CLOCK = lib._binlog_clock
