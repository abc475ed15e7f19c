//! `binlog compress` and `binlog decompress`: sealed segments to and from
//! seekable zstd files (`<segment>.zst`), crash safely (the library's
//! `compressed::compress_segment`): the original is removed only once the
//! copy is written, synced and read back equal.

use crate::error::{CliError, CliResult, Outcome};
use crate::output::human_bytes;
use crate::progress::{Progress, ProgressArgs};
use binlog::{compress_segment_with_copies, ErrorKind, TypeCopies};
use binlog::{decompress_segment, CompressOptions, Converted};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/compress.txt"))]
pub struct CompressArgs {
    /// Sealed segment files, or directories of them.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// zstd compression level (up to 22: slower and smaller; negative: faster).
    #[arg(long, default_value_t = CompressOptions::default().level)]
    pub level: i32,
    /// Original bytes per zstd frame at most (random reads decompress whole frames).
    #[arg(long, value_name = "BYTES", default_value_t = CompressOptions::default().frame_size)]
    pub frame_size: u64,
    /// Rare types get a second copy of their records, so that reading one
    /// type decompresses only its own: types of at most this share of the
    /// record bytes, all copies within it too (0: no copies).
    #[arg(long, value_name = "SHARE", default_value_t = TypeCopies::default().max_share)]
    pub type_copies: f64,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/decompress.txt"))]
pub struct DecompressArgs {
    /// Compressed segments (names ending in .zst).
    #[arg(required = true, value_name = "FILE")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

pub fn run_compress(args: &CompressArgs) -> CliResult<Outcome> {
    let opts = CompressOptions {
        level: args.level,
        frame_size: args.frame_size,
    };
    let copies = TypeCopies {
        max_share: args.type_copies,
        ..TypeCopies::default()
    };
    let why = "--type-copies must be between 0 and 1";
    crate::error::refuse(!copies.is_valid(), why)?;
    let mut files = Vec::new();
    for p in &args.paths {
        if !p.is_dir() {
            files.push((p.clone(), false));
            continue;
        }
        let entries = std::fs::read_dir(p).map_err(|e| CliError::io_on(p.display(), e))?;
        let segment = |f: &PathBuf| f.extension().is_some_and(|x| x == "binlog") && f.is_file();
        let paths = entries.filter_map(|e| e.ok().map(|e| e.path()));
        let mut found: Vec<PathBuf> = paths.filter(segment).collect();
        found.sort();
        files.extend(found.into_iter().map(|path| (path, true)));
    }

    let compress = |f: &Path| compress_segment_with_copies(f, &opts, &copies, |_| {});
    convert_all(&files, "compress", compress)
}

pub fn run_decompress(args: &DecompressArgs) -> CliResult<Outcome> {
    let files: Vec<Target> = args.paths.iter().map(|p| (p.clone(), false)).collect();
    convert_all(&files, "decompress", decompress_segment)
}

/// Converts every file, printing a line for each on standard output,
/// skipping what `skippable` says; returns the first error after
/// trying them all.
fn convert_all(
    files: &[Target],
    what: &str,
    mut convert: impl FnMut(&Path) -> binlog::Result<Converted>,
) -> CliResult<Outcome> {
    let paths: Vec<PathBuf> = files.iter().map(|t| t.0.clone()).collect();
    let mut progress = Progress::bytes(crate::paths::total_len(&paths), what);
    let mut first_error = None;
    // Segments a directory may hold that are not to be compressed (yet):
    // the one being written (a writer holds it) and unsealed ones.
    let skippable =
        |e: &binlog::Error| matches!(e.kind(), ErrorKind::Locked | ErrorKind::InvalidArgument);
    for (path, in_dir) in files {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        match convert(path) {
            Ok(done) => progress.suspend(|| println!("{}", line(&done))),
            Err(e) if *in_dir && skippable(&e) => {
                let skipped = format!("{}: skipped: {}", path.display(), e.detail());
                progress.suspend(|| println!("{skipped}"));
            }
            // The first error is the command's (printed by `main`).
            Err(e) if first_error.is_none() => first_error = Some(CliError::from(e)),
            Err(e) => progress.suspend(|| eprintln!("binlog: {what}: {}", CliError::from(e))),
        }
        progress.file_done(len);
    }
    first_error.map_or(Ok(Outcome::Clean), Err)
}

/// `<file>: <original> original, <compressed> compressed (<ratio>%), <n>
/// frames`.
fn line(done: &Converted) -> String {
    let pct = done.compressed_len as f64 * 100.0 / done.original_len.max(1) as f64;
    let original = human_bytes(done.original_len);
    let compressed = human_bytes(done.compressed_len);
    let (path, frames) = (done.path.display(), done.frames);
    format!("{path}: {original} original, {compressed} compressed ({pct:.1}%), {frames} frames")
}

// Which files `binlog compress` converts: the files named, and in each
// directory named its `*.binlog` files, in name order.

/// A file to convert, and whether it was found in a directory named (one
/// that is not to be converted yet is then skipped, not an error).
type Target = (PathBuf, bool);
