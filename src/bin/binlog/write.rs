//! `binlog write`: appends records read from standard input: one per line
//! (the line is the payload), or one per JSON object with `--json`. For
//! scripts and tests. Each record is stamped when it is read (unless it
//! gives its time). Records are written in batches, and handed to the OS
//! whenever standard input has nothing more ready, so that a slow producer's
//! records (`tail -F app.log | binlog write ...`) are on file at once; the
//! segment (or the log's current segment) is synced and sealed at the end.

use crate::encoding;
use crate::error::{CliError, CliResult, Outcome};
use crate::paths;
use crate::time;
use binlog::format::{frame, MAX_TYPE_NAME_LEN};
use binlog::{Entry, LogOptions, LogReader, LogWriter, Options, Reader, Writer};
use clap::Args;
use serde_json::value::RawValue;
use serde_json::Value;
use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read, StdinLock};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = "\
In --json mode each object may hold: \"type\" (else --type), \"meta\" (an
object of strings, or [key, value] pairs), \"payload\" (a string, decoded
as \"encoding\" says: utf8 (default), hex or base64; any other JSON value is
stored as its compact JSON text), and \"ts_ns\" (integer) or \"time\"
(RFC 3339). The lines `binlog cat --json` prints are accepted as they are.

Examples:
  printf 'hello\\nworld\\n' | binlog write events.binlog --type greeting
  tail -F app.log | binlog write /var/log/app --log app --type line --max-segment-bytes 64M
  binlog cat old.binlog --json | binlog write copy.binlog --json
  echo '{\"type\":\"order\",\"meta\":{\"venue\":\"XLON\"},\"payload\":{\"id\":1}}' | binlog write o.binlog --json")]
pub struct WriteArgs {
    /// A segment file (created if missing), or a log directory.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Write into this log of the directory (created if missing).
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Type of the records (the default for JSON objects without "type").
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub type_name: Option<String>,
    /// Metadata for every record (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
    /// Read JSON objects instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Content type recorded in a new segment's header.
    #[arg(long, value_name = "TEXT")]
    pub content_type: Option<String>,
    /// Parameter recorded in a new segment's header (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Sequence number of the first record of a new segment or log.
    #[arg(long, value_name = "N")]
    pub first_seq: Option<u64>,
    /// Largest record accepted, in bytes (K, M, G suffixes); default 64M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_record_size: Option<u64>,
    /// Log directories: roll to a new segment before this many bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_segment_bytes: Option<u64>,
    /// Log directories: roll to a new segment after this many records.
    #[arg(long, value_name = "N")]
    pub max_segment_records: Option<u64>,
}

enum Target {
    Segment(Writer),
    Log(LogWriter),
}

