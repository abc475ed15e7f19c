//! Where `binlog write` writes: a segment file, or a log directory.

use super::args::{key_value, WriteArgs};
use super::undo::Created;
use crate::error::{CliError, CliResult};
use crate::paths;
use binlog::{naming::logs_in, sign::Signing, LogOptions, Options};
use binlog::{LogReader, LogWriter, Reader, RecordReader, RecordWriter, Writer};
use std::path::Path;

/// The segment or log written to.
pub(super) enum Destination {
    Segment(Writer),
    Log(LogWriter),
}

impl Destination {
    /// The writer, as the library's calls common to both take it.
    pub(super) fn writer(&self) -> &dyn RecordWriter {
        match self {
            Destination::Segment(w) => w,
            Destination::Log(w) => w,
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
        let opened: binlog::Result<Box<dyn RecordReader>> = match self {
            Destination::Segment(w) => Reader::open(w.path()).map(|r| Box::new(r) as _),
            Destination::Log(w) => LogReader::open(w.dir(), w.name()).map(|r| Box::new(r) as _),
        };
        // Unreadable, or the seek fails: nothing known to be there.
        let Ok(mut r) = opened.and_then(|mut r| r.seek_seq(first).map(|()| r)) else {
            return 0;
        };
        let mut want = first;
        while want - first < n {
            match r.next() {
                Ok(Some(rec)) if rec.seq == want => want += 1,
                Ok(Some(rec)) if rec.seq < want => {}
                _ => break,
            }
        }
        want - first
    }

    /// Syncs and closes what was written to.
    pub(super) fn finish(&self) -> binlog::Result<()> {
        self.writer().sync().and_then(|()| self.writer().close())
    }
}

/// Opens what `args` names: the writer, and what to call it in messages.
/// Also what existed before, to remove what the write created if bad input
/// comes before any record.
pub(super) fn open(args: &WriteArgs) -> CliResult<(Destination, String, Created)> {
    let path = &args.path;
    // A PATH that names a directory (an existing one, or one ending in `/`,
    // to create) is written as a log.
    let names_a_directory = path.is_dir() || path.as_os_str().as_encoded_bytes().ends_with(b"/");
    if names_a_directory || args.log.is_some() {
        if path.exists() && !path.is_dir() {
            return Err(CliError::usage(format!(
                "{}: a log is written into a directory, this is a file",
                path.display()
            )));
        }
        let name = args.log.clone().map_or_else(|| the_log_in(path), Ok)?;
        let mut options = LogOptions {
            segment: segment_options(args)?,
            max_segment_bytes: args.max_segment_bytes,
            max_segment_records: args.max_segment_records,
            first_seq: args.first_seq.unwrap_or(LogOptions::default().first_seq),
            ..LogOptions::default()
        };
        let created = Created::log(path, &name);
        options.callbacks.push(created.segment_callback());
        let w = LogWriter::open(path, &name, options)?;
        let shown = format!("log {name} in {}", path.display());
        return Ok((Destination::Log(w), shown, created));
    }
    let rolls = args.max_segment_bytes.is_some() || args.max_segment_records.is_some();
    let why = "--max-segment-bytes and --max-segment-records apply to log directories \
               (use --log NAME)";
    crate::error::refuse(rolls, why)?;
    let options = segment_options(args)?;
    let created = Created::segment(path);
    let w = Writer::open(path, options)?;
    Ok((Destination::Segment(w), paths::show(path), created))
}

/// The name of the one log in directory `dir` (without `--log`); in a
/// directory that holds none (or does not exist yet), the directory's own
/// name (`/var/log/app/` holds log `app`).
fn the_log_in(dir: &Path) -> CliResult<String> {
    let logs: Vec<String> = match dir.is_dir() {
        true => logs_in(dir, "*", "list directory")?.into_keys().collect(),
        false => Vec::new(),
    };
    let own_name = || {
        let abs = std::path::absolute(dir).ok()?;
        Some(abs.file_name()?.to_str()?.to_string())
    };
    let shown = dir.display();
    let none = || format!("{shown}: no log here; name the log to create with --log NAME");
    match logs.as_slice() {
        [one] => Ok(one.clone()),
        [] => own_name().ok_or_else(|| CliError::usage(none())),
        many => {
            let many = many.join(", ");
            let why = format!("{shown}: several logs ({many}); choose one with --log NAME");
            Err(CliError::usage(why))
        }
    }
}

/// The options of a segment written to, from the command line.
fn segment_options(args: &WriteArgs) -> CliResult<Options> {
    let default = Options::default();
    let params = args.params.iter().map(|p| key_value("--param", p));
    let signing = args.signing_key.as_ref().map(Signing::from_key_file);
    Ok(Options {
        content_type: args.content_type.clone().unwrap_or(default.content_type),
        params: params.collect::<CliResult<_>>()?,
        first_seq: args.first_seq.unwrap_or(default.first_seq),
        schemas: args.schemas.clone(),
        max_record_size: args.max_record_size.unwrap_or(default.max_record_size),
        writer_version: format!("{} (binlog write)", binlog::version::WRITER),
        signing: signing.transpose()?,
        ..default
    })
}
