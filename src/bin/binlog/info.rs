//! `binlog info`: what each segment is (header fields, sealed or not) and
//! holds (records per type, sequence and time ranges, bytes), and totals.
//! A sealed segment is summarized from its seal without reading records; an
//! unsealed one is scanned.

use crate::continuity::{Break, Continuity};
use crate::error::{is_damage, CliError, CliResult, Outcome};
use crate::lock;
use crate::output::{self, human_bytes};
use crate::paths;
use crate::progress::Progress;
use crate::time::rfc3339;
use binlog::format::header::SegmentHeader;
use binlog::{Reader, Tail};
use clap::Args;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  binlog info orders.binlog
  binlog info /var/log/orders
  binlog info /var/log/orders --json | jq .total.records")]
pub struct InfoArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Default, Clone)]
struct Counts {
    records: u64,
    first_seq: Option<u64>,
    last_seq: Option<u64>,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
    /// (name, records, frame bytes) in order of first use.
    types: Vec<(String, u64, u64)>,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.records += o.records;
        self.first_seq = min_opt(self.first_seq, o.first_seq);
        self.last_seq = self.last_seq.max(o.last_seq);
        if self.first_ts.is_none() {
            self.first_ts = o.first_ts;
        }
        if o.last_ts.is_some() {
            self.last_ts = o.last_ts;
        }
        self.min_ts = min_opt(self.min_ts, o.min_ts);
        self.max_ts = self.max_ts.max(o.max_ts);
        for (n, c, b) in &o.types {
            match self.types.iter_mut().find(|t| t.0 == *n) {
                Some(t) => {
                    t.1 += c;
                    t.2 += b;
                }
                None => self.types.push((n.clone(), *c, *b)),
            }
        }
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

struct SegInfo {
    path: PathBuf,
    file_len: u64,
    header: Option<SegmentHeader>,
    header_len: u64,
    records_end: u64,
    /// sealed, unsealed, torn-tail, seal-damaged, corrupt
    state: &'static str,
    detail: Option<String>,
    locked: bool,
    counts: Counts,
    damaged: bool,
}

pub fn run(args: &InfoArgs) -> CliResult<Outcome> {
    let sources = paths::resolve(&args.paths, args.log.as_deref())?;
    let files = paths::all_files(&sources);
    let total_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut progress = Progress::bytes(total_bytes, "info");
    let mut out = output::stdout();
    let mut total = Counts::default();
    let (mut sealed, mut damaged, mut bytes) = (0u64, 0u64, 0u64);
    let mut json_segments = Vec::new();
    let mut continuity = Continuity::default();
    let mut gaps = Vec::new();
    for f in &files {
        let s = segment(f, &mut progress)?;
        progress.file_done(s.file_len);
        if let Some(h) = &s.header {
            if let Some(b) = continuity.check(f, h.first_seq, None) {
                progress.suspend(|| eprintln!("binlog: gap: {}", b.message()));
                gaps.push((b, f.clone()));
            }
        }
        // Records in a segment are numbered without gaps: it ends at its
        // first sequence number plus its records, unless damage hid some.
        let end = s
            .header
            .as_ref()
            .filter(|_| !s.damaged)
            .map(|h| h.first_seq + s.counts.records);
        continuity.visited(f, end);
        total.merge(&s.counts);
        bytes += s.file_len;
        sealed += (s.state == "sealed") as u64;
        damaged += s.damaged as u64;
        if args.json {
            json_segments.push(seg_json(&s));
        } else {
            progress.suspend(|| print_segment(&mut out, &s))?;
        }
    }
    progress.finish();
    let n = files.len() as u64;
    if args.json {
        let doc = json!({
            "segments": json_segments,
            "total": {
                "segments": n,
                "sealed": sealed,
                "damaged": damaged,
                "bytes": bytes,
                "gaps": gaps.iter().map(|(b, f)| gap_json(b, f)).collect::<Vec<Value>>(),
                "counts": counts_json(&total),
            }
        });
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(|e| CliError::from(std::io::Error::from(e)))?;
        writeln!(out)?;
    } else if n > 1 {
        writeln!(
            out,
            "total: {n} segments, {sealed} sealed{}",
            if damaged > 0 {
                format!(", {damaged} damaged")
            } else {
                String::new()
            }
        )?;
        print_counts(&mut out, &total)?;
        for (b, f) in &gaps {
            let (label, what) = match b {
                Break::Missing { from, to, .. } if from == to => {
                    ("missing", format!("record {from}"))
                }
                Break::Missing { from, to, .. } => ("missing", format!("records {from}..{to}")),
                Break::Overlap { .. } => ("overlap", "sequence numbers".to_string()),
            };
            writeln!(out, "  {label:<12}{what}, before {}", paths::show(f))?;
        }
        writeln!(out, "  {:<12}{} ({bytes})", "bytes", human_bytes(bytes))?;
    }
    out.flush()?;
    Ok(Outcome::damaged_if(damaged > 0 || !gaps.is_empty()))
}

/// A break between two segments of a log, for `--json`.
fn gap_json(b: &Break, file: &Path) -> Value {
    match b {
        Break::Missing { from, to, message } => json!({
            "kind": "missing", "from_seq": from, "to_seq": to,
            "before": paths::show(file), "message": message,
        }),
        Break::Overlap { message } => json!({
            "kind": "overlap", "before": paths::show(file), "message": message,
        }),
    }
}

fn segment(path: &Path, progress: &mut Progress) -> CliResult<SegInfo> {
    let file_len = std::fs::metadata(path)
        .map_err(|e| CliError::io_on(paths::show(path), e))?
        .len();
    let mut s = SegInfo {
        path: path.to_path_buf(),
        file_len,
        header: None,
        header_len: 0,
        records_end: 0,
        state: "unsealed",
        detail: None,
        locked: false,
        counts: Counts::default(),
        damaged: false,
    };
    let mut r = match Reader::open(path) {
        Ok(r) => r,
        Err(e) if is_damage(&e) => {
            s.state = "corrupt";
            s.detail = Some(e.message().to_string());
            s.damaged = true;
            return Ok(s);
        }
        Err(e) => return Err(e.into()),
    };
    s.header = Some(r.header().clone());
    s.header_len = r.data_start();
    if let Some(d) = r.seal() {
        s.state = "sealed";
        s.records_end = d.records_end;
        let c = &mut s.counts;
        c.records = d.record_count;
        if d.record_count > 0 {
            c.first_seq = Some(d.first_seq);
            c.last_seq = Some(d.last_seq);
            c.first_ts = Some(d.first_ts);
            c.last_ts = Some(d.last_ts);
            c.min_ts = Some(d.min_ts);
            c.max_ts = Some(d.max_ts);
        }
        c.types = d
            .types
            .iter()
            .map(|t| (t.name.clone(), t.count, t.bytes))
            .collect();
        return Ok(s);
    }
    // Unsealed: scan.
    s.locked = lock::is_locked(path);
    let mut index: HashMap<String, usize> = HashMap::new();
    let c = &mut s.counts;
    loop {
        match r.next() {
            Ok(Some(rec)) => {
                progress.at(rec.offset);
                c.records += 1;
                c.first_seq.get_or_insert(rec.seq);
                c.last_seq = Some(rec.seq);
                let ts = rec.timestamp_ns;
                c.first_ts.get_or_insert(ts);
                c.last_ts = Some(ts);
                c.min_ts = min_opt(c.min_ts, Some(ts));
                c.max_ts = c.max_ts.max(Some(ts));
                let i = match index.get(rec.type_name) {
                    Some(&i) => i,
                    None => {
                        index.insert(rec.type_name.to_string(), c.types.len());
                        c.types.push((rec.type_name.to_string(), 0, 0));
                        c.types.len() - 1
                    }
                };
                c.types[i].1 += 1;
                c.types[i].2 += rec.frame_len;
            }
            Ok(None) => break,
            Err(e) => {
                s.state = "corrupt";
                s.detail = Some(format!(
                    "{} (counts cover the records before it)",
                    e.message()
                ));
                s.damaged = true;
                break;
            }
        }
    }
    s.records_end = r.position();
    if !s.damaged {
        match r.tail() {
            Tail::Torn { offset, len } => {
                s.state = "torn-tail";
                s.detail = Some(if s.locked {
                    format!("offset {offset}: {len} bytes of a record being written")
                } else {
                    format!("offset {offset}: {len} bytes that are not a whole record (`binlog repair` cuts them)")
                });
            }
            Tail::SealDamaged { offset } => {
                s.state = "seal-damaged";
                s.detail = Some(format!(
                    "offset {offset}: the seal is damaged or incomplete"
                ));
            }
            Tail::Sealed => s.state = "sealed",
            _ if s.locked => s.detail = Some("a writer has it open".into()),
            _ => s.detail = Some("its writer did not close it".into()),
        }
    }
    Ok(s)
}

fn print_segment(out: &mut impl Write, s: &SegInfo) -> CliResult<()> {
    writeln!(out, "{}", paths::show(&s.path))?;
    let row = |out: &mut dyn Write, k: &str, v: String| writeln!(out, "  {k:<12}{v}");
    if let Some(h) = &s.header {
        row(
            out,
            "format",
            format!("{}.{} (header {} bytes)", h.major, h.minor, s.header_len),
        )?;
        row(
            out,
            "log",
            format!("{:?}, segment {}", h.log_name, h.segment_no),
        )?;
        row(out, "created", rfc3339(h.created_ns))?;
        row(out, "first seq", h.first_seq.to_string())?;
        if !h.content_type.is_empty() {
            row(out, "content", h.content_type.clone())?;
        }
        row(out, "writer", h.writer.clone())?;
        if !h.params.is_empty() {
            let p: Vec<String> = h.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row(out, "params", p.join(" "))?;
        }
    }
    let state = match &s.detail {
        Some(d) => format!("{}: {d}", s.state),
        None => s.state.to_string(),
    };
    row(out, "state", state)?;
    if s.header.is_some() {
        print_counts(out, &s.counts)?;
        let seal = s.file_len.saturating_sub(s.records_end);
        row(
            out,
            "bytes",
            format!(
                "{} ({}): header {}, records {}{}",
                human_bytes(s.file_len),
                s.file_len,
                s.header_len,
                s.records_end.saturating_sub(s.header_len),
                match s.state {
                    "sealed" => format!(", seal {seal}"),
                    _ if seal > 0 => format!(", after the records {seal}"),
                    _ => String::new(),
                }
            ),
        )?;
    }
    writeln!(out)?;
    Ok(())
}

fn print_counts(out: &mut impl Write, c: &Counts) -> CliResult<()> {
    match (c.first_seq, c.last_seq) {
        (Some(f), Some(l)) => writeln!(out, "  {:<12}{}, seq {f}..{l}", "records", c.records)?,
        _ => writeln!(out, "  {:<12}0", "records")?,
    }
    if let (Some(f), Some(l), Some(lo), Some(hi)) = (c.first_ts, c.last_ts, c.min_ts, c.max_ts) {
        writeln!(out, "  {:<12}{} .. {}", "time", rfc3339(f), rfc3339(l))?;
        if lo != f || hi != l {
            writeln!(
                out,
                "  {:<12}{} .. {} (earliest .. latest)",
                "",
                rfc3339(lo),
                rfc3339(hi)
            )?;
        }
    }
    let width = c
        .types
        .iter()
        .map(|t| t.0.chars().count())
        .max()
        .unwrap_or(0);
    for (i, (name, n, b)) in c.types.iter().enumerate() {
        let label = if i == 0 { "types" } else { "" };
        writeln!(
            out,
            "  {label:<12}{name:<width$}  {n:>12} records  {:>12}",
            human_bytes(*b)
        )?;
    }
    Ok(())
}

fn counts_json(c: &Counts) -> Value {
    json!({
        "records": c.records,
        "first_seq": c.first_seq,
        "last_seq": c.last_seq,
        "first_time": c.first_ts.map(rfc3339),
        "last_time": c.last_ts.map(rfc3339),
        "min_time": c.min_ts.map(rfc3339),
        "max_time": c.max_ts.map(rfc3339),
        "first_ts_ns": c.first_ts,
        "last_ts_ns": c.last_ts,
        "types": c.types.iter().map(|(n, r, b)| json!({"type": n, "records": r, "bytes": b})).collect::<Vec<_>>(),
    })
}

fn seg_json(s: &SegInfo) -> Value {
    let header = s.header.as_ref().map(|h| {
        json!({
            "version": format!("{}.{}", h.major, h.minor),
            "header_len": s.header_len,
            "created": rfc3339(h.created_ns),
            "created_ns": h.created_ns,
            "segment_no": h.segment_no,
            "first_seq": h.first_seq,
            "log_name": h.log_name,
            "content_type": h.content_type,
            "writer": h.writer,
            "params": h.params.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        })
    });
    json!({
        "path": paths::show(&s.path),
        "bytes": s.file_len,
        "records_end": s.records_end,
        "state": s.state,
        "sealed": s.state == "sealed",
        "detail": s.detail,
        "locked": s.locked,
        "damaged": s.damaged,
        "header": header,
        "counts": counts_json(&s.counts),
    })
}
