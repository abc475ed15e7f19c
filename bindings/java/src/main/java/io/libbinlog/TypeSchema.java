package io.libbinlog;

import java.util.Arrays;
import java.util.Objects;

/**
 * A type's schema (docs/FORMAT.md, "Type schemas"), recorded in new segments' headers ({@link Options.Builder#schema})
 * and read back by {@link BinlogReader#typeSchema}: {@code encoding} is how payloads of type {@code type} are encoded
 * ({@code protobuf}, {@code flatbuffer}, {@code json}, {@code cbor}, {@code msgpack}), {@code schemaEncoding} what
 * {@code schema} holds ({@code protobuf}: a serialized FileDescriptorSet; {@code flatbuffer}: a .bfbs; {@code
 * jsonschema}; or empty for none), {@code schemaName} the message (a protobuf message's full name). Immutable: the
 * schema's bytes are copied in and out; equal when every field is.
 */
public record TypeSchema(String type, String encoding, String schemaEncoding, String schemaName, byte[] schema) {
    public TypeSchema {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(encoding, "encoding");
        Objects.requireNonNull(schemaEncoding, "schemaEncoding");
        Objects.requireNonNull(schemaName, "schemaName");
        schema = Objects.requireNonNull(schema, "schema").clone();
    }

    /** Payloads of {@code type} in {@code encoding}, with no schema document. */
    public TypeSchema(String type, String encoding) {
        this(type, encoding, "", "", new byte[0]);
    }

    @Override
    public byte[] schema() {
        return schema.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TypeSchema t && type.equals(t.type) && encoding.equals(t.encoding)
                && schemaEncoding.equals(t.schemaEncoding) && schemaName.equals(t.schemaName)
                && Arrays.equals(schema, t.schema);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, encoding, schemaEncoding, schemaName, Arrays.hashCode(schema));
    }

    @Override
    public String toString() {
        return "TypeSchema{" + type + ": " + encoding + ", " + schemaEncoding + " " + schemaName + " (" + schema.length
                + " bytes)}";
    }
}
