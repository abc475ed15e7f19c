//! Where printing starts for `--tail N`: the matching records are counted
//! backwards one segment at a time, so that memory stays constant.

use super::filter::Filter;
use crate::error::{is_damage, CliResult};
use crate::paths;
use binlog::Reader;
use std::path::{Path, PathBuf};

/// Where printing starts: a segment, and matching records to skip in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintStart {
    pub seg: usize,
    pub skip: u64,
}

impl PrintStart {
    pub const BEGIN: PrintStart = PrintStart { seg: 0, skip: 0 };
}

/// The start that leaves the last `n` matching records, counting backwards
/// one segment at a time: the records a reader that skips damaged regions
/// returns (`skip_damaged`, as `tail -f` reads) or, without it, those
/// before the first damage of each segment (as `for_each` prints). Only the
/// segments whose records would be printed are read (a seal that shows no
/// record can match skips its segment): a seal says how many records were
/// written, not how many can be read, and printing stops at damage.
pub fn tail_start(
    files: &[PathBuf],
    filter: &Filter,
    n: u64,
    skip_damaged: bool,
) -> CliResult<PrintStart> {
    let mut need = n;
    if need == 0 {
        let (seg, skip) = (files.len(), 0);
        return Ok(PrintStart { seg, skip });
    }
    for i in (0..files.len()).rev() {
        let c = count_matches(&files[i], filter, skip_damaged)?;
        if c >= need {
            let (seg, skip) = (i, c - need);
            return Ok(PrintStart { seg, skip });
        }
        need -= c;
    }
    Ok(PrintStart::BEGIN)
}

/// Opens a segment, prepared for `filter`: None when it cannot be read for
/// damage or cannot match. With `skip_damaged` a damaged header or damaged
/// records are skipped, as `LogReader::skip_damaged` does.
fn open_prepared(file: &Path, filter: &Filter, skip_damaged: bool) -> CliResult<Option<Reader>> {
    let mut r = match crate::remote::open_reader(file, skip_damaged) {
        Ok(r) => r,
        Err(e) if is_damage(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let wrong_log = paths::check_log_of(file, &r).is_err();
    let skip = wrong_log || !filter.may_match(&r) || filter.prepare_reader(&mut r).is_err();
    Ok((!skip).then_some(r))
}

/// Matching records in one segment that can be read: a scan that stops at
/// damage, as printing does (or skips it, with `skip_damaged`).
fn count_matches(file: &Path, filter: &Filter, skip_damaged: bool) -> CliResult<u64> {
    let mut c = 0;
    if let Some(mut r) = open_prepared(file, filter, skip_damaged)? {
        while let Ok(Some(rec)) = r.next() {
            if filter.to_seq.is_some_and(|to| rec.seq > to) {
                break;
            }
            c += u64::from(filter.matches(&rec));
        }
    }
    Ok(c)
}

/// The sequence number of the first record printing from `start` would
/// print, read as `tail_start_with` counted (None: there is none).
pub fn first_seq_from(
    files: &[PathBuf],
    filter: &Filter,
    start: PrintStart,
    skip_damaged: bool,
) -> CliResult<Option<u64>> {
    let mut skip = start.skip;
    for file in files.iter().skip(start.seg) {
        if let Some(mut r) = open_prepared(file, filter, skip_damaged)? {
            while let Ok(Some(rec)) = r.next() {
                if filter.to_seq.is_some_and(|to| rec.seq > to) {
                    return Ok(None);
                }
                if !filter.matches(&rec) {
                    continue;
                }
                if skip == 0 {
                    return Ok(Some(rec.seq));
                }
                skip -= 1;
            }
        }
        // Only the start's segment has records to skip.
        skip = 0;
    }
    Ok(None)
}
