package io.libbinlog;

import java.nio.file.AccessDeniedException;
import java.nio.file.Path;

/**
 * The child process of {@code ErrorsTest#aFileTheSystemRefusesIsAnAccessDeniedException}: opens the file
 * it is given with a reader and with a writer, and prints for each what was thrown: the refused file
 * ({@code reader: <file>}) for an AccessDeniedException with the library's message, else the exception.
 */
public final class AccessDeniedChild {
    private AccessDeniedChild() {}

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        report("reader", () -> BinlogReader.open(file).close());
        report("writer", () -> BinlogWriter.openSegment(file).close());
    }

    private static void report(String what, TestSupport.IoRunnable open) {
        try {
            open.run();
            System.out.println(what + ": opened");
        } catch (AccessDeniedException e) {
            boolean reason = e.getReason() != null && !e.getReason().isEmpty();
            System.out.println(what + ": " + e.getFile() + (reason ? "" : " (no reason)"));
        } catch (Exception e) {
            System.out.println(what + ": " + e);
        }
    }
}
