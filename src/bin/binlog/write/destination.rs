//! Where `binlog write` writes: a segment file, or a log directory.

use super::args::WriteArgs;
use super::options::{log_options, segment_options};
use crate::error::{CliError, CliResult};
use crate::paths;
use binlog::{Entry, LogReader, LogWriter, Reader, Writer};
use std::path::Path;

/// The segment or log written to.
pub(super) enum Destination {
    Segment(Writer),
    Log(LogWriter),
}

impl Destination {
    pub(super) fn write_batch(&self, entries: &[Entry<'_>]) -> binlog::Result<u64> {
        match self {
            Destination::Segment(w) => w.write_batch(entries),
            Destination::Log(w) => w.write_batch(entries),
        }
    }

    /// Hands the records written to the OS (readers see them; a killed
    /// process leaves them in the file).
    pub(super) fn flush(&self) -> binlog::Result<()> {
        match self {
            Destination::Segment(w) => w.flush(),
            Destination::Log(w) => w.flush(),
        }
    }

    /// The sequence number the next record will get, if the writer can
    /// say.
    pub(super) fn next_seq(&self) -> Option<u64> {
        match self {
            Destination::Segment(w) => Some(w.next_seq()),
            Destination::Log(w) => w.next_seq().ok(),
        }
    }

    /// How many of the `n` records written from sequence number `first`
    /// on are whole in the file (or the log), read back: those before the
    /// first one missing or unreadable.
    pub(super) fn count_in_file(&self, first: u64, n: u64) -> u64 {
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
            Destination::Segment(w) => {
                let Ok(mut r) = Reader::open(w.path()) else {
                    return 0;
                };
                if r.seek_seq(first).is_err() {
                    return 0;
                }
                count(first, n, || r.next().map(|o| o.map(|rec| rec.seq)))
            }
            Destination::Log(w) => {
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

    pub(super) fn finish(&self) -> binlog::Result<()> {
        match self {
            Destination::Segment(w) => w.sync().and_then(|()| w.close()),
            Destination::Log(w) => w.sync().and_then(|()| w.close()),
        }
    }
}

/// Opens what `args` names: the writer, and what to call it in messages.
pub(super) fn open(args: &WriteArgs) -> CliResult<(Destination, String)> {
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
            None => the_log_in(path)?,
        };
        let w = LogWriter::open(path, &name, log_options(args)?)?;
        let shown = format!("log {name} in {}", path.display());
        return Ok((Destination::Log(w), shown));
    }
    if args.max_segment_bytes.is_some() || args.max_segment_records.is_some() {
        return Err(CliError::usage(
            "--max-segment-bytes and --max-segment-records apply to log directories (use --log NAME)",
        ));
    }
    let w = Writer::open(path, segment_options(args)?)?;
    Ok((Destination::Segment(w), paths::show(path)))
}

/// The name of the one log in directory `dir` (without `--log`).
fn the_log_in(dir: &Path) -> CliResult<String> {
    let logs: Vec<String> = paths::scan_dir(dir, None)?
        .into_iter()
        .filter_map(|s| s.log.map(|l| l.name))
        .collect();
    match logs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::usage(format!(
            "{}: no log here; name the log to create with --log NAME",
            dir.display()
        ))),
        many => Err(CliError::usage(format!(
            "{}: several logs ({}); choose one with --log NAME",
            dir.display(),
            many.join(", ")
        ))),
    }
}
