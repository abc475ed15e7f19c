package io.libbinlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks and decodes one record frame for {@link MappedReader}
 * (docs/FORMAT.md sections 6 and 7), keeping the segment's type table.
 *
 * <p>It accepts only what the native reader returns as the next record
 * (section 10.1 item 2): a whole frame whose CRC matches, kind RECORD with no
 * reserved flag, a body that decodes, the expected sequence number, UTF-8
 * names and metadata, a type defined in order. Everything else is
 * {@link #OTHER}, which the caller hands to the native reader; so this class
 * never has to classify damage, only to be no more lenient than section 10.
 * Nothing changes (the type table included) unless a record is accepted.
 */
final class FrameParser {
    /** {@link #parse}: the frame is not whole in the bytes given. */
    static final int INCOMPLETE = 0;
    /** {@link #parse}: not a record the fast path may return (damage, a seal frame, anything unusual). */
    static final int OTHER = -1;

    static final int FRAME_HEAD = 8;
    static final int MIN_BODY = 18;
    private static final int KIND_RECORD = 1;
    private static final int KIND_AND_RESERVED = 0xcf;
    private static final int DEFINES_TYPE = 0x10;
    private static final int HAS_META = 0x20;
    private static final int MAX_TYPE_NAME = 4096;
    private static final long MAX_U32 = 0xffff_ffffL;

    private final BufferCrc32 crc = new BufferCrc32();
    private final List<String> types = new ArrayList<>();
    /** The seal directory's type names, when it is intact; definitions must agree with it. */
    private final List<String> sealNames;
    private final int[] at = new int[1];

    FrameParser(List<String> sealNames) {
        this.sealNames = sealNames;
    }

    /**
     * Checks the frame at index {@code p} of {@code buf} (bytes valid up to
     * {@code limit}) as record {@code seq}; if it is one, fills {@code out}
     * (payload in {@code view}, the same bytes read-only, {@code base} the
     * file offset of index 0) and returns the frame's length. Else
     * {@link #INCOMPLETE} (with the frame's length in {@link #needed}) or
     * {@link #OTHER}. {@code crcChecked}: the frame's CRC is known to match
     * (its run passed {@link FrameRunCheck}), so it is not computed again.
     */
    int parse(ByteBuffer buf, ByteBuffer view, long base, int p, int limit, long seq, boolean crcChecked,
            MappedRecord out) {
        if (limit - p < FRAME_HEAD) {
            needed = FRAME_HEAD;
            return INCOMPLETE;
        }
        long head = buf.getLong(p); // body_len, then body_crc (little-endian)
        long len = head & MAX_U32;
        if (len < MIN_BODY) {
            return OTHER;
        }
        if (len > limit - p - FRAME_HEAD) {
            needed = FRAME_HEAD + len;
            return INCOMPLETE;
        }
        int body = p + FRAME_HEAD;
        int end = body + (int) len;
        int flags = buf.get(body);
        if ((flags & KIND_AND_RESERVED) != KIND_RECORD || buf.getLong(body + 1) != seq || seq == -1L
                || !crcChecked && (int) (head >>> 32) != crc.of(buf, body, end)) {
            return OTHER;
        }
        int type = buf.get(body + 17); // the type id's varint, if it is one byte (below 0x80)
        if (flags == KIND_RECORD && type >= 0 && type < types.size()) {
            // The common record (no type defined, no metadata) without the general decoding.
            out.setMapped(seq, buf.getLong(body + 9), base + p, types.get(type), view, body + 18, end - body - 18, 0,
                    0);
            return FRAME_HEAD + (int) len;
        }
        return decode(buf, view, base, flags, p, end, out) ? FRAME_HEAD + (int) len : OTHER;
    }

    /** The frame length an {@link #INCOMPLETE} answer needs whole. */
    long needed;

    private boolean decode(ByteBuffer buf, ByteBuffer view, long base, int flags, int p, int end, MappedRecord out) {
        int body = p + FRAME_HEAD;
        at[0] = body + 17;
        long typeId = Varint.read(buf, at, end);
        if (typeId < 0 || typeId > MAX_U32) {
            return false;
        }
        String defined = null;
        if ((flags & DEFINES_TYPE) != 0) {
            defined = typeName(buf, end);
            if (defined == null || !definitionFits((int) typeId, defined)) {
                return false;
            }
        } else if (typeId >= types.size()) {
            return false;
        }
        int metaCount = 0;
        int metaAt = 0;
        if ((flags & HAS_META) != 0) {
            long n = Varint.read(buf, at, end);
            metaAt = at[0];
            if (n < 0 || n > MAX_U32 || !metadataValid(buf, n, end)) {
                return false;
            }
            metaCount = (int) n;
        }
        if (defined != null && typeId == types.size()) {
            types.add(defined);
        }
        out.setMapped(buf.getLong(body + 1), buf.getLong(body + 9), base + p, types.get((int) typeId), view, at[0],
                end - at[0], metaAt, metaCount);
        return true;
    }

    /** The type name at at[0] (varint length + UTF-8, at most 4096 bytes), or null. */
    private String typeName(ByteBuffer buf, int end) {
        long n = Varint.read(buf, at, end);
        if (n < 0 || n > MAX_TYPE_NAME || n > end - at[0] || !Utf8Check.valid(buf, at[0], (int) n)) {
            return null;
        }
        byte[] b = new byte[(int) n];
        buf.get(at[0], b);
        at[0] += (int) n;
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Whether a record may define type id as name (section 7.3; and as the seal's table names it). */
    private boolean definitionFits(int id, String name) {
        if (sealNames != null && (id >= sealNames.size() || !sealNames.get(id).equals(name))) {
            return false;
        }
        return id == types.size() || (id < types.size() && types.get(id).equals(name));
    }

    /** Whether n (key, value) pairs of UTF-8 strings start at at[0] and end by end; moves at[0] past them. */
    private boolean metadataValid(ByteBuffer buf, long n, int end) {
        for (long i = 0; i < 2 * n; i++) {
            long len = Varint.read(buf, at, end);
            if (len < 0 || len > end - at[0] || !Utf8Check.valid(buf, at[0], (int) len)) {
                return false;
            }
            at[0] += (int) len;
        }
        return true;
    }
}
