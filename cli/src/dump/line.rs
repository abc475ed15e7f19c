//! One line of a dump: a part of the file (its offset, what it is, its
//! length) and its fields, as text or as one JSON object.

use crate::encoding;
use crate::error::{CliError, CliResult};
use crate::time::rfc3339;
use serde_json::{json, Value};
use std::io::Write;

/// A field's value: shown one way in text, typed in JSON (numbers as
/// numbers, flags as bools, lists as arrays; see docs/CLI.md).
pub(super) enum Field {
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
    /// How text shows it.
    fn text(self) -> String {
        match self {
            Field::Unsigned(u) => u.to_string(),
            Field::Signed(i) => i.to_string(),
            Field::Quoted(s) => format!("{s:?}"),
            Field::Bare(s) => s,
            Field::YesNo(b) => if b { "yes" } else { "no" }.into(),
            Field::OkBad(b) => if b { "ok" } else { "BAD" }.into(),
            Field::Crc(stored, computed) if stored == computed => format!("{stored:#010x}(ok)"),
            Field::Crc(stored, computed) => {
                format!("{stored:#010x}(BAD:computed={computed:#010x})")
            }
            Field::Hex32(v) => format!("{v:#010x}"),
            Field::Time(ns) => rfc3339(ns),
            Field::Flags(b, names) => format!("{b:#04x}({})", names.join("|")),
            Field::Pairs(p) => quoted_list(p.iter().map(|(k, v)| format!("{k}={v}"))),
            Field::TypeCounts(t) => quoted_list(t.iter().map(|(n, c)| format!("{n}:{c}"))),
            Field::Bytes(b, more) => {
                let more = if more { " .." } else { "" };
                format!("[{}{more}]", encoding::hex_spaced(&b))
            }
            Field::Entries(e, more) => {
                let shown: Vec<&str> = e.iter().map(|(t, _)| t.as_str()).collect();
                format!("[{}{}]", shown.join(","), if more { ",.." } else { "" })
            }
        }
    }

    /// Adds it to a JSON line as `key` (and the keys said above).
    fn insert_json(self, key: &str, m: &mut serde_json::Map<String, Value>) {
        let v = match self {
            Field::Unsigned(u) => json!(u),
            Field::Signed(i) => json!(i),
            Field::Quoted(s) | Field::Bare(s) => json!(s),
            Field::YesNo(b) | Field::OkBad(b) => json!(b),
            Field::Crc(stored, computed) => {
                m.insert(format!("{key}_ok"), json!(stored == computed));
                if stored != computed {
                    m.insert(format!("{key}_computed"), json!(computed));
                }
                json!(stored)
            }
            Field::Hex32(v) => json!(v),
            Field::Time(ns) => {
                m.insert(format!("{key}_ns"), json!(ns));
                json!(rfc3339(ns))
            }
            Field::Flags(b, names) => {
                m.insert("flag_names".into(), json!(names));
                json!(b)
            }
            Field::Pairs(p) => json!(p),
            Field::TypeCounts(t) => t
                .into_iter()
                .map(|(n, c)| json!({"type": n, "records": c}))
                .collect(),
            Field::Bytes(b, more) => {
                m.insert(format!("{key}_truncated"), json!(more));
                let mut hex = Vec::with_capacity(b.len() * 2);
                encoding::push_hex(&mut hex, &b);
                json!(String::from_utf8(hex).expect("hex is ASCII"))
            }
            Field::Entries(e, more) => {
                m.insert(format!("{key}_truncated"), json!(more));
                e.into_iter().map(|(_, v)| v).collect()
            }
        };
        m.insert(key.to_string(), v);
    }
}

/// A line's fields: (key, value) each.
pub(super) type Fields<'k> = Vec<(&'k str, Field)>;

/// `items` joined with commas, as one quoted string.
fn quoted_list(items: impl Iterator<Item = String>) -> String {
    format!("{:?}", items.collect::<Vec<_>>().join(","))
}

/// Where a dump's lines go.
pub(super) struct DumpOutput<'a> {
    pub(super) out: &'a mut dyn Write,
    pub(super) json: bool,
    /// The file dumped, as JSON lines name it.
    pub(super) file: String,
}

impl DumpOutput<'_> {
    /// A line whose one field is a note, shown bare.
    pub(super) fn note(&mut self, offset: u64, what: &str, len: u64, note: &str) -> CliResult<()> {
        self.line(offset, what, len, vec![("note", Field::Bare(note.into()))])
    }

    /// One line: as text, or (`json`) as one JSON object naming the file;
    /// `at` its offset.
    pub(super) fn line(&mut self, at: u64, what: &str, len: u64, fields: Fields) -> CliResult<()> {
        if !self.json {
            let mut line = format!("@{at:<10} {what:<11} {len:>9} bytes");
            for (k, v) in fields {
                line.push_str(&format!("  {k}={}", v.text()));
            }
            return Ok(writeln!(self.out, "{line}")?);
        }
        let mut line = json!({"file": self.file, "offset": at, "what": what, "len": len});
        let m = line.as_object_mut().expect("an object");
        for (k, v) in fields {
            v.insert_json(k, m);
        }
        serde_json::to_writer(&mut *self.out, &line)
            .map_err(|e| CliError::from(std::io::Error::from(e)))?;
        Ok(writeln!(self.out)?)
    }
}
