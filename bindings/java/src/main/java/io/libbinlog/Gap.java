package io.libbinlog;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Records a log reader could not return ({@code binlog_gap}), from {@link BinlogReader#gaps()}: records
 * {@code [fromSeq, toSeq)} of {@code path} (a segment file, or an object's {@code s3://} URL) for
 * {@code reason}; {@code offset} for damage. A value the library does not know is empty. The same for a log
 * read from its directory, from compressed segments or from a bucket.
 */
public final class Gap {
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

    private final Reason reason;
    private final String path;
    private final OptionalLong offset;
    private final OptionalLong fromSeq;
    private final OptionalLong toSeq;

    /** A gap as the C library reports it: {@code reason} is its {@code binlog_gap_reason} value (1 to 4). */
    Gap(int reason, String path, OptionalLong offset, OptionalLong fromSeq, OptionalLong toSeq) {
        Reason[] all = Reason.values();
        this.reason = reason >= 1 && reason < all.length ? all[reason - 1] : Reason.UNKNOWN;
        this.path = path;
        this.offset = offset;
        this.fromSeq = fromSeq;
        this.toSeq = toSeq;
    }

    public Reason reason() {
        return reason;
    }

    /** The segment file, or the object's {@code s3://} URL. */
    public String path() {
        return path;
    }

    /** Where in {@link #path()} the bytes are lost (damage only). */
    public OptionalLong offset() {
        return offset;
    }

    /** The first sequence number missing. */
    public OptionalLong fromSeq() {
        return fromSeq;
    }

    /** The first sequence number present after the gap. */
    public OptionalLong toSeq() {
        return toSeq;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Gap)) {
            return false;
        }
        Gap g = (Gap) o;
        return reason == g.reason && path.equals(g.path) && offset.equals(g.offset) && fromSeq.equals(g.fromSeq)
                && toSeq.equals(g.toSeq);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, path, offset, fromSeq, toSeq);
    }

    @Override
    public String toString() {
        return "Gap[" + reason + ", " + path + ", offset " + offset + ", from " + fromSeq + ", to " + toSeq + "]";
    }
}
