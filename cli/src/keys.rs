//! `binlog keys`: the Ed25519 keys a log is signed with (`binlog write
//! --signing-key`, `LogOptions`) and verified against (`binlog verify
//! --trust`).

use crate::error::{CliError, CliResult, Outcome};
use crate::output;
use crate::time;
use binlog::sign::Signing;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
#[command(after_help = include_str!("help/keys.txt"))]
pub enum KeysCommand {
    /// Write a new secret key to KEY (mode 0600) and its public key to
    /// KEY.pub; print the public key. Neither file may exist.
    New {
        /// Where the secret key goes.
        key: PathBuf,
    },
    /// Print the public key of the secret key in KEY (of the master key,
    /// for an epoch key file).
    Public {
        /// A secret key file.
        key: PathBuf,
    },
    /// Write a forward-secure key file to EPOCHS (mode 0600; it may not
    /// exist): a key for each of COUNT epochs, each certified by the
    /// secret key MASTER; print MASTER's public key, which verifies them.
    Epochs {
        /// The master key (`keys new`), kept off the writer's host.
        master: PathBuf,
        /// Where the epoch keys go (the writer's `--signing-key`).
        epochs: PathBuf,
        /// Each epoch's length (30s, 10m, 1h, 1d; at least a second).
        #[arg(long, value_parser = crate::remote::prune::parse_age)]
        every: std::time::Duration,
        /// How many epochs.
        #[arg(long)]
        count: u64,
        /// When the first starts (RFC 3339, or a time before now, as
        /// `--since` takes); default: the epoch boundary at or before now
        /// (epochs are counted from the Unix epoch).
        #[arg(long)]
        from: Option<String>,
    },
}

pub fn run(command: &KeysCommand) -> CliResult<Outcome> {
    let public = match command {
        KeysCommand::New { key } => Signing::new_key_files(key)?,
        KeysCommand::Public { key } => Signing::from_key_file(key)?.public_key(),
        KeysCommand::Epochs {
            master,
            epochs,
            every,
            count,
            from,
        } => {
            let len = i64::try_from(every.as_nanos()).unwrap_or(i64::MAX);
            let now = time::now_ns();
            let start = match from {
                Some(t) => time::parse_time(t, now).map_err(CliError::usage)?,
                None => time::floor(now, len.max(1)),
            };
            Signing::new_epoch_keys(master, epochs, (start, len, *count))?
        }
    };
    let mut out = output::stdout();
    writeln!(out, "{}", public.to_line())?;
    out.flush()?;
    Ok(Outcome::Clean)
}
