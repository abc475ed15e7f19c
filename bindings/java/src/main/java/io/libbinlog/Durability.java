package io.libbinlog;

/** When records are forced to stable storage ({@code binlog_durability}: each ordinal is the C value). */
public enum Durability {
    /** Never forced (the OS decides); buffers go to the OS when full and on flush, sync and close. */
    NONE,
    /** Every write call returns after fdatasync; concurrent writers share one. */
    EVERY_RECORD,
    /** Every Nth record syncs (param = N). */
    EVERY_N,
    /** A background thread syncs every param milliseconds. */
    INTERVAL_MS
}
