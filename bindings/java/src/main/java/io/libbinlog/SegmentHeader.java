package io.libbinlog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A segment's header ({@code binlog_header}), from {@link BinlogReader#header()}: the format version that wrote the
 * segment, its creation time, its place in its log, and the strings and parameters its writer was given ({@link
 * Options.Builder#logName}, {@link Options.Builder#contentType}, {@link Options.Builder#param}, ...).
 *
 * <p>Immutable, and every field is a Java copy: it stays valid after the reader moves to another segment or is closed.
 *
 * @param major major version of the segment format that wrote the segment (see {@link Binlog#formatMajor()})
 * @param minor minor version of the segment format that wrote the segment
 * @param createdNs creation time, nanoseconds since the Unix epoch (UTC)
 * @param segmentNo position of the segment in its log (0 for a standalone segment unless {@link
 *     Options.Builder#segmentNo} set it); unsigned in the file, like {@link SegmentInfo#segmentNo()}
 * @param firstSeq sequence number of the segment's first record (unsigned in the file)
 * @param logName log name ({@link Options.Builder#logName}; a log writer records its log's name); may be empty
 * @param contentType content type ({@link Options.Builder#contentType}); may be empty
 * @param writer the library and version that created the segment, e.g. {@code libbinlog/0.1.0}
 * @param params the parameters given with {@link Options.Builder#param} when the segment was created: unmodifiable, in
 *     write order, a key given twice appearing twice (unlike {@link BinlogRecord#metadata()}, which is a map)
 */
public record SegmentHeader(int major, int minor, long createdNs, long segmentNo, long firstSeq, String logName,
        String contentType, String writer, List<Map.Entry<String, String>> params) {
    public SegmentHeader {
        params = List.copyOf(params);
    }

    /** {@link #createdNs()} as an {@link Instant} (exact to the nanosecond). */
    public Instant created() {
        return Instant.ofEpochSecond(Math.floorDiv(createdNs, 1_000_000_000L),
                Math.floorMod(createdNs, 1_000_000_000L));
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
    public String toString() {
        return "SegmentHeader{v" + major + "." + minor + " #" + Long.toUnsignedString(segmentNo) + ", firstSeq="
                + Long.toUnsignedString(firstSeq) + ", created=" + created() + ", logName=" + logName
                + ", contentType=" + contentType + ", writer=" + writer + ", params=" + params + "}";
    }
}
