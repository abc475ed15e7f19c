//! `binlog dump`: the raw framing of a segment, frame by frame: offsets,
//! lengths, stored and computed CRCs, the kind/flags byte, the header
//! fields of each record and its first payload bytes; then the parts of the
//! seal and the trailer. Bad frames are shown with what is wrong, and the
//! dump resumes where the library's reader resumed after them, and names
//! each record's type as the reader names it (it has no rule of its own for
//! either).
//!
//! `records` prints the record region frame by frame; the header, the
//! parts of the seal, and each line (`DumpOutput`) are printed here.

mod records;

use crate::error::{CliError, CliResult, Outcome};
use crate::paths::{self, SourceArgs};
use crate::progress::NoProgressAccepted;
use crate::time::rfc3339;
use crate::{encoding, original, output};
use binlog::codec::{
    crc32, find_next_record, frame_header, read_seal, seal_begin_count, SealDirectory, SparseEntry,
    Trailer, SEAL_BEGIN_LEN, SPARSE_ENTRY_LEN, TRAILER_LEN, TRAILER_MAGIC,
};
use binlog::SegmentHeader;
use clap::Args;
use records::RecordDump;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/dump.txt"))]
pub struct DumpArgs {
    #[command(flatten)]
    pub source: SourceArgs,
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
    #[command(flatten)]
    pub no_progress: NoProgressAccepted,
}

pub fn run(args: &DumpArgs) -> CliResult<Outcome> {
    let files = paths::all_files(&args.source.resolve()?);
    let mut out = output::stdout();
    let mut damaged = 0;
    for path in &files {
        damaged += usize::from(dump_file(path, args, &mut out)?);
    }
    out.flush()?;
    Ok(Outcome::Damaged.when(binlog::records_missing([], damaged)))
}

// One line of a dump: a part of the file (its offset, what it is, its
// length) and its fields, as text or as one JSON object.

