package io.libbinlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Records read many at a time by {@link BinlogReader#nextBatch(RecordBatch)} ({@code binlog_reader_next_mapped}): in
 * one JNI crossing the library reads and checks the next records and describes each in this batch's descriptor buffer
 * (56 bytes a record, {@code binlog_mapped_record}): a payload the library reads from its mapping of the segment is
 * left there (no copy: {@link #payload(int)} is a slice of a read-only direct buffer over the mapping); other payloads
 * (a compressed segment's, a record kept back) and every type name and metadata entry are copied into the batch's data
 * buffer. The accessors read those buffers in place: {@link #seq}, {@link #timestampNs}, {@link #offset}, {@link
 * #payloadLength}, {@link #payloadOffset}, {@link #metadataCount} and {@link #type} (cached: a type name seen before
 * returns the same {@code String}) allocate nothing, so a loop over a batch costs no garbage per record beyond what it
 * asks for ({@link #payload(int)} makes one slice object, {@link #metadata(int)} a map).
 *
 * <p>Payloads stay valid: a buffer over the mapping keeps that mapping mapped until the buffer and every slice of it
 * are unreachable (a {@code Cleaner} then releases it), whatever the reader does meanwhile, so a slice never crashes
 * the JVM, after the reader moves on or closes too. The data buffer is overwritten by the next {@code nextBatch} into
 * this batch, so a copied payload's slice kept past that shows the new bytes; copy what you keep. After a {@code
 * nextBatch} that throws, the batch is empty ({@link #count()} is 0).
 *
 * <p>Sizes: a batch holds at most {@link #maxRecords()} records and {@link #bufferBytes()} bytes of data. A record
 * takes its type, keys and values, its payload if copied, plus 16 bytes per metadata entry (and up to 3 bytes of
 * alignment). A record that does not fit after others is kept by the reader and comes first in the next call; if not
 * even the first record fits, {@code nextBatch} throws {@link BinlogException} with {@link ErrorCode#BUFFER_TOO_SMALL}
 * (its message gives the bytes needed) and consumes nothing: read it with a larger batch, or with {@link
 * BinlogReader#next()}.
 *
 * <p>Not thread-safe: fill and read a batch from one thread at a time.
 */
public final class RecordBatch {
    /** Size of one record descriptor ({@code sizeof(binlog_mapped_record)}). */
    public static final int DESCRIPTOR_BYTES = 56;
    /** Size of one metadata entry in the data buffer ({@code sizeof(binlog_batch_meta)}). */
    public static final int META_ENTRY_BYTES = 16;

    // Field offsets in binlog_mapped_record (checked by static assertions in binlog_jni.c).
    private static final int SEQ = 0, TIMESTAMP = 8, OFFSET = 16, PAYLOAD_OFF = 24, PAYLOAD_LEN = 32, MAPPED = 36,
            TYPE_OFF = 40, TYPE_LEN = 44, META_OFF = 48, META_COUNT = 52;

    /** Type names longer than this are decoded on every call instead of cached. */
    private static final int TYPE_CACHE_MAX_LEN = 256;
    /** Entries of the type cache (a power of two); past that many types, new ones replace old ones in turn. */
    private static final int TYPE_CACHE_SLOTS = 64;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** Filled by C (BinlogReader passes them); capacity = bufferBytes. */
    final ByteBuffer data;
    /** Filled by C; 8-byte aligned: maxRecords descriptors, then the mapping's address and length. */
    final ByteBuffer descriptors;
    /** Read-only native-order view of {@link #data}, for the accessors and slices. */
    private final ByteBuffer view;
    private final int maxRecords;
    private int count;

    /** Read-only view of the part of a mapping at address {@link #mapAddr} (null: none yet). */
    private ByteBuffer map;
    /** The part {@link #map} covers, and the address of the mapping this fill's mapped payloads are in (0: none). */
    private long mapAddr, mapEnd, base;

    /** Types resolved for this fill, per index (null: not yet). */
    private final String[] types;
    /** The type cache, across fills: UTF-8 bytes (null: free) and their String; the next entry to replace. */
    private final byte[][] cacheBytes = new byte[TYPE_CACHE_SLOTS][];
    private final String[] cacheStrings = new String[TYPE_CACHE_SLOTS];
    private int cacheNext;

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
        if (maxRecords < 1 || maxRecords > (Integer.MAX_VALUE - 32) / DESCRIPTOR_BYTES) {
            throw new IllegalArgumentException("maxRecords out of range: " + maxRecords);
        }
        this.maxRecords = maxRecords;
        this.data = ByteBuffer.allocateDirect(bufferBytes).order(ByteOrder.nativeOrder());
        // binlog_mapped_record has 8-byte fields: C needs the array 8-byte aligned.
        int descBytes = maxRecords * DESCRIPTOR_BYTES + 16;
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

    // ------------------------------------------------------- for BinlogReader

    /** Before a fill: nothing valid until {@link #filled}. */
    void reset() {
        Arrays.fill(types, 0, count, null);
        count = 0;
    }

    /** A buffer over {@code len} bytes of the last fill's mapping at {@code addr}. */
    interface Mapper {
        ByteBuffer map(long addr, long len) throws IOException;
    }

    /**
     * After a fill of {@code n} records: makes {@link #map} cover their mapped payloads, with a new buffer from
     * {@code mapper} unless the one it has already does (a mapping stays mapped while a buffer over it lives, so no
     * other mapping can be at those addresses).
     */
    void filled(int n, Mapper mapper) throws IOException {
        if (n < 0 || n > maxRecords) {
            throw new IllegalStateException("native batch returned " + n + " records");
        }
        count = n;
        base = n == 0 ? 0 : descriptors.getLong(maxRecords * DESCRIPTOR_BYTES);
        long len = descriptors.getLong(maxRecords * DESCRIPTOR_BYTES + 8);
        if (base == 0 || (map != null && mapAddr <= base && base + len <= mapEnd)) {
            return;
        }
        long lo = 0, hi = len;
        if (len > Integer.MAX_VALUE) { // a buffer holds 2 GiB: the part this fill's payloads are in
            lo = Long.MAX_VALUE;
            hi = 0;
            for (int i = 0; i < n; i++) {
                int d = i * DESCRIPTOR_BYTES;
                if (descriptors.getInt(d + MAPPED) != 0) {
                    long off = descriptors.getLong(d + PAYLOAD_OFF);
                    lo = Math.min(lo, off);
                    hi = Math.max(hi, off + descriptors.getInt(d + PAYLOAD_LEN));
                }
            }
            if (map != null && mapAddr <= base + lo && base + hi <= mapEnd) {
                return;
            }
        }
        map = mapper.map(base + lo, hi - lo).asReadOnlyBuffer().order(ByteOrder.nativeOrder());
        mapAddr = base + lo;
        mapEnd = base + hi;
    }

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
     * Type of record {@code i}. Decoded once per batch index and cached across fills by its bytes, so repeated
     * types return the same String without allocating.
     */
    public String type(int i) {
        int d = at(i);
        if (types[i] == null) {
            int off = descriptors.getInt(d + TYPE_OFF);
            int len = descriptors.getInt(d + TYPE_LEN);
            // Runs of one type are common: try the previous record's first.
            int pd = d - DESCRIPTOR_BYTES;
            boolean asPrevious = i > 0 && types[i - 1] != null && descriptors.getInt(pd + TYPE_LEN) == len
                    && sameBytes(descriptors.getInt(pd + TYPE_OFF), off, len, null);
            types[i] = asPrevious ? types[i - 1] : cachedType(off, len);
        }
        return types[i];
    }

    /** Whether the {@code len} bytes at {@code off} are {@code b}'s, or with {@code b} null those at {@code a}. */
    private boolean sameBytes(int a, int off, int len, byte[] b) {
        if (b == null && len <= 8 && Math.max(a, off) <= view.capacity() - 8) { // one load each, bytes past len cut
            long x = view.getLong(a) ^ view.getLong(off);
            return len == 0 || (LITTLE_ENDIAN ? x << (64 - 8 * len) : x >>> (64 - 8 * len)) == 0;
        }
        if (b != null && b.length != len) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            if (view.get(off + k) != (b != null ? b[k] : view.get(a + k))) {
                return false;
            }
        }
        return true;
    }

    private String cachedType(int off, int len) {
        if (len > TYPE_CACHE_MAX_LEN) {
            return decode(off, len);
        }
        for (int slot = 0; slot < TYPE_CACHE_SLOTS && cacheBytes[slot] != null; slot++) {
            if (sameBytes(0, off, len, cacheBytes[slot])) {
                return cacheStrings[slot];
            }
        }
        byte[] bytes = new byte[len];
        view.get(off, bytes);
        int slot = cacheNext;
        cacheNext = (slot + 1) & (TYPE_CACHE_SLOTS - 1);
        cacheBytes[slot] = bytes;
        return cacheStrings[slot] = new String(bytes, StandardCharsets.UTF_8);
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

    /** Where record {@code i}'s payload starts in {@link #payloadBuffer(int)}. */
    public int payloadOffset(int i) {
        int d = at(i);
        long off = descriptors.getLong(d + PAYLOAD_OFF);
        return (int) (descriptors.getInt(d + MAPPED) != 0 ? base + off - mapAddr : off);
    }

    /**
     * The read-only buffer (native byte order) record {@code i}'s payload is in, at {@link #payloadOffset}: {@link
     * #data()}'s, or one over the library's mapping of the segment. Read it with absolute gets, never move it;
     * buffers are shared by many records and fills.
     */
    public ByteBuffer payloadBuffer(int i) {
        return descriptors.getInt(at(i) + MAPPED) != 0 ? map : view;
    }

    /**
     * BinlogRecord {@code i}'s payload: a new read-only slice (no copy; position
     * 0, big-endian like any new buffer) of {@link #payloadBuffer(int)}.
     */
    public ByteBuffer payload(int i) {
        return payloadBuffer(i).slice(payloadOffset(i), payloadLength(i));
    }

    /** Copies record {@code i}'s payload into a new array. */
    public byte[] payloadBytes(int i) {
        byte[] b = new byte[payloadLength(i)];
        copyPayload(i, b, 0);
        return b;
    }

    /** Copies record {@code i}'s payload into {@code dst} at {@code dstOff}; returns its length. */
    public int copyPayload(int i, byte[] dst, int dstOff) {
        int len = payloadLength(i);
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        payloadBuffer(i).get(payloadOffset(i), dst, dstOff, len);
        return len;
    }

    /**
     * A read-only view of the whole data buffer (type names, metadata and copied payloads), in native byte order.
     * It is the same memory for the batch's whole life (each fill overwrites it).
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
     * BinlogRecord {@code i}'s metadata as {@link BinlogRecord#metadata()} gives it: in
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

    /** BinlogRecord {@code i} as a {@link BinlogRecord}: every field copied, valid forever. */
    public BinlogRecord record(int i) {
        return new BinlogRecord(seq(i), timestampNs(i), type(i), payloadBytes(i), metadata(i), offset(i));
    }

    @Override
    public String toString() {
        return "RecordBatch{count=" + count + ", maxRecords=" + maxRecords + ", bufferBytes=" + bufferBytes() + "}";
    }
}
