"""Reading every file a wildcard matches, in name order, as one stream."""

import binlog


def test_a_glob_reads_matching_files_in_name_order_and_skips_the_others(tmp_path):
    for name, first in [("b-2.binlog", 20), ("a-1.binlog", 10), ("c-3.binlog", 30), ("other.binlog", 99)]:
        with binlog.open_writer(tmp_path / name, first_seq=first) as w:
            w.append("t", name.encode())
            w.append("t", name.encode())
    with binlog.open_glob(tmp_path, "?-*.binlog") as r:
        assert [(x.seq, bytes(x.payload)) for x in r] == [
            (10, b"a-1.binlog"), (11, b"a-1.binlog"), (20, b"b-2.binlog"), (21, b"b-2.binlog"),
            (30, b"c-3.binlog"), (31, b"c-3.binlog")]
