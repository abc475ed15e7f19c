package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static io.libbinlog.TestSupport.inThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link Options.Builder#syncWaitSpinUs}: group commit with spinning waiters, and the option's limits. */
class SyncSpinTest {
    @TempDir
    Path dir;

    /** Writers that wait for another thread's fdatasync still return only once their record is durable. */
    @Test
    @Timeout(120)
    void spinningWaitersReturnDurableRecords() throws Exception {
        int threads = 4;
        int perThread = 50;
        Path file = dir.resolve("spin.binlog");
        Options opts = Options.builder().durability(Durability.EVERY_RECORD).syncWaitSpinUs(300).build();
        List<Throwable> errors;
        try (BinlogWriter w = BinlogWriter.openSegment(file, opts)) {
            errors = inThreads(threads, id -> {
                for (int i = 0; i < perThread; i++) {
                    long seq = w.write("s", ByteBuffer.allocate(8).putInt(id).putInt(i).array());
                    long durable = w.durableSeq();
                    assertTrue(seq < durable, "thread " + id + ": seq " + seq + ", durableSeq " + durable);
                }
            });
        }
        assertTrue(errors.isEmpty(), () -> "writer threads failed: " + errors);

        boolean[][] seen = new boolean[threads][perThread];
        long count = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                assertEquals(count++, rec.seq(), "gap-free sequence");
                ByteBuffer p = ByteBuffer.wrap(rec.payload());
                int id = p.getInt();
                int i = p.getInt();
                assertFalse(seen[id][i], "thread " + id + " write " + i + " read twice");
                seen[id][i] = true;
            }
        }
        assertEquals((long) threads * perThread, count, "every record once");
    }

    /** The library refuses a spin over 10 ms, naming the option; JNI refuses what would wrap in uint32_t. */
    @Test
    void limit() throws Exception {
        BinlogException e = expect(ErrorCode.INVALID_ARGUMENT,
                () -> Options.builder().durability(Durability.EVERY_RECORD).syncWaitSpinUs(10_001).build());
        assertTrue(e.getMessage().contains("sync_wait_spin"), e.getMessage());

        Options max = Options.builder().durability(Durability.EVERY_RECORD).syncWaitSpinUs(10_000).build();
        try (BinlogWriter w = BinlogWriter.openSegment(dir.resolve("max.binlog"), max)) {
            assertEquals(0, w.write("t", new byte[] {1}));
        }

        TestSupport.badOption(() -> Options.builder().syncWaitSpinUs(-1));
        // 2^32 would wrap to 0, an accepted value, if narrowed unchecked.
        e = expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().syncWaitSpinUs(1L << 32).build());
        assertTrue(e.getMessage().contains("sync_wait_spin"), e.getMessage());
    }
}
