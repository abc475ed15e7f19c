//! The walk over a segment's frames: the header, then record after record
//! to the seal or the end of the file, past damage.

use super::analysis::{Analysis, IntactRun, Issue, IssueKind, RecordsEnd, WalkError};
use super::lost_types::LostTypes;
use super::seal_check::{RecordsFound, SealCheck};
use crate::progress::Progress;
use binlog::format::frame::{self, FrameAt, KIND_RECORD, KIND_SEAL_BEGIN};
use binlog::format::header::SegmentHeader;
use binlog::format::seal::{self, SealDirectory, TRAILER_LEN, TRAILER_MAGIC};
use binlog::format::FRAME_HEADER_LEN;
use binlog::reader::SealTypes;
use binlog::ErrorKind;
use memmap2::Mmap;
use std::borrow::Cow;
use std::path::Path;

/// Bytes walked between two releases of the pages behind the walk.
const RELEASE_STEP: usize = 32 << 20;

/// Issues kept per segment; more are counted, not listed.
const MAX_ISSUES: usize = 200;

pub(super) struct Walker {
    pub(super) analysis: Analysis,
    /// The run of intact records the walk is in.
    pub(super) run: IntactRun,
    /// The file ends in a trailer, but no seal could be read through it.
    trailer_without_seal: bool,
    /// A seal the library's reader does not use (`analysis.seal` is None)
    /// whose trailer and directory are intact: it bounds the records, as
    /// in the reader (docs/FORMAT.md section 9).
    bounding_seal: Option<SealDirectory>,
    /// The checks of the segment's valid seal against the records.
    pub(super) seal_check: Option<SealCheck>,
    /// (records, bytes) by type id.
    pub(super) type_counts: Vec<(u64, u64)>,
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: Option<i64>,
    /// Names for types defined only in damaged bytes.
    pub(super) lost_types: LostTypes,
    /// Where the records start (after a damaged header: the first record).
    records_start: u64,
    /// Bytes of damage met so far: the types it could have defined bound
    /// the type ids a later record may use (see `plausible_type`).
    pub(super) damaged_bytes: u64,
    /// The bytes from here to the end of the map were zeros when the walk
    /// began (read with pread, see `walk::zeros_from`): what a durable
    /// writer prepared ahead of its records, which sealing cuts. The walk
    /// reads none of them through the map.
    pub(super) zeros_from: usize,
}

impl Walker {
    pub(super) fn new(file_len: u64) -> Walker {
        Walker {
            analysis: Analysis {
                file_len,
                header: None,
                data_start: 0,
                seal: None,
                end: RecordsEnd::Unsealed,
                runs: Vec::new(),
                issues: Vec::new(),
                more_issues: 0,
                types: Vec::new(),
                records: 0,
                first_seq: None,
                last_seq: None,
                min_ts: None,
                max_ts: None,
            },
            run: IntactRun {
                start: 0,
                end: 0,
                first_seq: 0,
                count: 0,
            },
            trailer_without_seal: false,
            bounding_seal: None,
            seal_check: None,
            type_counts: Vec::new(),
            first_ts: None,
            last_ts: None,
            lost_types: LostTypes::new(None),
            records_start: 0,
            damaged_bytes: 0,
            zeros_from: file_len as usize,
        }
    }

    pub(super) fn into_analysis(self) -> Analysis {
        self.analysis
    }

    /// Reads the header: where records start and the sequence number the
    /// first should carry; None when the header is unreadable and no record
    /// follows it (the analysis says so).
    pub(super) fn read_header(
        &mut self,
        path: &Path,
        map: &[u8],
    ) -> Result<Option<(usize, u64)>, WalkError> {
        let e = match SegmentHeader::decode(map, path) {
            Ok((h, len)) => {
                let first = h.first_seq;
                self.analysis.header = Some(h);
                self.analysis.data_start = len as u64;
                return Ok(Some((len, first)));
            }
            Err(e) => e,
        };
        if matches!(e.kind(), ErrorKind::UnsupportedVersion) {
            return Err(WalkError::NotSegment(e.message().to_string()));
        }
        if e.kind() == ErrorKind::NotABinlog && !looks_like_segment(path) {
            return Err(WalkError::NotSegment(e.message().to_string()));
        }
        // The header is gone: look for records anyway (salvage).
        let msg = header_problem(&e);
        let Some(q) = frame::find_next_record(map, 0, None) else {
            let len = map.len() as u64;
            let what = format!("{msg}; no valid record found in the file");
            self.issue(IssueKind::Header, 0, len, None, what);
            self.analysis.end = RecordsEnd::Unreadable;
            return Ok(None);
        };
        let seq = record_seq(map, q);
        let what = format!("{msg}; valid records start at offset {q} (seq {seq})");
        self.issue(IssueKind::Header, 0, q as u64, Some(q as u64), what);
        self.damaged_bytes = q as u64;
        Ok(Some((q, seq)))
    }

