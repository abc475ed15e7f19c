package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.libbinlog.BinlogConsumer.Start;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BinlogReader#next()} returns records from a batch it read ahead: what is observable follows the records
 * returned, not those read ahead. Each test leaves records read ahead and unreturned (20 {@code next()} calls read 31
 * records: batches of 1, 2, 4, 8 and 16) before the call it checks.
 */
class ReadAheadTest {
    private static final int RETURNED = 20;

    @TempDir
    Path dir;

    /** Log "orders" of {@code n} records, 30 a segment, types "a" and "b" in turn. */
    private void log(int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(30).build())) {
            for (int i = 0; i < n; i++) {
                w.write(i % 2 == 0 ? "a" : "b", new byte[] {(byte) i}, Map.of(), i);
            }
        }
    }

    /** Returns RETURNED records from {@code r}, checking they are the first ones. */
    private static void readSome(BinlogReader r) throws IOException {
        for (int i = 0; i < RETURNED; i++) {
            assertEquals(i, r.next().seq());
        }
    }

    @Test
    void nextAfterASeekReturnsTheRecordAtTheNewPosition() throws IOException {
        log(100);
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            readSome(r);
            r.seekSeq(70);
            assertEquals(70, r.next().seq());
            r.seekSeq(3); // back, into records read ahead before
            assertEquals(3, r.next().seq());
        }
    }

    @Test
    void positionAndFilterFollowTheRecordsReturned() throws IOException {
        log(100);
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            readSome(r);
            String token = r.position();
            assertEquals(RETURNED, r.next().seq());
            try (BinlogReader other = BinlogReader.openLog(dir, "orders")) {
                other.seekPosition(token);
                assertEquals(RETURNED, other.next().seq());
            }
        }
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            readSome(r);
            r.filterTypes("b"); // record 21, read ahead, is a "b"; 22 is not
            assertEquals(RETURNED + 1, r.next().seq());
            assertEquals(RETURNED + 3, r.next().seq());
        }
    }

    @Test
    void aConsumerCommitsTheLastRecordReturnedNotThoseReadAhead() throws IOException {
        log(100);
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "billing", Start.FIRST)) {
            readSome(c.reader());
            c.commit();
            assertEquals(RETURNED, c.committed());
            assertEquals(ErrorCode.INVALID_ARGUMENT,
                    assertThrows(BinlogException.class, () -> c.commit(RETURNED + 2)).code()); // read ahead only
            assertEquals(RETURNED, c.next().seq()); // the commits left the records read ahead to be returned
        }
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "billing", Start.FIRST)) {
            assertEquals(RETURNED, c.next().seq());
        }
    }

    @Test
    void aFollowSeesRecordsAppendedAfterTheBatchWasRead() throws IOException {
        try (BinlogWriter w = Live.rollingLog(dir); BinlogReader r = BinlogReader.openLog(dir, "live")) {
            for (int i = 0; i < 2 * RETURNED; i++) {
                w.write("t", new byte[] {(byte) i});
            }
            readSome(r);
            for (int i = 2 * RETURNED; i < 4 * RETURNED; i++) { // after the batch: 20 to 30 are read ahead
                w.write("t", new byte[] {(byte) i});
            }
            List<Long> seqs = new ArrayList<>();
            for (BinlogRecord rec; seqs.size() < 3 * RETURNED && (rec = r.nextWait(60_000)) != null;) {
                seqs.add(rec.seq());
            }
            assertEquals(java.util.stream.LongStream.range(RETURNED, 4 * RETURNED).boxed().toList(), seqs);
            assertNull(r.nextWait(1));
        }
    }

    @Test
    void anErrorInTheMiddleOfABatchSurfacesAfterTheGoodRecordsBeforeIt() throws IOException {
        Path file = dir.resolve("damaged.binlog");
        List<Long> offsets = new ArrayList<>();
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int i = 0; i < 40; i++) {
                w.write("t", new byte[64]);
            }
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            for (BinlogRecord rec : r) {
                offsets.add(rec.offset());
            }
        }
        int bad = 25; // in the fifth batch, records 15 to 30
        byte[] b = Files.readAllBytes(file);
        b[(int) (offsets.get(bad) + offsets.get(bad + 1)) / 2] ^= (byte) 0xff;
        Files.write(file, b);
        try (BinlogReader r = BinlogReader.open(file)) {
            for (int i = 0; i < bad; i++) {
                assertEquals(i, r.next().seq());
            }
            BinlogCorruptException e = assertThrows(BinlogCorruptException.class, r::next);
            assertEquals(file.toString(), e.path().orElseThrow(), e.getMessage());
            assertEquals(offsets.get(bad), e.offset().orElseThrow(), e.getMessage());
        }
    }

    @Test
    void closeDropsTheRecordsReadAhead() throws IOException {
        log(100);
        BinlogReader r = BinlogReader.openLog(dir, "orders");
        readSome(r);
        r.close();
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogClosedException.class, r::next).code());
        assertEquals(ErrorCode.CLOSED, assertThrows(BinlogClosedException.class, () -> r.visitNext(v -> { })).code());
    }
}
