//! Logs shipped to an S3-compatible bucket (`binlog ship`), as the reading
//! commands see them: `s3://BUCKET/PREFIX/LOG` (or `s3://BUCKET/PREFIX`
//! with `--log LOG`) is a source whose files are the log's segment
//! objects, named by their URLs and read with ranged GETs (the library's
//! `archive::RemoteLog`); `binlog remote ls|verify|fetch|prune` list, check,
//! copy back and delete them. Only `prune` changes the bucket: the others
//! use its read and list permissions alone.

mod fetch;
pub mod logs;
pub mod prune;

use crate::error::{counted, CliError, CliResult, Outcome};
use crate::output;
use binlog::archive::{Connection, Location, Remote, RemoteLog};
use binlog::sign::PublicKey;
use binlog::verify::{Finding, FindingKind, Verify};
use binlog::Reader;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The remote logs the PATH arguments named, to open their objects by URL.
static LOGS: Mutex<Vec<RemoteLog>> = Mutex::new(Vec::new());

/// Whether a PATH argument names a bucket (`s3://...`).
pub fn is_remote(p: &Path) -> bool {
    p.as_os_str().as_encoded_bytes().starts_with(b"s3://")
}

/// The remote log `url` names: `s3://BUCKET/PREFIX/LOG`, or with `log`
/// set, `s3://BUCKET/PREFIX` holding log `log`.
pub fn remote_log(url: &str, log: Option<&str>) -> CliResult<RemoteLog> {
    remote_log_with(url, log, &Connection::default())
}

/// As `remote_log`, reached as `c` says.
pub fn remote_log_with(url: &str, log: Option<&str>, c: &Connection) -> CliResult<RemoteLog> {
    let named = match log {
        Some(name) => Some((url, name)),
        None => url.trim_end_matches('/').rsplit_once('/'),
    };
    let what = "name the log (s3://BUCKET/PREFIX/LOG, or --log NAME)";
    let unnamed = || CliError::usage(format!("{url}: {what}"));
    let (at, name) = named.filter(|(at, _)| *at != "s3:/").ok_or_else(unnamed)?;
    let location = Location::parse(at)?;
    let remote = Remote::connect(&location, c)?;
    Ok(RemoteLog::new(Arc::new(remote), name)?)
}

/// The segment objects of the log a PATH argument `url` names, in order,
/// each named by its URL.
pub fn resolve(url: &Path, log: Option<&str>) -> CliResult<Vec<PathBuf>> {
    let text = url.to_str();
    let text = text.ok_or_else(|| CliError::usage("an s3:// URL is text"))?;
    let remote = remote_log(text, log)?;
    let keys = remote.segments()?.into_iter().map(|s| s.object_key);
    let files: Vec<PathBuf> = keys.map(|k| remote.url_of(&k)).collect();
    let why = format!("{text}: no segments of log {:?} here", remote.log());
    crate::error::refuse(files.is_empty(), &why)?;
    LOGS.lock().unwrap_or_else(|e| e.into_inner()).push(remote);
    Ok(files)
}

/// A reader of the segment at `path`: a local file, or the segment object
/// named by its URL (from `resolve`); with `salvage`, as
/// `Reader::open_salvage`.
pub fn open_reader(path: &Path, salvage: bool) -> binlog::Result<Reader> {
    if let Some(log) = log_of(path) {
        let key = log.key_of_url(path).expect("the log of the URL");
        return log.open_reader(&key, salvage);
    }
    match salvage {
        true => Reader::open_salvage(path),
        false => Reader::open(path),
    }
}

/// The remote log (named by a PATH argument, `resolve`) that the object
/// at `path` belongs to.
pub fn log_of(path: &Path) -> Option<RemoteLog> {
    let logs = LOGS.lock().unwrap_or_else(|e| e.into_inner());
    logs.iter().find(|l| l.key_of_url(path).is_some()).cloned()
}

