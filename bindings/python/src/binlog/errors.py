"""Exceptions: one class per result code of ``binlog.h``, in a hierarchy.

Every error is a :class:`BinlogError` carrying the C result ``code``, its
``name`` as the header spells it (``"BINLOG_ERR_CORRUPT"``) and the
library's message, which names the file and byte offset where there is
one. Errors about data on disk derive from :class:`CorruptionError`;
those of the operating system from the built-in :class:`OSError` classes
(``except FileNotFoundError`` catches :class:`NotFoundError`); invalid
arguments from :class:`ValueError`.
"""

from __future__ import annotations

import errno
import os
from typing import Dict, Optional, Type

from ._native import ffi, lib

OK = 0
END = 1


class BinlogError(Exception):
    """A libbinlog call failed; ``code`` is its ``binlog_result``, ``path``
    the file, log directory or ``s3://`` object it names (or None) and
    ``offset`` the byte offset there (or None). One that is also an
    :class:`OSError` has ``errno`` (the system call's, else the class's),
    ``strerror`` and ``filename`` (``path``) set as the built-in ones do."""

    code: int = -1
    path: Optional[str] = None
    offset: Optional[int] = None
    #: The errno of a class that is an OSError, when no system call's is known.
    default_errno: int = 0

    @property
    def name(self) -> str:
        """The result code's name, e.g. ``"BINLOG_ERR_CORRUPT"``."""
        return ffi.string(lib.binlog_result_name(self.code)).decode()

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.name})"


class CorruptionError(BinlogError):
    """A file is not a valid segment, or is damaged."""


class RemoteError(BinlogError):
    """Object storage refused or failed a request."""


# One class per C result code (the class's `code`). Numbers are never reused.


class InvalidArgumentError(BinlogError, ValueError):
    """An argument was refused."""

    code = 2


class NullPointerError(BinlogError):
    """A NULL pointer reached the library."""

    code = 3


class NotFoundError(BinlogError, FileNotFoundError):
    """No such file, segment or header."""

    code = 4
    default_errno = errno.ENOENT


class PermissionDeniedError(BinlogError, PermissionError):
    """Permission denied."""

    code = 5
    default_errno = errno.EACCES


class BinlogIOError(BinlogError, OSError):
    """An I/O error."""

    code = 6
    default_errno = errno.EIO


class NotABinlogError(CorruptionError):
    """The file is not a binlog segment."""

    code = 7


class UnsupportedVersionError(CorruptionError):
    """A segment format this library does not read."""

    code = 8


class CorruptHeaderError(CorruptionError):
    """A segment's header fails its checks."""

    code = 9


class CorruptError(CorruptionError):
    """A record fails its checks (CRC, framing)."""

    code = 10


class TruncatedError(CorruptionError):
    """A file ends inside a structure."""

    code = 11


class RecordTooLargeError(BinlogError, ValueError):
    """A record is above the maximum record size."""

    code = 12


class LockedError(BinlogError):
    """Another writer has the log open."""

    code = 13


class ClosedError(BinlogError, ValueError):
    """The writer or reader is closed."""

    code = 14


class DiskFullError(BinlogIOError):
    """No space left on the device."""

    code = 15
    default_errno = errno.ENOSPC


class PanicError(BinlogError):
    """The library hit an internal error (a bug)."""

    code = 16


class InvalidUtf8Error(BinlogError, ValueError):
    """A string is not UTF-8."""

    code = 17


class PoisonedError(BinlogError):
    """An fdatasync failed: the writer stopped."""

    code = 18


class AlreadyExistsError(BinlogError, FileExistsError):
    """The file exists already."""

    code = 19
    default_errno = errno.EEXIST


class CorruptSealError(CorruptionError):
    """A segment's seal fails its checks."""

    code = 20


class BufferTooSmallError(BinlogError):
    """A buffer too small for a record."""

    code = 21


class WrongLogError(BinlogError):
    """A file named as a segment of the log belongs to another log, or
    the bucket prefix a :class:`binlog.Shipper` ships to is claimed by
    another log of the same name."""

    code = 22


class SealedError(BinlogError):
    """The segment is sealed: it never changes again."""

    code = 23


class CompressedTruncatedError(CorruptionError):
    """A compressed segment ends early."""

    code = 24


class CorruptFrameError(CorruptionError):
    """A frame of a compressed segment is damaged."""

    code = 25


class CorruptSeekTableError(CorruptionError):
    """A compressed segment's seek table is damaged."""

    code = 26


class FrameSizeMismatchError(CorruptionError):
    """A compressed frame's size disagrees with its seek table."""

    code = 27


class RemoteConflictError(RemoteError, FileExistsError):
    """The object exists already in the bucket, with other contents."""

    code = 28
    default_errno = errno.EEXIST


class RemoteRequestError(RemoteError):
    """An object-storage request failed."""

    code = 29


ERRORS_BY_CODE: Dict[int, Type[BinlogError]] = {
    cls.code: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, BinlogError) and cls.code >= 2
}


__all__ = [
    "BinlogError", "CorruptionError", "RemoteError", "InvalidArgumentError",
    "NullPointerError", "NotFoundError", "PermissionDeniedError", "BinlogIOError",
    "NotABinlogError", "UnsupportedVersionError", "CorruptHeaderError", "CorruptError",
    "TruncatedError", "RecordTooLargeError", "LockedError", "ClosedError",
    "DiskFullError", "PanicError", "InvalidUtf8Error", "PoisonedError",
    "AlreadyExistsError", "CorruptSealError", "BufferTooSmallError", "WrongLogError",
    "SealedError", "CompressedTruncatedError", "CorruptFrameError",
    "CorruptSeekTableError", "FrameSizeMismatchError", "RemoteConflictError",
    "RemoteRequestError",
]


def error_for(code: int) -> BinlogError:
    """The exception for a failed call's ``code``, with this thread's last
    error message (the library keeps it per thread; the call ran on this
    one)."""
    message = ffi.string(lib.binlog_last_error()).decode("utf-8", "replace")
    if not message:
        message = ffi.string(lib.binlog_result_description(code)).decode()
    error = ERRORS_BY_CODE.get(code, BinlogError)(message)
    error.code = code
    error.path = ffi.string(lib.binlog_last_error_path()).decode("utf-8", "replace") or None
    offset = ffi.new("uint64_t *")
    error.offset = offset[0] if lib.binlog_last_error_offset(offset) else None
    if isinstance(error, OSError):
        error.errno = lib.binlog_last_error_os_code() or error.default_errno
        error.strerror = os.strerror(error.errno)
        error.filename = error.path
    return error


def check(code: int) -> int:
    """Returns ``code`` (OK or END); raises the exception of any other."""
    if code > END:
        raise error_for(code)
    return code
