package io.libbinlog;

import static io.libbinlog.TestSupport.compressedSegments;
import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compressed segment (.binlog.zst) reads through the binding as the plain segment it came from:
 * the golden tests/vectors/sealed-basic.binlog.zst gives sealed-basic.binlog's records, all of
 * them, after a seek and through a type filter; a rolling log's compressed segments read the same
 * with their frames decompressed ahead ({@link BinlogReader#decodeThreads}).
 */
class CompressedSegmentTest {
    private static final Path PLAIN = Paths.get("../../tests/vectors/sealed-basic.binlog");
    private static final Path COMPRESSED = Paths.get("../../tests/vectors/sealed-basic.binlog.zst");

    private static final String[] TYPES = {"order", "fill", "cancel"};

    @TempDir
    Path dir;

    private static List<BinlogRecord> readAll(BinlogReader r) throws IOException {
        List<BinlogRecord> out = new ArrayList<>();
        for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
            out.add(rec);
        }
        return out;
    }

    private static void assertSame(List<BinlogRecord> want, List<BinlogRecord> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            BinlogRecord a = want.get(i), b = got.get(i);
            assertEquals(a.seq(), b.seq());
            assertEquals(a.timestampNs(), b.timestampNs());
            assertEquals(a.type(), b.type());
            assertEquals(a.offset(), b.offset());
            assertEquals(a.metadata(), b.metadata());
            assertArrayEquals(a.payload(), b.payload());
        }
    }

    @Test
    void aCompressedSegmentReadsAsThePlainOne() throws Exception {
        List<BinlogRecord> want;
        try (BinlogReader r = BinlogReader.open(PLAIN)) {
            want = readAll(r);
        }
        assertTrue(want.size() >= 4, want.size() + " records");
        try (BinlogReader r = BinlogReader.open(COMPRESSED)) {
            assertSame(want, readAll(r));
        }
        long mid = want.get(want.size() / 2).seq();
        try (BinlogReader r = BinlogReader.open(COMPRESSED)) {
            r.seekSeq(mid);
            assertSame(want.subList(want.size() / 2, want.size()), readAll(r));
        }
        String type = want.get(1).type();
        List<BinlogRecord> ofType = new ArrayList<>();
        for (BinlogRecord rec : want) {
            if (rec.type().equals(type)) {
                ofType.add(rec);
            }
        }
        assertTrue(ofType.size() < want.size());
        try (BinlogReader r = BinlogReader.open(COMPRESSED)) {
            r.filterTypes(type);
            assertSame(ofType, readAll(r));
        }
    }

    /**
     * A rolling log's compressed segments read the same with their frames decompressed ahead on 3
     * threads as on the reader's own (0): every record written (seq, time, type, payload,
     * metadata, offset), whole and after a seek to the middle; mid-scan with 3 the library's
     * binlog-decode threads exist. A negative count is refused, a closed reader throws CLOSED.
     */
    @Test
    void decodeThreadsReadTheRecordsTheReadersOwnThreadReads() throws Exception {
        int n = 2000;
        writeCompressedLog(n);
        List<BinlogRecord> own = readLog(0, -1);
        assertEquals(n, own.size());
        for (int i = 0; i < n; i++) {
            BinlogRecord r = own.get(i);
            assertEquals(i, r.seq());
            assertEquals(TYPES[i % 3], r.type());
            assertArrayEquals(payload(i), r.payload(), r.toString());
            assertEquals(metadata(i), r.metadata(), r.toString());
        }
        assertSame(own, readLog(3, -1));
        int mid = n / 2;
        assertSame(own.subList(mid, n), readLog(0, own.get(mid).seq()));
        assertSame(own.subList(mid, n), readLog(3, own.get(mid).seq()));

        try (BinlogReader r = BinlogReader.openLog(dir, "z")) {
            r.decodeThreads(3);
            for (int i = 0; i < 100; i++) {
                assertNotNull(r.next());
            }
            assertTrue(decodingThreads() > 0,
                    "no binlog-decode thread while a scan with 3 decode threads is under way");
            assertThrows(IllegalArgumentException.class, () -> r.decodeThreads(-1));
            r.close();
            expect(ErrorCode.CLOSED, () -> r.decodeThreads(2));
        }
    }

    private List<BinlogRecord> readLog(int threads, long seekSeq) throws IOException {
        try (BinlogReader r = BinlogReader.openLog(dir, "z")) {
            r.decodeThreads(threads);
            if (seekSeq >= 0) {
                r.seekSeq(seekSeq);
            }
            return readAll(r);
        }
    }

    /**
     * Writes log "z" in segments of 400 records, compressed in frames of about 4 KiB, until at
     * least 3 of its segments are compressed, and closes it. BinlogRecord i is {@link #payload}(i) of
     * type TYPES[i % 3] with {@link #metadata}(i).
     */
    private void writeCompressedLog(int n) throws InterruptedException, IOException {
        Options opts = Options.builder().maxSegmentRecords(400).compression(0, 0, 4 << 10).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "z", opts)) {
            for (int i = 0; i < n; i++) {
                w.write(TYPES[i % 3], payload(i), metadata(i), Binlog.TIME_NOW);
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (compressedSegments(LogSegment.list(dir, "z")) < 3) {
                assertTrue(System.nanoTime() < deadline, "3 segments not compressed after 30 s");
                Thread.sleep(10);
            }
        }
    }

    /** BinlogRecord i's payload: varied in size and content. */
    private static byte[] payload(int i) {
        return ("payload " + (i * 7919 % 10007) + ";").repeat(1 + i % 23).getBytes(StandardCharsets.UTF_8);
    }

    /** BinlogRecord i's metadata: two entries on one record in three. */
    private static Map<String, String> metadata(int i) {
        Map<String, String> m = new LinkedHashMap<>();
        if (i % 3 == 1) {
            m.put("n", Integer.toString(i));
            m.put("k", "v");
        }
        return m;
    }

    /** This process's threads named binlog-decode (the library's decode-ahead pool). */
    private static int decodingThreads() throws IOException {
        int count = 0;
        try (Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals("binlog-decode")) {
                        count++;
                    }
                } catch (IOException gone) {
                    // The thread ended since the listing.
                }
            }
        }
        return count;
    }
}
