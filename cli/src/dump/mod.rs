//! `binlog dump`: the raw framing of a segment, frame by frame: offsets,
//! lengths, stored and computed CRCs, the kind/flags byte, the header
//! fields of each record and its first payload bytes; then the parts of the
//! seal and the trailer. Bad frames are shown with what is wrong, and the
//! dump resumes where the library's reader resumed after them, and names
//! each record's type as the reader names it (it has no rule of its own for
//! either).
//!
//! `header` prints the header, `records` the record region frame by frame,
//! `seal` the parts of the seal; `line` formats each line.

mod header;
mod line;
mod records;
mod seal;

use crate::error::{CliError, CliResult, Outcome};
use crate::original;
use crate::output;
use crate::paths::{self, SourceArgs};
use crate::progress::NoProgressAccepted;
use binlog::codec::{read_seal, TRAILER_LEN, TRAILER_MAGIC};
use clap::Args;
use line::{DumpOutput, Field};
use records::{ReaderView, RecordDump};
use std::io::Write;
use std::path::Path;

#[derive(Args, Debug)]
#[command(after_help = "\
Each line is one part of the file: its offset (@N), what it is, its length,
then field=value pairs. See docs/FORMAT.md for what the fields mean.

Examples:
  binlog dump events.binlog
  binlog dump big.binlog --from-offset 4096 --limit 20
  binlog dump orders.binlog --json --bytes 64")]
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
    for f in files {
        damaged += usize::from(dump_file(&f, args, &mut out)?);
    }
    out.flush()?;
    Ok(Outcome::damaged_if(binlog::records_missing([], damaged)))
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
    let mut lost = Vec::new();
    let (file, map) = original::map_noting(path, &mut lost)?;
    for l in &lost {
        eprintln!("binlog: damaged: {l}");
    }
    let zeros_from = original::zeros_from(&file, map.len());
    dump_bytes(path, &map, zeros_from, &verdict, args, out)?;
    Ok(verdict.is_damaged())
}

/// What the library's reader finds in the segment at `path`, read to its
/// end skipping damage as `binlog verify` reads it (nothing if it cannot be
/// opened: the dump then shows its bytes without resuming or names).
fn read_by_reader(path: &Path) -> ReaderView {
    let mut view = ReaderView::default();
    let Ok(mut r) = binlog::Reader::open_salvage(path) else {
        return view;
    };
    r.skip_damaged(true);
    // `next`, not `next_header`: every record's CRC is checked, as verify
    // checks it. A read that fails ends what is known.
    while let Ok(Some(rec)) = r.next() {
        let name = || output::shown_type_name(&rec).into_owned();
        records::name_once(&mut view.names, rec.type_id(), name);
    }
    view.regions = r.damages().to_vec();
    view
}

/// Dumps the bytes `map` of the file at `path`, zeros from `zeros_from`
/// on (`verdict`: the library's verification of it).
fn dump_bytes(
    path: &Path,
    map: &[u8],
    zeros_from: usize,
    verdict: &binlog::verify::SegmentReport,
    args: &DumpArgs,
    out: &mut impl Write,
) -> CliResult<()> {
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
        return d.line(0, what, 0, vec![("note", note)]);
    }
    let Some((data_start, header)) = header::dump_header(&mut d, map, path)? else {
        return Ok(());
    };
    // A file that ends in zeros has no seal, and its end is not read
    // through the map (a writer's zeros, which sealing cuts).
    let ends_in_zeros = zeros_from < map.len();
    let may_have_seal = header.is_some() && !ends_in_zeros;
    let sealdir = may_have_seal.then(|| read_seal(map, data_start)).flatten();
    let read = read_by_reader(path);
    let mut records = RecordDump::new(map, sealdir.as_ref(), &read, zeros_from);
    let p = args
        .from_offset
        .map_or(data_start, |o| records.skip_to(data_start, o));
    if !records.dump(&mut d, p, args)? {
        return Ok(());
    }
    if let Some(s) = &sealdir {
        seal::dump_seal(&mut d, map, s)?;
    } else if !ends_in_zeros && map.len() >= TRAILER_LEN && map.ends_with(&TRAILER_MAGIC) {
        let (at, len) = ((map.len() - TRAILER_LEN) as u64, TRAILER_LEN as u64);
        d.note(at, "trailer", len, "a trailer without a usable seal")?;
    }
    Ok(())
}
