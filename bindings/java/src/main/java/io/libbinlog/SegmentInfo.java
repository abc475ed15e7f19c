package io.libbinlog;

import java.nio.file.Path;

/** A sealed segment of a rolling log, from {@link BinlogWriter#pollSealed()} ({@code binlog_segment_info}). */
public final class SegmentInfo {
    /** {@code binlog_segment_event}. */
    public enum Event {
        OPENED, SEALED
    }

    private final Event event;
    private final Path path;
    private final long segmentNo;
    private final long firstSeq;
    private final long recordCount;
    private final long bytes;

    SegmentInfo(Event event, Path path, long segmentNo, long firstSeq, long recordCount, long bytes) {
        this.event = event;
        this.path = path;
        this.segmentNo = segmentNo;
        this.firstSeq = firstSeq;
        this.recordCount = recordCount;
        this.bytes = bytes;
    }

    public Event event() {
        return event;
    }

    public Path path() {
        return path;
    }

    public long segmentNo() {
        return segmentNo;
    }

    public long firstSeq() {
        return firstSeq;
    }

    public long recordCount() {
        return recordCount;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return "SegmentInfo{" + event + " #" + segmentNo + " " + path + ", firstSeq=" + firstSeq + ", records="
                + recordCount + ", bytes=" + bytes + "}";
    }
}
