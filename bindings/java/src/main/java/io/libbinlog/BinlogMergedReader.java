package io.libbinlog;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Many logs read as one stream ordered by timestamp ({@code binlog_merged_reader_*}): ties by log name, then
 * sequence number; each log in its own order (one whose timestamps go backwards is not reordered). Each record
 * names its log ({@link BinlogMergedRecord}). {@link #nextWait} follows live logs: each call looks again at every
 * log at its end and returns the smallest of the logs' next records present then, so a record a slower log writes
 * after later ones of other logs were returned comes when it is found, not held back.
 *
 * <p>Thread-safety: it may be shared between threads, but its calls run one at a time. {@link #close()} is
 * idempotent, waits for a call in progress (a {@link #nextWait} is cut into short native waits, so close from
 * another thread returns promptly and the waiting call throws CLOSED), and frees the native reader once. An
 * unreachable, unclosed reader is freed by a {@link java.lang.ref.Cleaner}.
 */
public final class BinlogMergedReader extends HandleCalls implements Closeable, Iterable<BinlogMergedRecord> {
    /** The record {@code hasNext()} read and the iterator has not handed out yet; guarded by the lock. */
    private BinlogMergedRecord held;

    /**
     * A gap one log of a merged read met ({@link #gaps()}).
     *
     * @param log the log's name
     * @param gap the gap, as {@link BinlogReader#gaps()} gives a log's
     */
    public record LogGap(String log, Gap gap) {}

    /**
     * A damaged region one log of a merged read skipped ({@link #damages()}).
     *
     * @param log the log's name
     * @param damage the region, with the file or object it is in, as {@link BinlogReader#damages()} gives a log's
     */
    public record LogDamage(String log, Damage damage) {}

    private BinlogMergedReader(long handle, String description) {
        super(handle, BinlogMergedReader::nativeFree, "merged reader", description);
    }

    /**
     * Opens a merged reader of every log in {@code dir} (null: none) and directly under {@code remote} ({@code
     * s3://bucket/prefix}; null: none) whose name matches {@code pattern} ({@code *} any run, {@code ?} one
     * character; null: every log). A log in both is read as {@link BinlogReader#openLogTiered} reads it.
     *
     * @throws BinlogException {@link ErrorCode#NOT_FOUND} if no log matches, {@link ErrorCode#INVALID_ARGUMENT} if
     *     {@code dir} and {@code remote} are both null
     */
    public static BinlogMergedReader open(Path dir, String remote, String pattern) throws IOException {
        byte[] d = dir == null ? null : Strings.path(dir, "dir");
        byte[] r = remote == null ? null : Strings.cstring(remote, "remote");
        byte[] p = pattern == null ? null : Strings.cstring(pattern, "pattern");
        return new BinlogMergedReader(nativeOpen(d, r, p), dir + " " + remote + " " + pattern);
    }

    /**
     * Opens consumer {@code name} of every log in {@code dir} whose name matches {@code pattern} (null: every log)
     * ({@code binlog_merged_consumer_open}): each log goes on after the consumer's last {@link #commit}, one it has no
     * position in at {@code start}. The name is held as {@link BinlogConsumer#open} holds it.
     */
    public static BinlogMergedReader openConsumer(Path dir, String pattern, String name, BinlogConsumer.Start start)
            throws IOException {
        byte[] d = Strings.path(dir, "dir"), n = Strings.cstring(name, "name");
        byte[] p = pattern == null ? null : Strings.cstring(pattern, "pattern");
        long h = BinlogConsumer.nativeOpen(true, d, p, n, null, start.kind, start.seq, start.timestampNs);
        return new BinlogMergedReader(h, dir + " " + pattern + " as " + name);
    }

    /**
     * Commits every record a merged consumer returned so far, in every log, in one durable write ({@code
     * binlog_merged_consumer_commit}); INVALID_ARGUMENT for a reader that is no consumer. IllegalStateException while
     * {@code hasNext()} holds a record read ahead (the library cannot leave it out), as for {@link #position}.
     */
    public void commit() throws IOException {
        run(h -> BinlogReader.nativeCall(notHolding(h), BinlogReader.MERGED_COMMIT, 0));
    }

    /**
     * {@link BinlogReader#typeSchema} for the segment the last record came from (not one hasNext() read ahead): empty
     * before the first record, and after {@link #seekPosition} until the next.
     */
    public Optional<TypeSchema> typeSchema(String type) throws IOException {
        return typeSchema(type, true, this::notHolding);
    }

    /** A token of where this reader stands in each log ({@code binlog_merged_reader_position}). */
    public String position() throws IOException {
        return call(h -> utf8(BinlogConsumer.nativePosition(notHolding(h), true, null)));
    }

    /**
     * Positions each log {@code token} ({@link #position}) names where it says; INVALID_ARGUMENT for a log
     * not here or text that is no token.
     */
    public void seekPosition(String token) throws IOException {
        byte[] t = Strings.cstring(token, "token");
        run(h -> {
            BinlogConsumer.nativePosition(h, true, t);
            held = null; // once it moved
        });
    }

    /**
     * Reads on to the end (its time window applies) and summarizes what it read from where it stood, in merged order
     * ({@code binlog_summary_of_merged}). IllegalStateException while {@code hasNext()} holds a record read ahead, as
     * for {@link #position}.
     */
    public Summary summary() throws IOException {
        return call(h -> Summary.of(Binlog.nativeSummary(notHolding(h), true, null)));
    }

    private long notHolding(long h) {
        if (held != null) {
            throw new IllegalStateException("a record hasNext() read ahead is not returned yet: call next() first");
        }
        return h;
    }

    /**
     * Reads only records with timestamps in {@code [fromNs, toNs)} ({@link Long#MIN_VALUE}, {@link Long#MAX_VALUE}:
     * that end open); a sealed segment whose seal says none of its records is in it is not read. Call before the
     * first record.
     */
    public void timeWindow(long fromNs, long toNs) throws IOException {
        run(h -> nativeTimeWindow(h, fromNs, toNs));
    }

    /**
     * With {@code skip} true, every log's reader skips damaged regions in the middle of segments and goes on with
     * the next valid record ({@link #damages()}). By default a log's damage throws {@link ErrorCode#CORRUPT} naming
     * its file and offset, and that log is read no further.
     */
    public void skipDamaged(boolean skip) throws IOException {
        run(h -> nativeSkipDamaged(h, skip));
    }

    /**
     * The next record in merged order, or null once every log is read to its end for now (a call after that looks
     * at every log again). An error names the log's file or object; that log is then read no further.
     */
    public BinlogMergedRecord next() throws IOException {
        return call(h -> fetch(h, -1));
    }

    /**
     * Like {@link #next()}, but when no log has a record waits up to {@code timeoutMs} for one to be written to any
     * log, following each log across its rolls (see the class comment for the order). Returns null on timeout, or early
     * (with the interrupt status kept) if the thread is interrupted. Throws CLOSED if the reader is closed meanwhile.
     */
    public BinlogMergedRecord nextWait(long timeoutMs) throws IOException {
        return waitSliced(timeoutMs, slice -> h -> fetch(h, slice));
    }

    /** The record {@code hasNext()} held, else the next one read (waiting up to {@code waitMs} if not negative). */
    private BinlogMergedRecord fetch(long h, long waitMs) throws IOException {
        if (held != null) {
            BinlogMergedRecord r = held;
            held = null;
            return r;
        }
        long[] nums = new long[3];
        byte[][] got = nativeNext(h, waitMs, nums);
        if (got == null) {
            return null;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (int i = 3; i + 1 < got.length; i += 2) {
            meta.put(utf8(got[i]), utf8(got[i + 1]));
        }
        BinlogRecord rec = new BinlogRecord(nums[0], nums[1], utf8(got[1]), got[2],
                meta.isEmpty() ? Collections.emptyMap() : Collections.unmodifiableMap(meta), nums[2]);
        return new BinlogMergedRecord(utf8(got[0]), rec);
    }

    /**
     * The records there are now, for {@code for (BinlogMergedRecord r : reader)}: {@code hasNext()} reads the next
     * record and keeps it back, so none is lost when a loop stops early; the iteration ends where {@link #next()}
     * would return null. A read that fails throws {@link java.io.UncheckedIOException}.
     */
    @Override
    public Iterator<BinlogMergedRecord> iterator() {
        return iterator(() -> call(h -> (held = fetch(h, -1)) != null), this::next);
    }

    /** Every gap the logs met so far, by log name and each log's oldest first ({@code binlog_merged_reader_gaps}). */
    public List<LogGap> gaps() throws IOException {
        return problems(true, false, (v, at, path, log) -> new LogGap(utf8(log), Gap.of(v, at, utf8(path))));
    }

    /**
     * Every damaged region the logs skipped so far ({@link #skipDamaged}), by log name and each log's in the order
     * met, each with the file or object it is in ({@code binlog_merged_reader_damages}).
     */
    public List<LogDamage> damages() throws IOException {
        return problems(true, true, (v, at, path, log) -> new LogDamage(utf8(log), Damage.of(v, at, utf8(path))));
    }

    /** Frees the native reader (see the class comment). */
    @Override
    public void close() {
        closeOnce(false, p -> held = null); // the Cleaner's action frees the handle, once
    }

    /** {@code binlog_merged_reader_open}; each argument may be null. */
    private static native long nativeOpen(byte[] dir, byte[] remote, byte[] pattern) throws IOException;

    private static native void nativeTimeWindow(long h, long fromNs, long toNs) throws IOException;

    private static native void nativeSkipDamaged(long h, boolean skip) throws IOException;

    private static native byte[][] nativeNext(long h, long waitMs, long[] nums) throws IOException;

    private static native void nativeFree(long h);
}
