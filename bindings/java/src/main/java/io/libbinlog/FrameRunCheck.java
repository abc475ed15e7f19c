package io.libbinlog;

import java.nio.ByteBuffer;

/**
 * Checks the body CRCs (docs/FORMAT.md section 6) of a run of consecutive
 * small frames with one CRC-32 pass over the run, for {@link MappedReader}:
 * one {@code CRC32} call per short body costs about as much as decoding the
 * rest of the record.
 *
 * <p>A frame is {@code body_len} (u32), {@code body_crc} (u32), then the
 * body, all little-endian. In {@link Crc32Shift}'s terms, a frame with an
 * n-byte body whose CRC is {@code body_crc}, fed into register r, leaves
 * <pre>
 *   S^(n+8)(r) ^ (S^(n+4) + I)(body_crc) ^ K(n),   K(n) = S^(n+8)(n) ^ S^n(~0) ^ ~0
 * </pre>
 * (the header as two words, then the body, whose L is
 * {@code ~body_crc ^ S^n(~0)}). Folded over the run from {@code ~0}, that
 * predicts the run's CRC-32, which one {@code CRC32} call computes.
 *
 * <p>What the comparison proves: the prediction and the CRC differ by the
 * sum over the frames of (the frame's CRC xor its {@code body_crc}) shifted
 * by the bytes after the frame. If one frame's CRC does not match, they
 * differ (a shift of a nonzero register is nonzero), so a run with one bad
 * frame always fails. Bad frames in one run go unseen together only if
 * their shifted differences cancel: an error that one CRC-32 over the run's
 * bytes (at most {@link #MAX_RUN}: 65,536 bits) misses, which takes at least
 * 4 flipped bits (CRC-32's Hamming distance is 4 up to 91,607 bits) and
 * befalls random damage as rarely as one frame's own CRC missing it
 * (2^-32). A run that fails proves nothing about any one frame: the caller
 * checks each frame of it alone.
 */
final class FrameRunCheck {
    /** The largest body a run takes; a larger one costs one CRC32 call a frame at little extra per byte. */
    static final int MAX_BODY = 256;
    /** The largest run, in bytes (and so the length of the one CRC over it). */
    static final int MAX_RUN = 8192;
    private static final int CACHE_LINE = 64;
    /**
     * How far ahead of the walk the run's bytes are touched at a time: first
     * {@link #FIRST_TOUCH}, doubling up to {@link #TOUCH_AHEAD} as the run
     * goes on (a run cut short by a large frame touches little beyond it).
     */
    private static final int FIRST_TOUCH = 256;
    private static final int TOUCH_AHEAD = 4096;
    /** Each body length's terms, built on first use; see {@link #terms}. */
    private static final Terms[] TERMS = new Terms[MAX_BODY + 1];

    private final BufferCrc32 crc = new BufferCrc32();
    private boolean intact;
    /** The body length of the frame at the last call's p (-1: none a run takes). */
    private int lastLength = -1;
    /** Where the run's bytes are touched ahead of the walk; kept so the loads are not removed. */
    private int touched;

    /**
     * Checks the run of whole frames from index {@code p} of {@code buf}
     * (bytes valid up to {@code limit}) with bodies of one length, from
     * {@link FrameParser#MIN_BODY} to {@link #MAX_BODY} bytes, up to
     * {@link #MAX_RUN} bytes; returns where the run ends ({@code p}: fewer
     * than two such frames start at p, and one frame alone gains nothing from
     * a run). {@link #intact()} then says whether every frame's CRC matches.
     *
     * <p>One body length a run, because each length has its own 8 KiB of
     * tables: frames of many lengths would look them up all over 2 MB, which
     * costs more than a CRC32 call a frame. And a run is looked for only at a
     * frame as long as the frame at the call before: reading the next frame's
     * header ahead to find one slows frames of varied lengths, which rarely
     * make runs (docs/PERFORMANCE.md, "Java reads decoded in Java").
     */
    int check(ByteBuffer buf, int p, int limit) {
        int stop = limit - p > MAX_RUN ? p + MAX_RUN : limit;
        int n = bodyLength(buf, p, stop);
        boolean repeated = n >= 0 && n == lastLength;
        lastLength = n;
        if (!repeated || bodyLength(buf, p + FrameParser.FRAME_HEAD + n, stop) != n) {
            intact = false;
            return p;
        }
        return run(buf, p, stop, n);
    }

    /** Checks the run of frames with n-byte bodies from p (two at least) up to stop; returns where it ends. */
    private int run(ByteBuffer buf, int p, int stop, int n) {
        Terms t = terms(n);
        int frame = FrameParser.FRAME_HEAD + n;
        int predicted = ~0;
        int q = p;
        int touchedTo = p;
        int ahead = FIRST_TOUCH;
        while (stop - q >= frame) {
            long head = buf.getLong(q);
            if ((int) head != n) {
                break;
            }
            if (q >= touchedTo) {
                touchedTo = touch(buf, touchedTo, stop, ahead);
                ahead = Math.min(2 * ahead, TOUCH_AHEAD);
            }
            predicted = Crc32Shift.apply(t.shift, predicted) ^ Crc32Shift.apply(t.stored, (int) (head >>> 32))
                    ^ t.constant;
            q += frame;
        }
        intact = crc.of(buf, p, q) == ~predicted;
        return q;
    }

    /** The body length of the frame at q if a run takes it (whole before stop, MIN_BODY to MAX_BODY bytes), else -1. */
    private static int bodyLength(ByteBuffer buf, int q, int stop) {
        if (stop - q < FrameParser.FRAME_HEAD) {
            return -1;
        }
        int n = buf.getInt(q);
        boolean taken = n >= FrameParser.MIN_BODY && n <= MAX_BODY && n <= stop - q - FrameParser.FRAME_HEAD;
        return taken ? n : -1;
    }

    /** Whether every frame of the run the last {@link #check} returned has a matching CRC. */
    boolean intact() {
        return intact;
    }

    /**
     * Loads one byte of each cache line of the n bytes from p (up to stop);
     * returns where they end. These loads do not wait for each other, where
     * the walk's each wait for the length before.
     */
    private int touch(ByteBuffer buf, int p, int stop, int n) {
        int end = stop - p > n ? p + n : stop;
        int sum = 0;
        for (int i = p; i < end; i += CACHE_LINE) {
            sum += buf.get(i);
        }
        touched += sum;
        return end;
    }

    private static Terms terms(int n) {
        Terms t = TERMS[n];
        if (t == null) {
            // Threads may build the same terms; final fields make a racy publication safe.
            t = new Terms(n);
            TERMS[n] = t;
        }
        return t;
    }

    /** A frame with an n-byte body's terms in the class comment's formula. */
    private static final class Terms {
        /** S^(n+8). */
        final int[] shift;
        /** S^(n+4) + I. */
        final int[] stored;
        /** K(n). */
        final int constant;

        Terms(int n) {
            shift = Crc32Shift.table(n + 8, false);
            stored = Crc32Shift.table(n + 4, true);
            constant = Crc32Shift.apply(shift, n) ^ Crc32Shift.shift(~0, n) ^ ~0;
        }
    }
}
