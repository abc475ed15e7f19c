package io.libbinlog;

/**
 * A damaged region a reader skipped ({@code binlog_damage}), from {@link Reader#damages()}: bytes
 * {@code [offset, resumeOffset)} of the segment and records {@code [fromSeq, toSeq)} are lost.
 *
 * @param offset where the damaged bytes start
 * @param resumeOffset where the reader resumed: the next valid record
 * @param fromSeq the first sequence number lost
 * @param toSeq the sequence number after the last one lost ({@code fromSeq} when none is known lost)
 */
public record Damage(long offset, long resumeOffset, long fromSeq, long toSeq) {}
