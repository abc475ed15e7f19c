//! `binlog remote verify`: each segment object of a shipped log, as the
//! library verifies it against its metadata (`Verify::shipped`: fetched
//! whole once, its size and SHA-256, every record, its record count, last
//! sequence number and seal), and the sequence numbers continuing from the
//! object before; with `--trust`, each seal's signature and the chain, and
//! the newest signed head the shipper put (or `--head`). One line per object; exit status 1 if any is damaged or
//! missing.

use crate::check::TrustArgs;
use crate::error::{counted, CliResult, Outcome};
use crate::output;
use binlog::archive::RemoteLog;
use binlog::verify::{FindingKind, Verify};
use std::io::Write;

pub fn run(log: &RemoteLog, trust: &TrustArgs) -> CliResult<Outcome> {
    let mut out = output::stdout();
    let mut damaged = false;
    for rep in trust.apply(Verify::shipped(log.clone())?)? {
        let url = rep.location.display();
        let (gaps, damage): (Vec<_>, Vec<_>) = rep
            .findings
            .iter()
            .filter(|f| f.is_damage())
            .partition(|f| f.kind == FindingKind::MissingRecords);
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
    Ok(Outcome::damaged_if(damaged))
}
