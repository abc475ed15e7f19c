//! `binlog remote ls`: a shipped log's segment objects, one line each:
//! segment number, first and last sequence numbers, records, size, key
//! (the numbers from the object's metadata, by a HEAD each). Records
//! missing between two objects (one deleted from the bucket) are said on
//! standard error as the reading commands say a gap, with exit status 1.

use crate::error::{CliResult, Outcome};
use crate::output;
use binlog::archive::RemoteLog;
use binlog::naming::{gap_between, SegmentEnd};
use std::io::Write;

pub fn run(log: &RemoteLog) -> CliResult<Outcome> {
    let mut out = output::stdout();
    writeln!(
        out,
        "{:>8} {:>20} {:>20} {:>10} {:>12}  KEY",
        "SEGMENT", "FIRST SEQ", "LAST SEQ", "RECORDS", "BYTES"
    )?;
    let mut outcome = Outcome::Clean;
    // Where the object before ended, if its metadata says.
    let mut prev: Option<SegmentEnd> = None;
    for s in log.segments()? {
        let meta = log.remote().head(&s.object_key)?.and_then(|(_, m)| m);
        let url = log.url_of(&s.object_key);
        if let Some(g) = prev.and_then(|p| gap_between(p, &url, s.key.segment_no, s.key.first_seq))
        {
            out.flush()?;
            eprintln!("binlog: gap: {g}; `binlog verify` tells more");
            outcome = Outcome::Damaged;
        }
        // A salvaged object whose records its segment still holds ends
        // nothing before the segment's end.
        let behind = prev.map_or(0, |p| p.next_seq);
        prev = meta.as_ref().map(|m| SegmentEnd {
            segment_no: s.key.segment_no,
            next_seq: (m.first_seq + m.records).max(behind),
        });
        let (last, records) = match &meta {
            Some(m) => (
                m.last_seq.map_or_else(|| "-".into(), |l| l.to_string()),
                m.records.to_string(),
            ),
            None => {
                // Not written by `binlog ship` (or its metadata lost).
                outcome = Outcome::Damaged;
                ("?".into(), "?".into())
            }
        };
        let (no, first, size, key) = (s.key.segment_no, s.key.first_seq, s.size, &s.object_key);
        let line = format!("{no:>8} {first:>20} {last:>20} {records:>10} {size:>12}  {key}");
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(outcome)
}
