"""``help(binlog)`` is a page: the package's docstring as the overview,
then the everyday entry points in full; the exception classes and the
enumerations are reachable from the package but documented in their own
modules (``help(binlog.errors)``), not repeated there with every method
they inherit from OSError or int."""

import pydoc

import binlog

# A page: the overview, the package's modules and the everyday entry
# points in full (it was 583 lines with the classes in __all__).
MOST_LINES = 80
ENTRY_POINTS = ("open_writer(", "open_log_writer(", "open_reader(", "open_log_reader(")
INTERNALS = ("lib", "ffi", "_WriterCore", "Batch", "_append_general")


def _help_text(obj):
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_help_of_the_package_is_a_page_naming_the_entry_points_and_no_internals():
    text = _help_text(binlog)
    assert len(text.splitlines()) <= MOST_LINES
    for name in ENTRY_POINTS:
        assert name in text, name
    words = set(text.replace(",", " ").replace("(", " ").replace(")", " ").split())
    for name in INTERNALS:
        assert name not in words and f"{name}." not in text, name


def test_help_of_the_writer_gives_the_signatures_of_append_and_append_batch():
    text = _help_text(binlog.Writer)
    assert "append(self, /, type_name, payload, metadata=None, timestamp_ns=None)" in text
    assert "append_batch(self, /, entries)" in text


def test_the_exception_classes_are_in_help_of_binlog_errors_not_of_the_package():
    package, errors = _help_text(binlog), _help_text(binlog.errors)
    for cls in binlog.errors.ERRORS_BY_CODE.values():
        assert f"class {cls.__name__}(" not in package
        assert f"class {cls.__name__}(" in errors
        assert getattr(binlog, cls.__name__) is cls


def test_every_name_the_overview_mentions_is_an_attribute_of_the_package():
    overview = binlog.__doc__
    for name in ("Writer", "Reader", "Record", "Options", "open_glob", "open_merged_reader",
                 "open_log_tiered_reader", "verify", "Durability", "Period", "Compression", "Tail",
                 "TailKind", "Gap", "GapReason", "Damage", "Header", "ListedSegment", "SegmentState",
                 "SegmentInfo", "SegmentEvent", "Verification", "Finding", "FindingKind",
                 "RepairAction", "ShipOptions", "LockMode", "ShipReport", "summarize", "Summary",
                 "TypeSummary", "BinlogError"):
        assert name in overview, name
        assert hasattr(binlog, name), name
