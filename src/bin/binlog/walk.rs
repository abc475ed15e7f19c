//! A full check of one segment, frame by frame, that keeps going past
//! damage: every CRC (header, records, seal directory, per-type arrays,
//! sparse index, trailer), the sequence numbers, the type table, and the
//! seal's summary against the records. It finds every damaged region (the
//! library's reader stops at the first one), tells a torn tail from
//! corruption in the middle the way docs/FORMAT.md section 10 does, and
//! returns the runs of intact records between the damage, which `repair
//! --salvage` copies. Memory is constant in the size of the segment.

use crate::progress::Progress;
use binlog::format::frame::{self, FrameAt, MetaIter, KIND_RECORD, KIND_SEAL_BEGIN};
use binlog::format::header::SegmentHeader;
use binlog::format::seal::{
    self, SealDirectory, SparseEntry, SPARSE_ENTRY_LEN, TRAILER_LEN, TRAILER_MAGIC,
};
use binlog::format::FRAME_HEADER_LEN;
use binlog::reader::SealTypes;
use binlog::{ErrorKind, Record};
use memmap2::Mmap;
use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

/// Bytes walked between two releases of the pages behind the walk.
const RELEASE_STEP: usize = 32 << 20;

/// Issues kept per segment; more are counted, not listed.
const MAX_ISSUES: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    /// The header is unreadable (records may still follow).
    Header,
    /// Bytes in the middle that are not valid records, valid records after.
    Corrupt,
    /// A valid record whose sequence number does not continue the sequence.
    Sequence,
    /// A valid record whose type id is undefined or defined twice.
    Type,
    /// The end of an unsealed segment is not a whole record.
    Torn,
    /// The seal is incomplete or damaged (records are complete).
    Seal,
    /// The seal is readable but disagrees with the records, or one of its
    /// indexes fails its CRC.
    Index,
}

impl IssueKind {
    pub fn name(self) -> &'static str {
        match self {
            IssueKind::Header => "corrupt-header",
            IssueKind::Corrupt => "corrupt",
            IssueKind::Sequence => "sequence",
            IssueKind::Type => "type",
            IssueKind::Torn => "torn-tail",
            IssueKind::Seal => "seal-damaged",
            IssueKind::Index => "seal-mismatch",
        }
    }

    /// Damage that a cut would lose valid records over: repair refuses it
    /// unless told to salvage.
    pub fn is_mid_file(self) -> bool {
        matches!(
            self,
            IssueKind::Header | IssueKind::Corrupt | IssueKind::Sequence | IssueKind::Type
        )
    }
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub kind: IssueKind,
    pub offset: u64,
    /// Bytes affected (0 when the issue is about one field).
    pub len: u64,
    /// Where valid records resume after the damage.
    pub resume: Option<u64>,
    pub message: String,
}

/// Consecutive intact records `[start, end)` with gap-free sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub start: u64,
    pub end: u64,
    pub first_seq: u64,
    pub count: u64,
}

/// How the records of a segment end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// At a valid seal.
    Sealed,
    /// Cleanly at the end of the file, without a seal.
    Unsealed,
    /// Where a damaged or incomplete seal begins.
    SealDamaged { offset: u64 },
    /// In bytes that are not a whole record, with nothing valid after them.
    Torn { offset: u64, len: u64 },
    /// In bad bytes up to the seal of a sealed segment.
    Corrupt { offset: u64 },
    /// Unknown: the header could not be read and no record was found.
    Unreadable,
}

pub struct Analysis {
    pub file_len: u64,
    pub header: Option<SegmentHeader>,
    /// Where records start (the header's length).
    pub data_start: u64,
    pub seal: Option<SealDirectory>,
    pub end: End,
    pub runs: Vec<Run>,
    pub issues: Vec<Issue>,
    /// Issues found beyond `MAX_ISSUES`.
    pub more_issues: u64,
    /// Type names by id (None: defined only in damaged bytes, and no seal
    /// names it; see `LostTypes`).
    pub types: Vec<Option<String>>,
    /// Valid records found.
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
}

