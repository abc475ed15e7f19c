package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;

/**
 * A named consumer of a log ({@code binlog_consumer_open}): a {@link BinlogReader} that starts after the consumer's
 * last commit and commits its position durably in {@code <dir>/<name>.consumer}. At-least-once: opened again (after
 * any crash) it goes on after the last commit that returned, so records read since are read again. One handle per
 * name across processes: a second open throws {@link BinlogLockedException}. Its reads are its reader's ({@link
 * #reader()}: batches, filters, gaps, position tokens), with the same lock, close and Cleaner.
 */
public final class BinlogConsumer implements AutoCloseable, Iterable<BinlogRecord> {
    static {
        Binlog.ensureLoaded();
    }

    private final BinlogReader reader;

    /**
     * Where a consumer with no position in the log yet starts ({@code binlog_start}), committed at once: the log's
     * {@link #FIRST} record, its {@link #END} at the open (the records written after it), the first record numbered
     * {@link #seq} or after, or the first, in write order, stamped {@link #time} or later (to the nanosecond).
     */
    public static final class Start {
        public static final Start FIRST = new Start(0, 0, 0), END = new Start(1, 0, 0);
        final int kind;
        final long seq, timestampNs;

        private Start(int kind, long seq, long timestampNs) {
            this.kind = kind;
            this.seq = seq;
            this.timestampNs = timestampNs;
        }

        public static Start seq(long seq) {
            return new Start(2, Options.unsigned(seq, "start seq"), 0);
        }

        public static Start time(Instant t) {
            return new Start(3, 0, Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano()));
        }
    }

    private BinlogConsumer(BinlogReader reader) {
        this.reader = reader;
    }

    /**
     * Opens consumer {@code name} of log {@code log} in {@code dir}: {@link ErrorCode#LOCKED} while another handle has
     * the name open, {@link ErrorCode#INVALID_ARGUMENT} for a name that is not 1 to 200 of {@code A-Z a-z 0-9 _ . -}
     * (not starting with {@code .}), {@link ErrorCode#CORRUPT_CONSUMER} naming the consumer's file if it is damaged.
     */
    public static BinlogConsumer open(Path dir, String log, String name, Start start) throws IOException {
        return openTiered(dir, log, name, null, start);
    }

    /**
     * As {@link #open}, reading also the log's segments shipped to {@code remote} ({@code s3://bucket/prefix}, read
     * as {@link BinlogReader#openLogTiered} reads them; null: none), so that a position in segments shipped and
     * removed locally goes on from the bucket.
     */
    public static BinlogConsumer openTiered(Path dir, String log, String name, String remote, Start start)
            throws IOException {
        byte[] d = Strings.path(dir, "dir"), l = Strings.cstring(log, "log"), n = Strings.cstring(name, "name");
        byte[] r = remote == null ? null : Strings.cstring(remote, "remote");
        long h = nativeOpen(false, d, l, n, r, start.kind, start.seq, start.timestampNs);
        return new BinlogConsumer(BinlogReader.ofConsumer(h, Strings.describe(dir, log) + " as " + name));
    }

    /**
     * Removes consumer {@code name}'s file from {@code dir} (retention stops waiting for it): {@link ErrorCode#LOCKED}
     * while a handle has it open, a {@link java.nio.file.NoSuchFileException} naming the file if there is none.
     */
    public static void remove(Path dir, String name) throws IOException {
        nativeRemove(Strings.path(dir, "dir"), Strings.cstring(name, "name"));
    }

    /** The reader it reads with: every {@link BinlogReader} call works on it. */
    public BinlogReader reader() {
        return reader;
    }

    /** {@link BinlogReader#next()}. */
    public BinlogRecord next() throws IOException {
        return reader.next();
    }

    /** {@link BinlogReader#nextWait(long)} (negative: IllegalArgumentException). */
    public BinlogRecord nextWait(Duration timeout) throws IOException {
        return reader.nextWait(timeout.isNegative() ? -1 : timeout.toMillis());
    }

    /** {@link BinlogReader#iterator()}: a record {@code hasNext()} read ahead is not committed until returned. */
    @Override
    public Iterator<BinlogRecord> iterator() {
        return reader.iterator();
    }

    /**
     * Commits every record returned so far as processed, in one small write and one fdatasync ({@code
     * binlog_consumer_commit}): once it returns, the consumer opened again goes on after them. A record a read kept
     * back ({@code hasNext()}, a {@link BinlogReader#nextInto} or batch that did not fit) is not committed.
     */
    public void commit() throws IOException {
        commit(BinlogReader.COMMIT, 0);
    }

    /**
     * Commits the records up to {@code seq}, one returned since the last commit or the last one committed (a no-op)
     * ({@code binlog_consumer_commit_seq}); {@link ErrorCode#INVALID_ARGUMENT}, naming the consumer's file, otherwise:
     * a commit by number never moves the consumer back (to do that, seek its {@link #reader()} there and {@link
     * #commit()}).
     */
    public void commit(long seq) throws IOException {
        commit(BinlogReader.COMMIT_SEQ, seq);
    }

    private void commit(int how, long seq) throws IOException {
        reader.run(h -> reader.commit(h, how, seq));
    }

    /** The sequence number the last commit goes on at ({@code binlog_consumer_committed}). */
    public long committed() throws IOException {
        return reader.call(h -> BinlogReader.nativeCall(h, BinlogReader.COMMITTED, 0));
    }

    /** Closes the reader and releases the name (records returned since the last commit are not committed). */
    @Override
    public void close() throws IOException {
        reader.close();
    }

    // natives (binlog_jni.c says what each returns); nativePosition takes a live handle

    static native long nativeOpen(boolean merged, byte[] dir, byte[] log, byte[] name, byte[] remote, int start,
            long seq, long timestampNs) throws IOException;

    static native byte[] nativePosition(long h, boolean merged, byte[] seekTo) throws IOException;

    private static native void nativeRemove(byte[] dir, byte[] name) throws IOException;
}
