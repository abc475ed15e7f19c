"""The fixtures of the tests of shipping and of tiered reading: the real
S3-compatible server `make test-python` runs the suite beside (versitygw,
started by tests/with_s3_server.sh, which says where it is in
BINLOG_TEST_S3_*), and a rolling log whose sealed segments are compressed
(its records: support.py)."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

import binlog
from support import PER, RECORDS, SEALED, payload, record_type


@dataclass(frozen=True)
class S3:
    """The server, and a key prefix of the test's own in its bucket."""

    endpoint: str
    bucket: str
    region: str
    access_key: str
    secret_key: str
    #: The directory the server keeps the bucket in, an object a file.
    root: Path
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def endpoint_by_name(self) -> str:
        """The endpoint with the host name "localhost", which the library
        resolves on its runtime's blocking threads (they outlive the call)."""
        return self.endpoint.replace("//127.0.0.1:", "//localhost:")

    def ship_options(self, **options: object) -> Dict[str, object]:
        """Keyword arguments of a :class:`binlog.Shipper` to the test's
        prefix on this server, ``options`` added or replacing them."""
        given = dict(url=self.url, endpoint=self.endpoint, region=self.region,
                     credentials=(self.access_key, self.secret_key))
        given.update(options)
        return given

    def key(self, segment_no: int, first_seq: int, compressed: bool = True) -> str:
        """The key of a segment of log "orders" (src/archive/object_name.rs)."""
        suffix = ".binlog.zst" if compressed else ".binlog"
        return f"{self.prefix}/orders/{segment_no:020d}-{first_seq:020d}{suffix}"

    def object_file(self, key: str) -> Path:
        return self.root / self.bucket / key

    def segment_objects(self) -> List[Path]:
        """The files of log "orders"' segment objects, in key order."""
        return sorted((self.root / self.bucket / self.prefix / "orders").glob("*.binlog*"))


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests under tests/with_s3_server.sh (make test-python)")
    return value


@pytest.fixture
def s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The server, with no AWS_* variable set: what a test gives the
    library is all it has."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    return S3(_required("BINLOG_TEST_S3_ENDPOINT"), _required("BINLOG_TEST_S3_BUCKET"),
              _required("BINLOG_TEST_S3_REGION"), _required("BINLOG_TEST_S3_ACCESS_KEY"),
              _required("BINLOG_TEST_S3_SECRET_KEY"), Path(_required("BINLOG_TEST_S3_ROOT")),
              "py-" + re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-"))


@pytest.fixture
def aws_env(s3: S3, monkeypatch: pytest.MonkeyPatch) -> S3:
    """The server, its endpoint and credentials in the AWS_* variables, as
    a tiered reader takes them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_REGION", s3.region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    return s3


@pytest.fixture
def compressed_log(tmp_path: Path) -> Iterator[binlog.Writer]:
    """Log "orders" in ``tmp_path``: SEALED sealed segments of PER records,
    each compressed (in frames of 4 KiB), and a live segment; its writer
    stays open during the test."""
    compressed = []
    all_sealed = threading.Event()

    def on_segment(info: binlog.SegmentInfo) -> None:
        if info.event == binlog.SegmentEvent.COMPRESSED:
            compressed.append(info.segment_no)
            if len(compressed) == SEALED:
                all_sealed.set()

    w = binlog.open_log_writer(tmp_path, "orders", max_segment_records=PER, on_segment=[on_segment],
                               compression=binlog.Compression(level=3, frame_size=4096))
    try:
        for i in range(RECORDS):
            w.append(record_type(i), payload(i))
        w.flush()
        assert all_sealed.wait(30), f"segments compressed: {compressed}"
        yield w
    finally:
        w.close()
