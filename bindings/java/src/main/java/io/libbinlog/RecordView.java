package io.libbinlog;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A record seen by a {@link RecordVisitor}, valid only during the visit. {@link #payload()} is a read-only direct
 * buffer over the library's mapping of the segment (no copy; kept mapped while the buffer is reachable), or over
 * the reader's copy of the record (a compressed or unsealed segment's). Each visit gets its own view; its accessors
 * throw {@link IllegalStateException} once that visit returns (also during a later visit, so a view kept by mistake
 * never shows another record).
 *
 * <p><b>Do not keep the payload buffer</b> (or a slice or duplicate of it)
 * past the visit: a copy is overwritten by the next read. Copy what you need.
 */
public final class RecordView {
    private record Fields(long seq, long timestampNs, String type, ByteBuffer payload, Map<String, String> metadata,
            long offset) {}

    /** The record's fields during the visit; null once it returned. */
    private Fields fields;

    RecordView(long seq, long timestampNs, String type, ByteBuffer payload, Map<String, String> metadata, long offset) {
        fields = new Fields(seq, timestampNs, type, payload, metadata, offset);
    }

    void invalidate() {
        fields = null;
    }

    private Fields live() {
        if (fields == null) {
            throw new IllegalStateException("RecordView used outside its visit");
        }
        return fields;
    }

    public long seq() {
        return live().seq();
    }

    public long timestampNs() {
        return live().timestampNs();
    }

    public String type() {
        return live().type();
    }

    /** Read-only direct buffer over the payload in the reader's mapping (or copy); valid only during the visit. */
    public ByteBuffer payload() {
        return live().payload();
    }

    public Map<String, String> metadata() {
        return live().metadata();
    }

    public long offset() {
        return live().offset();
    }

    /** Copies the payload into a new array. */
    public byte[] payloadBytes() {
        ByteBuffer p = live().payload();
        byte[] b = new byte[p.remaining()];
        p.duplicate().get(b);
        return b;
    }
}
