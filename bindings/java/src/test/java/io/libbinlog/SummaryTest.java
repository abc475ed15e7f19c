package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binlog.summarize, BinlogReader.summary and BinlogMergedReader.summary: the library's summary of a segment, a log and
 * a reader.
 */
class SummaryTest {
    @TempDir
    Path dir;

    @Test
    void aSegmentPerTypeInOrderOfFirstRecord() throws IOException {
        Path p = dir.resolve("s.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            for (String[] r : new String[][] {{"b", "xyz"}, {"a", ""}, {"b", "12345"}}) {
                w.write(r[0], r[1].getBytes(StandardCharsets.UTF_8));
            }
        }
        Summary s = Binlog.summarize(p);
        assertEquals(List.of(3L, 8L, 0L, 2L), List.of(s.records(), s.payloadBytes(), s.firstSeq(), s.lastSeq()));
        assertEquals(List.of("b", "a"), s.types().stream().map(Summary.TypeSummary::name).toList());
        Summary.TypeSummary b = s.type("b").orElseThrow();
        assertEquals(List.of(2L, 8L, 0L, 2L), List.of(b.records(), b.payloadBytes(), b.firstSeq(), b.lastSeq()));
        assertTrue(s.bytes() > s.payloadBytes() && s.minNs() <= b.firstNs() && b.lastNs() <= s.maxNs());
        assertTrue(s.type("c").isEmpty());
    }

    @Test
    void aLogAndAReaderFromWhereItStands() throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(4).build())) {
            for (int i = 0; i < 10; i++) {
                w.write(i % 2 == 0 ? "even" : "odd", new byte[] {(byte) i});
            }
        }
        Summary s = Binlog.summarize(dir);
        assertEquals(List.of(10L, 9L, 5L), List.of(s.records(), s.lastSeq(), s.type("odd").get().records()));
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            for (int i = 0; i < 3; i++) {
                assertEquals(i, r.next().seq());
            }
            Summary rest = r.summary();
            assertEquals(List.of(7L, 3L), List.of(rest.records(), rest.firstSeq()));
            assertNull(r.next());
        }
        TestSupport.missing(dir.resolve("missing"), () -> Binlog.summarize(dir.resolve("missing")));
    }

    @Test
    void aMergedReaderFromWhereItStandsInMergedOrder() throws IOException {
        Options twoPerSegment = Options.builder().maxSegmentRecords(2).build();
        long[][] times = {{10, 30, 50}, {20, 40}};
        for (int i = 0; i < times.length; i++) {
            String name = "ab".substring(i, i + 1);
            try (BinlogWriter w = BinlogWriter.openLog(dir, name, twoPerSegment)) {
                for (long ts : times[i]) {
                    w.write("event", name.getBytes(StandardCharsets.UTF_8), Map.of(), ts);
                }
            }
        }
        try (BinlogMergedReader r = BinlogMergedReader.open(dir, null, null)) {
            assertEquals(10, r.next().record().timestampNs());
            assertTrue(r.iterator().hasNext()); // b's record at 20, read ahead: the library cannot count it
            assertThrows(IllegalStateException.class, r::summary);
            assertEquals(20, r.next().record().timestampNs());
            Summary s = r.summary();
            assertEquals(List.of(3L, 30L, 50L, 1L, 2L),
                    List.of(s.records(), s.firstNs(), s.lastNs(), s.firstSeq(), s.lastSeq()));
            assertEquals(List.of("event"), s.types().stream().map(Summary.TypeSummary::name).toList());
            assertEquals(3, s.type("event").orElseThrow().payloadBytes());
            assertNull(r.next());
        }
    }

    @Test
    void aLogWithNoSegmentHasEveryCountZero() throws IOException {
        BinlogWriter.openLog(dir, "idle").close();
        Summary s = Binlog.summarize(dir);
        assertEquals(List.of(0L, 0L, 0), List.of(s.records(), s.bytes(), s.types().size()));
    }
}
