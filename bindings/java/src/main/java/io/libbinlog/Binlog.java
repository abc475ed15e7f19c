package io.libbinlog;

import java.lang.ref.Cleaner;
import java.util.OptionalLong;

/**
 * Entry point: library loading, version and shared constants.
 *
 * <p>The JNI library {@code libbinlog_jni.so} (libbinlog linked in statically) is the one the jar carries, copied
 * to a cache directory at first use, or a library of the user's own named by the system property {@code
 * io.libbinlog.jni.library} or the environment variable {@code LIBBINLOG_JNI_LIBRARY} (bindings/java/README.md,
 * "Loading").
 */
public final class Binlog {
    /** Timestamp meaning "take the clock now" ({@code BINLOG_TIME_NOW}). */
    public static final long TIME_NOW = Long.MIN_VALUE;

    /** Frees native handles whose Java owner became unreachable without close(). */
    static final Cleaner CLEANER;

    static {
        NativeLoader.load();
        CLEANER = Cleaner.create();
    }

    private Binlog() {
    }

    /** Forces class initialisation, which loads the native library. */
    static void ensureLoaded() {
    }

    /** The library version, e.g. {@code "0.1.0"} ({@code binlog_version()}). */
    public static native String version();

    /** The major version of the segment format the loaded library reads and writes. */
    public static native int formatMajor();

    /** The value at {@code at + 1} of {@code v} if the flag at {@code at} says it is known (C's has_ fields). */
    static OptionalLong known(long[] v, int at) {
        return v[at] != 0 ? OptionalLong.of(v[at + 1]) : OptionalLong.empty();
    }

    /** The constant of C value {@code code} ({@code first} that of the first), else the last one: UNKNOWN. */
    static <E extends Enum<E>> E constant(E[] values, long code, int first) {
        return code >= first && code - first < values.length - 1 ? values[(int) (code - first)]
                : values[values.length - 1];
    }

    /**
     * Summarizes every record of a segment file (plain or {@code .zst}) or of a directory holding one log
     * ({@code binlog_summary_open}; INVALID_ARGUMENT for one of several: {@link BinlogReader#summary} of a log
     * reader; a log with no segment left has every count 0). Damage throws CORRUPT. Safe from any thread.
     */
    public static Summary summarize(java.nio.file.Path path) throws java.io.IOException {
        return Summary.of(nativeSummary(0, false, Strings.path(path, "path")));
    }

    /** For {@link Summary#of}: of reader h (a merged one if {@code merged}), or with h 0 of {@code path}. */
    static native Object[] nativeSummary(long h, boolean merged, byte[] path) throws java.io.IOException;

    /** For {@link LogSegment#list}: {long[] nums, byte[][] paths}, 11 numbers and a path a file. */
    static native Object[] nativeList(byte[] dir, byte[] name) throws java.io.IOException;
}
