package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchTest {
    @TempDir
    Path dir;

    /** BinlogRecord i: length i % 37, bytes (i + k) & 0xff. */
    private static int len(int i) {
        return i % 37;
    }

    private static byte at(int i, int k) {
        return (byte) (i + k);
    }

    @Test
    void writeBatchOf100kRecordsFromOneDirectBuffer() throws Exception {
        int n = 100_000;
        int[] lengths = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            lengths[i] = len(i);
            total += lengths[i];
        }
        ByteBuffer data = ByteBuffer.allocateDirect(total + 10);
        data.position(10); // records start at the position
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < lengths[i]; k++) {
                data.put(at(i, k));
            }
        }
        data.flip().position(10);

        Path file = dir.resolve("batch.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("before", new byte[] {1});
            assertEquals(1, w.writeBatch("tick", data, lengths));
            assertEquals(data.limit(), data.position(), "batch consumes the buffer");
            assertEquals(n + 1, w.nextSeq());
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertEquals("before", r.next().type());
            int[] i = {0};
            long seen = r.visitAll(v -> {
                assertEquals(i[0] + 1, v.seq());
                assertEquals("tick", v.type());
                ByteBuffer p = v.payload();
                assertEquals(len(i[0]), p.remaining());
                for (int k = 0; k < len(i[0]); k++) {
                    assertEquals(at(i[0], k), p.get(k));
                }
                i[0]++;
            });
            assertEquals(n, seen);
        }
    }

    @Test
    void batchWithTypesPerRecordTimestampsAndHeapArray() throws Exception {
        Path file = dir.resolve("batch2.binlog");
        String[] types = {"a", "b", "a", "ç", "b"};
        int[] lengths = {1, 0, 2, 3, 1};
        long[] ts = {10, 20, 30, 40, 50};
        byte[] data = {9, 9, 1, 2, 3, 4, 5, 6, 7};
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            assertEquals(0, w.writeBatch(types, data, 2, lengths, ts));
            assertEquals(5, w.writeBatch("heap", new byte[] {1, 2, 3}, new int[] {1, 2}));
            ByteBuffer heapBuf = ByteBuffer.wrap(new byte[] {7, 8});
            assertEquals(7, w.writeBatch("hb", heapBuf, new int[] {1, 1}));
            assertEquals(2, heapBuf.position());
            assertEquals(9, w.writeBatch("none", ByteBuffer.allocateDirect(0), new int[0]));
            assertEquals(9, w.nextSeq(), "an empty batch writes nothing");
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            int off = 2;
            for (int i = 0; i < types.length; i++) {
                BinlogRecord rec = r.next();
                assertEquals(types[i], rec.type());
                assertEquals(ts[i], rec.timestampNs());
                assertEquals(lengths[i], rec.payload().length);
                for (int k = 0; k < lengths[i]; k++) {
                    assertEquals(data[off + k], rec.payload()[k]);
                }
                off += lengths[i];
            }
            assertEquals(1, r.next().payload().length);
            assertEquals(2, r.next().payload().length);
            assertEquals(7, r.next().payload()[0]);
            assertEquals(8, r.next().payload()[0]);
            assertNull(r.next());
        }
    }

    /** A batch of no records writes nothing and returns the next sequence number, in every form. */
    @Test
    void emptyBatchesReturnTheNextSequenceNumber() throws Exception {
        Path file = dir.resolve("empty.binlog");
        BinlogWriter w = BinlogWriter.openSegment(file);
        w.write("t", new byte[] {1});
        ByteBuffer direct = ByteBuffer.allocateDirect(4);
        assertEquals(1, w.writeBatch(new String[0], new byte[0], 0, new int[0], null));
        assertEquals(1, w.writeBatch(new String[0], direct, new int[0], null));
        assertEquals(1, w.writeBatch("t", new byte[0], new int[0]));
        assertEquals(1, w.writeBatch("t", direct, new int[0]));
        assertEquals(0, direct.position());
        assertEquals(1, w.nextSeq());
        w.close();
        BinlogException e = assertThrows(BinlogException.class, () -> w.writeBatch("t", direct, new int[0]));
        assertEquals(ErrorCode.CLOSED, e.code());
    }

    @Test
    void badBatchesThrowAndWriteNothing() throws Exception {
        Path file = dir.resolve("bad.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file, Options.builder().maxRecordSize(1024).build())) {
            ByteBuffer data = ByteBuffer.allocateDirect(10);
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", data, new int[] {5, 6}));
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", data, new int[] {-1}));
            assertThrows(IllegalArgumentException.class,
                    () -> w.writeBatch(new String[] {"a", "b"}, data, new int[] {1, 2, 3}, null));
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", data, new int[] {1}, new long[2]));
            assertEquals(0, data.position());
            // one entry too large: the library refuses the whole batch
            ByteBuffer big = ByteBuffer.allocateDirect(3000);
            BinlogException e = assertThrows(BinlogException.class,
                    () -> w.writeBatch("t", big, new int[] {10, 2000, 10}));
            assertEquals(ErrorCode.RECORD_TOO_LARGE, e.code());
            assertEquals(0, w.nextSeq());
            assertEquals(0, big.position());
        }
    }

    /** A lengths array allocated once serves a last batch that is not full. */
    @Test
    void writeBatchWithACountWritesTheFirstCountRecordsAndConsumesTheirBytes() throws Exception {
        int[] lengths = {3, 2, 4, 99};
        byte[] bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        Path file = dir.resolve("count.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            assertEquals(0, w.writeBatch("d", direct, lengths, 2));
            assertEquals(5, direct.position(), "the position moves past the 2 records alone");
            assertEquals(2, w.writeBatch("h", bytes, lengths, 3));
            assertEquals(5, w.writeBatch(new String[] {"x", "y", "never used"}, ByteBuffer.wrap(bytes), lengths, 2,
                    new long[] {7, 8, 9, 10}));
            assertEquals(7, w.writeBatch("none", direct, lengths, 0));
            assertEquals(7, w.nextSeq());
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            String[] want = {"d:3", "d:2", "h:3", "h:2", "h:4", "x:3", "y:2"};
            for (int i = 0; i < want.length; i++) {
                BinlogRecord rec = r.next();
                assertEquals(want[i], rec.type() + ":" + rec.payload().length, "record " + i);
            }
            assertNull(r.next());
        }
    }

    @Test
    void aCountOutsideTheLengthsArrayOrBeyondItsArraysThrowsAndWritesNothing() throws Exception {
        Path file = dir.resolve("badcount.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            ByteBuffer data = ByteBuffer.allocateDirect(10);
            int[] lengths = {1, 1};
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", data, lengths, 3));
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", data, lengths, -1));
            assertThrows(IllegalArgumentException.class, () -> w.writeBatch("t", new byte[2], lengths, 3));
            assertThrows(IllegalArgumentException.class,
                    () -> w.writeBatch(new String[] {"a", "b"}, data, lengths, 2, new long[1]));
            assertThrows(IllegalArgumentException.class,
                    () -> w.writeBatch(new String[] {"a", "b"}, data, new int[] {1, 1, 1}, 3, null));
            assertEquals(0, data.position());
            assertEquals(0, w.nextSeq());
        }
    }
}
