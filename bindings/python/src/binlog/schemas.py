"""Type schemas (docs/FORMAT.md, "Type schemas"): a writer's options
declare them, readers look them up in the segment of their last record."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._native import ffi, lib
from .errors import NotFoundError, check

if TYPE_CHECKING:
    from ._native import CData

_TEXT = ("type", "encoding", "schema_encoding", "schema_name")


@dataclass(frozen=True)
class TypeSchema:
    """The schema of records of type ``type``: ``encoding`` is how their
    payloads are encoded (``protobuf``, ``flatbuffer``, ``json``, ``cbor``,
    ``msgpack``), ``schema_encoding`` what ``schema`` holds (``protobuf``:
    a serialized FileDescriptorSet, ``flatbuffer``: a .bfbs,
    ``jsonschema``, or ``""`` for none), ``schema_name`` the message (a
    protobuf message's full name)."""

    type: str
    encoding: str
    schema_encoding: str = ""
    schema_name: str = ""
    schema: bytes = b""

    def __post_init__(self) -> None:
        for f in fields(self):
            want = bytes if f.name == "schema" else str
            value = getattr(self, f.name)
            if not isinstance(value, want):
                raise TypeError(f"TypeSchema.{f.name} must be {want.__name__}, not {type(value).__name__}")


def add_schema(opts: CData, s: TypeSchema) -> None:
    """Declares ``s`` in the ``binlog_options *`` ``opts``."""
    if not isinstance(s, TypeSchema):
        raise TypeError(f"schemas must hold TypeSchema, not {type(s).__name__}")
    parts = [getattr(s, f).encode("utf-8") for f in _TEXT] + [s.schema]
    held = [ffi.from_buffer(p) for p in parts]  # alive until the call returns
    check(lib.binlog_options_add_type_schema(opts, ffi.new("binlog_type_schema *", [
        v for p, h in zip(parts, held) for v in (h, len(p))])))


def find_schema(find: Callable[..., int], handle: CData, type_name: str) -> Optional[TypeSchema]:
    """The schema ``find`` (``binlog_reader_type_schema`` or its merged
    reader's) gives of ``type_name``, copied; ``None`` if it has none."""
    if not isinstance(type_name, str):
        raise TypeError(f"type name must be a str, not {type(type_name).__name__}")
    name = type_name.encode("utf-8")
    out = ffi.new("binlog_type_schema *")
    code = find(handle, name, len(name), out)
    if code == NotFoundError.code:
        return None
    check(code)
    def text(p: CData, n: int) -> str:
        return str(ffi.buffer(p, n), "utf-8")
    return TypeSchema(text(out.type_name, out.type_len), text(out.encoding, out.encoding_len),
                      text(out.schema_encoding, out.schema_encoding_len),
                      text(out.schema_name, out.schema_name_len), bytes(ffi.buffer(out.schema, out.schema_len)))
