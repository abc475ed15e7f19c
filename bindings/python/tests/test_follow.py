"""Followers: waiting for records with a timeout, without holding the
GIL, across a log's rolls; polling a descriptor."""

import selectors
import threading
import time

import binlog


def test_a_follower_gets_records_written_while_it_waits_across_rolls(tmp_path):
    writer = binlog.open_log_writer(tmp_path, "log", max_segment_records=10, flush_delay_us=0)
    writer.append("t", b"0")
    got = []
    reader = binlog.open_log_reader(tmp_path, "log")

    def follow():
        for record in reader.follow(idle_timeout=60.0):  # bounds a hang only
            got.append(int(bytes(record.payload)))
            if len(got) == 50:
                return

    thread = threading.Thread(target=follow)
    thread.start()
    for i in range(1, 50):
        writer.append("t", b"%d" % i)
        time.sleep(0.001)
    thread.join(120)
    writer.close()
    reader.close()
    assert got == list(range(50))


def test_next_with_a_timeout_returns_none_after_waiting_and_releases_the_gil(tmp_path):
    with binlog.open_writer(tmp_path / "s.binlog", flush_delay_us=0) as w:
        w.flush()
        reader = binlog.open_reader(tmp_path / "s.binlog")
        started = time.monotonic()
        assert reader.next(timeout=0.5) is None
        assert time.monotonic() - started >= 0.45
        # A Python thread appends while the reader waits (a minute at most):
        # the wait ends with its record only if it let go of the GIL.
        waiting = threading.Event()

        def append():
            waiting.wait()
            w.append("t", b"now")

        thread = threading.Thread(target=append)
        thread.start()
        waiting.set()
        record = reader.next(timeout=60)
        thread.join()
        assert bytes(record.payload) == b"now"
        reader.close()


def test_the_poll_descriptor_becomes_readable_when_records_come(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", flush_delay_us=0) as w:
        w.append("t", b"first")
        with binlog.open_log_reader(tmp_path, "log") as r, selectors.DefaultSelector() as sel:
            sel.register(r.fileno(), selectors.EVENT_READ)
            seen = []
            deadline = time.monotonic() + 10
            while len(seen) < 2 and time.monotonic() < deadline:
                if sel.select(timeout=1):
                    r.rearm()
                    seen += [bytes(x.payload) for x in r]
                    if seen == [b"first"]:
                        w.append("t", b"second")
            assert seen == [b"first", b"second"]
