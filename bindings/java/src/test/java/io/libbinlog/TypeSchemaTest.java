package io.libbinlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Type schemas: Options.Builder.schema, BinlogReader.typeSchema and BinlogMergedReader.typeSchema. */
class TypeSchemaTest {
    @TempDir
    Path dir;

    /** A FileDescriptorSet declaring shop.Order (with a nested Line), encoded by hand as src/format/schema.rs's. */
    static final byte[] DESCRIPTOR_SET = "\n\u0017\u0012\u0004shop\"\u000f\n\u0005Order\u001a\u0006\n\u0004Line"
            .getBytes(UTF_8);
    static final List<TypeSchema> SCHEMAS = List.of(
            new TypeSchema("orders", "protobuf", "protobuf", "shop.Order", DESCRIPTOR_SET),
            new TypeSchema("events", "json", "jsonschema", "", "{\"type\": \"object\"}".getBytes(UTF_8)),
            new TypeSchema("metrics", "cbor"));

    @Test
    void schemasWrittenAreReadBackAndATypeWithoutOneHasNone() throws Exception {
        Path file = dir.resolve("s.binlog");
        Options.Builder b = Options.builder();
        SCHEMAS.forEach(b::schema);
        try (BinlogWriter w = BinlogWriter.openSegment(file, b.build())) {
            for (String t : List.of("orders", "events", "metrics", "plain")) {
                w.write(t, "x".getBytes(UTF_8));
            }
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            while (r.next() != null) {
                // to the end: each record is described by its own segment's header
            }
            for (TypeSchema s : SCHEMAS) {
                assertEquals(Optional.of(s), r.typeSchema(s.type()));
            }
            assertEquals(Optional.empty(), r.typeSchema("plain"));
        }
    }

    @Test
    void aMergedReaderGivesTheSchemaOfTheLastRecordsLog() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "a", Options.builder().schema(SCHEMAS.get(1)).build())) {
            w.write("events", "{}".getBytes(UTF_8));
        }
        try (BinlogWriter w = BinlogWriter.openLog(dir, "b")) {
            w.write("events", "{}".getBytes(UTF_8));
        }
        try (BinlogMergedReader r = BinlogMergedReader.open(dir, null, "*")) {
            assertEquals("a", r.next().log());
            assertEquals(Optional.of(SCHEMAS.get(1)), r.typeSchema("events"));
            assertEquals("b", r.next().log());
            assertEquals(Optional.empty(), r.typeSchema("events"));
        }
    }

    /** The library's refusal of a schema is its checked BinlogException, from build() as from an open. */
    @Test
    void anUnusableSchemaFailsTheBuildWithInvalidSchemaNamingTheType() {
        for (TypeSchema bad : List.of(new TypeSchema("orders", "yaml"),
                new TypeSchema("orders", "protobuf", "protobuf", "shop.Refund", DESCRIPTOR_SET))) {
            BinlogException e = TestSupport.expect(ErrorCode.INVALID_SCHEMA,
                    () -> Options.builder().schema(bad).build());
            assertTrue(e.getMessage().contains("\"orders\""), e.getMessage());
        }
        TestSupport.expect(ErrorCode.SCHEMA_TOO_LARGE,
                () -> Options.builder().schema(new TypeSchema("x".repeat(70_000), "json")).build());
    }

    @Test
    void aMissingFieldIsANullPointerExceptionNamingIt() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new TypeSchema("orders", "json", "", "", null));
        assertEquals("schema", e.getMessage());
    }
}
