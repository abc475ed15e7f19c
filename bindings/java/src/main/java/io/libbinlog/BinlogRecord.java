package io.libbinlog;

import java.util.Map;

/**
 * A record read by {@link BinlogReader#next()}: every field is a Java copy, so it
 * stays valid after the reader moves on or is closed.
 *
 * @param seq sequence number (gap-free within a log)
 * @param timestampNs nanoseconds since the Unix epoch
 * @param type the record's type
 * @param payload the payload: this record's own array (not copied again; do not share it if you modify it)
 * @param metadata metadata in write order, unmodifiable (a repeated key keeps its last value)
 * @param offset file offset of the record in its segment
 */
public record BinlogRecord(long seq, long timestampNs, String type, byte[] payload, Map<String, String> metadata,
        long offset) {
    @Override
    public String toString() {
        return "BinlogRecord{seq=" + seq + ", ts=" + timestampNs + ", type=" + type + ", payload=" + payload.length
                + " bytes, metadata=" + metadata + "}";
    }
}
