"""libbinlog: a fast, crash-safe binary record log.

Records (a type name, a bytes payload, ``dict[str, str]`` metadata) go
to a segment file or a rolling log and come back in order, CRC-checked::

    with binlog.open_log_writer("logs", "orders") as w:
        w.append("order", b'{"id": 1}', {"customer": "42"})
    with binlog.open_log_reader("logs", "orders") as r:
        for record in r:  # or next(r)
            print(record.seq, record.type, json.loads(record.payload))

- writing: open_writer, open_log_writer (a Writer; Options, Compression,
  Durability, Period).
- reading: open_reader, open_log_reader, open_log_tiered_reader (a log and
  its bucket), open_merged_reader, open_glob (a Reader of Record s; what it
  met: Tail, TailKind, Gap, GapReason, Damage, Header).
- a log's files: list_segments (ListedSegment, SegmentState, SegmentInfo,
  SegmentEvent), summarize (Summary, TypeSummary); checking: verify
  (Verification, Finding, FindingKind, RepairAction); plan_repair, accept_gap.
- consuming: open_consumer, open_merged_consumer, remove_consumer,
  ConsumerBound; object storage: Shipper (ShipOptions, LockMode, ShipReport).
Each is ``help(binlog.NAME)``; calls release the GIL. Errors: BinlogError
subclasses (``help(binlog.errors)``); a wrong type, a TypeError naming it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Optional, Union

from . import _native  # its `lib` not bound here: help(binlog) lists no internals
# `NAME as NAME`: a public name of the package though not in `__all__`
# (type checkers honour the form; `--no-implicit-reexport` needs it).
from .callbacks import SegmentInfo as SegmentInfo
from .consumer import Consumer as Consumer, MergedConsumer as MergedConsumer
from .consumer import open_consumer, open_merged_consumer, remove_consumer
from .cstrings import c_path, c_string
from .merged import MergedReader as MergedReader, MergedRecord as MergedRecord, open_merged
from .enums import Durability as Durability, GapReason as GapReason, LockMode as LockMode, Period as Period
from .enums import SegmentEvent as SegmentEvent, SegmentState as SegmentState, TailKind as TailKind
from . import errors as errors
from .errors import *  # noqa: F403 (the exception classes: errors.__all__)
from .options import Compression as Compression, ConsumerBound as ConsumerBound
from .options import OptionKeywords as OptionKeywords
from .options import Options, options_from, with_keywords_of
from .reader import BATCH_RECORDS, Reader, open_with
from .records import Damage as Damage, Gap as Gap, Header as Header, Record, Tail as Tail
from .schemas import TypeSchema as TypeSchema
from .segments import ListedSegment as ListedSegment, list_segments
from .shipper import ShipKeywords as ShipKeywords, ShipOptions as ShipOptions
from .shipper import ShipReport as ShipReport, Shipper, retry_timeout_ms
from .shipper import PruneLock as PruneLock, PruneReport as PruneReport, prune_remote as prune_remote
from .summary import Summary as Summary, TypeSummary as TypeSummary, summarize
from .repair import RepairPlan as RepairPlan, accept_gap, plan_repair
from .verify import MAX_FINDINGS as VERIFY_MAX_FINDINGS
from .verify import Finding as Finding, FindingKind as FindingKind
from .verify import RepairAction as RepairAction, Verification as Verification, verify
from .writer import Writer

if TYPE_CHECKING:
    from typing_extensions import Unpack

PathLike = Union[str, "os.PathLike[str]"]

#: The version of the library compiled into this package, e.g. "0.1.0".
__version__ = _native.ffi.string(_native.lib.binlog_version()).decode()
#: The major version of the segment format it reads and writes.
FORMAT_MAJOR = int(_native.lib.BINLOG_FORMAT_MAJOR)


@with_keywords_of(Options)
def open_writer(path: PathLike, options: Optional[Options] = None,
                **kwargs: Unpack[OptionKeywords]) -> Writer:
    """Opens (creating, or reopening to append) the segment at ``path``.
    Options: an :class:`Options`, or its fields as keyword arguments."""
    opts = options_from(Options, options, kwargs)
    return Writer._open(_native.lib.binlog_writer_open, (c_path("path", path),), opts)


@with_keywords_of(Options)
def open_log_writer(directory: PathLike, name: str, options: Optional[Options] = None,
                    **kwargs: Unpack[OptionKeywords]) -> Writer:
    """Opens the rolling log ``name`` in ``directory`` (created if missing)
    for appending; one writer per log at a time (:class:`LockedError`).
    Options: an :class:`Options`, or its fields as keyword arguments."""
    args = (c_path("directory", directory), c_string("log name", name))
    return Writer._open(_native.lib.binlog_writer_open_log, args, options_from(Options, options, kwargs))


def open_reader(path: PathLike, salvage: bool = False, batch_records: int = BATCH_RECORDS) -> Reader:
    """Opens one segment (``.binlog`` or ``.binlog.zst``) for reading;
    ``salvage=True`` opens one whose header is damaged. ``batch_records``:
    the most records one library call fetches (:class:`Reader`)."""
    opener = _native.lib.binlog_reader_open_salvage if salvage else _native.lib.binlog_reader_open
    return open_with(opener, c_path("path", path), batch_records=batch_records)


def open_log_reader(directory: PathLike, name: str, batch_records: int = BATCH_RECORDS) -> Reader:
    """Reads every segment of log ``name`` in order as one stream, into
    new ones as the writer rolls; a name with no file in ``directory`` is
    :class:`NotFoundError` (a follower retries until the writer starts)."""
    args = (c_path("directory", directory), c_string("log name", name))
    return open_with(_native.lib.binlog_reader_open_log, *args, batch_records=batch_records)


def open_log_tiered_reader(directory: PathLike, name: str, remote: str,
                           batch_records: int = BATCH_RECORDS,
                           retry_timeout: Optional[float] = None) -> Reader:
    """Reads log ``name`` in ``directory`` and its segments shipped to
    ``remote`` (``s3://bucket/prefix``, where a :class:`Shipper` or
    ``binlog ship --to`` put them) as one stream with continuous sequence
    numbers, following the writer into new local segments as
    :func:`open_log_reader` does.

    A segment removed locally after its upload is read from the bucket
    (a compressed one with ranged GETs: a seek or type filter fetches only
    the frames it needs), not reported as a gap; one missing from both is
    a gap of reason :attr:`GapReason.MISSING` naming the object's
    ``s3://`` URL (:meth:`Reader.gaps`); a damaged object, or one whose size
    is not the one its metadata says (cut short), raises a
    :class:`CorruptionError` naming its ``s3://`` URL and offset.

    The endpoint, region and credentials come from the environment
    (``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``), read when the reader
    opens; read and list permissions on the bucket are enough. Failed
    requests are retried for ``retry_timeout`` seconds (default 180)
    before the open or a read fails: a server that is down, refuses
    connections or stops answering raises :class:`RemoteError` in about
    this long, naming the server's URL and the cause. A compressed
    object is decompressed ahead of the reader on the machine's cores (at
    most 4) unless :meth:`Reader.decode_threads` says otherwise (a local
    compressed segment: on the reader's thread).

    The reader's bucket client belongs to this process: after fork(), a
    child opens its own (closing or collecting the parent's there lets go
    of it without freeing it). :class:`InvalidArgumentError` for a
    ``remote`` that is not an ``s3://`` URL or holds a NUL byte, or a
    library built without the archive tier (``make lib ARCHIVE=0``)."""
    args = (c_path("directory", directory), c_string("log name", name), c_string("remote", remote))
    if retry_timeout is None:
        return open_with(_native.lib.binlog_reader_open_log_tiered, *args, batch_records=batch_records,
                         this_process_only=True)
    return open_with(_native.lib.binlog_reader_open_log_tiered_timeout, *args, retry_timeout_ms(retry_timeout),
                     batch_records=batch_records, this_process_only=True)


def open_merged_reader(directory: Optional[PathLike] = None, remote: Optional[str] = None,
                       pattern: str = "*") -> MergedReader:
    """Reads every log in ``directory`` and directly under ``remote``
    (``s3://bucket/prefix``) whose name matches ``pattern`` (``*`` and
    ``?``) as one stream ordered by timestamp, ties by log name, then
    sequence number (:class:`MergedReader`); a log in both is read as
    :func:`open_log_tiered_reader` reads it. No log matching raises
    :class:`NotFoundError`; neither ``directory`` nor ``remote``,
    :class:`InvalidArgumentError`."""
    d = None if directory is None else c_path("directory", directory)
    r = None if remote is None else c_string("remote", remote)
    return open_merged(d, r, c_string("pattern", pattern))


def open_glob(pattern: PathLike, name_pattern: Optional[str] = None,
              batch_records: int = BATCH_RECORDS) -> Reader:
    """Reads the files matching ``pattern`` (``"logs/orders-*.binlog"``,
    ``*`` and ``?`` in the file name; or a directory and ``name_pattern``)
    in name order, as one stream."""
    path = os.fsdecode(pattern if name_pattern is None else os.path.join(pattern, name_pattern))
    directory, name = os.path.split(path)
    if any(c in directory for c in "*?"):
        raise InvalidArgumentError(f"open_glob takes wildcards in the file name only, not in {directory!r}")
    args = (c_path("directory", directory or "."), c_path("pattern", name))
    return open_with(_native.lib.binlog_reader_open_glob, *args, batch_records=batch_records)


# What ``from binlog import *`` takes and ``help(binlog)`` shows in full:
# the everyday entry points. Every name the overview gives is an
# attribute of the package all the same, documented in its own help.
__all__ = ["open_writer", "open_log_writer", "open_reader", "open_log_reader"]
