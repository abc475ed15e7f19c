package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link BinlogReader#nextBatch(RecordBatch)}: binlog_reader_next_mapped through JNI. */
class BatchReadTest {
    @TempDir
    Path dir;

    private static final int N = 600;
    private static final String LONG_TYPE = "long-type-".repeat(30); // 300 bytes: past the type cache limit
    private static final String[] TYPES = {"a", "bb", "ccc", "çé-ü", LONG_TYPE};

    /** BinlogRecord i: payload of (i * 37) % 650 bytes (0 bytes every 10th), metadata on every 3rd. */
    private static byte[] payload(int i) {
        int len = i % 10 == 0 ? 0 : (i * 37) % 650;
        byte[] b = new byte[len];
        for (int k = 0; k < len; k++) {
            b[k] = (byte) (i + k);
        }
        return b;
    }

    private static Map<String, String> meta(int i) {
        if (i % 3 != 0) {
            return null;
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("k" + i, "value-" + i);
        m.put("z", "");
        if (i % 9 == 0) {
            m.put("ключ", "значение ✓");
            m.put("", "empty key");
        }
        return m;
    }

    private static void writeSegment(Path file) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int i = 0; i < N; i++) {
                w.write(TYPES[i % TYPES.length], payload(i), meta(i), 1_000_000L + 7L * i);
            }
        }
    }

    /** What the per-record read returns. */
    private static List<BinlogRecord> perRecord(Path file) throws IOException {
        List<BinlogRecord> all = new ArrayList<>();
        try (BinlogReader r = BinlogReader.open(file)) {
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                all.add(rec);
            }
        }
        assertEquals(N, all.size());
        return all;
    }

    /** Every field of batch record i equals want. */
    private static void assertSameRecord(BinlogRecord want, RecordBatch b, int i) {
        String at = "seq " + want.seq();
        assertEquals(want.seq(), b.seq(i), at);
        assertEquals(want.timestampNs(), b.timestampNs(i), at);
        assertEquals(want.offset(), b.offset(i), at);
        assertEquals(want.type(), b.type(i), at);
        assertEquals(want.payload().length, b.payloadLength(i), at);
        assertArrayEquals(want.payload(), b.payloadBytes(i), at);
        ByteBuffer p = b.payload(i);
        assertTrue(p.isDirect() && p.isReadOnly(), at);
        assertEquals(0, p.position());
        assertEquals(want.payload().length, p.remaining(), at);
        byte[] viaSlice = new byte[p.remaining()];
        p.get(viaSlice);
        assertArrayEquals(want.payload(), viaSlice, at);
        assertEquals(want.metadata(), b.metadata(i), at);
        assertEquals(want.metadata().size(), b.metadataCount(i), at);
        Iterator<Map.Entry<String, String>> it = want.metadata().entrySet().iterator();
        for (int j = 0; j < b.metadataCount(i); j++) {
            Map.Entry<String, String> e = it.next();
            assertEquals(e.getKey(), b.metadataKey(i, j), at);
            assertEquals(e.getValue(), b.metadataValue(i, j), at);
        }
        BinlogRecord copy = b.record(i);
        assertEquals(want.seq(), copy.seq());
        assertEquals(want.type(), copy.type());
        assertArrayEquals(want.payload(), copy.payload());
        assertEquals(want.metadata(), copy.metadata());
        assertEquals(want.offset(), copy.offset());
        assertEquals(want.timestampNs(), copy.timestampNs());
    }

    @Test
    void everyFieldEqualsThePerRecordReadForManyBatchSizes() throws IOException {
        Path file = dir.resolve("seg.binlog");
        writeSegment(file);
        List<BinlogRecord> want = perRecord(file);
        // {bufferBytes, maxRecords}: everything at once, small counts, small
        // buffers (1200: one or two records a call, often held back; the
        // largest record takes about 1100), one at a time.
        int[][] shapes = {{1 << 20, 1000}, {1 << 20, 7}, {8192, 64}, {1200, 64}, {4096, 1}};
        for (int[] shape : shapes) {
            RecordBatch b = new RecordBatch(shape[0], shape[1]);
            int next = 0;
            int calls = 0;
            try (BinlogReader r = BinlogReader.open(file)) {
                int n;
                while ((n = r.nextBatch(b)) > 0) {
                    calls++;
                    assertEquals(n, b.count());
                    assertTrue(n <= shape[1]);
                    for (int i = 0; i < n; i++) {
                        assertSameRecord(want.get(next++), b, i);
                    }
                }
                assertEquals(0, b.count());
                assertTrue(b.isEmpty());
                assertEquals(0, r.nextBatch(b), "END stays END");
                assertEquals(Tail.Kind.SEALED, r.tail().kind());
                assertNull(r.next());
            }
            assertEquals(N, next, "shape " + shape[0] + "/" + shape[1]);
            if (shape[1] > 1 && shape[0] >= 8192) {
                assertTrue(calls < N / 2, "one crossing reads many records: " + calls + " calls");
            }
            if (shape[0] == 1 << 20 && shape[1] == 1000) {
                assertEquals(1, calls);
            }
        }
    }

    @Test
    void typesAreCachedAcrossBatches() throws IOException {
        Path file = dir.resolve("types.binlog");
        writeSegment(file);
        RecordBatch b = new RecordBatch(1 << 16, 16);
        Map<String, String> seen = new java.util.HashMap<>();
        try (BinlogReader r = BinlogReader.open(file)) {
            while (r.nextBatch(b) > 0) {
                for (int i = 0; i < b.count(); i++) {
                    String t = b.type(i);
                    assertSame(t, b.type(i), "resolved once per index");
                    String before = seen.putIfAbsent(t, t);
                    if (before != null && t.length() < 256) {
                        assertSame(before, t, "a repeated type is the same String: " + t);
                    }
                }
            }
        }
        assertEquals(TYPES.length, seen.size());
    }

    @Test
    void smallBufferHoldsRecordsBackAndEveryReadStyleGetsThemNext() throws IOException {
        Path file = dir.resolve("mix.binlog");
        writeSegment(file);
        List<BinlogRecord> want = perRecord(file);
        RecordBatch small = new RecordBatch(700, 64); // two records of the 300-byte type at most
        RecordBatch big = new RecordBatch(1 << 16, 5);
        int next = 0;
        int heldBack = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            for (int round = 0; next < N; round++) {
                switch (round % 5) {
                    case 0: { // a small batch: the record that does not fit is held by the library
                        int n = r.nextBatch(small);
                        long used = 0;
                        for (int i = 0; i < n; i++) {
                            assertSameRecord(want.get(next++), small, i);
                            used += small.type(i).getBytes(StandardCharsets.UTF_8).length;
                        }
                        if (n < small.maxRecords() && next < N) {
                            heldBack++;
                        }
                        assertTrue(used <= 700);
                        break;
                    }
                    case 1: { // the held record comes to next()
                        BinlogRecord rec = r.next();
                        assertEquals(want.get(next).seq(), rec.seq());
                        assertArrayEquals(want.get(next).payload(), rec.payload());
                        assertEquals(want.get(next).metadata(), rec.metadata());
                        next++;
                        break;
                    }
                    case 2: { // nextInto that does not fit keeps the record in the reader ...
                        RecordInfo info = r.nextInto(ByteBuffer.allocateDirect(1));
                        if (info.copied()) {
                            assertTrue(want.get(next).payload().length <= 1);
                            next++;
                        } else {
                            assertEquals(want.get(next).seq(), info.seq());
                        }
                        break;
                    }
                    case 3: { // ... and a batch returns it first, then more records after it
                        int n = r.nextBatch(big);
                        for (int i = 0; i < n; i++) {
                            assertSameRecord(want.get(next++), big, i);
                        }
                        break;
                    }
                    default: { // a visitor reads whatever is next
                        boolean any = r.visitNext(v -> assertEquals(want.get((int) v.seq()).payload().length,
                                v.payload().remaining()));
                        if (any) {
                            next++;
                        }
                        break;
                    }
                }
            }
            assertEquals(0, r.nextBatch(big));
            assertNull(r.next());
        }
        assertEquals(N, next, "nothing lost or duplicated");
        assertTrue(heldBack > 10, "the small buffer held records back " + heldBack + " times");
    }

    @Test
    void aRecordKeptByNextIntoLeadsABatchAndOffsetsStillMatch() throws IOException {
        Path file = dir.resolve("pending.binlog");
        writeSegment(file);
        List<BinlogRecord> want = perRecord(file);
        try (BinlogReader r = BinlogReader.open(file)) {
            RecordBatch b = new RecordBatch(1 << 16, 40);
            int next = 0;
            while (next < N) {
                RecordInfo info = r.nextInto(ByteBuffer.allocateDirect(1));
                if (info.copied()) { // a payload of 0 or 1 byte fits
                    next++;
                    continue;
                }
                int n = r.nextBatch(b);
                assertTrue(n >= 1);
                for (int i = 0; i < n; i++) {
                    assertSameRecord(want.get(next++), b, i);
                }
            }
            assertEquals(0, r.nextBatch(b));
        }
    }

    private static final Pattern NEEDS = Pattern.compile("needs a buffer of (\\d+) bytes");

    private static int needed(BinlogException e) {
        Matcher m = NEEDS.matcher(e.nativeMessage());
        assertTrue(m.find(), "the message gives the size: " + e.getMessage());
        return Integer.parseInt(m.group(1));
    }

    @Test
    void bufferTooSmallForOneRecordThenABiggerBufferGetsIt() throws IOException {
        Path file = dir.resolve("small.binlog");
        byte[] large = payload(7);
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("large", new byte[5000], Map.of("m", "1"), 5L);
            w.write("tiny", new byte[] {1});
            w.write("large", large, Map.of("k", "v"), 6L);
            w.write("tiny", new byte[] {2});
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            RecordBatch tiny = new RecordBatch(8, 4);
            BinlogException e = expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(tiny));
            assertEquals(0, tiny.count());
            int need = needed(e);
            assertTrue(need >= "large".length() + 16 + 2 && need < 5000, "type and metadata, not the payload: " + need);
            expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(tiny, 10)); // nothing consumed
            expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(new RecordBatch(0, 1)));
            expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(new RecordBatch(need - 1, 1)));

            RecordBatch exact = new RecordBatch(need, 4);
            assertEquals(1, r.nextBatch(exact), "exactly the size the message gives");
            assertEquals(0, exact.seq(0));
            assertEquals(5000, exact.payloadLength(0));
            assertEquals(Map.of("m", "1"), exact.metadata(0));

            // The same for a record nextInto kept back: record 2 ...
            assertEquals(1, r.nextBatch(new RecordBatch(1 << 12, 1)));
            assertFalse(r.nextInto(ByteBuffer.allocateDirect(10)).copied());
            e = expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(tiny));
            int need2 = needed(e);
            expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(new RecordBatch(need2 - 1, 4)));
            RecordBatch b = new RecordBatch(need2, 4);
            assertEquals(1, r.nextBatch(b));
            assertEquals(2, b.seq(0));
            assertArrayEquals(large, b.payloadBytes(0));
            assertEquals(Map.of("k", "v"), b.metadata(0));
            assertEquals(6L, b.timestampNs(0));
            assertEquals(1, r.nextBatch(b));
            assertEquals(3, b.seq(0));
            assertEquals(0, r.nextBatch(b));
        }
    }

    @Test
    void seekDropsAHeldRecordAndAFilterKeepsOnlyOneItPasses() throws IOException {
        Path file = dir.resolve("seek.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int i = 0; i < 6; i++) {
                // "big": 1,000 bytes of metadata, more than the batch below holds
                w.write(i % 2 == 0 ? "s" : "big", new byte[10], i % 2 == 0 ? Map.of() : Map.of("pad", "x".repeat(1000)),
                        Binlog.TIME_NOW);
            }
        }
        RecordBatch b = new RecordBatch(1000, 8);
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals(1, r.nextBatch(b)); // [0], record 1 held
            assertEquals(0, b.seq(0));
            r.seekSeq(0);
            assertEquals(1, r.nextBatch(b), "the seek dropped the held record");
            assertEquals(0, b.seq(0));
            r.filterTypes("s"); // record 1 was held: dropped
            assertEquals(2, r.nextBatch(b));
            assertEquals(2, b.seq(0));
            assertEquals(4, b.seq(1));
            assertEquals("s", b.type(1));
            r.filterTypes();
            r.seekSeq(1);
            expect(ErrorCode.BUFFER_TOO_SMALL, () -> r.nextBatch(b));
            r.seekSeq(2);
            assertEquals(1, r.nextBatch(b));
            assertEquals(2, b.seq(0));
            // A filter that passes the held record (3, "big") keeps it: the
            // reader is already past it.
            r.filterTypes("big");
            BinlogRecord held = r.next();
            assertEquals(3, held.seq());
            assertEquals("big", held.type());
        }
    }

    @Test
    @Timeout(60)
    void rollingLogAcrossSegments() throws IOException {
        Path logDir = dir.resolve("log");
        try (BinlogWriter w = BinlogWriter.openLog(logDir, "b", Options.builder().maxSegmentRecords(40).build())) {
            for (int i = 0; i < 250; i++) {
                w.write("t", ("p" + i).getBytes(UTF_8));
            }
            w.flush();
            try (BinlogReader r = BinlogReader.openLog(logDir, "b")) {
                RecordBatch b = new RecordBatch(1 << 20, 64);
                long seq = 0;
                int calls = 0;
                int n;
                while ((n = r.nextBatch(b, 50)) > 0) {
                    calls++;
                    for (int i = 0; i < n; i++, seq++) {
                        assertEquals(seq, b.seq(i));
                        assertEquals("t", b.type(i));
                        assertArrayEquals(("p" + seq).getBytes(UTF_8), b.payloadBytes(i));
                    }
                }
                assertEquals(250, seq);
                assertTrue(calls >= 4 && calls < 20, calls + " calls");
                assertEquals(0, r.gapCount());
            }
        }
    }

    @Test
    @Timeout(60)
    void nextBatchWithTimeoutFollowsAWriterThreadAcrossRolls() throws Exception, IOException {
        int records = 3_000;
        BinlogWriter w = Live.rollingLog(dir);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = Live.producer(w, records, failed);
        try (BinlogReader r = BinlogReader.openLog(dir, "live")) {
            producer.start();
            RecordBatch b = new RecordBatch(1 << 16, 128);
            int next = 0;
            while (next < records) {
                int n = r.nextBatch(b, 10_000);
                assertTrue(n > 0, "record " + next + " within the timeout");
                for (int i = 0; i < n; i++, next++) {
                    assertEquals(next, b.seq(i));
                    assertEquals(next % 2 == 0 ? "even" : "odd", b.type(i));
                    assertEquals(next, b.payload(i).getInt(0));
                }
            }
            producer.join();
            assertNull(failed.get());
            Live.assertIdleWaitTimesOut(() -> r.nextBatch(b, 300) == 0);
            assertEquals(0, r.nextBatch(b, 0));
            w.write("late", new byte[] {42});
            assertEquals(1, r.nextBatch(b, 10_000));
            assertEquals("late", b.type(0));
            assertEquals(records, b.seq(0));
        } finally {
            w.close();
        }
    }

    @Test
    @Timeout(30)
    void closedReader() throws Exception {
        Path file = dir.resolve("closed.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1, 2, 3});
            w.flush();
            BinlogReader r = BinlogReader.open(file);
            RecordBatch b = new RecordBatch(4096, 8);
            assertEquals(1, r.nextBatch(b));
            r.close();
            // the payload's buffer keeps the mapping: still readable after the reader closed
            assertArrayEquals(new byte[] {1, 2, 3}, b.payloadBytes(0));
            assertEquals("a", b.type(0));
            expect(ErrorCode.CLOSED, () -> r.nextBatch(b));
            expect(ErrorCode.CLOSED, () -> r.nextBatch(b, 100));
            assertEquals(0, b.count(), "a failed call leaves the batch empty");
            r.close(); // idempotent

            // close from another thread ends a waiting nextBatch promptly
            BinlogReader r2 = BinlogReader.open(file);
            assertEquals(1, r2.nextBatch(b));
            Live.assertCloseEndsWait(r2, () -> r2.nextBatch(new RecordBatch(4096, 8), 3_600_000));
        }
    }

    /** A wait of an hour that returns was ended by the interrupt. */
    @Test
    @Timeout(120)
    void interruptEndsAWaitingNextBatch() throws IOException {
        Path file = dir.resolve("intr.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file); BinlogReader r = BinlogReader.open(file)) {
            w.flush();
            Thread.currentThread().interrupt();
            assertEquals(0, r.nextBatch(new RecordBatch(64, 1), 3_600_000));
            assertTrue(Thread.interrupted(), "interrupt status kept");
        }
    }

    /** Calls the private native directly, unwrapping what it throws. */
    private static Object nativeNextBatch(long h, long waitMs, ByteBuffer data, ByteBuffer recs, int cap)
            throws Throwable {
        Method m = BinlogReader.class.getDeclaredMethod("nativeNextBatch", long.class, long.class, ByteBuffer.class,
                ByteBuffer.class, int.class);
        m.setAccessible(true);
        try {
            return m.invoke(null, h, waitMs, data, recs, cap);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static long handleOf(BinlogReader r) throws Exception {
        java.lang.reflect.Field f = HandleCalls.class.getDeclaredField("handle");
        f.setAccessible(true);
        return f.getLong(r);
    }

    @Test
    void nullAndInvalidArguments() throws Exception {
        Path file = dir.resolve("args.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1}, Map.of("k", "v"), 1L);
        }
        assertThrows(IllegalArgumentException.class, () -> new RecordBatch(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new RecordBatch(10, 0));
        assertThrows(IllegalArgumentException.class, () -> new RecordBatch(10, -5));
        assertThrows(IllegalArgumentException.class, () -> new RecordBatch(10, Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new RecordBatch(Integer.MAX_VALUE, 1));

        RecordBatch b = new RecordBatch(1024, 4);
        assertEquals(0, b.count());
        assertThrows(IndexOutOfBoundsException.class, () -> b.seq(0), "an empty batch has no record 0");
        try (BinlogReader r = BinlogReader.open(file)) {
            assertThrows(NullPointerException.class, () -> r.nextBatch(null));
            assertThrows(NullPointerException.class, () -> r.nextBatch(null, 10));
            assertThrows(IllegalArgumentException.class, () -> r.nextBatch(b, -1));
            assertThrows(IllegalStateException.class,
                    () -> r.visitNext(v -> r.nextBatch(b)), "not from inside a visitor");
            // the visit consumed record 0; seek back
            r.seekSeq(0);

            // The glue's own checks, straight on the native.
            long h = handleOf(r);
            ByteBuffer data = ByteBuffer.allocateDirect(1024);
            ByteBuffer recs = ByteBuffer.allocateDirect(8 * 48 + 8).alignedSlice(8);
            assertThrows(NullPointerException.class, () -> nativeNextBatch(h, 0, null, recs, 4));
            assertThrows(NullPointerException.class, () -> nativeNextBatch(h, 0, data, null, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> nativeNextBatch(h, 0, ByteBuffer.allocate(1024), recs, 4), "heap data buffer");
            assertThrows(IllegalArgumentException.class,
                    () -> nativeNextBatch(h, 0, data, ByteBuffer.allocate(480), 4), "heap records buffer");
            assertThrows(IllegalArgumentException.class, () -> nativeNextBatch(h, 0, data, recs, 9),
                    "cap past the records buffer");
            assertThrows(IllegalArgumentException.class, () -> nativeNextBatch(h, 0, data, recs, -1));
            ByteBuffer misaligned = ByteBuffer.allocateDirect(8 * 48 + 16).alignedSlice(8).position(4).slice();
            assertThrows(IllegalArgumentException.class, () -> nativeNextBatch(h, 0, data, misaligned, 4));
            expect(ErrorCode.INVALID_ARGUMENT, () -> nativeNextBatch(h, 0, data, recs, 0)); // the library's check
            expect(ErrorCode.CLOSED, () -> nativeNextBatch(0, 0, data, recs, 4));
            // none of that consumed the record
            assertEquals(1, r.nextBatch(b));
            assertEquals(0, b.seq(0));
            assertEquals(Map.of("k", "v"), b.metadata(0));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> b.seq(1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.type(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.metadataKey(0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.metadataValue(0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.copyPayload(0, new byte[0], 0));
        assertThrows(NullPointerException.class, () -> b.copyPayload(0, null, 0));
        assertThrows(ReadOnlyBufferException.class, () -> b.payload(0).put(0, (byte) 9));
        assertThrows(ReadOnlyBufferException.class, () -> b.data().put(0, (byte) 9));
    }

    @Test
    void steadyStateIterationAllocatesNothingPerRecord() throws IOException {
        java.lang.management.ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        assumeTrue(tmx instanceof com.sun.management.ThreadMXBean, "allocation counters are available");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) tmx;
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());

        Path file = dir.resolve("alloc.binlog");
        int records = ReadBench.write(file, 100_000, 32);
        RecordBatch b = new RecordBatch(1 << 16, 256);
        long sink = 0;
        for (int pass = 0; pass < 3; pass++) { // the last pass is measured, after warm-up
            long tid = Thread.currentThread().getId();
            long before = mx.getThreadAllocatedBytes(tid);
            long seen = 0;
            try (BinlogReader r = BinlogReader.open(file)) {
                long after;
                int n;
                long t = mx.getThreadAllocatedBytes(tid);
                while ((n = r.nextBatch(b)) > 0) {
                    for (int i = 0; i < n; i++) {
                        sink += b.seq(i) + b.timestampNs(i) + b.offset(i) + b.type(i).length()
                                + b.metadataCount(i);
                        int len = b.payloadLength(i);
                        if (len > 0) {
                            sink += b.payloadBuffer(i).get(b.payloadOffset(i) + len - 1);
                        }
                    }
                    seen += n;
                }
                after = mx.getThreadAllocatedBytes(tid);
                assertEquals(records, seen);
                if (pass == 2) {
                    double perRecord = (after - t) / (double) records;
                    System.out.printf("batch iteration allocated %d bytes for %d records (%.3f bytes/record;"
                            + " open/close not counted: %d)%n", after - t, records, perRecord, t - before);
                    assertTrue(perRecord < 1.0, "allocated " + (after - t) + " bytes for " + records + " records");
                }
            }
        }
        assertTrue(sink != 42);
    }

    /**
     * Not a pass/fail test: prints ns/record of the per-record reads against nextBatch (see ReadBench), over
     * BINLOG_READ_BENCH_RECORDS records (default 50,000; {@code make torture} reads 200,000).
     */
    @Test
    void perRecordVersusBatchNsPerRecord() throws Exception {
        int records = TestSupport.envInt("BINLOG_READ_BENCH_RECORDS", 50_000);
        ReadBench.Result res = ReadBench.run(dir.resolve("bench.binlog"), records, 100, 3);
        System.out.println("under -Xcheck:jni (surefire): " + res);
        assertTrue(res.records > 0);
    }
}
