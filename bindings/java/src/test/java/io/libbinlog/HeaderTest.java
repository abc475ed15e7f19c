package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** BinlogReader.header(): binlog_reader_header copied into a SegmentHeader. */
class HeaderTest {
    @TempDir
    Path dir;

    private static final long CREATED = 1_700_000_000_123_456_789L;

    @Test
    void everyHeaderOptionReadsBack() throws Exception {
        Path file = dir.resolve("seg.binlog");
        Options opts = Options.builder()
                .logName("orders-ü")
                .contentType("application/json")
                .param("host", "db-7")
                .param("schema", "")
                .param("tag", "first")
                .param("ключ", "値 🦀 𝄞") // supplementary characters: real UTF-8, not modified UTF-8
                .param("tag", "second")
                .segmentNo(42)
                .firstSeq(1000)
                .createdNs(CREATED)
                .build();
        try (BinlogWriter w = BinlogWriter.openSegment(file, opts)) {
            assertEquals(1000, w.write("t", "x".getBytes(UTF_8)));
            assertEquals(1001, w.write("t", "y".getBytes(UTF_8)));
        }

        SegmentHeader h;
        try (BinlogReader r = BinlogReader.open(file)) {
            h = r.header(); // a segment reader has its header before the first record
            assertEquals(Binlog.formatMajor(), h.major());
            assertTrue(h.minor() >= 0, h.toString());
            assertEquals(CREATED, h.createdNs());
            assertEquals(Instant.parse("2023-11-14T22:13:20.123456789Z"), h.created());
            assertEquals(42, h.segmentNo());
            assertEquals(1000, h.firstSeq());
            assertEquals("orders-ü", h.logName());
            assertEquals("application/json", h.contentType());
            assertTrue(h.writer().startsWith("libbinlog/"), h.writer());
            assertEquals("libbinlog/" + Binlog.version(), h.writer());
            List<Map.Entry<String, String>> want = List.of(Map.entry("host", "db-7"), Map.entry("schema", ""),
                    Map.entry("tag", "first"), Map.entry("ключ", "値 🦀 𝄞"), Map.entry("tag", "second"));
            assertEquals(want, h.params(), "order and the repeated key kept");
            assertEquals("db-7", h.param("host"));
            assertEquals("", h.param("schema"));
            assertEquals("second", h.param("tag"), "a repeated key: its last value");
            assertNull(h.param("missing"));
            assertThrows(UnsupportedOperationException.class, () -> h.params().add(Map.entry("a", "b")));
            assertThrows(UnsupportedOperationException.class, () -> h.params().remove(0));

            BinlogRecord rec = r.next();
            assertEquals(1000, rec.seq());
            SegmentHeader again = r.header();
            assertEquals(h, again, "same segment, same header");
            assertEquals(h.hashCode(), again.hashCode());
            assertNotNull(r.next());
            assertNull(r.next());
            assertEquals(h, r.header(), "still there at END");
        }
        // A copy: usable after the reader is closed.
        assertEquals("orders-ü", h.logName());
        assertEquals("値 🦀 𝄞", h.param("ключ"));
        assertTrue(h.toString().contains("#42"), h.toString());
    }

