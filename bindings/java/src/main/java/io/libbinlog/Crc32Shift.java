package io.libbinlog;

/**
 * The CRC-32 register (IEEE, reflected, as {@link java.util.zip.CRC32}) as
 * a linear map over GF(2): feeding bytes into a register {@code r} gives
 * {@code S^m(r) ^ L(bytes)}, where {@code S^m} is the register's shift past
 * {@code m} zero bytes (multiplication by {@code x^(8m)} modulo the
 * polynomial) and {@code L} the register a zero register would end with.
 * So a 32-bit word {@code w} fed little-endian gives {@code S^4(r ^ w)}.
 * {@code S} is invertible (the polynomial has a constant term): a register
 * that differs before a shift differs after it.
 *
 * <p>A linear map of 32-bit words is kept as four tables of 256 words, one
 * per byte of its argument ({@link #apply}).
 */
final class Crc32Shift {
    private static final int POLY = 0xedb88320;
    private static final int[] ZERO_BYTE = zeroByteTable();

    private Crc32Shift() {}

    private static int[] zeroByteTable() {
        int[] t = new int[256];
        for (int b = 0; b < 256; b++) {
            int c = b;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? POLY ^ (c >>> 1) : c >>> 1;
            }
            t[b] = c;
        }
        return t;
    }

    /** {@code S^m(r)}: the register r after m zero bytes. */
    static int shift(int r, int m) {
        for (int i = 0; i < m; i++) {
            r = (r >>> 8) ^ ZERO_BYTE[r & 0xff];
        }
        return r;
    }

    /** The tables of {@code v -> S^m(v)}, or of {@code v -> S^m(v) ^ v} if plusIdentity. */
    static int[] table(int m, boolean plusIdentity) {
        int[] column = new int[32];
        for (int j = 0; j < 32; j++) {
            column[j] = shift(1 << j, m) ^ (plusIdentity ? 1 << j : 0);
        }
        int[] t = new int[4 * 256];
        for (int k = 0; k < 4; k++) {
            for (int b = 1; b < 256; b++) {
                // b's lowest set bit added to what b without it maps to.
                t[256 * k + b] = t[256 * k + (b & (b - 1))] ^ column[8 * k + Integer.numberOfTrailingZeros(b)];
            }
        }
        return t;
    }

    /** The map whose tables are t, applied to v. */
    static int apply(int[] t, int v) {
        return t[v & 0xff] ^ t[256 + ((v >>> 8) & 0xff)] ^ t[512 + ((v >>> 16) & 0xff)] ^ t[768 + (v >>> 24)];
    }
}
