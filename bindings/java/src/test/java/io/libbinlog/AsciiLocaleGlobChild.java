package io.libbinlog;

import java.nio.file.Path;

/**
 * The child JVM of {@code FileNamesTest#globPatternOutsideTheFileNameCharsetWorksAndLeaksNothing}: run
 * under the C locale, where {@code sun.jnu.encoding} is ASCII, it opens a glob reader with a non-ASCII
 * pattern (which the library gets as UTF-8, as the files on disk are named) and reports what it read,
 * or what was thrown, and how many file descriptors it holds before the open and after the close.
 */
public final class AsciiLocaleGlobChild {
    private AsciiLocaleGlobChild() {}

    private static int fds() {
        String[] l = new java.io.File("/proc/self/fd").list();
        return l == null ? -1 : l.length;
    }

    public static void main(String[] args) {
        System.out.println("jnu " + System.getProperty("sun.jnu.encoding"));
        Path dir = Path.of(args[0]);
        Binlog.version(); // load the library before counting
        int before = fds();
        try {
            int n = 0;
            try (BinlogReader r = BinlogReader.openGlob(dir, "\u00e9*.binlog")) {
                while (r.next() != null) {
                    n++;
                }
            }
            System.out.println("records " + n);
        } catch (Throwable t) {
            System.out.println("error " + t);
        }
        System.out.println("fd-delta " + (fds() - before));
    }
}
