//! One line of a dump: a part of the file (its offset, what it is, its
//! length) and its fields, as text or as one JSON object.

use crate::error::{CliError, CliResult};
use serde_json::{json, Value};
use std::io::Write;

/// A field's value.
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
}

/// Where a dump's lines go.
pub(super) struct DumpOutput<'a, W: Write> {
    pub(super) out: &'a mut W,
    pub(super) json: bool,
    /// The file dumped, as JSON lines name it.
    pub(super) file: String,
}

impl<W: Write> DumpOutput<'_, W> {
    pub(super) fn line(
        &mut self,
        offset: u64,
        what: &str,
        len: u64,
        fields: Vec<(&str, Field)>,
    ) -> CliResult<()> {
        if self.json {
            return self.json_line(offset, what, len, fields);
        }
        let mut line = format!("@{offset:<10} {what:<11} {len:>9} bytes");
        for (k, v) in fields {
            let v = match v {
                Field::Unsigned(u) => u.to_string(),
                Field::Signed(i) => i.to_string(),
                Field::Quoted(s) => format!("{s:?}"),
                Field::Bare(s) => s,
                Field::YesNo(b) => if b { "yes" } else { "no" }.into(),
                Field::OkBad(b) => if b { "ok" } else { "BAD" }.into(),
            };
            line.push_str("  ");
            line.push_str(k);
            line.push('=');
            line.push_str(&v);
        }
        writeln!(self.out, "{line}")?;
        Ok(())
    }

    fn json_line(
        &mut self,
        offset: u64,
        what: &str,
        len: u64,
        fields: Vec<(&str, Field)>,
    ) -> CliResult<()> {
        let mut m = serde_json::Map::new();
        m.insert("file".into(), json!(self.file));
        m.insert("offset".into(), json!(offset));
        m.insert("what".into(), json!(what));
        m.insert("len".into(), json!(len));
        for (k, v) in fields {
            let v = match v {
                Field::Unsigned(u) => json!(u),
                Field::Signed(i) => json!(i),
                Field::Quoted(s) | Field::Bare(s) => json!(s),
                Field::YesNo(b) | Field::OkBad(b) => json!(b),
            };
            m.insert(k.to_string(), v);
        }
        serde_json::to_writer(&mut *self.out, &Value::Object(m))
            .map_err(|e| CliError::from(std::io::Error::from(e)))?;
        writeln!(self.out)?;
        Ok(())
    }
}

/// A stored CRC, with the computed one when they differ.
pub(super) fn crc_field(stored: u32, computed: u32) -> Field {
    if stored == computed {
        Field::Bare(format!("{stored:#010x}(ok)"))
    } else {
        Field::Bare(format!("{stored:#010x}(BAD:computed={computed:#010x})"))
    }
}
