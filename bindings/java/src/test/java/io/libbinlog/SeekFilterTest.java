package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeekFilterTest {
    @TempDir
    Path dir;

    private static final String[] TYPES = {"a", "b", "c"};
    private static final int N = 3_000;

    private static void fill(BinlogWriter w) throws IOException {
        for (int i = 0; i < N; i++) {
            w.write(TYPES[i % 3], new byte[64], null, 1_000L * i);
        }
    }

    /** A record nextInto kept back (its buffer too small) is not read yet: a new filter decides on it. */
    @Test
    void aRecordNextIntoKeptBackIsFilteredLikeTheRest() throws Exception {
        Path file = dir.resolve("kept.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("big", new byte[5000]); // 0
            w.write("s", new byte[10]); // 1
            w.write("big", new byte[10]); // 2
        }
        // Every type again, or the kept record's type: it comes first.
        for (String[] filter : new String[][] {{}, {"big"}}) {
            try (BinlogReader r = BinlogReader.open(file)) {
                RecordInfo kept = r.nextInto(ByteBuffer.allocateDirect(10));
                assertFalse(kept.copied());
                assertEquals(0, kept.seq());
                r.filterTypes(filter);
                assertEquals(0, r.next().seq(), String.join(",", filter));
                assertEquals(filter.length == 0 ? 1 : 2, r.next().seq());
            }
        }
        // Another type: the kept record is skipped like any other.
        try (BinlogReader r = BinlogReader.open(file)) {
            assertFalse(r.nextInto(ByteBuffer.allocateDirect(10)).copied());
            r.filterTypes("s");
            assertEquals(1, r.next().seq());
            assertNull(r.next());
        }
    }

    @Test
    void seekSeqSeekTimeAndFilterTypesOnASealedSegment() throws Exception {
        Path file = dir.resolve("sealed.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().sparseInterval(1024).build())) {
            fill(w);
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            check(r);
        }
    }

    @Test
    void seekSeqSeekTimeAndFilterTypesOnAnUnsealedSegment() throws Exception {
        Path file = dir.resolve("open.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            fill(w);
            w.flush();
            try (BinlogReader r = BinlogReader.open(file)) {
                check(r);
            }
        }
    }

    @Test
    void seekAndFilterOnALog() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "sf", Options.builder().maxSegmentRecords(400).build())) {
            fill(w);
        }
        try (BinlogReader r = BinlogReader.openLog(dir, "sf")) {
            check(r);
        }
    }

    private void check(BinlogReader r) throws IOException {
        r.seekSeq(1234);
        assertEquals(1234, r.next().seq());
        r.seekSeq(0);
        assertEquals(0, r.next().seq());
        r.seekSeq(N + 10);
        assertNull(r.next());

        r.seekTime(1_000L * 2500 + 1);
        BinlogRecord t = r.next();
        assertEquals(2501, t.seq());
        assertEquals(1_000L * 2501, t.timestampNs());
        r.seekTime(0);
        assertEquals(0, r.next().seq());

        r.seekSeq(0);
        r.filterTypes("b");
        int count = 0;
        BinlogRecord rec;
        long last = -1;
        while ((rec = r.next()) != null) {
            assertEquals("b", rec.type());
            assertEquals(1, rec.seq() % 3);
            assertEquals(true, rec.seq() > last);
            last = rec.seq();
            count++;
        }
        assertEquals(N / 3, count);

        // two types; seeking keeps the filter: seq 100 is "b", so the next match is 101 ("c")
        r.filterTypes(List.of("c", "a"));
        r.seekSeq(100);
        assertEquals(101, r.next().seq());
        assertEquals(102, r.next().seq());
        assertEquals(104, r.next().seq());

        // no types: every record again
        r.filterTypes();
        r.seekSeq(100);
        assertEquals(100, r.next().seq());
        assertEquals(101, r.next().seq());
    }
}
