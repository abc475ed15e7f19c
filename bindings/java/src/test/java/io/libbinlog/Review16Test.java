package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Review 16 of the Java binding: each test shows one bug (see the report). */
class Review16Test {
    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path segment(String name, String... payloads) {
        Path p = dir.resolve(name);
        try (Writer w = Writer.openSegment(p)) {
            for (String s : payloads) {
                w.write("t", utf8(s));
            }
        }
        return p;
    }

    /** How many of this JVM's file descriptors are open on {@code file}. */
    private static long fdsOn(Path file) throws IOException {
        Path real = file.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException | UnsupportedOperationException e) {
                    return false; // closed meanwhile (the listing's own descriptor)
                }
            }).count();
        }
    }

    // ------------------------------------------------------------------ 1

    /**
     * The reader handed the same RecordView object to every visit, so a view kept from an earlier visit
     * became valid again and showed the record being visited now: silently the wrong record, instead of
     * the IllegalStateException RecordView promises once its visit returns.
     */
    @Test
    void aViewKeptFromAnEarlierVisitThrowsInsteadOfShowingTheCurrentRecord() {
        Path p = segment("v.binlog", "zero", "one", "two");
        AtomicReference<RecordView> first = new AtomicReference<>();
        List<String> seen = new ArrayList<>();
        try (Reader r = Reader.open(p)) {
            long n = r.visitAll(v -> {
                seen.add(v.seq() + ":" + StandardCharsets.UTF_8.decode(v.payload().duplicate()));
                if (first.get() == null) {
                    first.set(v);
                    return;
                }
                RecordView old = first.get();
                assertThrows(IllegalStateException.class, old::seq, "a view of record 0 used during visit of " + v.seq());
                assertThrows(IllegalStateException.class, old::payload);
                assertThrows(IllegalStateException.class, old::type);
            });
            assertEquals(3, n);
        }
        assertEquals(List.of("0:zero", "1:one", "2:two"), seen);
        assertThrows(IllegalStateException.class, first.get()::seq);
        // visitNext too: each call's view is its own
        try (Reader r = Reader.open(p)) {
            AtomicReference<RecordView> a = new AtomicReference<>();
            assertTrue(r.visitNext(a::set));
            assertTrue(r.visitNext(v -> {
                assertNotEquals(v, a.get());
                assertThrows(IllegalStateException.class, a.get()::seq);
                assertEquals(1, v.seq());
            }));
        }
    }

    // ------------------------------------------------------------------ 2

    /**
     * A String with an unpaired surrogate has no UTF-8 form: getBytes(UTF_8) silently replaced it with
     * '?', so a type, metadata, header string or type filter named something other than what was asked
     * (a filter on "bad\uD800" read the records of type "bad?"). Now INVALID_UTF8, naming the string.
     */
    @Test
    void unpairedSurrogatesAreRefusedNotWrittenAsQuestionMarks() {
        Path p = dir.resolve("u.binlog");
        try (Writer w = Writer.openSegment(p)) {
            w.write("bad?", utf8("a record whose type really is bad?"));
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
        try (Reader r = Reader.open(p)) {
            expect(ErrorCode.INVALID_UTF8, () -> r.filterTypes("bad\uD800"));
            List<String> types = new ArrayList<>();
            for (Record rec = r.next(); rec != null; rec = r.next()) {
                types.add(rec.type());
            }
            assertEquals(List.of("bad?", "smile \uD83D\uDE00"), types, "only the two valid writes happened");
        }
    }

    // ------------------------------------------------------------------ 3

    /**
     * A glob pattern with an unpaired surrogate was sent to C as "a.binlo?" (matching a.binlog), and then
     * dir.resolve(pattern), made after the native open to describe the reader, threw
     * InvalidPathException: the native reader leaked (no Cleaner had it yet) and the caller got an
     * exception that is not a BinlogException. Now INVALID_UTF8 before anything is opened.
     */
    @Test
    void aGlobPatternThatIsNotUnicodeIsRefusedBeforeAnythingOpens() throws IOException {
        Path a = segment("a.binlog", "x");
        BinlogException e = expect(ErrorCode.INVALID_UTF8, () -> Reader.openGlob(dir, "a.binlo\uD800").close());
        assertTrue(e.getMessage().contains("pattern"), e::getMessage);
        assertEquals(0, fdsOn(a), "a failed openGlob left the segment open");
        try (Reader r = Reader.openGlob(dir, "a.binlo?")) {
            assertArrayEquals(utf8("x"), r.next().payload());
            assertTrue(r.toString().contains("a.binlo?"), r::toString);
        }
        assertEquals(0, fdsOn(a));
    }

    /**
     * The same leak in a JVM whose file-name charset is ASCII (the C locale: a container without a
     * locale): a non-ASCII glob pattern matched the UTF-8 names on disk, then dir.resolve(pattern)
     * threw InvalidPathException and the reader leaked. The pattern is valid: it must just work.
     */
    @Test
    @Timeout(60)
    void globPatternOutsideTheFileNameCharsetWorksAndLeaksNothing() throws Exception {
        segment("x1.binlog", "r0", "r1");
        try (Writer w = Writer.openSegment(dir.resolve("x2.binlog"), Options.builder().firstSeq(2).build())) {
            w.write("t", utf8("r2"));
        }
        // Renamed to UTF-8 names (\u00e91.binlog, \u00e92.binlog) by a shell, in bytes: this JVM's own
        // file-name charset may be ASCII too (a build without a locale).
        Process mv = new ProcessBuilder("sh", "-c",
                "cd \"$1\" && for f in x1 x2; do mv \"$f.binlog\" \"$(printf '\\303\\251')${f#x}.binlog\"; done",
                "sh", dir.toString()).redirectErrorStream(true).start();
        String mvOut = new String(mv.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(mv.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, mv.exitValue(), mvOut);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                "-Djava.library.path=" + System.getProperty("java.library.path"),
                Review16GlobChild.class.getName(), dir.toString()).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LANG", "C");
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(50, TimeUnit.SECONDS));
        assertEquals(0, child.exitValue(), out);
        List<String> lines = out.lines().collect(Collectors.toList());
        assumeTrue(lines.stream().anyMatch(l -> l.startsWith("jnu ") && !l.equals("jnu UTF-8")),
                "the C locale gave UTF-8 file names: " + out);
        assertTrue(lines.contains("records 3"), out);
        assertTrue(lines.contains("fd-delta 0"), out);
    }

    // ------------------------------------------------------------------ 4

    /**
     * Strings.path used Path.toString(): a Path of another file system (a zip file, an in-memory one)
     * opened the local file of the same name instead, and a listed file whose name is not valid in the
     * file-name charset (its string decodes lossily to U+FFFD) opened another file, one whose name is
     * that string. Both are now refused, naming the path.
     */
    @Test
    void aPathOfAnotherFileSystemIsRefusedNotOpenedLocally() throws IOException {
        Path zip = dir.resolve("z.zip");
        String name = "review16-zip-" + System.nanoTime() + ".binlog";
        Path local = Path.of(name).toAbsolutePath();
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("create", "true"))) {
            Path inZip = fs.getPath(name);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Writer.openSegment(inZip).close());
            assertTrue(e.getMessage().contains(name), e::getMessage);
            assertFalse(Files.exists(local), "opening a zip path created the local file " + local);
            assertThrows(IllegalArgumentException.class, () -> Reader.open(inZip).close());
            assertThrows(IllegalArgumentException.class, () -> Writer.openLog(fs.getPath("d"), "app").close());
            assertThrows(IllegalArgumentException.class, () -> Reader.openGlob(fs.getPath("d"), "*").close());
        } finally {
            Files.deleteIfExists(local);
        }
    }

    @Test
    void aListedFileNameThatTheCharsetCannotDecodeIsRefusedNotConfusedWithAnother() throws Exception {
        assumeTrue(Strings.FILE_NAMES.equals(StandardCharsets.UTF_8), "file names are " + Strings.FILE_NAMES);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        // x<FF>.binlog: one record "raw" (0xFF is not UTF-8; made by the shell, as Java cannot name it)
        Path tmp = segment("tmp.binlog", "raw");
        Process cp = new ProcessBuilder("sh", "-c", "cp \"$1\" \"$(printf 'x\\377.binlog')\"", "sh", tmp.toString())
                .directory(sub.toFile()).redirectErrorStream(true).start();
        assertEquals(0, cp.waitFor(), new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        // x\uFFFD.binlog: what the other name's String says, a different file with record "other"
        Path replacement = sub.resolve("x\uFFFD.binlog");
        try (Writer w = Writer.openSegment(replacement)) {
            w.write("t", utf8("other"));
        }
        Path raw;
        try (Stream<Path> s = Files.list(sub)) {
            raw = s.filter(q -> !q.equals(replacement)).findFirst().orElseThrow();
        }
        assertEquals(replacement.toString(), raw.toString(), "the two names print alike");
        assertNotEquals(replacement, raw);
        assertTrue(Files.isRegularFile(raw));
        Record got = null;
        try (Reader r = Reader.open(raw)) {
            got = r.next();
        } catch (BinlogException e) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::getMessage);
            assertTrue(e.getMessage().contains("file-name"), e::getMessage);
        }
        if (got != null) {
            assertEquals("raw", new String(got.payload(), StandardCharsets.UTF_8),
                    "Reader.open(" + raw + ") read another file");
        }
    }

    // ------------------------------------------------------------------ 5

    /**
     * An empty direct buffer can have no address (FileChannel.map of 0 bytes, e.g. of an empty file):
     * direct_range took the NULL address for "not a direct ByteBuffer", so writing such an empty payload,
     * a batch of empty records from it, or nextInto an empty record into it threw IllegalArgumentException
     * with a false message instead of working.
     */
    @Test
    void anEmptyMappedBufferIsAnEmptyPayloadNotABadBuffer() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty"));
        MappedByteBuffer ro;
        MappedByteBuffer rw;
        try (FileChannel ch = FileChannel.open(empty, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ro = ch.map(FileChannel.MapMode.READ_ONLY, 0, 0);
            rw = ch.map(FileChannel.MapMode.READ_WRITE, 0, 0);
        }
        assertTrue(ro.isDirect() && rw.isDirect());
        Path p = dir.resolve("e.binlog");
        try (Writer w = Writer.openSegment(p)) {
            assertEquals(0, w.write("e", ro.duplicate()));
            assertEquals(1, w.write("e", rw.duplicate(), Map.of("k", "v"), 42));
            assertEquals(2, w.writeBatch("e", ro.duplicate(), new int[] {0, 0}));
            w.write("full", new byte[] {1, 2, 3});
        }
        try (Reader r = Reader.open(p)) {
            for (int i = 0; i < 4; i++) {
                RecordInfo info = r.nextInto(rw.duplicate());
                assertNotNull(info);
                assertEquals(i, info.seq());
                assertEquals(0, info.payloadLength());
                assertTrue(info.copied());
                assertEquals("e", info.type());
            }
            RecordInfo big = r.nextInto(rw.duplicate());
            assertFalse(big.copied(), "3 bytes do not fit an empty buffer");
            assertEquals(3, big.payloadLength());
            assertArrayEquals(new byte[] {1, 2, 3}, r.next().payload());
        }
    }
}
