package io.libbinlog;

import static io.libbinlog.TestSupport.compressedSegments;
import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LogSegment.list(): binlog_log_list_segments copied into Java. */
class LogSegmentTest {
    @TempDir
    Path dir;

    @Test
    void aRolledLogListsItsSealedSegmentsThenItsActiveOne() throws IOException {
        Options opts = Options.builder().maxSegmentRecords(3).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "up", opts)) {
            for (int i = 0; i < 7; i++) {
                w.write("t", new byte[] {1, 2, 3});
            }
            w.flush();
            List<LogSegment> segs = LogSegment.list(dir, "up");
            assertEquals(3, segs.size(), segs.toString());
            for (int i = 0; i < 3; i++) {
                LogSegment s = segs.get(i);
                assertEquals(i, s.segmentNo(), s.toString());
                assertEquals(OptionalLong.of(3L * i), s.firstSeq(), s.toString());
                assertFalse(s.salvagedOffset().isPresent(), s.toString());
                assertEquals(Files.size(s.path()), s.bytes(), s.toString());
                assertEquals(dir, s.path().getParent());
                boolean sealed = i < 2;
                assertEquals(sealed ? LogSegment.State.SEALED : LogSegment.State.ACTIVE, s.state(), s.toString());
                assertEquals(sealed ? OptionalLong.of(3L * i + 2) : OptionalLong.empty(), s.lastSeq(), s.toString());
            }
        }
        assertEquals(0, LogSegment.list(dir, "none").size());
        expect(ErrorCode.INVALID_ARGUMENT, () -> LogSegment.list(dir, ".bad"));
        TestSupport.missingNaming("missing", () -> LogSegment.list(dir.resolve("missing"), "up"));
    }

    @Test
    void aLogWithCompressionListsItsSealedSegmentsAsZstFiles() throws Exception {
        Options opts = Options.builder().maxSegmentRecords(2).compression(0, 0, 0).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "z", opts)) {
            for (int i = 0; i < 7; i++) {
                w.write("t", "a payload that compresses well".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (compressedSegments(LogSegment.list(dir, "z")) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            List<LogSegment> segs = LogSegment.list(dir, "z");
            assertEquals(3, compressedSegments(segs), segs.toString());
            for (int i = 0; i < 3; i++) {
                assertEquals(i, segs.get(i).segmentNo(), segs.toString());
                assertEquals(LogSegment.State.SEALED, segs.get(i).state(), segs.toString());
                assertTrue(segs.get(i).originalBytes().getAsLong() > 100, segs.toString());
            }
            assertEquals(OptionalLong.empty(), segs.get(3).originalBytes(), segs.toString());
        }
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().compression(0, 99, 0).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().compression(0, 3, 2L << 30).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().compression(0, 0, 0).typeCopies(1001).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().compression(0, 0, 0).typeCopies(-1).build());
        expect(ErrorCode.INVALID_ARGUMENT, () -> Options.builder().typeCopies(50).build());
        Options.builder().compression(0, 0, 0).typeCopies(0).build();
        Options logOnly = Options.builder().compression(0, 0, 0).build();
        expect(ErrorCode.INVALID_ARGUMENT, () -> BinlogWriter.openSegment(dir.resolve("a.binlog"), logOnly));
    }
}
