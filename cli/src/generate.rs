//! `binlog completions SHELL` and `binlog man DIR`: shell completions and
//! man pages made from the tool's own clap definition (`cli`), so that
//! they list exactly the commands and options the tool takes.

use crate::error::{CliError, CliResult, Outcome};
use clap::{Args, Command};
use clap_complete::Shell;
use clap_mangen::Man;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = include_str!("help/completions.txt"))]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Args, Debug)]
#[command(after_help = include_str!("help/man.txt"))]
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
    clap_mangen::generate_to(cli.clone(), dir).map_err(fail)?;
    let page = main_page(cli).map_err(fail)?;
    std::fs::write(dir.join("binlog.1"), page).map_err(fail)?;
    let paths = std::fs::read_dir(dir).map_err(fail)?;
    let man_page = |p: &PathBuf| p.extension().is_some_and(|x| x == "1");
    let mut pages: Vec<_> = paths.flatten().map(|e| e.path()).filter(man_page).collect();
    pages.sort();
    let mut out = std::io::stdout().lock();
    for p in pages {
        writeln!(out, "{}", p.display())?;
    }
    Ok(Outcome::Clean)
}

/// binlog.1, with the "Exit status:" paragraph of `--help` made an EXIT
/// STATUS section of tagged paragraphs: as help text, roff would fill its
/// indented lines into one another.
fn main_page(cli: Command) -> io::Result<Vec<u8>> {
    let cli = cli.disable_help_subcommand(true);
    let help = cli.get_after_help().map(|h| h.to_string());
    let help = help.unwrap_or_default();
    let mut page = Vec::new();
    let Some((before, rest)) = help.split_once("Exit status:\n") else {
        Man::new(cli).render(&mut page)?;
        return Ok(page);
    };
    let (list, after) = rest.split_once("\n\n").unwrap_or((rest, ""));
    Man::new(cli.after_help(format!("{before}{after}"))).render(&mut page)?;
    let mut page = String::from_utf8(page).map_err(io::Error::other)?;
    let at = page.find(".SH EXTRA").unwrap_or(page.len());
    page.insert_str(at, &exit_status_section(list));
    Ok(page.into_bytes())
}

/// Lines `  N  meaning` (a meaning may go on over more indented lines) as
/// roff: `.SH "EXIT STATUS"`, then a `.TP` paragraph tagged N for each.
fn exit_status_section(list: &str) -> String {
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for line in list.lines().map(str::trim) {
        let text = match line.split_once("  ") {
            Some((code, text)) if code.parse::<u8>().is_ok() => {
                let _ = writeln!(roff, ".TP\n\\fB{code}\\fR");
                text
            }
            _ => line,
        };
        let text = text.replace('\\', "\\e").replace('-', "\\-");
        let _ = writeln!(roff, "\\&{text}");
    }
    roff
}