    /// Reads the seal of a segment whose header is sound, its records
    /// starting at `start`: the one the library's reader would use, else
    /// one that bounds the records.
    pub(super) fn find_seal(&mut self, map: &[u8], start: usize) {
        if let Some(h) = &self.analysis.header {
            self.analysis.seal = binlog::reader::usable_seal(map, start, h.first_seq);
            if self.analysis.seal.is_none() {
                let read = |at: usize, n: usize| map.get(at..at.checked_add(n)?).map(Cow::Borrowed);
                self.bounding_seal = seal::read_directory_from(map.len(), start, read);
            }
        }
        if self.analysis.seal.is_none()
            && map.ends_with(&TRAILER_MAGIC)
            && map.len() >= start + TRAILER_LEN
        {
            self.trailer_without_seal = true;
        }
    }

    pub(super) fn issue(
        &mut self,
        kind: IssueKind,
        offset: u64,
        len: u64,
        resume: Option<u64>,
        message: String,
    ) {
        if self.analysis.issues.len() >= MAX_ISSUES {
            self.analysis.more_issues += 1;
            return;
        }
        self.analysis.issues.push(Issue {
            kind,
            offset,
            len,
            resume,
            message,
        });
    }

    /// Ends the current run (if it holds records) and starts one at `at`.
    pub(super) fn start_run(&mut self, at: u64, seq: u64) {
        if self.run.count > 0 {
            self.analysis.runs.push(self.run);
        }
        self.run = IntactRun {
            start: at,
            end: at,
            first_seq: seq,
            count: 0,
        };
    }

    /// Walks the frames from `start` to the seal (or the end of the file).
    pub(super) fn walk(
        &mut self,
        map: &[u8],
        mapped: Option<&Mmap>,
        start: usize,
        mut next_seq: u64,
        progress: &mut Progress,
    ) {
        self.prepare(map, start);
        let mut sealed = self.analysis.seal.is_some() || self.bounding_seal.is_some();
        let mut end = self
            .analysis
            .seal
            .as_ref()
            .or(self.bounding_seal.as_ref())
            .map_or(map.len(), |d| d.records_end as usize);
        let mut data = &map[..end];
        let mut released = 0usize;
        let mut p = start;
        self.start_run(p as u64, next_seq);
        loop {
            progress.at(p as u64);
            if let Some(m) = mapped {
                released = release_pages(m, released, p);
            }
            if p >= end && self.bounding_seal.is_some() && record_at(map, end) {
                // The directory is wrong about where the records end (as
                // in the library's reader): read on to the end of the file.
                self.bounding_seal = None;
                (sealed, end, data) = (false, map.len(), map);
                continue;
            }
            if p >= end {
                self.records_end_at(map, end, sealed);
                break;
            }
            match self.frame(map, data, p, sealed, &mut next_seq) {
                Some(next) => p = next,
                None => break,
            }
        }
        self.start_run(p as u64, next_seq);
    }

    /// The records end at `end`, cleanly: at the seal, at a seal that only
    /// bounds them (damaged: the library's reader ends in `SealDamaged`
    /// there), or at the end of an unsealed file.
    fn records_end_at(&mut self, map: &[u8], end: usize, sealed: bool) {
        self.analysis.end = match sealed {
            true if self.bounding_seal.is_some() => {
                self.seal_begins(map, end);
                return;
            }
            true => RecordsEnd::Sealed,
            false => RecordsEnd::Unsealed,
        };
    }

    /// Sets up the seal's checks and the names of lost types before the
    /// records are walked.
    fn prepare(&mut self, map: &[u8], start: usize) {
        self.records_start = start as u64;
        if let Some(d) = self.analysis.seal.clone() {
            self.analysis.types = d.types.iter().map(|t| Some(t.name.clone())).collect();
            self.seal_check = Some(SealCheck::new(map, &d));
            let read = |at: u64, n: usize| {
                let at = usize::try_from(at).ok()?;
                map.get(at..at.checked_add(n)?).map(Cow::Borrowed)
            };
            self.lost_types = LostTypes::new(SealTypes::from_directory(&d, &read));
        }
        if self.analysis.header.is_none() && start > 0 {
            // The header's bytes are damage too.
            self.lost_types.damage(map, start as u64, 0, start as u64);
        }
    }