impl Analysis {
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty() && self.more_issues == 0
    }

    pub fn has_mid_file_damage(&self) -> bool {
        self.issues.iter().any(|i| i.kind.is_mid_file())
    }

    /// Offset of the first damage that a cut would lose records over.
    pub fn first_mid_file(&self) -> Option<&Issue> {
        self.issues.iter().find(|i| i.kind.is_mid_file())
    }

    pub fn is_sealed(&self) -> bool {
        self.end == End::Sealed
    }

    pub fn type_name(&self, id: u32) -> String {
        match self.types.get(id as usize) {
            Some(Some(n)) => n.clone(),
            _ => unknown_type(id),
        }
    }
}

/// What every tool calls a type whose name is lost (its defining record
/// is in damaged bytes, and no seal names it): `repair --salvage` gives the
/// records it copies this type name.
pub fn unknown_type(id: u32) -> String {
    format!("unknown-type-{id}")
}

/// The name the tool shows for the type of a record the library's reader
/// returned: its name, or, for a type whose name the reader lost,
/// `unknown-type-N` (as every tool calls it).
pub fn shown_type_name<'a>(r: &Record<'a>) -> Cow<'a, str> {
    match r.lost_type_id() {
        Some(id) => Cow::Owned(unknown_type(id)),
        None => Cow::Borrowed(r.type_name),
    }
}

/// For a type filter given to the library's reader: the reader's name for
/// the type `unknown-type-N` (`Record::lost_type_name`), if `name` is one.
pub fn reader_type_name(name: &str) -> Option<String> {
    let n = name.strip_prefix("unknown-type-")?;
    let id: u32 = n
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| n.parse().ok())??;
    Some(Record::lost_type_name(id))
}

/// Names for the types of a segment whose defining record is in damaged
/// bytes, as the library's reader gives them (`binlog::reader::SealTypes`):
/// from the type table of the segment's seal (a valid one, or its
/// directory alone when the rest of it is damaged) when the table agrees
/// with every type an intact record defines and puts the lost type's
/// first record in the damage; else none (`unknown-type-<id>`). A walk
/// over the records tells it each definition (`define`) and each damaged
/// region (`damage`) as it meets them, and asks (`decide`) at the first
/// record of a type not defined.
pub struct LostTypes {
    table: Option<SealTypes>,
    /// Whether the table was looked for (a valid seal's is given at once;
    /// otherwise it is looked for at the first damage).
    looked: bool,
    /// False once an intact definition disagrees with the table.
    usable: bool,
    /// The names intact records defined, by id.
    defined: Vec<Option<Box<str>>>,
    /// Ids whose lost name was decided.
    decided: Vec<bool>,
}

impl LostTypes {
    /// With the table of the segment's valid seal, if it has one.
    pub fn new(seal: Option<SealTypes>) -> LostTypes {
        LostTypes {
            looked: seal.is_some(),
            table: seal,
            usable: true,
            defined: Vec::new(),
            decided: Vec::new(),
        }
    }

    /// An intact record defines type `id` as `name`; `accepted` if the
    /// walk takes the definition (else it only counts against the table).
    pub fn define(&mut self, id: usize, name: &[u8], accepted: bool) {
        if let Some(t) = &self.table {
            if !t.agrees(id, name) {
                self.usable = false;
            }
        }
        if accepted {
            if self.defined.len() <= id {
                self.defined.resize(id + 1, None);
            }
            self.defined[id] = Some(String::from_utf8_lossy(name).into());
        }
    }

    /// Damaged bytes `[from, to)` of the segment `map`, whose records start
    /// at `data_start`.
    pub fn damage(&mut self, map: &[u8], data_start: u64, from: u64, to: u64) {
        if !self.looked {
            self.looked = true;
            self.table = SealTypes::find(map.len() as u64, data_start, |at, n| {
                let at = usize::try_from(at).ok()?;
                map.get(at..at.checked_add(n)?).map(Cow::Borrowed)
            });
            if let Some(t) = &self.table {
                self.usable = self
                    .defined
                    .iter()
                    .enumerate()
                    .all(|(id, n)| n.as_ref().is_none_or(|n| t.agrees(id, n.as_bytes())));
            }
        }
        if let Some(t) = &mut self.table {
            t.damaged(from, to);
        }
    }

    /// Whether a record of type `id` that does not define it needs a name
    /// decided (no intact record defined it, and none was decided).
    pub fn undecided(&self, id: usize) -> bool {
        self.defined.get(id).is_none_or(|n| n.is_none())
            && !self.decided.get(id).copied().unwrap_or(false)
    }

