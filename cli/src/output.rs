//! Printing records: one readable line, or one JSON object per line, per
//! record, with `--decode` the payload decoded by its type's schema too.
//! Output goes through a buffer; a closed pipe surfaces as `BrokenPipe`
//! and ends the command quietly (see error.rs). A type whose name is lost
//! is shown as `unknown-type-N` by every command (`shown_type_name`).

use crate::decode::Decoders;
use crate::encoding::{self, json_str, quoted};
use crate::error::{CliError, CliResult, Outcome};
use crate::time;
pub use binlog::codec::lost_type_name;
use binlog::{OwnedRecord, Record, TypeSchema};
use serde_json::Value;
use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// How payload bytes are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PayloadMode {
    /// Text when the payload is valid UTF-8 (control characters escaped),
    /// else hex (prefixed `hex:` in lines; `"encoding":"hex"` in JSON).
    #[default]
    Auto,
    /// Text, with invalid UTF-8 replaced by U+FFFD.
    Text,
    /// Hex, two lowercase digits a byte.
    Hex,
    /// Base64, standard alphabet, padded.
    Base64,
    /// The payload bytes alone, exactly as stored, each followed by a
    /// newline (not with --json).
    Raw,
}

/// Standard output, buffered.
pub fn stdout() -> BufWriter<io::Stdout> {
    BufWriter::with_capacity(1 << 16, io::stdout())
}

#[derive(Default)]
pub struct RecordPrinter {
    json: bool,
    payload: PayloadMode,
    line: Vec<u8>,
    /// The decoded payload's JSON, with `--decode`.
    decoded: Vec<u8>,
    /// With `--decode`: the decoders of the schemas met so far.
    decoders: Option<Decoders>,
    /// Records printed raw because their payload did not decode.
    undecodable: u64,
}

/// Where a record printed with `--decode` came from, for the warning of a
/// payload that does not decode, and its type's schema.
#[derive(Clone, Copy)]
pub struct Origin<'a> {
    /// Its log (in a merged read), its segment file, its type's schema.
    pub log: Option<&'a str>,
    pub file: Option<&'a Path>,
    pub schema: Option<&'a TypeSchema>,
}

/// Says on standard error that the payload of record `seq` of type
/// `type_name` from `origin` (named by its segment file, else its log)
/// does not decode, why, and what was `done` with it.
pub fn warn_undecodable(origin: Origin<'_>, seq: u64, type_name: &str, why: &str, done: &str) {
    let place = match (origin.file, origin.log) {
        (Some(file), _) => format!("{}: ", file.display()),
        (None, Some(log)) => format!("log {log}: "),
        (None, None) => String::new(),
    };
    let encoding = origin.schema.map_or("", |s| s.encoding.as_str());
    eprintln!(
        "binlog: warning: {place}record {seq} of type {type_name:?} does not decode as \
         {encoding}: {why}; {done}"
    );
}

/// A record copied, with its log's name, so that its reader can be asked
/// for its type's schema once the record is let go
/// (`RecordPrinter::print_or_hold`).
pub struct Held(pub Option<String>, pub OwnedRecord);

impl RecordPrinter {
    /// Prints lines, or JSON objects (`json`), payloads shown as `payload`
    /// says, or decoded by their type's schema with `decode` (`--decode`).
    pub fn new(json: bool, payload: PayloadMode, decode: bool) -> RecordPrinter {
        let decoders = decode.then(Decoders::default);
        RecordPrinter {
            json,
            payload,
            decoders,
            ..RecordPrinter::default()
        }
    }

    /// The exit status of what was printed: records printed raw because
    /// they did not decode make it `Undecodable`.
    pub fn outcome(&self) -> Outcome {
        Outcome::Undecodable.when(self.undecodable > 0)
    }

