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
use blake3::hazmat::{left_subtree_len, merge_subtrees_non_root, merge_subtrees_root};
use blake3::hazmat::{ChainingValue, HasherExt, Mode};
use parking_lot::Mutex;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::collections::BTreeMap;
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
/// Bytes of a piece of a digest: an aligned subtree of BLAKE3's tree.
const PIECE: u64 = 1 << 20;

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
}

/// A BLAKE3 digest.
pub(crate) type Digest = [u8; HASH_LEN];
/// Reading bytes for a digest.
type Io<T = ()> = std::io::Result<T>;

/// BLAKE3 of a segment's bytes `0 .. end` as BLAKE3's tree makes it: the
/// chaining value of each aligned `PIECE` (a subtree of its own) hashed by
/// whichever thread holds its bytes, in any order, and merged by a seal or
/// a checkpoint (`digest`). The writer's thread hashes one in two whole
/// pieces of a buffer before it hands it over (its bytes in cache from their
/// CRCs), its write-behind thread the rest before it writes them (outside
/// its timing of writes, `write_behind::pieces`). A piece reached in parts
/// is fed in order: bytes that do not go on from where it stands are left
/// out, and `digest` reads back (and keeps) every piece it lacks. Bytes
/// hashed never change: after a failed write (which may cut the file) the
/// writer starts a new one.
#[derive(Default)]
pub(crate) struct Running(Mutex<Pieces>);

#[derive(Default)]
struct Pieces {
    /// The chaining values of whole pieces, by piece number.
    whole: BTreeMap<u64, ChainingValue>,
    /// The piece reached in part: where its bytes reach, and its hasher.
    part: Option<(u64, blake3::Hasher)>,
}

impl Running {
    /// A writer's, shared with its write-behind thread (`job::Tap`), of
    /// the first `len` bytes of its segment in `file` (its header, or the
    /// records of a segment resumed), read back.
    pub(crate) fn tap(file: &File, len: u64) -> Arc<Running> {
        let r = Running::default();
        // What could not be read is read again by `digest`.
        let _ = r.digest(len, |at, buf| file.read_exact_at(buf, at));
        Arc::new(r)
    }

    /// `bufs` go to the file one after the other from `at` (`!ahead`):
    /// their whole pieces hashed (those not hashed yet), the bytes of a
    /// piece they reach in part fed if they go on from where it stands.
    /// `ahead`: the writer's thread, before it hands `bufs` to its
    /// write-behind thread, hashes their whole pieces numbered even only:
    /// the threads' CPU then about even, with the caller's CRCs on its
    /// side and its hash of bytes in its cache the cheaper
    /// (docs/PERFORMANCE.md, a signed). Hashed without the lock:
    /// the other thread hashes other pieces meanwhile.
    pub(crate) fn wrote(&self, mut at: u64, bufs: &[&[u8]], ahead: bool) {
        let mut part = (!ahead).then(|| self.0.lock().part.take()).flatten();
        for mut bytes in bufs.iter().copied() {
            while !bytes.is_empty() {
                let (i, start) = (at / PIECE, at & !(PIECE - 1));
                let (piece, rest) = bytes.split_at(bytes.len().min((start + PIECE - at) as usize));
                let n = piece.len() as u64;
                let hashed = || self.0.lock().whole.contains_key(&i);
                let skip = (ahead && (n < PIECE || i % 2 > 0)) || (!ahead && hashed());
                // A whole piece hashed apart, a part on from where it stands.
                let mut whole = None;
                let p = if n == PIECE { &mut whole } else { &mut part };
                if at == start && !skip {
                    *p = Some((at, blake3::Hasher::new().set_input_offset(at).clone()));
                }
                if let Some((to, h)) = p.as_mut().filter(|(to, _)| *to == at && !skip) {
                    h.update(piece);
                    *to += n;
                }
                if let Some((_, h)) = p.take_if(|(to, _)| *to == start + PIECE) {
                    self.0.lock().whole.insert(i, h.finalize_non_root());
                }
                (at, bytes) = (at + n, rest);
            }
        }
        if !ahead {
            self.0.lock().part = part;
        }
    }

