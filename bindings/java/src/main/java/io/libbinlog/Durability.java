package io.libbinlog;

/** When records are forced to stable storage ({@code binlog_durability}). */
public enum Durability {
    /** Never forced (the OS decides); buffers go to the OS when full and on flush, sync and close. */
    NONE(0),
    /** Every write call returns after fdatasync; concurrent writers share one. */
    EVERY_RECORD(1),
    /** Every Nth record syncs (param = N). */
    EVERY_N(2),
    /** A background thread syncs every param milliseconds. */
    INTERVAL_MS(3);

    final int value;

    Durability(int value) {
        this.value = value;
    }
}
