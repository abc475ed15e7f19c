"""The migration examples run and print what they read back."""

import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def run(example, *args, cwd):
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, example), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_maplogger_example_reads_back_one_type(tmp_path):
    out = run("maplogger_migration.py", str(tmp_path / "log.binlog"), cwd=tmp_path)
    assert "4 Trade records: [Trade(quantity=0, price=100.0), Trade(quantity=3" in out
    assert "10 records in all, first Trade(quantity=0, price=100.0)" in out


def test_the_shoebox_example_rolls_by_size_and_reads_the_wildcard_in_order(tmp_path):
    out = run("shoebox_migration.py", str(tmp_path / "events"), cwd=tmp_path)
    last = out.strip().splitlines()[-1]
    files = int(last.split()[0])
    assert files > 2 and last.endswith("; read back 2000 records in order")
    assert out.count("sealed events-") == files
