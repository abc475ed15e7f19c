package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Options.Builder#flushDelayUs}: a writer that idles after a write hands the record to the OS within its
 * flush delay (a reader sees it without a flush), at once with 0, and only on flush with
 * {@link Options#FLUSH_WHEN_FULL}.
 */
class FlushDelayTest {
    @TempDir
    Path dir;

    private static final byte[] IDLE = "idle".getBytes(StandardCharsets.UTF_8);

    private void seenWithoutFlush(String name, Options opts) {
        Path file = dir.resolve(name + ".binlog");
        try (Writer w = Writer.openSegment(file, opts); Reader r = Reader.open(file)) {
            w.write("t", IDLE);
            Record rec = r.nextWait(2000);
            assertNotNull(rec, name + ": record not visible within 2 s");
            assertArrayEquals(IDLE, rec.payload());
        }
    }

    @Test
    @Timeout(60)
    void idleRecordsReachTheOsWithinTheFlushDelay() {
        seenWithoutFlush("default", Options.builder().build());
        seenWithoutFlush("delay-30ms", Options.builder().flushDelayUs(30_000).build());
        seenWithoutFlush("at-once", Options.builder().flushDelayUs(0).build());
    }

    @Test
    @Timeout(60)
    void flushWhenFullKeepsRecordsBufferedUntilAFlush() {
        Path file = dir.resolve("when-full.binlog");
        Options opts = Options.builder().flushDelayUs(Options.FLUSH_WHEN_FULL).build();
        try (Writer w = Writer.openSegment(file, opts); Reader r = Reader.open(file)) {
            w.write("t", IDLE);
            assertNull(r.nextWait(200), "visible before a flush");
            w.flush();
            Record rec = r.nextWait(2000);
            assertNotNull(rec, "not visible after flush");
            assertArrayEquals(IDLE, rec.payload());
        }
    }

    @Test
    void aNegativeFlushDelayIsRefused() {
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().flushDelayUs(-1));
    }
}
