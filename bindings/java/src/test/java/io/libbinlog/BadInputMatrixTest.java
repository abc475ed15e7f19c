package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input matrix through the Java binding: for each kind of bad input, every call that meets it throws a
 * {@link BinlogException} whose {@link ErrorCode} no other kind shares, whose message names the file (and the
 * offset where the damage has one), and what was written stays. The same matrix is checked for Rust
 * (tests/it/bad_input_matrix.rs), C and Go; an unreadable file is checked there only, as those suites can drop
 * the capability that lets root read it (a JVM cannot, for one thread).
 */
class BadInputMatrixTest {
    @TempDir
    Path dir;

    private static final byte[] FOREIGN = "id,name\n1,alice\n2,bob\n3,carol\n4,dave\n5,eve\n6,frank\n7,grace\n"
            .getBytes(StandardCharsets.UTF_8);

    /** {@code call} throws {@code code} with a native message containing every needle. */
    private static void refused(ErrorCode code, Executable call, String... needles) {
        BinlogException e = expect(code, call);
        for (String n : needles) {
            assertTrue(e.nativeMessage().contains(n), () -> "message \"" + e.nativeMessage() + "\" lacks " + n);
        }
    }

    /** BinlogReader.open and a glob reader over just this file fail with {@code code}, naming it. */
    private static void readersRefuse(Path p, ErrorCode code, String... needles) {
        List<String> all = new ArrayList<>(List.of(needles));
        all.add(p.toString());
        String[] n = all.toArray(new String[0]);
        refused(code, () -> BinlogReader.open(p).close(), n);
        refused(code, () -> {
            try (BinlogReader r = BinlogReader.openGlob(p.getParent(), p.getFileName().toString())) {
                r.next();
            }
        }, n);
    }

    /** BinlogWriter.openSegment fails with {@code code}, naming the file, and changes none of its bytes. */
    private static void writerRefuses(Path p, ErrorCode code) throws IOException {
        byte[] before = Files.isRegularFile(p) ? Files.readAllBytes(p) : null;
        refused(code, () -> BinlogWriter.openSegment(p).close(), p.toString());
        if (before != null) {
            assertArrayEquals(before, Files.readAllBytes(p), "a refused open changed " + p);
        }
    }

