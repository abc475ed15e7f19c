package io.libbinlog;

import java.util.Map;

/**
 * A record read by {@link BinlogReader#next()}: every field is a Java copy, so it
 * stays valid after the reader moves on or is closed.
 */
public final class BinlogRecord {
    private final long seq;
    private final long timestampNs;
    private final String type;
    private final byte[] payload;
    private final Map<String, String> metadata;
    private final long offset;

    BinlogRecord(long seq, long timestampNs, String type, byte[] payload, Map<String, String> metadata, long offset) {
        this.seq = seq;
        this.timestampNs = timestampNs;
        this.type = type;
        this.payload = payload;
        this.metadata = metadata;
        this.offset = offset;
    }

    /** Sequence number (gap-free within a log). */
    public long seq() {
        return seq;
    }

    /** Nanoseconds since the Unix epoch. */
    public long timestampNs() {
        return timestampNs;
    }

    public String type() {
        return type;
    }

    /** The payload: this record's own array (not copied again; do not share it if you modify it). */
    public byte[] payload() {
        return payload;
    }

    /** Metadata in write order, unmodifiable (a repeated key keeps its last value). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** File offset of the record in its segment. */
    public long offset() {
        return offset;
    }

    @Override
    public String toString() {
        return "BinlogRecord{seq=" + seq + ", ts=" + timestampNs + ", type=" + type + ", payload=" + payload.length
                + " bytes, metadata=" + metadata + "}";
    }
}
