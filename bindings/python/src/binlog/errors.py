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

from typing import Dict, Type

from ._native import ffi, lib

OK = 0
END = 1


class BinlogError(Exception):
    """A libbinlog call failed; ``code`` is its ``binlog_result``."""

    code: int = -1

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


def _error(name: str, code: int, *bases: type, doc: str) -> Type[BinlogError]:
    cls = type(name, bases, {"code": code, "__doc__": doc, "__module__": __name__})
    return cls  # type: ignore[return-value]


# The C result code each class stands for. Numbers are never reused.
InvalidArgumentError = _error("InvalidArgumentError", 2, BinlogError, ValueError, doc="An argument was refused.")
NullPointerError = _error("NullPointerError", 3, BinlogError, doc="A NULL pointer reached the library.")
NotFoundError = _error("NotFoundError", 4, BinlogError, FileNotFoundError, doc="No such file, segment or header.")
PermissionDeniedError = _error("PermissionDeniedError", 5, BinlogError, PermissionError, doc="Permission denied.")
BinlogIOError = _error("BinlogIOError", 6, BinlogError, OSError, doc="An I/O error.")
NotABinlogError = _error("NotABinlogError", 7, CorruptionError, doc="The file is not a binlog segment.")
UnsupportedVersionError = _error("UnsupportedVersionError", 8, CorruptionError, doc="A segment format this library does not read.")
CorruptHeaderError = _error("CorruptHeaderError", 9, CorruptionError, doc="A segment's header fails its checks.")
CorruptError = _error("CorruptError", 10, CorruptionError, doc="A record fails its checks (CRC, framing).")
TruncatedError = _error("TruncatedError", 11, CorruptionError, doc="A file ends inside a structure.")
RecordTooLargeError = _error("RecordTooLargeError", 12, BinlogError, ValueError, doc="A record is above the maximum record size.")
LockedError = _error("LockedError", 13, BinlogError, doc="Another writer has the log open.")
ClosedError = _error("ClosedError", 14, BinlogError, ValueError, doc="The writer or reader is closed.")
DiskFullError = _error("DiskFullError", 15, BinlogIOError, doc="No space left on the device.")
PanicError = _error("PanicError", 16, BinlogError, doc="The library hit an internal error (a bug).")
InvalidUtf8Error = _error("InvalidUtf8Error", 17, BinlogError, ValueError, doc="A string is not UTF-8.")
PoisonedError = _error("PoisonedError", 18, BinlogError, doc="An fdatasync failed: the writer stopped.")
AlreadyExistsError = _error("AlreadyExistsError", 19, BinlogError, FileExistsError, doc="The file exists already.")
CorruptSealError = _error("CorruptSealError", 20, CorruptionError, doc="A segment's seal fails its checks.")
BufferTooSmallError = _error("BufferTooSmallError", 21, BinlogError, doc="A buffer too small for a record.")
WrongLogError = _error("WrongLogError", 22, BinlogError, doc="A file named as a segment of the log belongs to another log.")
SealedError = _error("SealedError", 23, BinlogError, doc="The segment is sealed: it never changes again.")
CompressedTruncatedError = _error("CompressedTruncatedError", 24, CorruptionError, doc="A compressed segment ends early.")
CorruptFrameError = _error("CorruptFrameError", 25, CorruptionError, doc="A frame of a compressed segment is damaged.")
CorruptSeekTableError = _error("CorruptSeekTableError", 26, CorruptionError, doc="A compressed segment's seek table is damaged.")
FrameSizeMismatchError = _error("FrameSizeMismatchError", 27, CorruptionError, doc="A compressed frame's size disagrees with its seek table.")
RemoteConflictError = _error("RemoteConflictError", 28, RemoteError, FileExistsError, doc="The object exists already in the bucket, with other contents.")
RemoteRequestError = _error("RemoteRequestError", 29, RemoteError, doc="An object-storage request failed.")

ERRORS_BY_CODE: Dict[int, Type[BinlogError]] = {
    cls.code: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, BinlogError) and cls.code >= 2
}


def error_for(code: int) -> BinlogError:
    """The exception for a failed call's ``code``, with this thread's last
    error message (the library keeps it per thread; the call ran on this
    one)."""
    message = ffi.string(lib.binlog_last_error()).decode("utf-8", "replace")
    if not message:
        message = ffi.string(lib.binlog_result_description(code)).decode()
    error = ERRORS_BY_CODE.get(code, BinlogError)(message)
    error.code = code
    return error


def check(code: int) -> int:
    """Returns ``code`` (OK or END); raises the exception of any other."""
    if code > END:
        raise error_for(code)
    return code
