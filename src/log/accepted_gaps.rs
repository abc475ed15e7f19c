//! Gaps an operator accepted: ranges of sequence numbers known to be lost
//! (e.g. in the damaged bytes `binlog repair --salvage` cut), kept in
//! `<log>.accepted-gaps` beside the log's segments so that `binlog verify`
//! can call the log clean again without any sealed segment changing
//! (docs/FORMAT.md section 14a).
//!
//! ```text
//! binlog-accepted-gaps 1
//! gap 14 14 20261123T220000Z lost to damage at offset 964 of orders-...binlog
//! ```
//! A gap line is: first and last sequence number (inclusive), when it was
//! accepted (UTC), and the reason, to the end of the line. The file is
//! replaced whole and durably.

use super::lines::{self, Format};
use crate::error::{Error, Result};
use crate::format::naming;
use std::path::{Path, PathBuf};

/// Sequence numbers `from_seq..=to_seq` of a log, accepted as lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedGap {
    pub from_seq: u64,
    /// The last sequence number of the gap (inclusive).
    pub to_seq: u64,
    /// When it was accepted: `YYYYMMDDTHHMMSSZ`.
    pub accepted_utc: String,
    /// Why, in the operator's words (one line).
    pub reason: String,
}

impl AcceptedGap {
    /// Whether this accepted gap covers every number of `from..=to`.
    pub fn covers(&self, from: u64, to: u64) -> bool {
        self.from_seq <= from && to <= self.to_seq
    }
}

/// The file of log `log` in `dir` that lists its accepted gaps.
pub fn path(dir: &Path, log: &str) -> PathBuf {
    dir.join(format!("{log}.accepted-gaps"))
}

/// The gaps accepted for log `log` in `dir`, in the order accepted (none
/// if the file does not exist).
pub fn load(dir: &Path, log: &str) -> Result<Vec<AcceptedGap>> {
    let p = path(dir, log);
    match std::fs::read_to_string(&p) {
        Ok(text) => decode(&text, &p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(&p, "read accepted gaps", e)),
    }
}

/// Adds `from..=to` to log `log`'s accepted gaps, stamped now, durably.
pub fn accept(dir: &Path, log: &str, from: u64, to: u64, reason: &str) -> Result<AcceptedGap> {
    super::options::validate_name(log)?;
    check_range(from, to)?;
    let gap = AcceptedGap {
        from_seq: from,
        to_seq: to,
        accepted_utc: naming::utc_stamp(crate::sys::realtime_ns()),
        reason: reason.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    let mut gaps = load(dir, log)?;
    gaps.push(gap.clone());
    // Replaced durably: a crash leaves the old list or the new one.
    lines::replace(&path(dir, log), ".tmp", &encode(&gaps), true)?;
    Ok(gap)
}

/// Refuses a gap `from..=to` whose first number is larger than its last
/// (what `accept` would refuse), naming it.
pub fn check_range(from: u64, to: u64) -> Result<()> {
    if from > to {
        let why = format!("gap {from}..{to}: the first number is larger than the last");
        return Err(Error::invalid(why));
    }
    Ok(())
}

const FORMAT: Format = Format {
    name: "accepted gaps",
    version: "binlog-accepted-gaps 1",
    checked: false,
};

fn encode(gaps: &[AcceptedGap]) -> String {
    let mut body = String::new();
    for g in gaps {
        let (from, to) = (g.from_seq, g.to_seq);
        body += &format!("gap {from} {to} {} {}\n", g.accepted_utc, g.reason);
    }
    FORMAT.render(&body)
}

/// The gaps of `text`: a line is `gap FROM TO YYYYMMDDTHHMMSSZ REASON`,
/// the reason running to the end of the line.
fn decode(text: &str, path: &Path) -> Result<Vec<AcceptedGap>> {
    let mut gaps = Vec::new();
    for l in FORMAT.parse(text, path)? {
        let (from_seq, to_seq) = (l.num(0)?, l.num(1)?);
        if l.key != "gap" || l.fields.len() < 3 || from_seq > to_seq {
            return Err(l.bad());
        }
        gaps.push(AcceptedGap {
            from_seq,
            to_seq,
            accepted_utc: l.fields[2].to_string(),
            reason: l.fields[3..].join(" "),
        });
    }
    Ok(gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_gaps_round_trip_and_bad_lines_are_named() {
        let g = AcceptedGap {
            from_seq: 14,
            to_seq: 19,
            accepted_utc: "20261123T220000Z".into(),
            reason: "lost to damage at offset 964".into(),
        };
        let p = Path::new("x.accepted-gaps");
        assert_eq!(
            decode(&encode(std::slice::from_ref(&g)), p).unwrap(),
            vec![g.clone()]
        );
        assert!(g.covers(14, 19) && g.covers(15, 15));
        assert!(!g.covers(13, 14) && !g.covers(19, 20));
        let e = decode(&format!("{}\ngap 9 3 x y\n", FORMAT.version), p).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Corrupt);
        assert_eq!(e.offset(), Some(23), "{e}");
        assert!(decode("binlog-accepted-gaps 2\n", p).is_err());
    }
}
