//! Tamper-evident logs (feature `sign`; docs/FORMAT.md section 8.6): a
//! signed segment's seal carries the BLAKE3 digest of its bytes up to its
//! records' end, the link of the segment before it in its log, and an
//! Ed25519 signature of its own link, so that a log's sealed segments form
//! one chain that a trusted public key verifies. Here: the key files, the
//! writer's side ([`Signing`]) and the checks a verify makes of one seal
//! (the chain between segments: `verify::chain`).

use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{ChainBlock, HASH_LEN, SIGNATURE_LEN};
use crate::format::seal::SealDirectory;
use crate::format::FRAME_HEADER_LEN;
use crate::source::SegmentSource;
use parking_lot::Mutex;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// What a seal's signature signs: this, then the segment's link.
const SEAL_CONTEXT: &[u8] = b"libbinlog seal 1\0";
/// The BLAKE3 key derivation context of a link.
const LINK_CONTEXT: &str = "libbinlog 1 chain link";
/// The first word of a key file: a secret key's, a public key's.
const SECRET_KEY_LABEL: &str = "binlog-secret-key-ed25519";
const PUBLIC_KEY_LABEL: &str = "binlog-public-key-ed25519";
/// Bytes hashed at a time (BLAKE3 hashes a large piece on every SIMD lane).
const DIGEST_PIECE: usize = 1 << 20;

/// An Ed25519 public key: the one a verify trusts (`binlog verify
/// --trust`), or the one a seal names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        let message = [SEAL_CONTEXT, link].concat();
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(&message, signature)
            .is_ok()
    }
}

/// A log's signing: its key and the head of its chain (the link of the
/// segment it sealed last), shared by every segment its writer writes.
/// Cloned, it is the same chain. A segment writer alone starts a chain of
/// its own.
#[derive(Clone)]
pub struct Signing {
    pair: Arc<Ed25519KeyPair>,
    head: Arc<Mutex<Head>>,
}

/// Where a chain stands.
#[derive(Default)]
struct Head {
    /// The link the next seal names as `prev`: zeros until a seal is
    /// written or the log's newest sealed segment read.
    link: [u8; HASH_LEN],
    /// The link of the seal being written, the head once it is.
    pending: Option<[u8; HASH_LEN]>,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Signing").field(&self.public_key()).finish()
    }
}

impl Signing {
    /// The secret key in the file at `path` (`binlog keys new` writes it).
    pub fn from_key_file(path: impl AsRef<Path>) -> Result<Signing> {
        let path = path.as_ref();
        let seed = read_key_file(path, SECRET_KEY_LABEL)?;
        Signing::from_seed(&seed).map_err(|()| invalid_key(path))
    }

    fn from_seed(seed: &[u8; HASH_LEN]) -> std::result::Result<Signing, ()> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(drop)?;
        Ok(Signing {
            pair: Arc::new(pair),
            head: Arc::default(),
        })
    }

    /// The same key, signing a chain of its own (a log's: `LogWriter::open`).
    pub(crate) fn new_chain(&self) -> Signing {
        Signing {
            pair: self.pair.clone(),
            head: Arc::default(),
        }
    }

    /// A new key, written to `path` (readable by its owner only) and its
    /// public key to `path` + `.pub`; neither file may exist.
    pub fn new_key_files(path: impl AsRef<Path>) -> Result<PublicKey> {
        use ring::rand::SecureRandom;
        let path = path.as_ref();
        let mut seed = [0u8; HASH_LEN];
        ring::rand::SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| Error::file(ErrorKind::Io, path, "no random bytes for a new key"))?;
        let public = Signing::from_seed(&seed)
            .map_err(|()| invalid_key(path))?
            .public_key();
        write_key_file(path, &format!("{SECRET_KEY_LABEL} {}\n", hex(&seed)), 0o600)?;
        let public_path = crate::sys::with_suffix(path, ".pub");
        write_key_file(&public_path, &format!("{}\n", public.to_line()), 0o644)?;
        Ok(public)
    }

    /// The public key that verifies its seals.
    pub fn public_key(&self) -> PublicKey {
        let key = self.pair.public_key().as_ref();
        PublicKey(key.try_into().expect("an Ed25519 public key"))
    }

    /// The chain block of the seal whose directory is `dir` (its `chain`
    /// `None`), of the segment in `file` (at `path`), following the chain's
    /// head. The head moves only once the seal is written (`sealed`).
    pub(crate) fn block(
        &self,
        file: &File,
        path: &Path,
        dir: &SealDirectory,
    ) -> Result<ChainBlock> {
        let end = dir.records_end;
        let digest = digest_of(end, |at, buf| file.read_exact_at(buf, at))
            .map_err(|e| Error::io_at(path, end, "digest for the seal", e))?;
        let mut head = self.head.lock();
        let mut block = ChainBlock {
            digest,
            prev: head.link,
            key: self.public_key().0,
            signature: [0; SIGNATURE_LEN],
        };
        let link = link(&block, dir);
        let message = [SEAL_CONTEXT, &link].concat();
        block.signature = self.pair.sign(&message).as_ref().try_into().expect("64");
        head.pending = Some(link);
        Ok(block)
    }

    /// The seal last made (`block`) is written: the next follows it.
    pub(crate) fn sealed(&self) {
        let mut head = self.head.lock();
        if let Some(link) = head.pending.take() {
            head.link = link;
        }
    }

    /// The next seal follows the sealed segment at `path` (plain or
    /// compressed): its link, or zeros (a new chain) if it has none or
    /// cannot be read (`None`: the log has no sealed segment).
    pub(crate) fn follow(&self, path: Option<&Path>) {
        let reader = path.and_then(|p| crate::reader::Reader::open(p).ok());
        let dir = reader.as_ref().and_then(|r| r.seal());
        let link = dir.and_then(|d| Some(link(d.chain.as_ref()?, d)));
        *self.head.lock() = Head {
            link: link.unwrap_or([0; HASH_LEN]),
            pending: None,
        };
    }
}

