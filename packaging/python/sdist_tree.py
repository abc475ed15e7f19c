"""The tree the Python source distribution is made from:
`python sdist_tree.py REPO OUT` (`make python-sdist`).

OUT gets the binding's sources (bindings/python, less its tests,
benchmarks and examples), the repository's LICENSE, and in OUT/rust the
crate as far as building the C library needs it: Cargo.toml, Cargo.lock,
build.rs, cbindgen.toml, include/ and src/. binlog_build.py builds
libbinlog.a there with cargo when the distribution is installed.

The crate's Cargo.toml loses what names files left out (the workspace's
tool, the tests, examples and benchmarks, the dev-dependencies) and
becomes a workspace of its own (an empty [workspace] table: it is found
inside no other); its Cargo.lock is then pruned to the packages that
remain, at the versions the repository's lock pins, so the build runs
with --locked.
"""

import os
import re
import shutil
import subprocess
import sys

repo, out = sys.argv[1], sys.argv[2]
binding = os.path.join(repo, "bindings", "python")
shutil.rmtree(out, ignore_errors=True)
shutil.copytree(binding, out, ignore=shutil.ignore_patterns(
    "tests", "bench", "examples", "build", "*.egg-info", "__pycache__", "*.so", "requirements-test.txt"))
shutil.copy(os.path.join(repo, "LICENSE"), out)
crate = os.path.join(out, "rust")
os.mkdir(crate)
for name in ("Cargo.lock", "build.rs", "cbindgen.toml", "LICENSE"):
    shutil.copy(os.path.join(repo, name), crate)
for name in ("include", "src"):
    shutil.copytree(os.path.join(repo, name), os.path.join(crate, name))

# Cargo.toml by tables: the ones naming left-out files go, [workspace]
# becomes empty.
with open(os.path.join(repo, "Cargo.toml"), encoding="utf-8") as f:
    tables = re.split(r"(?m)^(?=\[)", f.read())
DROPPED = re.compile(r"^\[\[(test|example|bench)\]\]|^\[(dev-dependencies|target\.[^\]]*\.dev-dependencies)\]")
kept = ["[workspace]\n\n" if t.startswith("[workspace]") else t for t in tables if not DROPPED.match(t)]
with open(os.path.join(crate, "Cargo.toml"), "w", encoding="utf-8") as f:
    f.write("".join(kept))
# Without --locked, cargo drops from the lock the packages no longer
# needed and keeps every other pin; offline, nothing is fetched.
subprocess.run([os.environ.get("CARGO", "cargo"), "metadata", "--offline", "--quiet", "--format-version", "1",
                "--manifest-path", os.path.join(crate, "Cargo.toml")], check=True, stdout=subprocess.DEVNULL)
