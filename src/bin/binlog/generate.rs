//! `binlog completions SHELL` and `binlog man DIR`: shell completions and
//! man pages made from the tool's own clap definition (`cli`), so that
//! they list exactly the commands and options the tool takes.

use crate::error::{CliError, CliResult, Outcome};
use clap::{Args, Command};
use clap_complete::Shell;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  binlog completions bash > ~/.local/share/bash-completion/completions/binlog
  binlog completions zsh > ~/.zfunc/_binlog
  binlog completions fish > ~/.config/fish/completions/binlog.fish")]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Writes binlog.1 and one page per command (binlog-info.1, binlog-cat.1, ...).

Examples:
  binlog man ./man && man -l ./man/binlog.1
  sudo binlog man /usr/local/share/man/man1")]
pub struct ManArgs {
    /// Directory to write the pages into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Writes the completion script for `args.shell` on standard output.
pub fn completions(args: &CompletionsArgs, mut cli: Command) -> CliResult<Outcome> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "binlog", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::Clean)
}

/// Writes the man pages into `args.dir`; names each on standard output.
pub fn man_pages(args: &ManArgs, cli: Command) -> CliResult<Outcome> {
    let dir = &args.dir;
    let fail = |e| CliError::io_on(dir.display(), e);
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(cli, dir).map_err(fail)?;
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .map_err(fail)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    pages.sort();
    let mut out = std::io::stdout().lock();
    for p in pages {
        writeln!(out, "{}", p.display())?;
    }
    Ok(Outcome::Clean)
}
