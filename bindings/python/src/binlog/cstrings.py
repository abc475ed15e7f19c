"""Strings given to the library as C strings (``const char *``): a NUL
byte inside one would end it there, silently dropping the rest (another
file, log or type than the caller named), so every one is refused here
before the library is called."""

from __future__ import annotations

import os
from typing import Union

from .errors import InvalidArgumentError

#: A path as the library's openers take it (``os.fsencode`` accepts it).
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def c_string(what: str, text: str) -> bytes:
    """``text`` in UTF-8 for a C string argument, or
    :class:`binlog.InvalidArgumentError` naming ``what`` if it holds a NUL
    byte; :class:`TypeError` if it is no ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    return _without_nul(what, text.encode("utf-8"))


def c_path(what: str, path: PathArg) -> bytes:
    """``path`` in the file system's encoding (``os.fsencode``) for a C
    string argument, or :class:`binlog.InvalidArgumentError` naming
    ``what`` if it holds a NUL byte (as ``open()`` raises ``ValueError``
    for one; the error is a ``ValueError`` too); :class:`TypeError` naming
    ``what`` if it is no path."""
    try:
        return _without_nul(what, os.fsencode(path))
    except TypeError:
        raise TypeError(f"{what} must be a path (str, bytes or os.PathLike), not {type(path).__name__}") from None


def _without_nul(what: str, encoded: bytes) -> bytes:
    # UTF-8 and the file system encoding (surrogateescape) write a NUL
    # byte only for U+0000, so the encoded form is checked for both.
    if b"\0" in encoded:
        # The value is left out: it may be a secret.
        raise InvalidArgumentError(f"{what} contains a NUL byte")
    return encoded
