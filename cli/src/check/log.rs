//! A source's segments checked in order by the library (`binlog::verify`):
//! a log's with the continuity between them as its `LogReader` reads them,
//! then its manifest, as the library reports it.

use crate::error::{CliError, CliResult};
use crate::paths::Source;
use crate::progress::Progress;
use binlog::sign::PublicKey;
use binlog::verify::{FindingKind, SegmentReport, Verify};
use clap::Args;
use std::path::PathBuf;

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` with each segment's report as it is done. True if the log's position is unknown
/// (its manifest damaged and the only record of it: a writer's open
/// refuses the log), which is printed.
pub fn check_source(
    source: &Source,
    trust: &TrustArgs,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentReport, &mut Progress) -> CliResult<()>,
) -> CliResult<bool> {
    let reports = match &source.log {
        // A log with only its manifest left has no segment file: the
        // library reports its manifest (see
        // `SourceArgs::resolve`).
        Some(l) => Verify::log(&l.dir, &l.name)?,
        None => Verify::files(source.files.clone()),
    };
    let mut position_unknown = false;
    for rep in trust.apply(reports)? {
        if rep.manifest {
            position_unknown |= print_manifest(&rep, progress)?;
            continue;
        }
        let len = std::fs::metadata(&rep.location).map_or(0, |m| m.len());
        progress.file_done(len);
        each(rep, progress)?;
    }
    Ok(position_unknown)
}

/// Prints the library's finding about a log's manifest: damage where it is
/// the only record of the log's position, else a note. True if damaged;
/// a manifest that could not be looked at is an error.
fn print_manifest(rep: &SegmentReport, progress: &Progress) -> CliResult<bool> {
    let mut damaged = false;
    for f in &rep.findings {
        match f.kind {
            FindingKind::ManifestDamaged => {
                progress.println(&format!("damaged: {}", f.message));
                damaged = true;
            }
            FindingKind::ManifestUnused => progress.println(&format!("note: {}", f.message)),
            _ => return Err(CliError::io(f.message.clone())),
        }
    }
    Ok(damaged)
}

/// What a signed log is checked against (`binlog verify`, `binlog remote
/// verify`).
#[derive(Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// Check signed seals against this public key (`binlog keys new`
    /// wrote it): every sealed segment signed by it, and a log's segments
    /// one chain (none deleted, inserted, reordered or copied).
    #[arg(long, value_name = "KEY.pub", value_parser = parse_trusted_key)]
    pub trust: Option<PublicKey>,
    /// With --trust: a copy of the log's signed head (LOG.head) kept
    /// elsewhere; the log's newest segments cut off since are reported
    /// (for s3://, the newest head its shipper put there by default).
    #[arg(long, value_name = "FILE", requires = "trust")]
    pub head: Option<PathBuf>,
}

impl TrustArgs {
    /// `reports` checked against the key and the head, if a key is given.
    pub fn apply(&self, mut reports: Verify) -> binlog::Result<Verify> {
        if let Some(key) = self.trust {
            reports = reports.trusting(key);
            if let Some(head) = &self.head {
                reports.with_head(head)?;
            }
        }
        Ok(reports)
    }
}

fn parse_trusted_key(path: &str) -> Result<PublicKey, String> {
    PublicKey::from_file(path).map_err(|e| e.to_string())
}
