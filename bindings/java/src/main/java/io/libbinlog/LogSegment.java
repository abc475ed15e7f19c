package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;

/**
 * One file of a rolling log with its state ({@code binlog_listed_segment}), from
 * {@link #list}: for uploaders and tools, which segments are sealed (never written
 * again) and which files {@code binlog repair --salvage} made. Immutable.
 */
public final class LogSegment {
    static {
        Binlog.ensureLoaded();
    }

    /** {@code binlog_segment_state}. */
    public enum State {
        /** No seal: being written, or its writer stopped between records. */
        ACTIVE,
        /** Records closed by SEAL_BEGIN, the rest of the seal not written (yet). */
        ENDING,
        /** Sealed: it never changes again (safe to upload or archive). */
        SEALED,
        /** Its header cannot be read. */
        UNREADABLE,
        /** A state newer than this binding. */
        UNKNOWN
    }

    /** Longs per file in nativeList's output (see binlog_jni.c). */
    private static final int FIELDS = 12;

    private final Path path;
    private final long segmentNo;
    private final State state;
    private final OptionalLong salvagedOffset;
    private final OptionalLong firstSeq;
    private final OptionalLong lastSeq;
    private final long bytes;
    private final OptionalLong originalBytes;

    private LogSegment(Path path, long[] f, int at) {
        State[] all = State.values();
        int s = (int) f[at + 2];
        this.path = path;
        this.segmentNo = f[at + 1];
        this.state = s >= 0 && s < all.length - 1 ? all[s] : State.UNKNOWN;
        this.salvagedOffset = f[at + 3] != 0 ? OptionalLong.of(f[at + 4]) : OptionalLong.empty();
        this.firstSeq = f[at + 5] != 0 ? OptionalLong.of(f[at + 6]) : OptionalLong.empty();
        this.lastSeq = f[at + 7] != 0 ? OptionalLong.of(f[at + 8]) : OptionalLong.empty();
        this.bytes = f[at + 9];
        this.originalBytes = f[at + 10] != 0 ? OptionalLong.of(f[at + 11]) : OptionalLong.empty();
    }

    /**
     * The files of log {@code name} in {@code dir} in the order a log reader reads them
     * (segments by number, each followed by the files salvaged from it), with their state:
     * a snapshot, as a live log may roll or seal meanwhile. Safe from any thread.
     */
    public static List<LogSegment> list(Path dir, String name) throws IOException {
        byte[] d = Strings.path(dir, "dir");
        byte[] n = Strings.cstring(name, "name");
        Object[] out = new Object[2];
        nativeList(d, n, out);
        byte[] paths = (byte[]) out[0];
        long[] f = (long[]) out[1];
        List<LogSegment> list = new ArrayList<>(f.length / FIELDS);
        int off = 0;
        for (int at = 0; at + FIELDS <= f.length; at += FIELDS) {
            int len = (int) f[at];
            byte[] p = new byte[len];
            System.arraycopy(paths, off, p, 0, len);
            off += len;
            list.add(new LogSegment(Strings.decodePath(p), f, at));
        }
        return Collections.unmodifiableList(list);
    }

    public Path path() {
        return path;
    }

    /** Its segment number (a salvaged file's is its segment's). */
    public long segmentNo() {
        return segmentNo;
    }

    public State state() {
        return state;
    }

    /** For a file {@code binlog repair --salvage} made: the offset in its segment it was copied from. */
    public OptionalLong salvagedOffset() {
        return salvagedOffset;
    }

    /** The first record's sequence number, from the header (empty if unreadable). */
    public OptionalLong firstSeq() {
        return firstSeq;
    }

    /** The last record's sequence number, once the records are closed (sealed or ending) and there is one. */
    public OptionalLong lastSeq() {
        return lastSeq;
    }

    /** The file's size in bytes when listed (of a compressed segment: its compressed size). */
    public long bytes() {
        return bytes;
    }

    /**
     * For a compressed segment ({@code <segment>.binlog.zst}) whose seek table could be read: the size of
     * the segment it holds; empty for a plain file.
     */
    public OptionalLong originalBytes() {
        return originalBytes;
    }

    @Override
    public String toString() {
        return "LogSegment{" + path + ", segmentNo=" + segmentNo + ", " + state + ", salvagedOffset="
                + salvagedOffset + ", firstSeq=" + firstSeq + ", lastSeq=" + lastSeq + ", bytes=" + bytes
                + ", originalBytes=" + originalBytes + "}";
    }

    private static native void nativeList(byte[] dir, byte[] name, Object[] out) throws IOException;
}
