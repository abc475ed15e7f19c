package io.libbinlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {
    @TempDir
    Path dir;

    @Test
    void versionAndFormatAreReported() throws Exception {
        assertTrue(Binlog.version().matches("\\d+\\.\\d+\\.\\d+.*"), Binlog.version());
        assertEquals(1, Binlog.formatMajor());
    }

    @Test
    void roundTripWithMetadataTimestampsAndEmptyPayloads() throws Exception {
        Path file = dir.resolve("rt.binlog");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("user", "alice");
        meta.put("ünïcode-ключ", "値 ✓ 𝄞");
        meta.put("empty", "");
        // Less 1 us: the library's clock may read that far off the system's
        // (README, "Timestamps").
        long before = System.currentTimeMillis() * 1_000_000L - 1_000;

        Options opts = Options.builder().logName("orders").contentType("application/json")
                .param("region", "eu").firstSeq(1000).build();
        try (BinlogWriter w = BinlogWriter.openSegment(file, opts)) {
            assertEquals(1000, w.nextSeq());
            assertEquals(1000, w.write("order", "{\"id\":1}".getBytes(UTF_8)));
            assertEquals(1001, w.write("order", new byte[0]));
            assertEquals(1002, w.write("fill", "x".getBytes(UTF_8), meta, 123_456_789L));
            assertEquals(1003, w.write("fill", new byte[0], meta, -5L)); // before the epoch
            assertEquals(1004, w.write("тип-𝄞", new byte[] {0, 1, 2, (byte) 255}, Map.of(), Binlog.TIME_NOW));
            byte[] mid = "..middle..".getBytes(UTF_8);
            assertEquals(1005, w.write("slice", mid, 2, 6));
            w.flush();
            w.sync();
            assertEquals(1006, w.nextSeq());
            assertEquals(1006, w.durableSeq());
        }

        List<BinlogRecord> got = new ArrayList<>();
        try (BinlogReader r = BinlogReader.open(file)) {
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                got.add(rec);
            }
            assertNull(r.next(), "END stays END");
            assertEquals(Tail.Kind.SEALED, r.tail().kind());
            assertEquals(0, r.gapCount());
        }
        assertEquals(6, got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(1000 + i, got.get(i).seq());
        }
        assertEquals("order", got.get(0).type());
        assertArrayEquals("{\"id\":1}".getBytes(UTF_8), got.get(0).payload());
        assertTrue(got.get(0).timestampNs() >= before, "clock timestamp");
        assertTrue(got.get(0).metadata().isEmpty());
        assertEquals(0, got.get(1).payload().length);

        assertEquals("fill", got.get(2).type());
        assertEquals(123_456_789L, got.get(2).timestampNs());
        assertEquals(meta, got.get(2).metadata());
        assertEquals(new ArrayList<>(meta.keySet()), new ArrayList<>(got.get(2).metadata().keySet()), "order kept");
        assertEquals(-5L, got.get(3).timestampNs());
        assertEquals(0, got.get(3).payload().length);
        assertEquals(meta, got.get(3).metadata());

        assertEquals("тип-𝄞", got.get(4).type());
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 255}, got.get(4).payload());
        assertEquals("slice", got.get(5).type());
        assertArrayEquals("middle".getBytes(UTF_8), got.get(5).payload());
        assertTrue(got.get(5).offset() > got.get(0).offset());
        assertThrows(UnsupportedOperationException.class, () -> got.get(2).metadata().put("a", "b"));
    }

    /**
     * Large heap arrays (past the 16 KiB copied to the stack) under every
     * durability: pinned when no write waits for an fdatasync, copied when
     * one may (EVERY_RECORD, EVERY_N); both ways, single writes with an
     * offset and heap batches come back byte for byte.
     */
    @Test
    void largeHeapArraysRoundTripUnderEveryDurability() throws Exception {
        byte[] big = new byte[100_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        int[] lengths = {30_000, 0, 50_000};
        for (Durability d : Durability.values()) {
            Path file = dir.resolve("big-" + d + ".binlog");
            Options opts = Options.builder().durability(d, d == Durability.NONE ? 0 : 2).build();
            try (BinlogWriter w = BinlogWriter.openSegment(file, opts)) {
                assertEquals(0, w.write("big", big));
                assertEquals(1, w.write("big", big, 1_000, 20_000));
                assertEquals(2, w.writeBatch(new String[] {"b"}, big, 5_000, lengths, null));
            }
            try (BinlogReader r = BinlogReader.open(file)) {
                assertArrayEquals(big, r.next().payload(), d.toString());
                assertArrayEquals(java.util.Arrays.copyOfRange(big, 1_000, 21_000), r.next().payload(), d.toString());
                int at = 5_000;
                for (int len : lengths) {
                    assertArrayEquals(java.util.Arrays.copyOfRange(big, at, at + len), r.next().payload(), d.toString());
                    at += len;
                }
                assertNull(r.next());
            }
        }
    }

    @Test
    void reopeningAppendsAndContinuesSequence() throws Exception {
        Path file = dir.resolve("append.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("a", new byte[] {1});
            w.write("a", new byte[] {2});
        }
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            assertEquals(2, w.write("b", new byte[] {3}));
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals(List.of("a", "a", "b"), types(r));
        }
    }

    @Test
    void readerSeesFlushedRecordsOfAnOpenWriter() throws Exception {
        Path file = dir.resolve("live.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("t", new byte[] {1});
            w.flush();
            try (BinlogReader r = BinlogReader.open(file)) {
                BinlogRecord first = r.next();
                assertNotNull(first);
                assertNull(r.next());
                w.write("t", new byte[] {2});
                w.flush();
                BinlogRecord second = r.nextWait(5000);
                assertNotNull(second);
                assertEquals(1, second.seq());
                assertNull(r.next());
                assertEquals(Tail.Kind.UNSEALED, r.tail().kind());
            }
        }
    }

    static List<String> types(BinlogReader r) throws IOException {
        List<String> out = new ArrayList<>();
        BinlogRecord rec;
        while ((rec = r.next()) != null) {
            out.add(rec.type());
        }
        return out;
    }
}
