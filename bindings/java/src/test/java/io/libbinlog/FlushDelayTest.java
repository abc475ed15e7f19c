package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Options.Builder#flushDelayUs}: a writer that idles after a write hands the record to the OS within its
 * flush delay (a reader sees it without a flush) and not before (a 2 s delay keeps it from a reader for the first
 * 200 ms), before the write returns with 0, and only on flush with {@link Options#FLUSH_WHEN_FULL}. Timing bounds
 * only ever wait longer on a loaded machine: a record seen too early is a delay not honoured.
 */
class FlushDelayTest {
    @TempDir
    Path dir;

    private static final byte[] IDLE = "idle".getBytes(StandardCharsets.UTF_8);

    /** Writes a record; the reader does not see it for {@code hiddenMs}, then sees it within {@code seenMs}. */
    private void seenWithoutFlush(String name, Options opts, long hiddenMs, long seenMs) throws IOException {
        Path file = dir.resolve(name + ".binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, opts)) {
            w.write("t", IDLE);
            try (BinlogReader r = BinlogReader.open(file)) {
                if (hiddenMs > 0) {
                    assertNull(r.nextWait(hiddenMs), name + ": visible within " + hiddenMs + " ms of its write");
                }
                BinlogRecord rec = r.nextWait(seenMs);
                assertNotNull(rec, name + ": record not visible within " + seenMs + " ms");
                assertArrayEquals(IDLE, rec.payload());
            }
        }
    }

    @Test
    @Timeout(60)
    void idleRecordsReachTheOsWithinTheFlushDelayAndNotBefore() throws Exception {
        seenWithoutFlush("default", Options.builder().build(), 0, 2000);
        seenWithoutFlush("delay-30ms", Options.builder().flushDelayUs(30_000).build(), 0, 2000);
        seenWithoutFlush("delay-2s", Options.builder().flushDelayUs(2_000_000).build(), 200, 5000);
    }

    @Test
    @Timeout(60)
    void aZeroFlushDelayHandsRecordsOverBeforeTheWriteReturns() throws Exception {
        Path file = dir.resolve("at-once.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().flushDelayUs(0).build())) {
            w.write("t", IDLE);
            try (BinlogReader r = BinlogReader.open(file)) {
                BinlogRecord rec = r.next();
                assertNotNull(rec, "not in the file when write returned");
                assertArrayEquals(IDLE, rec.payload());
            }
        }
    }

    @Test
    @Timeout(60)
    void flushWhenFullKeepsRecordsBufferedUntilAFlush() throws Exception {
        Path file = dir.resolve("when-full.binlog");
        Options opts = Options.builder().flushDelayUs(Options.FLUSH_WHEN_FULL).build();
        try (BinlogWriter w = BinlogWriter.openSegment(file, opts); BinlogReader r = BinlogReader.open(file)) {
            w.write("t", IDLE);
            assertNull(r.nextWait(200), "visible before a flush");
            w.flush();
            BinlogRecord rec = r.nextWait(2000);
            assertNotNull(rec, "not visible after flush");
            assertArrayEquals(IDLE, rec.payload());
        }
    }

    @Test
    void aNegativeFlushDelayIsRefused() throws Exception {
        TestSupport.badOption(() -> Options.builder().flushDelayUs(-1));
    }
}
