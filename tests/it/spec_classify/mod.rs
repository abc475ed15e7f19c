//! A classifier of damaged segments written from docs/FORMAT.md (sections
//! 6, 7, 9 and 10) alone, not from the library: which records a reader that
//! skips damage returns, the damaged regions it reports, and how the records
//! end. `tests/it/vectors.rs` checks that the library agrees on damaged files.
//! It assumes an intact header (`header_len`, `first_seq` given) and a file
//! that does not change while it is read.

// Shared by tests/it/vectors.rs and cli/tests/it/cli_verify.rs, which use different
// parts of the outcome.
#![allow(dead_code)]

/// The smallest record frame (section 7.1).
const MIN_FRAME: usize = 26;

/// How the records end (section 10.1), as `binlog::Tail` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Sealed,
    Unsealed,
    SealDamaged(u64),
    Torn(u64, u64),
}

/// A record returned: sequence number, type id, type name (None: a lost
/// type, section 10.4), payload.
pub type SpecRec = (u64, u32, Option<String>, Vec<u8>);

/// A damaged region: offset, resume offset, first lost seq, seq resumed at.
pub type SpecDamage = (u64, u64, u64, u64);

pub struct Outcome {
    pub records: Vec<SpecRec>,
    pub damages: Vec<SpecDamage>,
    pub end: End,
    /// Where a reader that does not skip damage fails (the first damage),
    /// after the records before it.
    pub first_error: Option<(u64, usize)>,
    /// The type names of a seal's directory that bounds the records, or of
    /// a usable seal, by id (a lost type may be named from it).
    pub dir_names: Vec<String>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

enum At<'a> {
    /// A valid frame (section 6): its body.
    Valid(&'a [u8]),
    Incomplete,
    Invalid,
}

/// The frame at `p` of the data `b[..end]` (section 6).
fn frame_at(b: &[u8], p: usize, end: usize) -> At<'_> {
    if p + 8 > end {
        return At::Incomplete;
    }
    let len = le32(b, p) as usize;
    if len == 0 {
        return At::Invalid;
    }
    if p + 8 + len > end {
        return At::Incomplete;
    }
    let body = &b[p + 8..p + 8 + len];
    if body[0] & 0xc0 != 0 || crc32fast::hash(body) != le32(b, p + 4) {
        return At::Invalid;
    }
    At::Valid(body)
}

/// Section 8.1: exactly 17 bytes, first body byte exactly 0x02.
fn seal_begin_count(body: &[u8]) -> Option<u64> {
    (body.len() == 9 && body[0] == 0x02).then(|| le64(body, 1))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        self.bytes(8).map(|s| le64(s, 0))
    }
    /// Section 1: LEB128, at most 10 bytes, the 10th only its lowest bit.
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let byte = self.bytes(1)?[0];
            if i == 9 && byte > 1 {
                return None;
            }
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn var_bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.bytes(n).map(<[u8]>::to_vec)
    }
}

struct Body {
    seq: u64,
    type_id: u32,
    defines: Option<String>,
    meta_utf8: bool,
    payload: Vec<u8>,
}

/// Section 7.1 (metadata UTF-8 reported, not required).
fn decode(body: &[u8]) -> Option<Body> {
    let flags = body[0];
    if flags & 0x0f != 1 {
        return None;
    }
    let mut r = Reader { b: body, pos: 1 };
    let seq = r.u64()?;
    if seq == u64::MAX {
        return None;
    }
    r.u64()?;
    let type_id = u32::try_from(r.varint()?).ok()?;
    let defines = if flags & 0x10 != 0 {
        let name = r.var_bytes()?;
        if name.len() > 4096 {
            return None;
        }
        Some(String::from_utf8(name).ok()?)
    } else {
        None
    };
    let mut meta_utf8 = true;
    if flags & 0x20 != 0 {
        let count = u32::try_from(r.varint()?).ok()?;
        for _ in 0..count * 2 {
            meta_utf8 &= std::str::from_utf8(&r.var_bytes()?).is_ok();
        }
    }
    Some(Body {
        seq,
        type_id,
        defines,
        meta_utf8,
        payload: body[r.pos..].to_vec(),
    })
}

