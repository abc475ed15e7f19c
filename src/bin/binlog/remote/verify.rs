//! `binlog remote verify`: each segment object of a shipped log, fetched
//! whole once: its size and SHA-256 against its metadata, then every
//! record (CRCs, sequence numbers, seal) as the library verifies a local
//! segment (`binlog::verify`), its record count and last sequence number against the
//! metadata, and the sequence numbers continuing from the object before.
//! One line per object; exit status 1 if any is damaged or missing.

use crate::error::{CliResult, Outcome};
use crate::output;
use binlog::__private::archive::digest;
use binlog::archive::{ListedSegment, RemoteLog};
use std::io::Write;

pub fn run(log: &RemoteLog) -> CliResult<Outcome> {
    let mut out = output::stdout();
    let mut outcome = Outcome::Clean;
    let mut expected: Option<u64> = None;
    for s in log.segments()? {
        let url = log.url_of(&s.object_key);
        if let Some(exp) = expected.filter(|&e| s.key.first_seq > e) {
            outcome = Outcome::Damaged;
            let to = s.key.first_seq - 1;
            writeln!(out, "GAP     records {exp}..{to} are in no object")?;
        }
        match check(log, &s) {
            Ok((records, next)) => {
                writeln!(out, "ok      {}: {records} records", url.display())?;
                // A salvaged object whose records its segment still
                // holds ends nothing before the segment's end.
                expected = Some(expected.map_or(next, |e| e.max(next)));
            }
            Err(what) => {
                outcome = Outcome::Damaged;
                writeln!(out, "DAMAGED {}: {what}", url.display())?;
                expected = None;
            }
        }
    }
    out.flush()?;
    Ok(outcome)
}

/// Checks one object; its record count and the sequence number after its
/// last record, or what is wrong.
fn check(log: &RemoteLog, s: &ListedSegment) -> Result<(u64, u64), String> {
    let meta = log
        .remote()
        .head(&s.object_key)
        .map_err(|e| e.to_string())?
        .and_then(|(_, m)| m)
        .ok_or("no binlog metadata (not an object `binlog ship` wrote)")?;
    let bytes = log.get_whole(&s.object_key).map_err(|e| e.to_string())?;
    let d = digest::of_bytes(&bytes);
    if d.bytes != meta.bytes || d.sha256 != meta.sha256 {
        return Err(format!(
            "{} bytes with SHA-256 {}, the metadata says {} bytes with SHA-256 {}",
            d.bytes, d.sha256, meta.bytes, meta.sha256
        ));
    }
    // Its records as the library verifies a segment (its reader skipping
    // damage), so that the verdict is the one `binlog verify` gives a file.
    let r = log
        .reader_of_copy(&s.object_key, &bytes, true)
        .map_err(|e| e.to_string())?;
    let rep = binlog::verify::segment_of_reader(r);
    if let Some(f) = rep.findings.iter().find(|f| f.is_damage()) {
        return Err(f.message.clone());
    }
    let (records, last, sealed) = (rep.records, rep.last_seq, rep.seal.is_some());
    if (records, last) != (meta.records, meta.last_seq) || !sealed {
        return Err(format!(
            "{records} records (last {last:?}, sealed: {sealed}), the metadata says {} (last {:?})",
            meta.records, meta.last_seq
        ));
    }
    Ok((records, rep.next_seq.unwrap_or(s.key.first_seq)))
}
