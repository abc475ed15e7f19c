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

use crate::archive::{object_name::marker_key, remote::Remote};
use crate::error::Result;
use crate::log::{lines::Format, position::Position};
use std::path::Path;

const FORMAT: Format = Format {
    name: "prune marker",
    version: "binlog-pruned 1",
    checked: true,
};

/// What the marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// Every segment object up to this segment number is pruned.
    pub through: u64,
    /// The log's position past them.
    pub next: Position,
}

impl Marker {
    fn encode(&self, log: &str) -> String {
        let (through, Position { segment_no, seq }) = (self.through, self.next);
        let body = format!("log {log}\nthrough {through}\nnext {segment_no} {seq}\n");
        FORMAT.render(&body)
    }

    /// The marker in `text` (the object at `url`) of log `log`: a
    /// `Corrupt` error naming it if it fails its checksum, does not parse
    /// or names another log.
    fn decode(text: &str, log: &str, url: &Path) -> Result<Marker> {
        let mut lines = FORMAT.parse(text, url)?;
        let named = lines.expect("log", 1)?;
        if named.fields[0] != log {
            return Err(named.error(format!("it names another log than {log:?}")));
        }
        Ok(Marker {
            through: lines.expect("through", 1)?.num(0)?,
            next: Position::from_line(&lines.expect("next", 2)?)?,
        })
    }
}

/// The marker of `log`, `None` if nothing of it was ever pruned.
pub fn load(remote: &Remote, log: &str) -> Result<Option<Marker>> {
    let key = marker_key(&remote.location().prefix, log);
    let got = remote.get_text(&key)?;
    got.map(|(text, url)| Marker::decode(&text, log, &url))
        .transpose()
}

/// Stores `m` as the marker of `log`, replacing the one there.
pub fn store(remote: &Remote, log: &str, m: &Marker) -> Result<()> {
    let key = marker_key(&remote.location().prefix, log);
    remote.put_replace_plain(&key, m.encode(log).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_marker_round_trips_and_a_damaged_one_is_refused() {
        let m = Marker {
            through: 7,
            next: Position::new(8, 800),
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
