package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Shared pieces of the tests that follow a live writer or wait for records. */
final class Live {
    private Live() {}

    /**
     * A thread (not started) writing records 0..records-1 to {@code w}: type
     * "even" or "odd", payload the record number as 4 big-endian bytes,
     * pausing 2 ms every 100 records. A failure goes to {@code failed}.
     */
    static Thread producer(BinlogWriter w, int records, AtomicReference<Throwable> failed) {
        return new Thread(() -> {
            try {
                for (int i = 0; i < records; i++) {
                    w.write(i % 2 == 0 ? "even" : "odd", ByteBuffer.allocate(4).putInt(i).array());
                    if (i % 100 == 0) {
                        Thread.sleep(2);
                    }
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
    }

    /** A log "live" in {@code dir} that rolls every 50 records and hands each write to the OS at once. */
    static BinlogWriter rollingLog(Path dir) throws java.io.IOException {
        return BinlogWriter.openLog(dir, "live", Options.builder().maxSegmentRecords(50).bufferSize(0).build());
    }

    /**
     * Runs {@code idleWait}, a 300 ms wait on a reader with nothing to read, which must report that
     * nothing came, not before 250 ms (how long after is not timed).
     */
    /** A wait that may fail as the reader does. */
    interface IdleWait {
        boolean getAsBoolean() throws java.io.IOException;
    }

    static void assertIdleWaitTimesOut(IdleWait idleWait) throws java.io.IOException {
        long t0 = System.nanoTime();
        assertTrue(idleWait.getAsBoolean(), "idle: times out");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 250, "waited " + ms + " ms");
    }

    /** A call that waits (up to an hour) for a record on {@code r}. */
    interface Wait {
        void run() throws Exception;
    }

    /**
     * Starts {@code wait} on another thread, closes {@code r} once the wait
     * is in the reader ({@link BinlogReader#inCall}), and checks that the wait
     * ends with CLOSED: the close ended a wait in progress (the minutes
     * allowed bound a hang only; how soon is not timed).
     */
    static void assertCloseEndsWait(BinlogReader r, Wait wait) throws InterruptedException, java.io.IOException {
        ConcurrentLinkedQueue<Throwable> outcome = new ConcurrentLinkedQueue<>();
        Thread waiter = new Thread(() -> {
            try {
                wait.run();
                outcome.add(new AssertionError("the wait returned"));
            } catch (Throwable e) {
                outcome.add(e);
            }
        });
        waiter.start();
        // Until the wait is in the reader, or ended on its own (its outcome
        // then fails the check below).
        long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        boolean begun = false;
        while (!begun && waiter.isAlive() && System.nanoTime() < giveUp) {
            begun = r.lock.isLocked(); // a call is in the reader (a nextWait slice is)
            Thread.sleep(1);
        }
        assertTrue(begun || !waiter.isAlive(), "the wait never began");
        r.close();
        waiter.join(60_000);
        assertFalse(waiter.isAlive(), "the wait did not end");
        Throwable e = outcome.poll();
        assertTrue(e instanceof BinlogException && ((BinlogException) e).code() == ErrorCode.CLOSED,
                "waiter saw " + e);
    }
}