    /// BLAKE3 of the bytes `0 .. end` (the one digest of a writer's seal
    /// and checkpoint): the pieces' chaining values merged as BLAKE3 merges
    /// them, each piece not hashed read back by `read` (offset, buffer to
    /// fill) and kept; one piece (BLAKE3's root itself) read back whole.
    pub(crate) fn digest(&self, end: u64, read: impl Fn(u64, &mut [u8]) -> Io) -> Io<Digest> {
        let mut cvs = Vec::new();
        for at in (0..end.max(1)).step_by(PIECE as usize) {
            let len = (end - at).min(PIECE);
            let held = || {
                let r = self.0.lock();
                let part = r.part.as_ref().filter(|(to, _)| *to == at + len);
                let whole = r.whole.get(&(at / PIECE)).filter(|_| len == PIECE);
                part.map(|(_, h)| h.finalize_non_root()).or(whole.copied())
            };
            if end <= PIECE || held().is_none() {
                let mut buf = vec![0; len as usize];
                read(at, &mut buf)?;
                self.wrote(at, &[&buf], false);
                if end <= PIECE {
                    return Ok(*blake3::hash(&buf).as_bytes());
                }
            }
            cvs.push(held().expect("hashed"));
        }
        Ok(merge(&cvs, end, true))
    }
}

