package io.libbinlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Records read many at a time by {@link Reader#nextBatch(RecordBatch)}
 * ({@code binlog_reader_next_batch}): one JNI crossing copies the next
 * records' types, payloads and metadata into this batch's direct data
 * buffer and describes each in its descriptor buffer (48 bytes a record,
 * {@code binlog_batch_record}). The accessors read those buffers in place:
 * {@link #seq}, {@link #timestampNs}, {@link #offset},
 * {@link #payloadLength}, {@link #payloadOffset}, {@link #metadataCount}
 * and {@link #type} (cached: a type name seen before returns the same
 * {@code String}) allocate nothing, so a loop over a batch costs no
 * garbage per record beyond what it asks for ({@link #payload(int)} makes
 * one slice object, {@link #metadata(int)} a map).
 *
 * <p>Unlike {@link RecordView}, the data is a copy in memory this batch
 * owns: it stays valid after the reader moves on or closes, and a payload
 * slice can never crash the JVM. It is overwritten by the next
 * {@code nextBatch} into this batch, so a slice kept past that shows the
 * new bytes; copy what you keep. After a {@code nextBatch} that throws,
 * the batch is empty ({@link #count()} is 0).
 *
 * <p>Sizes: a batch holds at most {@link #maxRecords()} records and
 * {@link #bufferBytes()} bytes of data. A record takes its type, payload,
 * keys and values plus 16 bytes per metadata entry (and up to 3 bytes of
 * alignment). A record that does not fit after others is kept by the
 * reader and comes first in the next call; if not even the first record
 * fits, {@code nextBatch} throws {@link BinlogException} with
 * {@link ErrorCode#BUFFER_TOO_SMALL} (its message gives the bytes needed)
 * and consumes nothing: read it with a larger batch, or with
 * {@link Reader#next()}.
 *
 * <p>Not thread-safe: fill and read a batch from one thread at a time.
 */
public final class RecordBatch {
    /** Size of one record descriptor ({@code sizeof(binlog_batch_record)}). */
    public static final int DESCRIPTOR_BYTES = 48;
    /** Size of one metadata entry in the data buffer ({@code sizeof(binlog_batch_meta)}). */
    public static final int META_ENTRY_BYTES = 16;

    // Field offsets in binlog_batch_record (checked by a static assertion in binlog_jni.c).
    private static final int SEQ = 0;
    private static final int TIMESTAMP = 8;
    private static final int OFFSET = 16;
    private static final int TYPE_OFF = 24;
    private static final int TYPE_LEN = 28;
    private static final int PAYLOAD_OFF = 32;
    private static final int PAYLOAD_LEN = 36;
    private static final int META_OFF = 40;
    private static final int META_COUNT = 44;

    /** Type names longer than this are decoded on every call instead of cached. */
    private static final int TYPE_CACHE_MAX_LEN = 256;
    /** Slots of the type cache (a power of two); it is cleared when half full. */
    private static final int TYPE_CACHE_SLOTS = 128;

    /** Filled by C; capacity = bufferBytes. */
    private final ByteBuffer data;
    /** Filled by C; 8-byte aligned, capacity = maxRecords * 48. */
    private final ByteBuffer descriptors;
    /** Read-only native-order view of {@link #data}, for the accessors and slices. */
    private final ByteBuffer view;
    private final int maxRecords;
    private int count;

    /** Types resolved for this fill, per index (null: not yet). */
    private final String[] types;
    /** The type cache, across fills: open addressing on the UTF-8 bytes. */
    private final byte[][] cacheBytes = new byte[TYPE_CACHE_SLOTS][];
    private final String[] cacheStrings = new String[TYPE_CACHE_SLOTS];
    private int cacheSize;

    /**
     * A batch of up to {@code maxRecords} records and {@code bufferBytes}
     * bytes of data (two direct buffers, allocated once here).
     *
     * @throws IllegalArgumentException if {@code bufferBytes < 0},
     *         {@code maxRecords < 1}, or either buffer would exceed 2 GiB
     */
    public RecordBatch(int bufferBytes, int maxRecords) {
        if (bufferBytes < 0 || bufferBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bufferBytes out of range: " + bufferBytes);
        }
        if (maxRecords < 1 || maxRecords > (Integer.MAX_VALUE - 8) / DESCRIPTOR_BYTES) {
            throw new IllegalArgumentException("maxRecords out of range: " + maxRecords);
        }
        this.maxRecords = maxRecords;
        this.data = ByteBuffer.allocateDirect(bufferBytes).order(ByteOrder.nativeOrder());
        // binlog_batch_record has 8-byte fields: C needs the array 8-byte aligned.
        int descBytes = maxRecords * DESCRIPTOR_BYTES;
        this.descriptors = ByteBuffer.allocateDirect(descBytes + 7).alignedSlice(8).limit(descBytes)
                .slice().order(ByteOrder.nativeOrder());
        this.view = data.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        this.types = new String[maxRecords];
    }

    /** Most records one fill returns. */
    public int maxRecords() {
        return maxRecords;
    }

    /** Size of the data buffer. */
    public int bufferBytes() {
        return data.capacity();
    }

    /** How many records the last {@code nextBatch} returned (0 at END, or after a failure). */
    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    // ------------------------------------------------------- for Reader

    ByteBuffer dataBuffer() {
        return data;
    }

    ByteBuffer descriptorBuffer() {
        return descriptors;
    }

    /** Before a fill: nothing valid until {@link #filled}. */
    void reset() {
        Arrays.fill(types, 0, count, null);
        count = 0;
    }

    void filled(int n) {
        if (n < 0 || n > maxRecords) {
            throw new IllegalStateException("native batch returned " + n + " records");
        }
        count = n;
    }

    // ------------------------------------------------------- accessors

    private int at(int i) {
        return Objects.checkIndex(i, count) * DESCRIPTOR_BYTES;
    }

    /** Sequence number of record {@code i}. */
    public long seq(int i) {
        return descriptors.getLong(at(i) + SEQ);
    }

    /** Timestamp of record {@code i}, nanoseconds since the Unix epoch. */
    public long timestampNs(int i) {
        return descriptors.getLong(at(i) + TIMESTAMP);
    }

    /** File offset of record {@code i} in its segment. */
    public long offset(int i) {
        return descriptors.getLong(at(i) + OFFSET);
    }

    /**
     * Type of record {@code i}. Decoded once per batch index and cached
     * across fills by its bytes, so repeated types return the same String
     * without allocating.
     */
    public String type(int i) {
        int d = at(i);
        String t = types[i];
        if (t != null) {
            return t;
        }
        int off = descriptors.getInt(d + TYPE_OFF);
        int len = descriptors.getInt(d + TYPE_LEN);
        // Runs of one type are common: try the previous record's first.
        if (i > 0 && types[i - 1] != null) {
            int pd = d - DESCRIPTOR_BYTES;
            if (descriptors.getInt(pd + TYPE_LEN) == len
                    && sameBytes(descriptors.getInt(pd + TYPE_OFF), off, len)) {
                return types[i] = types[i - 1];
            }
        }
        return types[i] = cachedType(off, len);
    }

    private boolean sameBytes(int a, int b, int len) {
        for (int k = 0; k < len; k++) {
            if (view.get(a + k) != view.get(b + k)) {
                return false;
            }
        }
        return true;
    }

    private String cachedType(int off, int len) {
        if (len > TYPE_CACHE_MAX_LEN) {
            return decode(off, len);
        }
        int h = len;
        for (int k = 0; k < len; k++) {
            h = 31 * h + view.get(off + k);
        }
        h ^= h >>> 16;
        int mask = TYPE_CACHE_SLOTS - 1;
        for (int slot = h & mask;; slot = (slot + 1) & mask) {
            byte[] b = cacheBytes[slot];
            if (b == null) {
                break;
            }
            if (b.length == len && matches(b, off)) {
                return cacheStrings[slot];
            }
        }
        byte[] bytes = new byte[len];
        view.get(off, bytes);
        String s = new String(bytes, StandardCharsets.UTF_8);
        if (cacheSize >= TYPE_CACHE_SLOTS / 2) {
            Arrays.fill(cacheBytes, null);
            Arrays.fill(cacheStrings, null);
            cacheSize = 0;
        }
        int slot = h & mask;
        while (cacheBytes[slot] != null) {
            slot = (slot + 1) & mask;
        }
        cacheBytes[slot] = bytes;
        cacheStrings[slot] = s;
        cacheSize++;
        return s;
    }

    private boolean matches(byte[] b, int off) {
        for (int k = 0; k < b.length; k++) {
            if (b[k] != view.get(off + k)) {
                return false;
            }
        }
        return true;
    }

    private String decode(int off, int len) {
        byte[] b = new byte[len];
        view.get(off, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Payload length of record {@code i} in bytes. */
    public int payloadLength(int i) {
        return descriptors.getInt(at(i) + PAYLOAD_LEN);
    }

    /** Where record {@code i}'s payload starts in {@link #data()}. */
    public int payloadOffset(int i) {
        return descriptors.getInt(at(i) + PAYLOAD_OFF);
    }

    /**
     * Record {@code i}'s payload: a new read-only slice of the batch's
     * direct data buffer (no copy; position 0, big-endian like any new
     * buffer). Overwritten by the next fill of this batch.
     */
    public ByteBuffer payload(int i) {
        int d = at(i);
        return view.slice(descriptors.getInt(d + PAYLOAD_OFF), descriptors.getInt(d + PAYLOAD_LEN));
    }

    /** Copies record {@code i}'s payload into a new array. */
    public byte[] payloadBytes(int i) {
        byte[] b = new byte[payloadLength(i)];
        copyPayload(i, b, 0);
        return b;
    }

    /** Copies record {@code i}'s payload into {@code dst} at {@code dstOff}; returns its length. */
    public int copyPayload(int i, byte[] dst, int dstOff) {
        int d = at(i);
        int len = descriptors.getInt(d + PAYLOAD_LEN);
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        view.get(descriptors.getInt(d + PAYLOAD_OFF), dst, dstOff, len);
        return len;
    }

    /**
     * A read-only view of the whole data buffer, in native byte order. It is
     * the same memory for the batch's whole life (each fill overwrites it),
     * so take it once and keep it: with {@link #payloadOffset} and
     * {@link #payloadLength}, absolute gets read payload bytes without
     * allocating anything per record.
     */
    public ByteBuffer data() {
        return view.duplicate().order(ByteOrder.nativeOrder());
    }

    /** Number of metadata entries of record {@code i}. */
    public int metadataCount(int i) {
        return descriptors.getInt(at(i) + META_COUNT);
    }

    private int metaEntry(int i, int j) {
        int d = at(i);
        Objects.checkIndex(j, descriptors.getInt(d + META_COUNT));
        return descriptors.getInt(d + META_OFF) + j * META_ENTRY_BYTES;
    }

    /** Key of metadata entry {@code j} of record {@code i} (write order). */
    public String metadataKey(int i, int j) {
        int e = metaEntry(i, j);
        return decode(view.getInt(e), view.getInt(e + 4));
    }

    /** Value of metadata entry {@code j} of record {@code i} (write order). */
    public String metadataValue(int i, int j) {
        int e = metaEntry(i, j);
        return decode(view.getInt(e + 8), view.getInt(e + 12));
    }

    /**
     * Record {@code i}'s metadata as {@link Record#metadata()} gives it: in
     * write order, unmodifiable, a repeated key keeping its last value.
     */
    public Map<String, String> metadata(int i) {
        int n = metadataCount(i);
        if (n == 0) {
            return Collections.emptyMap();
        }
        Map<String, String> m = new LinkedHashMap<>(n * 2);
        for (int j = 0; j < n; j++) {
            m.put(metadataKey(i, j), metadataValue(i, j));
        }
        return Collections.unmodifiableMap(m);
    }

    /** Record {@code i} as a {@link Record}: every field copied, valid forever. */
    public Record record(int i) {
        return new Record(seq(i), timestampNs(i), type(i), payloadBytes(i), metadata(i), offset(i));
    }

    @Override
    public String toString() {
        return "RecordBatch{count=" + count + ", maxRecords=" + maxRecords + ", bufferBytes=" + bufferBytes() + "}";
    }
}
