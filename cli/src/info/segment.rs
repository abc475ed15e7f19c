//! What one segment is and holds: from its seal, or, unsealed, by the
//! library's summary of its records; and what the segments hold together.

use crate::error::{is_damage, CliError, CliResult};
use crate::paths;
use crate::progress::Progress;
use binlog::codec::{CompressedSegment, SealDirectory};
use binlog::naming::{is_compressed_path, is_path_locked};
use binlog::{Reader, SegmentHeader, Summary, Tail};
use std::path::{Path, PathBuf};

#[derive(Default, Clone)]
pub(super) struct Counts {
    pub(super) records: u64,
    pub(super) first_seq: Option<u64>,
    pub(super) last_seq: Option<u64>,
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: Option<i64>,
    pub(super) min_ts: Option<i64>,
    pub(super) max_ts: Option<i64>,
    /// (name, records, frame bytes) in order of first use.
    pub(super) types: Vec<(String, u64, u64)>,
}

impl Counts {
    pub(super) fn merge(&mut self, o: &Counts) {
        self.records += o.records;
        self.first_seq = self.first_seq.into_iter().chain(o.first_seq).min();
        self.last_seq = self.last_seq.max(o.last_seq);
        self.first_ts = self.first_ts.or(o.first_ts);
        self.last_ts = o.last_ts.or(self.last_ts);
        self.min_ts = self.min_ts.into_iter().chain(o.min_ts).min();
        self.max_ts = self.max_ts.max(o.max_ts);
        for (n, c, b) in &o.types {
            match self.types.iter_mut().find(|t| t.0 == *n) {
                Some(t) => (t.1, t.2) = (t.1 + c, t.2 + b),
                None => self.types.push((n.clone(), *c, *b)),
            }
        }
    }
}

#[derive(Default)]
pub(super) struct SegmentInfo {
    pub(super) path: PathBuf,
    pub(super) file_len: u64,
    pub(super) header: Option<SegmentHeader>,
    pub(super) header_len: u64,
    pub(super) records_end: u64,
    /// sealed, unsealed, ending, torn-tail, seal-damaged, corrupt, empty
    pub(super) state: &'static str,
    pub(super) detail: Option<String>,
    pub(super) locked: bool,
    pub(super) counts: Counts,
    pub(super) damaged: bool,
    /// A compressed segment (`.binlog.zst`): the size of the segment it
    /// holds (`file_len` is its compressed size).
    pub(super) original_len: Option<u64>,
}

impl SegmentInfo {
    /// How many times smaller than its segment a compressed one is.
    pub(super) fn ratio(&self) -> Option<f64> {
        self.original_len
            .map(|o| o as f64 / self.file_len.max(1) as f64)
    }

    /// `self` as a sealed segment's, of header `h` (`data_start` bytes
    /// long): what its seal `d` says it holds.
    fn sealed(mut self, h: &SegmentHeader, data_start: u64, d: &SealDirectory) -> SegmentInfo {
        self.header = Some(h.clone());
        self.header_len = data_start;
        self.state = "sealed";
        self.records_end = d.records_end;
        let any = d.record_count > 0;
        let types = d.types.iter().map(|t| (t.name.clone(), t.count, t.bytes));
        self.counts = Counts {
            records: d.record_count,
            first_seq: any.then_some(d.first_seq),
            last_seq: any.then_some(d.last_seq),
            first_ts: any.then_some(d.first_ts),
            last_ts: any.then_some(d.last_ts),
            min_ts: any.then_some(d.min_ts),
            max_ts: any.then_some(d.max_ts),
            types: types.collect(),
        };
        self
    }
}

/// What the segments hold together.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) counts: Counts,
    pub(super) segments: u64,
    pub(super) sealed: u64,
    pub(super) damaged: u64,
    pub(super) bytes: u64,
    /// The segments' sizes uncompressed (a plain one's is its size).
    pub(super) original_bytes: u64,
    /// How many are compressed.
    pub(super) compressed: u64,
    /// Segments per state, in order of first appearance.
    pub(super) states: Vec<(&'static str, u64)>,
    /// Breaks between segments of a log, before the file named.
    pub(super) gaps: Vec<(binlog::verify::Finding, PathBuf)>,
    /// Where each log's segments read so far end (for the next break).
    pub(super) continuity: binlog::verify::Continuity,
}

impl Totals {
    pub(super) fn add(&mut self, s: &SegmentInfo) {
        self.counts.merge(&s.counts);
        self.bytes += s.file_len;
        self.original_bytes += s.original_len.unwrap_or(s.file_len);
        self.compressed += s.original_len.is_some() as u64;
        self.sealed += (s.state == "sealed") as u64;
        self.damaged += s.damaged as u64;
        match self.states.iter_mut().find(|(st, _)| *st == s.state) {
            Some((_, n)) => *n += 1,
            None => self.states.push((s.state, 1)),
        }
    }
}