/// A seal's directory, as far as the classification needs it.
struct Dir {
    record_count: u64,
    first_seq: u64,
    last_seq: u64,
    records_end: usize,
    /// (name, count, array_offset) by id.
    types: Vec<(String, u64, u64)>,
}

/// Section 9: the directory of a seal whose trailer and directory are
/// intact (a seal that bounds the records, at least).
fn bounding(b: &[u8], header_len: usize) -> Option<Dir> {
    let n = b.len();
    let t = b.get(n.checked_sub(32)?..)?;
    if &t[24..] != b"BLGSEAL1" || crc32fast::hash(&t[..20]) != le32(t, 20) {
        return None;
    }
    let (records_end, dir_offset, dir_len) = (le64(t, 0), le64(t, 8), le32(t, 16) as u64);
    if records_end < header_len as u64
        || records_end.checked_add(17)? > dir_offset
        || dir_offset.checked_add(dir_len)? != (n - 32) as u64
    {
        return None;
    }
    let at = dir_offset as usize;
    let At::Valid(body) = frame_at(b, at, n - 32) else {
        return None;
    };
    if body[0] != 0x03 || 8 + body.len() != dir_len as usize {
        return None;
    }
    let mut r = Reader { b: body, pos: 1 };
    let record_count = r.u64()?;
    let first_seq = r.u64()?;
    let last_seq = r.u64()?;
    r.bytes(32)?;
    let d_records_end = r.u64()?;
    let sparse_offset = r.u64()?;
    let sparse_count = r.u64()?;
    r.bytes(4)?;
    let within = |off: u64, count: u64, each: u64| {
        count
            .checked_mul(each)
            .and_then(|x| off.checked_add(x))
            .is_some_and(|e| off >= d_records_end.saturating_add(17) && e <= dir_offset)
    };
    if !within(sparse_offset, sparse_count, 24) {
        return None;
    }
    let type_count = r.varint()?;
    if type_count > ((body.len() - r.pos) / 29) as u64 {
        return None;
    }
    let mut types = Vec::new();
    for _ in 0..type_count {
        let name = String::from_utf8(r.var_bytes()?).ok()?;
        let (count, _bytes, array_offset) = (r.u64()?, r.u64()?, r.u64()?);
        r.bytes(4)?;
        if !within(array_offset, count, 8) {
            return None;
        }
        types.push((name, count, array_offset));
    }
    let sum = types.iter().try_fold(0u64, |s, t| s.checked_add(t.1))?;
    if sum != record_count || d_records_end != records_end {
        return None;
    }
    Some(Dir {
        record_count,
        first_seq,
        last_seq,
        records_end: records_end as usize,
        types,
    })
}

/// Section 9: whether a bounding seal is also usable (its SEAL_BEGIN frame,
/// its counts against its sequence numbers, each type's first record).
fn usable(b: &[u8], header_len: usize, first_seq: u64, d: &Dir) -> bool {
    let begin = match frame_at(b, d.records_end, b.len()) {
        At::Valid(body) => seal_begin_count(body),
        _ => None,
    };
    if begin != Some(d.record_count) {
        return false;
    }
    if d.record_count > 0
        && (d.first_seq != first_seq
            || d.last_seq.checked_sub(d.first_seq) != Some(d.record_count - 1))
    {
        return false;
    }
    let mut prev: Option<usize> = None;
    let mut ended = false;
    for (id, (name, count, array_offset)) in d.types.iter().enumerate() {
        if *count == 0 {
            ended = true;
            continue;
        }
        if ended {
            return false;
        }
        let at = le64(b, *array_offset as usize) as usize;
        let in_order = match prev {
            None => at == header_len,
            Some(p) => at > p,
        };
        prev = Some(at);
        let defines_it = match frame_at(b, at, d.records_end) {
            At::Valid(body) => decode(body)
                .is_some_and(|r| r.type_id as usize == id && r.defines.as_ref() == Some(name)),
            _ => false,
        };
        if !(in_order && defines_it) {
            return false;
        }
    }
    true
}

