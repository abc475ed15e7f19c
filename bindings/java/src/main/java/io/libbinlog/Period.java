package io.libbinlog;

/** When a rolling log starts a new segment by the UTC clock ({@code binlog_period}: each ordinal is the C value). */
public enum Period {
    NEVER, MINUTE, FIVE_MINUTES, TEN_MINUTES, QUARTER_HOUR, HALF_HOUR, HOUR, DAY
}
