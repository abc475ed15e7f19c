package io.libbinlog;

/**
 * The error values of {@code binlog_result} (include/binlog.h), with the same numbers. {@code BINLOG_OK} and {@code
 * BINLOG_END} are not errors and have no constant here; a code this binding does not know maps to {@link #UNKNOWN}.
 */
public enum ErrorCode {
    INVALID_ARGUMENT(2), NULL_POINTER(3), NOT_FOUND(4), PERMISSION_DENIED(5), IO(6), NOT_A_BINLOG(7),
    UNSUPPORTED_VERSION(8), CORRUPT_HEADER(9), CORRUPT(10), TRUNCATED(11), RECORD_TOO_LARGE(12), LOCKED(13),
    CLOSED(14), DISK_FULL(15), PANIC(16), INVALID_UTF8(17), POISONED(18), ALREADY_EXISTS(19), CORRUPT_SEAL(20),
    /**
     * A batch buffer ({@link RecordBatch}) is too small for even the next
     * record; the message gives the bytes it needs. Nothing was consumed.
     */
    BUFFER_TOO_SMALL(21),
    /**
     * A file named as a segment of a log belongs to another log (its header names another log); the log reader
     * stops there and a log writer does not open. Also a bucket prefix another log claimed, when a shipper opens.
     */
    WRONG_LOG(22),
    /**
     * A sealed (or ending) segment of a rolling log was opened to append: it never changes again; open the log
     * instead, which starts the next segment.
     */
    SEALED(23),
    /** A compressed segment (.binlog.zst) ends before its seek table. */
    COMPRESSED_TRUNCATED(24),
    /** A frame of a compressed segment fails to decompress or its checksum. */
    CORRUPT_FRAME(25),
    /** A compressed segment's seek table is malformed or disagrees with its frames. */
    CORRUPT_SEEK_TABLE(26),
    /** A frame of a compressed segment holds another size than its seek table says. */
    FRAME_SIZE_MISMATCH(27),
    /**
     * An object in the bucket differs from the local segment it would be the
     * copy of: shipping stops and never overwrites it.
     */
    REMOTE_CONFLICT(28),
    /** A request to an object store failed after its retries. */
    REMOTE(29),
    /** A code newer than this binding. */
    UNKNOWN(-1);

    private final int value;

    ErrorCode(int value) {
        this.value = value;
    }

    /** The numeric {@code binlog_result} value (-1 for {@link #UNKNOWN}). */
    public int value() {
        return value;
    }

    /** The constant for a {@code binlog_result} value; {@link #UNKNOWN} if there is none. */
    public static ErrorCode of(int value) {
        for (ErrorCode c : values()) {
            if (c.value == value) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
