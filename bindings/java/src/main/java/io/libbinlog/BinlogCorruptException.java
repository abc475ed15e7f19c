package io.libbinlog;

/**
 * Data is damaged or cut short: {@link ErrorCode#CORRUPT}, {@code CORRUPT_HEADER}, {@code TRUNCATED},
 * {@code CORRUPT_SEAL} and the compressed-segment kinds ({@code CORRUPT_FRAME}, ...).
 * {@link #path()} and {@link #offset()} say where.
 */
public class BinlogCorruptException extends BinlogException {
    private static final long serialVersionUID = 1L;

    BinlogCorruptException(int rawCode, String message, String path, long offset, int osCode) {
        super(rawCode, message, path, offset, osCode);
    }
}
