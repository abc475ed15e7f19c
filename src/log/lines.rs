//! The small text records of a log and its archive: the manifest and the
//! accepted gaps (docs/FORMAT.md section 14a), the ship journal (18.3),
//! the prune marker (18.4) and the log's identity (`<log>.ship-id`, the claim object): a
//! version line, lines of a key and fields split on single spaces, ended
//! by '\n' only (`str::lines` would strip a '\r' ending a field, which
//! would then render back differently), and in a checked one a last line
//! `crc32 <8 lowercase hex digits>`, the CRC-32 of every byte before it.

use crate::error::{Error, ErrorKind, Result};
use std::fmt::Display;
use std::path::Path;

/// Replaces the record at `path` with `text` through the temporary file
/// `path` + `tmp_suffix`; `durably`, the file is synced before the rename
/// and its directory after it, so that a crash leaves the old text or the
/// new one even through power loss. A temporary file not written whole is
/// removed, and the error says `path` is unchanged.
pub(crate) fn replace(path: &Path, tmp_suffix: &str, text: &str, durably: bool) -> Result<()> {
    let tmp = &crate::sys::with_suffix(path, tmp_suffix);
    write_new(tmp, text, durably).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        e.with_detail(|d| format!("{d} ({} not replaced, kept as it was)", path.display()))
    })?;
    std::fs::rename(tmp, path)
        .map_err(|e| Error::io(tmp, &format!("rename to {}", path.display()), e))?;
    if durably {
        crate::sys::sync_parent(path)?;
    }
    Ok(())
}

/// Creates (or truncates) `tmp` and writes `text` to it, synced if
/// `durably`.
fn write_new(tmp: &Path, text: &str, durably: bool) -> Result<()> {
    let mut f = std::fs::File::create(tmp).map_err(|e| Error::io(tmp, "create", e))?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| Error::io(tmp, "write", e))?;
    if durably {
        f.sync_all().map_err(|e| Error::io(tmp, "fsync", e))?;
    }
    Ok(())
}

/// A kind of record.
pub(crate) struct Format {
    /// Its name in errors.
    pub name: &'static str,
    /// Its first line.
    pub version: &'static str,
    /// Whether it ends with a checksum line.
    pub checked: bool,
}

impl Format {
    /// The record whose lines after its version line are `body`.
    pub fn render(&self, body: &str) -> String {
        let text = format!("{}\n{body}", self.version);
        if !self.checked {
            return text;
        }
        let crc = crate::format::crc32(text.as_bytes());
        format!("{text}crc32 {crc:08x}\n")
    }

    /// The lines of `text` (the file or object `source`) after its version
    /// line, once its checksum line (if any) and version line are checked.
    pub fn parse<'a>(&'a self, text: &'a str, source: &'a Path) -> Result<Lines<'a>> {
        let body = match self.checked {
            true => self.checked_body(text, source)?,
            false => text,
        };
        let of = (self, source);
        let mut lines = Lines { of, body, at: 0 };
        match lines.next() {
            Some(l) if l.text == self.version => Ok(lines),
            _ => Err(self.error(source, 0, "unknown version line")),
        }
    }

    /// A `Corrupt` error saying `what` is wrong at offset `at` of `source`.
    fn error(&self, source: &Path, at: usize, what: impl Display) -> Error {
        let what = format!("{}: {what}", self.name);
        Error::at(ErrorKind::Corrupt, source, at as u64, what)
    }

    /// The lines of `text` before its last line, `crc32 <8 hex digits>`,
    /// if that is their CRC-32.
    fn checked_body<'a>(&self, text: &'a str, source: &Path) -> Result<&'a str> {
        let bad = |at, what| self.error(source, at, what);
        let end = text
            .rfind("crc32 ")
            .ok_or_else(|| bad(text.len(), "no checksum line"))?;
        let (body, crc_line) = text.split_at(end);
        if !body.ends_with('\n') {
            return Err(bad(end, "checksum line does not start a line"));
        }
        let stored = u32::from_str_radix(crc_line["crc32 ".len()..].trim_end(), 16)
            .map_err(|_| bad(end, "malformed checksum"))?;
        if crate::format::crc32(body.as_bytes()) != stored {
            return Err(bad(end, "checksum mismatch"));
        }
        Ok(body)
    }
}