/// Section 10.2: whether the frame cut off at `r` starts as the next record
/// would (`next`: its number, if known).
fn starts_as_next(part: &[u8], next: Option<u64>) -> bool {
    let kind_ok = part.get(8).is_none_or(|k| k & 0xcf == 1);
    let seq_ok = match (part.len() >= 17, next) {
        (true, Some(n)) => le64(part, 9) == n,
        _ => true,
    };
    kind_ok && seq_ok
}

/// Section 10.2: whether records run from `q` to `end`; else where the run
/// broke.
fn run_to_end(b: &[u8], q: usize, end: usize) -> Result<(), usize> {
    let (mut r, mut next) = (q, None::<u64>);
    while r < end {
        match frame_at(b, r, end) {
            At::Valid(body) if body[0] & 0x0f == 1 => match decode(body) {
                Some(rec) if next.is_none_or(|n| rec.seq == n) => {
                    next = Some(rec.seq + 1);
                    r += 8 + body.len();
                }
                _ => return Err(r),
            },
            At::Valid(body) if seal_begin_count(body).is_some() => return Ok(()),
            At::Incomplete if starts_as_next(&b[r..end], next) => return Ok(()),
            _ => return Err(r),
        }
    }
    Ok(())
}

/// Section 10.2: where valid records resume after the bad frame at `p`
/// (data ending at `end`, `e` expected).
fn resume(b: &[u8], p: usize, end: usize, e: u64) -> Option<usize> {
    let torn = p + 4 <= end && p + 8 + le32(b, p) as usize > end;
    let cut_record_e = torn && end - p >= 17 && b[p + 8] & 0xcf == 1 && le64(b, p + 9) == e;
    let a = if cut_record_e { e + 1 } else { e };
    let candidate = |q: usize| {
        let len = le32(b, q) as usize;
        if len < 18 || q + 8 + len > end || b[q + 8] & 0xcf != 1 {
            return false;
        }
        let seq = le64(b, q + 9);
        let most = e.saturating_add(((q - p) / MIN_FRAME) as u64 + 1);
        seq >= a
            && seq >= e
            && seq <= most
            && matches!(frame_at(b, q, end), At::Valid(body) if decode(body).is_some())
    };
    let mut from = p + 1;
    loop {
        let q = (from..)
            .take_while(|q| q + MIN_FRAME <= end)
            .find(|&q| candidate(q))?;
        if !torn {
            return Some(q);
        }
        match run_to_end(b, q, end) {
            Ok(()) => return Some(q),
            Err(r) => from = r,
        }
    }
}

/// The scan of section 10.1 by a reader that skips damage (section 10.3).
struct Scan<'a> {
    b: &'a [u8],
    first_seq: u64,
    /// The seal: its directory, and whether it is usable (else it only
    /// bounds the records).
    seal: Option<(Dir, bool)>,
    end: usize,
    pos: usize,
    e: u64,
    types: Vec<Option<String>>,
    damaged_bytes: usize,
    out: Outcome,
}

