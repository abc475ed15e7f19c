package io.libbinlog;

import static io.libbinlog.TestSupport.segment;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZeroCopyTest {
    @TempDir
    Path dir;

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void directByteBufferWriteAndVisitorRead() throws Exception {
        Path file = dir.resolve("zc.binlog");
        int[] sizes = {0, 1, 100, 16384, 16385, 1 << 20};
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 21);
            for (int i = 0; i < sizes.length; i++) {
                buf.clear();
                buf.put(pattern(sizes[i], i)).flip();
                assertEquals(i, w.write("blob", buf));
                assertEquals(buf.limit(), buf.position(), "write consumes the buffer");
            }
            // a slice with a non-zero position, plus metadata and a timestamp
            ByteBuffer slice = ByteBuffer.allocateDirect(64);
            slice.put("xxhello".getBytes(UTF_8)).flip().position(2);
            assertEquals(sizes.length, w.write("meta", slice, Map.of("k", "v"), 77L));
        }

        List<Integer> seen = new ArrayList<>();
        AtomicReference<RecordView> leaked = new AtomicReference<>();
        try (BinlogReader r = BinlogReader.open(file)) {
            long n = r.visitAll(v -> {
                ByteBuffer p = v.payload();
                assertTrue(p.isDirect());
                assertTrue(p.isReadOnly());
                assertThrows(ReadOnlyBufferException.class, () -> p.put(0, (byte) 1));
                int i = (int) v.seq();
                if (i < sizes.length) {
                    assertEquals("blob", v.type());
                    assertEquals(sizes[i], p.remaining());
                    byte[] got = new byte[p.remaining()];
                    p.get(got);
                    assertArrayEquals(pattern(sizes[i], i), got);
                } else {
                    assertEquals("meta", v.type());
                    assertEquals("hello", new String(v.payloadBytes(), UTF_8));
                    assertEquals(Map.of("k", "v"), v.metadata());
                    assertEquals(77L, v.timestampNs());
                }
                seen.add(i);
                leaked.set(v);
                // the visitor must not call its reader
                assertThrows(IllegalStateException.class, r::next);
            });
            assertEquals(sizes.length + 1, n);
            assertFalse(r.visitNext(v -> { throw new AssertionError("END: not called"); }));
        }
        assertEquals(sizes.length + 1, seen.size());
        assertThrows(IllegalStateException.class, () -> leaked.get().payload(), "view dies with its visit");
    }

    @Test
    void heapByteBuffersAndArraysAreAccepted() throws Exception {
        Path file = dir.resolve("heap.binlog");
        byte[] big = pattern(100_000, 9);
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            ByteBuffer heap = ByteBuffer.wrap(pattern(300, 1), 10, 200);
            w.write("heap", heap);
            assertEquals(210, heap.position());
            w.write("ro", ByteBuffer.wrap(pattern(50, 2)).asReadOnlyBuffer());
            w.write("big", big); // pinned (GetPrimitiveArrayCritical) path
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            byte[] src = pattern(300, 1);
            byte[] want = new byte[200];
            System.arraycopy(src, 10, want, 0, 200);
            assertArrayEquals(want, r.next().payload());
            assertArrayEquals(pattern(50, 2), r.next().payload());
            assertArrayEquals(big, r.next().payload());
        }
    }

    @Test
    void nextIntoCopiesIntoDirectBufferAndKeepsARecordThatDoesNotFit() throws Exception {
        Path file = dir.resolve("into.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("small", "abc".getBytes(UTF_8));
            w.write("large", pattern(5000, 3), Map.of("m", "1"), 5L);
            w.write("small", new byte[0]);
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            ByteBuffer dst = ByteBuffer.allocateDirect(100);
            RecordInfo a = r.nextInto(dst);
            assertTrue(a.copied());
            assertEquals("small", a.type());
            assertEquals(3, dst.position());

            RecordInfo tooSmall = r.nextInto(dst);
            assertFalse(tooSmall.copied());
            assertEquals(5000, tooSmall.payloadLength());
            assertEquals(1, tooSmall.seq());
            assertEquals(3, dst.position(), "nothing copied");

            ByteBuffer bigger = ByteBuffer.allocateDirect(8192);
            RecordInfo b = r.nextInto(bigger);
            assertTrue(b.copied());
            assertEquals(1, b.seq(), "the kept record comes again");
            assertEquals("large", b.type());
            assertEquals(Map.of("m", "1"), b.metadata());
            assertEquals(5L, b.timestampNs());
            bigger.flip();
            byte[] got = new byte[bigger.remaining()];
            bigger.get(got);
            assertArrayEquals(pattern(5000, 3), got);

            BinlogRecord c = r.next(); // mixing read styles is fine
            assertNotNull(c);
            assertEquals("small", c.type());
            assertNull(r.nextInto(dst));
            assertThrows(IllegalArgumentException.class, () -> r.nextInto(ByteBuffer.allocate(10)));
            assertThrows(ReadOnlyBufferException.class,
                    () -> r.nextInto(ByteBuffer.allocateDirect(10).asReadOnlyBuffer()));
        }
    }

    @Test
    void pendingRecordSurvivesAndTooSmallThenNextReturnsIt() throws Exception {
        Path file = dir.resolve("pending.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            w.write("x", pattern(64, 4));
        }
        try (BinlogReader r = BinlogReader.open(file)) {
            assertFalse(r.nextInto(ByteBuffer.allocateDirect(8)).copied());
            BinlogRecord rec = r.next();
            assertArrayEquals(pattern(64, 4), rec.payload());
            assertNull(r.next());
        }
    }

    /**
     * Every visit (visitAll, visitNext) gets a RecordView of its own: one kept from an earlier visit throws
     * the IllegalStateException RecordView promises once its visit returns, also during a later visit, and
     * never shows the record being visited now.
     */
    @Test
    void aViewKeptFromAnEarlierVisitThrowsInsteadOfShowingTheCurrentRecord() throws Exception {
        Path p = segment(dir.resolve("v.binlog"), "zero", "one", "two");
        AtomicReference<RecordView> first = new AtomicReference<>();
        List<String> seen = new ArrayList<>();
        try (BinlogReader r = BinlogReader.open(p)) {
            long n = r.visitAll(v -> {
                seen.add(v.seq() + ":" + UTF_8.decode(v.payload().duplicate()));
                if (first.get() == null) {
                    first.set(v);
                    return;
                }
                RecordView old = first.get();
                assertThrows(IllegalStateException.class, old::seq, "a view of record 0 used during visit of " + v.seq());
                assertThrows(IllegalStateException.class, old::payload);
                assertThrows(IllegalStateException.class, old::type);
            });
            assertEquals(3, n);
        }
        assertEquals(List.of("0:zero", "1:one", "2:two"), seen);
        assertThrows(IllegalStateException.class, first.get()::seq);
        // visitNext too: each call's view is its own
        try (BinlogReader r = BinlogReader.open(p)) {
            AtomicReference<RecordView> a = new AtomicReference<>();
            assertTrue(r.visitNext(a::set));
            assertTrue(r.visitNext(v -> {
                assertNotEquals(v, a.get());
                assertThrows(IllegalStateException.class, a.get()::seq);
                assertEquals(1, v.seq());
            }));
        }
    }

    /**
     * An empty direct buffer can have no address (FileChannel.map of 0 bytes, e.g. of an empty file): it is
     * still a direct buffer, so an empty payload written from it, a batch of empty records from it, and
     * nextInto of an empty record into it work; a record that does not fit is kept, not copied.
     */
    @Test
    void anEmptyMappedBufferIsAnEmptyPayloadNotABadBuffer() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty"));
        MappedByteBuffer ro;
        MappedByteBuffer rw;
        try (FileChannel ch = FileChannel.open(empty, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ro = ch.map(FileChannel.MapMode.READ_ONLY, 0, 0);
            rw = ch.map(FileChannel.MapMode.READ_WRITE, 0, 0);
        }
        assertTrue(ro.isDirect() && rw.isDirect());
        Path p = dir.resolve("e.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            assertEquals(0, w.write("e", ro.duplicate()));
            assertEquals(1, w.write("e", rw.duplicate(), Map.of("k", "v"), 42));
            assertEquals(2, w.writeBatch("e", ro.duplicate(), new int[] {0, 0}));
            w.write("full", new byte[] {1, 2, 3});
        }
        try (BinlogReader r = BinlogReader.open(p)) {
            for (int i = 0; i < 4; i++) {
                RecordInfo info = r.nextInto(rw.duplicate());
                assertNotNull(info);
                assertEquals(i, info.seq());
                assertEquals(0, info.payloadLength());
                assertTrue(info.copied());
                assertEquals("e", info.type());
            }
            RecordInfo big = r.nextInto(rw.duplicate());
            assertFalse(big.copied(), "3 bytes do not fit an empty buffer");
            assertEquals(3, big.payloadLength());
            assertArrayEquals(new byte[] {1, 2, 3}, r.next().payload());
        }
    }

    /**
     * A view's payloadBuffer(), payloadOffset() and payloadLength() show the payload in place, as payload() does but
     * in one buffer the records of a batch share (nothing allocated a record), and throw once the visit returned;
     * payload() is a new slice each call, at position 0.
     */
    @Test
    void aViewShowsItsPayloadInPlaceInABufferTheBatchShares() throws Exception {
        Path p = segment(dir.resolve("in-place.binlog"), "zero", "one", "two");
        List<String> seen = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        AtomicReference<RecordView> kept = new AtomicReference<>();
        try (BinlogReader r = BinlogReader.open(p)) {
            assertEquals(3, r.visitAll(v -> {
                byte[] got = new byte[v.payloadLength()];
                v.payloadBuffer().get(v.payloadOffset(), got);
                assertArrayEquals(v.payloadBytes(), got);
                assertTrue(v.payloadBuffer().isReadOnly());
                assertEquals(ByteOrder.nativeOrder(), v.payloadBuffer().order());
                ByteBuffer slice = v.payload(); // a new slice each call: reading one moves no other
                slice.get();
                assertNotSame(slice, v.payload());
                assertEquals(0, v.payload().position());
                assertEquals(ByteOrder.BIG_ENDIAN, v.payload().order());
                seen.add(new String(got, UTF_8));
                buffers.add(v.payloadBuffer());
                kept.set(v);
            }));
        }
        assertEquals(List.of("zero", "one", "two"), seen);
        assertSame(buffers.get(1), buffers.get(2), "records 1 and 2 are read ahead in one batch");
        assertThrows(IllegalStateException.class, kept.get()::payloadBuffer);
        assertThrows(IllegalStateException.class, kept.get()::payloadOffset);
        assertThrows(IllegalStateException.class, kept.get()::payloadLength);
    }
}