/// What the segment at `path` is and holds; `newest`: it is the
/// newest file of a log (its header may not be written yet).
pub fn read_segment(path: &Path, newest: bool, progress: &mut Progress) -> CliResult<SegmentInfo> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::io_on(paths::show(path), e));
    let file_len = meta?.len();
    let mut s = SegmentInfo {
        path: path.to_path_buf(),
        file_len,
        state: "unsealed",
        ..SegmentInfo::default()
    };
    // A compressed segment: from its seek table, header and seal (always
    // sealed), decompressing no record. A file that is no compressed
    // segment at all is an error, as a plain file that is no segment is;
    // damage is a state.
    if is_compressed_path(path) {
        return match CompressedSegment::open(path) {
            Ok(c) => {
                s.original_len = Some(c.original_len());
                Ok(s.sealed(c.header(), c.data_start(), c.seal()))
            }
            Err(e) if e.kind() == binlog::ErrorKind::NotABinlog => Err(e.into()),
            Err(_) => describe_verified(s, false),
        };
    }
    let mut r = match Reader::open(path) {
        Ok(r) => r,
        Err(e) if is_damage(&e) => return describe_verified(s, newest),
        Err(e) => return Err(e.into()),
    };
    if let Some(d) = r.seal() {
        return Ok(s.sealed(r.header(), r.data_start(), d));
    }
    s.header = Some(r.header().clone());
    s.header_len = r.data_start();
    // Unsealed: scan.
    s.locked = is_path_locked(path);
    // Counts the records, up to damage.
    let mut summary = Summary::new();
    let failed = loop {
        match r.next() {
            Ok(Some(rec)) => {
                progress.at(rec.offset);
                summary.add(&rec);
            }
            end => break end.err(),
        }
    };
    if let Some(e) = failed {
        s.state = "corrupt";
        let why = e.message();
        s.detail = Some(format!("{why} (counts cover the records before it)"));
        s.damaged = true;
    }
    // What the library's summary of the scan says.
    let types = summary.types.iter();
    let types = types.map(|t| (t.name.clone(), t.records, t.bytes));
    s.counts = Counts {
        records: summary.records,
        first_seq: summary.first_seq,
        last_seq: summary.last_seq,
        first_ts: summary.first_ns,
        last_ts: summary.last_ns,
        min_ts: summary.min_ns,
        max_ts: summary.max_ns,
        types: types.collect(),
    };
    s.records_end = r.position();
    if !s.damaged {
        // Its state, read to its end, from how it ends.
        match r.tail() {
            Tail::Torn { offset, len } => {
                s.state = "torn-tail";
                s.detail = Some(if s.locked {
                    format!("offset {offset}: {len} bytes of a record being written")
                } else {
                    format!("offset {offset}: {len} bytes that are not a whole record (`binlog repair` cuts them)")
                });
            }
            // Its records closed by SEAL_BEGIN, held by the writer that is
            // writing its seal (after a roll).
            Tail::SealDamaged { offset } if s.locked => {
                s.state = "ending";
                let what = "its records are closed and a writer is writing its seal";
                s.detail = Some(format!("offset {offset}: {what}"));
            }
            Tail::SealDamaged { offset } => {
                s.state = "seal-damaged";
                let what = "the seal is damaged or incomplete";
                s.detail = Some(format!("offset {offset}: {what}"));
            }
            Tail::Sealed => s.state = "sealed",
            _ if s.locked => s.detail = Some("a writer has it open".into()),
            _ => s.detail = Some("its writer did not close it".into()),
        }
    }
    Ok(s)
}

/// A segment a plain open refuses, described as the library's
/// verification reads it (skipping damage), so that `info` names its state
/// as `verify` does; as the newest file of a log (`newest_of_log`) one
/// whose header is not written yet is no damage.
fn describe_verified(mut s: SegmentInfo, newest_of_log: bool) -> CliResult<SegmentInfo> {
    let mut rep = binlog::verify::segment(&s.path);
    if newest_of_log {
        binlog::verify::newest_of_log(&mut rep);
    }
    if let Some(f) = rep.findings.iter().find(|f| f.is_not_a_segment()) {
        return Err(CliError::usage(f.message.clone()));
    }
    s.state = crate::check::Analysis::of_report(&rep).state_name();
    s.header = rep.header.clone();
    s.header_len = rep.data_start;
    s.records_end = rep.records_end;
    let damage = rep.findings.iter().find(|f| f.is_damage());
    s.detail = damage.map(|f| f.message.clone());
    s.damaged = rep.is_damaged();
    s.counts = Counts {
        records: rep.records,
        first_seq: rep.first_seq,
        last_seq: rep.last_seq,
        min_ts: rep.min_ts,
        max_ts: rep.max_ts,
        ..Counts::default()
    };
    Ok(s)
}
