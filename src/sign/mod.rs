//! Tamper-evident logs (feature `sign`; docs/FORMAT.md section 8.6): a
//! signed segment's seal carries the BLAKE3 digest of its bytes up to its
//! records' end, the link of the segment before it in its log, and an
//! Ed25519 signature of its own link, so that a log's sealed segments form
//! one chain that a trusted public key verifies. Here: the key files, the
//! writer's side (`Signing`) and the checks a verify makes of one seal
//! (the chain between segments: `verify::chain`). A forward-secure key
//! signs with a key per epoch (`epochs`).

mod epochs;
pub(crate) mod head;
mod keys;

pub use crate::format::chain::EpochCert;
pub(crate) use epochs::EPOCH_SLACK_NS;
use epochs::{EpochKeys, CERT_CONTEXT, EPOCH_KEYS_LABEL};
pub use head::SignedHead;
pub use keys::PublicKey;
use keys::{read_key_file, write_key_file};

use crate::error::{Error, ErrorKind, Result};
use crate::format::chain::{ChainBlock, HASH_LEN, SIGNATURE_LEN};
use crate::format::seal::SealDirectory;
use crate::format::{hex, FRAME_HEADER_LEN};

use crate::source::SegmentSource;
use parking_lot::Mutex;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a seal's signature signs: this, then the segment's link.
const SEAL_CONTEXT: &[u8] = b"libbinlog seal 1\0";
/// What a signed head's signature signs: this, then its link.
const HEAD_CONTEXT: &[u8] = b"libbinlog head 1\0";
/// The BLAKE3 key derivation context of a link.
const LINK_CONTEXT: &str = "libbinlog 1 chain link";
/// The first word of a key file: a secret key's, a public key's.
const SECRET_KEY_LABEL: &str = "binlog-secret-key-ed25519";
const PUBLIC_KEY_LABEL: &str = "binlog-public-key-ed25519";
/// The first word of a signed head's line.
const HEAD_LABEL: &str = "binlog-head-1";
/// Bytes hashed at a time (BLAKE3 hashes a large piece on every SIMD lane).
const DIGEST_PIECE: usize = 1 << 20;

/// A log's signing: its key and the head of its chain (the link of the
/// segment it sealed last), shared by every segment its writer writes.
/// Cloned, it is the same chain. A segment writer alone starts a chain of
/// its own.
#[derive(Clone)]
pub struct Signing {
    keys: Arc<Keys>,
    head: Arc<Mutex<Head>>,
}

/// What signs: one key, or a forward-secure key's epoch keys.
enum Keys {
    One(Ed25519KeyPair),
    Epochs(Mutex<EpochKeys>),
}

/// The public key that makes a signature verify, the signature and, made
/// by an epoch key, the master's certificate of that key.
type Signed = ([u8; HASH_LEN], [u8; SIGNATURE_LEN], Option<EpochCert>);

/// Where a chain stands.
#[derive(Default)]
struct Head {
    /// The link the next seal names as `prev`: zeros until a seal is
    /// written or the log's newest sealed segment read.
    link: [u8; HASH_LEN],
    /// The seal being written: its link, the head once it is, and the
    /// signed head it makes.
    pending: Option<([u8; HASH_LEN], SignedHead)>,
    /// Where a log's signed head goes (`<log>.head`), if it is a log's,
    /// and the log's name.
    path: Option<PathBuf>,
    log: String,
    /// The live segment's digest so far (`checkpoint`), which its seal
    /// continues.
    live: Option<LiveDigest>,
}

/// BLAKE3 of the first `hashed_to` bytes of segment `segment_no`.
struct LiveDigest {
    segment_no: u64,
    hasher: blake3::Hasher,
    hashed_to: u64,
}

impl Head {
    /// BLAKE3 of segment `no`'s bytes `0 .. end` in `file`: on from the live
    /// segment's last checkpoint if this is it (taken). The hasher (which
    /// holds them), where it went on from, and the digest.
    fn digest(&mut self, file: &File, no: u64, end: u64) -> (blake3::Hasher, u64, Digest) {
        let (mut hasher, from) = match self.live.take() {
            Some(l) if l.segment_no == no && l.hashed_to <= end => (l.hasher, l.hashed_to),
            _ => (blake3::Hasher::new(), 0),
        };
        let digest = digest_on(&mut hasher, from..end, |at, buf| {
            file.read_exact_at(buf, at)
        });
        (hasher, from, digest)
    }
}

