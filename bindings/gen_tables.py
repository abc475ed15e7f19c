#!/usr/bin/env python3
"""Writes the bindings' copies of the C ABI's tables from their one source.

The sources: the result codes and their descriptions are the `codes!` table
of src/ffi/result.rs; the enums' values and docs and the option setters'
signatures are include/binlog.h (cbindgen's rendering of src/ffi); the
option selectors shared by the Java binding and its JNI library, and each
language's names for the result codes, are the tables below. Each copy is a
region of a binding's file between a BEGIN GENERATED and an END GENERATED
line, rewritten whole.

    python3 bindings/gen_tables.py          # rewrite the regions (`make tables`)
    python3 bindings/gen_tables.py --check  # fail if one is stale (`make check-header`)
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GO = ROOT / "bindings/go"
JAVA = ROOT / "bindings/java/src/main/java/io/libbinlog"
JNI = ROOT / "bindings/java/src/main/c/binlog_jni.c"
PY = ROOT / "bindings/python/src/binlog"

# Each error code's names by language, in the order of its number (checked
# against src/ffi/result.rs): the code's name less BINLOG_ERR_ (Java's
# ErrorCode constant), Go's constant and its String(), Python's exception
# class, its bases and the errno of one that is an OSError.
ERRORS = [
    ("INVALID_ARGUMENT", "ErrInvalidArgument", "invalid argument",
     "InvalidArgumentError", "BinlogError, ValueError", None),
    ("NULL_POINTER", "ErrNullPointer", "null pointer", "NullPointerError", "BinlogError", None),
    ("NOT_FOUND", "ErrNotFound", "not found", "NotFoundError", "BinlogError, FileNotFoundError", "ENOENT"),
    ("PERMISSION_DENIED", "ErrPermissionDenied", "permission denied",
     "PermissionDeniedError", "BinlogError, PermissionError", "EACCES"),
    ("IO", "ErrIO", "I/O error", "BinlogIOError", "BinlogError, OSError", "EIO"),
    ("NOT_A_BINLOG", "ErrNotABinlog", "not a binlog", "NotABinlogError", "CorruptionError", None),
    ("UNSUPPORTED_VERSION", "ErrUnsupportedVersion", "unsupported version",
     "UnsupportedVersionError", "CorruptionError", None),
    ("CORRUPT_HEADER", "ErrCorruptHeader", "corrupt header", "CorruptHeaderError", "CorruptionError", None),
    ("CORRUPT", "ErrCorrupt", "corrupt", "CorruptError", "CorruptionError", None),
    ("TRUNCATED", "ErrTruncated", "truncated", "TruncatedError", "CorruptionError", None),
    ("RECORD_TOO_LARGE", "ErrRecordTooLarge", "record too large",
     "RecordTooLargeError", "BinlogError, ValueError", None),
    ("LOCKED", "ErrLocked", "locked", "LockedError", "BinlogError", None),
    ("CLOSED", "ErrClosed", "closed", "ClosedError", "BinlogError, ValueError", None),
    ("DISK_FULL", "ErrDiskFull", "disk full", "DiskFullError", "BinlogIOError", "ENOSPC"),
    ("PANIC", "ErrPanic", "internal error (panic)", "PanicError", "BinlogError", None),
    ("INVALID_UTF8", "ErrInvalidUTF8", "invalid UTF-8", "InvalidUtf8Error", "BinlogError, ValueError", None),
    ("POISONED", "ErrPoisoned", "poisoned", "PoisonedError", "BinlogError", None),
    ("ALREADY_EXISTS", "ErrAlreadyExists", "already exists",
     "AlreadyExistsError", "BinlogError, FileExistsError", "EEXIST"),
    ("CORRUPT_SEAL", "ErrCorruptSeal", "corrupt seal", "CorruptSealError", "CorruptionError", None),
    ("BUFFER_TOO_SMALL", "ErrBufferTooSmall", "buffer too small", "BufferTooSmallError", "BinlogError", None),
    ("WRONG_LOG", "ErrWrongLog", "segment or bucket prefix of another log", "WrongLogError", "BinlogError", None),
    ("SEALED", "ErrSealed", "sealed segment of a log", "SealedError", "BinlogError", None),
    ("COMPRESSED_TRUNCATED", "ErrCompressedTruncated", "truncated compressed segment",
     "CompressedTruncatedError", "CorruptionError", None),
    ("CORRUPT_FRAME", "ErrCorruptFrame", "corrupt compressed frame", "CorruptFrameError", "CorruptionError", None),
    ("CORRUPT_SEEK_TABLE", "ErrCorruptSeekTable", "corrupt seek table",
     "CorruptSeekTableError", "CorruptionError", None),
    ("FRAME_SIZE_MISMATCH", "ErrFrameSizeMismatch", "compressed frame of the wrong size",
     "FrameSizeMismatchError", "CorruptionError", None),
    ("REMOTE_CONFLICT", "ErrRemoteConflict", "object in the bucket differs",
     "RemoteConflictError", "RemoteError, FileExistsError", "EEXIST"),
    ("REMOTE", "ErrRemote", "object store request failed", "RemoteRequestError", "RemoteError", None),
    ("INVALID_SCHEMA", "ErrInvalidSchema", "unusable type schema", "InvalidSchemaError", "BinlogError, ValueError", None),
    ("SCHEMA_TOO_LARGE", "ErrSchemaTooLarge", "type schemas too large for a header",
     "SchemaTooLargeError", "BinlogError, ValueError", None),
    ("UNDECODABLE", "ErrUndecodable", "payload does not decode by its schema", "UndecodableError",
     "BinlogError, ValueError", None),
    ("CORRUPT_CONSUMER", "ErrCorruptConsumer", "corrupt consumer file", "CorruptConsumerError", "BinlogError", None),
]

# What the JNI library's set_option sets, by number (Java's Options.Opt
# ordinals, binlog_jni.c's OPT_*), in the order the settings are applied:
# compression before its type copies.
JAVA_OPTIONS = [
    "LOG_NAME", "CONTENT_TYPE", "PARAM", "MAX_RECORD_SIZE", "BUFFER_SIZE", "DURABILITY", "SYNC_WAIT_SPIN_US",
    "FLUSH_DELAY_US", "FIRST_SEQ", "SEGMENT_NO", "CREATED_NS", "SPARSE_INTERVAL", "MAX_SEGMENT_BYTES",
    "MAX_SEGMENT_RECORDS", "PERIOD", "RETENTION", "RETENTION_SHIPPED", "SEAL_IN_BACKGROUND", "COMPRESSION",
    "TYPE_COPIES", "RETENTION_WAIT_FOR_CONSUMERS", "CHECKPOINT_RECORDS",
]


def rust_codes():
    """(name, description) of every result code, in number order."""
    text = (ROOT / "src/ffi/result.rs").read_text()
    table = text[text.index("codes! {"):]
    table = table[:table.index("}")]
    return re.findall(r'(BINLOG_\w+): c"((?:[^"\\]|\\.)*)"', table)


def header_enum(header, name):
    """(variant, value, doc) of enum `name` of the header."""
    body = re.search(r"enum %s\n.*?\{\n(.*?)\n\};" % name, header, re.S).group(1)
    out, doc = [], ""
    for m in re.finditer(r"/\*\n(.*?)\*/|(\w+) = (\d+),", body, re.S):
        if m.group(1) is not None:
            doc = " ".join(line.strip() for line in m.group(1).splitlines()).strip()
        else:
            out.append((m.group(2), int(m.group(3)), doc))
            doc = ""
    return out


def setters(header):
    """{setter's name: its C parameter types after the options}."""
    out = {}
    for m in re.finditer(r"binlog_result (binlog_options_(?:set|add)_\w+)\(struct binlog_options \*opts([^)]*)\)",
                         header):
        params = [p.strip() for p in m.group(2).split(",") if p.strip()]
        out[m.group(1)] = [p.rsplit(" ", 1)[0] for p in params]
    return out


def sentence(description):
    return description[0].upper() + description[1:] + "."


# What the bindings' docs of an error code say beyond the C description.
MORE = {
    "POISONED": "Also after a failed write could not be cut back to whole records: close and reopen.",
    "BUFFER_TOO_SMALL": "The message gives the bytes the next record needs; nothing was consumed.",
    "WRONG_LOG": "A log reader stops there and a log writer does not open; a shipper does not take a "
                 "bucket prefix another log claimed.",
    "SEALED": "A sealed (or ending) segment never changes again; opening the log starts the next segment.",
    "REMOTE": "It was retried first.",
}


def error_doc(suffix, description):
    """The doc of error code BINLOG_ERR_`suffix` in the bindings."""
    return " ".join(filter(None, [sentence(description), MORE.get(suffix)]))


def wrap(text, width, first, rest):
    """`text` in lines of at most `width` characters, the first starting with
    `first`, the others with `rest`."""
    lines, line = [], first
    for word in text.split():
        if line.strip() and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = rest + word
        else:
            line += ("" if line == first or line == rest else " ") + word
    return lines + [line]


def go_errors(codes):
    out = ["// Error codes, mirroring binlog_result in include/binlog.h.", "const ("]
    for (suffix, go, _, _, _, _), (_, desc) in zip(ERRORS, codes[2:]):
        out += wrap(error_doc(suffix, desc), 78, "\t// ", "\t// ")
        out.append(f"\t{go} Code = C.BINLOG_ERR_{suffix}")
    names = [("C.BINLOG_OK", "ok"), ("C.BINLOG_END", "end")] + [(e[1], e[2]) for e in ERRORS]
    width = max(len(go) for go, _ in names) + 1
    out += [")", "", "var codeNames = map[Code]string{"]
    out += [f'\t{(go + ":").ljust(width)} "{text}",' for go, text in names]
    return out + ["}", ""]


def go_enum(header, enum, prefix, go_type, go_prefix):
    """Go constants of type `go_type` for enum `enum` of the header: each
    named `go_prefix` and the enumerator less `prefix` in CamelCase, its
    header doc (if any) above it."""
    out = ["const ("]
    variants = [(name, go_prefix + "".join(w.capitalize() for w in name[len(prefix):].split("_")), doc)
                for name, _, doc in header_enum(header, enum)]
    width = max(len(go) for _, go, _ in variants)
    for name, go, doc in variants:
        if doc:
            out += wrap(doc, 78, "\t// ", "\t// ")
        out.append(f"\t{go.ljust(width) if not doc else go} {go_type} = C.{name}")
    return out + [")", ""]


def java_errors(codes):
    out = []
    for code, ((suffix, _, _, _, _, _), (_, desc)) in enumerate(zip(ERRORS, codes[2:]), 2):
        doc = error_doc(suffix, desc)
        out += ["    /** " + doc + " */"] if len(doc) < 101 else \
            ["    /**"] + wrap(doc, 116, "     * ", "     * ") + ["     */"]
        out.append(f"    {suffix}({code}),")
    return out


def java_enum(header, c_name, prefix, indent="    ", more=False):
    """The constants of a Java enum whose ordinals are the values of `c_name`
    (`more`: other constants follow them)."""
    variants = header_enum(header, c_name)
    assert [v for _, v, _ in variants] == list(range(len(variants))), c_name
    if not any(doc for _, _, doc in variants):
        return wrap(", ".join(name[len(prefix):] for name, _, _ in variants), 116, indent, indent)
    out = []
    for i, (name, _, doc) in enumerate(variants):
        doc = re.sub(r"`([^`]*)`", r"{@code \1}", doc)
        if doc:
            out += [f"{indent}/** {doc} */"] if len(indent) + len(doc) < 111 else \
                [f"{indent}/**"] + wrap(doc, 116, f"{indent} * ", f"{indent} * ") + [f"{indent} */"]
        out.append(indent + name[len(prefix):] + ("," if more or i + 1 < len(variants) else ""))
    return out


def java_options():
    return wrap(", ".join(JAVA_OPTIONS), 116, "        ", "        ")


def jni_options():
    return wrap("enum { " + ", ".join("OPT_" + o for o in JAVA_OPTIONS) + " };", 116, "", "       ")


def py_errors(codes):
    out = []
    for code, ((suffix, _, _, cls, bases, err), (_, desc)) in enumerate(zip(ERRORS, codes[2:]), 2):
        out += ["", "", f"class {cls}({bases}):"]
        out += wrap(error_doc(suffix, desc) + '"""', 76, '    """', "    ")
        out += [f"    code = {code}"]
        if err:
            out.append(f"    default_errno = errno.{err}")
    names = ["BinlogError", "CorruptionError", "RemoteError"] + [e[3] for e in ERRORS]
    out += ["", "", "__all__ = ["]
    out += wrap(" ".join(f'"{n}",' for n in names), 88, "    ", "    ")
    return out + ["]"]


def py_enum(header, c_name, prefix):
    return [f"    {name[len(prefix):]} = {value}" for name, value, _ in header_enum(header, c_name)]


def py_fields(module, dataclass):
    """The fields (annotated assignments) of dataclass `dataclass` of `module`."""
    tree = ast.parse((PY / module).read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == dataclass)
    return [s for s in cls.body if isinstance(s, ast.AnnAssign)]


def py_keywords(module, dataclass):
    """The fields of dataclass `dataclass` of `module`, as the items of the
    TypedDict of its keyword arguments."""
    return [f"    {s.target.id}: {ast.unparse(s.annotation)}" for s in py_fields(module, dataclass)]


def py_numbers(header):
    """The fields of Options set by a setter of one scalar parameter of
    their name: (field, setter)."""
    known = setters(header)
    out = []
    for s in py_fields("options.py", "Options"):
        setter = "binlog_options_set_" + s.target.id
        if len(known.get(setter, [])) == 1 and known[setter][0] in (
                "uint64_t", "int64_t", "uint32_t", "size_t", "bool"):
            out.append(f'    ("{s.target.id}", lib.{setter}),')
    return out


def py_native_lib(header):
    """binlog._native's `lib` as its stub declares it: every constant and
    function of the header (cffi's out-of-line module has exactly these),
    C integers as int, `const char *` and `const uint8_t *` as bytes or a
    C pointer (cffi passes bytes to both), other pointers as CData."""
    text = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    names = re.findall(r"^#define (BINLOG_[A-Z0-9_]+) -?\d+$", text, re.M)
    names += re.findall(r"^  (BINLOG_[A-Z0-9_]+) = ", text, re.M)
    out = [f"    {n}: int" for n in names]

    def py(c_type):
        c_type = " ".join(c_type.split())
        if c_type in ("const char *", "const uint8_t *"):
            return "CharP"
        if c_type == "void":
            return "None"
        return "bool" if c_type == "bool" else "CData" if "*" in c_type or "binlog_" in c_type else "int"

    for ret, name, params in re.findall(r"^((?:const )?\w+ \**)(binlog_\w+)\(([^)]*)\);", text, re.M):
        args = ["self"] + [f"{p.split()[-1].lstrip('*')}: {py(p[:p.rindex(p.split()[-1].lstrip('*'))])}"
                           for p in params.split(",") if p.strip() not in ("", "void")]
        ret = "int" if ret.strip() == "binlog_result" else "CData" if "*" in ret else py(ret)
        line = f"    def {name}("
        for i, arg in enumerate(args):  # lines of at most 120 characters
            piece = arg + (", " if i + 1 < len(args) else f") -> {ret}: ...")
            if len(line) + len(piece.rstrip()) > 120:
                out.append(line.rstrip())
                line = " " * 8
            line += piece
        out.append(line)
    return out


def regions():
    """{(file, region): its lines}."""
    header = (ROOT / "include/binlog.h").read_text()
    codes = rust_codes()
    names = [f"BINLOG_ERR_{e[0]}" for e in ERRORS]
    if [c for c, _ in codes] != ["BINLOG_OK", "BINLOG_END"] + names:
        sys.exit("gen_tables.py: ERRORS does not list the codes of src/ffi/result.rs in order")
    if [v for v, _, _ in header_enum(header, "binlog_result")] != [c for c, _ in codes]:
        sys.exit("gen_tables.py: include/binlog.h's binlog_result is not src/ffi/result.rs's table")
    return {
        (GO / "errors.go", "error codes"): go_errors(codes),
        (GO / "options.go", "periods"): go_enum(header, "binlog_period", "BINLOG_PERIOD_", "Period", "Period"),
        (GO / "ship.go", "lock modes"): go_enum(header, "binlog_lock_mode", "BINLOG_LOCK_", "LockMode", "Lock"),
        (GO / "verify.go", "finding kinds"):
            go_enum(header, "binlog_finding_kind", "BINLOG_FINDING_", "FindingKind", "Finding"),
        (GO / "repair.go", "segment actions"):
            go_enum(header, "binlog_repair_segment_action", "BINLOG_PLAN_", "PlanAction", "Plan"),
        (GO / "repair.go", "step kinds"):
            go_enum(header, "binlog_repair_step_kind", "BINLOG_STEP_", "RepairStepKind", "Step"),
        (JAVA / "ErrorCode.java", "error codes"): java_errors(codes),
        (JAVA / "Durability.java", "durability"): java_enum(header, "binlog_durability", "BINLOG_DURABILITY_"),
        (JAVA / "Period.java", "periods"): java_enum(header, "binlog_period", "BINLOG_PERIOD_"),
        (JAVA / "Options.java", "option selectors"): java_options(),
        (JNI, "option selectors"): jni_options(),
        (PY / "errors.py", "error classes"): py_errors(codes),
        (PY / "verify.py", "finding kinds"): py_enum(header, "binlog_finding_kind", "BINLOG_FINDING_"),
        (PY / "enums.py", "durability"): py_enum(header, "binlog_durability", "BINLOG_DURABILITY_"),
        (PY / "enums.py", "periods"): py_enum(header, "binlog_period", "BINLOG_PERIOD_"),
        (PY / "enums.py", "lock modes"): py_enum(header, "binlog_lock_mode", "BINLOG_LOCK_"),
        (PY / "enums.py", "segment events"): py_enum(header, "binlog_segment_event", "BINLOG_SEGMENT_"),
        (PY / "enums.py", "tail kinds"): py_enum(header, "binlog_tail_kind", "BINLOG_TAIL_"),
        (PY / "enums.py", "segment states"): py_enum(header, "binlog_segment_state", "BINLOG_SEGMENT_STATE_"),
        (JAVA / "Tail.java", "tail kinds"):
            java_enum(header, "binlog_tail_kind", "BINLOG_TAIL_", indent="        ", more=True),
        (JAVA / "Shipper.java", "lock modes"): java_enum(header, "binlog_lock_mode", "BINLOG_LOCK_", indent="        "),
        (JAVA / "LogSegment.java", "segment states"):
            java_enum(header, "binlog_segment_state", "BINLOG_SEGMENT_STATE_", indent="        ", more=True),
        (PY / "options.py", "option keywords"): py_keywords("options.py", "Options"),
        (PY / "shipper.py", "ship keywords"): py_keywords("shipper.py", "ShipOptions"),
        (PY / "options.py", "numeric options"): py_numbers(header),
        (PY / "_native.pyi", "lib"): py_native_lib(header),
    }


def rewrite(text, region, lines, comment):
    begin = f"{comment} BEGIN GENERATED by bindings/gen_tables.py: {region}\n"
    end = f"{comment} END GENERATED\n"
    start = text.index(begin) + len(begin)
    stop = text.index(end, start)
    stop = text.rindex("\n", 0, stop) + 1
    return text[:start] + "".join(line.rstrip() + "\n" for line in lines) + text[stop:]


def main():
    check = sys.argv[1:] == ["--check"]
    files = {}
    for (path, region), lines in regions().items():
        text = files.get(path, path.read_text())
        comment = "#" if path.suffix in (".py", ".pyi") else "//"
        files[path] = rewrite(text, region, lines, comment)
    stale = [p for p, t in files.items() if p.read_text() != t]
    if check:
        if stale:
            print("stale (run `make tables` and commit):", *[str(p.relative_to(ROOT)) for p in stale])
            sys.exit(1)
        print("the bindings' option and error tables match src/ffi and include/binlog.h")
        return
    for p in stale:
        p.write_text(files[p])
        print("wrote", p.relative_to(ROOT))


if __name__ == "__main__":
    main()
