package io.libbinlog;

/**
 * A damaged region a reader skipped ({@code binlog_damage2}), from {@link BinlogReader#damages()}: bytes
 * {@code [offset, resumeOffset)} of {@code path} and records {@code [fromSeq, toSeq)} are lost.
 *
 * @param offset where the damaged bytes start
 * @param resumeOffset where the reader resumed: the next valid record
 * @param fromSeq the first sequence number lost
 * @param toSeq the sequence number after the last one lost ({@code fromSeq} when none is known lost)
 * @param path the segment file the region is in (as the reader was given it, or as a log reader found it in
 *     its directory), or the object's {@code s3://} URL
 */
public record Damage(long offset, long resumeOffset, long fromSeq, long toSeq, String path) {
    /** How many numbers one damaged region is in the JNI code's rows. */
    static final int NUMS = 4;

    /** The damaged region of the {@link #NUMS} numbers at {@code v[at]} and its path. */
    static Damage of(long[] v, int at, String path) {
        return new Damage(v[at], v[at + 1], v[at + 2], v[at + 3], path);
    }
}