    /// Prints record `r`; of log `log` (a merged read), the log's name
    /// first on the line (in JSON, a `log` field first). With `--decode`,
    /// `r` is copied instead, to be printed with `print_held` once its
    /// reader gave its type's schema: the copy.
    pub fn print_or_hold(
        &mut self,
        out: &mut impl Write,
        log: Option<&str>,
        r: &Record<'_>,
    ) -> io::Result<Option<Held>> {
        if self.decoders.is_some() {
            return Ok(Some(Held(log.map(str::to_string), OwnedRecord::from(r))));
        }
        let (file, schema) = (None, None);
        let origin = Origin { log, file, schema };
        self.print_from(out, origin, r).map(|()| None)
    }

    /// Prints a record `print_or_hold` copied, decoded by `schema`.
    pub fn print_held(
        &mut self,
        out: &mut impl Write,
        held: &Held,
        file: Option<&Path>,
        schema: Option<&TypeSchema>,
    ) -> io::Result<()> {
        let log = held.0.as_deref();
        let origin = Origin { log, file, schema };
        self.print_from(out, origin, &held.1.record())
    }

    /// Prints record `r` from `from`; with `--decode`, a payload that
    /// does not decode is printed as without it, and a warning names it.
    pub fn print_from(&mut self, out: &mut impl Write, from: Origin, r: &Record) -> io::Result<()> {
        // Taken while the line is made, and given back: its memory is kept.
        let mut json = std::mem::take(&mut self.decoded);
        let decoded = self.decode(from, r, &mut json).then_some(&json[..]);
        self.line.clear();
        if self.json {
            self.line.push(b'{');
            if let Some(log) = from.log {
                self.line.extend_from_slice(b"\"log\":");
                json_str(&mut self.line, log);
                self.line.push(b',');
            }
            self.json_line(r);
            if let Some(v) = decoded {
                self.line.pop();
                self.line.extend_from_slice(b",\"decoded\":");
                self.line.extend_from_slice(v);
                self.line.push(b'}');
            }
        } else {
            if let (Some(log), false) = (from.log, self.payload == PayloadMode::Raw) {
                encoding::push_escaped(&mut self.line, log);
                self.line.push(b' ');
            }
            self.text_line(r, decoded);
        }
        self.decoded = json;
        self.line.push(b'\n');
        out.write_all(&self.line)
    }

    /// The payload of `r` decoded by its schema into `json`, with
    /// `--decode`: false without, for a type without a schema, and (warned
    /// of, counted) for a payload that does not decode.
    fn decode(&mut self, origin: Origin<'_>, r: &Record<'_>, json: &mut Vec<u8>) -> bool {
        json.clear();
        let Some(decoder) = self.decoders.as_mut().and_then(|d| d.get(origin.schema)) else {
            return false;
        };
        let decoded = match decoder {
            Ok(d) => d.decode_json(r.payload, json),
            Err(e) => Err(e.message().to_string()),
        };
        let Err(why) = decoded else { return true };
        self.undecodable += 1;
        warn_undecodable(origin, r.seq, &shown_type_name(r), &why, "printed raw");
        false
    }

    fn text_line(&mut self, r: &Record<'_>, decoded: Option<&[u8]>) {
        let l = &mut self.line;
        if self.payload == PayloadMode::Raw {
            l.extend_from_slice(decoded.unwrap_or(r.payload));
            return;
        }
        let _ = write!(l, "{} {} ", r.seq, time::rfc3339(r.timestamp_ns));
        encoding::push_escaped(l, &shown_type_name(r));
        if r.meta_count() > 0 {
            l.extend_from_slice(b" {");
            push_meta(l, r, b'=', encoding::push_escaped);
            l.push(b'}');
        }
        l.push(b' ');
        if let Some(v) = decoded {
            l.extend_from_slice(v);
            return;
        }
        match (payload_text(self.payload, r.payload), self.payload) {
            (Some(s), _) => encoding::push_escaped(l, &s),
            (None, PayloadMode::Auto) => {
                l.extend_from_slice(b"hex:");
                encoding::push_hex(l, r.payload);
            }
            (None, PayloadMode::Hex) => encoding::push_hex(l, r.payload),
            // Base64 (Raw is handled above).
            (None, _) => encoding::push_base64(l, r.payload),
        }
    }

