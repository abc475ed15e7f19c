//! `binlog dump`: the raw framing of a segment, frame by frame: offsets,
//! lengths, stored and computed CRCs, the kind/flags byte, the header
//! fields of each record and its first payload bytes; then the parts of the
//! seal and the trailer. Bad frames are shown with what is wrong, and the
//! dump resumes at the next valid record (as a reader's scan would).

use crate::encoding::hex_spaced;
use crate::error::{CliError, CliResult, Outcome};
use crate::output;
use crate::paths;
use crate::time::rfc3339;
use crate::walk::{self, LostTypes, WalkError};
use binlog::format::frame::{
    self, FrameAt, MetaIter, FLAG_DEFINES_TYPE, FLAG_HAS_META, KIND_MASK, KIND_RECORD,
    KIND_SEAL_BEGIN,
};
use binlog::format::header::SegmentHeader;
use binlog::format::seal::{
    self, SealDirectory, SparseEntry, Trailer, SPARSE_ENTRY_LEN, TRAILER_LEN, TRAILER_MAGIC,
};
use binlog::format::{crc32, FRAME_HEADER_LEN};
use binlog::reader::SealTypes;
use clap::Args;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = "\
Each line is one part of the file: its offset (@N), what it is, its length,
then field=value pairs. See docs/FORMAT.md for what the fields mean.

Examples:
  binlog dump tests/vectors/sealed-basic.binlog
  binlog dump big.binlog --from-offset 4096 --limit 20
  binlog dump orders.binlog --json --bytes 64")]
pub struct DumpArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Start at this offset instead of the first record.
    #[arg(long, value_name = "OFFSET")]
    pub from_offset: Option<u64>,
    /// At most N frames per file.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Payload bytes shown per record.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub bytes: usize,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// A value in a dump line.
enum F {
    U(u64),
    I(i64),
    S(String),
    /// Shown bare in text, as a string in JSON.
    T(String),
    /// yes/no; a JSON bool.
    B(bool),
    /// ok/BAD; a JSON bool.
    Ok(bool),
}

struct Dumper<'a, W: Write> {
    out: &'a mut W,
    json: bool,
    file: String,
}

impl<W: Write> Dumper<'_, W> {
    fn item(&mut self, offset: u64, what: &str, len: u64, fields: Vec<(&str, F)>) -> CliResult<()> {
        if self.json {
            let mut m = serde_json::Map::new();
            m.insert("file".into(), json!(self.file));
            m.insert("offset".into(), json!(offset));
            m.insert("what".into(), json!(what));
            m.insert("len".into(), json!(len));
            for (k, v) in fields {
                let v = match v {
                    F::U(u) => json!(u),
                    F::I(i) => json!(i),
                    F::S(s) | F::T(s) => json!(s),
                    F::B(b) | F::Ok(b) => json!(b),
                };
                m.insert(k.to_string(), v);
            }
            serde_json::to_writer(&mut *self.out, &Value::Object(m))
                .map_err(|e| CliError::from(std::io::Error::from(e)))?;
            writeln!(self.out)?;
            return Ok(());
        }
        let mut line = format!("@{offset:<10} {what:<11} {len:>9} bytes");
        for (k, v) in fields {
            let v = match v {
                F::U(u) => u.to_string(),
                F::I(i) => i.to_string(),
                F::S(s) => format!("{s:?}"),
                F::T(s) => s,
                F::B(b) => {
                    if b {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                }
                F::Ok(b) => {
                    if b {
                        "ok".into()
                    } else {
                        "BAD".into()
                    }
                }
            };
            line.push_str("  ");
            line.push_str(k);
            line.push('=');
            line.push_str(&v);
        }
        writeln!(self.out, "{line}")?;
        Ok(())
    }
}

