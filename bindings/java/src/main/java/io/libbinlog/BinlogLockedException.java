package io.libbinlog;

/** Another writer holds the file's lock ({@link ErrorCode#LOCKED}). */
public class BinlogLockedException extends BinlogException {
    private static final long serialVersionUID = 1L;

    BinlogLockedException(int rawCode, String message, String path, long offset, int osCode) {
        super(rawCode, message, path, offset, osCode);
    }
}
