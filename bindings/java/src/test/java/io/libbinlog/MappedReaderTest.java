package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MappedReader returns what Reader.open returns, record for record and
 * error for error, and decodes intact frames in Java.
 */
class MappedReaderTest {
    @TempDir
    Path dir;

    private static final String[] TYPES = {"order", "fill", "ß-type", "cancel", "t"};

    /** Writes a random segment: several types, some metadata, 0-byte to 3 MiB payloads. */
    private static void writeRandom(Writer w, Random rnd, int records) {
        for (int i = 0; i < records; i++) {
            int size = rnd.nextInt(20) == 0 ? 0 : rnd.nextInt(10) == 0 ? rnd.nextInt(5000) : rnd.nextInt(100);
            if (i == records / 2) {
                size = 3 << 20; // larger than a copy chunk
            }
            byte[] payload = new byte[size];
            rnd.nextBytes(payload);
            String type = TYPES[rnd.nextInt(TYPES.length)];
            if (rnd.nextInt(4) == 0) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("k" + rnd.nextInt(3), "v" + i);
                meta.put("ключ", "");
                w.write(type, payload, meta, 1_000_000L * i - 5);
            } else {
                w.write(type, payload);
            }
        }
    }

    private static List<Record> nativeRecords(Path file) {
        List<Record> out = new ArrayList<>();
        try (Reader r = Reader.open(file)) {
            for (Record rec = r.next(); rec != null; rec = r.next()) {
                out.add(rec);
            }
        }
        return out;
    }

    private static void assertSameRecord(Record want, MappedRecord got) {
        assertNotNull(got, "record " + want.seq() + " missing");
        assertEquals(want.seq(), got.seq());
        assertEquals(want.timestampNs(), got.timestampNs());
        assertEquals(want.type(), got.type());
        assertEquals(want.offset(), got.offset());
        assertEquals(want.metadata(), got.metadata());
        assertEquals(want.payload().length, got.payloadLength());
        assertArrayEquals(want.payload(), got.payloadBytes());
        ByteBuffer slice = got.payload();
        assertTrue(slice.isReadOnly());
        assertEquals(want.payload().length, slice.remaining());
    }

    /** Reads all of file with a MappedReader, checking each against want; returns how many came from Java. */
    private static int readAndCompare(Path file, List<Record> want, boolean mapped) {
        int inJava = 0;
        try (MappedReader r = MappedReader.open(file)) {
            assertEquals(mapped, r.mapsFile(), "a sealed segment is mapped, any other file is not");
            for (Record w : want) {
                assertSameRecord(w, r.next());
                inJava += r.decodingInJava() ? 1 : 0;
            }
            assertNull(r.next());
            assertNull(r.next());
        }
        return inJava;
    }

    @Test
    void randomSealedSegmentsReadAsTheNativeReaderReadsThem() {
        for (int seed = 1; seed <= 4; seed++) {
            Path file = dir.resolve("random-" + seed + ".binlog");
            Options o = Options.builder().firstSeq(seed * 1000L).build();
            try (Writer w = Writer.openSegment(file, o)) {
                writeRandom(w, new Random(seed), 3000);
            }
            List<Record> want = nativeRecords(file);
            assertEquals(3000, want.size());
            assertEquals(3000, readAndCompare(file, want, true), "every intact record is decoded in Java");
        }
    }

    @Test
    void anUnsealedSegmentIsReadAsItGrows() throws IOException {
        Path file = dir.resolve("live.binlog");
        Random rnd = new Random(7);
        try (Writer w = Writer.openSegment(file, Options.builder().flushDelayUs(0).build());
                MappedReader r = MappedReader.open(file)) {
            assertFalse(r.mapsFile(), "an unsealed segment is read with pread");
            assertNull(r.next());
            long seq = 0;
            for (int round = 0; round < 5; round++) {
                writeRandom(w, rnd, 200);
                w.flush();
                MappedRecord rec;
                while ((rec = r.next()) != null) {
                    assertEquals(seq++, rec.seq());
                    assertTrue(r.decodingInJava());
                }
                assertEquals(200L * (round + 1), seq);
            }
        }
    }

    @Test
    void aSegmentFollowedWhileAnotherThreadWritesItGivesEveryRecordInOrder() throws Exception {
        Path file = dir.resolve("followed.binlog");
        int records = 20_000;
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (Writer w = Writer.openSegment(file, Options.builder().bufferSize(0).build());
                MappedReader r = MappedReader.open(file)) {
            Thread producer = Live.producer(w, records, failed);
            producer.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            int seq = 0;
            while (seq < records && System.nanoTime() < deadline) {
                MappedRecord rec = r.next();
                if (rec == null) {
                    Thread.sleep(1);
                    continue;
                }
                assertEquals(seq, rec.seq());
                assertEquals(seq % 2 == 0 ? "even" : "odd", rec.type());
                assertEquals(seq, rec.data().duplicate().order(java.nio.ByteOrder.BIG_ENDIAN)
                        .getInt(rec.payloadOffset()));
                seq++;
            }
            producer.join();
            assertNull(failed.get());
            assertEquals(records, seq);
        }
    }

    @Test
    void emptyAndLargePayloadsKeepTheirBytes() {
        Path file = dir.resolve("sizes.binlog");
        byte[] large = new byte[5 << 20];
        new Random(3).nextBytes(large);
        try (Writer w = Writer.openSegment(file)) {
            w.write("empty", new byte[0]);
            w.write("large", large);
            w.write("empty", new byte[0]);
        }
        try (MappedReader r = MappedReader.open(file)) {
            assertTrue(r.mapsFile());
            assertEquals(0, r.next().payloadLength());
            MappedRecord big = r.next();
            assertEquals("large", big.type());
            assertArrayEquals(large, big.payloadBytes());
            assertEquals(0, r.next().payload().remaining());
            assertNull(r.next());
            assertEquals(0, r.header().firstSeq());
        }
    }

    /** The records before the failure and the failure, as a reader of either kind meets them. */
    private interface Next {
        Object next();
    }

    private static BinlogException failureAfter(Next next, List<Long> seqs) {
        return assertThrows(BinlogException.class, () -> {
            for (Object rec = next.next(); rec != null; rec = next.next()) {
                seqs.add(rec instanceof Record ? ((Record) rec).seq() : ((MappedRecord) rec).seq());
            }
        });
    }

    private static void assertSameFailure(Path file) {
        List<Long> nativeSeqs = new ArrayList<>();
        List<Long> javaSeqs = new ArrayList<>();
        BinlogException want;
        try (Reader r = Reader.open(file)) {
            want = failureAfter(r::next, nativeSeqs);
        }
        try (MappedReader r = MappedReader.open(file)) {
            BinlogException got = failureAfter(r::next, javaSeqs);
            assertEquals(want.code(), got.code());
            assertEquals(want.nativeMessage(), got.nativeMessage());
            BinlogException again = assertThrows(BinlogException.class, r::next);
            assertEquals(want.code(), again.code());
        }
        assertEquals(nativeSeqs, javaSeqs);
        assertFalse(javaSeqs.isEmpty());
    }

    private static void flipBit(Path file, long offset) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) offset] ^= 0x08;
        Files.write(file, b);
    }

    @Test
    void aFlippedBitThrowsWhatTheNativeReaderThrows() throws IOException {
        Path file = dir.resolve("flip.binlog");
        try (Writer w = Writer.openSegment(file)) {
            writeRandom(w, new Random(11), 500);
        }
        List<Record> recs = nativeRecords(file);
        flipBit(file, recs.get(300).offset() + 20);
        assertSameFailure(file);
        assertEquals(ErrorCode.CORRUPT, assertThrows(BinlogException.class, () -> nativeRecords(file)).code());
    }

    @Test
    void damageInARunOfSmallRecordsThrowsWhatTheNativeReaderThrows() throws IOException {
        Path sealed = dir.resolve("small.binlog");
        byte[] payload = new byte[32];
        try (Writer w = Writer.openSegment(sealed)) {
            for (int i = 0; i < 1000; i++) {
                payload[i % 32] = (byte) i;
                w.write("s", payload);
            }
        }
        List<Record> recs = nativeRecords(sealed);
        // Frames checked in runs (FrameRunCheck): the first, inside and around a run's end, a body's last byte,
        // a stored CRC; then two frames of one run damaged.
        long[][] damage = {{recs.get(1).offset() + 30}, {recs.get(70).offset() + 9}, {recs.get(140).offset() + 40},
            {recs.get(141).offset() + 8 + 49}, {recs.get(142).offset() + 5}, {recs.get(999).offset() + 57},
            {recs.get(300).offset() + 40, recs.get(301).offset() + 40}};
        for (long[] at : damage) {
            Path file = dir.resolve("small-" + at[0] + ".binlog");
            Files.copy(sealed, file);
            for (long offset : at) {
                flipBit(file, offset);
            }
            assertSameFailure(file);
        }
    }

    /** The file's bytes up to where its records end (its seal cut off): an unsealed segment. */
    private static byte[] recordsOnly(Path file) throws IOException {
        List<Record> recs = nativeRecords(file);
        Record last = recs.get(recs.size() - 1);
        long end = last.offset() + frameLength(file, last.offset());
        return Arrays.copyOf(Files.readAllBytes(file), (int) end);
    }

    private static long frameLength(Path file, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return 8 + Integer.toUnsignedLong(b.getInt((int) offset));
    }

    @Test
    void aFlippedBitInAnUnsealedSegmentThrowsWhatTheNativeReaderThrows() throws IOException {
        Path sealed = dir.resolve("sealed.binlog");
        try (Writer w = Writer.openSegment(sealed)) {
            writeRandom(w, new Random(12), 400);
        }
        Path file = dir.resolve("unsealed-flip.binlog");
        Files.write(file, recordsOnly(sealed));
        flipBit(file, nativeRecords(sealed).get(100).offset() + 30);
        assertSameFailure(file);
    }

    @Test
    void aTruncatedFileEndsWhereTheNativeReaderEnds() throws IOException {
        Path sealed = dir.resolve("whole.binlog");
        try (Writer w = Writer.openSegment(sealed)) {
            writeRandom(w, new Random(13), 300);
        }
        byte[] records = recordsOnly(sealed);
        List<Record> all = nativeRecords(sealed);
        long cut = all.get(200).offset() + 13;
        Path file = dir.resolve("torn.binlog");
        Files.write(file, Arrays.copyOf(records, (int) cut));
        List<Record> want = nativeRecords(file);
        assertEquals(200, want.size());
        readAndCompare(file, want, false);

        // The rest of the torn record arrives, as a writer's would: reading goes on, in Java again.
        try (MappedReader r = MappedReader.open(file)) {
            for (int i = 0; i < 200; i++) {
                assertTrue(r.next().seq() >= 0);
            }
            assertNull(r.next());
            assertFalse(r.decodingInJava());
            Files.write(file, Arrays.copyOfRange(records, (int) cut, records.length), StandardOpenOption.APPEND);
            assertSameRecord(all.get(200), r.next());
            assertTrue(r.decodingInJava(), "the Java decoding takes over after the native reader's record");
            for (int i = 201; i < all.size(); i++) {
                assertSameRecord(all.get(i), r.next());
            }
            assertNull(r.next());
        }
    }

    @Test
    void aDamagedSealDirectoryOrTrailerEndsTheRecordsAsTheNativeReaderEndsThem() throws IOException {
        Path sealed = dir.resolve("sealed-for-seal-damage.binlog");
        try (Writer w = Writer.openSegment(sealed)) {
            writeRandom(w, new Random(14), 300);
        }
        long size = Files.size(sealed);
        // A bit of the directory (its type names lie just before the trailer), then one of the trailer's CRC.
        for (long at : new long[] {size - 32 - 30, size - 32 + 20}) {
            Path file = dir.resolve("seal-damage-" + at + ".binlog");
            Files.copy(sealed, file);
            flipBit(file, at);
            List<Record> want = nativeRecords(file);
            assertEquals(300, want.size());
            assertEquals(300, readAndCompare(file, want, at < size - 32), "the records are decoded in Java");
        }
    }

    @Test
    void aCompressedSegmentIsReadByTheNativeReader() {
        Path compressed = Paths.get("../../tests/vectors/sealed-basic.binlog.zst");
        List<Record> want = nativeRecords(compressed);
        assertTrue(want.size() >= 4);
        assertEquals(0, readAndCompare(compressed, want, false), "no frame of a compressed file is decoded in Java");
    }

    @Test
    void openFailsAsTheNativeOpenFails() throws IOException {
        BinlogException missing = assertThrows(BinlogException.class,
                () -> MappedReader.open(dir.resolve("missing.binlog")));
        assertEquals(ErrorCode.NOT_FOUND, missing.code());
        Path text = dir.resolve("text.binlog");
        Files.writeString(text, "not a segment at all");
        assertEquals(ErrorCode.NOT_A_BINLOG,
                assertThrows(BinlogException.class, () -> MappedReader.open(text)).code());
    }

    @Test
    void aClosedReaderThrowsClosed() {
        Path file = TestSupport.segment(dir.resolve("c.binlog"), "a", "b");
        MappedReader r = MappedReader.open(file);
        MappedRecord first = r.next();
        ByteBuffer kept = first.payload();
        r.close();
        r.close();
        assertTrue(r.isClosed());
        TestSupport.expect(ErrorCode.CLOSED, r::next);
        assertEquals('a', kept.get(0), "a payload buffer stays readable after close");
    }
}