impl Target {
    fn write_batch(&self, entries: &[Entry<'_>]) -> binlog::Result<u64> {
        match self {
            Target::Segment(w) => w.write_batch(entries),
            Target::Log(w) => w.write_batch(entries),
        }
    }

    /// Hands the records written to the OS (readers see them; a killed
    /// process leaves them in the file).
    fn flush(&self) -> binlog::Result<()> {
        match self {
            Target::Segment(w) => w.flush(),
            Target::Log(w) => w.flush(),
        }
    }

    /// The sequence number the next record will get, if the writer can
    /// say.
    fn next_seq(&self) -> Option<u64> {
        match self {
            Target::Segment(w) => Some(w.next_seq()),
            Target::Log(w) => w.next_seq().ok(),
        }
    }

    /// How many of the `n` records written from sequence number `first`
    /// on are whole in the file (or the log), read back: those before the
    /// first one missing or unreadable.
    fn in_file(&self, first: u64, n: u64) -> u64 {
        fn count(first: u64, n: u64, mut next: impl FnMut() -> binlog::Result<Option<u64>>) -> u64 {
            let mut want = first;
            while want - first < n {
                match next() {
                    Ok(Some(seq)) if seq == want => want += 1,
                    Ok(Some(seq)) if seq < want => {}
                    _ => break,
                }
            }
            want - first
        }
        // Unreadable, or the seek fails: nothing known to be there.
        match self {
            Target::Segment(w) => {
                let Ok(mut r) = Reader::open(w.path()) else {
                    return 0;
                };
                if r.seek_seq(first).is_err() {
                    return 0;
                }
                count(first, n, || r.next().map(|o| o.map(|rec| rec.seq)))
            }
            Target::Log(w) => {
                let Ok(mut r) = LogReader::open(w.dir(), w.name()) else {
                    return 0;
                };
                if r.seek_seq(first).is_err() {
                    return 0;
                }
                count(first, n, || r.next().map(|o| o.map(|rec| rec.seq)))
            }
        }
    }

    fn finish(&self) -> binlog::Result<()> {
        match self {
            Target::Segment(w) => w.sync().and_then(|()| w.close()),
            Target::Log(w) => w.sync().and_then(|()| w.close()),
        }
    }
}

/// One record read from the input, owned until its batch is written.
struct Pending {
    type_name: String,
    meta: Vec<(String, String)>,
    ts: Option<i64>,
    payload: Vec<u8>,
}

/// Records per batch, and bytes.
const BATCH_RECORDS: usize = 1024;
const BATCH_BYTES: usize = 4 << 20;
/// Bytes of standard input read at a time.
const INPUT_BUFFER: usize = 64 << 10;

pub fn run(args: &WriteArgs) -> CliResult<Outcome> {
    if !args.json && args.type_name.is_none() {
        return Err(CliError::usage(
            "--type is required (or use --json with a \"type\" in each object)",
        ));
    }
    let meta = args
        .meta
        .iter()
        .map(|m| key_value("--meta", m))
        .collect::<CliResult<Vec<_>>>()?;
    let (target, shown) = open_target(args)?;
    let batch = RefCell::new(Batch {
        pending: Vec::new(),
        bytes: 0,
        written: 0,
        first_seq: None,
        max_record_size: args
            .max_record_size
            .unwrap_or(Options::default().max_record_size),
        unflushed: false,
    });
    let input = Input {
        buf: BufReader::with_capacity(INPUT_BUFFER, io::stdin().lock()),
        batch: &batch,
        target: &target,
    };
    let result = if args.json {
        read_json(input, args, &meta)
    } else {
        read_lines(input, args, &meta)
    };
    // The records read before bad input (or a failed write) are written
    // too; a failed write left nothing pending to write twice.
    let mut batch = batch.into_inner();
    let flushed = batch.flush(&target);
    let closed = target.finish().map_err(CliError::from);
    let failed = result.is_err() || flushed.is_err() || closed.is_err();
    // After a failure the library may have taken records into its buffers
    // that never reached the file (a full disk): count what is there.
    let accepted = batch.written;
    let written = match batch.first_seq {
        Some(first) if failed => target.in_file(first, accepted),
        _ => accepted,
    };
    match (written, batch.first_seq) {
        (0, _) | (_, None) => eprintln!("binlog: wrote 0 records to {shown}"),
        (n, Some(first)) => eprintln!(
            "binlog: wrote {n} record{} (seq {first}..{}) to {shown}",
            if n == 1 { "" } else { "s" },
            first + n - 1
        ),
    }
    if let (true, Some(first)) = (written < accepted, batch.first_seq) {
        let (from, to) = (first + written, first + accepted - 1);
        let lost = match accepted - written {
            1 => format!("1 more record read from the input was not written (seq {from} is"),
            k => format!(
                "{k} more records read from the input were not written (seq {from}..{to} are"
            ),
        };
        eprintln!("binlog: error: {shown}: {lost} not in the file)");
    }
    // The first error is the command's; any later one is printed too,
    // unless it says the same again (a failed write, then the close).
    let mut errors = [result.err(), flushed.err(), closed.err()]
        .into_iter()
        .flatten();
    match errors.next() {
        None => Ok(Outcome::Clean),
        Some(first) => {
            let mut said = vec![first.to_string()];
            for e in errors {
                if !said.contains(&e.to_string()) {
                    said.push(e.to_string());
                    let _ = e.report();
                }
            }
            Err(first)
        }
    }
}

struct Batch {
    pending: Vec<Pending>,
    bytes: usize,
    written: u64,
    first_seq: Option<u64>,
    max_record_size: u64,
    /// Records were written since the last hand-off to the OS.
    unflushed: bool,
}

impl Batch {
    /// Adds a record read from the input (`what` names it: line or JSON
    /// object number), writing the batch when it is full. A record the
    /// library might refuse (too large, or a type name too long) is written
    /// alone, after the records before it, so that a refusal names it and
    /// loses none of them: a batch the library refuses part of keeps only
    /// the records already handed to the OS.
    fn add(&mut self, t: &Target, p: Pending, what: impl FnOnce() -> String) -> CliResult<()> {
        if self.may_refuse(&p) {
            self.flush(t)?;
            self.pending.push(p);
            return self.flush(t).map_err(|e| about(e, &what()));
        }
        self.bytes += p.payload.len();
        self.pending.push(p);
        if self.pending.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.flush(t)?;
        }
        Ok(())
    }

