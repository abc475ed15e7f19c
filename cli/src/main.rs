//! `binlog`: the command-line tool for people who operate libbinlog logs.
//! It reads a segment file, a list of them, or a log directory. One module
//! per command; see docs/CLI.md for the manual.
//!
//! Commands depend on the shared modules below them, never on each other,
//! and use the library's public API and, for what only a format tool needs,
//! the codec and file naming the library makes public for tools.

// Commands.
mod cat;
mod compress;
mod consumers;
mod dump;
mod export;
mod generate;
mod info;
mod keys;
mod remote;
mod repair;
mod schema;
mod ship;
mod stats;
mod tail;
mod verify;
mod write;

// Shared by the commands.
// Each segment's verdict and its place in its log (verify, repair).
mod check;
// Payloads as JSON values by their type's schema, and back.
mod decode;
// Protobuf payloads read straight from the wire (decode's fast path).
mod protowire;
// Payload bytes as hex, base64 and escaped text.
mod encoding;
// The tool's errors and exit statuses.
mod error;
// A segment's original bytes (decompressed, for a compressed one).
mod original;
// Printing records and JSON documents; what every command calls a type
// whose name is lost (`unknown-type-N`).
mod output;
// What PATH arguments name.
mod paths;
// The progress bar of long commands.
mod progress;
// Choosing records: filters, `--tail`, the walk that prints them (and
// how it reports a damaged region skipped).
mod select;
// Times as people read and type them (UTC).
mod time;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "binlog",
    version,
    about = "Inspect, follow, check and repair libbinlog logs",
    after_help = include_str!("help/binlog.txt"),
    propagate_version = true
)]
struct Cli {
    /// `binlog --no-progress COMMAND`, as it was spelled when the option was
    /// global: still accepted, not shown (each command that draws a bar
    /// has its own `--no-progress`).
    #[arg(long, hide = true)]
    no_progress: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Header, state, record counts per type, sequence and time ranges and
    /// sizes of each segment, and in total.
    Info(info::InfoArgs),
    /// Print records in order, filtered by type, sequence number or time.
    Cat(cat::CatArgs),
    /// Print the last records; with -f, follow a live log across rolls.
    Tail(tail::TailArgs),
    /// Check every CRC, seal and sequence number; report what is wrong and where.
    Verify(verify::VerifyArgs),
    /// Back up, then cut torn tails and rewrite missing or broken seals.
    Repair(repair::RepairArgs),
    /// Show the raw framing of each record, for debugging the format.
    Dump(dump::DumpArgs),
    /// Append one record per line of standard input (or per JSON object).
    Write(write::WriteArgs),
    /// Records and bytes per type and per minute, hour or day.
    Stats(stats::StatsArgs),
    /// List the type schemas in segment headers, or write one to a file.
    Schema(schema::SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Write man pages (binlog.1 and one per command) into a directory.
    Man(generate::ManArgs),
    /// Compress sealed segments into seekable zstd files (FILE.binlog.zst).
    Compress(compress::CompressArgs),
    /// Turn compressed segments (FILE.binlog.zst) back into FILE.binlog.
    Decompress(compress::DecompressArgs),
    /// Write records to Parquet, Arrow or JSON Lines files, decoded
    /// payloads as typed columns, for analytics engines.
    Export(export::ExportArgs),
    /// Upload a log's sealed segments to an S3-compatible bucket.
    Ship(ship::ShipArgs),
    /// List, verify, fetch or prune the segment objects of logs shipped to a bucket.
    #[command(subcommand)]
    Remote(remote::RemoteCommand),
    /// List a log's named consumers with their positions and lag, or remove one.
    Consumers(consumers::ConsumersArgs),
    /// Make the Ed25519 keys that sign a log and verify it.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

fn main() -> ExitCode {
    // clap prints help/version (exit 0) and usage errors (exit 2).
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    if cli.no_progress {
        progress::disable();
    }
    let result = match &cli.command {
        Command::Info(a) => a.progress.run(|| info::run(a)),
        Command::Cat(a) => cat::run(a),
        Command::Tail(a) => tail::run(a),
        Command::Verify(a) => a.progress.run(|| verify::run(a)),
        Command::Repair(a) => a.progress.run(|| repair::run(a)),
        Command::Dump(a) => dump::run(a),
        Command::Write(a) => write::run(a),
        Command::Stats(a) => a.progress.run(|| stats::run(a)),
        Command::Schema(a) => schema::run(a),
        Command::Completions(a) => generate::completions(a, Cli::command()),
        Command::Man(a) => generate::man_pages(a, Cli::command()),
        Command::Compress(a) => a.progress.run(|| compress::run_compress(a)),
        Command::Decompress(a) => a.progress.run(|| compress::run_decompress(a)),
        Command::Export(a) => export::run(a),
        Command::Ship(a) => ship::run(a),
        Command::Remote(a) => remote::run(a),
        Command::Consumers(a) => consumers::run(a),
        Command::Keys(a) => keys::run(a),
    };
    match result {
        Ok(outcome) => outcome.code(),
        Err(e) => e.report(),
    }
}