    /// The name of type `id`, lost (see `undecided`), if the seal gives it.
    pub fn decide(&mut self, id: usize) -> Option<String> {
        if self.decided.len() <= id {
            self.decided.resize(id + 1, false);
        }
        self.decided[id] = true;
        if !self.usable {
            return None;
        }
        self.table.as_ref()?.lost_name(id).map(str::to_string)
    }
}

/// A failure to look at the file at all (not damage).
pub enum WalkError {
    Io(String),
    /// Not a segment, or a format version this tool does not read.
    NotSegment(String),
}

pub fn map(path: &Path) -> Result<(File, Mmap), WalkError> {
    let file =
        File::open(path).map_err(|e| WalkError::Io(format!("{}: open: {e}", path.display())))?;
    // Opening a directory works, mapping it does not ("No such device"):
    // say what it is, in the library's words.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(WalkError::NotSegment(format!(
            "{}: is a directory, not a segment",
            path.display()
        )));
    }
    // SAFETY: read-only map. A writer may append meanwhile (the walk only
    // looks at the length it mapped); a recovering writer cutting the file
    // while we read is documented as not allowed (README, thread safety).
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }
        .map_err(|e| WalkError::Io(format!("{}: map: {e}", path.display())))?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok((file, map))
}

/// Checks the segment at `path`.
pub fn analyze(path: &Path, progress: &mut Progress) -> Result<Analysis, WalkError> {
    let (_file, map) = map(path)?;
    analyze_bytes(path, &map, Some(&map), progress)
}

/// `analyze` on bytes; `mapped` (the map the bytes are) lets the walk hand
/// pages it is done with back to the kernel, so that memory stays flat on
/// multi-GB segments.
pub fn analyze_bytes(
    path: &Path,
    map: &[u8],
    mapped: Option<&Mmap>,
    progress: &mut Progress,
) -> Result<Analysis, WalkError> {
    let mut w = Walker::new(map.len() as u64);
    let (start, next_seq) = match SegmentHeader::decode(map, path) {
        Ok((h, len)) => {
            let first = h.first_seq;
            w.a.header = Some(h);
            w.a.data_start = len as u64;
            (len, first)
        }
        Err(e) => {
            if matches!(e.kind(), ErrorKind::UnsupportedVersion) {
                return Err(WalkError::NotSegment(e.message().to_string()));
            }
            if e.kind() == ErrorKind::NotABinlog && !looks_like_segment(path) {
                return Err(WalkError::NotSegment(e.message().to_string()));
            }
            // The header is gone: look for records anyway (salvage).
            let msg = header_problem(&e);
            match frame::find_next_record(map, 0, None) {
                Some(q) => {
                    let seq = record_seq(map, q);
                    w.issue(
                        IssueKind::Header,
                        0,
                        q as u64,
                        Some(q as u64),
                        format!("{msg}; valid records start at offset {q} (seq {seq})"),
                    );
                    w.damaged_bytes = q as u64;
                    (q, seq)
                }
                None => {
                    w.issue(
                        IssueKind::Header,
                        0,
                        map.len() as u64,
                        None,
                        format!("{msg}; no valid record found in the file"),
                    );
                    w.a.end = End::Unreadable;
                    return Ok(w.a);
                }
            }
        }
    };
    if w.a.header.is_some() {
        w.a.seal = seal::read_seal(map, start);
    }
    if w.a.seal.is_none() && map.ends_with(&TRAILER_MAGIC) && map.len() >= start + TRAILER_LEN {
        w.trailer_without_seal = true;
    }
    w.walk(map, mapped, start, next_seq, progress);
    if let Some(d) = w.a.seal.clone() {
        if !w.a.has_mid_file_damage() {
            w.check_seal(&d);
        }
    }
    Ok(w.a)
}

fn looks_like_segment(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".binlog"))
}

/// What is wrong with a header, for a report that names the file already:
/// the error's detail, after its offset unless that is the file's start.
fn header_problem(e: &binlog::Error) -> String {
    match e.offset() {
        None | Some(0) => e.detail().to_string(),
        Some(offset) => format!("offset {offset}: {}", e.detail()),
    }
}

fn record_seq(map: &[u8], at: usize) -> u64 {
    match frame::frame_at(map, at, false) {
        FrameAt::Frame { body, .. } => frame::decode_record(body).map_or(0, |r| r.seq),
        _ => 0,
    }
}

