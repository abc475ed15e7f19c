package io.libbinlog;

/** The writer, reader, shipper or verification was closed ({@link ErrorCode#CLOSED}), before or during the call. */
public class BinlogClosedException extends BinlogException {
    private static final long serialVersionUID = 1L;

    public BinlogClosedException(String message) {
        super(ErrorCode.CLOSED, message);
    }
}
