//! What a PATH argument names: a segment file, several of them (read in the
//! order given), or a log directory (each log in it, by name, in segment
//! order, a file salvaged from a segment right after it; other `*.binlog`
//! files in it are standalone segments: docs/FORMAT.md section 14a).

use crate::error::{CliError, CliResult, Outcome};
use crate::remote::{is_remote, remote_log};
use binlog::archive::RemoteLog;
use binlog::naming::{self, ReadOrder};
use std::path::{Path, PathBuf};

/// A set of segments read as one stream.
#[derive(Clone, Debug)]
pub struct Source {
    /// What to call it in reports: the log's name and directory, or "files".
    pub label: String,
    pub files: Vec<PathBuf>,
    /// Set when the source is a rolling log found in a directory.
    pub log: Option<LogId>,
}

impl Source {
    /// Files read as one stream, no log's.
    fn of_files(label: String, files: Vec<PathBuf>) -> Source {
        Source {
            label,
            files,
            log: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogId {
    pub dir: PathBuf,
    pub name: String,
}

/// The segment files or log directories a command reads: `PATH...` and
/// `--log NAME`.
#[derive(clap::Args, Debug, Clone)]
pub struct SourceArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
}

impl SourceArgs {
    /// For `binlog info` and `binlog verify` given URLs: runs `f`
    /// (`remote::logs::list_objects`, `remote::verify_log`: what `binlog
    /// remote ls` and `remote verify` do) on each remote log they name;
    /// `None` if they name local paths only (an error if both).
    pub fn run_on_urls(
        &self,
        f: &dyn Fn(&RemoteLog) -> CliResult<Outcome>,
    ) -> Option<CliResult<Outcome>> {
        let remote = self.paths.iter().filter(|p| is_remote(p)).count();
        if remote == 0 {
            return None;
        }
        if remote < self.paths.len() {
            let both = "give either s3:// URLs or local paths, not both";
            return Some(Err(CliError::usage(both)));
        }
        let log = |p: &PathBuf| remote_log(p.to_str().unwrap_or_default(), self.log.as_deref());
        let mut outcomes = self.paths.iter().map(|p| log(p).and_then(|l| f(&l)));
        Some(outcomes.try_fold(Outcome::Clean, |o, each| Ok(o.max(each?))))
    }

    /// Resolves the PATH arguments. Files given on the command line form one
    /// source, in the order given; every directory contributes its logs
    /// (`scan_dir`; only the one `--log` names, if given) and, without
    /// `--log`, its standalone segments.
    pub fn resolve(&self) -> CliResult<Vec<Source>> {
        let only = self.log.as_deref();
        let mut sources = Vec::new();
        let mut files = Vec::new();
        for p in &self.paths {
            if is_remote(p) {
                let files = crate::remote::resolve(p, only)?;
                sources.push(Source::of_files(p.display().to_string(), files));
                continue;
            }
            let (p, meta) = &stat_path(p)?;
            if meta.is_dir() {
                let found = scan_dir(p, only)?;
                match (found.is_empty(), only) {
                    // Not there (docs/FORMAT.md 14a, "A log that is not there").
                    (true, Some(n)) => naming::require_log(p, n, false)?,
                    (true, None) => {
                        let what =
                            format!("{}: no log and no segment (*.binlog) here", p.display());
                        return Err(CliError::usage(what));
                    }
                    (false, _) => sources.extend(found),
                }
            } else {
                files.push(p.clone());
            }
        }
        if !files.is_empty() {
            let label = match files.as_slice() {
                [one] => one.display().to_string(),
                _ => format!("{} files", files.len()),
            };
            sources.insert(0, Source::of_files(label, files));
        }
        Ok(sources)
    }
}

/// The file `p` names and its metadata: for a missing `.binlog` whose
/// segment was compressed since its path was handed out, its `.zst`
/// (`naming::compressed_copy_of`, as the library's reader opens it).
fn stat_path(p: &Path) -> CliResult<(PathBuf, std::fs::Metadata)> {
    match std::fs::metadata(p) {
        Ok(meta) => Ok((p.to_path_buf(), meta)),
        Err(e) => match naming::compressed_copy_of(p) {
            Some(zst) if e.kind() == std::io::ErrorKind::NotFound => {
                let meta =
                    std::fs::metadata(&zst).map_err(|e| CliError::io_on(zst.display(), e))?;
                Ok((zst, meta))
            }
            _ => Err(CliError::io_on(p.display(), e)),
        },
    }
}

/// Every segment of every source, in order.
pub fn all_files(sources: &[Source]) -> Vec<PathBuf> {
    sources.iter().flat_map(|s| s.files.clone()).collect()
}

/// The bytes of `files` together (a file that cannot be read counts 0), for
/// a progress bar.
pub fn total_len(files: &[PathBuf]) -> u64 {
    let len = |f: &PathBuf| std::fs::metadata(f).map_or(0, |m| m.len());
    files.iter().map(len).sum()
}

/// The directory of `file`, as "." when it has none (so that `a.binlog`
/// and `./a.binlog` are in the same one).
pub fn dir_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The log the file at `path` belongs to by its name (a segment's, or a
/// file salvaged from one: `naming::log_of_file_name`), and where it
/// stands in the log's read order.
pub fn log_of_file(path: &Path) -> Option<(String, ReadOrder)> {
    naming::log_of_file_name(path.file_name()?.to_str()?)
}

/// Whether `file` is named as a log's file and is the last of that log's
/// files among `files` (a directory's logs are read one after another):
/// the log's newest, which may have no header yet.
pub fn is_newest_of_its_log(files: &[PathBuf], file: &Path) -> bool {
    let log = |f: &Path| Some((dir_of(f), log_of_file(f)?.0));
    let Some(this) = log(file) else {
        return false;
    };
    let last = files.iter().rev().find(|f| log(f).as_ref() == Some(&this));
    last.is_some_and(|f| f == file)
}

/// For a file named as a file of a log, refuses one whose header names
/// another log (a segment copied or renamed in) or another segment number,
/// as the library's log reader does: its records are not that log's, or
/// not in that place.
pub fn check_log_of(file: &Path, r: &binlog::Reader) -> binlog::Result<()> {
    match log_of_file(file) {
        Some((name, _)) => naming::check_file_name(file, r.header(), &name),
        None => Ok(()),
    }
}

/// The logs `dir` holds (`naming::logs_in`, the library's rule: a log whose
/// segments are all gone is there with no file; only the one named `only`,
/// if given), sorted by name, each with its files in read order; then,
/// without `only`, each other `*.binlog` file as its own source. An entry
/// named as a log's file is its file whatever it is (a directory, a
/// dangling link): reading it says what is wrong, as the library's log
/// reader and writer do; left out, its records would be missing without a
/// word.
pub fn scan_dir(dir: &Path, only: Option<&str>) -> CliResult<Vec<Source>> {
    let logs = naming::logs_in(dir, only.unwrap_or("*"), "list directory")?;
    let wanted = |(name, _): &(String, _)| only.is_none_or(|o| o == name);
    let named = logs.into_iter().filter(wanted);
    let mut sources: Vec<Source> = named
        .map(|(name, files)| Source {
            label: format!("log {name} in {}", dir.display()),
            files: files.into_iter().map(|f| f.path).collect(),
            log: Some(LogId {
                dir: dir.to_path_buf(),
                name,
            }),
        })
        .collect();
    if only.is_some() {
        return Ok(sources);
    }
    let mut loose = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| CliError::io_on(dir.display(), e))? {
        let path = entry.map_err(|e| CliError::io_on(dir.display(), e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // A standalone segment: a file, or a link to one (a directory
        // named `*.binlog` may be anything, such as a log directory).
        if name.ends_with(naming::SUFFIX)
            && log_of_file(&path).is_none()
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
        {
            loose.push(path);
        }
    }
    loose.sort();
    let alone = |f: PathBuf| Source::of_files(f.display().to_string(), vec![f]);
    sources.extend(loose.into_iter().map(alone));
    Ok(sources)
}

/// The one source a command that reads a single stream needs (tail -f,
/// write into a directory).
pub fn single(mut sources: Vec<Source>, what: &str) -> CliResult<Source> {
    if sources.len() == 1 {
        return Ok(sources.remove(0));
    }
    let names: Vec<String> = sources.iter().map(|s| s.label.clone()).collect();
    Err(CliError::usage(format!(
        "{what} needs one log, found {}: {}; choose one with --log NAME or name the files",
        names.len(),
        names.join(", ")
    )))
}

/// File name for messages: the path as given.
pub fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Makes the directory entry of `path` (just created or renamed) durable:
/// a crash after this leaves the file under its name.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir_of(path))?.sync_all()
}

/// Writes `bytes` as `path` whole or not at all: into `path.tmp`, synced,
/// renamed over `path`, the directory synced.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    let written = std::fs::File::create(tmp).and_then(|mut f| {
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    });
    let done = written.and_then(|()| std::fs::rename(tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    done.and_then(|()| sync_parent(path))
}

/// True for a file of 0 bytes. An empty file named as a segment ends
/// inside its header, which the library reads as `Truncated`
/// (docs/FORMAT.md section 3): damage, except as the newest file of a
/// log, which a writer creating it may not have written its header into
/// yet (the library's `LogReader` reads nothing from it, and
/// `binlog::verify` notes it).
pub fn is_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0)
}