    /// Whether the library could refuse the record: its type name is too
    /// long, or its encoding could exceed the maximum record size
    /// (`max_frame_len` is an upper bound: it counts the type's name, which
    /// only the type's first record in a segment carries).
    fn may_refuse(&self, p: &Pending) -> bool {
        let meta: Vec<(&str, &str)> = p
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        p.type_name.len() > MAX_TYPE_NAME_LEN
            || frame::max_frame_len(&p.type_name, &meta, p.payload.len() as u64)
                > self.max_record_size
    }

    /// Writes the pending records. If the library fails part way, the
    /// records it kept are counted and the rest are dropped (not retried:
    /// the error says what happened).
    fn flush(&mut self, t: &Target) -> CliResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let before = t.next_seq();
        let metas: Vec<Vec<(&str, &str)>> = self
            .pending
            .iter()
            .map(|p| {
                p.meta
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect()
            })
            .collect();
        let payloads: Vec<&[u8]> = self.pending.iter().map(|p| p.payload.as_slice()).collect();
        let entries: Vec<Entry<'_>> = self
            .pending
            .iter()
            .enumerate()
            .map(|(i, p)| Entry {
                type_name: &p.type_name,
                meta: &metas[i],
                timestamp_ns: p.ts,
                parts: std::slice::from_ref(&payloads[i]),
            })
            .collect();
        let result = t.write_batch(&entries);
        let count = entries.len() as u64;
        drop(entries);
        self.pending.clear();
        self.bytes = 0;
        match result {
            Ok(first) => {
                self.first_seq.get_or_insert(first);
                self.written += count;
                self.unflushed = true;
                Ok(())
            }
            Err(e) => {
                if let (Some(first), Some(next)) = (before, t.next_seq()) {
                    if next > first {
                        self.first_seq.get_or_insert(first);
                        self.written += next - first;
                        self.unflushed = true;
                    }
                }
                Err(e.into())
            }
        }
    }

    /// Writes the pending records and hands every record written to the
    /// OS: the input is waiting for its producer. Durability is unchanged:
    /// the records are synced at the end, as before.
    fn hand_over(&mut self, t: &Target) -> CliResult<()> {
        self.flush(t)?;
        if self.unflushed {
            t.flush()?;
            self.unflushed = false;
        }
        Ok(())
    }
}

/// Standard input, read through a buffer. Before a read that would wait
/// for the producer (the buffer is used up and nothing more is ready), the
/// batch is written and handed to the OS: piped bulk input is still written
/// a batch at a time, while a slow producer's records (`tail -F`) are in the
/// file within a moment of their line, not when 1024 more have come or the
/// input ends.
struct Input<'a> {
    buf: BufReader<StdinLock<'static>>,
    batch: &'a RefCell<Batch>,
    target: &'a Target,
}

impl BufRead for Input<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.buf.buffer().is_empty() && !stdin_ready() {
            self.batch
                .borrow_mut()
                .hand_over(self.target)
                .map_err(|e| io::Error::other(Deferred(e)))?;
        }
        self.buf.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.buf.consume(n)
    }
}

impl Read for Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Whether standard input has bytes (or its end) to read without waiting.
fn stdin_ready() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, ours for the call; a zero timeout only checks.
    unsafe { libc::poll(&mut fd, 1, 0) > 0 }
}