    @Test
    void defaultsOfAPlainSegment() throws Exception {
        Path file = dir.resolve("plain.binlog");
        // Less 1 us: the library's clock may read that far off the system's
        // (README, "Timestamps").
        long before = System.currentTimeMillis() * 1_000_000L - 1_000;
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("t", new byte[0]);
        }
        long after = (System.currentTimeMillis() + 1) * 1_000_000L;
        try (BinlogReader r = BinlogReader.open(file)) {
            SegmentHeader h = r.header();
            assertEquals(0, h.segmentNo());
            assertEquals(0, h.firstSeq());
            assertEquals("", h.contentType());
            assertTrue(h.params().isEmpty());
            assertNull(h.param("anything"));
            assertEquals("libbinlog/" + Binlog.version(), h.writer());
            assertTrue(h.createdNs() >= before && h.createdNs() <= after,
                    before + " <= " + h.createdNs() + " <= " + after);
            assertEquals(h.createdNs(), h.created().getEpochSecond() * 1_000_000_000L + h.created().getNano());
        }
    }

    @Test
    void createdBeforeTheEpoch() throws Exception {
        Path file = dir.resolve("old.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().createdNs(-1L).build())) {
            w.write("t", new byte[0]);
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            SegmentHeader h = r.header();
            assertEquals(-1L, h.createdNs());
            assertEquals(Instant.parse("1969-12-31T23:59:59.999999999Z"), h.created());
        }
    }

    @Test
    void rollingLogRecordByRecord() throws Exception {
        Options opts = Options.builder().maxSegmentRecords(10).contentType("text/plain").param("k", "v").build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "ticks", opts)) {
            for (int i = 0; i < 35; i++) {
                assertEquals(i, w.write("t", ByteBuffer.allocate(4).putInt(i).array()));
            }
        }
        try (BinlogReader r = BinlogReader.openLog(dir, "ticks")) {
            BinlogException e = expect(ErrorCode.NOT_FOUND, r::header);
            assertTrue(e.nativeMessage().contains("binlog_reader_next"), e.getMessage());
            List<SegmentHeader> distinct = new ArrayList<>();
            long n = 0;
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                assertEquals(n, rec.seq());
                SegmentHeader h = r.header();
                assertEquals(n / 10, h.segmentNo(), "record " + n);
                assertEquals(n / 10 * 10, h.firstSeq(), "record " + n);
                assertEquals("ticks", h.logName());
                assertEquals("text/plain", h.contentType());
                assertEquals(List.of(Map.entry("k", "v")), h.params());
                assertEquals(Binlog.formatMajor(), h.major());
                if (distinct.isEmpty() || !distinct.get(distinct.size() - 1).equals(h)) {
                    distinct.add(h);
                }
                n++;
            }
            assertEquals(35, n);
            assertEquals(4, distinct.size(), distinct.toString());
            assertEquals(3, r.header().segmentNo(), "at END: the last segment read");
        }
    }

    @Test
    void everyReadMethodAndSeekMoveTheHeaderAlong() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "mix", Options.builder().maxSegmentRecords(10).build())) {
            for (int i = 0; i < 35; i++) {
                w.write("t", new byte[] {(byte) i});
            }
        }
        try (BinlogReader r = BinlogReader.openGlob(dir, "mix-*.binlog")) {
            expect(ErrorCode.NOT_FOUND, r::header);
            // visitors
            for (int i = 0; i < 12; i++) {
                assertTrue(r.visitNext(v -> { }));
            }
            assertEquals(1, r.header().segmentNo());
            assertEquals(10, r.header().firstSeq());
            // nextInto, and a record kept back because it did not fit
            ByteBuffer tiny = ByteBuffer.allocateDirect(0);
            RecordInfo kept = r.nextInto(tiny);
            assertFalse(kept.copied());
            assertEquals(12, kept.seq());
            assertEquals(1, r.header().segmentNo());
            ByteBuffer dst = ByteBuffer.allocateDirect(16);
            RecordInfo got = r.nextInto(dst);
            assertTrue(got.copied());
            assertEquals(12, got.seq(), "header() does not lose the kept record");
            assertEquals(12, dst.get(0));
            // batches: the segment of the batch's last record
            RecordBatch batch = new RecordBatch(4096, 7);
            assertEquals(7, r.nextBatch(batch));
            assertEquals(19, batch.seq(6));
            assertEquals(1, r.header().segmentNo());
            assertEquals(7, r.nextBatch(batch));
            assertEquals(26, batch.seq(6));
            assertEquals(2, r.header().segmentNo());
            assertEquals(20, r.header().firstSeq());
            // seeks open the segment they land in
            r.seekSeq(31);
            assertEquals(3, r.header().segmentNo());
            assertEquals(30, r.header().firstSeq());
            assertEquals(31, r.next().seq());
            r.seekSeq(5);
            assertEquals(0, r.header().segmentNo());
            assertEquals(5, r.next().seq());
            assertEquals(0, r.header().firstSeq());
            r.seekTime(Long.MAX_VALUE); // past every record: the last segment
            assertNull(r.next());
            assertEquals(3, r.header().segmentNo());
            r.seekTime(0);
            assertEquals(0, r.header().segmentNo());
            assertEquals(0, r.next().seq());
        }
    }

    @Test
    void closedReaderGivesClosed() throws Exception {
        Path file = dir.resolve("c.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("t", new byte[0]);
        }
        BinlogReader r = BinlogReader.open(file);
        assertNotNull(r.header());
        r.close();
        expect(ErrorCode.CLOSED, r::header);
        r.close();
        expect(ErrorCode.CLOSED, r::header);

        try (BinlogWriter w = BinlogWriter.openLog(dir, "app")) {
            w.write("t", new byte[0]);
        }
        BinlogReader log = BinlogReader.openLog(dir, "app");
        log.close();
        expect(ErrorCode.CLOSED, log::header); // CLOSED, not NOT_FOUND
    }

    @Test
    void notFromInsideAVisitor() throws Exception {
        Path file = dir.resolve("v.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("t", new byte[0]);
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            r.visitNext(v -> {
                try {
                    r.header();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
            assertNotNull(r.header(), "usable again after the visit");
        }
    }

    @Test
    @Timeout(60)
    void closeRacingHeaderCalls() throws Exception {
        Path file = dir.resolve("race.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().logName("race").param("a", "b").build())) {
            w.write("t", new byte[0]);
        }
        for (int round = 0; round < 20; round++) {
            BinlogReader r = BinlogReader.open(file);
            AtomicLong calls = new AtomicLong();
            AtomicReference<Throwable> bad = new AtomicReference<>();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        while (true) {
                            SegmentHeader h = r.header();
                            if (!"race".equals(h.logName()) || !"b".equals(h.param("a"))) {
                                bad.compareAndSet(null, new AssertionError("wrong header " + h));
                                return;
                            }
                            calls.incrementAndGet();
                        }
                    } catch (BinlogException e) {
                        if (e.code() != ErrorCode.CLOSED) {
                            bad.compareAndSet(null, e);
                        }
                    } catch (Throwable e) {
                        bad.compareAndSet(null, e);
                    }
                });
                th.start();
                ts.add(th);
            }
            while (calls.get() < 100 && bad.get() == null) {
                Thread.onSpinWait();
            }
            r.close();
            for (Thread th : ts) {
                th.join();
            }
            if (bad.get() != null) {
                throw new AssertionError("round " + round, bad.get());
            }
        }
    }
}
