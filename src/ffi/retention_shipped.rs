//! Retention of a shipped log in C: the options that keep segments a
//! shipper has not uploaded (`Retention::until_shipped`,
//! `Retention::hard_max_bytes`) and the count of those the hard cap
//! deleted anyway (`LogWriter::dropped_unshipped`).

use super::options::{assign_log, binlog_options};
use super::prelude::*;
use super::writer::{binlog_writer, log_count};

/// Logs only: `until_shipped` true keeps every sealed segment a shipper
/// (`binlog_shipper`) has not uploaded yet, as its journal `<name>.ship` in
/// the log's directory says, whatever the other limits say; only the hard
/// cap (`binlog_options_set_retention_hard_max_bytes`) deletes one. A build
/// without the shipper refuses it with `BINLOG_ERR_INVALID_ARGUMENT` when
/// the log opens.
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_until_shipped(
    opts: *mut binlog_options,
    until_shipped: bool,
) -> binlog_result {
    assign_log(opts, |l| l.retention.until_shipped = until_shipped)
}

/// Logs only: keep at most `max_bytes` bytes of sealed segments even if a
/// shipper has not uploaded them yet (0 = no such limit); every segment it
/// deletes that was not uploaded is counted
/// (`binlog_writer_dropped_unshipped`).
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_hard_max_bytes(
    opts: *mut binlog_options,
    max_bytes: u64,
) -> binlog_result {
    assign_log(opts, |l| {
        l.retention.hard_max_bytes = c_option(max_bytes, 0)
    })
}

/// How many sealed segments the hard byte cap deleted before a shipper had
/// uploaded them (records neither local nor in the bucket any more). Works
/// after close too; a segment writer is refused.
#[no_mangle]
pub extern "C" fn binlog_writer_dropped_unshipped(
    w: *const binlog_writer,
    out: *mut u64,
) -> binlog_result {
    log_count(w, out, |l| l.dropped_unshipped().0)
}