    /// Compares the seal's summary with what the walk found, unless damage
    /// in the middle makes the records disagree with it anyway.
    pub(super) fn check_seal(&mut self) {
        let (Some(d), Some(check)) = (self.analysis.seal.clone(), self.seal_check.take()) else {
            return;
        };
        if self.analysis.has_mid_file_damage() {
            return;
        }
        let found = RecordsFound {
            analysis: &self.analysis,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            type_counts: &self.type_counts,
        };
        if let Some(msg) = check.finish(&d, &found) {
            let len = self.analysis.file_len - d.records_end;
            self.issue(IssueKind::Index, d.records_end, len, None, msg);
        }
    }

    /// Checks the frame at `p` of the record region `data`: where the walk
    /// goes on, or None if it ends at `p`.
    fn frame(
        &mut self,
        map: &[u8],
        data: &[u8],
        p: usize,
        sealed: bool,
        next_seq: &mut u64,
    ) -> Option<usize> {
        let why = match frame::frame_at(data, p, true) {
            FrameAt::Frame {
                kind: KIND_RECORD,
                body,
                total,
            } => match self.record(map, p, body, total, next_seq) {
                Ok(()) => return Some(p + total),
                Err(why) => why,
            },
            FrameAt::Frame {
                kind: KIND_SEAL_BEGIN,
                body,
                total,
            } => match seal::seal_begin_body_count(body, total) {
                None => "malformed seal marker".to_string(),
                Some(_) if sealed => "seal marker inside the record region".to_string(),
                Some(count) => match self.stray_seal_begin(data, p, count, *next_seq) {
                    None => {
                        self.seal_begins(map, p);
                        return None;
                    }
                    Some(why) => why,
                },
            },
            FrameAt::Frame { kind, .. } => {
                format!("frame of kind {kind} where a record was expected")
            }
            FrameAt::Incomplete => "frame extends past the end of the data".to_string(),
            FrameAt::Invalid(why) => crc_detail(data, p, why),
        };
        self.bad_frame(map, data, p, why, sealed, next_seq)
    }

    /// Why a `SEAL_BEGIN` frame counting `count` records at `p` of an
    /// unsealed segment (`next_seq` expected there) does not end its
    /// records, as the library's reader decides: it counts other records
    /// than those before it, or valid records continuing them follow it.
    fn stray_seal_begin(&self, data: &[u8], p: usize, count: u64, next_seq: u64) -> Option<String> {
        let first = self.analysis.header.as_ref().map(|h| h.first_seq);
        let read = first.map(|f| next_seq.wrapping_sub(f));
        if read.is_some_and(|n| n != count) {
            let n = read.expect("some");
            return Some(format!("seal marker counting {count} records after {n}"));
        }
        frame::find_resume(data, p, next_seq)
            .map(|_| "seal marker followed by valid records".to_string())
    }

    /// The records of a segment end where a seal begins that could not be
    /// read (or used).
    fn seal_begins(&mut self, map: &[u8], p: usize) {
        self.analysis.end = RecordsEnd::SealDamaged { offset: p as u64 };
        let what = if self.trailer_without_seal {
            "the seal is damaged"
        } else {
            "the seal is incomplete (its writer stopped while sealing)"
        };
        self.issue(
            IssueKind::Seal,
            p as u64,
            (map.len() - p) as u64,
            None,
            format!("{what}; every record before it is intact, and `binlog repair` rewrites it"),
        );
    }

