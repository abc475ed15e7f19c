//! Forward-secure signing (docs/FORMAT.md section 8.6): a master key, kept
//! off the writer's host, certifies one Ed25519 key per epoch of a
//! schedule (`binlog keys epochs`). The writer's key file holds the epoch
//! keys not yet past; a log's writer rolls at each epoch's end and erases
//! an epoch's key from the file and from memory once the epoch is over and
//! its segments are sealed. Whoever takes the host over at a time T holds
//! no key of an epoch before T's, so cannot sign records older than that
//! epoch: a verify names a seal whose records are older than its key's
//! epoch (`OutOfEpoch`).

use super::keys::write_key_file;
use super::{hex, pair_of, PublicKey};
use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{EpochCert, HASH_LEN, SIGNATURE_LEN};
use crate::format::from_hex;
use ring::signature::Ed25519KeyPair;
use std::path::{Path, PathBuf};

/// The first word of an epoch key file.
pub(super) const EPOCH_KEYS_LABEL: &str = "binlog-epoch-keys-ed25519";
/// What a master key's certificate signs: this, then `cert_link`.
pub(super) const CERT_CONTEXT: &[u8] = b"libbinlog epoch 1\0";
/// How much older than its key's epoch a record may be and still be in its
/// seal: the writer stamps records by one clock and rolls by another (the
/// system's), which may disagree by this much.
pub const EPOCH_SLACK_NS: i64 = 1_000_000_000;

/// A writer's epoch keys: the schedule (epoch `i` starts at `start_ns + i *
/// len_ns`) and the epochs not erased, oldest first.
pub(super) struct EpochKeys {
    path: PathBuf,
    master: PublicKey,
    start_ns: i64,
    len_ns: i64,
    kept: Vec<Epoch>,
}

/// One epoch's key (its seed) and the master's certificate of it.
struct Epoch {
    index: u64,
    seed: [u8; HASH_LEN],
    cert: [u8; SIGNATURE_LEN],
}

/// What a master key's certificate signs (after `CERT_CONTEXT`): keyed
/// BLAKE3 (context `libbinlog 1 epoch key`) of the epoch key and the
/// epoch's start (`i64`, little-endian).
pub(super) fn cert_link(key: &[u8; HASH_LEN], start_ns: i64) -> [u8; HASH_LEN] {
    let mut h = blake3::Hasher::new_derive_key("libbinlog 1 epoch key");
    h.update(key);
    h.update(&start_ns.to_le_bytes());
    *h.finalize().as_bytes()
}

impl EpochKeys {
    /// Writes a new epoch key file at `path` (readable by its owner only;
    /// it may not exist): `count` epochs of `len_ns` from `start_ns`, each
    /// key certified by `master`.
    pub(super) fn create(
        master: &Ed25519KeyPair,
        path: &Path,
        (start_ns, len_ns, count): (i64, i64, u64),
    ) -> Result<()> {
        let end = (count as i64)
            .checked_mul(len_ns)
            .and_then(|n| n.checked_add(start_ns));
        if len_ns < 1_000_000_000 || count == 0 || end.is_none() {
            let what = "an epoch schedule needs epochs of at least a second, at least one";
            return Err(Error::file(ErrorKind::InvalidArgument, path, what));
        }
        let kept = (0..count)
            .map(|index| {
                let seed = super::random_seed(path)?;
                let key = super::key_bytes(&pair_of(&seed));
                let start = start_ns + index as i64 * len_ns;
                let message = [CERT_CONTEXT, &cert_link(&key, start)].concat();
                let cert = master.sign(&message).as_ref().try_into().expect("64 bytes");
                Ok(Epoch { index, seed, cert })
            })
            .collect::<Result<_>>()?;
        let keys = EpochKeys {
            path: path.to_path_buf(),
            master: PublicKey(super::key_bytes(master)),
            start_ns,
            len_ns,
            kept,
        };
        write_key_file(path, &keys.text(), 0o600)
    }

