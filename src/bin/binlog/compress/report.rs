//! The line `binlog compress` and `decompress` print per file.

use crate::output::human_bytes;
use binlog::Converted;

/// `<file>: <original> -> <compressed> (<ratio>%), <n> frames`.
pub fn line(done: &Converted) -> String {
    let pct = done.compressed_len as f64 * 100.0 / done.original_len.max(1) as f64;
    format!(
        "{}: {} original, {} compressed ({pct:.1}%), {} frames",
        done.path.display(),
        human_bytes(done.original_len),
        human_bytes(done.compressed_len),
        done.frames
    )
}
