package io.libbinlog;

/**
 * When a rolling log starts a new segment by the UTC clock. Mirrors {@code binlog_period} of src/ffi/options.rs
 * (the enum is missing from include/binlog.h): each constant's ordinal is the C value, copied from the Rust source.
 */
public enum Period {
    NEVER, MINUTE, FIVE_MINUTES, TEN_MINUTES, QUARTER_HOUR, HALF_HOUR, HOUR, DAY
}
