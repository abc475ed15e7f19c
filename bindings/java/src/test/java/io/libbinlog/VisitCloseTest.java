package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class VisitCloseTest {
    @TempDir
    Path dir;

    /**
     * visitAll over a segment that keeps growing (the visitor itself appends
     * the next record, so END never comes until it stops): a close() from
     * another thread must not wait for the whole stream.
     */
    @Test
    @Timeout(120)
    void closeStopsAVisitAllThatWouldNotEnd() throws Exception {
        Path file = dir.resolve("live.binlog");
        int limit = 5000;
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("t", new byte[8]);
            w.flush();
            BinlogReader r = BinlogReader.open(file);
            AtomicLong seen = new AtomicLong();
            AtomicLong afterClose = new AtomicLong();
            Thread closer = new Thread(TestSupport.unchecked(r::close));
            BinlogException e = null;
            try {
                r.visitAll(v -> {
                    long n = seen.incrementAndGet();
                    if (n == 1) {
                        closer.start();
                        while (!r.isClosed()) {
                            Thread.onSpinWait(); // close() has asked for the reader
                        }
                    } else {
                        afterClose.incrementAndGet();
                    }
                    if (n < limit) {
                        w.write("t", new byte[8]);
                        w.flush();
                    }
                });
            } catch (BinlogException ex) {
                e = ex;
            }
            closer.join();
            assertTrue(afterClose.get() == 0,
                    "visitAll went on for " + afterClose.get() + " records after close() asked for the reader");
            assertEquals(ErrorCode.CLOSED, e == null ? null : e.code());
            assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, r::next).code());
        }
    }
}
