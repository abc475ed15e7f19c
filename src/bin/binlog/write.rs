//! `binlog write`: appends records read from standard input: one per line
//! (the line is the payload), or one per JSON object with `--json`. For
//! scripts and tests. Records are written in batches; the segment (or the
//! log's current segment) is synced and sealed at the end.

use crate::encoding;
use crate::error::{CliError, CliResult, Outcome};
use crate::paths;
use crate::time;
use binlog::{Entry, LogOptions, LogWriter, Options, Writer};
use clap::Args;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
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
    let mut batch = Batch {
        pending: Vec::new(),
        bytes: 0,
        written: 0,
        first_seq: None,
    };
    let input = std::io::stdin().lock();
    let result = if args.json {
        read_json(input, args, &meta, &target, &mut batch)
    } else {
        read_lines(input, args, &meta, &target, &mut batch)
    };
    let flushed = result.and_then(|()| batch.flush(&target));
    let closed = target.finish().map_err(CliError::from);
    match (batch.written, batch.first_seq) {
        (0, _) | (_, None) => eprintln!("binlog: wrote 0 records to {shown}"),
        (n, Some(first)) => eprintln!(
            "binlog: wrote {n} record{} (seq {first}..{}) to {shown}",
            if n == 1 { "" } else { "s" },
            first + n - 1
        ),
    }
    flushed?;
    closed?;
    Ok(Outcome::Clean)
}

struct Batch {
    pending: Vec<Pending>,
    bytes: usize,
    written: u64,
    first_seq: Option<u64>,
}

impl Batch {
    fn push(&mut self, t: &Target, p: Pending) -> CliResult<()> {
        self.bytes += p.payload.len();
        self.pending.push(p);
        if self.pending.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES {
            self.flush(t)?;
        }
        Ok(())
    }

    fn flush(&mut self, t: &Target) -> CliResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
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
        let first = t.write_batch(&entries)?;
        self.first_seq.get_or_insert(first);
        self.written += entries.len() as u64;
        self.pending.clear();
        self.bytes = 0;
        Ok(())
    }
}

fn read_lines(
    mut input: impl BufRead,
    args: &WriteArgs,
    meta: &[(String, String)],
    t: &Target,
    batch: &mut Batch,
) -> CliResult<()> {
    let type_name = args.type_name.clone().expect("checked");
    loop {
        let mut line = Vec::new();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| CliError::io_on("standard input", e))?;
        if n == 0 {
            return Ok(());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        batch.push(
            t,
            Pending {
                type_name: type_name.clone(),
                meta: meta.to_vec(),
                ts: None,
                payload: line,
            },
        )?;
    }
}

fn read_json(
    input: impl Read,
    args: &WriteArgs,
    meta: &[(String, String)],
    t: &Target,
    batch: &mut Batch,
) -> CliResult<()> {
    let stream = serde_json::Deserializer::from_reader(BufReader::new(input)).into_iter::<Value>();
    let now = time::now_ns();
    for (i, v) in stream.enumerate() {
        let n = i + 1;
        let v = v.map_err(|e| {
            if e.is_io() {
                CliError::io(format!("standard input: {e}"))
            } else {
                CliError::usage(format!("standard input: JSON object {n}: {e}"))
            }
        })?;
        let p = pending_from_json(&v, args, meta, now)
            .map_err(|e| CliError::usage(format!("standard input: JSON object {n}: {e}")))?;
        batch.push(t, p)?;
    }
    Ok(())
}

fn pending_from_json(
    v: &Value,
    args: &WriteArgs,
    meta: &[(String, String)],
    now: i64,
) -> Result<Pending, String> {
    let obj = v.as_object().ok_or("not an object")?;
    let type_name = match obj.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"type\" is not a string".into()),
        None => args.type_name.clone().ok_or("no \"type\", and no --type")?,
    };
    let mut m = meta.to_vec();
    match obj.get("meta") {
        None | Some(Value::Null) => {}
        Some(Value::Object(o)) => {
            for (k, v) in o {
                m.push((k.clone(), text_of(v)));
            }
        }
        Some(Value::Array(a)) => {
            for pair in a {
                match pair.as_array().map(|p| p.as_slice()) {
                    Some([k, v]) => m.push((text_of(k), text_of(v))),
                    _ => return Err("\"meta\" pairs must be [key, value]".into()),
                }
            }
        }
        Some(_) => return Err("\"meta\" must be an object or a list of [key, value] pairs".into()),
    }
    let payload = match obj.get("payload") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => match obj
            .get("encoding")
            .and_then(|e| e.as_str())
            .unwrap_or("utf8")
        {
            "utf8" | "text" | "utf8-lossy" => s.as_bytes().to_vec(),
            "hex" => encoding::decode_hex(s).ok_or("\"payload\" is not valid hex")?,
            "base64" => encoding::decode_base64(s).ok_or("\"payload\" is not valid base64")?,
            other => {
                return Err(format!(
                    "unknown \"encoding\" {other:?} (utf8, hex or base64)"
                ))
            }
        },
        Some(other) => serde_json::to_vec(other).map_err(|e| e.to_string())?,
    };
    let ts = match (obj.get("ts_ns"), obj.get("time")) {
        (Some(t), _) => Some(t.as_i64().ok_or("\"ts_ns\" is not an integer")?),
        (None, Some(Value::String(s))) => Some(time::parse_time(s, now)?),
        (None, Some(_)) => return Err("\"time\" is not a string".into()),
        (None, None) => None,
    };
    Ok(Pending {
        type_name,
        meta: m,
        ts,
        payload,
    })
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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