/// A field's value: shown one way in text, typed in JSON (numbers as
/// numbers, flags as bools, lists as arrays; see docs/CLI.md).
enum Field {
    Unsigned(u64),
    Signed(i64),
    /// Quoted in text, a string in JSON.
    Quoted(String),
    /// Shown bare in text, as a string in JSON.
    Bare(String),
    /// yes/no; a JSON bool.
    YesNo(bool),
    /// ok/BAD; a JSON bool.
    OkBad(bool),
    /// A stored CRC and the one computed over the bytes, in that order: `0x0e235e96(ok)`
    /// in text; in JSON `KEY` (the stored CRC, a number), `KEY_ok` and,
    /// when they differ, `KEY_computed`.
    Crc(u32, u32),
    /// A CRC alone: `0x0e235e96` in text, a number in JSON.
    Hex32(u32),
    /// A time: RFC 3339 in text; in JSON `KEY` (RFC 3339) and `KEY_ns`.
    Time(i64),
    /// The kind/flags byte: `0x31(record|defines-type|has-meta)` in text;
    /// in JSON `KEY` (a number) and `flag_names` (an array of strings).
    Flags(u8, Vec<&'static str>),
    /// Key/value pairs: `"k=v,k2=v2"` in text, `[[k, v], ...]` in JSON.
    Pairs(Vec<(String, String)>),
    /// Bytes shown (of more when the flag is set): `[42 55 ..]` in text;
    /// in JSON `KEY` (hex) and `KEY_truncated`.
    Bytes(Vec<u8>, bool),
    /// Records per type: `"order:2,trade:1"` in text, `[{"type",
    /// "records"}]` in JSON.
    TypeCounts(Vec<(String, u64)>),
    /// The first entries of an index: `[127,307,..]` in text; in JSON an
    /// array and `KEY_truncated`.
    /// Each entry as text shows it and as JSON gives it.
    Entries(Vec<(String, Value)>, bool),
}

impl Field {
    /// How text shows it, and the members it adds to a JSON line as `key`
    /// (and the keys said above).
    fn shown(self, key: &str) -> (String, Vec<(String, Value)>) {
        let more = |suffix: &str, v: Value| (format!("{key}{suffix}"), v);
        let (text, json, extra) = match self {
            Field::Unsigned(u) => (u.to_string(), json!(u), vec![]),
            Field::Signed(i) => (i.to_string(), json!(i), vec![]),
            Field::Quoted(s) => (format!("{s:?}"), json!(s), vec![]),
            Field::Bare(s) => (s.clone(), json!(s), vec![]),
            Field::YesNo(b) => (if b { "yes" } else { "no" }.into(), json!(b), vec![]),
            Field::OkBad(b) => (if b { "ok" } else { "BAD" }.into(), json!(b), vec![]),
            Field::Crc(stored, computed) if stored == computed => {
                let ok = more("_ok", json!(true));
                (format!("{stored:#010x}(ok)"), json!(stored), vec![ok])
            }
            Field::Crc(stored, computed) => {
                let text = format!("{stored:#010x}(BAD:computed={computed:#010x})");
                let extra = vec![
                    more("_ok", json!(false)),
                    more("_computed", json!(computed)),
                ];
                (text, json!(stored), extra)
            }
            Field::Hex32(v) => (format!("{v:#010x}"), json!(v), vec![]),
            Field::Time(ns) => {
                let text = rfc3339(ns);
                (text.clone(), json!(text), vec![more("_ns", json!(ns))])
            }
            Field::Flags(b, names) => {
                let text = format!("{b:#04x}({})", names.join("|"));
                (text, json!(b), vec![("flag_names".into(), json!(names))])
            }
            Field::Pairs(p) => {
                let text = quoted_list(p.iter().map(|(k, v)| format!("{k}={v}")));
                (text, json!(p), vec![])
            }
            Field::TypeCounts(t) => {
                let text = quoted_list(t.iter().map(|(n, c)| format!("{n}:{c}")));
                let json = t.into_iter().map(|(n, c)| json!({"type": n, "records": c}));
                (text, json.collect(), vec![])
            }
            Field::Bytes(b, cut) => {
                let dots = if cut { " .." } else { "" };
                let text = format!("[{}{dots}]", encoding::hex_spaced(&b));
                let mut hex = Vec::with_capacity(b.len() * 2);
                encoding::push_hex(&mut hex, &b);
                let hex = String::from_utf8(hex).expect("hex is ASCII");
                (text, json!(hex), vec![more("_truncated", json!(cut))])
            }
            Field::Entries(e, cut) => {
                let shown: Vec<&str> = e.iter().map(|(t, _)| t.as_str()).collect();
                let text = format!("[{}{}]", shown.join(","), if cut { ",.." } else { "" });
                let json = e.into_iter().map(|(_, v)| v).collect();
                (text, json, vec![more("_truncated", json!(cut))])
            }
        };
        let own = (key.to_string(), json);
        (text, [own].into_iter().chain(extra).collect())
    }
}

/// A line's fields: (key, value) each.
type Fields<'k> = Vec<(&'k str, Field)>;

/// `items` joined with commas, as one quoted string.
fn quoted_list(items: impl Iterator<Item = String>) -> String {
    format!("{:?}", items.collect::<Vec<_>>().join(","))
}

/// Where a dump's lines go.
struct DumpOutput<'a> {
    out: &'a mut dyn Write,
    json: bool,
    /// The file dumped, as JSON lines name it.
    file: String,
}

impl DumpOutput<'_> {
    /// A line whose one field is a note, shown bare.
    fn note(&mut self, offset: u64, what: &str, len: u64, note: &str) -> CliResult<()> {
        self.line(offset, what, len, vec![("note", Field::Bare(note.into()))])
    }

    /// One line: as text, or (`json`) as one JSON object naming the file;
    /// `at` its offset.
    fn line(&mut self, at: u64, what: &str, len: u64, fields: Fields) -> CliResult<()> {
        if !self.json {
            let mut line = format!("@{at:<10} {what:<11} {len:>9} bytes");
            for (k, v) in fields {
                line.push_str(&format!("  {k}={}", v.shown(k).0));
            }
            return Ok(writeln!(self.out, "{line}")?);
        }
        let mut line = json!({"file": self.file, "offset": at, "what": what, "len": len});
        let m = line.as_object_mut().expect("an object");
        for (k, v) in fields {
            m.extend(v.shown(k).1);
        }
        Ok(writeln!(self.out, "{line}")?)
    }
}

