package io.libbinlog;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A record seen by a {@link RecordVisitor}, valid only during the visit: the record at one index of the batch the
 * reader read ahead, read from it in place (as {@link RecordBatch}'s accessors read it). {@link #payload()} is a
 * read-only direct buffer over the library's mapping of the segment (no copy; kept mapped while the buffer is
 * reachable), or over the reader's copy of the record (a compressed or unsealed segment's). Each visit gets its own
 * view; its accessors throw {@link IllegalStateException} once that visit returns (also during a later visit, so a
 * view kept by mistake never shows another record).
 *
 * <p><b>Do not keep the payload buffer</b> (or a slice or duplicate of it), nor {@link #payloadBuffer()}, past the
 * visit: a copy is overwritten by the next read, and the shared buffer shows other records. Copy what you need.
 */
public final class RecordView {
    /** The reader's batch the record is in, at {@link #i}; null once the visit returned (BinlogReader sets it). */
    RecordBatch batch;
    private final int i;

    RecordView(RecordBatch batch, int i) {
        this.batch = batch;
        this.i = i;
    }

    private RecordBatch live() {
        if (batch == null) {
            throw new IllegalStateException("RecordView used outside its visit");
        }
        return batch;
    }

    public long seq() {
        return live().seq(i);
    }

    public long timestampNs() {
        return live().timestampNs(i);
    }

    public String type() {
        return live().type(i);
    }

    /**
     * A new read-only direct slice of the payload in the reader's mapping (or copy), position 0, big-endian like any
     * new buffer (as {@link RecordBatch#payload}); valid only during the visit. To see the payload with nothing
     * allocated, read {@link #payloadBuffer()} at {@link #payloadOffset()}.
     */
    public ByteBuffer payload() {
        return live().payload(i);
    }

    /**
     * The read-only buffer (native byte order) the payload is in, at {@link #payloadOffset()}, {@link
     * #payloadLength()} bytes long ({@link RecordBatch#payloadBuffer}): shared by the records of a batch, so nothing is
     * allocated a record. Read it with absolute gets, never move it; valid only during the visit.
     */
    public ByteBuffer payloadBuffer() {
        return live().payloadBuffer(i);
    }

    /** Where the payload starts in {@link #payloadBuffer()}. */
    public int payloadOffset() {
        return live().payloadOffset(i);
    }

    /** The payload's length in bytes. */
    public int payloadLength() {
        return live().payloadLength(i);
    }

    public Map<String, String> metadata() {
        return live().metadata(i);
    }

    public long offset() {
        return live().offset(i);
    }

    /** Copies the payload into a new array. */
    public byte[] payloadBytes() {
        return live().payloadBytes(i);
    }
}
