"""The C enumerations of ``binlog.h`` as :class:`enum.IntEnum` classes."""

from enum import IntEnum


class Durability(IntEnum):
    """When records are forced to stable storage (``durability_param``
    is N for EVERY_N, milliseconds for INTERVAL_MS)."""

    NONE = 0
    EVERY_RECORD = 1
    EVERY_N = 2
    INTERVAL_MS = 3


class Period(IntEnum):
    """UTC period after which a rolling log starts a new segment."""

    NEVER = 0
    MINUTE = 1
    FIVE_MINUTES = 2
    TEN_MINUTES = 3
    QUARTER_HOUR = 4
    HALF_HOUR = 5
    HOUR = 6
    DAY = 7


class SegmentEvent(IntEnum):
    """A segment of a log opened, sealed or compressed."""

    OPENED = 1
    SEALED = 2
    COMPRESSED = 3


class TailKind(IntEnum):
    """How a reader's segment ended (:meth:`binlog.Reader.tail`)."""

    READING = 0
    SEALED = 1
    UNSEALED = 2
    SEAL_DAMAGED = 3
    TORN = 4


class GapReason(IntEnum):
    """Why a log reader could not return records (:class:`binlog.Gap`):
    the C library's closed set (``binlog_gap_reason``)."""

    #: A listed segment of a log directory gone before it could be opened,
    #: or segments missing before the next with no older listed file left
    #: (retention removes the oldest first).
    RETENTION = 1
    #: A segment or bucket object that should be there and is not.
    MISSING = 2
    #: Bytes lost to damage at ``offset`` (a torn tail with a later segment).
    DAMAGE = 3
    #: Consecutive segments whose sequence numbers do not continue.
    SEQ_JUMP = 4


class SegmentState(IntEnum):
    """Where a log's file is in its lifecycle (:func:`binlog.list_segments`)."""

    ACTIVE = 0
    ENDING = 1
    SEALED = 2
    UNREADABLE = 3