struct Walker {
    a: Analysis,
    run: Run,
    trailer_without_seal: bool,
    /// Per seal type: (array start, entries, next index, usable).
    arrays: Vec<(usize, u64, u64, bool)>,
    /// Sparse index: (start, entries, next index, usable).
    sparse: (usize, u64, u64, bool),
    /// What the seal gets wrong (reported as one issue).
    seal_problems: Vec<String>,
    /// Largest timestamp so far (for the sparse index check).
    max_ts_so_far: i64,
    type_counts: Vec<(u64, u64)>,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// Names for types defined only in damaged bytes.
    lost: LostTypes,
    /// Where the records start (after a damaged header: the first record).
    records_start: u64,
    /// Bytes of damage met so far: the types it could have defined bound
    /// the type ids a later record may use (see `plausible_type`).
    damaged_bytes: u64,
}

impl Walker {
    fn new(file_len: u64) -> Walker {
        Walker {
            a: Analysis {
                file_len,
                header: None,
                data_start: 0,
                seal: None,
                end: End::Unsealed,
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
            run: Run {
                start: 0,
                end: 0,
                first_seq: 0,
                count: 0,
            },
            trailer_without_seal: false,
            arrays: Vec::new(),
            sparse: (0, 0, 0, false),
            seal_problems: Vec::new(),
            max_ts_so_far: i64::MIN,
            type_counts: Vec::new(),
            first_ts: None,
            last_ts: None,
            lost: LostTypes::new(None),
            records_start: 0,
            damaged_bytes: 0,
        }
    }

    fn issue(
        &mut self,
        kind: IssueKind,
        offset: u64,
        len: u64,
        resume: Option<u64>,
        message: String,
    ) {
        if self.a.issues.len() >= MAX_ISSUES {
            self.a.more_issues += 1;
            return;
        }
        self.a.issues.push(Issue {
            kind,
            offset,
            len,
            resume,
            message,
        });
    }

    /// Ends the current run (if it holds records) and starts one at `at`.
    fn new_run(&mut self, at: u64, seq: u64) {
        if self.run.count > 0 {
            self.a.runs.push(self.run);
        }
        self.run = Run {
            start: at,
            end: at,
            first_seq: seq,
            count: 0,
        };
    }

    /// Checks the CRCs of the seal's indexes; the walk then compares their
    /// entries with the records as it meets them.
    fn prepare_seal_checks(&mut self, map: &[u8], d: &SealDirectory) {
        self.a.types = d.types.iter().map(|t| Some(t.name.clone())).collect();
        for t in &d.types {
            let start = t.array_offset as usize;
            let bytes = &map[start..start + 8 * t.count as usize];
            let ok = binlog::format::crc32(bytes) == t.array_crc;
            if !ok {
                self.seal_problems.push(format!(
                    "the offset array of type {:?} (offset {start}) fails its CRC",
                    t.name
                ));
            }
            self.arrays.push((start, t.count, 0, ok));
        }
        let sp = d.sparse_offset as usize;
        let bytes = &map[sp..sp + SPARSE_ENTRY_LEN * d.sparse_count as usize];
        let ok = binlog::format::crc32(bytes) == d.sparse_crc;
        if !ok {
            self.seal_problems
                .push(format!("the sparse index (offset {sp}) fails its CRC"));
        }
        self.sparse = (sp, d.sparse_count, 0, ok);
    }

    /// Compares the seal's per-type array and sparse index entries with the
    /// record at `off`.
    fn check_indexes(&mut self, map: &[u8], off: u64, seq: u64, id: usize, ts: i64) {
        if let Some(a) = self.arrays.get_mut(id) {
            if a.3 {
                let at = a.0 + 8 * a.2 as usize;
                if a.2 < a.1 && read_u64(map, at) == off {
                    a.2 += 1;
                } else {
                    a.3 = false;
                    let name = self.a.type_name(id as u32);
                    self.seal_problems.push(format!(
                        "the offset array of type {name:?} does not list the record at offset {off}"
                    ));
                }
            }
        }
        let sp = &mut self.sparse;
        if sp.3 && sp.2 < sp.1 {
            let e = SparseEntry::decode(&map[sp.0 + sp.2 as usize * SPARSE_ENTRY_LEN..])
                .expect("in range");
            if e.offset == off {
                sp.2 += 1;
                if e.seq != seq || e.max_ts_before != self.max_ts_so_far {
                    sp.3 = false;
                    self.seal_problems.push(format!(
                        "the sparse index entry for offset {off} says seq {} / max earlier time {}, \
                         the records say {seq} / {}",
                        e.seq, e.max_ts_before, self.max_ts_so_far
                    ));
                }
            } else if e.offset < off {
                sp.3 = false;
                self.seal_problems.push(format!(
                    "the sparse index points at offset {}, where no record starts",
                    e.offset
                ));
            }
        }
        let _ = ts;
    }

    fn walk(
        &mut self,
        map: &[u8],
        mapped: Option<&Mmap>,
        start: usize,
        mut next_seq: u64,
        progress: &mut Progress,
    ) {
        let mut released = 0usize;
        let sealed = self.a.seal.is_some();
        let end = self
            .a
            .seal
            .as_ref()
            .map_or(map.len(), |d| d.records_end as usize);
        self.records_start = start as u64;
        if let Some(d) = self.a.seal.clone() {
            self.prepare_seal_checks(map, &d);
            let read = |at: u64, n: usize| {
                let at = usize::try_from(at).ok()?;
                map.get(at..at.checked_add(n)?).map(Cow::Borrowed)
            };
            self.lost = LostTypes::new(SealTypes::from_directory(&d, &read));
        }
        if self.a.header.is_none() && start > 0 {
            // The header's bytes are damage too.
            self.lost.damage(map, start as u64, 0, start as u64);
        }
        let data = &map[..end];
        let mut p = start;
        self.new_run(p as u64, next_seq);
        loop {
            progress.at(p as u64);
            if let Some(m) = mapped {
                if p >= released + RELEASE_STEP && p <= m.len() {
                    // SAFETY: a read-only shared file mapping: dropped pages
                    // are read again from the file if touched, unchanged.
                    let _ = unsafe {
                        m.unchecked_advise_range(
                            memmap2::UncheckedAdvice::DontNeed,
                            released,
                            p - released,
                        )
                    };
                    released = p;
                }
            }
            if p >= end {
                self.a.end = if sealed { End::Sealed } else { End::Unsealed };
                break;
            }
            let why = match frame::frame_at(data, p, true) {
                FrameAt::Frame {
                    kind: KIND_RECORD,
                    body,
                    total,
                } => match self.record(map, p, body, total, &mut next_seq) {
                    Ok(()) => {
                        p += total;
                        continue;
                    }
                    Err(why) => why,
                },
                FrameAt::Frame {
                    kind: KIND_SEAL_BEGIN,
                    ..
                } if !sealed => {
                    self.a.end = End::SealDamaged { offset: p as u64 };
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
                        format!(
                        "{what}; every record before it is intact, and `binlog repair` rewrites it"
                    ),
                    );
                    break;
                }
                FrameAt::Frame {
                    kind: KIND_SEAL_BEGIN,
                    ..
                } => "seal marker inside the record region".to_string(),
                FrameAt::Frame { kind, .. } => {
                    format!("frame of kind {kind} where a record was expected")
                }
                FrameAt::Incomplete => "frame extends past the end of the data".to_string(),
                FrameAt::Invalid(why) => crc_detail(data, p, why),
            };
            // A bad frame: corruption if a valid record continues the
            // sequence after it, else a torn tail (or, sealed, corruption
            // up to the seal).
            // Bounded by the expected sequence number: linear even on
            // hostile bytes.
            match frame::find_resume(data, p, next_seq) {
                Some(q) => {
                    let seq = record_seq(data, q);
                    let lost = if seq == next_seq + 1 {
                        format!("; sequence number {next_seq} is missing")
                    } else if seq > next_seq {
                        format!("; sequence numbers {next_seq}..{} are missing", seq - 1)
                    } else {
                        String::new()
                    };
                    self.issue(IssueKind::Corrupt, p as u64, (q - p) as u64, Some(q as u64), format!(
                        "{why}: {} bytes of damage up to offset {q}, where valid records resume (seq {seq}){lost}",
                        q - p
                    ));
                    self.damaged_bytes = self.damaged_bytes.saturating_add((q - p) as u64);
                    self.lost
                        .damage(map, self.records_start, p as u64, q as u64);
                    self.new_run(q as u64, seq);
                    next_seq = seq;
                    p = q;
                }
                None if sealed => {
                    self.issue(
                        IssueKind::Corrupt,
                        p as u64,
                        (end - p) as u64,
                        None,
                        format!(
                            "{why}: {} bytes up to the seal at offset {end} hold no valid record \
                         (a sealed segment has no torn tail)",
                            end - p
                        ),
                    );
                    self.a.end = End::Corrupt { offset: p as u64 };
                    break;
                }
                None => {
                    let len = (map.len() - p) as u64;
                    self.issue(
                        IssueKind::Torn,
                        p as u64,
                        len,
                        None,
                        format!(
                            "{len} bytes that are not a whole record ({why}) and nothing \
                         valid after them: a record cut off when its writer died"
                        ),
                    );
                    self.a.end = End::Torn {
                        offset: p as u64,
                        len,
                    };
                    break;
                }
            }
        }
        self.new_run(p as u64, next_seq);
    }

