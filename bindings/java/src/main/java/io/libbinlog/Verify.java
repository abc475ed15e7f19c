package io.libbinlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.OptionalLong;

/**
 * A verification of a segment file or a log directory ({@code binlog_verify}): the library's
 * findings, in file order, segment by segment, each segment verified when {@link #next} reaches it
 * (a clean sealed segment gives none; past {@link #MAX_FINDINGS} of a segment, one {@link
 * Finding.Kind#NOT_LISTED} counts the rest), then, for a log, one about its manifest if it cannot
 * be used ({@link Finding.Kind#MANIFEST_DAMAGED}, {@link Finding.Kind#MANIFEST_UNUSED}, {@link
 * Finding.Kind#UNREADABLE}). A file's damage is a {@link Finding}, not an exception.
 *
 * <p>Thread-safe: calls take turns. {@link #close} is idempotent and waits for a call in progress;
 * later calls throw {@link ErrorCode#CLOSED}. An unreachable, unclosed verification is freed by a
 * {@link Cleaner}.
 */
public final class Verify implements AutoCloseable, Iterable<Finding> {
    static {
        Binlog.ensureLoaded();
    }

    /** The findings listed per segment ({@code BINLOG_VERIFY_MAX_FINDINGS}). */
    public static final int MAX_FINDINGS = 1000;

    /** Segments verified so far and the valid records in them. */
    public record Counts(long segments, long records) {}

    private final Cleaner.Cleanable cleanable;
    private final String description;
    /** The native binlog_verify*, or 0 once closed; guarded by this. */
    private long handle;
    // Scratch for nativeNext, guarded by this (see binlog_jni.c).
    private final long[] nums = new long[9];
    private final byte[][] strs = new byte[2][];

    private Verify(long handle, String description) {
        this.handle = handle;
        this.description = description;
        this.cleanable = Binlog.CLEANER.register(this, freeing(handle));
    }

    /** What frees the handle, once (by close or the Cleaner); it must not hold the Verify. */
    private static Runnable freeing(long handle) {
        return () -> nativeFree(handle);
    }

    /** {@link #open(Path, String)} with no log name: a segment file, or the one log of a directory. */
    public static Verify open(Path path) throws IOException {
        return open(path, null);
    }

    /**
     * Opens a verification of {@code path}: a segment file (plain or {@code .zst}) or a log
     * directory, then of log {@code logName} in it, or with {@code logName} null of the one log whose
     * files it holds ({@link ErrorCode#NOT_FOUND} if none, {@link ErrorCode#INVALID_ARGUMENT} if
     * several).
     */
    public static Verify open(Path path, String logName) throws IOException {
        byte[] p = Strings.path(path, "path");
        byte[] n = logName == null ? null : Strings.cstring(logName, "log name");
        long h = nativeOpen(p, n);
        try {
            return new Verify(h, path.toString());
        } catch (RuntimeException | Error e) {
            nativeFree(h);
            throw e;
        }
    }

    /** The next finding, or null once every segment is verified. */
    public synchronized Finding next() throws IOException {
        boolean found;
        try {
            found = nativeNext(live(), nums, strs);
        } finally {
            Reference.reachabilityFence(this); // the Cleaner must not free the handle during the call
        }
        if (!found) {
            return null;
        }
        return new Finding(Finding.Kind.of(nums[0]), new String(strs[0], Strings.FILE_NAMES),
                nums[1] != 0 ? OptionalLong.of(nums[2]) : OptionalLong.empty(), nums[3],
                nums[4] != 0 ? OptionalLong.of(nums[5]) : OptionalLong.empty(),
                nums[4] != 0 ? OptionalLong.of(nums[6]) : OptionalLong.empty(), Finding.Repair.of(nums[7]),
                nums[8] != 0, new String(strs[1], StandardCharsets.UTF_8));
    }

    /** The segments verified so far and the valid records in them (after the last finding: of the whole path). */
    public synchronized Counts counts() throws IOException {
        long[] out = new long[2];
        try {
            nativeCounts(live(), out);
        } finally {
            Reference.reachabilityFence(this);
        }
        return new Counts(out[0], out[1]);
    }

    /**
     * The findings not returned yet; a failed step (as {@link BinlogClosedException} after
     * {@link #close}) throws {@link UncheckedIOException} wrapping it.
     */
    @Override
    public Iterator<Finding> iterator() {
        return new Iterator<>() {
            private Finding ahead;

            @Override
            public boolean hasNext() {
                if (ahead == null) {
                    try {
                        ahead = Verify.this.next();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return ahead != null;
            }

            @Override
            public Finding next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("no more findings: " + description);
                }
                Finding f = ahead;
                ahead = null;
                return f;
            }
        };
    }

    private long live() throws IOException {
        if (handle == 0) {
            throw new BinlogClosedException(description + ": verification is closed");
        }
        return handle;
    }

    /** Frees the verification; closing again does nothing. */
    @Override
    public synchronized void close() {
        handle = 0;
        cleanable.clean(); // frees the handle, once: the Cleaner will not run it again
    }

    @Override
    public String toString() {
        return "Verify{" + description + "}";
    }

    private static native long nativeOpen(byte[] path, byte[] logName) throws IOException;

    private static native boolean nativeNext(long h, long[] nums, byte[][] strs) throws IOException;

    private static native void nativeCounts(long h, long[] out) throws IOException;

    private static native void nativeFree(long h);

    /** The library's name of finding kind (kind) or repair action {@code code}; null if none. */
    static native String nativeName(boolean kind, int code);
}