/// Dumps one file; true if it holds bad frames (or, compressed, lost
/// some of its bytes: each loss is reported on standard error).
fn dump_file(path: &Path, args: &DumpArgs, out: &mut impl Write) -> CliResult<bool> {
    // Whether the segment is damaged, and whether it is one at all, is the
    // library's verdict: the dump only shows the bytes.
    let verdict = binlog::verify::segment(path);
    if let Some(f) = verdict.findings.iter().find(|f| f.is_not_a_segment()) {
        return Err(CliError::usage(f.message.clone()));
    }
    let damaged = verdict.is_damaged();
    let mut lost = Vec::new();
    let (file, map) = original::map_noting(path, &mut lost)?;
    for l in &lost {
        eprintln!("binlog: damaged: {l}");
    }
    let zeros_from = original::zeros_from(&file, map.len());
    let map = &map[..];
    let mut d = DumpOutput {
        out,
        json: args.json,
        file: paths::show(path),
    };
    if !args.json {
        writeln!(d.out, "== {}: {} bytes", d.file, map.len())?;
    }
    if map.is_empty() {
        let what = verdict.findings.first().map_or("", |f| f.kind.name());
        let note = Field::Quoted("the file ends inside its header: no record".into());
        d.line(0, what, 0, vec![("note", note)])?;
        return Ok(damaged);
    }
    // The header: where records start, and the header if it is sound.
    let (data_start, header) = match SegmentHeader::decode(map, path) {
        Ok((h, len)) => {
            let stored = u32::from_le_bytes(map[len - 4..len].try_into().expect("4 bytes"));
            let fields = vec![
                ("version", Field::Bare(format!("{}.{}", h.major, h.minor))),
                ("crc", Field::Crc(stored, crc32(&map[..len - 4]))),
                ("created", Field::Time(h.created_ns)),
                ("segment_no", Field::Unsigned(h.segment_no)),
                ("first_seq", Field::Unsigned(h.first_seq)),
                ("log", Field::Quoted(h.log_name.clone())),
                ("content_type", Field::Quoted(h.content_type.clone())),
                ("writer", Field::Quoted(h.writer.clone())),
                ("params", Field::Pairs(h.params.clone())),
            ];
            d.line(0, "header", len as u64, fields)?;
            (len, Some(h))
        }
        Err(e) => {
            let error = vec![("error", Field::Quoted(e.message().to_string()))];
            d.line(0, "bad-header", map.len().min(64) as u64, error)?;
            // Nothing more to dump when no record follows it.
            let Some(q) = find_next_record(map, 0, None) else {
                return Ok(damaged);
            };
            let next = vec![("next_record", Field::Unsigned(q as u64))];
            d.line(0, "skip", q as u64, next)?;
            (q, None)
        }
    };
    // A file that ends in zeros has no seal, and its end is not read
    // through the map (a writer's zeros, which sealing cuts).
    let ends_in_zeros = zeros_from < map.len();
    let may_have_seal = header.is_some() && !ends_in_zeros;
    let sealdir = may_have_seal.then(|| read_seal(map, data_start)).flatten();
    let mut records = RecordDump::new(map, sealdir.as_ref(), path, zeros_from);
    if !records.dump(&mut d, data_start, args)? {
        return Ok(damaged);
    }
    if let Some(s) = &sealdir {
        dump_seal(&mut d, map, s)?;
    } else if !ends_in_zeros && map.len() >= TRAILER_LEN && map.ends_with(&TRAILER_MAGIC) {
        let (at, len) = ((map.len() - TRAILER_LEN) as u64, TRAILER_LEN as u64);
        d.note(at, "trailer", len, "a trailer without a usable seal")?;
    }
    Ok(damaged)
}

