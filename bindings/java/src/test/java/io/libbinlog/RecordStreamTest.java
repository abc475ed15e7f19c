package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordStreamTest {
    @TempDir
    Path dir;

    private Path segmentOf(int n) throws IOException {
        Path file = dir.resolve("s.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int i = 0; i < n; i++) {
                w.write(i % 2 == 0 ? "even" : "odd", new byte[] {(byte) i});
            }
        }
        return file;
    }

    /** A for-each loop reads every record; hasNext keeps the record it read for the next read of any kind. */
    @Test
    void forEachReadsEveryRecordAndHasNextLosesNone() throws Exception {
        try (BinlogReader r = BinlogReader.open(segmentOf(5))) {
            java.util.Iterator<BinlogRecord> it = r.iterator();
            assertTrue(it.hasNext());
            assertTrue(it.hasNext()); // reads nothing more
            assertEquals(0, r.next().seq()); // the record hasNext read comes first
            List<Long> seqs = new java.util.ArrayList<>();
            for (BinlogRecord rec : r) {
                seqs.add(rec.seq());
            }
            assertEquals(List.of(1L, 2L, 3L, 4L), seqs);
            assertFalse(r.iterator().hasNext());
            assertThrows(java.util.NoSuchElementException.class, () -> r.iterator().next());
        }
    }

    @Test
    void recordsStreamsEveryRecordInOrderThenEnds() throws Exception {
        try (BinlogReader r = BinlogReader.open(segmentOf(5))) {
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), r.records().map(BinlogRecord::seq).collect(Collectors.toList()));
            assertNull(r.next());
        }
    }

    @Test
    void aShortCircuitingStreamConsumesNoRecordPastWhatItTook() throws Exception {
        try (BinlogReader r = BinlogReader.open(segmentOf(5))) {
            assertEquals(List.of(0L, 1L), r.records().limit(2).map(BinlogRecord::seq).collect(Collectors.toList()));
            assertEquals(2, r.records().filter(rec -> rec.type().equals("even")).findFirst().orElseThrow().seq());
            assertEquals(3, r.next().seq());
        }
    }

    @Test
    void aStreamOfAClosedReaderThrowsClosed() throws Exception {
        BinlogReader r = BinlogReader.open(segmentOf(1));
        r.close();
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> r.records().count());
        assertEquals(ErrorCode.CLOSED, ((BinlogClosedException) e.getCause()).code());
    }
}
