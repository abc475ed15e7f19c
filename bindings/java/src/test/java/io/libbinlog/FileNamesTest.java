package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static io.libbinlog.TestSupport.segment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths and glob patterns as the library gets them: a Path of the default file system, its name in the
 * file-name charset (sun.jnu.encoding), a pattern as UTF-8. What cannot be passed faithfully is refused
 * before anything opens, and nothing is left open; nothing is ever taken for another file.
 */
class FileNamesTest {
    @TempDir
    Path dir;

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

    /**
     * A glob pattern with an unpaired surrogate is refused with INVALID_UTF8 naming the pattern before
     * anything is opened: not sent to C as "a.binlo?" (which matches a.binlog), and no native reader is
     * left open (no file descriptor on the segment); a valid pattern opens and describes the reader.
     */
    @Test
    void aGlobPatternThatIsNotUnicodeIsRefusedBeforeAnythingOpens() throws IOException {
        Path a = segment(dir.resolve("a.binlog"), "x");
        BinlogException e = expect(ErrorCode.INVALID_UTF8, () -> BinlogReader.openGlob(dir, "a.binlo\uD800").close());
        assertTrue(e.getMessage().contains("pattern"), e::getMessage);
        assertEquals(0, fdsOn(a), "a failed openGlob left the segment open");
        try (BinlogReader r = BinlogReader.openGlob(dir, "a.binlo?")) {
            assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), r.next().payload());
            assertTrue(r.toString().contains("a.binlo?"), r::toString);
        }
        assertEquals(0, fdsOn(a));
    }

    /**
     * In a JVM whose file-name charset is ASCII (the C locale: a container without a locale), a non-ASCII
     * glob pattern is valid: it matches the UTF-8 names on disk, reads their records, and leaves no file
     * descriptor open. Run in a child JVM ({@link AsciiLocaleGlobChild}) in the C locale.
     */
    @Test
    @Timeout(60)
    void globPatternOutsideTheFileNameCharsetWorksAndLeaksNothing() throws Exception {
        segment(dir.resolve("x1.binlog"), "r0", "r1");
        try (BinlogWriter w = BinlogWriter.openSegment(dir.resolve("x2.binlog"), Options.builder().firstSeq(2).build())) {
            w.write("t", "r2".getBytes(StandardCharsets.UTF_8));
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
                "-Dio.libbinlog.jni.cacheDir=" + NativeLoader.cacheDir(),
                AsciiLocaleGlobChild.class.getName(), dir.toString()).redirectErrorStream(true);
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

    /**
     * A Path of another file system (a zip file, an in-memory one) is refused with
     * IllegalArgumentException naming it, by every open: never taken by its string for the local file of
     * the same name (which must not be created).
     */
    @Test
    void aPathOfAnotherFileSystemIsRefusedNotOpenedLocally() throws IOException {
        Path zip = dir.resolve("z.zip");
        String name = "zip-entry-" + System.nanoTime() + ".binlog";
        Path local = Path.of(name).toAbsolutePath();
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("create", "true"))) {
            Path inZip = fs.getPath(name);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BinlogWriter.openSegment(inZip).close());
            assertTrue(e.getMessage().contains(name), e::getMessage);
            assertFalse(Files.exists(local), "opening a zip path created the local file " + local);
            assertThrows(IllegalArgumentException.class, () -> BinlogReader.open(inZip).close());
            assertThrows(IllegalArgumentException.class, () -> BinlogWriter.openLog(fs.getPath("d"), "app").close());
            assertThrows(IllegalArgumentException.class, () -> BinlogReader.openGlob(fs.getPath("d"), "*").close());
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /**
     * A listed file whose name is not valid in the file-name charset (its String decodes lossily to
     * U+FFFD) is refused (INVALID_ARGUMENT, "file-name") or opens that very file: never the other file
     * whose name is that String.
     */
    @Test
    void aListedFileNameThatTheCharsetCannotDecodeIsRefusedNotConfusedWithAnother() throws Exception {
        assumeTrue(Strings.FILE_NAMES.equals(StandardCharsets.UTF_8), "file names are " + Strings.FILE_NAMES);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        // x<FF>.binlog: one record "raw" (0xFF is not UTF-8; made by the shell, as Java cannot name it)
        Path tmp = segment(dir.resolve("tmp.binlog"), "raw");
        Process cp = new ProcessBuilder("sh", "-c", "cp \"$1\" \"$(printf 'x\\377.binlog')\"", "sh", tmp.toString())
                .directory(sub.toFile()).redirectErrorStream(true).start();
        assertEquals(0, cp.waitFor(), new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        // x\uFFFD.binlog: what the other name's String says, a different file with record "other"
        Path replacement = sub.resolve("x\uFFFD.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(replacement)) {
            w.write("t", "other".getBytes(StandardCharsets.UTF_8));
        }
        Path raw;
        try (Stream<Path> s = Files.list(sub)) {
            raw = s.filter(q -> !q.equals(replacement)).findFirst().orElseThrow();
        }
        assertEquals(replacement.toString(), raw.toString(), "the two names print alike");
        assertNotEquals(replacement, raw);
        assertTrue(Files.isRegularFile(raw));
        BinlogRecord got = null;
        try (BinlogReader r = BinlogReader.open(raw)) {
            got = r.next();
        } catch (BinlogException e) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::getMessage);
            assertTrue(e.getMessage().contains("file-name"), e::getMessage);
        }
        if (got != null) {
            assertEquals("raw", new String(got.payload(), StandardCharsets.UTF_8),
                    "BinlogReader.open(" + raw + ") read another file");
        }
    }
}