pub fn run(args: &DumpArgs) -> CliResult<Outcome> {
    let sources = paths::resolve(&args.paths, args.log.as_deref())?;
    let mut out = output::stdout();
    let mut damaged = false;
    for f in paths::all_files(&sources) {
        damaged |= dump_file(&f, args, &mut out)?;
    }
    out.flush()?;
    Ok(Outcome::damaged_if(damaged))
}

fn crc_field(stored: u32, computed: u32) -> F {
    if stored == computed {
        F::T(format!("{stored:#010x}(ok)"))
    } else {
        F::T(format!("{stored:#010x}(BAD:computed={computed:#010x})"))
    }
}

/// Dumps one file; true if it holds bad frames.
fn dump_file(path: &Path, args: &DumpArgs, out: &mut impl Write) -> CliResult<bool> {
    let (_file, map) = walk::map(path).map_err(|e| match e {
        WalkError::Io(m) | WalkError::NotSegment(m) => CliError::io(m),
    })?;
    let map: &[u8] = &map;
    let mut d = Dumper {
        out,
        json: args.json,
        file: paths::show(path),
    };
    if !args.json {
        writeln!(d.out, "== {}: {} bytes", d.file, map.len())?;
    }
    let mut damaged = false;
    let (data_start, header) = match SegmentHeader::decode(map, path) {
        Ok((h, len)) => {
            let stored = u32::from_le_bytes(map[len - 4..len].try_into().expect("4 bytes"));
            let params: Vec<String> = h.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            d.item(
                0,
                "header",
                len as u64,
                vec![
                    ("version", F::T(format!("{}.{}", h.major, h.minor))),
                    ("crc", crc_field(stored, crc32(&map[..len - 4]))),
                    ("created", F::T(rfc3339(h.created_ns))),
                    ("segment_no", F::U(h.segment_no)),
                    ("first_seq", F::U(h.first_seq)),
                    ("log", F::S(h.log_name.clone())),
                    ("content_type", F::S(h.content_type.clone())),
                    ("writer", F::S(h.writer.clone())),
                    ("params", F::S(params.join(","))),
                ],
            )?;
            (len, Some(h))
        }
        Err(e) => {
            damaged = true;
            d.item(
                0,
                "bad-header",
                map.len().min(64) as u64,
                vec![("error", F::S(e.message().to_string()))],
            )?;
            match frame::find_next_record(map, 0, None) {
                Some(q) => {
                    d.item(0, "skip", q as u64, vec![("next_record", F::U(q as u64))])?;
                    (q, None)
                }
                None => return Ok(true),
            }
        }
    };
    let sealdir = header
        .as_ref()
        .and_then(|_| seal::read_seal(map, data_start));
    let end = sealdir
        .as_ref()
        .map_or(map.len(), |s| s.records_end as usize);
    let data = &map[..end];
    let mut types: Vec<Option<String>> = sealdir
        .as_ref()
        .map(|s| s.types.iter().map(|t| Some(t.name.clone())).collect())
        .unwrap_or_default();
    // A type whose defining record is in damaged bytes is named as every
    // tool names it (from the seal if it can be, else unknown-type-<id>).
    let read = |at: u64, n: usize| {
        let at = usize::try_from(at).ok()?;
        map.get(at..at.checked_add(n)?).map(Cow::Borrowed)
    };
    let mut lost = LostTypes::new(
        sealdir
            .as_ref()
            .and_then(|s| SealTypes::from_directory(s, &read)),
    );
    if header.is_none() {
        lost.damage(map, data_start as u64, 0, data_start as u64);
    }
    // The sequence number the next record should carry, when known: bounds
    // the search past a bad frame.
    let mut expected: Option<u64> = header.as_ref().map(|h| h.first_seq);
    let mut p = data_start;
    if let Some(o) = args.from_offset {
        // Start at the first record at or after the offset, found by
        // reading the records before it (not printed): an offset inside a
        // record is not damage, and the records before it give the types'
        // names and the sequence number expected next.
        let o = usize::try_from(o).unwrap_or(usize::MAX);
        while p < o.min(end) {
            let record = match frame::frame_at(data, p, true) {
                FrameAt::Frame {
                    kind: KIND_RECORD,
                    body,
                    total,
                } => frame::decode_record(body).map(|r| (r, total)),
                _ => None,
            };
            if let Some((r, total)) = record {
                let id = r.type_id as usize;
                if let Some(name) = r.defines {
                    if types.len() <= id {
                        types.resize(id + 1, None);
                    }
                    types[id] = Some(String::from_utf8_lossy(name).into_owned());
                    lost.define(id, name, true);
                } else {
                    name_lost(&mut types, &mut lost, id);
                }
                expected = Some(r.seq.wrapping_add(1));
                p += total;
                continue;
            }
            // Damage before the offset: where records resume, if before
            // it; else the dump starts at the offset, in the damage.
            let next = match expected {
                Some(e) => frame::find_resume(data, p, e),
                None => frame::find_next_record(data, p + 1, None),
            };
            match next {
                Some(q) if q < o => {
                    lost.damage(map, data_start as u64, p as u64, q as u64);
                    p = q;
                }
                _ => {
                    p = o;
                    break;
                }
            }
        }
    }
    let limit = args.limit.unwrap_or(u64::MAX);
    let mut shown = 0u64;
    while p < end {
        if shown >= limit {
            if !args.json {
                writeln!(d.out, "... stopped after {limit} frames (--limit)")?;
            }
            return Ok(damaged);
        }
        shown += 1;
        match frame::frame_at(data, p, true) {
            FrameAt::Frame {
                kind: KIND_RECORD,
                body,
                total,
            } if frame::decode_record(body).is_some() => {
                let r = frame::decode_record(body).expect("checked");
                let flags = body[0];
                let id = r.type_id as usize;
                if let Some(name) = r.defines {
                    if types.len() <= id {
                        types.resize(id + 1, None);
                    }
                    types[id] = Some(String::from_utf8_lossy(name).into_owned());
                    lost.define(id, name, true);
                } else {
                    name_lost(&mut types, &mut lost, id);
                }
                let tname = types
                    .get(id)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| walk::unknown_type(r.type_id));
                let meta: Vec<String> = MetaIter::new(r.meta)
                    .map(|(k, v)| {
                        format!(
                            "{}={}",
                            String::from_utf8_lossy(k),
                            String::from_utf8_lossy(v)
                        )
                    })
                    .collect();
                let n = r.payload.len().min(args.bytes);
                let mut shown_bytes = hex_spaced(&r.payload[..n]);
                if r.payload.len() > n {
                    shown_bytes.push_str(" ..");
                }
                let stored = u32::from_le_bytes(data[p + 4..p + 8].try_into().expect("4 bytes"));
                let mut fields = vec![
                    ("body", F::U((total - FRAME_HEADER_LEN) as u64)),
                    ("crc", F::T(format!("{stored:#010x}(ok)"))),
                    ("flags", F::T(flag_names(flags))),
                    ("seq", F::U(r.seq)),
                    ("ts", F::T(rfc3339(r.timestamp_ns))),
                    ("ts_ns", F::I(r.timestamp_ns)),
                    ("type_id", F::U(r.type_id as u64)),
                    ("type", F::S(tname)),
                ];
                if r.defines.is_some() {
                    fields.push(("defines", F::B(true)));
                }
                if r.meta_count > 0 {
                    fields.push(("meta", F::S(meta.join(","))));
                }
                fields.push(("payload_len", F::U(r.payload.len() as u64)));
                fields.push(("payload", F::T(format!("[{shown_bytes}]"))));
                d.item(p as u64, "record", total as u64, fields)?;
                expected = Some(r.seq.wrapping_add(1));
                p += total;
            }
            FrameAt::Frame {
                kind: KIND_SEAL_BEGIN,
                total,
                body,
            } if sealdir.is_none() => {
                let count = body
                    .get(1..9)
                    .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
                d.item(
                    p as u64,
                    "seal-begin",
                    total as u64,
                    vec![
                        ("record_count", F::U(count.unwrap_or(0))),
                        (
                            "note",
                            F::T("the seal after it is damaged or incomplete".into()),
                        ),
                    ],
                )?;
                d.item(
                    (p + total) as u64,
                    "rest",
                    (map.len() - p - total) as u64,
                    vec![],
                )?;
                return Ok(true);
            }
            other => {
                damaged = true;
                let why = match other {
                    FrameAt::Frame {
                        kind: KIND_RECORD, ..
                    } => "malformed record body".to_string(),
                    FrameAt::Frame { kind, .. } => format!("unexpected frame kind {kind}"),
                    FrameAt::Incomplete => "frame extends past the end of the data".to_string(),
                    FrameAt::Invalid(w) => w.to_string(),
                };
                let mut fields = vec![("error", F::S(why))];
                if p + FRAME_HEADER_LEN <= data.len() {
                    let len =
                        u32::from_le_bytes(data[p..p + 4].try_into().expect("4 bytes")) as usize;
                    let stored =
                        u32::from_le_bytes(data[p + 4..p + 8].try_into().expect("4 bytes"));
                    fields.push(("body_len", F::U(len as u64)));
                    fields.push(("stored_crc", F::T(format!("{stored:#010x}"))));
                    if let Some(body) = data.get(p + FRAME_HEADER_LEN..p + FRAME_HEADER_LEN + len) {
                        fields.push(("computed_crc", F::T(format!("{:#010x}", crc32(body)))));
                    }
                }
                let n = (data.len() - p).min(args.bytes.max(8));
                fields.push(("bytes", F::T(format!("[{}]", hex_spaced(&data[p..p + n])))));
                d.item(p as u64, "bad-frame", 0, fields)?;
                let next = match expected {
                    Some(e) => frame::find_resume(data, p, e),
                    None => frame::find_next_record(data, p + 1, None),
                };
                match next {
                    Some(q) => {
                        lost.damage(map, data_start as u64, p as u64, q as u64);
                        d.item(
                            p as u64,
                            "skip",
                            (q - p) as u64,
                            vec![("next_record", F::U(q as u64))],
                        )?;
                        p = q;
                    }
                    None => {
                        d.item(
                            p as u64,
                            "tail",
                            (map.len() - p) as u64,
                            vec![("note", F::T("no valid record after this offset".into()))],
                        )?;
                        return Ok(damaged);
                    }
                }
            }
        }
    }
    if let Some(s) = &sealdir {
        dump_seal(&mut d, map, s)?;
    } else if map.len() >= TRAILER_LEN && map.ends_with(&TRAILER_MAGIC) {
        d.item(
            (map.len() - TRAILER_LEN) as u64,
            "trailer",
            TRAILER_LEN as u64,
            vec![("note", F::T("a trailer without a usable seal".into()))],
        )?;
    }
    Ok(damaged)
}