    private static byte[] sealedSegment(Path p, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            for (int i = 0; i < n; i++) {
                w.write("t", ("r" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        return Files.readAllBytes(p);
    }

    @Test
    void missing() throws Exception {
        Path p = dir.resolve("missing.binlog");
        TestSupport.missing(p, () -> BinlogReader.open(p));
        Path q = dir.resolve("no-dir").resolve("seg.binlog");
        TestSupport.missingNaming(q.toString(), () -> BinlogWriter.openSegment(q));
        Path noLog = dir.resolve("no-log");
        TestSupport.missingNaming(noLog.toString(), () -> BinlogReader.openLog(noLog, "app"));
        TestSupport.missingNaming(noLog.toString(), () -> BinlogReader.openGlob(noLog, "*.binlog"));
        assertTrue(Files.notExists(p) && Files.notExists(noLog), "a reader created a file");
    }

    @Test
    void foreign() throws IOException {
        Path p = dir.resolve("data.csv");
        Files.write(p, FOREIGN);
        readersRefuse(p, ErrorCode.NOT_A_BINLOG, "offset 0");
        writerRefuses(p, ErrorCode.NOT_A_BINLOG);
    }

    @Test
    void otherMajorVersion() throws IOException {
        Path p = dir.resolve("v2.binlog");
        byte[] b = sealedSegment(p, 3);
        b[8] = 2; // major version, u16 LE at offset 8
        b[9] = 0;
        int hl = (b[12] & 0xff) | (b[13] & 0xff) << 8 | (b[14] & 0xff) << 16 | (b[15] & 0xff) << 24;
        CRC32 crc = new CRC32();
        crc.update(b, 0, hl - 4);
        long c = crc.getValue();
        for (int i = 0; i < 4; i++) {
            b[hl - 4 + i] = (byte) (c >>> (8 * i));
        }
        Files.write(p, b);
        readersRefuse(p, ErrorCode.UNSUPPORTED_VERSION, "offset 8");
        writerRefuses(p, ErrorCode.UNSUPPORTED_VERSION);
    }

    @Test
    void emptyAndShorterThanTheHeader() throws IOException {
        byte[] b = sealedSegment(dir.resolve("whole.binlog"), 3);
        for (int n : new int[] {0, 1, 8, 20}) {
            Path p = dir.resolve("cut-" + n + ".binlog");
            Files.write(p, java.util.Arrays.copyOf(b, n));
            readersRefuse(p, ErrorCode.TRUNCATED, "offset " + n);
        }
    }

    @Test
    void directoryWhereASegmentIsExpected() throws IOException {
        Path p = Files.createDirectory(dir.resolve("a-directory.binlog"));
        readersRefuse(p, ErrorCode.INVALID_ARGUMENT);
        writerRefuses(p, ErrorCode.INVALID_ARGUMENT);

        // And a file where a log directory is expected.
        Path f = dir.resolve("not-a-dir");
        sealedSegment(f, 1);
        refused(ErrorCode.INVALID_ARGUMENT, () -> BinlogReader.openLog(f, "app"), f.toString());
        refused(ErrorCode.INVALID_ARGUMENT, () -> BinlogReader.openGlob(f, "*"), f.toString());
        refused(ErrorCode.INVALID_ARGUMENT, () -> BinlogWriter.openLog(f, "app"), f.toString());
    }

    @Test
    void bitFlipInARecord() throws IOException {
        Path p = dir.resolve("flip.binlog");
        sealedSegment(p, 6);
        long third;
        try (BinlogReader r = BinlogReader.open(p)) {
            r.next();
            r.next();
            r.next();
            third = r.next().offset();
        }
        byte[] b = Files.readAllBytes(p);
        b[(int) third + 12] ^= 0x04;
        Files.write(p, b);
        try (BinlogReader r = BinlogReader.open(p)) {
            for (int i = 0; i < 3; i++) {
                BinlogRecord rec = r.next();
                assertEquals(i, rec.seq());
                assertEquals("r" + i, new String(rec.payload(), StandardCharsets.UTF_8));
            }
            refused(ErrorCode.CORRUPT, r::next, p.toString(), "offset " + third);
        }
    }

    @Test
    void oversizedRecord() throws IOException {
        Path p = dir.resolve("big.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p, Options.builder().maxRecordSize(256).build())) {
            w.write("t", "before".getBytes(StandardCharsets.UTF_8));
            refused(ErrorCode.RECORD_TOO_LARGE, () -> w.write("t", new byte[300]), p.toString());
            assertEquals(1, w.write("t", "after".getBytes(StandardCharsets.UTF_8)));
        }
        try (BinlogReader r = BinlogReader.open(p)) {
            assertEquals("before", new String(r.next().payload(), StandardCharsets.UTF_8));
            assertEquals("after", new String(r.next().payload(), StandardCharsets.UTF_8));
            assertNull(r.next());
        }
    }

    /** Java's NULL: a null argument is a NullPointerException naming it, before any native call. */
    @Test
    void nullArguments() throws IOException {
        assertEquals("path", assertThrows(NullPointerException.class, () -> BinlogReader.open(null)).getMessage());
        assertEquals("path", assertThrows(NullPointerException.class, () -> BinlogWriter.openSegment(null)).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> BinlogReader.openLog(null, "a")).getMessage());
        try (BinlogWriter w = BinlogWriter.openSegment(dir.resolve("n.binlog"))) {
            assertThrows(NullPointerException.class, () -> w.write(null, new byte[1]));
            assertEquals(0, w.write("t", "kept".getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void callsAfterClose() throws IOException {
        Path p = dir.resolve("closed.binlog");
        BinlogWriter w = BinlogWriter.openSegment(p);
        w.write("t", "kept".getBytes(StandardCharsets.UTF_8));
        w.close();
        refused(ErrorCode.CLOSED, () -> w.write("t", new byte[1]), p.toString());
        assertTrue(expect(ErrorCode.CLOSED, w::flush).getMessage().contains(p.toString()));
        BinlogReader r = BinlogReader.open(p);
        r.close();
        assertTrue(expect(ErrorCode.CLOSED, r::next).getMessage().contains(p.toString()));
        Path logDir = dir.resolve("log");
        BinlogWriter lw = BinlogWriter.openLog(logDir, "app");
        lw.close();
        assertTrue(expect(ErrorCode.CLOSED, lw::roll).getMessage().contains(logDir.toString()));
        try (BinlogReader again = BinlogReader.open(p)) {
            assertEquals("kept", new String(again.next().payload(), StandardCharsets.UTF_8));
        }
    }

    /** Log {@code name} in {@code d}: n records "name-i" in segments of 3; its segment files in order. */
    private static List<Path> makeLog(Path d, String name, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(d, name, Options.builder().maxSegmentRecords(3).build())) {
            for (int i = 0; i < n; i++) {
                w.write("t", (name + "-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(f -> f.getFileName().toString().startsWith(name + "-")
                    && f.getFileName().toString().endsWith(".binlog")).sorted().toList();
        }
    }

    interface Spoil {
        void apply(Path segment) throws IOException;
    }

    /**
     * Log "app" with segment 1 replaced by {@code spoil}: the log reader stops there with {@code code} naming
     * it, after records 0..2, and BinlogWriter.openLog refuses the log with {@code code}, leaving the segment as it is.
     */
    private void badLogSegment(String tag, ErrorCode code, Spoil spoil) throws IOException {
        Path d = Files.createDirectory(dir.resolve(tag));
        List<Path> segs = makeLog(d, "app", 9);
        assertEquals(3, segs.size(), segs::toString);
        Path bad = segs.get(1);
        spoil.apply(bad);
        byte[] before = Files.isRegularFile(bad) ? Files.readAllBytes(bad) : null;
        try (BinlogReader r = BinlogReader.openLog(d, "app")) {
            for (int i = 0; i < 3; i++) {
                assertEquals("app-" + i, new String(r.next().payload(), StandardCharsets.UTF_8));
            }
            refused(code, r::next, bad.toString());
        }
        refused(code, () -> BinlogWriter.openLog(d, "app").close(), bad.toString());
        if (before != null) {
            assertArrayEquals(before, Files.readAllBytes(bad), "a refused openLog changed " + bad);
        }
    }

    @Test
    void segmentOfAnotherLog() throws IOException {
        badLogSegment("other", ErrorCode.WRONG_LOG, seg -> {
            Path src = Files.createDirectory(dir.resolve("other-src"));
            Files.copy(makeLog(src, "other", 9).get(1), seg, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        });
    }

    @Test
    void foreignOrDirectorySegmentInALog() throws IOException {
        badLogSegment("foreign", ErrorCode.NOT_A_BINLOG, seg -> Files.write(seg, FOREIGN));
        badLogSegment("dir", ErrorCode.INVALID_ARGUMENT, seg -> {
            Files.delete(seg);
            Files.createDirectory(seg);
        });
    }
}
