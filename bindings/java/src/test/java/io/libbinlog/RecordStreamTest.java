package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordStreamTest {
    @TempDir
    Path dir;

    private Path segmentOf(int n) {
        Path file = dir.resolve("s.binlog");
        try (Writer w = Writer.openSegment(file)) {
            for (int i = 0; i < n; i++) {
                w.write(i % 2 == 0 ? "even" : "odd", new byte[] {(byte) i});
            }
        }
        return file;
    }

    @Test
    void recordsStreamsEveryRecordInOrderThenEnds() {
        try (Reader r = Reader.open(segmentOf(5))) {
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), r.records().map(Record::seq).collect(Collectors.toList()));
            assertNull(r.next());
        }
    }

    @Test
    void aShortCircuitingStreamConsumesNoRecordPastWhatItTook() {
        try (Reader r = Reader.open(segmentOf(5))) {
            assertEquals(List.of(0L, 1L), r.records().limit(2).map(Record::seq).collect(Collectors.toList()));
            assertEquals(2, r.records().filter(rec -> rec.type().equals("even")).findFirst().orElseThrow().seq());
            assertEquals(3, r.next().seq());
        }
    }

    @Test
    void aStreamOfAClosedReaderThrowsClosed() {
        Reader r = Reader.open(segmentOf(1));
        r.close();
        BinlogException e = assertThrows(BinlogException.class, () -> r.records().count());
        assertEquals(ErrorCode.CLOSED, e.code());
    }
}
