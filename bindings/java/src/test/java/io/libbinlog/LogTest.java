package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LogTest {
    @TempDir
    Path dir;

    private static List<Path> segments(Path dir, String name) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(name + "-")
                    && p.getFileName().toString().endsWith(".binlog")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void rollingLogWithManyRollsByRecordCount() throws IOException {
        int perSegment = 100;
        int records = 5_000;
        List<SegmentInfo> sealed = new ArrayList<>();
        Options opts = Options.builder().maxSegmentRecords(perSegment).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", opts)) {
            for (int i = 0; i < records; i++) {
                assertEquals(i, w.write("o", ByteBuffer.allocate(4).putInt(i).array()));
                SegmentInfo s;
                while ((s = w.pollSealed()) != null) {
                    sealed.add(s);
                }
            }
            SegmentInfo s;
            while ((s = w.pollSealed()) != null) {
                sealed.add(s);
            }
            assertTrue(sealed.size() >= records / perSegment - 1, "sealed " + sealed.size());
        }
        List<Path> files = segments(dir, "orders");
        assertEquals(records / perSegment, files.size(), files.toString());
        for (int i = 0; i < sealed.size(); i++) {
            SegmentInfo s = sealed.get(i);
            assertEquals(SegmentInfo.Event.SEALED, s.event());
            assertEquals((long) i * perSegment, s.firstSeq(), s.toString());
            assertEquals(perSegment, s.recordCount());
            assertTrue(s.bytes() > 0);
            assertTrue(Files.exists(s.path()), s.path().toString());
            assertEquals(files.get(i).toAbsolutePath(), s.path().toAbsolutePath());
        }
        for (int i = 1; i < sealed.size(); i++) {
            assertTrue(sealed.get(i).segmentNo() > sealed.get(i - 1).segmentNo());
        }

        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            for (int i = 0; i < records; i++) {
                BinlogRecord rec = r.next();
                assertNotNull(rec, "record " + i);
                assertEquals(i, rec.seq());
                assertEquals(i, ByteBuffer.wrap(rec.payload()).getInt());
            }
            assertNull(r.next());
            assertEquals(0, r.gapCount());
        }
        try (BinlogReader r = BinlogReader.openGlob(dir, "orders-*.binlog")) {
            long n = r.visitAll(v -> { });
            assertEquals(records, n);
        }
    }

    /** Segments sealed but not polled when close runs, the last one (sealed by close) included, stay pollable. */
    /** A segment removed from a log is a gap: missing, records 5..9, named by the segment after it. */
    @Test
    void aSegmentRemovedFromALogIsAMissingGap() throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(5).build())) {
            for (int i = 0; i < 15; i++) {
                w.write("t", new byte[] {(byte) i});
            }
        }
        List<Path> files = segments(dir, "orders");
        Files.delete(files.get(1));
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            List<Long> seqs = new ArrayList<>();
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                seqs.add(rec.seq());
            }
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 10L, 11L, 12L, 13L, 14L), seqs);
            Gap g = new Gap(Gap.Reason.MISSING, files.get(2).toString(), OptionalLong.empty(), OptionalLong.of(5),
                    OptionalLong.of(10));
            assertEquals(List.of(g), r.gaps());
            assertEquals(Gap.Reason.MISSING, r.gaps().get(0).reason());
        }
    }

    @Test
    void pollSealedAfterCloseReturnsWhatCloseSealed() throws Exception {
        Options opts = Options.builder().maxSegmentRecords(10).build();
        BinlogWriter w = BinlogWriter.openLog(dir, "late", opts);
        for (int i = 0; i < 25; i++) {
            w.write("r", new byte[] {(byte) i});
        }
        w.close();
        for (int k = 0; k < 3; k++) {
            SegmentInfo s = w.pollSealed();
            assertNotNull(s, "segment " + k);
            assertEquals(SegmentInfo.Event.SEALED, s.event(), s.toString());
            assertEquals(k, s.segmentNo(), s.toString());
            assertEquals(10L * k, s.firstSeq(), s.toString());
            assertEquals(k < 2 ? 10 : 5, s.recordCount(), s.toString());
        }
        BinlogException e = assertThrows(BinlogException.class, w::pollSealed);
        assertEquals(ErrorCode.CLOSED, e.code());
        w.close(); // idempotent: keeps nothing twice
        assertThrows(BinlogException.class, w::pollSealed);

        // A segment writer has nothing to poll; after close, CLOSED as before.
        BinlogWriter seg = BinlogWriter.openSegment(dir.resolve("one.binlog"));
        seg.close();
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogException.class, seg::pollSealed).code());
    }

    @Test
    void explicitRollAndRetention() throws IOException {
        Options opts = Options.builder().retention(2, 0, 0).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "kept", opts)) {
            for (int i = 0; i < 6; i++) {
                w.write("r", new byte[] {(byte) i});
                w.roll();
            }
            int polled = 0;
            while (w.pollSealed() != null) {
                polled++;
            }
            assertEquals(6, polled);
        }
        List<Path> files = segments(dir, "kept");
        assertTrue(files.size() <= 3, "retention keeps 2 sealed (+ the last): " + files);
        try (BinlogReader r = BinlogReader.openLog(dir, "kept")) {
            BinlogRecord first = r.next();
            assertNotNull(first);
            assertTrue(first.seq() >= 4, "older segments were removed: first seq " + first.seq());
        }
    }

    @Test
    @Timeout(60)
    void nextWaitFollowsAWriterThreadAcrossRollsAndTimesOutWhenIdle() throws Exception {
        int records = 2_000;
        BinlogWriter w = Live.rollingLog(dir);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = Live.producer(w, records, failed);
        try (BinlogReader r = BinlogReader.openLog(dir, "live")) {
            producer.start();
            for (int i = 0; i < records; i++) {
                BinlogRecord rec = r.nextWait(10_000);
                assertNotNull(rec, "record " + i + " within the timeout");
                assertEquals(i, rec.seq());
                assertEquals(i, ByteBuffer.wrap(rec.payload()).getInt());
            }
            producer.join();
            assertNull(failed.get());
            Live.assertIdleWaitTimesOut(() -> r.nextWait(300) == null);
            assertNull(r.nextWait(0));

            w.write("late", new byte[] {42});
            BinlogRecord late = r.nextWait(10_000);
            assertEquals("late", late.type());
            assertEquals(records, late.seq());
            assertEquals(0, r.gapCount());
        } finally {
            w.close();
        }
        assertTrue(segments(dir, "live").size() >= records / 50);
    }

    @Test
    @Timeout(60)
    void sealInBackgroundSealsRollsAfterTheWriteAndRollSealsAtOnce() throws Exception {
        Options opts = Options.builder().maxSegmentRecords(10).retention(2, 0, 0).sealInBackground(true).build();
        assertTrue(opts.toString().contains("sealInBackground=true"), opts.toString());
        try (BinlogWriter w = BinlogWriter.openLog(dir, "bg", opts)) {
            for (int i = 0; i < 35; i++) {
                assertEquals(i, w.write("r", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
            }

            // The background thread seals segments 0, 1 and 2 after the writes that rolled returned.
            List<SegmentInfo> sealed = new ArrayList<>();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sealed.size() < 3) {
                SegmentInfo s = w.pollSealed();
                if (s != null) {
                    sealed.add(s);
                    continue;
                }
                if (System.nanoTime() - deadline > 0) {
                    fail("after 10 s, " + sealed.size() + " of 3 sealed segments polled: " + sealed);
                }
                Thread.sleep(10);
            }
            for (int k = 0; k < 3; k++) {
                SegmentInfo s = sealed.get(k);
                assertEquals(SegmentInfo.Event.SEALED, s.event(), s.toString());
                assertEquals(k, s.segmentNo(), s.toString());
                assertEquals(10L * k, s.firstSeq(), s.toString());
                assertEquals(10, s.recordCount(), s.toString());
            }

            // Retention (2 sealed) ran before segment 2 was queued: 1, 2 and the current 3 remain.
            List<Path> files = segments(dir, "bg");
            assertEquals(3, files.size(), files.toString());
            assertFalse(Files.exists(sealed.get(0).path()), "segment 0 removed: " + sealed.get(0).path());

            // An explicit roll returns with the segment sealed and pollable.
            w.roll();
            SegmentInfo s = w.pollSealed();
            assertNotNull(s, "pollSealed right after roll");
            assertEquals(SegmentInfo.Event.SEALED, s.event(), s.toString());
            assertEquals(3, s.segmentNo(), s.toString());
            assertEquals(30, s.firstSeq(), s.toString());
            assertEquals(5, s.recordCount(), s.toString());
        }

        // Retention keeps segments 2 and 3: the close removed segment 4, which held no record.
        try (BinlogReader r = BinlogReader.openLog(dir, "bg")) {
            for (int i = 20; i < 35; i++) {
                BinlogRecord rec = r.next();
                assertNotNull(rec, "record " + i);
                assertEquals(i, rec.seq());
                assertEquals(Integer.toString(i), new String(rec.payload(), StandardCharsets.UTF_8));
            }
            assertNull(r.next());
            assertEquals(0, r.gapCount());
        }
    }

    /**
     * A roll's seal that fails (a child JVM whose file size limit, set with prlimit, ends just past the
     * old segment's records and its 17-byte SEAL_BEGIN; the JVM ignores SIGXFSZ, so the write gets
     * EFBIG): with sealInBackground the writes go on, the seal and its retry are counted in
     * callbackFailures and each leaves SEAL_BEGIN; without it the write that rolled throws.
     */
    @Test
    @Timeout(120)
    void aFailedBackgroundSealIsCountedNotThrown() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (boolean bg : new boolean[] {true, false}) {
            Path d = Files.createDirectory(dir.resolve("bg-" + bg));
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "-Dio.libbinlog.jni.cacheDir=" + NativeLoader.cacheDir(),
                    SealFailChild.class.getName(), d.toString(), bg ? "1" : "0")
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String first = out.readLine();
            lines.add(first);
            assertTrue(first != null && first.startsWith("records-end "), "child said " + first);
            long end = Long.parseLong(first.substring("records-end ".length()));
            Process limit = new ProcessBuilder("prlimit", "--pid", Long.toString(child.pid()),
                    "--fsize=" + (end + 17) + ":unlimited").redirectErrorStream(true).start();
            String limitSaid = new String(limit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, limit.waitFor(), "prlimit: " + limitSaid);
            child.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
            child.getOutputStream().flush();
            for (String l = out.readLine(); l != null; l = out.readLine()) {
                lines.add(l);
            }
            assertEquals(0, child.waitFor(), "child: " + lines);
            String error = lines.stream().filter(l -> l.startsWith("write-error ")).findFirst()
                    .map(l -> l.substring("write-error ".length())).orElse(null);
            String failures = lines.stream().filter(l -> l.startsWith("failures ")).findFirst()
                    .map(l -> l.substring("failures ".length())).orElse(null);
            if (bg) {
                assertEquals("none", error, "child: " + lines);
                assertEquals("2", failures, "child: " + lines);
                List<Path> segs = segments(d, "s");
                assertEquals(2, segs.size(), segs::toString);
                assertEquals(end + 17, Files.size(segs.get(0)), "segment 0: records and SEAL_BEGIN");
            } else {
                assertNotNull(error, "child: " + lines);
                assertTrue(error.contains("write seal"), "child: " + lines);
            }
        }
    }

    @Test
    void sealInBackgroundIsRefusedBySegmentWriters() throws Exception {
        Options opts = Options.builder().sealInBackground(true).build();
        Path path = dir.resolve("seg.binlog");
        TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> BinlogWriter.openSegment(path, opts).close());
        assertFalse(Files.exists(path), "refused open left " + path);
        // Unset (or false) is the default and a segment writer accepts it.
        try (BinlogWriter w = BinlogWriter.openSegment(path, Options.builder().sealInBackground(false).build())) {
            assertEquals(0, w.write("r", new byte[] {1}));
        }
    }
}