impl Scan<'_> {
    fn damage(&mut self, d: SpecDamage) {
        if self.out.first_error.is_none() {
            self.out.first_error = Some((d.0, self.out.records.len()));
        }
        self.damaged_bytes += (d.1 - d.0) as usize;
        self.out.damages.push(d);
    }

    fn sealed_end(&self) -> End {
        match &self.seal {
            Some((_, true)) => End::Sealed,
            Some((d, false)) => End::SealDamaged(d.records_end as u64),
            None => End::Unsealed,
        }
    }

    /// Section 10.4: whether the record's type is right; updates the table.
    fn type_ok(&mut self, n: usize, defines: Option<&String>) -> bool {
        let k = self.types.len();
        let budget = self.damaged_bytes / MIN_FRAME;
        match defines {
            Some(name) if n == k => self.types.push(Some(name.clone())),
            Some(name) if n < k => match &self.types[n] {
                Some(t) if t == name => {}
                Some(_) => return false,
                None => self.types[n] = Some(name.clone()),
            },
            Some(name) if n - k <= budget => {
                self.types.resize(n, None);
                self.types.push(Some(name.clone()));
            }
            None if n < k => {}
            None if n - k < budget => self.types.resize(n + 1, None),
            _ => return false,
        }
        true
    }

    /// One step at `pos`; false at the end.
    fn step(&mut self) -> bool {
        let (b, p) = (self.b, self.pos);
        if p >= self.end {
            let bounding_only = matches!(self.seal, Some((_, false)));
            if bounding_only && matches!(frame_at(b, p, b.len()), At::Valid(x) if x[0] & 0x0f == 1)
            {
                self.seal = None;
                self.end = b.len();
                return true;
            }
            self.out.end = self.sealed_end();
            return false;
        }
        match frame_at(b, p, self.end) {
            At::Valid(body) if body[0] & 0x0f == 1 => self.record(p, body),
            At::Valid(body) => match seal_begin_count(body) {
                Some(c) if self.seal.is_none() => {
                    let read = self.e.wrapping_sub(self.first_seq);
                    if c == read && resume(b, p, self.end, self.e).is_none() {
                        self.out.end = End::SealDamaged(p as u64);
                        return false;
                    }
                    self.bad(p)
                }
                _ => self.bad(p),
            },
            _ => self.bad(p),
        }
    }

    fn record(&mut self, p: usize, body: &[u8]) -> bool {
        let Some(r) = decode(body) else {
            return self.bad(p);
        };
        if !r.meta_utf8 || r.seq < self.e || !self.type_ok(r.type_id as usize, r.defines.as_ref()) {
            return self.bad(p);
        }
        if r.seq > self.e {
            self.damage((p as u64, p as u64, self.e, r.seq));
        }
        let name = self.types[r.type_id as usize].clone();
        self.out.records.push((r.seq, r.type_id, name, r.payload));
        self.e = r.seq + 1;
        self.pos = p + 8 + body.len();
        true
    }

    /// Section 10.1 item 4 and section 10.3.
    fn bad(&mut self, p: usize) -> bool {
        // Unsealed, zeros from `p` to the end of the file: the records'
        // end (prepared space).
        let nonzero_end = self.b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
        if self.seal.is_none() && nonzero_end <= p {
            self.out.end = End::Unsealed;
            return false;
        }
        if let Some(q) = resume(self.b, p, self.end, self.e) {
            let s = le64(self.b, q + 9);
            self.damage((p as u64, q as u64, self.e, s));
            self.pos = q;
            self.e = s;
            return true;
        }
        let Some((d, _)) = &self.seal else {
            self.out.end = End::Torn(p as u64, (nonzero_end - p) as u64);
            return false;
        };
        let room = ((d.records_end - p) / MIN_FRAME) as u64;
        let counted =
            d.record_count > 0 && d.last_seq.checked_sub(d.first_seq) == Some(d.record_count - 1);
        let t = match d.last_seq.checked_add(1) {
            Some(t) if counted && t >= self.e && t - self.e <= room => t,
            _ => self.e,
        };
        let records_end = d.records_end as u64;
        self.damage((p as u64, records_end, self.e, t));
        self.out.end = self.sealed_end();
        false
    }
}

/// Classifies the segment `b` whose intact header is `header_len` bytes
/// long and starts its records at `first_seq`.
pub fn classify(b: &[u8], header_len: usize, first_seq: u64) -> Outcome {
    let seal = bounding(b, header_len).map(|d| {
        let ok = usable(b, header_len, first_seq, &d);
        (d, ok)
    });
    let dir_names = seal
        .as_ref()
        .map(|(d, _)| d.types.iter().map(|t| t.0.clone()).collect())
        .unwrap_or_default();
    let types = match &seal {
        Some((d, true)) => d.types.iter().map(|t| Some(t.0.clone())).collect(),
        _ => Vec::new(),
    };
    let end = seal.as_ref().map_or(b.len(), |(d, _)| d.records_end);
    let mut scan = Scan {
        b,
        first_seq,
        seal,
        end,
        pos: header_len,
        e: first_seq,
        types,
        damaged_bytes: 0,
        out: Outcome {
            records: Vec::new(),
            damages: Vec::new(),
            end: End::Unsealed,
            first_error: None,
            dir_names,
        },
    };
    while scan.step() {}
    scan.out
}