/// The lines of a record, in order.
pub(crate) struct Lines<'a> {
    /// The record's format and the file (or object) errors name.
    of: (&'a Format, &'a Path),
    body: &'a str,
    /// The offset of the next line.
    at: usize,
}

impl<'a> Lines<'a> {
    /// The next line, which must be `key` with `n` fields.
    pub fn expect(&mut self, key: &str, n: usize) -> Result<Line<'a>> {
        let at = self.at.min(self.body.len());
        self.next()
            .filter(|l| l.key == key && l.fields.len() == n)
            .ok_or_else(|| self.of.0.error(self.of.1, at, format!("no {key} line")))
    }

    /// Fails if a line is left.
    pub fn end(mut self) -> Result<()> {
        self.next().map_or(Ok(()), |l| Err(l.bad()))
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.body.get(self.at..).filter(|t| !t.is_empty())?;
        let text = rest.split('\n').next()?;
        let mut fields = text.split(' ');
        let (key, at, of) = (fields.next()?, self.at, self.of);
        self.at += text.len() + 1;
        let fields = fields.collect();
        Some(Line {
            key,
            fields,
            text,
            at,
            of,
        })
    }
}

/// One line: its key and its fields.
pub(crate) struct Line<'a> {
    pub key: &'a str,
    pub fields: Vec<&'a str>,
    text: &'a str,
    at: usize,
    of: (&'a Format, &'a Path),
}

impl Line<'_> {
    /// Field `i` as a number, or the error of a bad line.
    pub fn num(&self, i: usize) -> Result<u64> {
        let n = self.fields.get(i).and_then(|f| f.parse().ok());
        n.ok_or_else(|| self.bad())
    }

    /// The error saying `what` is wrong with this line.
    pub fn error(&self, what: impl Display) -> Error {
        self.of.0.error(self.of.1, self.at, what)
    }

    /// The error of a line that does not parse.
    pub fn bad(&self) -> Error {
        self.error(format!("bad line {:?}", self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Format = Format {
        name: "record",
        version: "rec 1",
        checked: true,
    };

    #[test]
    fn a_rendered_record_parses_back_and_errors_name_source_and_offset() {
        let text = F.render("a 1 x y\nb\n");
        let crc = crate::format::crc32(b"rec 1\na 1 x y\nb\n");
        assert_eq!(text, format!("rec 1\na 1 x y\nb\ncrc32 {crc:08x}\n"));
        let mut lines = F.parse(&text, Path::new("r")).unwrap();
        let a = lines.expect("a", 3).unwrap();
        assert_eq!((a.num(0).unwrap(), &a.fields[1..]), (1, &["x", "y"][..]));
        let e = a.num(1).unwrap_err();
        assert_eq!(
            (e.kind(), e.path(), e.offset()),
            (ErrorKind::Corrupt, Some(Path::new("r")), Some(6))
        );
        let e = lines.expect("c", 0).err().unwrap();
        assert_eq!((e.offset(), e.detail()), (Some(14), "record: no c line"));
        let e = F
            .parse(&text.replace("x y", "x z"), Path::new("r"))
            .err()
            .unwrap();
        assert_eq!(
            (e.offset(), e.detail()),
            (Some(16), "record: checksum mismatch")
        );
        let plain = Format {
            checked: false,
            ..F
        };
        let e = plain.parse("rec 2\n", Path::new("r")).err().unwrap();
        assert_eq!(
            (e.offset(), e.detail()),
            (Some(0), "record: unknown version line")
        );
    }
}
