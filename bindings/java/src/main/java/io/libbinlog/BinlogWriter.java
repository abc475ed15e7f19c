package io.libbinlog;

import java.io.Closeable;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * A writer of one segment ({@link #openSegment}) or of a rolling log ({@link #openLog}) — {@code binlog_writer}.
 *
 * <p>Thread-safe: any number of threads may write, flush and sync at once (the C writer is thread-safe; every call
 * holds this object's read lock). {@link #close()} takes the write lock, so it waits for calls in progress, then closes
 * and frees the native writer exactly once; later calls throw {@link BinlogException} with {@link ErrorCode#CLOSED}. A
 * writer that is never closed is closed and freed by a {@link Cleaner} once unreachable, but do close it: until then it
 * holds the segment's lock.
 *
 * <p>Payloads: a record without metadata whose type name and payload add up to at most 16 KiB is copied, with its type
 * name, from a heap array or any ByteBuffer into native memory of the calling thread's own (512 bytes at its first such
 * write, grown up to 16 KiB, freed with the thread), and the JNI call carries only numbers: no JNI array or buffer
 * function runs, and up to 16 KiB the copy costs less than those (direct buffers included). Other records, and every
 * record written from a virtual thread, take the JNI paths: a direct {@link ByteBuffer} is passed to C in place (no
 * copy); a heap array is copied onto the C stack up to 16 KiB, and above that pinned with {@code
 * GetPrimitiveArrayCritical} for the call (copied instead when writes may wait for an fdatasync). Every path writes the
 * record at the call, as the C writer does: its sequence number and timestamp are taken then, and the writer's buffer,
 * flush and durability rules apply to it unchanged. Writing a ByteBuffer consumes it: its position moves to its limit.
 */
public final class BinlogWriter extends HandleCalls implements Closeable {
    // The calls of nativeCall (binlog_jni.c's W_*).
    private static final int FLUSH = 0, SYNC = 1, ROLL = 2, NEXT_SEQ = 3, DURABLE_SEQ = 4, CALLBACK_FAILURES = 5,
            DROPPED_UNSHIPPED = 6;

    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    /** binlog_writer_poll_sealed must be called from one thread at a time. */
    private final Object pollLock = new Object();
    /** Sealed segments not yet polled when close ran, the last one included. */
    private final Queue<SegmentInfo> unpolled = new ConcurrentLinkedQueue<>();
    /** droppedUnshipped as close left it (log writers); -1 until then, and for a segment writer. */
    private volatile long droppedAtClose = -1;
    /**
     * Whether large heap arrays are pinned (GetPrimitiveArrayCritical, which holds off the garbage collector) during a
     * write rather than copied: only when no write call waits for an fdatasync, which can take milliseconds.
     */
    private final boolean pin;
    /** One-entry cache of the last type name's UTF-8 bytes (races are harmless). */
    private volatile TypeName lastType = new TypeName("", new byte[0]);

    private record TypeName(String name, byte[] bytes) {}

    private BinlogWriter(long handle, String description, Options options) {
        super(handle, BinlogWriter::nativeFree, "writer", description);
        this.pin = options == null || !options.writesMayWait();
    }

    /** Opens (creating, or reopening for append) the segment file at {@code path} with default options. */
    public static BinlogWriter openSegment(Path path) throws IOException {
        return openSegment(path, null);
    }

    /** Opens (creating, or reopening for append) the segment file at {@code path}. */
    public static BinlogWriter openSegment(Path path, Options options) throws IOException {
        return open(Strings.path(path, "path"), null, path.toString(), options);
    }

    /** Opens the rolling log {@code name} in {@code dir} (created if missing) with default options. */
    public static BinlogWriter openLog(Path dir, String name) throws IOException {
        return openLog(dir, name, null);
    }

    /**
     * Opens the rolling log {@code name} in {@code dir} (created if missing): segments {@code <name>-<20-digit
     * number>-<UTC start>.binlog}, rolled by the options' size, record and period limits, trimmed by their retention.
     */
    public static BinlogWriter openLog(Path dir, String name, Options options) throws IOException {
        return open(Strings.path(dir, "dir"), Strings.cstring(name, "name"), Strings.describe(dir, name), options);
    }

    /** Opens the segment {@code path}, or with {@code name} the log {@code name} in the directory {@code path}. */
    private static BinlogWriter open(byte[] path, byte[] name, String description, Options options) throws IOException {
        long o = options == null ? 0 : options.toNative();
        try {
            return new BinlogWriter(nativeOpen(path, name, o), description, options);
        } finally {
            Options.nativeFree(o); // binlog_options_free accepts NULL
        }
    }

    @Override
    Lock callLock() {
        return rw.readLock();
    }

    /**
     * The write lock, so that a close waits for every call in progress; {@code closing} is set only once it holds it:
     * a {@link #pollSealed} or {@link #droppedUnshipped} waiting for the close then finds what it kept.
     */
    @Override
    Lock beginClose() {
        return rw.writeLock();
    }

    private byte[] typeBytes(String type) throws IOException {
        TypeName t = lastType;
        if (t.name().equals(Objects.requireNonNull(type, "type"))) {
            return t.bytes();
        }
        byte[] b = Strings.utf8(type, "type");
        lastType = new TypeName(type, b);
        return b;
    }

    /** Appends a record (current time, no metadata); returns its sequence number. */
    public long write(String type, byte[] payload) throws IOException {
        return write(type, payload, 0, payload.length);
    }

    /** Appends {@code payload[off, off+len)} as a record; returns its sequence number. */
    public long write(String type, byte[] payload, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, payload.length);
        return write(typeBytes(type), payload, false, off, len, Strings.Packed.NONE, Binlog.TIME_NOW);
    }

    /** Appends a record with metadata and a timestamp ({@link Binlog#TIME_NOW} for the clock). */
    public long write(String type, byte[] payload, Map<String, String> metadata, long timestampNs) throws IOException {
        byte[] t = typeBytes(type);
        return write(t, payload, false, 0, payload.length, Strings.metadata(metadata), timestampNs);
    }

    /**
     * Appends the buffer's remaining bytes as a record and moves its position to its limit (it stays where it was
     * if the call throws). A small record is copied to the thread's staging memory (see the class comment); a
     * larger direct buffer is read in place (zero copy).
     */
    public long write(String type, ByteBuffer payload) throws IOException {
        return write(type, payload, null, Binlog.TIME_NOW);
    }

    /** Like {@link #write(String, ByteBuffer)} with metadata and a timestamp. */
    public long write(String type, ByteBuffer payload, Map<String, String> metadata, long timestampNs) throws IOException {
        byte[] t = typeBytes(type);
        Strings.Packed m = Strings.metadata(metadata);
        Bytes b = Bytes.of(payload);
        int len = payload.remaining();
        long seq = write(t, b.data, b.direct, b.off, len, m, timestampNs);
        payload.position(payload.position() + len);
        return seq;
    }

    /** Where a write finds a buffer's remaining bytes: the direct buffer itself, a heap buffer's array, else a copy. */
    private record Bytes(Object data, boolean direct, int off) {
        static Bytes of(ByteBuffer b) {
            if (b.isDirect()) {
                return new Bytes(b, true, b.position());
            }
            if (b.hasArray()) {
                return new Bytes(b.array(), false, b.arrayOffset() + b.position());
            }
            byte[] copy = new byte[b.remaining()];
            b.duplicate().get(copy);
            return new Bytes(copy, false, 0);
        }
    }

    /**
     * Writes {@code data[off, off+len)} ({@code data} a direct ByteBuffer, or a byte[]): through the thread's staging
     * buffer if the record has no metadata and fits it on a platform thread, else through JNI.
     */
    private long write(byte[] t, Object data, boolean direct, int off, int len, Strings.Packed m, long ts)
            throws IOException {
        StagingBuffer s = m == Strings.Packed.NONE && StagingBuffer.fits(t.length, len)
                ? StagingBuffer.ofThisThread(t.length + len) : null;
        if (s != null) {
            s.put(t, data, off, len);
        }
        long h = enter(); // no lambda: this is an append's path
        try {
            return s != null ? nativeWriteStaged(h, s.address, t.length, len, ts)
                    : nativeWrite(h, t, data, direct, off, len, m.bytes(), m.lengths(), ts, pin);
        } finally {
            exit();
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(s); // its memory is what C reads (the thread's ThreadLocal holds it too)
        }
    }

    /**
     * Appends {@code lengths.length} records of one type in one call: their payloads lie end to end in {@code data}
     * from its position (a direct buffer is read in place). Returns the first record's sequence number; the
     * position moves past the records (and stays where it was if the call throws). Every entry is checked first: if
     * one is invalid (or above the maximum record size), nothing is written and no sequence number is taken. Only
     * an I/O error can stop a batch part way (the exception's message says how many records were written).
     */
    public long writeBatch(String type, ByteBuffer data, int[] lengths) throws IOException {
        return writeBatch(new String[] {type}, data, lengths, null);
    }

    /**
     * Like {@link #writeBatch(String, ByteBuffer, int[])}, for the first {@code count} entries of {@code lengths} only:
     * a batch array allocated once serves a last batch that is not full. {@code 0 <= count <= lengths.length}.
     */
    public long writeBatch(String type, ByteBuffer data, int[] lengths, int count) throws IOException {
        return writeBatch(new String[] {type}, data, lengths, count, null);
    }

    /** Like {@link #writeBatch(String, ByteBuffer, int[])}, with one timestamp per record (null = now). */
    public long writeBatch(String type, ByteBuffer data, int[] lengths, long[] timestampsNs) throws IOException {
        return writeBatch(new String[] {type}, data, lengths, timestampsNs);
    }

    /**
     * Batch with a type per record: {@code types} has one entry per record, or a single entry for all of them.
     * {@code timestampsNs} is null (now) or has one entry per record.
     */
    public long writeBatch(String[] types, ByteBuffer data, int[] lengths, long[] timestampsNs) throws IOException {
        return writeBatch(types, data, Count.all(lengths), timestampsNs);
    }

    /**
     * The first {@code count} records of {@code lengths}: {@code types} has one entry, or at least {@code count}
     * (the first {@code count} are used); so has {@code timestampsNs}, unless it is null.
     */
    public long writeBatch(String[] types, ByteBuffer data, int[] lengths, int count, long[] timestampsNs) throws IOException {
        return writeBatch(types, data, Count.first(lengths, count), timestampsNs);
    }

    /** Batch from a heap array: records end to end from index 0. */
    public long writeBatch(String type, byte[] data, int[] lengths) throws IOException {
        return writeBatch(new String[] {type}, data, 0, lengths, null);
    }

    /** Batch from a heap array of the first {@code count} entries of {@code lengths}. */
    public long writeBatch(String type, byte[] data, int[] lengths, int count) throws IOException {
        return writeBatch(new String[] {type}, ByteBuffer.wrap(data), Count.first(lengths, count), null);
    }

    /** Batch from a heap array: records end to end from {@code offset}; types and timestamps as above. */
    public long writeBatch(String[] types, byte[] data, int offset, int[] lengths, long[] timestampsNs) throws IOException {
        Objects.checkFromToIndex(offset, data.length, data.length);
        return writeBatch(types, ByteBuffer.wrap(data).position(offset), Count.all(lengths), timestampsNs);
    }

    /** Writes the batch of {@code c}'s records from {@code data}'s position, which then moves past them. */
    private long writeBatch(String[] types, ByteBuffer data, Count c, long[] ts) throws IOException {
        long total = checkLengths(c, data.remaining(), ts);
        BatchTypes bt = batchTypes(types, c);
        if (c.n == 0) {
            // No records (and maybe no types: one per record): the next seq, as the C call returns for none.
            return nextSeq();
        }
        Bytes b = Bytes.of(data);
        long h = enter();
        try {
            long first = nativeWriteBatch(h, bt.names().bytes(), bt.names().lengths(), bt.index(), b.data, b.direct,
                    b.off, c.lengths, c.n, ts, pin);
            data.position(data.position() + (int) total);
            return first;
        } finally {
            exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The records of a batch: the first {@code n} entries of {@code lengths}. When {@code exact}, per-record arrays
     * (types, timestamps) have exactly one entry per entry of {@code lengths}; otherwise at least {@code n}.
     */
    private record Count(int[] lengths, int n, boolean exact) {
        static Count all(int[] lengths) {
            Objects.requireNonNull(lengths, "lengths");
            return new Count(lengths, lengths.length, true);
        }

        static Count first(int[] lengths, int count) {
            Objects.requireNonNull(lengths, "lengths");
            if (count < 0 || count > lengths.length) {
                throw new IllegalArgumentException(
                        "count " + count + " is outside 0.." + lengths.length + " (the entries of lengths)");
            }
            return new Count(lengths, count, false);
        }

        /** Whether a per-record array of {@code length} entries fits this batch. */
        boolean fits(int length) {
            return exact ? length == lengths.length : length >= n;
        }
    }

    /** A batch's type names, and each record's index in them (null: every record has type 0). */
    private record BatchTypes(Strings.Packed names, int[] index) {}

    private BatchTypes batchTypes(String[] types, Count c) throws IOException {
        Objects.requireNonNull(types, "types");
        if (types.length == 1) {
            byte[] b = typeBytes(types[0]);
            return new BatchTypes(new Strings.Packed(b, new int[] {b.length}), null);
        }
        if (!c.fits(types.length)) {
            throw new IllegalArgumentException(
                    "types has " + types.length + " entries for " + c.n + " records");
        }
        Map<String, Integer> ids = new HashMap<>();
        int[] index = new int[c.n];
        for (int i = 0; i < c.n; i++) {
            index[i] = ids.computeIfAbsent(Objects.requireNonNull(types[i], "type"), k -> ids.size());
        }
        String[] names = new String[ids.size()];
        ids.forEach((k, v) -> names[v] = k);
        return new BatchTypes(Strings.strings(Arrays.asList(names), i -> "type"), index);
    }

    private static long checkLengths(Count c, int available, long[] ts) {
        long total = 0;
        for (int i = 0; i < c.n; i++) {
            int n = c.lengths[i];
            if (n < 0) {
                throw new IllegalArgumentException("negative record length " + n);
            }
            total += n;
        }
        if (total > available) {
            throw new IllegalArgumentException(
                    "lengths add up to " + total + " bytes but the buffer holds " + available);
        }
        if (ts != null && !c.fits(ts.length)) {
            throw new IllegalArgumentException(
                    "timestampsNs has " + ts.length + " entries for " + c.n + " records");
        }
        return total;
    }

    /** Hands buffered records to the OS; readers see them afterwards. */
    public void flush() throws IOException {
        run(h -> nativeCall(h, FLUSH));
    }

    /** Flushes and fdatasyncs: every record written so far is on stable storage. */
    public void sync() throws IOException {
        run(h -> nativeCall(h, SYNC));
    }

    /** The sequence number the next record will get. */
    public long nextSeq() throws IOException {
        return call(h -> nativeCall(h, NEXT_SEQ));
    }

    /**
     * Every record with a lower sequence number than this is on stable storage (covered by an fdatasync: under
     * durability NONE only {@link #sync()} does that, and records a reopen finds count after the first sync).
     */
    public long durableSeq() throws IOException {
        return call(h -> nativeCall(h, DURABLE_SEQ));
    }

    /**
     * Log writers only: how many sealed segments the hard byte cap ({@link Options.Builder#retentionShipped})
     * deleted before a {@link Shipper} had uploaded them: records neither local nor in the bucket any more.
     * After {@link #close()} it returns the count close left (the retention after its last seal included).
     */
    public long droppedUnshipped() throws IOException {
        return orAfterClose(h -> nativeCall(h, DROPPED_UNSHIPPED), () -> droppedAtClose < 0 ? null : droppedAtClose);
    }

    /** {@code c} on the live handle; once closed, what {@code kept} gives, unless null (then CLOSED). */
    private <T> T orAfterClose(HandleFunction<T> c, Supplier<T> kept) throws IOException {
        try {
            return call(c);
        } catch (BinlogClosedException e) {
            T k = kept.get();
            if (k == null) {
                throw e;
            }
            return k;
        }
    }

    /**
     * Log writers only: how many of the log's segment events failed. This binding registers no callbacks, so these
     * are the log's background work that failed: a seal with {@code sealInBackground} (retried every second, and
     * not an error of any write), a time roll, retention, a manifest replacement. 0 for a segment writer.
     */
    public long callbackFailures() throws IOException {
        return call(h -> nativeCall(h, CALLBACK_FAILURES));
    }

    /** Log writers only: seals the current segment and starts the next one now. */
    public void roll() throws IOException {
        run(h -> nativeCall(h, ROLL));
    }

    /**
     * Log writers only: the oldest sealed segment not yet polled, or null. Any thread may poll (calls are
     * serialized here). After {@link #close()} it returns the segments close found unpolled (the last one, which
     * close sealed, included), then throws CLOSED.
     */
    public SegmentInfo pollSealed() throws IOException {
        synchronized (pollLock) {
            return orAfterClose(BinlogWriter::pollNative, unpolled::poll);
        }
    }

    private static SegmentInfo pollNative(long h) throws IOException {
        long[] info = new long[5];
        byte[] path = nativePollSealed(h, info);
        if (path == null) {
            return null;
        }
        SegmentInfo.Event ev = info[0] == 1 ? SegmentInfo.Event.OPENED : SegmentInfo.Event.SEALED;
        return new SegmentInfo(ev, Strings.decodePath(path), info[1], info[2], info[3], info[4]);
    }

    /**
     * Flushes, seals and closes the segment (a log's current segment that holds no record is removed instead),
     * releases its lock and frees the native writer. Waits for calls in
     * progress on other threads. Idempotent; throws only if sealing failed on the first close (the handle is freed
     * anyway, and the segment stays readable by a scan).
     */
    @Override
    public void close() throws IOException {
        closeOnce(true, p -> {
            if (p != 0) {
                try {
                    nativeClose(p);
                } finally {
                    try {
                        keepForAfterClose(p);
                    } finally {
                        nativeFree(p); // whatever the close threw
                    }
                }
            }
        });
    }

    /**
     * Keeps for after close the sealed segments not yet polled (a log's last one, sealed by close, among them) in
     * {@link #unpolled}, and droppedUnshipped. Nothing for a segment writer (INVALID_ARGUMENT: both stay refused),
     * and nothing more after a failure: the error close throws, if any, is the one the caller sees.
     */
    private void keepForAfterClose(long p) throws IOException {
        try {
            for (SegmentInfo s; (s = pollNative(p)) != null;) {
                unpolled.add(s);
            }
            droppedAtClose = nativeCall(p, DROPPED_UNSHIPPED);
        } catch (BinlogException e) {
            // a segment writer
        }
    }

    // -------------------------------------------------------------- natives (binlog_jni.c says what each does)

    private static native long nativeOpen(byte[] path, byte[] name, long opts) throws IOException;

    private static native long nativeWrite(long h, byte[] type, Object data, boolean direct, int off, int len,
            byte[] metaBytes, int[] metaLens, long timestampNs, boolean pin) throws IOException;

    private static native long nativeWriteStaged(long h, long address, int typeLen, int len, long timestampNs) throws IOException;

    private static native long nativeWriteBatch(long h, byte[] typeBytes, int[] typeLens, int[] typeIndex,
            Object data, boolean direct, int pos, int[] lengths, int count, long[] timestampsNs, boolean pin) throws IOException;

    private static native long nativeCall(long h, int which) throws IOException;

    private static native byte[] nativePollSealed(long h, long[] info) throws IOException;

    private static native void nativeClose(long h) throws IOException;

    private static native void nativeFree(long h);
}