    /// The epoch key file at `path`, whose `text` was read: each key's
    /// certificate checked against the master key it names.
    pub(super) fn parse(path: &Path, text: &str) -> Result<EpochKeys> {
        let bad = |what: String| {
            let what = format!("not an epoch key file of libbinlog: {what}");
            Error::file(ErrorKind::InvalidArgument, path, what)
        };
        let mut lines = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>());
        let keys = lines.next().and_then(|first| match first.as_slice() {
            [EPOCH_KEYS_LABEL, master, start, len] => Some(EpochKeys {
                path: path.to_path_buf(),
                master: PublicKey(from_hex(master)?),
                start_ns: start.parse().ok()?,
                len_ns: len.parse().ok().filter(|&n: &i64| n > 0)?,
                kept: Vec::new(),
            }),
            _ => None,
        });
        let first = format!("line 1 is not {EPOCH_KEYS_LABEL}, a master key, start and length");
        let mut keys = keys.ok_or_else(|| bad(first))?;
        for (n, words) in lines.enumerate().filter(|(_, w)| !w.is_empty()) {
            let line = n + 2;
            let epoch = match words.as_slice() {
                [index, seed, cert] => (|| {
                    let (index, seed, cert) =
                        (index.parse().ok()?, from_hex(seed)?, from_hex(cert)?);
                    Some(Epoch { index, seed, cert })
                })(),
                _ => None,
            };
            let epoch = epoch.ok_or_else(|| bad(format!("line {line} is not an epoch")))?;
            if !keys.certified(&epoch) {
                let what = "its key is not the master key's (changed, or another's)";
                return Err(bad(format!("line {line}: {what}")));
            }
            keys.kept.push(epoch);
        }
        if keys.kept.is_empty() {
            return Err(bad("no epoch key left".into()));
        }
        Ok(keys)
    }

    fn start_of(&self, index: u64) -> i64 {
        self.start_ns
            .saturating_add((index as i64).saturating_mul(self.len_ns))
    }

    /// Whether epoch `e`'s key is the master's, for its start.
    fn certified(&self, e: &Epoch) -> bool {
        let link = cert_link(&super::key_bytes(&pair_of(&e.seed)), self.start_of(e.index));
        self.master.signed(CERT_CONTEXT, &link, &e.cert)
    }

    /// The file's text: the schedule's line, then one line per epoch kept.
    fn text(&self) -> String {
        let (master, start, len) = (hex(&self.master.0), self.start_ns, self.len_ns);
        let mut text = format!("{EPOCH_KEYS_LABEL} {master} {start} {len}\n");
        for e in &self.kept {
            text += &format!("{} {} {}\n", e.index, hex(&e.seed), hex(&e.cert));
        }
        text
    }

    /// The master key, which verifies what the epoch keys sign.
    pub(super) fn master(&self) -> PublicKey {
        self.master
    }

    /// Where the epoch holding `t` starts.
    pub(super) fn floor(&self, t: i64) -> i64 {
        // A negative index (before the schedule) goes through u64 unchanged.
        self.start_of(t.saturating_sub(self.start_ns).div_euclid(self.len_ns) as u64)
    }

    /// The key that signs records from `t` on, and its certificate: the
    /// oldest kept epoch's that ends after `t` (the newest kept if none
    /// does: past the schedule's end, the last key signs on).
    pub(super) fn signer(&self, t: i64) -> (Ed25519KeyPair, EpochCert) {
        let ends_after = |e: &Epoch| self.start_of(e.index + 1) > t;
        let i = self.kept.iter().position(ends_after);
        let e = &self.kept[i.unwrap_or(self.kept.len() - 1)];
        let cert = EpochCert {
            start_ns: self.start_of(e.index),
            signature: e.cert,
        };
        (pair_of(&e.seed), cert)
    }

    /// Erases the keys of the epochs that end by `t` (all but the last),
    /// from the file first (replaced, synced), then from memory.
    pub(super) fn erase_before(&mut self, t: i64) -> Result<()> {
        let past = |e: &Epoch| self.start_of(e.index + 1) <= t;
        let n = self.kept.iter().take_while(|e| past(e)).count();
        let n = n.min(self.kept.len() - 1);
        if n == 0 {
            return Ok(());
        }
        let mut gone: Vec<Epoch> = self.kept.drain(..n).collect();
        let written = self.rewrite();
        for e in &mut gone {
            // Overwritten, not just dropped (`black_box`: the writes are
            // not optimized away as dead).
            e.seed.fill(0);
            std::hint::black_box(&e.seed);
        }
        written
    }

    /// Replaces the file with the epochs kept: written beside (its owner's
    /// only), synced, renamed over it, the directory synced.
    fn rewrite(&self) -> Result<()> {
        let tmp = crate::sys::with_suffix(&self.path, ".tmp");
        let _ = std::fs::remove_file(&tmp);
        write_key_file(&tmp, &self.text(), 0o600)?;
        std::fs::rename(&tmp, &self.path)
            .map_err(|e| Error::io(&self.path, "erase past epoch keys", e))?;
        crate::sys::sync_parent(&self.path)
    }
}
