package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;

/**
 * One file of a rolling log with its state ({@code binlog_listed_segment}), from {@link #list}: for uploaders and
 * tools, which segments are sealed (never written again) and which files {@code binlog repair --salvage} made.
 * Immutable.
 *
 * @param path the file
 * @param segmentNo its segment number (a salvaged file's is its segment's)
 * @param state its state
 * @param salvagedOffset for a file {@code binlog repair --salvage} made: the offset in its segment it was copied from
 * @param firstSeq the first record's sequence number, from the header (empty if unreadable)
 * @param lastSeq the last record's sequence number, once the records are closed (sealed or ending) and there is one
 * @param bytes the file's size in bytes when listed (of a compressed segment: its compressed size)
 * @param originalBytes for a compressed segment ({@code <segment>.binlog.zst}) whose seek table could be read: the size
 *     of the segment it holds; empty for a plain file
 */
public record LogSegment(Path path, long segmentNo, State state, OptionalLong salvagedOffset,
        OptionalLong firstSeq, OptionalLong lastSeq, long bytes, OptionalLong originalBytes) {
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

    /** The file at {@code path} whose fields are {@code f[at ...]} (see binlog_jni.c's list_fields). */
    private LogSegment(Path path, long[] f, int at) {
        this(path, f[at], Binlog.constant(State.values(), f[at + 1], 0), Binlog.known(f, at + 2),
                Binlog.known(f, at + 4), Binlog.known(f, at + 6), f[at + 8], Binlog.known(f, at + 9));
    }

    /**
     * The files of log {@code name} in {@code dir} in the order a log reader reads them
     * (segments by number, each followed by the files salvaged from it), with their state:
     * a snapshot, as a live log may roll or seal meanwhile. Safe from any thread.
     */
    public static List<LogSegment> list(Path dir, String name) throws IOException {
        Object[] got = Binlog.nativeList(Strings.path(dir, "dir"), Strings.cstring(name, "name"));
        return Collections.unmodifiableList(HandleCalls.rows(got, 11, // binlog_jni.c's LIST_FIELDS
                (f, at, path, log) -> new LogSegment(Strings.decodePath(path), f, at)));
    }
}
