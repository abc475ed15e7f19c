"""For shoebox users: metadata + payload, rolling by size, and reading
every file of a wildcard in order.

shoebox's WritingRollManager took a file-name template and a
SizeRollChecker; ``write(metadata, payload)`` stored a ``str: str`` dict
and a (JSON) payload; callbacks heard of archives opened and closed; a
ReadingRollManager read every file matching a wildcard until NoMoreFiles.
With libbinlog a rolling log names, numbers and seals its segment files
itself (``<name>-<20-digit number>-<UTC start>.binlog``), so that name
order is write order whatever the roll period; a wildcard reader reads
them as one stream.

Run: python3 shoebox_migration.py [DIR]   (default: ./events)
"""

from __future__ import annotations

import json
import sys

import binlog


def on_segment(info: binlog.SegmentInfo) -> None:
    # shoebox's open/close callbacks: here an upload could start once SEALED.
    if info.event == binlog.SegmentEvent.SEALED:
        print(f"sealed {info.path.rsplit('/', 1)[-1]}: {info.record_count} records")


def write(directory: str) -> None:
    # SizeRollChecker(roll_size_mb=...): roll before a segment passes 64 KiB.
    with binlog.open_log_writer(directory, "events", max_segment_bytes=64 * 1024,
                                on_segment=[on_segment]) as writer:
        for index in range(2000):
            payload = json.dumps({"event": "click", "n": index}).encode()
            writer.append("event", payload, metadata={"index": str(index)})


def read(directory: str) -> int:
    # ReadingRollManager("events-*.binlog"): every file in name order, and
    # the loop ends at the last record instead of raising NoMoreFiles.
    count = 0
    with binlog.open_glob(directory, "events-*.binlog") as reader:
        for record in reader:
            metadata, event = record.metadata, json.loads(record.payload)
            assert int(metadata["index"]) == event["n"] == count
            count += 1
    return count


def main() -> None:
    directory = sys.argv[1] if len(sys.argv) > 1 else "events"
    write(directory)
    files = binlog.list_segments(directory, "events")
    print(f"{len(files)} files; read back {read(directory)} records in order")


if __name__ == "__main__":
    main()
