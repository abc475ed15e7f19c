package io.libbinlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The record a {@link MappedReader} returned last: one object per reader,
 * refilled by each {@link MappedReader#next()}, so copy what you keep.
 *
 * <p>The payload lies in {@link #data()} at {@link #payloadOffset()} for
 * {@link #payloadLength()} bytes: a read-only buffer over the reader's
 * mapping of the segment (a record the native reader delivered instead lies
 * in a heap copy). Read it with absolute gets, or take {@link #payload()}
 * (one read-only slice). Unlike {@link RecordView}, these buffers are safe to
 * keep: a Java mapping is unmapped only when no buffer refers to it any more,
 * so they never crash the JVM; the bytes stay those of the record until the
 * file is rewritten under them (a segment's records never are by a writer).
 */
public final class MappedRecord {
    private long seq;
    private long timestampNs;
    private long offset;
    private String type;
    private ByteBuffer data;
    private int payloadOffset;
    private int payloadLength;
    // Where the encoded metadata lies in data (count then pairs), or metaCount = 0.
    private int metaOffset;
    private int metaCount;
    // A record the native reader delivered: its metadata as it gave it, else null.
    private Map<String, String> nativeMetadata;

    MappedRecord() {
    }

    void setMapped(long seq, long timestampNs, long offset, String type, ByteBuffer data, int payloadOffset,
            int payloadLength, int metaOffset, int metaCount) {
        this.seq = seq;
        this.timestampNs = timestampNs;
        this.offset = offset;
        this.type = type;
        this.data = data;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
        this.metaOffset = metaOffset;
        this.metaCount = metaCount;
        this.nativeMetadata = null;
    }

    void setNative(Record r) {
        setMapped(r.seq(), r.timestampNs(), r.offset(), r.type(), ByteBuffer.wrap(r.payload()).asReadOnlyBuffer(),
                0, r.payload().length, 0, 0);
        this.nativeMetadata = r.metadata();
    }

    public long seq() {
        return seq;
    }

    public long timestampNs() {
        return timestampNs;
    }

    /** The offset of the record's frame in the segment file. */
    public long offset() {
        return offset;
    }

    /** The type name (one String per type and segment: no allocation per record). */
    public String type() {
        return type;
    }

    /**
     * The buffer holding the payload: read-only, shared by the records of one
     * mapping window or copy (read it with absolute gets; its position, limit
     * and byte order are the caller's, and the reader never uses them).
     */
    public ByteBuffer data() {
        return data;
    }

    /** Where the payload starts in {@link #data()}. */
    public int payloadOffset() {
        return payloadOffset;
    }

    public int payloadLength() {
        return payloadLength;
    }

    /** A read-only slice of exactly the payload (allocates the slice, copies nothing). */
    public ByteBuffer payload() {
        return data.slice(payloadOffset, payloadLength);
    }

    /** Copies the payload into {@code dst} at {@code off}. */
    public void copyPayload(byte[] dst, int off) {
        data.get(payloadOffset, dst, off, payloadLength);
    }

    /** The payload copied into a new array. */
    public byte[] payloadBytes() {
        byte[] b = new byte[payloadLength];
        copyPayload(b, 0);
        return b;
    }

    /**
     * The metadata as {@link Record#metadata()} gives it: unmodifiable, write
     * order, a key written twice keeps its last value (decoded on each call).
     */
    public Map<String, String> metadata() {
        if (nativeMetadata != null) {
            return nativeMetadata;
        }
        if (metaCount == 0) {
            return Collections.emptyMap();
        }
        Map<String, String> m = new LinkedHashMap<>();
        int[] at = {metaOffset};
        for (int i = 0; i < metaCount; i++) {
            String k = string(at);
            m.put(k, string(at));
        }
        return Collections.unmodifiableMap(m);
    }

    // Reads a varint-prefixed string at at[0] (checked UTF-8 by the parser) and moves past it.
    private String string(int[] at) {
        long len = Varint.read(data, at, data.limit());
        byte[] b = new byte[(int) len];
        data.get(at[0], b);
        at[0] += (int) len;
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The record as a {@link Record} (copies). */
    public Record record() {
        return new Record(seq, timestampNs, type, payloadBytes(), metadata(), offset);
    }
}