/// A record of type `id` that does not define it: if no record defined
/// the type, its name is decided (from the seal, or none) once.
fn name_lost(types: &mut Vec<Option<String>>, lost: &mut LostTypes, id: usize) {
    if lost.undecided(id) {
        let name = lost.decide(id);
        if types.len() <= id {
            types.resize(id + 1, None);
        }
        types[id] = name;
    }
}

fn flag_names(flags: u8) -> String {
    let mut s = format!("{flags:#04x}(");
    s.push_str(match flags & KIND_MASK {
        KIND_RECORD => "record",
        KIND_SEAL_BEGIN => "seal-begin",
        3 => "seal-dir",
        _ => "?",
    });
    if flags & FLAG_DEFINES_TYPE != 0 {
        s.push_str("|defines-type");
    }
    if flags & FLAG_HAS_META != 0 {
        s.push_str("|has-meta");
    }
    s.push(')');
    s
}

fn dump_seal<W: Write>(d: &mut Dumper<'_, W>, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    let re = s.records_end as usize;
    let begin_stored = u32::from_le_bytes(map[re + 4..re + 8].try_into().expect("4 bytes"));
    let count = u64::from_le_bytes(map[re + 9..re + 17].try_into().expect("8 bytes"));
    d.item(
        re as u64,
        "seal-begin",
        17,
        vec![
            ("crc", F::T(format!("{begin_stored:#010x}(ok)"))),
            ("record_count", F::U(count)),
        ],
    )?;
    for (i, t) in s.types.iter().enumerate() {
        let at = t.array_offset as usize;
        let bytes = &map[at..at + 8 * t.count as usize];
        let first: Vec<String> = bytes
            .chunks(8)
            .take(4)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")).to_string())
            .collect();
        d.item(
            at as u64,
            "type-array",
            bytes.len() as u64,
            vec![
                ("type_id", F::U(i as u64)),
                ("type", F::S(t.name.clone())),
                ("entries", F::U(t.count)),
                ("crc_ok", F::Ok(crc32(bytes) == t.array_crc)),
                (
                    "first",
                    F::T(format!(
                        "[{}{}]",
                        first.join(","),
                        if t.count > 4 { ",.." } else { "" }
                    )),
                ),
            ],
        )?;
    }
    let sp = s.sparse_offset as usize;
    let sparse = &map[sp..sp + SPARSE_ENTRY_LEN * s.sparse_count as usize];
    let first: Vec<String> = sparse
        .chunks(SPARSE_ENTRY_LEN)
        .take(3)
        .filter_map(SparseEntry::decode)
        .map(|e| format!("seq {}@{}", e.seq, e.offset))
        .collect();
    d.item(
        sp as u64,
        "sparse-index",
        sparse.len() as u64,
        vec![
            ("entries", F::U(s.sparse_count)),
            ("crc_ok", F::Ok(crc32(sparse) == s.sparse_crc)),
            (
                "first",
                F::T(format!(
                    "[{}{}]",
                    first.join(","),
                    if s.sparse_count > 3 { ",.." } else { "" }
                )),
            ),
        ],
    )?;
    let tr = Trailer::decode(map, 0).expect("the seal was read through it");
    let dir = tr.dir_offset as usize;
    let dir_stored = u32::from_le_bytes(map[dir + 4..dir + 8].try_into().expect("4 bytes"));
    let types: Vec<String> = s
        .types
        .iter()
        .map(|t| format!("{}:{}", t.name, t.count))
        .collect();
    d.item(
        dir as u64,
        "seal-dir",
        tr.dir_len as u64,
        vec![
            ("crc", F::T(format!("{dir_stored:#010x}(ok)"))),
            ("record_count", F::U(s.record_count)),
            ("first_seq", F::U(s.first_seq)),
            ("last_seq", F::U(s.last_seq)),
            ("first_ts", F::T(rfc3339(s.first_ts))),
            ("last_ts", F::T(rfc3339(s.last_ts))),
            ("min_ts", F::T(rfc3339(s.min_ts))),
            ("max_ts", F::T(rfc3339(s.max_ts))),
            ("records_end", F::U(s.records_end)),
            ("types", F::S(types.join(","))),
        ],
    )?;
    let t0 = map.len() - TRAILER_LEN;
    let stored = u32::from_le_bytes(map[t0 + 20..t0 + 24].try_into().expect("4 bytes"));
    d.item(
        t0 as u64,
        "trailer",
        TRAILER_LEN as u64,
        vec![
            ("records_end", F::U(tr.records_end)),
            ("dir_offset", F::U(tr.dir_offset)),
            ("dir_len", F::U(tr.dir_len as u64)),
            ("crc", F::T(format!("{stored:#010x}(ok)"))),
            ("magic", F::T("BLGSEAL1".into())),
        ],
    )?;
    Ok(())
}
