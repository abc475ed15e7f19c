#!/usr/bin/env python3
"""The code budget's counter (`make line-budget`): lines of code, not
comments, blank lines or Rust items compiled only for tests
(`#[cfg(test)]`, `#[cfg(all(test, ...))]`,
`#[cfg(any(test, feature = "internals"))]`).

Counted per part: the library (src/ but its platform backends), the
platform backends (src/sys: one per OS family, counted apart so that a
platform's lines never hide in the library's), the tool (cli/src), and the bindings' main code (Java's main
sources and JNI C, Go's non-test files, Python's package and C extension,
bindings' generators and build scripts). A line is code when, stripped, it is not empty
and not a comment: `//` and `/* ... */` in Rust, C, Java and Go; `#` and
docstrings in Python. In Rust, an item under one of TEST_ONLY's
attributes (a test module or function, a test helper, or the file of a
module declared so) is not counted, whole.

Usage: code_lines.py [LIB_BUDGET TOOL_BUDGET BINDINGS_BUDGET SYS_BUDGET]
With budgets, exits 1 when a part is over its budget."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


# The attributes of Rust items compiled only for tests: the unit tests'
# own, and what the crate's internals (feature "internals", turned on by
# dev-dependencies only) hold for the integration tests alone.
# How a test item's first line ends when the item goes on over more lines
# before its body (rustfmt's multi-line signature, an array's items).
OPENS = ("(", "[", "<", "=", "where")
TEST_ONLY = ("#[cfg(test)]", "#[cfg(all(test, ", '#[cfg(any(test, feature = "internals"))]')


# The bindings' generators and build scripts, counted with their main code.
GENERATORS = ["bindings/gen_tables.py", "bindings/python/binlog_build.py", "bindings/python/setup.py"]


def files(top, exts, skip=lambda p: False):
    for dirpath, dirs, names in os.walk(os.path.join(ROOT, top)):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            if name.endswith(exts) and not skip(path):
                yield path


def c_like(text, rust=False):
    """Code lines of Rust, C, Java or Go source: comments and blank
    lines out; in Rust, `#[cfg(test)]` items out."""
    n, in_block, skip_depth, pending, opening = 0, False, 0, False, False
    for line in text.splitlines():
        s = line.strip()
        if in_block:
            if "*/" in s:
                in_block = False
                s = s.split("*/", 1)[1].strip()
            else:
                continue
        if s.startswith("/*"):
            if "*/" not in s:
                in_block = True
            continue
        if not s or s.startswith("//"):
            continue
        if rust:
            if skip_depth:
                skip_depth += s.count("{") - s.count("}")
                continue
            if opening:
                # A test item whose first line did not open its body (a
                # signature over several lines): skipped up to its body's end.
                opening = "{" not in s and not s.endswith(";")
                skip_depth = s.count("{") - s.count("}")
                continue
            if s.startswith(TEST_ONLY):
                pending = True
                continue
            if pending:
                # The item's other attributes (`#[derive(...)]`) come first.
                pending = s.startswith("#[")
                if pending:
                    continue
                depth = s.count("{") - s.count("}")
                if depth > 0:
                    skip_depth = depth
                opening = "{" not in s and s.endswith(OPENS)
                continue
        n += 1
    return n


def python(text):
    n, doc = 0, None
    for line in text.splitlines():
        s = line.strip()
        if doc:
            if doc in s:
                doc = None
            continue
        m = re.match(r'^[rbu]?("""|\'\'\')', s)
        if m:
            q = m.group(1)
            if s.count(q) == 1:
                doc = q
            continue
        if s and not s.startswith("#"):
            n += 1
    return n


def count(paths, fn):
    total = 0
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            total += fn(f.read())
    return total


def test_modules(top):
    """The files of Rust modules declared under `#[cfg(test)]` (or
    `#[cfg(all(test, ...))]`) as `mod name;`: test code, like an inline
    test module, not counted."""
    found = set()
    for path in files(top, (".rs",)):
        here = os.path.dirname(path)
        if os.path.basename(path) not in ("mod.rs", "lib.rs", "main.rs"):
            here = os.path.join(here, os.path.basename(path)[:-3])
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in re.finditer(r"#\[cfg\((?:all\()?test\b[^\n]*\n\s*(?:pub(?:\([^)]*\))? )?mod (\w+);", text):
            found.add(os.path.join(here, m.group(1) + ".rs"))
            found.add(os.path.join(here, m.group(1), "mod.rs"))
    return found


def rust(top, skip=lambda p: False):
    tests = test_modules(top)
    return count(files(top, (".rs",), lambda p: skip(p) or p in tests), lambda t: c_like(t, rust=True))


def main():
    tool = rust("cli/src")
    platform = rust("src/sys")
    lib = rust("src", lambda p: p.startswith(os.path.join(ROOT, "src/sys") + os.sep))
    java = count(files("bindings/java/src/main", (".java", ".c", ".h")), c_like)
    go = count(files("bindings/go", (".go",), lambda p: p.endswith("_test.go")), c_like)
    py = count(files("bindings/python/src", (".py",)), python)
    py_c = count(files("bindings/python/csrc", (".c", ".h")), c_like)
    gen = count([os.path.join(ROOT, p) for p in GENERATORS], python)
    bindings = java + go + py + py_c + gen
    parts = [("library", lib), ("tool", tool), ("bindings' main code", bindings), ("platform backends (src/sys)", platform)]
    budgets = [int(b) for b in sys.argv[1:5]]
    status = 0
    for i, (name, n) in enumerate(parts):
        line = f"{name}: {n} lines of code"
        if budgets:
            line += f" (budget {budgets[i]})"
            if n > budgets[i]:
                line += f": {n - budgets[i]} over; merge or cut before adding"
                status = 1
        print(line)
    print(f"  bindings: Java and JNI {java}, Go {go}, Python {py}, Python's C {py_c}, generators {gen}")
    return status


if __name__ == "__main__":
    sys.exit(main())