// The parts of a valid seal, after the records: its SEAL_BEGIN frame, the
// per-type offset arrays, the sparse index, the directory and the
// trailer.

fn dump_seal(d: &mut DumpOutput<'_>, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    // The seal was read and checked through these same decoders.
    let re = s.records_end as usize;
    let (_, begin_stored) = frame_header(map, re).expect("the seal was read");
    let count = seal_begin_count(&map[re..]).expect("the seal was read");
    let fields = vec![
        ("crc", Field::Crc(begin_stored, begin_stored)),
        ("record_count", Field::Unsigned(count)),
    ];
    d.line(re as u64, "seal-begin", SEAL_BEGIN_LEN as u64, fields)?;
    // Each type's offset array.
    for (i, t) in s.types.iter().enumerate() {
        let at = t.array_offset as usize;
        let bytes = &map[at..at + 8 * t.count as usize];
        let offset = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("8 bytes"));
        let offsets = bytes.chunks(8).take(4).map(offset);
        let first = offsets.map(|o| (o.to_string(), json!(o))).collect();
        let fields = vec![
            ("type_id", Field::Unsigned(i as u64)),
            ("type", Field::Quoted(t.name.clone())),
            ("entries", Field::Unsigned(t.count)),
            ("crc_ok", Field::OkBad(crc32(bytes) == t.array_crc)),
            ("first", Field::Entries(first, t.count > 4)),
        ];
        d.line(at as u64, "type-array", bytes.len() as u64, fields)?;
    }
    let sp = s.sparse_offset as usize;
    let sparse = &map[sp..sp + SPARSE_ENTRY_LEN * s.sparse_count as usize];
    let entries = sparse.chunks(SPARSE_ENTRY_LEN).take(3);
    let shown = |e: SparseEntry| {
        let text = format!("seq {}@{}", e.seq, e.offset);
        (text, json!({"seq": e.seq, "offset": e.offset}))
    };
    let first = entries.filter_map(SparseEntry::decode).map(shown).collect();
    let fields = vec![
        ("entries", Field::Unsigned(s.sparse_count)),
        ("crc_ok", Field::OkBad(crc32(sparse) == s.sparse_crc)),
        ("first", Field::Entries(first, s.sparse_count > 3)),
    ];
    d.line(sp as u64, "sparse-index", sparse.len() as u64, fields)?;
    let tr = Trailer::decode(map, 0).expect("the seal was read through it");
    let dir = tr.dir_offset as usize;
    let (_, dir_stored) = frame_header(map, dir).expect("the seal was read");
    let types: Vec<(String, u64)> = s.types.iter().map(|t| (t.name.clone(), t.count)).collect();
    let fields = vec![
        ("crc", Field::Crc(dir_stored, dir_stored)),
        ("record_count", Field::Unsigned(s.record_count)),
        ("first_seq", Field::Unsigned(s.first_seq)),
        ("last_seq", Field::Unsigned(s.last_seq)),
        ("first_ts", Field::Time(s.first_ts)),
        ("last_ts", Field::Time(s.last_ts)),
        ("min_ts", Field::Time(s.min_ts)),
        ("max_ts", Field::Time(s.max_ts)),
        ("records_end", Field::Unsigned(s.records_end)),
        ("types", Field::TypeCounts(types)),
    ];
    d.line(dir as u64, "seal-dir", tr.dir_len as u64, fields)?;
    let t0 = map.len() - TRAILER_LEN;
    let stored = Trailer::stored_crc(&map[t0..]).expect("the seal was read");
    let fields = vec![
        ("records_end", Field::Unsigned(tr.records_end)),
        ("dir_offset", Field::Unsigned(tr.dir_offset)),
        ("dir_len", Field::Unsigned(tr.dir_len as u64)),
        ("crc", Field::Crc(stored, stored)),
        ("magic", Field::Bare("BLGSEAL1".into())),
    ];
    d.line(t0 as u64, "trailer", TRAILER_LEN as u64, fields)
}
