package io.libbinlog;

/**
 * How a reader's segment ended ({@code binlog_tail}), from {@link BinlogReader#tail()}.
 *
 * @param kind how it ended
 * @param offset where (see {@link Kind})
 * @param len how many bytes (see {@link Kind#TORN})
 */
public record Tail(Kind kind, long offset, long len) {
    /** {@code binlog_tail_kind}. */
    public enum Kind {
        /** Records remain, or the end has not been reached yet. */
        READING,
        /** Every record read; the segment is sealed. */
        SEALED,
        /** Every record read; no seal (being written, or the writer stopped). */
        UNSEALED,
        /** Records end at {@code offset}, where a damaged or incomplete seal begins. */
        SEAL_DAMAGED,
        /** {@code len} bytes at {@code offset} are not a whole record: a torn tail or a write in progress. */
        TORN,
        /** A kind newer than this binding. */
        UNKNOWN
    }
}
