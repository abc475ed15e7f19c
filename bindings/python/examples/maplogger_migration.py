"""For MapLogger users: typed records, and reading one type back.

MapLogger wrote each loggable's class name and bytes, kept a map from
class name to record positions, and wrote that map at the end of the file
when closed (rebuilding it by a scan when it was missing). With libbinlog
the class name is the record's type; the segment's seal, written by
``close()`` (or the ``with`` block), holds a per-type index, and a
segment without a seal (a crash) is still read whole, every record
checked against its CRC.

Run: python3 maplogger_migration.py [FILE]   (default: ./the_logger.binlog)
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from typing import Dict, Iterator, Type, TypeVar, Union

import binlog


@dataclass
class StringLog:
    """MapLogger's StringLog: a loggable string."""

    text: str

    def to_bytes(self) -> bytes:
        return self.text.encode("utf-8")

    @classmethod
    def from_bytes(cls, data: memoryview) -> "StringLog":
        return cls(str(data, "utf-8"))


@dataclass
class Trade:
    """A loggable of the user's own: fixed-size binary fields."""

    FORMAT = struct.Struct("<qd")
    quantity: int
    price: float

    def to_bytes(self) -> bytes:
        return self.FORMAT.pack(self.quantity, self.price)

    @classmethod
    def from_bytes(cls, data: memoryview) -> "Trade":
        return cls(*cls.FORMAT.unpack(data))


Loggable = TypeVar("Loggable", StringLog, Trade)
LOGGABLES: Dict[str, Union[Type[StringLog], Type[Trade]]] = {cls.__name__: cls for cls in (StringLog, Trade)}


def write(path: str) -> None:
    # MapLogger(path) ... close(): the log is a context manager here too.
    with binlog.open_writer(path, content_type="application/x-loggable") as log:
        for i in range(10):
            obj = StringLog(f"event {i}") if i % 3 else Trade(i, 100.0 + i)
            log.append(type(obj).__name__, obj.to_bytes())


def read_all_of(path: str, cls: Type[Loggable]) -> Iterator[Loggable]:
    """Every record of one loggable class, in write order (MapLogger's
    retrieval by class), through the seal's per-type index."""
    with binlog.open_reader(path) as reader:
        reader.filter_types([cls.__name__])
        for record in reader:
            yield cls.from_bytes(record.payload)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "the_logger.binlog"
    write(path)
    trades = list(read_all_of(path, Trade))
    print(f"{len(trades)} Trade records: {trades}")
    with binlog.open_reader(path) as reader:
        everything = [LOGGABLES[r.type].from_bytes(r.payload) for r in reader]
    print(f"{len(everything)} records in all, first {everything[0]}")


if __name__ == "__main__":
    main()
