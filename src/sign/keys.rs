//! Ed25519 key files (`binlog keys new`): one line each, a label and 64
//! hex digits; and the public key that verifies signatures.

use super::{hex, EPOCH_KEYS_LABEL, PUBLIC_KEY_LABEL, SEAL_CONTEXT, SECRET_KEY_LABEL};
use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{HASH_LEN, SIGNATURE_LEN};
use crate::format::from_hex;
use ring::signature::{UnparsedPublicKey, ED25519};
use std::path::Path;

/// An Ed25519 public key: the one a verify trusts (`binlog verify
/// --trust`), or the one a seal names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublicKey(pub [u8; HASH_LEN]);

impl PublicKey {
    /// The public key in the file at `path` (`binlog keys new` writes it:
    /// one line, `binlog-public-key-ed25519` and 64 hex digits).
    pub fn from_file(path: impl AsRef<Path>) -> Result<PublicKey> {
        read_key_file(path.as_ref(), PUBLIC_KEY_LABEL).map(PublicKey)
    }

    /// The key file's line: `binlog-public-key-ed25519 <64 hex digits>`.
    pub fn to_line(&self) -> String {
        format!("{PUBLIC_KEY_LABEL} {}", hex(&self.0))
    }

    /// Whether `signature` is this key's signature of a seal whose link
    /// is `link`.
    pub fn signed_seal(&self, link: &[u8; HASH_LEN], signature: &[u8; SIGNATURE_LEN]) -> bool {
        self.signed(SEAL_CONTEXT, link, signature)
    }

    pub(super) fn signed(&self, context: &[u8], link: &[u8], sig: &[u8]) -> bool {
        let key = UnparsedPublicKey::new(&ED25519, &self.0);
        key.verify(&[context, link].concat(), sig).is_ok()
    }
}

/// The 32 bytes of key file `path`, whose one line is `label` and 64 hex
/// digits.
pub(super) fn read_key_file(path: &Path, label: &str) -> Result<[u8; HASH_LEN]> {
    let text = read_text(path, label != PUBLIC_KEY_LABEL)?;
    let mut words = text.split_whitespace();
    let key = match (words.next(), words.next(), words.next()) {
        (Some(l), Some(h), None) if l == label => from_hex(h),
        _ => None,
    };
    let what = || format!("not a key file of libbinlog: one line, {label} and 64 hex digits");
    key.ok_or_else(|| Error::file(ErrorKind::InvalidArgument, path, what()))
}

/// The text of key file `path`, read for a secret key (`secret`) or a
/// public one. One that holds a secret key (or epoch keys), read for one,
/// is refused if anyone but its owner may read or write it, as ssh
/// refuses an unprotected private key; a public key may be anyone's (and
/// a secret key read for a public one is refused as no public key).
pub(super) fn read_text(path: &Path, secret: bool) -> Result<String> {
    use std::os::unix::fs::MetadataExt;
    let failed = |e| Error::io(path, "read key file", e);
    let text = std::fs::read_to_string(path).map_err(failed)?;
    let mode = std::fs::metadata(path).map_err(failed)?.mode() & 0o7777;
    let labelled = |l: &str| secret && text.starts_with(l);
    if !(labelled(SECRET_KEY_LABEL) || labelled(EPOCH_KEYS_LABEL)) || mode & 0o077 == 0 {
        return Ok(text);
    }
    let how = "secret key file readable or writable by anyone but its owner";
    let what = format!("{how} (mode {mode:04o}): chmod 600 {}", path.display());
    Err(Error::file(ErrorKind::PermissionDenied, path, what))
}

pub(super) fn write_key_file(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let failed = |e| Error::io(path, "write key file", e);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(failed)?;
    f.write_all(text.as_bytes()).map_err(failed)?;
    f.sync_all().map_err(failed)
}