/// A digest, or the error of reading what it covers.
type Digest = std::io::Result<[u8; HASH_LEN]>;

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Signing").field(&self.public_key()).finish()
    }
}

impl Signing {
    /// The secret key in the file at `path` (`binlog keys new` writes
    /// it), or the epoch keys (`binlog keys epochs` writes them: the
    /// signing is forward secure, see `epochs`).
    pub fn from_key_file(path: impl AsRef<Path>) -> Result<Signing> {
        let path = path.as_ref();
        let text = keys::read_text(path, true)?;
        let keys = match text.starts_with(EPOCH_KEYS_LABEL) {
            true => Keys::Epochs(Mutex::new(EpochKeys::parse(path, &text)?)),
            false => Keys::One(pair_from(path)?),
        };
        Ok(Signing {
            keys: Arc::new(keys),
            head: Arc::default(),
        })
    }

    /// The same key, signing alone: no chain before it, no head file (a
    /// log's salvaged files).
    pub(crate) fn alone(&self) -> Signing {
        self.with_head(Head::default())
    }

    /// The same key, signing a chain of its own: log `name`'s in `dir`
    /// (`LogWriter::open`), whose signed head goes to `<name>.head`.
    pub(crate) fn new_chain(&self, dir: &Path, name: &str) -> Signing {
        let path = Some(dir.join(format!("{name}.head")));
        let log = name.to_string();
        self.with_head(Head {
            path,
            log,
            ..Head::default()
        })
    }

    fn with_head(&self, head: Head) -> Signing {
        let (keys, head) = (self.keys.clone(), Arc::new(Mutex::new(head)));
        Signing { keys, head }
    }

    /// The signature of `context` followed by `link`, by the key that signs
    /// records from `at` on (an epoch key's: `EpochKeys::signer`).
    fn sign(&self, context: &[u8], link: &[u8; HASH_LEN], at: i64) -> Signed {
        let message = [context, link].concat();
        let signed = |pair: &Ed25519KeyPair, epoch| -> Signed {
            let signature = pair.sign(&message).as_ref().try_into().expect("64 bytes");
            (key_bytes(pair), signature, epoch)
        };
        match &*self.keys {
            Keys::One(pair) => signed(pair, None),
            Keys::Epochs(keys) => {
                let (pair, cert) = keys.lock().signer(at);
                signed(&pair, Some(cert))
            }
        }
    }

    /// A new key, written to `path` (readable by its owner only) and its
    /// public key to `path` + `.pub`; neither file may exist.
    pub fn new_key_files(path: impl AsRef<Path>) -> Result<PublicKey> {
        let path = path.as_ref();
        let seed = random_seed(path)?;
        let public = PublicKey(key_bytes(&pair_of(&seed)));
        write_key_file(path, &format!("{SECRET_KEY_LABEL} {}\n", hex(&seed)), 0o600)?;
        let public_path = crate::sys::with_suffix(path, ".pub");
        write_key_file(&public_path, &format!("{}\n", public.to_line()), 0o644)?;
        Ok(public)
    }

    /// Writes a forward-secure key file at `path` (it may not exist;
    /// readable by its owner only): `count` epochs of `len_ns` ns from
    /// `start_ns` (ns since the Unix epoch), each with a key of its own
    /// that the key in `master_path` certifies. Returns the master's
    /// public key, which verifies what they sign.
    pub fn new_epoch_keys(
        master_path: impl AsRef<Path>,
        path: impl AsRef<Path>,
        (start_ns, len_ns, count): (i64, i64, u64),
    ) -> Result<PublicKey> {
        let master = pair_from(master_path.as_ref())?;
        EpochKeys::create(&master, path.as_ref(), (start_ns, len_ns, count))?;
        Ok(PublicKey(key_bytes(&master)))
    }

    /// The public key that verifies its seals: for epoch keys, the master
    /// key that certifies them.
    pub fn public_key(&self) -> PublicKey {
        match &*self.keys {
            Keys::One(pair) => PublicKey(key_bytes(pair)),
            Keys::Epochs(keys) => keys.lock().master(),
        }
    }

