package io.libbinlog;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * What records hold in all, and per type in the order of each type's first record ({@code binlog_summary_*}; {@link
 * Binlog#summarize}, {@link BinlogReader#summary}, {@link BinlogMergedReader#summary}). "First" and "last" are in read
 * order, {@code minNs} and {@code maxNs} the earliest and latest timestamps; with no record every number is 0. Bytes
 * are the records' bytes in the file (framing, type, metadata and payload).
 */
public record Summary(long records, long bytes, long payloadBytes, long firstSeq, long lastSeq, long firstNs,
        long lastNs, long minNs, long maxNs, List<TypeSummary> types) {
    /** What the records of one type hold. */
    public record TypeSummary(String name, long records, long bytes, long payloadBytes, long firstSeq, long lastSeq,
            long firstNs, long lastNs) {}

    /** The summary of type {@code name}, if a record has it. */
    public Optional<TypeSummary> type(String name) {
        return types.stream().filter(t -> t.name.equals(name)).findFirst();
    }

    /** Of binlog_jni.c's nativeSummary: the totals' row, then a row per type, 9 numbers each. */
    static Summary of(Object[] got) {
        List<TypeSummary> rows = HandleCalls.rows(got, 9, (v, at, name, log) -> new TypeSummary(
                new String(name, StandardCharsets.UTF_8), v[at], v[at + 1], v[at + 2], v[at + 3], v[at + 4],
                v[at + 5], v[at + 6]));
        long[] v = (long[]) got[0];
        return new Summary(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], rows.subList(1, rows.size()));
    }
}
