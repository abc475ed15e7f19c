package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static io.libbinlog.TestSupport.inThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small writes without metadata go through the calling thread's {@link StagingBuffer}
 * (type name and payload copied to native memory, a JNI call of numbers alone), from
 * arrays and every kind of ByteBuffer; larger ones and those with metadata take the array
 * and direct-buffer paths. Every size around
 * those limits must write the same records.
 */
class StagedWriteTest {
    @TempDir
    Path dir;

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 131 + seed * 7 + 1);
        }
        return b;
    }

    /** Lengths on both sides of every limit: the first allocation and the capacity. */
    private static int[] lengthsAroundTheLimits(int typeLen) {
        int cap = StagingBuffer.CAPACITY - typeLen;
        int initial = StagingBuffer.INITIAL - typeLen;
        int[] all = {0, 1, 32, initial - 1, initial, initial + 1, 600, cap - 1, cap, cap + 1, 40_000, 32};
        return Arrays.stream(all).filter(n -> n >= 0).toArray(); // a long type name leaves no room below INITIAL
    }

    @Test
    void everySizeAroundTheStagingLimitsRoundTripsFromArraysHeapBuffersAndDirectBuffers() throws Exception {
        Path file = dir.resolve("sizes.binlog");
        String longType = "t".repeat(3000); // leaves less of the capacity for the payload
        List<byte[]> expected = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            long seq = 0;
            for (String type : new String[] {"rec", longType}) {
                for (int len : lengthsAroundTheLimits(type.length())) {
                    byte[] p = pattern(len + 10, expected.size());
                    assertEquals(seq++, w.write(type, p, 5, len));
                    expected.add(Arrays.copyOfRange(p, 5, 5 + len));

                    ByteBuffer heap = ByteBuffer.wrap(p, 3, len);
                    assertEquals(seq++, w.write(type, heap));
                    assertEquals(3 + len, heap.position());
                    expected.add(Arrays.copyOfRange(p, 3, 3 + len));

                    ByteBuffer readOnly = ByteBuffer.wrap(p, 2, len).asReadOnlyBuffer(); // no array()
                    assertEquals(seq++, w.write(type, readOnly));
                    assertEquals(2 + len, readOnly.position());
                    expected.add(Arrays.copyOfRange(p, 2, 2 + len));

                    ByteBuffer direct = ByteBuffer.allocateDirect(len + 10);
                    direct.put(p).position(7).limit(7 + len);
                    assertEquals(seq++, w.write(type, direct));
                    assertEquals(direct.limit(), direct.position(), "the position moves to the limit");
                    assertEquals(7 + len, direct.limit(), "the limit never moves");
                    expected.add(Arrays.copyOfRange(p, 7, 7 + len));
                    for (int k = 0; k < 4; k++) {
                        types.add(type);
                    }
                }
            }
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            for (int i = 0; i < expected.size(); i++) {
                BinlogRecord rec = r.next();
                assertEquals(i, rec.seq());
                assertEquals(types.get(i), rec.type(), "record " + i);
                assertArrayEquals(expected.get(i), rec.payload(), "record " + i);
            }
            assertNull(r.next());
        }
    }

    @Test
    void aThreadsStagingBufferGrowsAndCarriesNoBytesOfAnEarlierRecord() throws Exception {
        Path file = dir.resolve("grow.binlog");
        int[] lengths = {32, 5_000, 3, 12_000, 0, 700, 32};
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int i = 0; i < lengths.length; i++) {
                w.write(i % 2 == 0 ? "even" : "odd-type-name", pattern(lengths[i], i));
            }
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            for (int i = 0; i < lengths.length; i++) {
                BinlogRecord rec = r.next();
                assertEquals(i % 2 == 0 ? "even" : "odd-type-name", rec.type());
                assertArrayEquals(pattern(lengths[i], i), rec.payload(), "record " + i);
            }
            assertNull(r.next());
        }
    }

    @Test
    void aSmallWriteWithATimestampKeepsIt() throws Exception {
        Path file = dir.resolve("ts.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            assertEquals(0, w.write("t", ByteBuffer.allocateDirect(32), null, 123_456_789L));
            assertEquals(1, w.write("t", ByteBuffer.wrap(new byte[32]), null, -5L));
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals(123_456_789L, r.next().timestampNs());
            assertEquals(-5L, r.next().timestampNs());
        }
    }

    @Test
    void aSmallWriteTheWriterRefusesThrowsMovesNoPositionAndTakesNoSequenceNumber() throws Exception {
        Path file = dir.resolve("refused.binlog");
        int tooLarge = 400;
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().maxRecordSize(256).build())) {
            assertTrue(StagingBuffer.fits(1, tooLarge), "the refused records are staged ones");
            expect(ErrorCode.RECORD_TOO_LARGE, () -> w.write("t", new byte[tooLarge]));
            ByteBuffer direct = ByteBuffer.allocateDirect(tooLarge);
            ByteBuffer heap = ByteBuffer.allocate(tooLarge);
            expect(ErrorCode.RECORD_TOO_LARGE, () -> w.write("t", heap));
            assertEquals(0, heap.position(), "a failed write leaves the position where it was");
            expect(ErrorCode.RECORD_TOO_LARGE, () -> w.write("t", direct));
            assertEquals(0, direct.position(), "a failed write leaves the position where it was");
            assertEquals(0, w.write("t", new byte[100]), "the writer goes on after a refused record");
            w.close();
            ByteBuffer small = ByteBuffer.allocateDirect(32);
            expect(ErrorCode.CLOSED, () -> w.write("t", small));
            expect(ErrorCode.CLOSED, () -> w.write("t", new byte[32]));
            assertEquals(0, small.position());
        }
    }

    @Test
    void threadsWritingSmallRecordsAtOnceEachReadBackIntact() throws Exception {
        Path file = dir.resolve("threads.binlog");
        int threads = 4;
        int each = 3_000;
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            List<Throwable> errors = inThreads(threads, id -> {
                ByteBuffer direct = ByteBuffer.allocateDirect(1024);
                for (int i = 0; i < each; i++) {
                    byte[] p = payloadOf(id, i);
                    if (i % 2 == 0) {
                        w.write("thread-" + id, p);
                    } else {
                        direct.clear();
                        direct.put(p).flip();
                        w.write("thread-" + id, direct);
                    }
                }
            });
            assertEquals(List.of(), errors);
        }
        Set<Long> seqs = new HashSet<>();
        int[] next = new int[threads];
        try (BinlogReader r = BinlogReader.open(file)) {
            for (BinlogRecord rec; (rec = r.next()) != null; ) {
                int id = Integer.parseInt(rec.type().substring("thread-".length()));
                assertArrayEquals(payloadOf(id, next[id]), rec.payload(), rec.toString());
                next[id]++;
                assertTrue(seqs.add(rec.seq()), "sequence number " + rec.seq() + " twice");
            }
        }
        for (int id = 0; id < threads; id++) {
            assertEquals(each, next[id], "records of thread " + id);
        }
        assertEquals(threads * each, seqs.size());
    }

    /** A payload naming its thread and index, of a length from 4 to 700 bytes (the buffer grows meanwhile). */
    private static byte[] payloadOf(int thread, int i) {
        byte[] p = pattern(4 + (i * 37 + thread) % 697, thread * 100_003 + i);
        ByteBuffer.wrap(p).putShort((short) thread).putShort((short) i);
        return p;
    }
}
