package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nextBatch's payloads left in the library's mapping: the same records and
 * errors as next(), and payload slices that stay readable after the reader
 * moves on and closes.
 */
class MappedBatchTest {
    @TempDir
    Path dir;

    private static final String[] TYPES = {"order", "fill", "ß-type", "t"};

    /** Writes random records: 0-byte to 5,000-byte payloads (one of 3 MiB), some metadata. */
    private static void writeRandom(BinlogWriter w, Random rnd, int records) throws IOException {
        for (int i = 0; i < records; i++) {
            int size = rnd.nextInt(20) == 0 ? 0 : rnd.nextInt(10) == 0 ? rnd.nextInt(5000) : rnd.nextInt(100);
            if (i == records / 2) {
                size = 3 << 20;
            }
            byte[] payload = new byte[size];
            rnd.nextBytes(payload);
            String type = TYPES[rnd.nextInt(TYPES.length)];
            if (rnd.nextInt(4) == 0) {
                w.write(type, payload, java.util.Map.of("k" + rnd.nextInt(3), "v" + i), 1_000_000L * i - 5);
            } else {
                w.write(type, payload);
            }
        }
    }

    private static List<BinlogRecord> perRecord(Path file) throws IOException {
        List<BinlogRecord> out = new ArrayList<>();
        try (BinlogReader r = BinlogReader.open(file)) {
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                out.add(rec);
            }
        }
        return out;
    }

    /**
     * Reads every record now there in batches, keeping each payload slice (a sealed segment's
     * payloads are all in the mapping), or else a copy (a payload copied into the batch's
     * buffer is overwritten by the next fill).
     */
    private static void readBatches(BinlogReader r, RecordBatch b, List<BinlogRecord> got, List<ByteBuffer> slices,
            boolean keepSlices) throws IOException {
        for (int n; (n = r.nextBatch(b)) > 0;) {
            for (int i = 0; i < n; i++) {
                got.add(b.record(i));
                slices.add(keepSlices ? b.payload(i) : ByteBuffer.wrap(b.payloadBytes(i)).asReadOnlyBuffer());
            }
        }
    }

    private static void assertSame(List<BinlogRecord> want, List<BinlogRecord> got, List<ByteBuffer> slices) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            BinlogRecord w = want.get(i);
            BinlogRecord g = got.get(i);
            assertEquals(List.of(w.seq(), w.timestampNs(), w.type(), w.metadata(), w.offset()),
                    List.of(g.seq(), g.timestampNs(), g.type(), g.metadata(), g.offset()), "record " + i);
            assertArrayEquals(w.payload(), g.payload(), "record " + i);
            ByteBuffer s = slices.get(i);
            assertTrue(s.isReadOnly());
            byte[] bytes = new byte[s.remaining()];
            s.get(bytes);
            assertArrayEquals(want.get(i).payload(), bytes, "payload of record " + i);
        }
    }

    @Test
    void randomSealedSegmentsReadInBatchesAsNextReadsThemAndSlicesOutliveTheReader() throws Exception {
        for (int seed = 1; seed <= 3; seed++) {
            Path file = dir.resolve("random-" + seed + ".binlog");
            try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().firstSeq(seed * 1000L).build())) {
                writeRandom(w, new Random(seed), 3000);
            }
            List<BinlogRecord> got = new ArrayList<>();
            List<ByteBuffer> slices = new ArrayList<>();
            try (BinlogReader r = BinlogReader.open(file)) {
                readBatches(r, new RecordBatch(1 << 16, 1 + seed * 100), got, slices, true);
            }
            System.gc(); // the slices keep the mapping: nothing they show is released
            assertSame(perRecord(file), got, slices);
        }
    }

    @Test
    void aGrowingSegmentReadInBatchesGivesEveryRecordAsItGrows() throws Exception {
        Path file = dir.resolve("live.binlog");
        Random rnd = new Random(7);
        List<BinlogRecord> got = new ArrayList<>();
        List<ByteBuffer> slices = new ArrayList<>();
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().flushDelayUs(0).build());
                BinlogReader r = BinlogReader.open(file)) {
            RecordBatch b = new RecordBatch(1 << 16, 64);
            for (int round = 0; round < 5; round++) {
                writeRandom(w, rnd, 200);
                w.flush();
                readBatches(r, b, got, slices, false);
                assertEquals(200 * (round + 1), got.size());
            }
        }
        assertSame(perRecord(file), got, slices);
    }

    @Test
    void aLogReadInBatchesAcrossSegmentsAndCompressedOnesGivesEveryRecord() throws Exception {
        Path logDir = dir.resolve("log");
        Options o = Options.builder().maxSegmentRecords(700).compression(1, 1, 64 << 10).build();
        try (BinlogWriter w = BinlogWriter.openLog(logDir, "l", o)) {
            writeRandom(w, new Random(3), 3000);
        }
        List<BinlogRecord> want = new ArrayList<>();
        try (BinlogReader r = BinlogReader.openLog(logDir, "l")) {
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                want.add(rec);
            }
        }
        List<BinlogRecord> got = new ArrayList<>();
        List<ByteBuffer> slices = new ArrayList<>();
        try (BinlogReader r = BinlogReader.openLog(logDir, "l")) {
            readBatches(r, new RecordBatch(8 << 20, 500), got, slices, false);
        }
        assertEquals(3000, want.size());
        assertSame(want, got, slices);
    }

    @Test
    void aFlippedBitThrowsWhatNextThrowsAfterTheRecordsBeforeIt() throws IOException {
        Path file = dir.resolve("flip.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            writeRandom(w, new Random(11), 500);
        }
        List<BinlogRecord> recs = perRecord(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) recs.get(300).offset() + 20] ^= 0x08;
        Files.write(file, bytes);
        BinlogException want;
        try (BinlogReader r = BinlogReader.open(file)) {
            want = assertThrows(BinlogException.class, () -> {
                while (r.next() != null) {
                    // to the damage
                }
            });
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            List<BinlogRecord> got = new ArrayList<>();
            BinlogException e = assertThrows(BinlogException.class, () -> readBatches(r, new RecordBatch(1 << 20, 128), got, new ArrayList<>(), false));
            assertEquals(ErrorCode.CORRUPT, e.code());
            assertEquals(want.nativeMessage(), e.nativeMessage());
            assertSame(recs.subList(0, 300), got, got.stream().map(g -> ByteBuffer.wrap(g.payload()).asReadOnlyBuffer()).toList());
        }
    }
}