    /// Checks a record whose frame is valid; Err(why) if it cannot be used.
    fn record(
        &mut self,
        map: &[u8],
        p: usize,
        body: &[u8],
        total: usize,
        next_seq: &mut u64,
    ) -> Result<(), String> {
        let Some(r) = frame::decode_record(body) else {
            return Err("malformed record body (its CRC matches)".to_string());
        };
        if !MetaIter::new(r.meta)
            .all(|(k, v)| std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok())
        {
            return Err("metadata is not UTF-8 (its CRC matches)".to_string());
        }
        let off = p as u64;
        if r.seq != *next_seq {
            let msg = if r.seq > *next_seq {
                format!(
                    "sequence number {} where {} was expected: {} records missing",
                    r.seq,
                    next_seq,
                    r.seq - *next_seq
                )
            } else {
                format!(
                    "sequence number {} where {} was expected (goes backwards)",
                    r.seq, next_seq
                )
            };
            self.issue(IssueKind::Sequence, off, total as u64, Some(off), msg);
            self.new_run(off, r.seq);
        }
        let id = r.type_id as usize;
        let plausible = self.plausible_type(id, r.defines.is_some());
        match r.defines {
            _ if !plausible => {
                // Tables by id are not grown to a hostile id (up to 2^32).
                let most = self.a.types.len() + self.lost_types();
                self.type_issue(
                    off,
                    total,
                    r.seq,
                    format!(
                        "type id {id} is impossible here: the bytes before offset {off} can \
                         define at most {most} types"
                    ),
                );
            }
            Some(name) => {
                let bytes = name;
                let name = std::str::from_utf8(name).expect("decode_record checks UTF-8");
                if id >= self.a.types.len() {
                    if id > self.a.types.len() && self.a.seal.is_none() {
                        // Ids in between were defined in damaged bytes.
                        self.a.types.resize(id, None);
                    }
                    if id == self.a.types.len() {
                        self.a.types.push(Some(name.to_string()));
                        self.lost.define(id, bytes, true);
                    } else {
                        self.lost.define(id, bytes, false);
                        self.type_issue(
                            off,
                            total,
                            r.seq,
                            format!("type id {id} ({name:?}) defined out of order"),
                        );
                    }
                } else {
                    match &self.a.types[id] {
                        Some(n) if n == name => self.lost.define(id, bytes, true),
                        Some(n) => {
                            let n = n.clone();
                            self.lost.define(id, bytes, false);
                            self.type_issue(
                                off,
                                total,
                                r.seq,
                                format!("type id {id} defined as {name:?}, but it is {n:?}"),
                            );
                        }
                        None => {
                            self.a.types[id] = Some(name.to_string());
                            self.lost.define(id, bytes, true);
                        }
                    }
                }
            }
            None => {
                // Defined in damaged bytes (no intact record defined it):
                // named from the seal, if one gives the name (as with a
                // valid seal before), else reported once (the records
                // after it use it too).
                if self.lost.undecided(id) {
                    let name = self.lost.decide(id);
                    if self.a.types.len() <= id {
                        self.a.types.resize(id + 1, None);
                    }
                    let unnamed = name.is_none();
                    self.a.types[id] = name;
                    if unnamed {
                        self.type_issue(
                            off,
                            total,
                            r.seq,
                            format!(
                                "type id {id} used but not defined (its definition may be in \
                                 damaged bytes)"
                            ),
                        );
                    }
                }
            }
        }
        *next_seq = r.seq.wrapping_add(1);
        // Counters.
        let a = &mut self.a;
        a.records += 1;
        a.first_seq.get_or_insert(r.seq);
        a.last_seq = Some(r.seq);
        let ts = r.timestamp_ns;
        a.min_ts = Some(a.min_ts.map_or(ts, |m| m.min(ts)));
        a.max_ts = Some(a.max_ts.map_or(ts, |m| m.max(ts)));
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
        if plausible {
            if self.type_counts.len() <= id {
                self.type_counts.resize(id + 1, (0, 0));
            }
            self.type_counts[id].0 += 1;
            self.type_counts[id].1 += total as u64;
        }
        if self.run.count == 0 {
            self.run.start = off;
            self.run.first_seq = r.seq;
        }
        self.run.count += 1;
        self.run.end = off + total as u64;
        if self.a.seal.is_some() {
            self.check_indexes(map, off, r.seq, id, ts);
        }
        self.max_ts_so_far = self.max_ts_so_far.max(ts);
        Ok(())
    }

