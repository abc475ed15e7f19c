package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * FrameRunCheck accepts a run of frames exactly when every frame's CRC
 * matches (as far as one damaged frame goes), and ends runs where it says.
 */
class FrameRunCheckTest {
    /** Frames with bodies of the given lengths (random bytes) and their CRCs, from index 0; their starts in starts. */
    private static ByteBuffer frames(Random rnd, int[] bodyLengths, List<Integer> starts, boolean direct) {
        int total = 0;
        for (int n : bodyLengths) {
            total += FrameParser.FRAME_HEAD + n;
        }
        ByteBuffer b = (direct ? ByteBuffer.allocateDirect(total) : ByteBuffer.allocate(total))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int n : bodyLengths) {
            byte[] body = new byte[n];
            rnd.nextBytes(body);
            CRC32 crc = new CRC32();
            crc.update(body);
            starts.add(b.position());
            b.putInt(n).putInt((int) crc.getValue()).put(body);
        }
        return b.clear();
    }

    /** Body lengths from min to max, in blocks of 1 to 200 frames of one length. */
    private static int[] lengths(Random rnd, int count, int min, int max) {
        int[] n = new int[count];
        for (int i = 0; i < count;) {
            int len = min + rnd.nextInt(max - min + 1);
            for (int end = Math.min(count, i + 1 + rnd.nextInt(200)); i < end; i++) {
                n[i] = len;
            }
        }
        return n;
    }

    /**
     * Where a run from p should end: before the first frame that is too large, of another length than the
     * first, or that would pass MAX_RUN; at p if that leaves fewer than two frames.
     */
    private static int expectedEnd(List<Integer> starts, int[] lengths, int from, int limit) {
        int p = starts.get(from);
        int end = p;
        int frames = 0;
        for (int i = from; i < lengths.length; i++) {
            int frameEnd = starts.get(i) + FrameParser.FRAME_HEAD + lengths[i];
            if (lengths[i] > FrameRunCheck.MAX_BODY || lengths[i] != lengths[from] || frameEnd - p > FrameRunCheck.MAX_RUN
                    || frameEnd > limit) {
                break;
            }
            end = frameEnd;
            frames++;
        }
        return frames < 2 ? p : end;
    }

    @Test
    void intactFramesMakeIntactRunsThatEndWhereTheRulesSay() {
        Random rnd = new Random(1);
        for (boolean direct : new boolean[] {false, true}) {
            int[] n = lengths(rnd, 5000, FrameParser.MIN_BODY, FrameRunCheck.MAX_BODY);
            n[700] = n[701] = FrameRunCheck.MAX_BODY + 1; // frames no run takes
            List<Integer> starts = new ArrayList<>();
            ByteBuffer b = frames(rnd, n, starts, direct);
            FrameRunCheck check = new FrameRunCheck();
            int runs = 0;
            int single = 0;
            int lastLength = -1; // a run starts only at a frame as long as the one at the call before
            for (int i = 0; i < n.length;) {
                int p = starts.get(i);
                int end = check.check(b, p, b.limit());
                int want = n[i] == lastLength ? expectedEnd(starts, n, i, b.limit()) : p;
                assertEquals(want, end, "run from frame " + i);
                lastLength = n[i] <= FrameRunCheck.MAX_BODY ? n[i] : -1;
                if (end == p) {
                    assertFalse(check.intact(), "an empty run is not intact");
                    single++;
                    i++;
                    continue;
                }
                assertTrue(check.intact(), "run from frame " + i);
                runs++;
                while (i < n.length && starts.get(i) < end) {
                    i++;
                }
            }
            assertTrue(runs > 20, "runs of at most MAX_RUN bytes: " + runs);
            assertTrue(single >= 2, "frames 700 and 701 start no run");
        }
    }

    @Test
    void aRunStartsAfterAFrameAsLongAndAFrameCutByTheLimitEndsIt() {
        Random rnd = new Random(2);
        int[] n = {50, 50, 50};
        List<Integer> starts = new ArrayList<>();
        ByteBuffer b = frames(rnd, n, starts, false);
        FrameRunCheck check = new FrameRunCheck();
        assertEquals(0, check.check(b, 0, b.limit() - 1), "no frame as long before: no run");
        assertFalse(check.intact());
        assertEquals(starts.get(2), check.check(b, 0, b.limit() - 1));
        assertTrue(check.intact());
        assertEquals(starts.get(1), check.check(b, starts.get(1), b.limit() - 1), "one whole frame: no run");
        assertFalse(check.intact());
        assertEquals(b.limit(), check.check(b, starts.get(1), b.limit()), "two: a run");
        assertTrue(check.intact());
    }

    @Test
    void oneDamagedFrameFailsItsRunWhereverItLies() {
        Random rnd = new Random(3);
        int[] n = new int[140];
        Arrays.fill(n, 60);
        List<Integer> starts = new ArrayList<>();
        ByteBuffer b = frames(rnd, n, starts, true);
        FrameRunCheck check = new FrameRunCheck();
        check.check(b, 0, b.limit()); // a run starts after a frame as long
        int end = check.check(b, 0, b.limit());
        assertTrue(end > starts.get(100), "a run of 8 KiB");
        assertTrue(check.intact());
        for (int i = 0; i < n.length && starts.get(i) < end; i++) {
            // A bit of the body, then one of the stored CRC.
            for (int at : new int[] {starts.get(i) + 8 + rnd.nextInt(n[i]), starts.get(i) + 4 + rnd.nextInt(4)}) {
                int bit = 1 << rnd.nextInt(8);
                b.put(at, (byte) (b.get(at) ^ bit));
                assertEquals(end, check.check(b, 0, b.limit()));
                assertFalse(check.intact(), "frame " + i + ", byte " + at);
                b.put(at, (byte) (b.get(at) ^ bit));
            }
        }
        check.check(b, 0, b.limit());
        assertTrue(check.intact(), "restored");
    }

    @Test
    void theTablesApplyTheShiftTheyWereBuiltFor() {
        Random rnd = new Random(4);
        for (int m : new int[] {0, 1, 4, 26, 264}) {
            int[] shift = Crc32Shift.table(m, false);
            int[] plus = Crc32Shift.table(m, true);
            for (int k = 0; k < 100; k++) {
                int v = rnd.nextInt();
                assertEquals(Crc32Shift.shift(v, m), Crc32Shift.apply(shift, v));
                assertEquals(Crc32Shift.shift(v, m) ^ v, Crc32Shift.apply(plus, v));
            }
        }
        // The shift is CRC32's: the CRC of a byte string followed by m zero bytes.
        byte[] data = new byte[40];
        rnd.nextBytes(data);
        CRC32 crc = new CRC32();
        crc.update(data, 0, 30);
        int register = ~(int) crc.getValue();
        crc.update(new byte[10]);
        assertEquals(~(int) crc.getValue(), Crc32Shift.shift(register, 10));
    }
}
