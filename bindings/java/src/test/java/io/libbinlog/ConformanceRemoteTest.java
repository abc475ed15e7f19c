package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance corpus's section 18 cases (tests/conformance/remote/, expected-remote.tsv; README.md
 * there) read through the Java binding: each {@code remote} and {@code remote-salvage} line's case is
 * shipped with a {@link Shipper} to the versitygw that {@code make test-java} starts
 * (tests/with_s3_server.sh), its objects edited as the case's file says (the server keeps each object as a
 * file of its key's path), and read with {@link BinlogReader#openLogTiered}, skipping damage or not (in a child
 * JVM with the server's credentials: ConformanceRemoteChild): the records, the end (its error naming the
 * object), the damaged regions (object, offsets, records) and the gaps (reason, object, records) must be
 * the ones the line states, as the Rust readers, the CLI, verify, C, Go and Python give them.
 */
class ConformanceRemoteTest {
    @TempDir
    Path tmp;

    /** The file the server keeps object {@code name} of log {@code conformance} under {@code prefix} in. */
    private static Path object(String prefix, String name) {
        return Path.of(TestSupport.s3Env("BINLOG_TEST_S3_ROOT"), TestSupport.s3Env("BINLOG_TEST_S3_BUCKET"),
                prefix, "conformance", name);
    }

    /** One edit of a case's file (README.md): remove, cut, grow, flip or rename an object, its metadata unchanged. */
    private static void edit(String prefix, String[] words) throws IOException {
        Path file = object(prefix, words[1]);
        switch (words[0]) {
            case "remove" -> Files.delete(file);
            case "cut", "grow" -> {
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    long n = Long.parseLong(words[2]);
                    f.setLength(words[0].equals("cut") ? n : f.length() + n);
                }
            }
            case "flip" -> {
                byte[] b = Files.readAllBytes(file);
                b[Integer.parseInt(words[2])] ^= 1;
                Files.write(file, b);
            }
            case "rename" -> Files.move(file, object(prefix, words[2]));
            default -> fail("unknown edit " + words[0]);
        }
    }

    /** Ships the case of file {@code casePath} (under the corpus) from {@code dir} to {@code url} and makes its edits. */
    private static void setUp(String casePath, Path dir, String prefix, String url) throws IOException {
        try (Stream<Path> log = Files.list(ConformanceTest.CORPUS.resolve("remote/log"))) {
            for (Path f : (Iterable<Path>) log::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        for (String line : Files.readAllLines(ConformanceTest.CORPUS.resolve(casePath))) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split(" ");
            if (!words[0].equals("keep-local")) {
                edit(prefix, words);
                continue;
            }
            try (Shipper s = Shipper.open(dir, "conformance",
                    TestSupport.shipTo(url).keepLocal(Long.parseLong(words[1])))) {
                assertEquals(3, s.shipOnce().uploaded(), casePath);
            }
        }
    }

    @Test
    void theTieredReaderReadsTheShippedConformanceCasesAsExpected() throws Exception {
        List<String[]> lines = new ArrayList<>();
        List<String> reads = new ArrayList<>();
        for (String[] c : ConformanceTest.cases("expected-remote.tsv")) {
            if (!c[2].equals("remote") && !c[2].equals("remote-salvage")) {
                continue; // `cat`: the tool's
            }
            String prefix = "java-conformance-" + tmp.getFileName() + "-" + lines.size();
            String url = "s3://" + TestSupport.s3Env("BINLOG_TEST_S3_BUCKET") + "/" + prefix;
            Path dir = Files.createDirectory(tmp.resolve(Integer.toString(lines.size())));
            setUp(c[1], dir, prefix, url);
            lines.add(c);
            reads.addAll(List.of(dir.toString(), url, c[2]));
        }
        // One child reads every case: a JVM's start is the slow part.
        List<String> got = TestSupport.runWithS3Env(ConformanceRemoteChild.class, reads);
        assertEquals(lines.size(), got.size(), String.join("\n", got));
        for (int i = 0; i < lines.size(); i++) {
            String[] c = lines.get(i);
            assertEquals(String.join("\t", c[4], c[5], c[6], c[7]), got.get(i), "case " + c[0] + " (" + c[2] + ")");
        }
        assertTrue(lines.size() >= 16, "only " + lines.size() + " cases checked");
    }
}
