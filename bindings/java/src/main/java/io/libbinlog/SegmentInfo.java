package io.libbinlog;

import java.nio.file.Path;

/**
 * A sealed segment of a rolling log, from {@link BinlogWriter#pollSealed()} ({@code binlog_segment_info}).
 *
 * @param event whether the segment was opened or sealed
 * @param path the segment file
 * @param segmentNo its number in the log
 * @param firstSeq the sequence number of its first record
 * @param recordCount how many records it holds
 * @param bytes its size in bytes
 */
public record SegmentInfo(Event event, Path path, long segmentNo, long firstSeq, long recordCount, long bytes) {
    /** {@code binlog_segment_event}. */
    public enum Event {
        OPENED, SEALED
    }
}
