package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The child JVM of {@code UnreachableServerTest}: a tiered reader takes the bucket's endpoint from the
 * process environment, which a JVM cannot change for itself. Arguments: DIR NAME REMOTE RETRY_TIMEOUT_MS.
 * Opens the tiered reader with that retry timeout and reads one record; prints "error CODE MESSAGE" on a
 * failure (else "read"), then "took MS", the milliseconds the calls took.
 */
public final class UnreachableTieredChild {
    private UnreachableTieredChild() {}

    public static void main(String[] args) throws IOException {
        Duration timeout = Duration.ofMillis(Long.parseLong(args[3]));
        long start = System.nanoTime();
        try (BinlogReader r = BinlogReader.openLogTiered(Path.of(args[0]), args[1], args[2], timeout)) {
            r.next();
            System.out.println("read");
        } catch (BinlogException e) {
            System.out.println("error " + e.code() + " " + e.getMessage());
        }
        System.out.println("took " + (System.nanoTime() - start) / 1_000_000);
    }
}
