package io.libbinlog;

import java.nio.file.Path;

/**
 * The child JVM of {@code FileNamesTest#globPatternOutsideTheFileNameCharsetWorksAndLeaksNothing}: run
 * under the C locale, where {@code sun.jnu.encoding} is ASCII, it opens a glob reader with a non-ASCII
 * pattern (which the library gets as UTF-8, as the files on disk are named) and reports what it read,
 * or what was thrown, and how many file descriptors it holds on the directory's files before the open
 * and after the close.
 */
public final class AsciiLocaleGlobChild {
    private AsciiLocaleGlobChild() {}

    /**
     * The file descriptors open on {@code dir} or a file in it: the JVM itself opens and keeps others
     * (class files, jars) at times of its own, so a count of all of them is no measure of a leak.
     */
    private static int fdsIn(Path dir) {
        java.io.File[] l = new java.io.File("/proc/self/fd").listFiles();
        if (l == null) {
            return -1;
        }
        int n = 0;
        for (java.io.File fd : l) {
            try {
                if (java.nio.file.Files.readSymbolicLink(fd.toPath()).startsWith(dir)) {
                    n++;
                }
            } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
                // Closed meanwhile (the listing's own), or a name this charset cannot hold: not in dir.
            }
        }
        return n;
    }

    public static void main(String[] args) {
        System.out.println("jnu " + System.getProperty("sun.jnu.encoding"));
        Path dir = Path.of(args[0]);
        Binlog.version(); // load the library before counting
        int before = fdsIn(dir);
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
        System.out.println("fd-delta " + (fdsIn(dir) - before));
    }
}
