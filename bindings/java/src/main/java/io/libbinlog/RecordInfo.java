package io.libbinlog;

import java.util.Map;

/**
 * What {@link BinlogReader#nextInto} returns: a record's fields except the payload,
 * which went into the caller's buffer, or did not fit (see {@link #copied()}).
 */
public final class RecordInfo {
    private final long seq;
    private final long timestampNs;
    private final String type;
    private final Map<String, String> metadata;
    private final long offset;
    private final int payloadLength;
    private final boolean copied;

    RecordInfo(long seq, long timestampNs, String type, Map<String, String> metadata, long offset,
            int payloadLength, boolean copied) {
        this.seq = seq;
        this.timestampNs = timestampNs;
        this.type = type;
        this.metadata = metadata;
        this.offset = offset;
        this.payloadLength = payloadLength;
        this.copied = copied;
    }

    public long seq() {
        return seq;
    }

    public long timestampNs() {
        return timestampNs;
    }

    /** The type, or null when the payload was not copied. */
    public String type() {
        return type;
    }

    /** Metadata, or an empty map when the payload was not copied. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public long offset() {
        return offset;
    }

    /** Payload length in bytes (also when it did not fit). */
    public int payloadLength() {
        return payloadLength;
    }

    /**
     * True when the payload was copied into the buffer (whose position moved
     * past it). False when the buffer had too little room: nothing was
     * copied and the reader keeps the record, so the next read call returns
     * it again; retry with at least {@link #payloadLength()} bytes remaining.
     */
    public boolean copied() {
        return copied;
    }

    @Override
    public String toString() {
        return "RecordInfo{seq=" + seq + ", type=" + type + ", payloadLength=" + payloadLength + ", copied=" + copied
                + "}";
    }
}