/// An error of writing the batch before a read, carried out through the
/// reader as an `io::Error`.
#[derive(Debug)]
struct Deferred(CliError);

impl std::fmt::Display for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Deferred {}

/// The error of a read of standard input: the write's own error if the
/// batch written before the read failed.
fn input_error(e: io::Error) -> CliError {
    if !e.get_ref().is_some_and(|inner| inner.is::<Deferred>()) {
        return CliError::io_on("standard input", e);
    }
    match e.into_inner().map(|inner| inner.downcast::<Deferred>()) {
        Some(Ok(d)) => d.0,
        _ => unreachable!("checked above"),
    }
}

fn read_lines(mut input: Input<'_>, args: &WriteArgs, meta: &[(String, String)]) -> CliResult<()> {
    let (batch, t) = (input.batch, input.target);
    let type_name = args.type_name.clone().expect("checked");
    // A line longer than a record can be is refused as soon as that much of
    // it is read (not held in memory whole).
    let limit = batch.borrow().max_record_size;
    for n in 1u64.. {
        let mut line = Vec::new();
        let read = (&mut input)
            .take(limit.saturating_add(1))
            .read_until(b'\n', &mut line)
            .map_err(input_error)?;
        let now = time::now_ns();
        if read == 0 {
            break;
        }
        if read as u64 > limit && line.last() != Some(&b'\n') {
            return Err(CliError::usage(format!(
                "standard input: line {n}: longer than the maximum record size {limit} \
                 (--max-record-size)"
            )));
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let p = Pending {
            type_name: type_name.clone(),
            meta: meta.to_vec(),
            ts: Some(now),
            payload: line,
        };
        batch
            .borrow_mut()
            .add(t, p, || format!("standard input: line {n}"))?;
    }
    Ok(())
}

fn read_json(input: Input<'_>, args: &WriteArgs, meta: &[(String, String)]) -> CliResult<()> {
    let (batch, t) = (input.batch, input.target);
    // Each object's text, to read its members in order (see `Members`).
    // serde_json reads a byte at a time: through a `BufReader`, whose
    // bytes it reads fastest, that asks `input` for more only once it has
    // handed out all it holds.
    let input = BufReader::with_capacity(INPUT_BUFFER, input);
    let stream = serde_json::Deserializer::from_reader(input).into_iter::<Box<RawValue>>();
    for (i, v) in stream.enumerate() {
        let n = i + 1;
        let v = v.map_err(|e| {
            if e.is_io() {
                input_error(e.into())
            } else {
                CliError::usage(format!("standard input: JSON object {n}: {e}"))
            }
        })?;
        let now = time::now_ns();
        let p = pending_from_json(v.get(), args, meta, now)
            .map_err(|e| CliError::usage(format!("standard input: JSON object {n}: {e}")))?;
        batch
            .borrow_mut()
            .add(t, p, || format!("standard input: JSON object {n}"))?;
    }
    Ok(())
}

fn pending_from_json(
    text: &str,
    args: &WriteArgs,
    meta: &[(String, String)],
    now: i64,
) -> Result<Pending, String> {
    let mut members = Members::of(text).ok_or("not an object")?;
    // The fields used, the last of a key as in a `Value`; "meta" as text,
    // for its entries in order.
    let mut obj = serde_json::Map::new();
    let mut meta_text = None;
    // A payload that is not a string is stored as its text, compacted: a
    // `Value` would sort and merge its keys and round its numbers.
    let mut payload_text = None;
    while let Some(key) = members.next_key()? {
        match key.as_str() {
            "meta" => meta_text = Some(members.raw()?),
            "payload" => payload_text = Some(members.raw()?),
            "type" | "encoding" | "ts_ns" | "time" => {
                obj.insert(key, members.value()?);
            }
            _ => {
                members.raw()?;
            }
        }
    }
    let type_name = match obj.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"type\" is not a string".into()),
        None => args.type_name.clone().ok_or("no \"type\", and no --type")?,
    };
    let mut m = meta.to_vec();
    if let Some(mut entries) = meta_text.and_then(Members::of) {
        // An object: its entries in their order, a key written twice
        // twice (as `cat --json` prints them).
        while let Some(k) = entries.next_key()? {
            let v = entries.raw()?;
            m.push((k, text_of(v)?));
        }
    } else if let Some(t) = meta_text {
        meta_list(t, &mut m)?;
    }

    let payload = match payload_text.map(|t| t.trim_end_matches(WS)) {
        None | Some("null") => Vec::new(),
        Some(t) if t.starts_with('"') => {
            let s: String = serde_json::from_str(t).map_err(|e| e.to_string())?;
            match obj
                .get("encoding")
                .and_then(|e| e.as_str())
                .unwrap_or("utf8")
            {
                "utf8" | "text" | "utf8-lossy" => s.into_bytes(),
                "hex" => encoding::decode_hex(&s).ok_or("\"payload\" is not valid hex")?,
                "base64" => encoding::decode_base64(&s).ok_or("\"payload\" is not valid base64")?,
                other => {
                    return Err(format!(
                        "unknown \"encoding\" {other:?} (utf8, hex or base64)"
                    ))
                }
            }
        }
        Some(t) => compact_json(t),
    };
    let ts = match (obj.get("ts_ns"), obj.get("time")) {
        (Some(t), _) => Some(t.as_i64().ok_or("\"ts_ns\" is not an integer")?),
        (None, Some(Value::String(s))) => Some(time::parse_time(s, now)?),
        (None, Some(_)) => return Err("\"time\" is not a string".into()),
        (None, None) => Some(now),
    };
    Ok(Pending {
        type_name,
        meta: m,
        ts,
        payload,
    })
}

