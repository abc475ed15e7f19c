//! A log's signed head (docs/FORMAT.md section 8.6): the line `<log>.head`
//! holds after each seal (`binlog-head-1`) and at each checkpoint of the
//! live segment (`binlog-live-1`), read and written as text.

use super::{hex, PublicKey, HEAD_LABEL, LIVE_CONTEXT, LIVE_LABEL, SEAL_CONTEXT};
use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{HASH_LEN, SIGNATURE_LEN};
use crate::format::from_hex;
use std::path::Path;

/// A chain's head as its newest seal signed it: what `<log>.head` holds
/// (one line: `binlog-head-1`, the log's name, the sequence number after
/// the segment's records, then its link, the key and the signature in
/// hex). A copy kept where the writer's host cannot change it proves
/// which segments the log held: `Verify::with_head` reports the newest
/// ones cut off (`CutOff`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHead {
    /// The log's name.
    pub log: String,
    /// The sequence number after the records of the segment it names.
    pub next_seq: u64,
    /// That segment's link.
    pub link: [u8; HASH_LEN],
    /// The key that signed it.
    pub key: PublicKey,
    /// The seal's signature of the link (a checkpoint's, of its own).
    pub signature: [u8; SIGNATURE_LEN],
    /// A checkpoint of the live segment, not a seal: what it covers.
    pub live: Option<Checkpoint>,
}

/// A signed checkpoint of a log's live segment (`binlog-live-1`): its
/// bytes `0 .. end` (whole records, up to the head's `next_seq`) have
/// BLAKE3 `digest`, and it follows the segment whose link is `prev`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The segment's number.
    pub segment_no: u64,
    /// The bytes it covers.
    pub end: u64,
    /// Their digest.
    pub digest: [u8; HASH_LEN],
    /// The link of the segment before it.
    pub prev: [u8; HASH_LEN],
}

impl Checkpoint {
    /// What its signature signs (after `LIVE_CONTEXT`): keyed BLAKE3
    /// (context `libbinlog 1 live link`) of the log's name, `segment_no`,
    /// `end`, `next_seq`, `digest` and `prev`.
    pub(super) fn link(&self, log: &str, next_seq: u64) -> [u8; HASH_LEN] {
        let mut h = blake3::Hasher::new_derive_key("libbinlog 1 live link");
        h.update(&(log.len() as u64).to_le_bytes());
        h.update(log.as_bytes());
        for v in [self.segment_no, self.end, next_seq] {
            h.update(&v.to_le_bytes());
        }
        h.update(&self.digest);
        h.update(&self.prev);
        *h.finalize().as_bytes()
    }
}

impl SignedHead {
    /// The signed head in the file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<SignedHead> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read head", e))?;
        let w: Vec<&str> = text.split_whitespace().collect();
        let head = |log: &str, next: &str, link, key, sig, live| {
            Some(SignedHead {
                log: log.to_string(),
                next_seq: next.parse().ok()?,
                link,
                key: PublicKey(from_hex(key)?),
                signature: from_hex(sig)?,
                live,
            })
        };
        let head = match w.as_slice() {
            [HEAD_LABEL, log, next, link, key, sig] => {
                from_hex(link).and_then(|link| head(log, next, link, key, sig, None))
            }
            [LIVE_LABEL, log, next, no, end, digest, prev, key, sig] => (|| {
                let live = Checkpoint {
                    segment_no: no.parse().ok()?,
                    end: end.parse().ok()?,
                    digest: from_hex(digest)?,
                    prev: from_hex(prev)?,
                };
                let link = live.link(log, next.parse().ok()?);
                head(log, next, link, key, sig, Some(live))
            })(),
            _ => None,
        };
        head.ok_or_else(|| {
            let what =
                format!("not a signed head of libbinlog: one line, {HEAD_LABEL} or {LIVE_LABEL} and its fields");
            Error::file(ErrorKind::InvalidArgument, path, what)
        })
    }

    /// Its line in a head file.
    pub fn to_line(&self) -> String {
        let (log, next) = (&self.log, self.next_seq);
        let (key, sig) = (hex(&self.key.0), hex(&self.signature));
        match &self.live {
            None => format!("{HEAD_LABEL} {log} {next} {} {key} {sig}", hex(&self.link)),
            Some(c) => {
                let (no, end, digest, prev) = (c.segment_no, c.end, hex(&c.digest), hex(&c.prev));
                format!("{LIVE_LABEL} {log} {next} {no} {end} {digest} {prev} {key} {sig}")
            }
        }
    }

    /// Whether `key` signed it.
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        let context = if self.live.is_some() {
            LIVE_CONTEXT
        } else {
            SEAL_CONTEXT
        };
        self.key == *key && key.signed(context, &self.link, &self.signature)
    }

    /// Replaces the file at `path` with it (written beside, then renamed).
    pub(super) fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = crate::sys::with_suffix(path, ".tmp");
        std::fs::write(&tmp, format!("{}\n", self.to_line()))?;
        std::fs::rename(&tmp, path)
    }
}
