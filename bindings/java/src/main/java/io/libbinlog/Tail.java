package io.libbinlog;

/** How a reader's segment ended ({@code binlog_tail}), from {@link BinlogReader#tail()}. */
public final class Tail {
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

    private final Kind kind;
    private final long offset;
    private final long len;

    Tail(int kind, long offset, long len) {
        Kind[] all = Kind.values();
        this.kind = kind >= 0 && kind < all.length - 1 ? all[kind] : Kind.UNKNOWN;
        this.offset = offset;
        this.len = len;
    }

    public Kind kind() {
        return kind;
    }

    public long offset() {
        return offset;
    }

    public long len() {
        return len;
    }

    @Override
    public String toString() {
        return "Tail{" + kind + ", offset=" + offset + ", len=" + len + "}";
    }
}