/// A "meta" that is not an object: a list of [key, value] pairs, or null.
fn meta_list(text: &str, m: &mut Vec<(String, String)>) -> Result<(), String> {
    if text.trim_end_matches(WS) == "null" {
        return Ok(());
    }
    let list: Vec<&RawValue> = serde_json::from_str(text)
        .map_err(|_| "\"meta\" must be an object or a list of [key, value] pairs")?;
    for pair in list {
        match serde_json::from_str::<Vec<&RawValue>>(pair.get()).as_deref() {
            Ok([k, v]) => m.push((text_of(k.get())?, text_of(v.get())?)),
            _ => return Err("\"meta\" pairs must be [key, value]".into()),
        }
    }
    Ok(())
}

/// JSON's white space.
const WS: [char; 4] = [' ', '\t', '\n', '\r'];

/// The members of a JSON object, read one by one from its text, in their
/// order and keys that appear more than once included: a
/// `serde_json::Value` object sorts its keys and keeps the last value of a
/// key, while `cat --json` prints a record's metadata as an object whose
/// keys are in written order and may repeat. The text is valid JSON (the
/// stream parsed it), so the errors here are for the unexpected.
struct Members<'a> {
    rest: &'a str,
    first: bool,
}

impl<'a> Members<'a> {
    /// `None` if `text` is not an object.
    fn of(text: &'a str) -> Option<Members<'a>> {
        let rest = text.trim_start_matches(WS).strip_prefix('{')?;
        Some(Members { rest, first: true })
    }

    /// The next member's key; `None` after the last. Its value must be
    /// read (`value` or `raw`) before the next key.
    fn next_key(&mut self) -> Result<Option<String>, String> {
        let mut r = self.rest.trim_start_matches(WS);
        if let Some(after) = r.strip_prefix('}') {
            self.rest = after;
            return Ok(None);
        }
        if !std::mem::replace(&mut self.first, false) {
            r = r.strip_prefix(',').ok_or("expected ',' or '}'")?;
        }
        let mut keys = serde_json::Deserializer::from_str(r).into_iter::<String>();
        let key = keys
            .next()
            .ok_or("expected a key")?
            .map_err(|e| e.to_string())?;
        let after = &r[keys.byte_offset()..];
        self.rest = after
            .trim_start_matches(WS)
            .strip_prefix(':')
            .ok_or("expected ':'")?;
        Ok(Some(key))
    }

    /// The value of the member whose key was just read.
    fn value(&mut self) -> Result<Value, String> {
        let mut values = serde_json::Deserializer::from_str(self.rest).into_iter::<Value>();
        let v = values
            .next()
            .ok_or("expected a value")?
            .map_err(|e| e.to_string())?;
        self.rest = &self.rest[values.byte_offset()..];
        Ok(v)
    }

    /// The text of the value of the member whose key was just read.
    fn raw(&mut self) -> Result<&'a str, String> {
        let start = self.rest;
        self.value()?;
        let len = start.len() - self.rest.len();
        Ok(start[..len].trim_start_matches(WS))
    }
}