    /// Where the epoch holding `t` starts, for epoch keys: a log rolls at
    /// each epoch's end.
    pub(crate) fn epoch_floor(&self, t: i64) -> Option<i64> {
        match &*self.keys {
            Keys::One(_) => None,
            Keys::Epochs(keys) => Some(keys.lock().floor(t)),
        }
    }

    /// Erases the epoch keys of the epochs that end by `t` (a log's writer:
    /// once no segment of theirs is left to seal).
    pub(crate) fn erase_epochs_before(&self, t: i64) -> Result<()> {
        match &*self.keys {
            Keys::One(_) => Ok(()),
            Keys::Epochs(keys) => keys.lock().erase_before(t),
        }
    }

    /// The chain block of the seal whose directory is `dir` (its `chain`
    /// `None`), of segment `no` in `file` (at `path`), following the chain's
    /// head. The head moves only once the seal is written (`sealed`).
    pub(crate) fn block(
        &self,
        (file, path, no): (&File, &Path, u64),
        dir: &SealDirectory,
    ) -> Result<ChainBlock> {
        let end = dir.records_end;
        let mut head = self.head.lock();
        let (_, _, digest) = head.digest(file, no, end);
        let digest = digest.map_err(|e| Error::io_at(path, end, "digest for the seal", e))?;
        let mut block = ChainBlock {
            digest,
            prev: head.link,
            key: [0; HASH_LEN],
            signature: [0; SIGNATURE_LEN],
            epoch: None,
        };
        let link = link(&block, dir);
        // By the key of its oldest record's epoch (any for no record).
        let oldest = (dir.record_count > 0).then_some(dir.min_ts);
        let oldest = oldest.unwrap_or(i64::MIN);
        (block.key, block.signature, block.epoch) = self.sign(SEAL_CONTEXT, &link, oldest);
        let next_seq = dir.last_seq + u64::from(dir.record_count > 0);
        let signed = self.signed_head(&head, (no, end, next_seq), (digest, block.prev), oldest);
        head.pending = Some((link, signed));
        Ok(block)
    }

    /// The signed head of log segment `no` whose bytes up to `end` (whole
    /// records, up to `next_seq`) have `digest`, after the link `prev`;
    /// signed by the key for the segment's time `at` (its seal's, or the
    /// live segment's epoch's): never a later epoch's key, which would
    /// vouch for an earlier epoch's records, nor an older kept one.
    fn signed_head(
        &self,
        head: &Head,
        (no, end, next_seq): (u64, u64, u64),
        (digest, prev): ([u8; HASH_LEN], [u8; HASH_LEN]),
        at: i64,
    ) -> SignedHead {
        let mut signed = SignedHead {
            log: head.log.clone(),
            next_seq,
            segment_no: no,
            end,
            digest,
            prev,
            key: PublicKey::default(),
            signature: [0; SIGNATURE_LEN],
            epoch: None,
        };
        let (key, signature, epoch) = self.sign(HEAD_CONTEXT, &signed.link(), at);
        (signed.key, signed.signature, signed.epoch) = (PublicKey(key), signature, epoch);
        signed
    }

    /// Signs a checkpoint of log segment `pos.0` at `path`, whose bytes up
    /// to `pos.1` are whole records up to `pos.2`, into the log's
    /// head file, by the key for `at` (where the segment's epoch or period
    /// starts). The digest goes on from the last checkpoint's (bytes
    /// before `pos.1` never change), and the seal's from this one's.
    pub(crate) fn checkpoint(&self, path: &Path, pos: (u64, u64, u64), at: i64) -> Result<()> {
        let mut head = self.head.lock();
        let Some(head_path) = head.path.clone() else {
            return Ok(());
        };
        let file = File::open(path).map_err(|e| Error::io(path, "open for a checkpoint", e))?;
        let (hasher, from, digest) = head.digest(&file, pos.0, pos.1);
        let digest = digest.map_err(|e| Error::io_at(path, from, "digest for a checkpoint", e))?;
        head.live = Some(LiveDigest {
            segment_no: pos.0,
            hasher,
            hashed_to: pos.1,
        });
        let signed = self.signed_head(&head, pos, (digest, head.link), at);
        let failed = |e| Error::io(&head_path, "write signed head", e);
        signed.write(&head_path).map_err(failed)
    }

