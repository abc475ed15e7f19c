"""What several test files share besides fixtures (those are in
conftest.py): the records of the compressed log of ``compressed_log``,
the library's decoding threads, a check run in a forked child, and a
segment as a crashed writer leaves it."""

from __future__ import annotations

import glob
import os
import signal
import time
import traceback
from typing import Callable, List, Tuple

import pytest

import binlog

#: Records per segment of the log of ``compressed_log``, and its sealed
#: segments (a live one of PER // 2 records follows them).
PER = 200
SEALED = 4
RECORDS = SEALED * PER + PER // 2
#: The record after which a scan counts its decoding threads: mid-way
#: through the first segment, whose frames are then being decoded.
MID_SCAN = 100


def record_type(i: int) -> str:
    """Record ``i``'s type: every third a "quote", else a "trade"."""
    return "quote" if i % 3 == 2 else "trade"


def payload(i: int) -> bytes:
    """Record ``i``'s payload: 300 bytes that compress well, in frames of
    a few KiB."""
    return b"record %06d " % i * 25


EVERY_RECORD = [(i, record_type(i), payload(i)) for i in range(RECORDS)]


def decoding_threads() -> int:
    """This process's threads named binlog-decode: the library's
    decode-ahead pool (src/compressed/decode_ahead.rs), not its other
    threads nor those of other tests."""
    comms = glob.glob("/proc/self/task/*/comm")
    if not comms:
        pytest.skip("no /proc/self/task: threads cannot be counted")
    count = 0
    for comm in comms:
        try:
            with open(comm, encoding="utf-8") as f:
                count += f.read().strip() == "binlog-decode"
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return count


def no_decoding_threads_within(seconds: float) -> bool:
    """Whether the decoding threads of readers closed before have ended
    within ``seconds`` (a pool is not joined: each ends after its frame)."""
    deadline = time.monotonic() + seconds
    while decoding_threads() > 0:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def scan_counting_decoding_threads(reader: binlog.Reader,
                                   threads: int) -> Tuple[List[Tuple[int, str, bytes]], int]:
    """Every record ``reader`` returns with ``threads`` decode threads, as
    (seq, type, payload), and the decoding threads there were after its
    MID_SCAN-th record."""
    reader.decode_threads(threads)
    records, mid_scan = [], -1
    for r in reader:
        records.append((r.seq, r.type, bytes(r.payload)))
        if len(records) == MID_SCAN:
            mid_scan = decoding_threads()
    return records, mid_scan


def exit_code_in_child(check: Callable[[], None], timeout: float = 10) -> int:
    """Runs ``check`` in a child forked now, which exits 0 if it returns
    and 1 (its traceback printed) if it raises; the child's exit code.
    An AssertionError if it has not exited within ``timeout`` seconds
    (then it is killed)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            check()
            code = 0
        except BaseException:  # noqa: B036 (a child must never return into pytest)
            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"the forked child did not exit within {timeout} s")
        time.sleep(0.01)


def torn_segment(path: str, records: int = 5, cut: int = 30) -> None:
    """Writes ``records`` records to a segment at ``path`` and leaves it
    as a writer that crashed in the middle of the last one would: its
    flushed bytes before the close seals them, less the last ``cut``."""
    w = binlog.open_writer(path)
    for i in range(records):
        w.append("t", b"%d" % i * 100)
    w.flush()
    with open(path, "rb") as f:
        data = f.read()  # unsealed
    w.close()
    with open(path, "wb") as f:
        f.write(data[:-cut])
