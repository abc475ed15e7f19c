package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closes readers (two closers at once) while several threads are inside
 * every kind of read call, round after round. A call either completes with
 * a correct record or throws CLOSED; a use of the freed handle or of an
 * unmapped segment would crash the JVM (the surefire fork dies).
 * BINLOG_CLOSE_RACE_ROUNDS sets the number of rounds (default 50); `make
 * torture` runs more.
 */
class CloseRaceTest {
    @TempDir
    Path dir;

    private static final int RECORDS = 2000;

    private static byte[] payload(long seq) {
        return String.format("record %06d", seq).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @Timeout(300)
    void readerCloseRacesCallsInProgress() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "race", Options.builder().maxSegmentRecords(64).build())) {
            for (long i = 0; i < RECORDS; i++) {
                assertEquals(i, w.write("t", payload(i)));
            }
        }
        int rounds = TestSupport.envInt("BINLOG_CLOSE_RACE_ROUNDS", 50);
        for (int round = 0; round < rounds; round++) {
            BinlogReader r = BinlogReader.openLog(dir, "race");
            r.next(); // a log reader has a header once it opened a segment
            int threads = 6;
            ConcurrentLinkedQueue<Throwable> bad = new ConcurrentLinkedQueue<>();
            CountDownLatch running = new CountDownLatch(threads);
            AtomicLong calls = new AtomicLong();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    ByteBuffer dst = ByteBuffer.allocateDirect(64);
                    RecordBatch batch = new RecordBatch(4096, 16);
                    boolean first = true;
                    try {
                        for (int i = 0; ; i++) {
                            try {
                                boolean end = false;
                                switch ((id + i) % 7) {
                                    case 0: {
                                        BinlogRecord rec = r.next();
                                        end = rec == null;
                                        if (!end) {
                                            check(rec.seq(), rec.payload(), bad);
                                        }
                                        break;
                                    }
                                    case 1:
                                        end = !r.visitNext(v -> check(v.seq(), v.payloadBytes(), bad));
                                        break;
                                    case 2: {
                                        dst.clear();
                                        RecordInfo info = r.nextInto(dst);
                                        end = info == null;
                                        if (!end) {
                                            dst.flip();
                                            byte[] b = new byte[dst.remaining()];
                                            dst.get(b);
                                            check(info.seq(), b, bad);
                                        }
                                        break;
                                    }
                                    case 3: {
                                        int n = r.nextBatch(batch);
                                        end = n == 0;
                                        for (int k = 0; k < n; k++) {
                                            check(batch.seq(k), batch.payloadBytes(k), bad);
                                        }
                                        break;
                                    }
                                    case 4:
                                        r.header();
                                        break;
                                    case 5:
                                        r.seekSeq((id * 131L + i * 17L) % RECORDS);
                                        break;
                                    default:
                                        r.tail();
                                        r.gapCount();
                                }
                                if (end) {
                                    r.seekSeq(0);
                                }
                            } finally {
                                calls.incrementAndGet();
                                if (first) {
                                    first = false;
                                    running.countDown();
                                }
                            }
                        }
                    } catch (BinlogException e) {
                        if (e.code() != ErrorCode.CLOSED) {
                            bad.add(e);
                        }
                    } catch (Throwable e) {
                        bad.add(e);
                    }
                });
                th.start();
                ts.add(th);
            }
            running.await();
            Thread closer = new Thread(TestSupport.unchecked(r::close));
            closer.start();
            r.close();
            closer.join();
            for (Thread th : ts) {
                th.join();
            }
            int rr = round;
            assertTrue(bad.isEmpty(), () -> "round " + rr + ": " + bad);
            assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, r::next).code());
            assertTrue(calls.get() >= threads);
        }
    }

    private static void check(long seq, byte[] got, ConcurrentLinkedQueue<Throwable> bad) {
        if (!java.util.Arrays.equals(payload(seq), got)) {
            bad.add(new AssertionError("seq " + seq + ": payload " + new String(got, StandardCharsets.UTF_8)));
        }
    }
}
