"""``help(binlog)`` is a short reference: the package's docstring as the
overview, then the entry points in full; the exception classes and the
enumerations are reachable from the package but documented in their own
modules (``help(binlog.errors)``), not repeated there with every method
they inherit from OSError or int."""

import pydoc

import binlog

# The reference is about 570 lines (Python 3.11); with every class in
# __all__, as before, it was 7,600.
MOST_LINES = 800
ENTRY_POINTS = ("open_writer", "open_log_writer", "open_reader", "open_log_reader",
                "open_log_tiered_reader", "open_glob", "list_segments", "verify",
                "class Writer", "class Reader", "class Options")


def _help_text(obj):
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


def test_help_of_the_package_is_short_and_names_the_entry_points():
    text = _help_text(binlog)
    assert len(text.splitlines()) < MOST_LINES
    for name in ENTRY_POINTS:
        assert name in text, name


def test_the_exception_classes_are_in_help_of_binlog_errors_not_of_the_package():
    package, errors = _help_text(binlog), _help_text(binlog.errors)
    for cls in binlog.errors.ERRORS_BY_CODE.values():
        assert f"class {cls.__name__}(" not in package
        assert f"class {cls.__name__}(" in errors
        assert getattr(binlog, cls.__name__) is cls


def test_every_name_the_overview_mentions_is_an_attribute_of_the_package():
    overview = binlog.__doc__
    for name in ("Durability", "Period", "Compression", "Tail", "TailKind", "Gap", "GapReason",
                 "Damage", "Header", "ListedSegment", "SegmentState", "SegmentInfo",
                 "SegmentEvent", "Verification", "Finding", "FindingKind", "RepairAction",
                 "ShipOptions", "ShipReport", "NotFoundError", "CorruptionError"):
        assert name in overview, name
        assert hasattr(binlog, name), name
