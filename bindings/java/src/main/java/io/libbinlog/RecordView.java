package io.libbinlog;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A record seen by a {@link RecordVisitor}, valid only during the visit.
 * {@link #payload()} is a read-only direct buffer over the library's
 * mapping of the segment (no copy; kept mapped while the buffer is
 * reachable), or over the reader's copy of the record (a compressed or
 * unsealed segment's). Each visit gets its own view; its accessors throw
 * {@link IllegalStateException} once that visit returns (also during a later
 * visit, so a view kept by mistake never shows another record).
 *
 * <p><b>Do not keep the payload buffer</b> (or a slice or duplicate of it)
 * past the visit: a copy is overwritten by the next read. Copy what you need.
 */
public final class RecordView {
    private long seq;
    private long timestampNs;
    private String type;
    private ByteBuffer payload;
    private Map<String, String> metadata;
    private long offset;
    private boolean valid;

    RecordView() {
    }

    void set(long seq, long timestampNs, String type, ByteBuffer payload, Map<String, String> metadata, long offset) {
        this.seq = seq;
        this.timestampNs = timestampNs;
        this.type = type;
        this.payload = payload;
        this.metadata = metadata;
        this.offset = offset;
        this.valid = true;
    }

    void invalidate() {
        valid = false;
        payload = null;
        metadata = null;
        type = null;
    }

    private void check() {
        if (!valid) {
            throw new IllegalStateException("RecordView used outside its visit");
        }
    }

    public long seq() {
        check();
        return seq;
    }

    public long timestampNs() {
        check();
        return timestampNs;
    }

    public String type() {
        check();
        return type;
    }

    /** Read-only direct buffer over the payload in the reader's mapping (or copy); valid only during the visit. */
    public ByteBuffer payload() {
        check();
        return payload;
    }

    public Map<String, String> metadata() {
        check();
        return metadata;
    }

    public long offset() {
        check();
        return offset;
    }

    /** Copies the payload into a new array. */
    public byte[] payloadBytes() {
        check();
        byte[] b = new byte[payload.remaining()];
        payload.duplicate().get(b);
        return b;
    }
}