    /// A bad frame at `p` (`why`): corruption if a valid record continues
    /// the sequence after it (the walk goes on there), else a torn tail
    /// (or, sealed, corruption up to the seal), where the walk ends. The
    /// search is bounded by the expected sequence number: linear even on
    /// hostile bytes.
    fn bad_frame(
        &mut self,
        map: &[u8],
        data: &[u8],
        p: usize,
        why: String,
        sealed: bool,
        next_seq: &mut u64,
    ) -> Option<usize> {
        if !sealed && p >= self.zeros_from {
            // A zero frame head, zeros to the end: the end of the records
            // so far (docs/FORMAT.md section 10), not damage.
            self.analysis.end = RecordsEnd::Unsealed;
            return None;
        }
        let end = data.len();
        // Not into the zeros (a live writer's, which sealing cuts): the
        // pages up to the one holding the last other byte stay in the file.
        let searched = if sealed {
            data
        } else {
            let limit = (self.zeros_from.max(p + 1)).next_multiple_of(4096);
            &data[..end.min(limit)]
        };
        match frame::find_resume(searched, p, *next_seq) {
            Some(q) => {
                self.resume_after_damage(map, data, (p, q), &why, next_seq);
                Some(q)
            }
            None if sealed => {
                let what = format!(
                    "{why}: {} bytes up to the seal at offset {end} hold no valid record \
                     (a sealed segment has no torn tail)",
                    end - p
                );
                self.issue(IssueKind::Corrupt, p as u64, (end - p) as u64, None, what);
                self.analysis.end = RecordsEnd::Corrupt { offset: p as u64 };
                None
            }
            None => {
                let len = (self.zeros_from.max(p) - p) as u64;
                let what = format!(
                    "{len} bytes that are not a whole record ({why}) and nothing \
                     valid after them: a record cut off when its writer died"
                );
                self.issue(IssueKind::Torn, p as u64, len, None, what);
                self.analysis.end = RecordsEnd::Torn {
                    offset: p as u64,
                    len,
                };
                None
            }
        }
    }

    /// Damaged bytes `[p, q)` with valid records after them, from `q` on.
    fn resume_after_damage(
        &mut self,
        map: &[u8],
        data: &[u8],
        (p, q): (usize, usize),
        why: &str,
        next_seq: &mut u64,
    ) {
        let seq = record_seq(data, q);
        let expected = *next_seq;
        let lost = if seq == expected + 1 {
            format!("; sequence number {expected} is missing")
        } else if seq > expected {
            format!("; sequence numbers {expected}..{} are missing", seq - 1)
        } else {
            String::new()
        };
        let what = format!(
            "{why}: {} bytes of damage up to offset {q}, where valid records resume (seq {seq}){lost}",
            q - p
        );
        self.issue(
            IssueKind::Corrupt,
            p as u64,
            (q - p) as u64,
            Some(q as u64),
            what,
        );
        self.damaged_bytes = self.damaged_bytes.saturating_add((q - p) as u64);
        self.lost_types
            .damage(map, self.records_start, p as u64, q as u64);
        self.start_run(q as u64, seq);
        *next_seq = seq;
    }
}

/// Hands the pages of `m` before `p` back to the kernel, a step at a time
/// (`released`: where the last release ended, which is returned), so that
/// memory stays flat on multi-GB segments.
fn release_pages(m: &Mmap, released: usize, p: usize) -> usize {
    if p < released + RELEASE_STEP || p > m.len() {
        return released;
    }
    // SAFETY: a read-only shared file mapping: dropped pages are read again
    // from the file if touched, unchanged.
    let _ = unsafe {
        m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, released, p - released)
    };
    p
}

fn looks_like_segment(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| binlog::log::naming::plain_name(n).ends_with(binlog::log::naming::SUFFIX))
}

/// What is wrong with a header, for a report that names the file already:
/// the error's detail, after its offset unless that is the file's start.
fn header_problem(e: &binlog::Error) -> String {
    match e.offset() {
        None | Some(0) => e.detail().to_string(),
        Some(offset) => format!("offset {offset}: {}", e.detail()),
    }
}

/// Whether a valid record frame is at `at` of `map`.
fn record_at(map: &[u8], at: usize) -> bool {
    matches!(
        frame::frame_at(map, at, true),
        FrameAt::Frame {
            kind: KIND_RECORD,
            ..
        }
    )
}

/// The sequence number of the record at `at` (0 if it cannot be read).
fn record_seq(map: &[u8], at: usize) -> u64 {
    match frame::frame_at(map, at, false) {
        FrameAt::Frame { body, .. } => frame::decode_record(body).map_or(0, |r| r.seq),
        _ => 0,
    }
}

/// Explains a CRC mismatch with the stored and computed values.
fn crc_detail(data: &[u8], p: usize, why: &str) -> String {
    if why != "CRC mismatch" {
        return why.to_string();
    }
    let len = u32::from_le_bytes(data[p..p + 4].try_into().expect("4 bytes")) as usize;
    let stored = u32::from_le_bytes(data[p + 4..p + 8].try_into().expect("4 bytes"));
    let body = &data[p + FRAME_HEADER_LEN..p + FRAME_HEADER_LEN + len];
    format!(
        "CRC mismatch (stored {stored:#010x}, computed {:#010x}, frame of {} bytes)",
        binlog::format::crc32(body),
        len + FRAME_HEADER_LEN
    )
}
