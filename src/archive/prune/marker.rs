//! The prune marker: the object `<prefix>/<log>/pruned`, which says that
//! every segment object of the log up to `through` is removed by remote
//! retention, or is about to be: a prune stores it *before* it deletes
//! the first of them, and deletes them oldest first, so that at any
//! moment the objects it names that are still listed are the oldest
//! ones (a prefix, never a hole), a rerun deletes the rest, and a reader
//! that finds one of them gone reports retention, not a missing object.
//! It also holds the log's position past them (docs/FORMAT.md section
//! 14a), so that a sequence number is never given twice.
//!
//! ```text
//! binlog-pruned 1
//! log orders
//! through 7
//! next 8 800
//! crc32 1a2b3c4d
//! ```
//!
//! It is replaced (a plain PUT) only by the holder of the prune claim
//! (lease.rs), and only by one whose `through` is not lower.

use crate::archive::object_name::log_prefix;
use crate::archive::remote::Remote;
use crate::error::{Error, ErrorKind, Result};
use crate::log::position::Position;
use std::path::Path;

const VERSION_LINE: &str = "binlog-pruned 1";

/// What the marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// Every segment object up to this segment number is pruned.
    pub through: u64,
    /// The log's position past them.
    pub next: Position,
}

/// The key of the marker of `log` under `prefix`.
pub fn marker_key(prefix: &str, log: &str) -> String {
    format!("{}pruned", log_prefix(prefix, log))
}

impl Marker {
    fn encode(&self, log: &str) -> String {
        let body = format!(
            "{VERSION_LINE}\nlog {log}\nthrough {}\nnext {} {}\n",
            self.through, self.next.segment_no, self.next.seq
        );
        let crc = crate::format::crc32(body.as_bytes());
        format!("{body}crc32 {crc:08x}\n")
    }

    /// The marker in `text` (the object at `url`) of log `log`: a
    /// `Corrupt` error naming it if it fails its checksum, does not parse
    /// or names another log.
    fn decode(text: &str, log: &str, url: &Path) -> Result<Marker> {
        let bad =
            |what: &str| Error::file(ErrorKind::Corrupt, url, format!("prune marker: {what}"));
        let body = crate::log::ship_journal::checked_body(text, bad)?;
        let lines: Vec<&str> = body.lines().collect();
        let field = |i: usize, name: &str| {
            lines
                .get(i)
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or_else(|| bad(&format!("no {name} line")))
        };
        if lines.first() != Some(&VERSION_LINE) {
            return Err(bad("unknown version line"));
        }
        if field(1, "log")? != log {
            return Err(bad(&format!("it names another log than {log:?}")));
        }
        let num = |s: &str| s.parse::<u64>().map_err(|_| bad("malformed number"));
        let through = num(field(2, "through")?)?;
        let (segment_no, seq) = field(3, "next")?
            .split_once(' ')
            .ok_or_else(|| bad("malformed next line"))?;
        Ok(Marker {
            through,
            next: Position {
                segment_no: num(segment_no)?,
                seq: num(seq)?,
            },
        })
    }
}

/// The marker of `log`, `None` if nothing of it was ever pruned.
pub fn load(remote: &Remote, log: &str) -> Result<Option<Marker>> {
    let key = marker_key(&remote.location().prefix, log);
    let Some(bytes) = remote.get(&key)? else {
        return Ok(None);
    };
    let url = remote.location().url_of(&key);
    Marker::decode(&String::from_utf8_lossy(&bytes), log, Path::new(&url)).map(Some)
}

/// Stores `m` as the marker of `log`, replacing the one there.
pub fn store(remote: &Remote, log: &str, m: &Marker) -> Result<()> {
    let key = marker_key(&remote.location().prefix, log);
    remote.put_replace_plain(&key, m.encode(log).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_round_trips_and_a_damaged_one_is_refused() {
        let m = Marker {
            through: 7,
            next: Position {
                segment_no: 8,
                seq: 800,
            },
        };
        let url = Path::new("s3://b/p/orders/pruned");
        let text = m.encode("orders");
        assert_eq!(Marker::decode(&text, "orders", url).unwrap(), m);
        let other = Marker::decode(&text, "other", url).unwrap_err();
        assert_eq!(other.kind(), ErrorKind::Corrupt);
        let flipped = text.replace("through 7", "through 9");
        let e = Marker::decode(&flipped, "orders", url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert!(e.to_string().contains("s3://b/p/orders/pruned"), "{e}");
    }
}
