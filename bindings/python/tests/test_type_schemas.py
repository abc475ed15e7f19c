"""Type schemas (binlog.TypeSchema): declared in a writer's options, read
back by a reader for the segment of its last record; an unusable one is
InvalidSchemaError naming its type."""

import pytest

import binlog

# A FileDescriptorSet declaring shop.Order (with a nested Line), encoded by
# hand as src/format/schema.rs's tests encode it.
DESCRIPTOR_SET = b"\x0a\x17\x12\x04shop\x22\x0f\x0a\x05Order\x1a\x06\x0a\x04Line"
SCHEMAS = [
    binlog.TypeSchema("orders", "protobuf", "protobuf", "shop.Order", DESCRIPTOR_SET),
    binlog.TypeSchema("events", "json", "jsonschema", schema=b'{"type": "object"}'),
    binlog.TypeSchema("metrics", "cbor"),
]


def test_schemas_written_are_read_back_and_a_type_without_one_has_none(tmp_path):
    path = tmp_path / "s.binlog"
    with binlog.open_writer(path, schemas=SCHEMAS) as w:
        for t in ("orders", "events", "metrics", "plain"):
            w.append(t, b"x")
    with binlog.open_reader(path) as r:
        assert len(list(r)) == 4
        assert [r.type_schema(s.type) for s in SCHEMAS] == SCHEMAS
        assert r.type_schema("plain") is None


def test_a_merged_reader_gives_the_schema_of_the_last_records_log(tmp_path):
    with binlog.open_log_writer(tmp_path, "a", schemas=SCHEMAS[1:2]) as w:
        w.append("events", b"{}")
    with binlog.open_log_writer(tmp_path, "b") as w:
        w.append("events", b"{}")
    with binlog.open_merged_reader(tmp_path) as r:
        got = [(rec.log, r.type_schema("events")) for rec in r]
    assert got == [("a", SCHEMAS[1]), ("b", None)]


@pytest.mark.parametrize("bad", [
    binlog.TypeSchema("orders", "yaml"),
    binlog.TypeSchema("orders", "protobuf", "protobuf", "shop.Refund", DESCRIPTOR_SET),
])
def test_an_unusable_schema_is_invalid_schema_error_naming_the_type(tmp_path, bad):
    with pytest.raises(binlog.InvalidSchemaError, match='"orders"'):
        binlog.open_writer(tmp_path / "s.binlog", schemas=[bad])


def test_a_schema_of_the_wrong_type_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="TypeSchema.schema must be bytes, not str"):
        binlog.TypeSchema("orders", "json", schema="{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="schemas must hold TypeSchema, not str"):
        binlog.open_writer(tmp_path / "s.binlog", schemas=["orders"])
    with binlog.open_writer(tmp_path / "t.binlog") as w:
        w.append("t", b"x")
    with binlog.open_reader(tmp_path / "t.binlog") as r, pytest.raises(TypeError, match="must be a str"):
        r.type_schema(b"t")
