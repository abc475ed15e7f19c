"""Strings given to the library as C strings (``const char *``)."""

from __future__ import annotations

from .errors import InvalidArgumentError


def c_string(what: str, text: str) -> bytes:
    """``text`` in UTF-8 for a C string argument; a NUL byte in it would
    end the string there, silently dropping the rest, so it is refused
    (:class:`binlog.InvalidArgumentError` naming ``what``)."""
    if "\0" in text:
        # The value is left out: it may be a secret.
        raise InvalidArgumentError(f"{what} contains a NUL byte")
    return text.encode("utf-8")
