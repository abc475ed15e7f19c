package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErrorsTest {
    @TempDir
    Path dir;

    @Test
    void notFound() throws Exception {
        Path missing = dir.resolve("no-such.binlog");
        java.nio.file.NoSuchFileException e = TestSupport.missing(missing, () -> BinlogReader.open(missing));
        assertTrue(e.getMessage().contains("no-such.binlog"), "message names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("(os error"), "no Rust suffix: " + e.getMessage());
        TestSupport.missing(dir.resolve("no/such/dir/x.binlog"),
                () -> BinlogWriter.openSegment(dir.resolve("no/such/dir/x.binlog")));
    }

    /**
     * A missing file's message names it once ("FILE: open: ..."), as the library's message does: a
     * FileSystemException puts its file before its reason, so the reason is the library's message without it.
     */
    @Test
    void aMissingFilesMessageNamesItOnce() {
        Path missing = dir.resolve("nope.binlog");
        java.nio.file.NoSuchFileException e = TestSupport.missing(missing, () -> BinlogReader.open(missing));
        assertEquals(missing + ": " + e.getReason(), e.getMessage());
        assertTrue(e.getReason().startsWith("open"), e::getMessage);
        byte[] msg = (missing + ": open: No such file or directory").getBytes(StandardCharsets.UTF_8);
        IOException of = BinlogException.of(ErrorCode.NOT_FOUND.value(), msg,
                missing.toString().getBytes(StandardCharsets.UTF_8), -1, 2);
        assertEquals(missing + ": open: No such file or directory", of.getMessage());
    }

    /**
     * A file the operating system refuses (EACCES) is an AccessDeniedException naming it, for a reader and a
     * writer. File permissions bind root only without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a child JVM
     * (AccessDeniedChild) opens the file, started by setpriv without them when this one runs as root.
     */
    @Test
    void aFileTheSystemRefusesIsAnAccessDeniedException() throws Exception {
        Path file = TestSupport.segment(dir.resolve("unreadable.binlog"), "a");
        Files.setPosixFilePermissions(file, java.util.Set.of());
        List<String> launcher = System.getProperty("user.name").equals("root")
                ? List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search")
                : List.of();
        assertEquals(List.of("reader: " + file, "writer: " + file),
                TestSupport.runChild(launcher, AccessDeniedChild.class, List.of(file.toString())));
    }

    /**
     * What the library says of a local file in the way (ALREADY_EXISTS naming it, as a roll says of a segment
     * with records where the next would start) is a FileAlreadyExistsException naming it; of an object in a
     * bucket, a BinlogException. Permission refusals and missing files without an OS error stay
     * BinlogExceptions too (a bucket that refuses the credentials, no log of that name).
     */
    @Test
    void aLocalFileInTheWayIsAFileAlreadyExistsException() {
        byte[] msg = "segment 1 already exists, with records".getBytes(StandardCharsets.UTF_8);
        byte[] local = "/logs/x-00000000000000000001-20261121T053000Z.binlog".getBytes(StandardCharsets.UTF_8);
        IOException e = BinlogException.of(ErrorCode.ALREADY_EXISTS.value(), msg, local, -1, 0);
        java.nio.file.FileAlreadyExistsException exists = assertInstanceOf(
                java.nio.file.FileAlreadyExistsException.class, e);
        assertEquals("/logs/x-00000000000000000001-20261121T053000Z.binlog", exists.getFile());
        assertEquals("segment 1 already exists, with records", exists.getReason());
        byte[] object = "s3://bucket/x/segment".getBytes(StandardCharsets.UTF_8);
        for (ErrorCode code : List.of(ErrorCode.ALREADY_EXISTS, ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND)) {
            BinlogException kept = assertInstanceOf(BinlogException.class, BinlogException.of(code.value(), msg,
                    object, -1, 0), code::toString);
            assertEquals(code, kept.code());
        }
        assertInstanceOf(BinlogException.class,
                BinlogException.of(ErrorCode.PERMISSION_DENIED.value(), msg, local, -1, 0));
    }

    @Test
    void notABinlog() throws IOException {
        Path junk = dir.resolve("junk.binlog");
        Files.write(junk, "this is not a binlog segment, just some text that is long enough\n".repeat(10)
                .getBytes(StandardCharsets.UTF_8));
        expect(ErrorCode.NOT_A_BINLOG, () -> BinlogReader.open(junk));
        expect(ErrorCode.NOT_A_BINLOG, () -> BinlogWriter.openSegment(junk));
    }

    /** A damaged record is a BinlogCorruptException naming the file and the offset; a closed writer a BinlogClosedException. */
    @Test
    void corruptAndClosedHaveTheirOwnTypes() throws Exception {
        Path file = dir.resolve("damaged.binlog");
        long at;
        long end;
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1, 2, 3, 4});
            w.flush();
            at = java.nio.file.Files.size(file);
            w.write("b", new byte[] {5, 6, 7, 8, 9, 10, 11, 12});
            w.flush();
            end = java.nio.file.Files.size(file);
            w.write("c", new byte[] {13}); // a valid record after the damage: not a torn tail
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        bytes[(int) end - 6] ^= 0x5a; // inside the second record's payload
        java.nio.file.Files.write(file, bytes);
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals(0, r.next().seq());
            BinlogCorruptException e = assertThrows(BinlogCorruptException.class, r::next);
            assertEquals(file.toString(), e.path().orElseThrow(), e.getMessage());
            assertTrue(e.offset().isPresent() && e.offset().getAsLong() >= at && e.offset().getAsLong() < end, e.getMessage());
        }
        BinlogWriter w = BinlogWriter.openSegment(dir.resolve("closed.binlog"));
        w.close();
        BinlogClosedException c = assertThrows(BinlogClosedException.class, () -> w.write("x", new byte[0]));
        assertEquals(ErrorCode.CLOSED, c.code());
    }

    /** The repository's LICENSE is in the jar's classpath as META-INF/LICENSE (the jar packs target/classes). */
    @Test
    void licenseIsPackagedAsMetaInfLicense() throws Exception {
        try (java.io.InputStream in = BinlogWriter.class.getResourceAsStream("/META-INF/LICENSE")) {
            assertNotNull(in, "META-INF/LICENSE");
            assertArrayEquals(java.nio.file.Files.readAllBytes(Path.of("../../LICENSE")), in.readAllBytes());
        }
    }

    @Test
    void locked() throws Exception {
        Path file = dir.resolve("locked.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            BinlogException e = expect(ErrorCode.LOCKED, () -> BinlogWriter.openSegment(file));
            assertFalse(e.nativeMessage().isEmpty());
            assertTrue(e instanceof BinlogLockedException, e.getClass().getName());
            assertTrue(e instanceof java.io.IOException);
            assertEquals(file.toString(), e.path().orElseThrow());
            w.write("still", new byte[] {1}); // the first writer is unaffected
        }
        try (BinlogWriter again = BinlogWriter.openSegment(file)) {
            assertEquals(1, again.nextSeq());
        }
        try (BinlogWriter log = BinlogWriter.openLog(dir.resolve("logs"), "app")) {
            expect(ErrorCode.LOCKED, () -> BinlogWriter.openLog(dir.resolve("logs"), "app"));
            log.write("x", new byte[0]);
        }
    }

    @Test
    void recordTooLarge() throws Exception {
        Path file = dir.resolve("big.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().maxRecordSize(1024).build())) {
            expect(ErrorCode.RECORD_TOO_LARGE, () -> w.write("t", new byte[2000]));
            expect(ErrorCode.RECORD_TOO_LARGE,
                    () -> w.write("t", java.nio.ByteBuffer.allocateDirect(2000)));
            assertEquals(0, w.write("t", new byte[100]), "the writer goes on after a refused record");
        }
    }

    @Test
    void invalidArgumentForBadOptions() throws Exception {
        // the library's refusals: its checked BinlogException, from build()
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().maxRecordSize(10).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().maxSegmentBytes(100).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().durability(Durability.EVERY_N, 0).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().sparseInterval(0).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().retention(0, 0, 0).maxSegmentRecords(0)
                .durability(Durability.INTERVAL_MS, 0).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().logName("x".repeat(70_000)).build());
        TestSupport.badOption(() -> Options.builder().bufferSize(-1)); // Java's own check, at once
        // log names become file names
        expect(ErrorCode.INVALID_ARGUMENT, () -> BinlogWriter.openLog(dir, "../escape"));
        expect(ErrorCode.INVALID_ARGUMENT, () -> BinlogWriter.openLog(dir, "nul\0name"));
        // log-only calls on a segment writer
        try (BinlogWriter w = BinlogWriter.openSegment(dir.resolve("seg.binlog"))) {
            expect(ErrorCode.INVALID_ARGUMENT, w::roll);
            expect(ErrorCode.INVALID_ARGUMENT, w::pollSealed);
        }
        Options ok = Options.builder().maxRecordSize(64).bufferSize(0).durability(Durability.EVERY_RECORD)
                .period(Period.DAY).retention(3, 0, 0).build();
        assertNotNull(ok.toString());
    }

    @Test
    void aLoneSurrogateIsInvalidUtf8AndASurrogatePairRoundTrips() throws Exception {
        // A String with an unpaired surrogate has no UTF-8 form: refused (INVALID_UTF8), not written
        // as '?' (which would name another type; every place a string goes is checked below).
        Path file = dir.resolve("utf.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            expect(ErrorCode.INVALID_UTF8, () -> w.write("bad\uD800", new byte[0]));
            w.write("ok\uD83D\uDE00", new byte[0]);
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals("ok\uD83D\uDE00", r.next().type());
        }
    }

    /**
     * A String with an unpaired surrogate has no UTF-8 form: as a type, metadata key or value, header string
     * or type filter it is refused with INVALID_UTF8 naming the string, never encoded with '?' in its place
     * (which names another type: a filter on "bad\uD800" would read the records of type "bad?").
     */
    @Test
    void unpairedSurrogatesAreRefusedNotWrittenAsQuestionMarks() throws Exception {
        Path p = dir.resolve("u.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            w.write("bad?", "a record whose type really is bad?".getBytes(StandardCharsets.UTF_8));
            BinlogException e = expect(ErrorCode.INVALID_UTF8, () -> w.write("bad\uD800", new byte[0]));
            assertTrue(e.getMessage().contains("type"), e::getMessage);
            expect(ErrorCode.INVALID_UTF8, () -> w.write("t", new byte[0], Map.of("k\uDC00", "v"), Binlog.TIME_NOW));
            expect(ErrorCode.INVALID_UTF8, () -> w.write("t", new byte[0], Map.of("k", "\uDBFFv"), Binlog.TIME_NOW));
            expect(ErrorCode.INVALID_UTF8, () -> w.write("t", ByteBuffer.allocateDirect(1), Map.of("k", "v\uD800"), 5));
            expect(ErrorCode.INVALID_UTF8,
                    () -> w.writeBatch(new String[] {"ok", "x\uDE00y"}, new byte[2], 0, new int[] {1, 1}, null));
            // a well-formed pair is fine
            w.write("smile \uD83D\uDE00", new byte[] {1});
        }
        expect(ErrorCode.INVALID_UTF8, () -> Options.builder().logName("n\uD800").build());
        expect(ErrorCode.INVALID_UTF8, () -> Options.builder().param("k", "\uDC00").build());
        try (BinlogReader r = BinlogReader.open(p)) {
            expect(ErrorCode.INVALID_UTF8, () -> r.filterTypes("bad\uD800"));
            List<String> types = new ArrayList<>();
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                types.add(rec.type());
            }
            assertEquals(List.of("bad?", "smile \uD83D\uDE00"), types, "only the two valid writes happened");
        }
    }

    /** Every BINLOG_ERR_* of include/binlog.h has an ErrorCode with the same number, and back. */
    @Test
    void errorCodesMirrorTheHeader() throws IOException {
        String header = System.getProperty("binlog.header");
        assertNotNull(header, "surefire passes -Dbinlog.header");
        Matcher m = Pattern.compile("BINLOG_ERR_([A-Z0-9_]+) = (\\d+)")
                .matcher(Files.readString(Path.of(header)));
        Map<String, Integer> fromHeader = new HashMap<>();
        while (m.find()) {
            fromHeader.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertTrue(fromHeader.size() >= 19, "parsed " + fromHeader);
        for (Map.Entry<String, Integer> e : fromHeader.entrySet()) {
            ErrorCode c = ErrorCode.valueOf(e.getKey());
            assertEquals(e.getValue().intValue(), c.value(), e.getKey());
            assertEquals(c, ErrorCode.of(e.getValue()));
        }
        for (ErrorCode c : ErrorCode.values()) {
            if (c != ErrorCode.UNKNOWN) {
                assertTrue(fromHeader.containsKey(c.name()), c + " is in the header");
            }
        }
        assertEquals(ErrorCode.UNKNOWN, ErrorCode.of(999));
        assertEquals(ErrorCode.UNKNOWN, ((BinlogException) BinlogException.of(999, new byte[0], null, -1, 0)).code());
    }
}