    /// The record's JSON object after its opening brace.
    fn json_line(&mut self, r: &Record<'_>) {
        let l = &mut self.line;
        let (seq, ns, at) = (r.seq, r.timestamp_ns, time::rfc3339(r.timestamp_ns));
        let _ = write!(l, r#""seq":{seq},"time":"{at}","ts_ns":{ns},"type":"#);
        json_str(l, &shown_type_name(r));
        l.extend_from_slice(b",\"meta\":{");
        push_meta(l, r, b':', json_str);
        l.extend_from_slice(b"},\"payload\":");
        let enc = match (payload_text(self.payload, r.payload), self.payload) {
            (Some(Cow::Borrowed(s)), _) => {
                json_str(l, s);
                "utf8"
            }
            (Some(s), _) => {
                json_str(l, &s);
                "utf8-lossy"
            }
            (None, PayloadMode::Auto | PayloadMode::Hex) => {
                quoted(l, |l| encoding::push_hex(l, r.payload));
                "hex"
            }
            (None, _) => {
                quoted(l, |l| encoding::push_base64(l, r.payload));
                "base64"
            }
        };
        let _ = write!(l, ",\"encoding\":\"{enc}\",\"size\":{}}}", r.payload.len());
    }
}

/// The record's metadata entries, comma-separated: key, `sep`, value,
/// each text appended by `text`.
fn push_meta(l: &mut Vec<u8>, r: &Record<'_>, sep: u8, text: impl Fn(&mut Vec<u8>, &str)) {
    for (i, (k, v)) in r.metadata().enumerate() {
        if i > 0 {
            l.push(b',');
        }
        text(l, k);
        l.push(sep);
        text(l, v);
    }
}

/// The payload as text when `mode` shows it so: valid UTF-8 with `Auto`
/// (borrowed), any payload with `Text` (owned when invalid UTF-8 was
/// replaced).
fn payload_text(mode: PayloadMode, payload: &[u8]) -> Option<Cow<'_, str>> {
    match mode {
        PayloadMode::Auto => std::str::from_utf8(payload).ok().map(Cow::Borrowed),
        PayloadMode::Text => Some(String::from_utf8_lossy(payload)),
        _ => None,
    }
}

// What the tool calls a type whose name is lost (its defining record is
// in damaged bytes, and no seal names it): `unknown-type-<id>`, in every
// command, where the library's reader says `Record::lost_type_name(id)`.
// `repair --salvage` gives the records it copies this type name.

/// The name the tool shows for the type of a record the library's reader
/// returned: its name, or, for a type whose name the reader lost,
/// `unknown-type-N` (as every tool calls it).
pub fn shown_type_name<'a>(r: &Record<'a>) -> Cow<'a, str> {
    match r.lost_type_id() {
        Some(id) => Cow::Owned(lost_type_name(id)),
        None => Cow::Borrowed(r.type_name),
    }
}

/// For a type filter given to the library's reader: the reader's name for
/// the type `unknown-type-N` (`Record::lost_type_name`), if `name` is one.
pub fn reader_type_name(name: &str) -> Option<String> {
    let n = name.strip_prefix("unknown-type-")?;
    let digits = n.bytes().all(|b| b.is_ascii_digit());
    let id: u32 = digits.then(|| n.parse().ok())??;
    Some(Record::lost_type_name(id))
}

/// Writes `doc` as one JSON document, pretty-printed, and a newline.
pub fn print_json_document(out: &mut impl Write, doc: &Value) -> CliResult<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(|e| CliError::from(io::Error::from(e)))?;
    Ok(writeln!(out)?)
}

/// Bytes for people: `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    indicatif::BinaryBytes(n).to_string()
}
