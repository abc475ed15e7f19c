package io.libbinlog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A segment's header ({@code binlog_header}), from {@link BinlogReader#header()}:
 * the format version that wrote the segment, its creation time, its place in
 * its log, and the strings and parameters its writer was given
 * ({@link Options.Builder#logName}, {@link Options.Builder#contentType},
 * {@link Options.Builder#param}, ...).
 *
 * <p>Immutable, and every field is a Java copy: it stays valid after the
 * reader moves to another segment or is closed.
 */
public final class SegmentHeader {
    private final int major;
    private final int minor;
    private final long createdNs;
    private final long segmentNo;
    private final long firstSeq;
    private final String logName;
    private final String contentType;
    private final String writer;
    private final List<Map.Entry<String, String>> params;

    SegmentHeader(int major, int minor, long createdNs, long segmentNo, long firstSeq, String logName,
            String contentType, String writer, List<Map.Entry<String, String>> params) {
        this.major = major;
        this.minor = minor;
        this.createdNs = createdNs;
        this.segmentNo = segmentNo;
        this.firstSeq = firstSeq;
        this.logName = logName;
        this.contentType = contentType;
        this.writer = writer;
        this.params = List.copyOf(params);
    }

    /** Major version of the segment format that wrote the segment (see {@link Binlog#formatMajor()}). */
    public int major() {
        return major;
    }

    /** Minor version of the segment format that wrote the segment. */
    public int minor() {
        return minor;
    }

    /** Creation time, nanoseconds since the Unix epoch (UTC). */
    public long createdNs() {
        return createdNs;
    }

    /** {@link #createdNs()} as an {@link Instant} (exact to the nanosecond). */
    public Instant created() {
        return Instant.ofEpochSecond(Math.floorDiv(createdNs, 1_000_000_000L),
                Math.floorMod(createdNs, 1_000_000_000L));
    }

    /**
     * Position of the segment in its log (0 for a standalone segment unless
     * {@link Options.Builder#segmentNo} set it). Unsigned in the file, like
     * {@link SegmentInfo#segmentNo()}.
     */
    public long segmentNo() {
        return segmentNo;
    }

    /** Sequence number of the segment's first record (unsigned in the file). */
    public long firstSeq() {
        return firstSeq;
    }

    /** Log name ({@link Options.Builder#logName}; a log writer records its log's name); may be empty. */
    public String logName() {
        return logName;
    }

    /** Content type ({@link Options.Builder#contentType}); may be empty. */
    public String contentType() {
        return contentType;
    }

    /** The library and version that created the segment, e.g. {@code libbinlog/0.1.0}. */
    public String writer() {
        return writer;
    }

    /**
     * The parameters given with {@link Options.Builder#param} when the
     * segment was created: unmodifiable, in write order, a key given twice
     * appearing twice (unlike {@link BinlogRecord#metadata()}, which is a map).
     */
    public List<Map.Entry<String, String>> params() {
        return params;
    }

    /** The value of parameter {@code key} (the last one if it was given more than once), or null. */
    public String param(String key) {
        Objects.requireNonNull(key, "key");
        for (int i = params.size() - 1; i >= 0; i--) {
            Map.Entry<String, String> e = params.get(i);
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SegmentHeader)) {
            return false;
        }
        SegmentHeader h = (SegmentHeader) o;
        return major == h.major && minor == h.minor && createdNs == h.createdNs && segmentNo == h.segmentNo
                && firstSeq == h.firstSeq && logName.equals(h.logName) && contentType.equals(h.contentType)
                && writer.equals(h.writer) && params.equals(h.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, createdNs, segmentNo, firstSeq, logName, contentType, writer, params);
    }

    @Override
    public String toString() {
        return "SegmentHeader{v" + major + "." + minor + " #" + Long.toUnsignedString(segmentNo) + ", firstSeq="
                + Long.toUnsignedString(firstSeq) + ", created=" + created() + ", logName=" + logName
                + ", contentType=" + contentType + ", writer=" + writer + ", params=" + params + "}";
    }
}