/// What a signed log is checked against (`binlog verify`, `binlog remote
/// verify`).
#[derive(Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// Check signed seals against this public key (`binlog keys new`
    /// wrote it): every sealed segment signed by it, and a log's segments
    /// one chain (none deleted, inserted, reordered or copied).
    #[arg(long, value_name = "KEY.pub")]
    pub trust: Option<PathBuf>,
    /// With --trust: a copy of the log's signed head (LOG.head) kept
    /// elsewhere; the log's newest segments cut off since are reported
    /// (for s3://, the newest head its shipper put there by default).
    #[arg(long, value_name = "FILE", requires = "trust")]
    pub head: Option<PathBuf>,
}

impl TrustArgs {
    /// `reports` checked against the key and the head, if a key is given.
    pub fn apply(&self, mut reports: Verify) -> binlog::Result<Verify> {
        if let Some(key) = &self.trust {
            reports = reports.trusting(PublicKey::from_file(key)?);
            if let Some(head) = &self.head {
                reports.with_head(head)?;
            }
        }
        Ok(reports)
    }
}

/// `binlog remote verify`: each segment object of a shipped log, as the
/// library verifies it against its metadata (`Verify::shipped`: fetched
/// whole once, its size and SHA-256, every record, its record count, last
/// sequence number and seal), and the sequence numbers continuing from the
/// object before; with `--trust`, each seal's signature and the chain, and
/// the newest signed head the shipper put (or `--head`). One line per object; exit status 1 if any is damaged or
/// missing.
pub fn verify_log(log: &RemoteLog, trust: &TrustArgs) -> CliResult<Outcome> {
    let mut out = output::stdout();
    let mut damaged = false;
    for rep in trust.apply(Verify::shipped(log.clone())?)? {
        let url = rep.location.display();
        let damage = rep.findings.iter().filter(|f| f.is_damage());
        let missing = |f: &&Finding| f.kind == FindingKind::MissingRecords;
        let (gaps, damage): (Vec<_>, Vec<_>) = damage.partition(missing);
        for g in gaps {
            let (from, to) = (g.from_seq.unwrap_or(0), g.to_seq.unwrap_or(1) - 1);
            writeln!(out, "GAP     records {from}..{to} are in no object")?;
        }
        match damage.first() {
            None => writeln!(out, "ok      {url}: {}", counted(rep.records, "record"))?,
            Some(f) => {
                let what = f.message.strip_prefix(&format!("{url}: "));
                writeln!(out, "DAMAGED {url}: {}", what.unwrap_or(&f.message))?
            }
        }
        damaged |= rep.is_damaged();
    }
    out.flush()?;
    Ok(Outcome::Damaged.when(damaged))
}

/// Where a shipped log is: `s3://BUCKET/PREFIX/LOG`, or the prefix and
/// `--log LOG`.
#[derive(Args, Debug, Clone)]
pub struct RemoteLogArgs {
    /// s3://BUCKET/PREFIX/LOG (or s3://BUCKET/PREFIX with --log).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The log's name, if URL is the prefix it was shipped to.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
}

/// `binlog remote verify`'s arguments.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub at: RemoteLogArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Subcommand, Debug)]
pub enum RemoteCommand {
    /// List the logs under a prefix (segments, sequence numbers, times,
    /// bytes), or a shipped log's segment objects.
    Ls(logs::LsArgs),
    /// Check each object's size and SHA-256 against its metadata, then
    /// every record (and with --trust, a signed log's chain).
    Verify(VerifyArgs),
    /// Copy a shipped log's segment objects (or those holding a range of
    /// sequence numbers) into a local directory, each checked against its
    /// SHA-256.
    Fetch(fetch::FetchArgs),
    /// Delete the oldest segment objects beyond a count, bytes or age.
    Prune(prune::PruneArgs),
}

pub fn run(command: &RemoteCommand) -> CliResult<Outcome> {
    match command {
        RemoteCommand::Ls(a) => logs::run_ls(a),
        RemoteCommand::Verify(a) => {
            verify_log(&remote_log(&a.at.url, a.at.log.as_deref())?, &a.trust)
        }
        RemoteCommand::Fetch(a) => fetch::run(a),
        RemoteCommand::Prune(a) => prune::run(a),
    }
}
