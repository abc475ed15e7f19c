package io.libbinlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.OptionalLong;

/**
 * A verification of a segment file or a log directory ({@code binlog_verify}): the library's findings, in file order,
 * segment by segment, each segment verified when {@link #next} reaches it (a clean sealed segment gives none; past
 * {@link #MAX_FINDINGS} of a segment, one {@link Finding.Kind#NOT_LISTED} counts the rest), then, for a log, one about
 * its manifest if it cannot be used ({@link Finding.Kind#MANIFEST_DAMAGED}, {@link Finding.Kind#MANIFEST_UNUSED},
 * {@link Finding.Kind#UNREADABLE}). A file's damage is a {@link Finding}, not an exception.
 *
 * <p>Thread-safe: calls take turns. {@link #close} is idempotent and waits for a call in progress; later calls throw
 * {@link ErrorCode#CLOSED}. An unreachable, unclosed verification is freed by a {@link Cleaner}.
 */
public final class Verify extends HandleCalls implements AutoCloseable, Iterable<Finding> {
    /** The findings listed per segment ({@code BINLOG_VERIFY_MAX_FINDINGS}). */
    public static final int MAX_FINDINGS = 1000;

    /** Segments verified so far and the valid records in them. */
    public record Counts(long segments, long records) {}

    /** The finding {@code hasNext()} read and the iterator has not handed out yet; guarded by the lock. */
    private Finding held;

    private Verify(long handle, String description) {
        super(handle, Verify::nativeFree, "verification", description);
    }

    /** {@link #open(Path, String)} with no log name: a segment file, or the one log of a directory. */
    public static Verify open(Path path) throws IOException {
        return open(path, null);
    }

    /**
     * Opens a verification of {@code path}: a segment file (plain or {@code .zst}) or a log directory, then of log
     * {@code logName} in it, or with {@code logName} null of the one log whose files it holds ({@link
     * ErrorCode#NOT_FOUND} if none, {@link ErrorCode#INVALID_ARGUMENT} if several).
     */
    public static Verify open(Path path, String logName) throws IOException {
        return open(path, logName, null);
    }

    /**
     * {@link #open(Path, String)}, verifying signed seals against the Ed25519 public key in the file {@code
     * trustedKey} unless it is null ({@code binlog keys new KEY} writes {@code KEY.pub}; a file that is no public key
     * is {@link ErrorCode#INVALID_ARGUMENT}): each sealed segment signed by it (else {@link Finding.Kind#UNSIGNED},
     * {@link Finding.Kind#OTHER_KEY} or {@link Finding.Kind#BAD_SIGNATURE}), and a log's segments one chain (else
     * {@link Finding.Kind#CHAIN_GAP}, {@link Finding.Kind#NOT_IN_CHAIN}, {@link Finding.Kind#REORDERED} or {@link
     * Finding.Kind#DUPLICATE}). A signed seal's digest is checked in any case ({@link Finding.Kind#RECORDS_CHANGED}).
     */
    public static Verify open(Path path, String logName, Path trustedKey) throws IOException {
        return open(path, logName, trustedKey, null);
    }

    /**
     * {@link #open(Path, String, Path)}, checking a log's newest segments against its signed head in the file {@code
     * head} unless it is null: a copy of {@code <log>.head} (which a writer with a signing key keeps in the log's
     * directory) kept where the writer's host cannot change it. A head naming a segment the log no longer holds is
     * {@link Finding.Kind#CUT_OFF} (its newest segments cut off; the finding's location is the head's file), one
     * signed by another key {@link Finding.Kind#OTHER_KEY}, one that does not verify {@link Finding.Kind#BAD_SIGNATURE}. A head needs a {@code trustedKey} (else {@link
     * ErrorCode#INVALID_ARGUMENT}, as for a file that is no signed head).
     */
    public static Verify open(Path path, String logName, Path trustedKey, Path head) throws IOException {
        byte[] p = Strings.path(path, "path");
        byte[] n = logName == null ? null : Strings.cstring(logName, "log name");
        byte[] k = trustedKey == null ? null : Strings.path(trustedKey, "trusted key");
        byte[] h = head == null ? null : Strings.path(head, "head");
        return new Verify(nativeOpen(p, n, k, h), path.toString());
    }

    /** The next finding, or null once every segment is verified. */
    public Finding next() throws IOException {
        return call(this::fetch);
    }

    private Finding fetch(long h) throws IOException {
        if (held != null) {
            Finding f = held;
            held = null;
            return f;
        }
        long[] nums = new long[9];
        byte[][] strs = nativeNext(h, nums);
        if (strs == null) {
            return null;
        }
        return new Finding(Finding.of(Finding.Kind.values(), nums[0], 1, "finding kind"),
                new String(strs[0], Strings.FILE_NAMES), Binlog.known(nums, 1), nums[3],
                nums[4] != 0 ? OptionalLong.of(nums[5]) : OptionalLong.empty(),
                nums[4] != 0 ? OptionalLong.of(nums[6]) : OptionalLong.empty(),
                Finding.of(Finding.Repair.values(), nums[7], 0, "repair action"), nums[8] != 0,
                new String(strs[1], StandardCharsets.UTF_8));
    }

    /** The segments verified so far and the valid records in them (after the last finding: of the whole path). */
    public Counts counts() throws IOException {
        long[] out = new long[2];
        run(h -> nativeCounts(h, out));
        return new Counts(out[0], out[1]);
    }

    /**
     * The findings not returned yet ({@code hasNext()} keeps the one it read for the next call of either); a failed
     * step (as {@link BinlogClosedException} after {@link #close}) throws {@link UncheckedIOException} wrapping it.
     */
    @Override
    public Iterator<Finding> iterator() {
        return iterator(() -> call(h -> (held = fetch(h)) != null), this::next);
    }

    /** Frees the verification; closing again does nothing. */
    @Override
    public void close() {
        closeOnce(false, p -> held = null); // the Cleaner's action frees the handle, once
    }

    private static native long nativeOpen(byte[] path, byte[] logName, byte[] key, byte[] head) throws IOException;

    private static native byte[][] nativeNext(long h, long[] nums) throws IOException;

    private static native void nativeCounts(long h, long[] out) throws IOException;

    private static native void nativeFree(long h);

    /** The library's name of finding kind (kind) or repair action {@code code}; null if none. */
    static native String nativeName(boolean kind, int code);
}