/// The link of the segment whose seal's directory is `dir` and holds
/// `block`: what the next segment's `prev` names and what the signature
/// signs. Keyed BLAKE3 of the digest, `prev` and the BLAKE3 of the
/// directory's body without its chain block (the segment's counts,
/// sequence and time ranges, types and where its indexes are).
pub fn link(block: &ChainBlock, dir: &SealDirectory) -> [u8; HASH_LEN] {
    let mut body = Vec::new();
    SealDirectory {
        chain: None,
        ..dir.clone()
    }
    .encode_frame(&mut body);
    let mut h = blake3::Hasher::new_derive_key(LINK_CONTEXT);
    h.update(&block.digest);
    h.update(&block.prev);
    h.update(blake3::hash(&body[FRAME_HEADER_LEN..]).as_bytes());
    *h.finalize().as_bytes()
}

/// BLAKE3 of a segment's bytes `0 .. end`, read piece by piece by `read`
/// (offset, buffer to fill).
fn digest_of(
    end: u64,
    mut read: impl FnMut(u64, &mut [u8]) -> std::io::Result<()>,
) -> std::io::Result<[u8; HASH_LEN]> {
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; DIGEST_PIECE.min(end as usize)];
    let mut at = 0;
    while at < end {
        let n = (end - at).min(DIGEST_PIECE as u64) as usize;
        read(at, &mut buf[..n])?;
        h.update(&buf[..n]);
        at += n as u64;
    }
    Ok(*h.finalize().as_bytes())
}

/// BLAKE3 of the original bytes `0 .. end` of the segment `source` reads
/// (a file, a compressed segment, an object); `None` if they cannot be read.
pub(crate) fn digest_of_source(source: &dyn SegmentSource, end: u64) -> Option<[u8; HASH_LEN]> {
    if let Some(bytes) = source.in_memory() {
        let mut h = blake3::Hasher::new();
        h.update(bytes.get(..end as usize)?);
        return Some(*h.finalize().as_bytes());
    }
    let missing = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
    digest_of(end, |at, buf| {
        let part = source.read_part(at, buf.len()).ok_or_else(missing)?;
        buf.copy_from_slice(&part);
        Ok(())
    })
    .ok()
}

/// The 32 bytes of key file `path`, whose one line is `label` and 64 hex
/// digits.
fn read_key_file(path: &Path, label: &str) -> Result<[u8; HASH_LEN]> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read key file", e))?;
    let mut words = text.split_whitespace();
    let key = match (words.next(), words.next(), words.next()) {
        (Some(l), Some(h), None) if l == label => unhex(h),
        _ => None,
    };
    key.ok_or_else(|| {
        Error::file(
            ErrorKind::InvalidArgument,
            path,
            format!("not a key file of libbinlog: one line, {label} and 64 hex digits"),
        )
    })
}

fn write_key_file(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
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

fn invalid_key(path: &Path) -> Error {
    Error::file(ErrorKind::InvalidArgument, path, "not an Ed25519 key")
}

/// Lowercase hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 32 bytes that 64 hex digits `text` spell.
fn unhex(text: &str) -> Option<[u8; HASH_LEN]> {
    let digits = text.as_bytes();
    (digits.len() == 2 * HASH_LEN).then_some(())?;
    let mut out = [0u8; HASH_LEN];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}
