//! `binlog keys`: the Ed25519 keys a log is signed with (`binlog write
//! --signing-key`, `LogOptions`) and verified against (`binlog verify
//! --trust`).

use crate::error::{CliResult, Outcome};
use crate::output;
use binlog::sign::Signing;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
#[command(after_help = "\
The secret key signs; keep it on the host that writes the log, readable by
the writer alone. The public key (KEY.pub) verifies; keep a copy where the
writer's host cannot change it.

Examples:
  binlog keys new /etc/binlog/orders.key
  binlog write --signing-key /etc/binlog/orders.key /var/log/orders < events
  binlog verify --trust orders.key.pub /var/log/orders")]
pub enum KeysCommand {
    /// Write a new secret key to KEY (mode 0600) and its public key to
    /// KEY.pub; print the public key. Neither file may exist.
    New {
        /// Where the secret key goes.
        key: PathBuf,
    },
    /// Print the public key of the secret key in KEY.
    Public {
        /// A secret key file.
        key: PathBuf,
    },
}

pub fn run(command: &KeysCommand) -> CliResult<Outcome> {
    let public = match command {
        KeysCommand::New { key } => Signing::new_key_files(key)?,
        KeysCommand::Public { key } => Signing::from_key_file(key)?.public_key(),
    };
    let mut out = output::stdout();
    writeln!(out, "{}", public.to_line())?;
    out.flush()?;
    Ok(Outcome::Clean)
}
