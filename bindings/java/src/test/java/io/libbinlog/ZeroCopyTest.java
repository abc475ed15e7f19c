package io.libbinlog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
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
    void directByteBufferWriteAndVisitorRead() {
        Path file = dir.resolve("zc.binlog");
        int[] sizes = {0, 1, 100, 16384, 16385, 1 << 20};
        try (Writer w = Writer.openSegment(file)) {
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
        try (Reader r = Reader.open(file)) {
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
    void heapByteBuffersAndArraysAreAccepted() {
        Path file = dir.resolve("heap.binlog");
        byte[] big = pattern(100_000, 9);
        try (Writer w = Writer.openSegment(file)) {
            ByteBuffer heap = ByteBuffer.wrap(pattern(300, 1), 10, 200);
            w.write("heap", heap);
            assertEquals(210, heap.position());
            w.write("ro", ByteBuffer.wrap(pattern(50, 2)).asReadOnlyBuffer());
            w.write("big", big); // pinned (GetPrimitiveArrayCritical) path
        }
        try (Reader r = Reader.open(file)) {
            byte[] src = pattern(300, 1);
            byte[] want = new byte[200];
            System.arraycopy(src, 10, want, 0, 200);
            assertArrayEquals(want, r.next().payload());
            assertArrayEquals(pattern(50, 2), r.next().payload());
            assertArrayEquals(big, r.next().payload());
        }
    }

    @Test
    void nextIntoCopiesIntoDirectBufferAndKeepsARecordThatDoesNotFit() {
        Path file = dir.resolve("into.binlog");
        try (Writer w = Writer.openSegment(file)) {
            w.write("small", "abc".getBytes(UTF_8));
            w.write("large", pattern(5000, 3), Map.of("m", "1"), 5L);
            w.write("small", new byte[0]);
        }
        try (Reader r = Reader.open(file)) {
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

            Record c = r.next(); // mixing read styles is fine
            assertNotNull(c);
            assertEquals("small", c.type());
            assertNull(r.nextInto(dst));
            assertThrows(IllegalArgumentException.class, () -> r.nextInto(ByteBuffer.allocate(10)));
            assertThrows(ReadOnlyBufferException.class,
                    () -> r.nextInto(ByteBuffer.allocateDirect(10).asReadOnlyBuffer()));
        }
    }

    @Test
    void pendingRecordSurvivesAndTooSmallThenNextReturnsIt() {
        Path file = dir.resolve("pending.binlog");
        try (Writer w = Writer.openSegment(file)) {
            w.write("x", pattern(64, 4));
        }
        try (Reader r = Reader.open(file)) {
            assertFalse(r.nextInto(ByteBuffer.allocateDirect(8)).copied());
            Record rec = r.next();
            assertArrayEquals(pattern(64, 4), rec.payload());
            assertNull(r.next());
        }
    }
}
