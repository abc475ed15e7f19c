"""A shipper and a tiered reader given a server that is down (a port with
nothing listening) or that accepts connections and never answers (a plain
TCP listener of the test's own): each call raises ``RemoteError`` naming
the endpoint and the cause within its retry timeout, plus slack (the
bound, 45 s, is far from tight: it only tells a wait bounded by the
retry timeout from one of the 60 s request timeout)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator, List, Tuple

import pytest

import binlog

RETRY_TIMEOUT = 1.5
BOUND = 45.0


def _dead_endpoint() -> str:
    """An http:// URL where nothing listens (a port bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An http:// URL of a listener that accepts connections, reads
    nothing and answers nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: List[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    t.join(timeout=5)
    for c in held:
        c.close()


def _cases(silent: str) -> List[Tuple[str, str, Tuple[str, ...]]]:
    return [
        ("nothing listening", _dead_endpoint(), ("Connection refused", "connection refused")),
        ("never answering", silent, ("timed out", "timeout")),
    ]


def _check(what: str, call, endpoint: str, causes: Tuple[str, ...]) -> None:
    start = time.monotonic()
    with pytest.raises(binlog.RemoteError) as e:
        call()
    took = time.monotonic() - start
    msg = str(e.value)
    assert endpoint in msg, f"{what}: {msg}"
    assert any(c in msg for c in causes), f"{what}: {msg}"
    assert took < BOUND, f"{what}: {took:.1f} s"


def test_a_shipper_fails_within_its_retry_timeout_naming_the_endpoint_and_cause(
        compressed_log, tmp_path, silent_endpoint):
    for name, endpoint, causes in _cases(silent_endpoint):
        options = dict(url="s3://logs/unreachable", endpoint=endpoint, region="us-east-1",
                       credentials=("id", "secret"), retry_timeout=RETRY_TIMEOUT)

        def ship() -> None:
            with binlog.Shipper(tmp_path, "orders", **options) as s:
                s.ship_once()

        _check(name, ship, endpoint, causes)


def test_a_tiered_reader_fails_within_its_retry_timeout_naming_the_endpoint_and_cause(
        compressed_log, tmp_path, silent_endpoint, monkeypatch):
    for name, endpoint, causes in _cases(silent_endpoint):
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "id")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

        def read() -> None:
            with binlog.open_log_tiered_reader(tmp_path, "orders", "s3://logs/unreachable",
                                               retry_timeout=RETRY_TIMEOUT) as r:
                r.next()

        _check(name, read, endpoint, causes)
