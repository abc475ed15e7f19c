package io.libbinlog;

/**
 * When a rolling log starts a new segment by the UTC clock. Mirrors {@code binlog_period} of src/ffi/options.rs
 * (the enum is missing from include/binlog.h, so the values are copied from the Rust source).
 */
public enum Period {
    NEVER(0),
    MINUTE(1),
    FIVE_MINUTES(2),
    TEN_MINUTES(3),
    QUARTER_HOUR(4),
    HALF_HOUR(5),
    HOUR(6),
    DAY(7);

    final int value;

    Period(int value) {
        this.value = value;
    }
}