    /// Types the damaged bytes met so far could have defined: one per
    /// smallest record frame.
    fn lost_types(&self) -> usize {
        usize::try_from(self.damaged_bytes / frame::MIN_RECORD_FRAME as u64).unwrap_or(usize::MAX)
    }

    /// Whether a record may use (or, `defines`, define) type id `id`: one
    /// the records before it defined, or could have in damaged bytes. The
    /// walk keeps tables by id, so a larger id must not size them.
    fn plausible_type(&self, id: usize, defines: bool) -> bool {
        let known = self.a.types.len().max(self.type_counts.len());
        id < known || id - known < self.lost_types() + usize::from(defines)
    }

    fn type_issue(&mut self, off: u64, total: usize, seq: u64, msg: String) {
        // The record itself is intact (after damage, its type's definition
        // may have been lost). As the first damage of the segment it starts
        // a run of its own, so that a salvage cut before it copies it.
        let first_damage = !self.a.has_mid_file_damage();
        self.issue(IssueKind::Type, off, total as u64, Some(off), msg);
        if first_damage && self.run.count > 0 && self.run.end == off {
            self.new_run(off, seq);
        }
    }

    /// Compares the seal's summary with what the walk found.
    fn check_seal(&mut self, d: &SealDirectory) {
        let mut problems = std::mem::take(&mut self.seal_problems);
        let a = &self.a;
        if d.record_count != a.records {
            problems.push(format!(
                "the seal counts {} records, the segment holds {}",
                d.record_count, a.records
            ));
        }
        if a.records > 0 {
            if Some(d.first_seq) != a.first_seq || Some(d.last_seq) != a.last_seq {
                problems.push(format!(
                    "the seal says seq {}..{}, the records are {}..{}",
                    d.first_seq,
                    d.last_seq,
                    a.first_seq.unwrap_or(0),
                    a.last_seq.unwrap_or(0)
                ));
            }
            if Some(d.min_ts) != a.min_ts
                || Some(d.max_ts) != a.max_ts
                || Some(d.first_ts) != self.first_ts
                || Some(d.last_ts) != self.last_ts
            {
                problems.push("the seal's timestamps differ from the records'".to_string());
            }
        }
        for (i, t) in d.types.iter().enumerate() {
            let (count, bytes) = self.type_counts.get(i).copied().unwrap_or((0, 0));
            if t.count != count || t.bytes != bytes {
                problems.push(format!(
                    "type {:?}: the seal counts {} records of {} bytes, the segment holds {count} of {bytes}",
                    t.name, t.count, t.bytes
                ));
            }
            if let Some(arr) = self.arrays.get(i) {
                if arr.3 && arr.2 != arr.1 {
                    problems.push(format!(
                        "the offset array of type {:?} lists {} records, {} of them found",
                        t.name, arr.1, arr.2
                    ));
                }
            }
        }
        if self.sparse.3 && self.sparse.2 != self.sparse.1 {
            problems.push(format!(
                "{} of the {} sparse index entries point at no record",
                self.sparse.1 - self.sparse.2,
                self.sparse.1
            ));
        }
        if !problems.is_empty() {
            let msg = format!(
                "{}; the records are intact and `binlog repair` rewrites the seal",
                problems.join("; ")
            );
            self.issue(
                IssueKind::Index,
                d.records_end,
                self.a.file_len - d.records_end,
                None,
                msg,
            );
        }
    }
}

fn read_u64(map: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(map[at..at + 8].try_into().expect("8 bytes"))
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