/// The chaining value (the digest, at the `root`) of the subtree of `len`
/// bytes whose pieces' are `cvs`: its left subtree the largest power of two
/// below `len` (a whole number of pieces), as BLAKE3's tree.
fn merge(cvs: &[ChainingValue], len: u64, root: bool) -> ChainingValue {
    let [_, _, ..] = cvs else { return cvs[0] };
    let left = left_subtree_len(len);
    let (l, r) = cvs.split_at((left / PIECE) as usize);
    let (l, r) = (merge(l, left, false), merge(r, len - left, false));
    match root {
        true => *merge_subtrees_root(&l, &r, Mode::Hash).as_bytes(),
        false => merge_subtrees_non_root(&l, &r, Mode::Hash),
    }
}

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
    /// `None`), of segment `no` whose bytes up to its records' end have
    /// `digest`, following the chain's head. The head moves only once the
    /// seal is written (`sealed`).
    pub(crate) fn block(&self, digest: Digest, no: u64, dir: &SealDirectory) -> ChainBlock {
        let mut head = self.head.lock();
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
        let pos = (no, dir.records_end, next_seq);
        let signed = self.signed_head(&head, pos, (digest, block.prev), oldest);
        head.pending = Some((link, signed));
        block
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

    /// Signs a checkpoint of log segment `pos.0`, whose bytes up to `pos.1`
    /// are whole records up to `pos.2` and have `digest`, into the log's
    /// head file, by the key for `at` (where the segment's epoch or period
    /// starts).
    pub(crate) fn checkpoint(&self, pos: (u64, u64, u64), digest: Digest, at: i64) -> Result<()> {
        let head = self.head.lock();
        let Some(p) = &head.path else { return Ok(()) };
        let signed = self.signed_head(&head, pos, (digest, head.link), at);
        let failed = |e| Error::io(p, "write signed head", e);
        signed.write(p).map_err(failed)
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
    let (mut body, mut dir) = (Vec::new(), dir.clone());
    dir.chain = None;
    dir.encode_frame(&mut body);
    let mut h = blake3::Hasher::new_derive_key(LINK_CONTEXT);
    h.update(&block.digest);
    h.update(&block.prev);
    h.update(blake3::hash(&body[FRAME_HEADER_LEN..]).as_bytes());
    *h.finalize().as_bytes()
}

/// BLAKE3 of the original bytes `0 .. end` of the segment `source` reads
/// (a file, a compressed segment, an object); `None` if they cannot be read.
pub(crate) fn digest_of_source(source: &dyn SegmentSource, end: u64) -> Option<[u8; HASH_LEN]> {
    if let Some(bytes) = source.in_memory() {
        return Some(*blake3::hash(bytes.get(..end as usize)?).as_bytes());
    }
    let missing = || std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
    let read = |at, buf: &mut [u8]| {
        let part = source.read_part(at, buf.len()).ok_or_else(missing)?;
        buf.copy_from_slice(&part);
        Ok(())
    };
    Running::default().digest(end, read).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BLAKE3 of `bytes` written to a file, and the file.
    fn file_of(name: &str, bytes: &[u8]) -> (File, [u8; HASH_LEN]) {
        let path = crate::sys::scratch::empty_dir(name).join("seg");
        std::fs::write(&path, bytes).unwrap();
        (File::open(&path).unwrap(), *blake3::hash(bytes).as_bytes())
    }

    /// Reads `bytes` for `Running::digest_by`, counting what it reads.
    fn reader<'a>(bytes: &'a [u8], read: &'a Cell<u64>) -> impl Fn(u64, &mut [u8]) -> Io + 'a {
        move |at, buf| {
            buf.copy_from_slice(&bytes[at as usize..][..buf.len()]);
            read.set(read.get() + buf.len() as u64);
            Ok(())
        }
    }

    /// Bytes `0 .. len` of a pattern that differs from piece to piece.
    fn bytes_of(len: u64) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253 + i / PIECE) as u8).collect()
    }

    use std::cell::Cell;

    /// Pieces hashed in any order, on either side (`ahead`, `wrote`), and
    /// a last piece reached in parts, merge into BLAKE3 of the bytes with
    /// nothing read back: at every length around a piece's and a power of
    /// two's boundaries, where a merge of the wrong shape (a fold from the
    /// left, a tree from the right, a root flag or an offset misplaced)
    /// differs.
    #[test]
    fn pieces_hashed_in_any_order_merge_into_blake3_of_the_bytes() {
        let p = PIECE;
        for len in [
            1,
            1024,
            1025,
            p - 1,
            p,
            p + 1,
            2 * p,
            3 * p + 4097,
            4 * p,
            5 * p + 1,
        ]
        .into_iter()
        .chain([6 * p - 3, 7 * p, 9 * p + 100])
        {
            let bytes = bytes_of(len);
            let want = *blake3::hash(&bytes).as_bytes();
            let r = Running::default();
            let whole = len / p;
            // The last pieces first: one in two by `ahead`, then the rest.
            for i in (0..whole).rev() {
                let piece = &bytes[(i * p) as usize..][..p as usize];
                r.wrote(i * p, &[piece], true);
                r.wrote(i * p, &[piece], false);
            }
            // The tail in two parts, the second in two slices.
            let tail = &bytes[(whole * p) as usize..];
            let (a, b) = tail.split_at(tail.len() / 3);
            r.wrote(whole * p, &[a], false);
            r.wrote(
                whole * p + a.len() as u64,
                &[&b[..b.len() / 2], &b[b.len() / 2..]],
                false,
            );
            let read = Cell::new(0);
            let got = r.digest(len, reader(&bytes, &read)).unwrap();
            assert_eq!(got, want, "{len} bytes");
            // One piece, BLAKE3's root itself, is read back.
            let lone = if len <= p { len } else { 0 };
            assert_eq!(read.get(), lone, "{len} bytes");
            // In order, in buffers that cross the pieces' boundaries.
            let (r, read) = (Running::default(), Cell::new(0));
            for (k, buf) in bytes.chunks(300_007).enumerate() {
                r.wrote(k as u64 * 300_007, &[buf], true);
                r.wrote(k as u64 * 300_007, &[buf], false);
            }
            assert_eq!(r.digest(len, reader(&bytes, &read)).unwrap(), want);
            assert_eq!(read.get(), lone, "{len} bytes in buffers");
        }
    }

    /// Bytes that do not go on from where a piece stands (a gap) are left
    /// out, as are the pieces `ahead` leaves to the write-behind
    /// thread, and the digest reads back (and keeps) each piece it lacks;
    /// a new one holds nothing.
    #[test]
    fn a_running_digest_reads_back_what_it_did_not_see() {
        let (p, len) = (PIECE, 3_000_000);
        let bytes = bytes_of(len);
        let want = *blake3::hash(&bytes).as_bytes();
        let (r, read) = (Running::default(), Cell::new(0));
        r.wrote(0, &[&bytes[..1000], &bytes[1000..5000]], false);
        r.wrote(6000, &[&bytes[6000..7000]], false);
        r.wrote(2 * p, &[&bytes[2 * p as usize..]], false);
        assert_eq!(r.digest(len, reader(&bytes, &read)).unwrap(), want);
        assert_eq!(read.get(), 2 * p, "pieces 0 and 1 read back");
        assert_eq!(r.digest(len, reader(&bytes, &read)).unwrap(), want);
        assert_eq!(read.get(), 2 * p, "and kept");
        let r = Running::default();
        assert_eq!(r.digest(len, reader(&bytes, &read)).unwrap(), want);
        assert_eq!(read.get(), 2 * p + len, "all of it read back");
        let (r, read) = (Running::default(), Cell::new(0));
        r.wrote(0, &[&bytes[..]], true);
        assert_eq!(r.digest(len, reader(&bytes, &read)).unwrap(), want);
        assert_eq!(read.get(), len - p, "all but piece 0 read back");
        // Of a shorter end than it holds: a prefix.
        let (file, _) = file_of("sign-running", &bytes);
        let r = Running::tap(&file, len);
        let prefix = *blake3::hash(&bytes[..100]).as_bytes();
        let read_file = |at, buf: &mut [u8]| file.read_exact_at(buf, at);
        assert_eq!(r.digest(100, read_file).unwrap(), prefix);
        assert_eq!(r.digest(len, read_file).unwrap(), want);
    }
}
