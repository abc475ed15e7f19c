package io.libbinlog;

import java.nio.ByteBuffer;

/** Unsigned LEB128 varints in a segment's bytes (docs/FORMAT.md section 1). */
final class Varint {
    private Varint() {}

    /**
     * The varint at {@code at[0]} of {@code buf}, ending before {@code end};
     * moves {@code at[0]} past it. -1 if it is cut off by {@code end}, longer
     * than 10 bytes, or above {@code Long.MAX_VALUE} (more than any length or
     * id a reader accepts: the caller treats -1 as malformed).
     */
    static long read(ByteBuffer buf, int[] at, int end) {
        long v = 0;
        int p = at[0];
        for (int i = 0; i < 9 && p < end; i++, p++) {
            byte b = buf.get(p);
            v |= (long) (b & 0x7f) << (7 * i);
            if (b >= 0) {
                at[0] = p + 1;
                return v;
            }
        }
        return -1;
    }
}
