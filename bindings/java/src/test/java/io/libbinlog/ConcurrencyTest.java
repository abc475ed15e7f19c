package io.libbinlog;

import static io.libbinlog.TestSupport.inThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void eightThreadsWriteToOneWriter() throws Exception {
        int threads = 8;
        int perThread = 20_000;
        Path file = dir.resolve("mt.binlog");
        List<Throwable> errors;
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().bufferSize(64 << 10).build())) {
            errors = inThreads(threads, id -> {
                ByteBuffer direct = ByteBuffer.allocateDirect(8);
                for (int i = 0; i < perThread; i++) {
                    // mix the three write paths
                    switch (i % 3) {
                        case 0:
                            w.write("t" + id, ByteBuffer.allocate(8).putInt(id).putInt(i).array());
                            break;
                        case 1:
                            direct.clear();
                            direct.putInt(id).putInt(i).flip();
                            w.write("t" + id, direct);
                            break;
                        default:
                            w.write("t" + id, ByteBuffer.allocate(8).putInt(id).putInt(i).array(),
                                    Map.of("thread", Integer.toString(id)), Binlog.TIME_NOW);
                    }
                }
            });
        }
        assertTrue(errors.isEmpty(), () -> "writer threads failed: " + errors);

        int[] next = new int[threads];
        long expectSeq = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                assertEquals(expectSeq++, rec.seq(), "gap-free sequence");
                ByteBuffer p = ByteBuffer.wrap(rec.payload());
                int id = p.getInt();
                int i = p.getInt();
                assertEquals("t" + id, rec.type());
                assertEquals(next[id], i, "thread " + id + " in order");
                next[id]++;
            }
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(perThread, next[t], "every record of thread " + t + " once");
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrowClosed() throws Exception {
        Path file = dir.resolve("idem.binlog");
        BinlogWriter w = BinlogWriter.openSegment(file);
        w.write("a", new byte[] {1});
        w.close();
        w.close();
        assertTrue(w.isClosed());
        for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> w.write("a", new byte[] {1}),
                () -> w.write("a", ByteBuffer.allocateDirect(1)),
                () -> w.writeBatch("a", ByteBuffer.allocateDirect(1), new int[] {1}),
                w::flush, w::sync, w::nextSeq, w::durableSeq, w::roll, w::pollSealed)) {
            BinlogException e = assertThrows(BinlogException.class, call);
            assertEquals(ErrorCode.CLOSED, e.code());
            assertEquals(14, e.rawCode());
        }

        BinlogReader r = BinlogReader.open(file);
        r.close();
        r.close();
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, r::next).code());
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, () -> r.seekSeq(0)).code());
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, () -> r.nextWait(10)).code());
    }

    @Test
    @Timeout(120)
    void closeRacingWritesFromOtherThreads() throws Exception {
        for (int round = 0; round < 20; round++) {
            Path file = dir.resolve("race" + round + ".binlog");
            BinlogWriter w = BinlogWriter.openSegment(file);
            int threads = 6;
            AtomicLong written = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            CountDownLatch running = new CountDownLatch(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    ByteBuffer direct = ByteBuffer.allocateDirect(32);
                    running.countDown();
                    try {
                        for (long i = 0; ; i++) {
                            if (id % 3 == 0) {
                                w.write("x", new byte[20_000]); // pinned array path
                            } else if (id % 3 == 1) {
                                direct.clear();
                                w.write("x", direct);
                            } else {
                                direct.clear();
                                w.writeBatch("x", direct, new int[] {16, 16});
                                written.incrementAndGet();
                            }
                            written.incrementAndGet();
                            if (i % 64 == 0) {
                                w.flush();
                            }
                        }
                    } catch (BinlogException e) {
                        if (e.code() != ErrorCode.CLOSED) {
                            unexpected.add(e);
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                });
                th.start();
                ts.add(th);
            }
            running.await();
            Thread.sleep(5 + round);
            Thread closer = new Thread(TestSupport.unchecked(w::close));
            closer.start();
            w.close(); // two closers race each other too
            closer.join();
            for (Thread th : ts) {
                th.join(30_000);
                assertFalse(th.isAlive(), "writer thread stopped");
            }
            assertTrue(unexpected.isEmpty(), () -> "unexpected: " + unexpected);
            assertEquals(ErrorCode.CLOSED,
                    assertThrows(BinlogException.class, () -> w.write("x", new byte[1])).code());
            long count = 0;
            try (BinlogReader r = BinlogReader.open(file)) {
                while (r.next() != null) {
                    count++;
                }
                assertEquals(Tail.Kind.SEALED, r.tail().kind());
            }
            assertEquals(written.get(), count, "every acknowledged write is in the sealed file");
        }
    }

    /** Opens a writer and drops it without closing: only the Cleaner can release its lock. */
    private static void leakWriter(Path file) throws IOException {
        BinlogWriter w = BinlogWriter.openSegment(file);
        w.write("leaked", new byte[] {1, 2, 3});
    }

    @Test
    @Timeout(120)
    void cleanerFreesAnUnreachableWriter() throws Exception {
        Path file = dir.resolve("leak.binlog");
        leakWriter(file);
        BinlogException locked = assertThrows(BinlogException.class, () -> BinlogWriter.openSegment(file));
        assertEquals(ErrorCode.LOCKED, locked.code());

        BinlogWriter second = null;
        long deadline = System.nanoTime() + 60_000_000_000L;
        int attempts = 0;
        while (second == null) {
            System.gc();
            Thread.sleep(50);
            attempts++;
            try {
                second = BinlogWriter.openSegment(file);
            } catch (BinlogException e) {
                assertEquals(ErrorCode.LOCKED, e.code());
                if (System.nanoTime() > deadline) {
                    fail("the Cleaner never released the leaked writer's lock after " + attempts + " GCs");
                }
            }
        }
        try (BinlogWriter w = second) {
            assertEquals(1, w.write("after", new byte[0]), "the leaked record was flushed and sealed by the Cleaner");
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals("leaked", r.next().type());
            assertEquals("after", r.next().type());
            assertNull(r.next());
        }
    }

    private static void leakReader(Path file) throws IOException {
        BinlogReader r = BinlogReader.open(file);
        r.next();
    }

    @Test
    void cleanerFreesAnUnreachableReader() throws Exception {
        Path file = dir.resolve("leakr.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1});
        }
        for (int i = 0; i < 1000; i++) {
            leakReader(file); // each maps the file; without the Cleaner these would pile up
        }
        System.gc();
        Thread.sleep(100);
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals("a", r.next().type());
        }
    }

    @Test
    @Timeout(120)
    void closeFromAnotherThreadEndsANextWait() throws Exception {
        Path file = dir.resolve("wait.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1});
            w.flush();
            BinlogReader r = BinlogReader.open(file);
            r.next();
            Live.assertCloseEndsWait(r, () -> r.nextWait(3_600_000));
        }
    }

    /** A wait of an hour that returns was ended by the interrupt. */
    @Test
    @Timeout(120)
    void interruptEndsANextWait() throws Exception {
        Path file = dir.resolve("intr.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file); BinlogReader r = BinlogReader.open(file)) {
            w.flush();
            Thread.currentThread().interrupt();
            assertNull(r.nextWait(3_600_000));
            assertTrue(Thread.interrupted(), "interrupt status kept");
        }
    }

    /**
     * A reader call that finds another thread's call in progress waits for it, then runs: here a next() waits for the
     * visit of record 0 and returns record 1; an interrupt meanwhile neither ends the wait nor is lost.
     */
    @Test
    @Timeout(120)
    void aCallWaitsForAnotherThreadsCallAndKeepsItsInterrupt() throws Exception {
        Path file = TestSupport.segment(dir.resolve("lock.binlog"), "zero", "one");
        try (BinlogReader r = BinlogReader.open(file)) {
            List<Object> got = new ArrayList<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    got.add(r.next().seq());
                } catch (IOException e) {
                    got.add(e);
                }
                got.add(Thread.currentThread().isInterrupted());
            });
            assertTrue(r.visitNext(v -> {
                t.start();
                while (LockSupport.getBlocker(t) == null && t.isAlive()) {
                    Thread.onSpinWait(); // until it waits for this visit
                }
                assertTrue(t.isAlive(), "next() returned during another thread's visit: " + got);
                assertEquals(0, v.seq());
            }));
            t.join();
            assertEquals(List.of(1L, true), got);
        }
    }

    /** close() from another thread during a visitNext waits for the visit to return; the view is valid until then. */
    @Test
    @Timeout(120)
    void closeDuringAVisitWaitsForTheVisit() throws Exception {
        BinlogReader r = BinlogReader.open(TestSupport.segment(dir.resolve("close.binlog"), "zero", "one"));
        Thread closer = new Thread(TestSupport.unchecked(r::close));
        assertTrue(r.visitNext(v -> {
            closer.start();
            while (LockSupport.getBlocker(closer) == null && closer.isAlive()) {
                Thread.onSpinWait();
            }
            assertTrue(closer.isAlive(), "close() returned during a visit");
            assertEquals("zero", StandardCharsets.UTF_8.decode(v.payload()).toString());
        }));
        closer.join();
        assertTrue(r.isClosed());
        assertThrows(BinlogClosedException.class, () -> r.visitNext(v -> fail("visited after close")));
    }
}
