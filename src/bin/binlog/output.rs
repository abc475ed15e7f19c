//! Printing records: one readable line, or one JSON object per line, per
//! record. Output goes through a buffer; a closed pipe surfaces as
//! `BrokenPipe` and ends the command quietly (see error.rs).

use crate::encoding;
use crate::error::{CliError, CliResult};
use crate::time;
use crate::type_names::shown_type_name;
use binlog::Record;
use serde_json::Value;
use std::io::{self, BufWriter, Write};

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

pub struct RecordPrinter {
    json: bool,
    payload: PayloadMode,
    line: Vec<u8>,
}

impl RecordPrinter {
    pub fn new(json: bool, payload: PayloadMode) -> RecordPrinter {
        RecordPrinter {
            json,
            payload,
            line: Vec::with_capacity(256),
        }
    }

    /// Prints record `r`; of log `log` (a merged read), the log's name
    /// first on the line (in JSON, a `log` field first).
    pub fn print(
        &mut self,
        out: &mut impl Write,
        log: Option<&str>,
        r: &Record<'_>,
    ) -> io::Result<()> {
        self.line.clear();
        if self.json {
            self.line.push(b'{');
            if let Some(log) = log {
                self.line.extend_from_slice(b"\"log\":");
                json_str(&mut self.line, log);
                self.line.push(b',');
            }
            self.json_line(r);
        } else {
            if let (Some(log), false) = (log, self.payload == PayloadMode::Raw) {
                encoding::push_escaped(&mut self.line, log);
                self.line.push(b' ');
            }
            self.text_line(r);
        }
        self.line.push(b'\n');
        out.write_all(&self.line)
    }

    fn text_line(&mut self, r: &Record<'_>) {
        let l = &mut self.line;
        if self.payload == PayloadMode::Raw {
            l.extend_from_slice(r.payload);
            return;
        }
        let _ = write!(l, "{} {} ", r.seq, time::rfc3339(r.timestamp_ns));
        encoding::push_escaped(l, &shown_type_name(r));
        if r.meta_count() > 0 {
            l.extend_from_slice(b" {");
            for (i, (k, v)) in r.metadata().enumerate() {
                if i > 0 {
                    l.push(b',');
                }
                encoding::push_escaped(l, k);
                l.push(b'=');
                encoding::push_escaped(l, v);
            }
            l.push(b'}');
        }
        l.push(b' ');
        match self.payload {
            PayloadMode::Auto => match std::str::from_utf8(r.payload) {
                Ok(s) => encoding::push_escaped(l, s),
                Err(_) => {
                    l.extend_from_slice(b"hex:");
                    encoding::push_hex(l, r.payload);
                }
            },
            PayloadMode::Text => encoding::push_escaped(l, &String::from_utf8_lossy(r.payload)),
            PayloadMode::Hex => encoding::push_hex(l, r.payload),
            PayloadMode::Base64 => encoding::push_base64(l, r.payload),
            PayloadMode::Raw => unreachable!("handled above"),
        }
    }

    /// The record's JSON object after its opening brace.
    fn json_line(&mut self, r: &Record<'_>) {
        let l = &mut self.line;
        let _ = write!(
            l,
            "\"seq\":{},\"time\":\"{}\",\"ts_ns\":{},\"type\":",
            r.seq,
            time::rfc3339(r.timestamp_ns),
            r.timestamp_ns
        );
        json_str(l, &shown_type_name(r));
        l.extend_from_slice(b",\"meta\":{");
        for (i, (k, v)) in r.metadata().enumerate() {
            if i > 0 {
                l.push(b',');
            }
            json_str(l, k);
            l.push(b':');
            json_str(l, v);
        }
        l.extend_from_slice(b"},\"payload\":");
        let enc = match self.payload {
            PayloadMode::Auto => match std::str::from_utf8(r.payload) {
                Ok(s) => {
                    json_str(l, s);
                    "utf8"
                }
                Err(_) => {
                    quoted(l, |l| encoding::push_hex(l, r.payload));
                    "hex"
                }
            },
            PayloadMode::Text => {
                let s = String::from_utf8_lossy(r.payload);
                json_str(l, &s);
                if matches!(s, std::borrow::Cow::Borrowed(_)) {
                    "utf8"
                } else {
                    "utf8-lossy"
                }
            }
            PayloadMode::Hex => {
                quoted(l, |l| encoding::push_hex(l, r.payload));
                "hex"
            }
            PayloadMode::Base64 | PayloadMode::Raw => {
                quoted(l, |l| encoding::push_base64(l, r.payload));
                "base64"
            }
        };
        let _ = write!(l, ",\"encoding\":\"{enc}\",\"size\":{}}}", r.payload.len());
    }
}

fn quoted(l: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    l.push(b'"');
    f(l);
    l.push(b'"');
}

/// Appends `s` as a JSON string.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
}

/// Writes `doc` as one JSON document, pretty-printed, and a newline.
pub fn print_json_document(out: &mut impl Write, doc: &Value) -> CliResult<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(|e| CliError::from(io::Error::from(e)))?;
    writeln!(out)?;
    Ok(())
}

/// Bytes for people: `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    indicatif::BinaryBytes(n).to_string()
}
