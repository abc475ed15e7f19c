//! A log's signed head (docs/FORMAT.md section 8.6): the line `<log>.head`
//! holds, rewritten after each seal and at each checkpoint of the live
//! segment, read and written as text.

use super::{hex, EpochCert, PublicKey, HEAD_CONTEXT, HEAD_LABEL};
use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{HASH_LEN, SIGNATURE_LEN};
use crate::format::from_hex;
use std::path::{Path, PathBuf};

/// What a log's writer signed last (`binlog-head-1`): segment `segment_no`
/// of log `log` held, in its bytes `0 .. end` (whole records, those before
/// `next_seq`; after a seal, its records up to the seal), the BLAKE3
/// `digest`, and followed the segment whose link is `prev`. A copy kept
/// where the writer's host cannot change it proves what the log held:
/// `Verify::with_head` reports what was cut off or changed since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHead {
    /// The log's name.
    pub log: String,
    /// The sequence number after the records it covers.
    pub next_seq: u64,
    /// The segment's number.
    pub segment_no: u64,
    /// The bytes it covers.
    pub end: u64,
    /// Their digest.
    pub digest: [u8; HASH_LEN],
    /// The link of the segment before it.
    pub prev: [u8; HASH_LEN],
    /// The key that signed it.
    pub key: PublicKey,
    /// The signature of its link (`link`).
    pub signature: [u8; SIGNATURE_LEN],
    /// Signed by an epoch key: the master key's certificate of `key`.
    pub epoch: Option<EpochCert>,
}

impl SignedHead {
    /// What its signature signs (after `HEAD_CONTEXT`): keyed BLAKE3
    /// (context `libbinlog 1 head link`) of the log name's length and bytes,
    /// `segment_no`, `end`, `next_seq`, `digest` and `prev`.
    pub(super) fn link(&self) -> [u8; HASH_LEN] {
        let mut h = blake3::Hasher::new_derive_key("libbinlog 1 head link");
        h.update(&(self.log.len() as u64).to_le_bytes());
        h.update(self.log.as_bytes());
        for v in [self.segment_no, self.end, self.next_seq] {
            h.update(&v.to_le_bytes());
        }
        h.update(&self.digest);
        h.update(&self.prev);
        *h.finalize().as_bytes()
    }

    /// The signed head in the file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<SignedHead> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read head", e))?;
        SignedHead::from_bytes(&bytes, path)
    }

    /// The signed head `bytes` hold, read from `path` (a file or an
    /// object's URL, which an error names).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<SignedHead> {
        let text = String::from_utf8_lossy(bytes);
        let w: Vec<&str> = text.split_whitespace().collect();
        let head = match w.as_slice() {
            [HEAD_LABEL, log, next, no, end, digest, prev, key, sig, epoch @ ..] => (|| {
                let epoch = match epoch {
                    [] => None,
                    [start, cert] => Some(EpochCert {
                        start_ns: start.parse().ok()?,
                        signature: from_hex(cert)?,
                    }),
                    _ => return None,
                };
                Some(SignedHead {
                    log: log.to_string(),
                    next_seq: next.parse().ok()?,
                    segment_no: no.parse().ok()?,
                    end: end.parse().ok()?,
                    digest: from_hex(digest)?,
                    prev: from_hex(prev)?,
                    key: PublicKey(from_hex(key)?),
                    signature: from_hex(sig)?,
                    epoch,
                })
            })(
            ),
            _ => None,
        };
        let what = || {
            format!("not a signed head of libbinlog: one line, {HEAD_LABEL} and 8 fields (10 by an epoch key)")
        };
        head.ok_or_else(|| Error::file(ErrorKind::InvalidArgument, path, what()))
    }

    /// Its line in a head file.
    pub fn to_line(&self) -> String {
        let (log, next, no, end) = (&self.log, self.next_seq, self.segment_no, self.end);
        let (digest, prev) = (hex(&self.digest), hex(&self.prev));
        let (key, sig) = (hex(&self.key.0), hex(&self.signature));
        let line = format!("{HEAD_LABEL} {log} {next} {no} {end} {digest} {prev} {key} {sig}");
        match &self.epoch {
            Some(e) => format!("{line} {} {}", e.start_ns, hex(&e.signature)),
            None => line,
        }
    }

    /// Whether its signature verifies by its `key`.
    pub fn signature_holds(&self) -> bool {
        self.key.signed(HEAD_CONTEXT, &self.link(), &self.signature)
    }

    /// Whether `trusted` signed it, or certified the epoch key that did.
    pub fn signed_by(&self, trusted: &PublicKey) -> bool {
        super::vouches(trusted, &self.key.0, self.epoch.as_ref()) && self.signature_holds()
    }

    /// Replaces the file at `path` with it (written beside, then renamed).
    pub(super) fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = crate::sys::with_suffix(path, ".tmp");
        std::fs::write(&tmp, format!("{}\n", self.to_line()))?;
        std::fs::rename(&tmp, path)
    }
}

/// A log's signed head with its file or URL and whether it is a copy kept
/// elsewhere, and the first segment it may name that the log does not
/// hold (a verify's, `verify::chain`).
pub(crate) type OwnHead = (Option<(SignedHead, PathBuf, bool)>, Option<u64>);
