package io.libbinlog;

import java.util.OptionalLong;

/**
 * Records a log reader could not return ({@code binlog_gap}), from {@link BinlogReader#gaps()}: records
 * {@code [fromSeq, toSeq)} of {@code path} (a segment file, or an object's {@code s3://} URL) for
 * {@code reason}; {@code offset} for damage. A value the library does not know is empty. The same for a log
 * read from its directory, from compressed segments or from a bucket.
 *
 * @param reason why the records are missing
 * @param path the segment file, or the object's {@code s3://} URL
 * @param offset where in {@code path} the bytes are lost (damage only)
 * @param fromSeq the first sequence number missing
 * @param toSeq the first sequence number present after the gap
 */
public record Gap(Reason reason, String path, OptionalLong offset, OptionalLong fromSeq, OptionalLong toSeq) {
    /** {@code binlog_gap_reason}: a closed set. */
    public enum Reason {
        /**
         * A listed segment of a log directory gone before it could be opened, or segments missing before the
         * next with no older listed file left (retention removes the oldest first).
         */
        RETENTION,
        /** A segment or bucket object that should be there and is not. */
        MISSING,
        /** Bytes lost to damage at {@code offset} (a torn tail with a later segment after it). */
        DAMAGE,
        /** Consecutive segments whose sequence numbers do not continue each other. */
        SEQ_JUMP,
        /** A reason newer than this binding. */
        UNKNOWN
    }

    /** How many numbers one gap is in the JNI code's rows (reason, then a has-flag and a value for each field). */
    static final int NUMS = 7;

    /** The gap of the {@link #NUMS} numbers at {@code v[at]} (its {@code binlog_gap_reason} from 1) and its path. */
    static Gap of(long[] v, int at, String path) {
        return new Gap(Binlog.constant(Reason.values(), v[at], 1), path, Binlog.known(v, at + 1),
                Binlog.known(v, at + 3), Binlog.known(v, at + 5));
    }
}
