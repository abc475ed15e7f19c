"""What `make python-release-check` asks of an installed libbinlog:
`python release_smoke.py TAG DIR`, run by the virtual environment's Python.

The package pip installed is the one expected (a platform tag of its
WHEEL file is TAG: manylinux2014_<arch> for the wheel of dist/python,
linux_<arch> for the one pip built from the source distribution), its
library is its version, and a rolling log of ten segments written by one
process is read back whole, record by record, by another.
"""

import importlib.metadata
import os
import subprocess
import sys

WRITE = """
import sys, binlog
with binlog.open_log_writer(sys.argv[1], "orders", max_segment_records=100) as w:
    for i in range(1000):
        w.append("order", b"order %d" % i, metadata={"i": str(i)})
"""
READ = """
import sys, binlog
with binlog.open_log_reader(sys.argv[1], "orders") as r:
    records = [(rec.seq, rec.type, bytes(rec.payload), dict(rec.metadata)) for rec in r]
assert [r[2] for r in records] == [b"order %d" % i for i in range(1000)], records[:3]
assert all(r[1] == "order" and r[3] == {"i": str(i)} for i, r in enumerate(records))
print(len(records), "records read back from", len(binlog.list_segments(sys.argv[1], "orders")), "segments")
"""

tag, directory = sys.argv[1], sys.argv[2]
dist = importlib.metadata.distribution("libbinlog")
tags = [line.split(": ", 1)[1] for line in (dist.read_text("WHEEL") or "").splitlines() if line.startswith("Tag: ")]
if tag not in [t.split("-")[-1] for t in tags]:
    sys.exit(f"release_smoke: libbinlog {dist.version} was installed from a wheel tagged {tags}, not *-{tag}")
import binlog  # noqa: E402 (after the check of what pip installed)
from binlog import _native  # noqa: E402

major, minor, patch = map(int, dist.version.split("."))
assert _native.lib.binlog_version_number() == major * 1_000_000 + minor * 1000 + patch
os.makedirs(directory, exist_ok=True)
for script in (WRITE, READ):
    subprocess.run([sys.executable, "-c", script, directory], check=True, cwd=directory)
print(f"release_smoke: libbinlog {dist.version} ({', '.join(tags)}) from {os.path.dirname(binlog.__file__)}")