    /// The seal last made (`block`) is written: the next follows it, and a
    /// log's signed head names it. A head file that cannot be written is
    /// left as it was (the next seal writes it again).
    pub(crate) fn sealed(&self) {
        let mut head = self.head.lock();
        if let Some((link, signed)) = head.pending.take() {
            head.link = link;
            if let Some(path) = &head.path {
                let _ = signed.write(path);
            }
        }
    }

    /// The next seal follows the sealed segment at `path` (plain or
    /// compressed): its link, or zeros (a new chain) if it has none or
    /// cannot be read (`None`: the log has no sealed segment).
    pub(crate) fn follow(&self, path: Option<&Path>) {
        let reader = path.and_then(|p| crate::reader::Reader::open(p).ok());
        let dir = reader.as_ref().and_then(|r| r.seal());
        let link = dir.and_then(|d| Some(link(d.chain.as_ref()?, d)));
        let mut head = self.head.lock();
        (head.link, head.pending) = (link.unwrap_or([0; HASH_LEN]), None);
    }
}

/// The 32 bytes of `pair`'s public key.
fn key_bytes(pair: &Ed25519KeyPair) -> [u8; HASH_LEN] {
    let key = pair.public_key().as_ref();
    key.try_into().expect("an Ed25519 public key")
}

/// The key pair of the secret key file at `path`.
fn pair_from(path: &Path) -> Result<Ed25519KeyPair> {
    Ok(pair_of(&read_key_file(path, SECRET_KEY_LABEL)?))
}

/// The key pair of an Ed25519 seed.
fn pair_of(seed: &[u8; HASH_LEN]) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(seed).expect("any 32 bytes are an Ed25519 seed")
}

/// 32 random bytes for a new key written to `path`.
fn random_seed(path: &Path) -> Result<[u8; HASH_LEN]> {
    let random = ring::rand::generate(&ring::rand::SystemRandom::new());
    let failed = |_| Error::file(ErrorKind::Io, path, "no random bytes for a new key");
    random.map(|r| r.expose()).map_err(failed)
}

/// Whether `trusted` vouches for the signer `key`: it is `key`, or (an
/// epoch key, `epoch` its certificate) it certified `key` for its epoch.
pub(crate) fn vouches(
    trusted: &PublicKey,
    key: &[u8; HASH_LEN],
    epoch: Option<&EpochCert>,
) -> bool {
    match epoch {
        None => trusted.0 == *key,
        Some(c) => {
            let link = epochs::cert_link(key, c.start_ns);
            trusted.signed(CERT_CONTEXT, &link, &c.signature)
        }
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

/// `hasher`, which holds a segment's bytes before `range`, on through it,
/// read piece by piece by `read` (offset, buffer to fill); the digest so
/// far.
fn digest_on(
    hasher: &mut blake3::Hasher,
    range: std::ops::Range<u64>,
    read: impl Fn(u64, &mut [u8]) -> std::io::Result<()>,
) -> std::io::Result<[u8; HASH_LEN]> {
    let mut buf = vec![0u8; DIGEST_PIECE.min((range.end - range.start) as usize)];
    let mut at = range.start;
    while at < range.end {
        let n = (range.end - at).min(DIGEST_PIECE as u64) as usize;
        read(at, &mut buf[..n])?;
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(*hasher.finalize().as_bytes())
}

/// BLAKE3 of the original bytes `0 .. end` of the segment `source` reads
/// (a file, a compressed segment, an object); `None` if they cannot be read.
pub(crate) fn digest_of_source(source: &dyn SegmentSource, end: u64) -> Option<[u8; HASH_LEN]> {
    if let Some(bytes) = source.in_memory() {
        return Some(*blake3::hash(bytes.get(..end as usize)?).as_bytes());
    }
    let missing = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
    digest_on(&mut blake3::Hasher::new(), 0..end, |at, buf| {
        let part = source.read_part(at, buf.len()).ok_or_else(missing)?;
        buf.copy_from_slice(&part);
        Ok(())
    })
    .ok()
}
