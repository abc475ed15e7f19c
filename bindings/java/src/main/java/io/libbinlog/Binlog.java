package io.libbinlog;

import java.lang.ref.Cleaner;

/**
 * Entry point: library loading, version and shared constants.
 *
 * <p>The JNI library {@code libbinlog_jni.so} is loaded with
 * {@code System.loadLibrary("binlog_jni")} (so {@code -Djava.library.path}
 * must name its directory), or from the absolute path in the system
 * property {@code io.libbinlog.jni.library} when that is set. It finds
 * {@code libbinlog.so} through its rpath or {@code LD_LIBRARY_PATH}.
 */
public final class Binlog {
    /** Timestamp meaning "take the clock now" ({@code BINLOG_TIME_NOW}). */
    public static final long TIME_NOW = Long.MIN_VALUE;

    /** Frees native handles whose Java owner became unreachable without close(). */
    static final Cleaner CLEANER;

    static {
        String path = System.getProperty("io.libbinlog.jni.library");
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("binlog_jni");
        }
        CLEANER = Cleaner.create();
    }

    private Binlog() {
    }

    /** Forces class initialisation, which loads the native library. */
    static void ensureLoaded() {
        // the static initialiser did the work
    }

    /** The library version, e.g. {@code "0.1.0"} ({@code binlog_version()}). */
    public static String version() {
        return nativeVersion();
    }

    /** The major version of the segment format the loaded library reads and writes. */
    public static int formatMajor() {
        return nativeFormatMajor();
    }

    private static native String nativeVersion();

    private static native int nativeFormatMajor();
}
