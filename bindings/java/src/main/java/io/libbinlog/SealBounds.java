package io.libbinlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * What {@link MappedReader} takes from a segment's seal (docs/FORMAT.md
 * sections 8.4, 8.5, 9), read with pread: where the records end, if the
 * trailer is intact, and the directory's type names, if the directory is.
 *
 * <p>Neither needs the seal to be usable: the Java reader stops at the
 * smallest end the native reader could use (the trailer's records_end, else
 * the file's end) and hands the rest to it; and it accepts a type definition
 * only if it also agrees with the directory's table, so it is never more
 * lenient than a native reader that names records by that table.
 */
final class SealBounds {
    static final int TRAILER_LEN = 32;
    /** A directory larger than this is not read (the native reader decides on such a seal). */
    private static final int MAX_DIR_LEN = 16 << 20;
    private static final long TRAILER_MAGIC = 0x314c414553474c42L; // "BLGSEAL1" little-endian
    private static final int KIND_SEAL_DIR = 3;
    private static final int DIR_TYPES_AT = 85;
    private static final int DIR_TYPE_FIXED = 8 + 8 + 8 + 4;

    /** Where the records end per an intact trailer, or -1. */
    final long recordsEnd;
    /** The directory's type names by id, or null when the directory is not intact. */
    final List<String> typeNames;

    private SealBounds(long recordsEnd, List<String> typeNames) {
        this.recordsEnd = recordsEnd;
        this.typeNames = typeNames;
    }

    static SealBounds read(FileChannel ch, long headerLen) throws IOException {
        long size = ch.size();
        if (size < headerLen + TRAILER_LEN) {
            return new SealBounds(-1, null);
        }
        ByteBuffer t = readAt(ch, size - TRAILER_LEN, TRAILER_LEN);
        if (t == null || t.getLong(24) != TRAILER_MAGIC || t.getInt(20) != crc(t, 0, 20)) {
            return new SealBounds(-1, null);
        }
        long recordsEnd = t.getLong(0);
        long dirOffset = t.getLong(8);
        long dirLen = Integer.toUnsignedLong(t.getInt(16));
        if (recordsEnd < headerLen || recordsEnd > size - TRAILER_LEN) {
            return new SealBounds(-1, null);
        }
        return new SealBounds(recordsEnd, dirTypeNames(ch, dirOffset, dirLen, size));
    }

    private static List<String> dirTypeNames(FileChannel ch, long off, long len, long size) throws IOException {
        if (len < 8 + DIR_TYPES_AT + 1 || len > MAX_DIR_LEN || off < 0 || off + len != size - TRAILER_LEN) {
            return null;
        }
        ByteBuffer d = readAt(ch, off, (int) len);
        if (d == null || Integer.toUnsignedLong(d.getInt(0)) != len - 8 || d.getInt(4) != crc(d, 8, (int) len - 8)
                || d.get(8) != KIND_SEAL_DIR) {
            return null;
        }
        int end = (int) len;
        int[] at = {8 + DIR_TYPES_AT};
        long count = Varint.read(d, at, end);
        if (count < 0 || count > (end - at[0]) / (1 + DIR_TYPE_FIXED)) {
            return null;
        }
        List<String> names = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            long n = Varint.read(d, at, end);
            if (n < 0 || n > end - at[0] - DIR_TYPE_FIXED || !Utf8Check.valid(d, at[0], (int) n)) {
                return null;
            }
            byte[] b = new byte[(int) n];
            d.get(at[0], b);
            names.add(new String(b, StandardCharsets.UTF_8));
            at[0] += (int) n + DIR_TYPE_FIXED;
        }
        return names;
    }

    /** len bytes at off (little-endian), or null if the file ends first. */
    private static ByteBuffer readAt(FileChannel ch, long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, off + b.position()) <= 0) {
                return null;
            }
        }
        return b;
    }

    private static int crc(ByteBuffer b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b.array(), off, len);
        return (int) c.getValue();
    }
}
