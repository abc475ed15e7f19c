//! Where `binlog write` writes: a segment file, or a log directory.

use super::args::WriteArgs;
use super::options::{log_options, segment_options};
use super::undo::Created;
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
                let r = Reader::open(w.path()).and_then(|mut r| r.seek_seq(first).map(|()| r));
                r.map_or(0, |mut r| {
                    count(first, n, || r.next().map(|o| o.map(|rec| rec.seq)))
                })
            }
            Destination::Log(w) => {
                let r = LogReader::open(w.dir(), w.name())
                    .and_then(|mut r| r.seek_seq(first).map(|()| r));
                r.map_or(0, |mut r| {
                    count(first, n, || r.next().map(|o| o.map(|rec| rec.seq)))
                })
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
/// Also what existed before, to remove what the write created if bad input
/// comes before any record.
pub(super) fn open(args: &WriteArgs) -> CliResult<(Destination, String, Created)> {
    let path = &args.path;
    if names_a_directory(path) || args.log.is_some() {
        if path.exists() && !path.is_dir() {
            return Err(CliError::usage(format!(
                "{}: a log is written into a directory, this is a file",
                path.display()
            )));
        }
        let name = match &args.log {
            Some(n) => n.clone(),
            None => the_log_in(path)?,
        };
        let mut options = log_options(args)?;
        let created = Created::log(path, &name);
        options.callbacks.push(created.segment_callback());
        let w = LogWriter::open(path, &name, options)?;
        let shown = format!("log {name} in {}", path.display());
        return Ok((Destination::Log(w), shown, created));
    }
    if args.max_segment_bytes.is_some() || args.max_segment_records.is_some() {
        return Err(CliError::usage(
            "--max-segment-bytes and --max-segment-records apply to log directories (use --log NAME)",
        ));
    }
    let options = segment_options(args)?;
    let created = Created::segment(path);
    let w = Writer::open(path, options)?;
    Ok((Destination::Segment(w), paths::show(path), created))
}

/// True when `path` names a directory: an existing one, or a path ending
/// in `/` (a directory to create). Such a PATH is written as a log.
pub(super) fn names_a_directory(path: &Path) -> bool {
    path.is_dir() || path.as_os_str().as_encoded_bytes().ends_with(b"/")
}

/// The name of the one log in directory `dir` (without `--log`); in a
/// directory that holds none (or does not exist yet), the directory's own
/// name (`/var/log/app/` holds log `app`).
fn the_log_in(dir: &Path) -> CliResult<String> {
    let logs: Vec<String> = match dir.is_dir() {
        true => binlog::naming::logs_in(dir, "*", "list directory")?
            .into_keys()
            .collect(),
        false => Vec::new(),
    };
    let own_name = || {
        let abs = std::path::absolute(dir).ok()?;
        Some(abs.file_name()?.to_str()?.to_string())
    };
    match logs.as_slice() {
        [one] => Ok(one.clone()),
        [] => own_name().ok_or_else(|| {
            CliError::usage(format!(
                "{}: no log here; name the log to create with --log NAME",
                dir.display()
            ))
        }),
        many => Err(CliError::usage(format!(
            "{}: several logs ({}); choose one with --log NAME",
            dir.display(),
            many.join(", ")
        ))),
    }
}
