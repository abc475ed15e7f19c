//! Errors of the tool and the exit status each one maps to (see docs/CLI.md):
//! 0 success, 1 the log is damaged, 2 a usage or I/O error, 3 payloads that
//! did not decode (`--decode`). A closed output
//! pipe (`binlog cat big | head`) is not an error: the tool stops quietly
//! with status 0.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// How a command ended when it did not fail outright: its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The command worked and found nothing wrong.
    Clean = 0,
    /// Every record was printed, some raw because their payload did not
    /// decode by their type's schema (`--decode`). Declared before
    /// `Damaged`: the greater of two outcomes is the one reported.
    Undecodable = 3,
    /// Damage was found (or a repair was refused / left damage).
    Damaged = 1,
}

/// Exit status: bad arguments, or a file could not be read or written.
const EXIT_ERROR: u8 = 2;

impl Outcome {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// This outcome when `cond`, else `Clean`: `Damaged.when(...)` for a
    /// read, by the library's rule of records missing
    /// (`binlog::records_missing`, `LogReader::records_missing`), whatever
    /// the command; `Undecodable.when(...)` for payloads printed raw
    /// because they did not decode.
    pub fn when(self, cond: bool) -> Outcome {
        match cond {
            true => self,
            false => Outcome::Clean,
        }
    }
}

/// Each shown as its message.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or input the tool cannot use (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written (exit 2).
    #[error("{0}")]
    Io(String),
    /// The log is damaged where the command had to read it (exit 1).
    #[error("{0}")]
    Damaged(String),
    /// Standard output was closed by its reader (exit 0, nothing printed).
    #[error("output closed")]
    BrokenPipe,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn usage(msg: impl Into<String>) -> CliError {
        CliError::Usage(msg.into())
    }

    pub fn io(msg: impl Into<String>) -> CliError {
        CliError::Io(msg.into())
    }

    /// An I/O error about `what` (a file name and an action).
    pub fn io_on(what: impl fmt::Display, err: io::Error) -> CliError {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return CliError::BrokenPipe;
        }
        CliError::Io(format!("{what}: {}", binlog::io_text(&err)))
    }

    /// The error, its message prefixed with what it is about.
    pub fn prefixed(mut self, what: &str) -> CliError {
        if let CliError::Usage(m) | CliError::Io(m) | CliError::Damaged(m) = &mut self {
            *m = format!("{what}: {m}");
        }
        self
    }

    /// Prints the error (if it is one) and returns the exit status.
    pub fn report(&self) -> ExitCode {
        match self {
            CliError::BrokenPipe => Outcome::Clean.code(),
            CliError::Usage(m) | CliError::Io(m) => {
                eprintln!("binlog: error: {m}");
                ExitCode::from(EXIT_ERROR)
            }
            CliError::Damaged(m) => {
                eprintln!("binlog: damaged: {m}");
                Outcome::Damaged.code()
            }
        }
    }
}

/// Writing to standard output: a closed pipe ends the command quietly.
impl From<io::Error> for CliError {
    fn from(err: io::Error) -> CliError {
        CliError::io_on("write output", err)
    }
}

/// The one mapping of library errors to exit statuses: damage to a log's
/// records is 1 (`is_damage`), anything else 2. Their messages name the file.
impl From<binlog::Error> for CliError {
    fn from(err: binlog::Error) -> CliError {
        use binlog::ErrorKind as K;
        let msg = err.message().to_string();
        if is_damage(&err) {
            return CliError::Damaged(msg);
        }
        match err.kind() {
            K::InvalidArgument
            | K::InvalidUtf8
            | K::RecordTooLarge
            | K::NotABinlog
            | K::Sealed
            | K::UnsupportedVersion
            | K::InvalidSchema
            | K::SchemaTooLarge
            | K::Undecodable => CliError::Usage(msg),
            _ => CliError::Io(msg),
        }
    }
}

/// True for library errors that mean the data is damaged (rather than that
/// the file could not be read at all).
pub fn is_damage(err: &binlog::Error) -> bool {
    use binlog::ErrorKind as K;
    matches!(
        err.kind(),
        K::Corrupt
            | K::CorruptHeader
            | K::Truncated
            | K::CorruptSeal
            | K::WrongLog
            | K::CompressedTruncated
            | K::CorruptFrame
            | K::CorruptSeekTable
            | K::FrameSizeMismatch
    )
}

/// The plural ending for `n` things (here, a leaf every module may use:
/// messages count things).
pub fn plural(n: u64) -> &'static str {
    match n {
        1 => "",
        _ => "s",
    }
}

/// `n` things: `1 record`, `2 records`.
pub fn counted(n: u64, thing: &str) -> String {
    format!("{n} {thing}{}", plural(n))
}

/// A usage error saying `why` when `refused`: the one shape of every
/// check of arguments that go together or not (exit status 2).
pub fn refuse(refused: bool, why: &str) -> CliResult<()> {
    (!refused).then_some(()).ok_or_else(|| CliError::usage(why))
}

/// Refuses `--from-seq` after `--to-seq` (here, a leaf: `select` and
/// `remote fetch` both check it).
pub fn check_seq_order(from: Option<u64>, to: Option<u64>) -> CliResult<()> {
    let (a, b) = (from.unwrap_or(0), to.unwrap_or(u64::MAX));
    refuse(a > b, &format!("--from-seq {a} is after --to-seq {b}"))
}
