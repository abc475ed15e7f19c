package io.libbinlog;

import java.io.Closeable;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A reader of one segment ({@link #open}), of a rolling log across its segments ({@link #openLog}), or of a set of
 * segment files ({@link #openGlob}) — {@code binlog_reader}.
 *
 * <p>The C reader is single-threaded, so every call here holds one lock: a BinlogReader may be shared between
 * threads, but its calls run one at a time. {@link #close()} is idempotent, waits for a call in progress (a {@link
 * #nextWait} is cut into short native waits, so close from another thread returns promptly and the waiting call
 * throws CLOSED), and frees the native reader once. An unreachable, unclosed reader is freed by a {@link Cleaner}.
 *
 * <p>Four ways to read, all through one native call ({@code binlog_reader_next_mapped}; the library checks every
 * record): {@link #next()} copies a record into Java objects; {@link #nextInto} copies only the payload into a
 * direct buffer; {@link #visitNext} / {@link #visitAll} show a read-only direct buffer over the payload, valid
 * during the visit only; {@link #nextBatch(RecordBatch)} reads many records per call into a {@link RecordBatch}
 * (one JNI crossing for the lot, payloads left in the library's mapping). The first three return records one at a
 * time from a batch the reader reads ahead (up to 256 records, one JNI crossing for the lot; a few at first, more
 * while nothing else is called), so a plain loop reads at batch speed. What is observable follows the records
 * returned, not those read ahead: a seek drops them; {@link #position()}, {@link #summary()}, {@link #header()},
 * {@link #typeSchema}, {@link #filterTypes}, {@link #skipDamaged} and {@link #nextBatch} put them back first (a seek
 * to the first of them); a consumer commits the last record returned; an error, such as a damaged record, is thrown
 * by the read that reaches it, after the good records before it; a wait waits only once none is left (bindings/java
 * README, "Reading ahead"). The ways can be mixed on one reader: a record one of them keeps back (a payload that did
 * not fit) is what the next call of any of them returns first.
 */
public final class BinlogReader extends HandleCalls implements Closeable, Iterable<BinlogRecord> {
    /** Largest buffer {@link #ahead} grows to, and most records it reads ahead. */
    private static final int MAX_AHEAD_BYTES = Integer.MAX_VALUE - 32, MAX_AHEAD = 256;

    // How nativeOpen opens, and the calls of nativeCall (binlog_jni.c's OPEN_* and R_*; the consumers' too).
    private static final int OPEN_SEGMENT = 0, OPEN_SALVAGE = 1, OPEN_LOG = 2, OPEN_GLOB = 3, OPEN_LOG_TIERED = 4;
    private static final int SEEK_SEQ = 0, SEEK_TIME = 1, SKIP_DAMAGED = 2, DECODE_THREADS = 3, GAP_COUNT = 4;
    static final int COMMIT = 5, COMMIT_SEQ = 6, COMMITTED = 7, MERGED_COMMIT = 8;

    /**
     * The records read ahead for {@link #next}, {@link #nextInto} and the visits, returned in turn from {@link #at}
     * (its data buffer grows to fit a record's type, metadata and copied payload); guarded by {@link #lock}, as are
     * the fields below.
     */
    private RecordBatch ahead = new RecordBatch(32 << 10, MAX_AHEAD);
    /** {@code want}: how many records the next read ahead asks for (1 after a call that puts them back, then twice). */
    private int at, want = 1;
    /** The sequence number of the last record returned from {@link #ahead} since a seek or batch (-1: none). */
    private long last = -1;
    private boolean visiting;

    private BinlogReader(long handle, String description) {
        super(handle, BinlogReader::nativeFree, "reader", description);
    }

    /** A reader of the handle {@code binlog_consumer_open} made ({@link BinlogConsumer#open}). */
    static BinlogReader ofConsumer(long handle, String description) {
        return new BinlogReader(handle, description);
    }

    /** Opens a segment file (read permission suffices; no lock is taken). */
    public static BinlogReader open(Path path) throws IOException {
        return open(OPEN_SEGMENT, path, null, null, 0);
    }

    /**
     * Opens a segment file to read what survives of it ({@code binlog_reader_open_salvage}): a damaged header
     * is reported as a damaged region ({@link #damages()}) and the records after it are read, and later damaged
     * regions are skipped as with {@link #skipDamaged skipDamaged(true)}. A segment with a sound header opens
     * as with {@link #open}; a file without the magic number is still {@link ErrorCode#NOT_A_BINLOG}.
     */
    public static BinlogReader openSalvage(Path path) throws IOException {
        return open(OPEN_SALVAGE, path, null, null, 0);
    }

    /** Opens the rolling log {@code name} in {@code dir}: every segment in write order as one stream. */
    public static BinlogReader openLog(Path dir, String name) throws IOException {
        return open(OPEN_LOG, dir, name, null, 0);
    }

    /**
     * Opens the rolling log {@code name} in {@code dir} together with its segments shipped to {@code remote}
     * ({@code s3://bucket/prefix}, where a {@link Shipper} put them) as one stream ({@code
     * binlog_reader_open_log_tiered}): a segment removed locally after its upload is read from the bucket, not
     * reported as a gap; one missing from both is a gap of reason {@link Gap.Reason#MISSING} naming the object's
     * {@code s3://} URL ({@link #gaps}); a damaged object, or one whose size is not the one its metadata says (cut
     * short), throws {@code CORRUPT} naming its {@code s3://} URL and offset. The endpoint, region and credentials
     * come from the process environment ({@code AWS_ENDPOINT_URL}, {@code AWS_REGION}, {@code AWS_ACCESS_KEY_ID},
     * {@code AWS_SECRET_ACCESS_KEY}, {@code AWS_SESSION_TOKEN}); read and list permissions are enough. {@code
     * INVALID_ARGUMENT} if the library was built without the feature "s3". The bucket client belongs to the reader
     * (closing frees it) and to this process.
     */
    public static BinlogReader openLogTiered(Path dir, String name, String remote) throws IOException {
        return open(OPEN_LOG_TIERED, dir, name, remote, 0);
    }

    /**
     * {@link #openLogTiered(Path, String, String)} with failed requests to the bucket retried for {@code retryTimeout}
     * (whole milliseconds, at least one) before the open, or a later read, fails ({@code
     * binlog_reader_open_log_tiered_timeout}): a server that is down, refuses connections or stops answering throws
     * {@link ErrorCode#REMOTE} in about this long, naming the server's URL and the cause.
     */
    public static BinlogReader openLogTiered(Path dir, String name, String remote, Duration retryTimeout)
            throws IOException {
        return open(OPEN_LOG_TIERED, dir, name, remote, retryTimeoutMillis(retryTimeout));
    }

    /** A retry timeout as the C API takes it: whole milliseconds, at least one. */
    static long retryTimeoutMillis(Duration timeout) {
        if (Objects.requireNonNull(timeout, "retryTimeout").isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("retryTimeout " + timeout + " is not positive");
        }
        return Math.max(1, timeout.toMillis());
    }

    /** Opens the files in {@code dir} whose names match {@code pattern} ({@code *}, {@code ?}), in name order. */
    public static BinlogReader openGlob(Path dir, String pattern) throws IOException {
        return open(OPEN_GLOB, dir, pattern, null, 0);
    }

    /**
     * Opens a reader {@code how}: of {@code path}, or with {@code name} (a log name or pattern: a pattern the file-name
     * charset cannot encode is still valid, so no {@code path.resolve}) of that in the directory {@code path}, and of
     * {@code remote} too. The arguments are made first: nothing may throw between the open and the constructor.
     */
    private static BinlogReader open(int how, Path path, String name, String remote, long retryMs)
            throws IOException {
        byte[] p = Strings.path(path, name == null ? "path" : "dir");
        byte[] n = name == null ? null : Strings.cstring(name, how == OPEN_GLOB ? "pattern" : "name");
        byte[] r = remote == null ? null : Strings.cstring(remote, "remote");
        String d = name == null ? path.toString() : Strings.describe(path, name);
        String description = remote == null ? d : d + " + " + remote;
        return new BinlogReader(nativeOpen(how, p, n, r, retryMs), description);
    }

    @Override
    long enter() throws BinlogClosedException {
        if (visiting && lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("a BinlogReader must not be called from inside its own visitor");
        }
        return super.enter();
    }

    /**
     * The records there are now, for {@code for (BinlogRecord r : reader)}: {@code hasNext()} reads ahead and keeps
     * the next record in the reader, so it loses nothing when a loop stops early or mixes in other reads (the
     * next read of any kind returns that record first); the iteration ends where {@link #next()} would return null.
     * A read that fails throws {@link java.io.UncheckedIOException} wrapping the {@link IOException} (as {@link
     * java.nio.file.Files#lines} does). For one thread, like the reader.
     */
    @Override
    public Iterator<BinlogRecord> iterator() {
        return iterator(() -> call(h -> ready(h, 0)), this::next);
    }

    /**
     * The records there are now, as a sequential, ordered stream over {@link #iterator()}: it reads lazily (a
     * short-circuiting operation such as {@code limit} or {@code findFirst} consumes no record past what it took)
     * and ends where {@code next()} returns null. Closing the stream does not close the reader.
     */
    public Stream<BinlogRecord> records() {
        return StreamSupport.stream(spliterator(), false);
    }

    @Override
    public Spliterator<BinlogRecord> spliterator() {
        return Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE);
    }

    /** The next record as Java copies, or null when there is none for now (END). */
    public BinlogRecord next() throws IOException {
        long h = enter(); // no lambda: a record's path
        try {
            return ready(h, 0) ? ahead.record(take()) : null;
        } finally {
            exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Like {@link #next()}, but waits up to {@code timeoutMs} for a record, following a log's writer into new
     * segments as it rolls. Returns null on timeout, or early (with the interrupt status kept) if the thread is
     * interrupted. Throws CLOSED if the reader is closed meanwhile.
     */
    public BinlogRecord nextWait(long timeoutMs) throws IOException {
        return waitSliced(timeoutMs, slice -> h -> ready(h, slice) ? ahead.record(take()) : null);
    }

    /**
     * Whether {@link #ahead} has a record at {@link #at}, read ahead now if none is left (waiting up to {@code waitMs}
     * for the first); false at END. A record too large for it is kept by the library while its buffer grows.
     */
    private boolean ready(long h, long waitMs) throws IOException {
        while (at == ahead.count()) {
            try {
                at = 0;
                int n = fillBatch(h, ahead, waitMs, want);
                want = Math.min(MAX_AHEAD, 2 * want);
                return n > 0;
            } catch (BinlogException e) {
                if (e.code() != ErrorCode.BUFFER_TOO_SMALL || ahead.bufferBytes() == MAX_AHEAD_BYTES) {
                    throw e;
                }
                ahead = new RecordBatch((int) Math.min(MAX_AHEAD_BYTES, 2L * ahead.bufferBytes()), MAX_AHEAD);
            }
        }
        return true;
    }

    /** The index in {@link #ahead} of the record now returned. */
    private int take() {
        last = ahead.seq(at);
        return at++;
    }

    /**
     * Zero-copy-into-Java variant of {@link #next()}: copies the payload from the mapped file straight into {@code
     * dst} (direct, writable) at its position, and returns the other fields. Returns null at END. If the payload
     * does not fit, nothing is copied, {@link RecordInfo#copied()} is false and the record is kept: the next read
     * call returns it again.
     */
    public RecordInfo nextInto(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (!dst.isDirect()) {
            throw new IllegalArgumentException("nextInto needs a direct ByteBuffer");
        }
        if (dst.isReadOnly()) {
            throw new java.nio.ReadOnlyBufferException();
        }
        return call(h -> {
            if (!ready(h, 0)) {
                return null;
            }
            int i = at, len = ahead.payloadLength(i);
            boolean fits = len <= dst.remaining();
            if (fits) {
                int pos = dst.position();
                dst.put(pos, ahead.payloadBuffer(i), ahead.payloadOffset(take()), len).position(pos + len);
            }
            return new RecordInfo(ahead.seq(i), ahead.timestampNs(i), fits ? ahead.type(i) : null,
                    fits ? ahead.metadata(i) : Collections.emptyMap(), ahead.offset(i), len, fits);
        });
    }

    /**
     * Reads the next record and shows it to {@code visitor} without copying the payload; returns false at END (the
     * visitor is not called). The view is valid only during the visit; the visitor must not call this reader.
     */
    public boolean visitNext(RecordVisitor visitor) throws IOException {
        Objects.requireNonNull(visitor, "visitor");
        long h = enter(); // no lambda: a record's path
        try {
            return visitOne(h, visitor);
        } finally {
            exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Visits records until END; returns how many were visited. A {@link #close()} from another thread stops it
     * between two records (it throws CLOSED; the records visited stay consumed): on a segment that keeps growing,
     * END may never come, and close would wait for it.
     */
    public long visitAll(RecordVisitor visitor) throws IOException {
        Objects.requireNonNull(visitor, "visitor");
        return call(h -> {
            for (long n = 0;; n++) {
                if (closing) {
                    throw closed();
                }
                if (!visitOne(h, visitor)) {
                    return n;
                }
            }
        });
    }

    private boolean visitOne(long h, RecordVisitor visitor) throws IOException {
        if (!ready(h, 0)) {
            return false;
        }
        // A new view per visit: one kept from an earlier visit must stay invalid (a reused one would show this record).
        RecordView view = new RecordView(ahead, take());
        visiting = true;
        try {
            visitor.visit(view);
        } finally {
            visiting = false;
            view.batch = null; // the view is invalid from now on
        }
        return true;
    }

    /**
     * Reads the next records into {@code batch} in one native call ({@code binlog_reader_next_mapped}: payloads
     * left in the library's mapping, see {@link RecordBatch}): as many as fit its data buffer, up to its {@link
     * RecordBatch#maxRecords()}. Returns how many (also {@link RecordBatch#count()}); 0 when there is none for now
     * (END). Does not wait. A record that did not fit after others is kept and comes first in the next read call, as
     * do records the one-record reads read ahead (put back first).
     *
     * @throws BinlogException {@link ErrorCode#BUFFER_TOO_SMALL} if not even the next record fits (nothing
     *     consumed: the next call returns it; the message gives the bytes it needs), CLOSED, CORRUPT, ... (an error
     *     after some records returns those records first; the next call reports it). The batch is empty after it.
     */
    public int nextBatch(RecordBatch batch) throws IOException {
        return nextBatch(batch, 0); // one try: a wait of 0 ms is one slice
    }

    /**
     * Like {@link #nextBatch(RecordBatch)}, but when no record is there yet waits up to {@code timeoutMs} for one
     * (following a log's writer into new segments as it rolls), then takes the records already there. Returns 0 on
     * timeout, or early (interrupt status kept) if the thread is interrupted; throws CLOSED if the reader is closed
     * meanwhile (the wait is cut into slices of at most 50 ms, as in {@link #nextWait}).
     */
    public int nextBatch(RecordBatch batch, long timeoutMs) throws IOException {
        Objects.requireNonNull(batch, "batch");
        batch.reset();
        Integer n = waitSliced(timeoutMs, slice -> h -> {
            unhold(h);
            last = -1;
            int got = fillBatch(h, batch, slice, batch.maxRecords());
            return got > 0 ? got : null;
        });
        return n == null ? 0 : n;
    }

    /** Reads up to {@code cap} records into {@code batch}. */
    private int fillBatch(long h, RecordBatch batch, long waitMs, int cap) throws IOException {
        batch.reset();
        int n = nativeNextBatch(h, waitMs, batch.data, batch.descriptors, cap);
        batch.filled(n, (addr, len) -> keepMapping(h, addr, len));
        return n;
    }

    /**
     * A buffer over {@code len} bytes at {@code addr} of the mapping the last batch pointed into, which keeps it
     * mapped until the buffer (and every view of it) is unreachable.
     */
    private static ByteBuffer keepMapping(long h, long addr, long len) throws IOException {
        long[] handle = new long[1];
        ByteBuffer b = nativeKeepMapping(h, addr, len, handle);
        long m = handle[0];
        Binlog.CLEANER.register(b, () -> nativeFreeMapping(m));
        return b;
    }

    /** Positions the reader at the first record with a sequence number of at least {@code seq}. */
    public void seekSeq(long seq) throws IOException {
        seek(SEEK_SEQ, seq);
    }

    /** Positions the reader at the first record, in write order, with a timestamp of at least {@code ns}. */
    public void seekTime(long timestampNs) throws IOException {
        seek(SEEK_TIME, timestampNs);
    }

    private void seek(int how, long v) throws IOException {
        run(h -> {
            drop();
            nativeCall(h, how, v);
        });
    }

    /**
     * Reads only records of these types from now on; no types = every type again. Records read ahead, or one {@link
     * #nextInto} kept back (its buffer was too small), are not read yet: they come next if the filter passes them.
     */
    public void filterTypes(String... types) throws IOException {
        filterTypes(Arrays.asList(types));
    }

    /** Reads only records of these types from now on; an empty collection = every type again. */
    public void filterTypes(Collection<String> types) throws IOException {
        Strings.Packed p = Strings.strings(types, i -> "type");
        run(h -> {
            try {
                nativeFilterTypes(h, p.bytes(), p.lengths());
            } finally {
                unhold(h); // so that the filter in force decides
            }
        });
    }

    /**
     * Puts the library back before the records {@link #ahead} holds unreturned (a seek to the first), so that a filter,
     * a token or a commit sees them as not returned; the next read reads them again. Returns {@code h}.
     */
    private long unhold(long h) throws IOException {
        want = 1; // a loop that calls this after every record then reads one at a time, with no seek
        if (at < ahead.count()) {
            long seq = ahead.seq(at);
            drop();
            nativeCall(h, SEEK_SEQ, seq);
        }
        return h;
    }

    /** Forgets the records read ahead (a seek moved the library). */
    private void drop() {
        ahead.reset();
        at = 0;
        last = -1;
    }

    /**
     * A consumer's commit ({@code how}: {@link #COMMIT}, or {@link #COMMIT_SEQ} of {@code seq}) of the records
     * returned: with records read ahead, by the number of the last one returned (no seek) when it can.
     */
    void commit(long h, int how, long seq) throws IOException {
        if (at == ahead.count()) { // none read ahead: a loop that commits every record goes on reading ahead
            nativeCall(h, how, seq);
        } else if (last == -1 || (how == COMMIT_SEQ && seq > last)) {
            unhold(h); // the commit is not of a record returned from them
            nativeCall(h, how, seq);
        } else {
            nativeCall(h, COMMIT_SEQ, how == COMMIT ? last : seq);
        }
    }

    /** Reads on to the end (its type filter applies) and summarizes what it read ({@code binlog_summary_of_reader}). */
    public Summary summary() throws IOException {
        return call(h -> {
            unhold(h);
            return Summary.of(Binlog.nativeSummary(h, false, null));
        });
    }

    /**
     * A position token of where this log reader stands ({@code binlog_reader_position}; a record read ahead is after
     * it): text from which {@link #seekPosition} of any reader of the same log goes on, across rolls, compression,
     * shipping and retention. INVALID_ARGUMENT for a reader of one segment.
     */
    public String position() throws IOException {
        return call(h -> {
            unhold(h);
            return utf8(BinlogConsumer.nativePosition(h, false, null));
        });
    }

    /**
     * Positions this log reader where {@code token} says (records since deleted: a {@link Gap.Reason#RETENTION} gap);
     * INVALID_ARGUMENT for a token of another log or text that is no token.
     */
    public void seekPosition(String token) throws IOException {
        byte[] t = Strings.cstring(token, "token");
        run(h -> {
            BinlogConsumer.nativePosition(h, false, t);
            drop(); // once it moved
        });
    }

    /**
     * How many threads a full scan of a compressed segment ({@code .binlog.zst}, local or remote) decompresses its
     * next frames on, ahead of the reader ({@code binlog_reader_decode_threads}); at most 4 are used, and 0 or 1
     * has the calling thread decompress each frame when it reaches it. Records, damage and errors are the same
     * either way; a log reader applies it to every segment it opens from now on. By default the machine's cores (at
     * most 4) for a remote object, 0 for a local file. The threads are the library's own and end when the reader is
     * closed or leaves the segment.
     *
     * @throws IllegalArgumentException if {@code threads} is negative (checked after CLOSED)
     * @throws BinlogException {@link ErrorCode#CLOSED} once closed
     */
    public void decodeThreads(int threads) throws IOException {
        run(h -> nativeCall(h, DECODE_THREADS, threads)); // binlog_jni.c refuses a negative count
    }

    /**
     * Every gap a log reader met so far, oldest first ({@code binlog_reader_gaps}): what it could not return,
     * where and why; none for a segment reader. Gaps and damaged regions the records {@link #next} read ahead
     * passed are among them (a batch's records do not say where they were met).
     */
    public List<Gap> gaps() throws IOException {
        return problems(false, false, (v, at, path, log) -> Gap.of(v, at, utf8(path)));
    }

    /**
     * With {@code skip} true, a damaged region in the middle of a segment (bytes that fail their checks while
     * valid records follow) is skipped: the reader resumes at the next valid record and records the region
     * ({@link #damages()}) ({@code binlog_reader_skip_damaged}). By default it stops there with {@link
     * ErrorCode#CORRUPT} naming the file and offset.
     */
    public void skipDamaged(boolean skip) throws IOException {
        run(h -> {
            unhold(h);
            nativeCall(h, SKIP_DAMAGED, skip ? 1 : 0);
        });
    }

    /**
     * Every damaged region the reader skipped so far, in the order met, each with the segment file or object
     * URL it is in ({@code binlog_reader_damages2}).
     */
    public List<Damage> damages() throws IOException {
        return problems(false, true, (v, at, path, log) -> Damage.of(v, at, utf8(path)));
    }

    /** How many gaps a log reader met (see {@link #gaps()}); 0 for a segment. */
    public long gapCount() throws IOException {
        return call(h -> nativeCall(h, GAP_COUNT, 0));
    }

    /**
     * The header of the segment being read ({@code binlog_reader_header}), copied into Java: for a log or glob
     * reader, the segment its last record came from (it changes as reads cross into the next segment; a seek opens
     * the segment it lands in). Records {@link #next} read ahead are put back first (the header is then that of the
     * first one's segment). A record a {@link #nextBatch} or a read ahead could not fit, or found in the next segment
     * (where a batch of mapped payloads ends), has already been taken from the segments, so after such a batch, or
     * once the records read ahead before it are returned, the header may be that record's segment, the next one.
     * Cheap enough to call after every record (the reader then reads one record at a time), but each call copies the
     * strings again.
     *
     * @throws BinlogException {@link ErrorCode#NOT_FOUND} from a log or glob reader before its first record (or
     *     seek), {@link ErrorCode#CLOSED} once closed
     */
    public SegmentHeader header() throws IOException {
        long[] nums = new long[5];
        byte[][] b = call(h -> nativeHeader(unhold(h), nums));
        List<Map.Entry<String, String>> params = new ArrayList<>((b.length - 3) / 2);
        for (int i = 3; i + 1 < b.length; i += 2) {
            params.add(Map.entry(utf8(b[i]), utf8(b[i + 1])));
        }
        return new SegmentHeader((int) nums[0], (int) nums[1], nums[2], nums[3], nums[4], utf8(b[0]), utf8(b[1]),
                utf8(b[2]), params);
    }

    /**
     * The schema of {@code type} in the header {@link #header()} gives: a segment reader's from the open on, a log or
     * glob reader's that of the segment the last record came from (or a seek landed in). Empty when that header has
     * none for it, or there is none yet (a log or glob reader before its first record or seek).
     */
    public Optional<TypeSchema> typeSchema(String type) throws IOException {
        return typeSchema(type, false, this::unhold);
    }

    /** How the segment ended, once a read returned END. */
    public Tail tail() throws IOException {
        long[] t = new long[3];
        run(h -> nativeTail(h, t));
        return new Tail(Binlog.constant(Tail.Kind.values(), t[0], 0), t[1], t[2]);
    }

    /**
     * Releases the file and mapping and frees the native reader. Idempotent; waits for a call in progress (at most
     * one short wait slice of a {@link #nextWait}). Must not be called from inside a visitor.
     */
    @Override
    public void close() throws IOException {
        if (lock.isHeldByCurrentThread() && visiting) {
            throw new IllegalStateException("a BinlogReader must not be closed from inside its own visitor");
        }
        closeOnce(true, p -> {
            ahead = null; // its buffer over a mapping would keep that mapped
            if (p != 0) {
                nativeCloseFree(p); // reports the close's error; the Cleaner's action no longer has the pointer
            }
        });
    }

    // -------------------------------------------------------------- natives (binlog_jni.c says what each returns)

    private static native long nativeOpen(int how, byte[] a, byte[] b, byte[] c, long retryTimeoutMillis)
            throws IOException;

    private static native int nativeNextBatch(long h, long waitMs, ByteBuffer data, ByteBuffer records, int cap)
            throws IOException;

    private static native ByteBuffer nativeKeepMapping(long h, long addr, long len, long[] handle) throws IOException;

    private static native void nativeFreeMapping(long m);

    static native long nativeCall(long h, int which, long v) throws IOException;

    private static native void nativeFilterTypes(long h, byte[] typeBytes, int[] typeLens) throws IOException;

    private static native void nativeTail(long h, long[] out) throws IOException;

    private static native byte[][] nativeHeader(long h, long[] nums) throws IOException;

    private static native void nativeCloseFree(long h) throws IOException;

    private static native void nativeFree(long h);
}