/// Valid JSON text without the white space between its tokens.
fn compact_json(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        out.push(b);
    }
    out
}

/// `e`, its message prefixed with what it is about.
fn about(e: CliError, what: &str) -> CliError {
    match e {
        CliError::Usage(m) => CliError::Usage(format!("{what}: {m}")),
        CliError::Io(m) => CliError::Io(format!("{what}: {m}")),
        CliError::Damaged(m) => CliError::Damaged(format!("{what}: {m}")),
        CliError::BrokenPipe => CliError::BrokenPipe,
    }
}

/// A string's value, or the compact JSON text of any other value (a
/// `Value` would sort an object's keys and round big numbers).
fn text_of(text: &str) -> Result<String, String> {
    let text = text.trim_matches(WS);
    if text.starts_with('"') {
        return serde_json::from_str(text).map_err(|e| e.to_string());
    }
    String::from_utf8(compact_json(text)).map_err(|e| e.to_string())
}

fn key_value(flag: &str, s: &str) -> CliResult<(String, String)> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| CliError::usage(format!("{flag} {s:?}: expected KEY=VALUE")))
}

/// `4096`, `64K`, `64M`, `1G` (binary units; a trailing `B`/`iB` is fine).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        Some((i, 't' | 'T')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a size (e.g. 4096, 64K, 64M, 1G)"))
}

fn segment_options(args: &WriteArgs) -> CliResult<Options> {
    let mut o = Options::default();
    if let Some(c) = &args.content_type {
        o.content_type = c.clone();
    }
    for p in &args.params {
        o.params.push(key_value("--param", p)?);
    }
    if let Some(s) = args.first_seq {
        o.first_seq = s;
    }
    if let Some(m) = args.max_record_size {
        o.max_record_size = m;
    }
    o.writer_version = format!("{} (binlog write)", binlog::version::WRITER);
    Ok(o)
}

fn open_target(args: &WriteArgs) -> CliResult<(Target, String)> {
    let path = &args.path;
    let is_dir = path.is_dir();
    if is_dir || args.log.is_some() {
        if path.exists() && !is_dir {
            return Err(CliError::usage(format!(
                "{}: --log needs a directory, this is a file",
                path.display()
            )));
        }
        let name = match &args.log {
            Some(n) => n.clone(),
            None => {
                let logs: Vec<String> = paths::scan_dir(path, None)?
                    .into_iter()
                    .filter_map(|s| s.log.map(|l| l.name))
                    .collect();
                match logs.as_slice() {
                    [one] => one.clone(),
                    [] => {
                        return Err(CliError::usage(format!(
                            "{}: no log here; name the log to create with --log NAME",
                            path.display()
                        )))
                    }
                    many => {
                        return Err(CliError::usage(format!(
                            "{}: several logs ({}); choose one with --log NAME",
                            path.display(),
                            many.join(", ")
                        )))
                    }
                }
            }
        };
        let mut opts = LogOptions {
            segment: segment_options(args)?,
            max_segment_bytes: args.max_segment_bytes,
            max_segment_records: args.max_segment_records,
            background: false,
            ..LogOptions::default()
        };
        if let Some(s) = args.first_seq {
            opts.first_seq = s;
        }
        let w = LogWriter::open(path, &name, opts)?;
        return Ok((Target::Log(w), format!("log {name} in {}", path.display())));
    }
    if args.max_segment_bytes.is_some() || args.max_segment_records.is_some() {
        return Err(CliError::usage(
            "--max-segment-bytes and --max-segment-records apply to log directories (use --log NAME)",
        ));
    }
    let w = Writer::open(path, segment_options(args)?)?;
    Ok((Target::Segment(w), show(path)))
}

fn show(p: &Path) -> String {
    p.display().to_string()
}
