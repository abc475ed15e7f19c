//! The shipper: uploads a log's sealed segments, in order, each with a
//! create-only PUT (multipart above a size), checks every upload with a
//! HEAD, records each step in the journal, and removes local copies only
//! once a verified copy is in the bucket. See the module doc of `archive`
//! for the guarantees.

use super::claim;
use super::identity::{self, Identity};
use super::journal::{journal_path, Entry, Journal, State};
use super::local::{self, LocalLog, SealedSegment};
use super::location::{Connection, Location};
use super::metadata::ObjectMetadata;
use super::object_name::{log_prefix, parse_segment_key, segment_key};
use super::remote::{Created, Remote};
use crate::compressed::durable::{lock_for_conversion, remove_durably};
use crate::error::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How a log is shipped.
#[derive(Clone, Debug)]
pub struct ShipOptions {
    /// Remove a local segment once its verified copy is in the bucket,
    /// keeping the newest `n` sealed segments; `None`: remove none.
    pub keep_local: Option<usize>,
    /// Segments larger than this go up as multipart uploads (default
    /// 64 MiB; single PUTs are limited to 5 GiB by S3).
    pub multipart_threshold: u64,
    /// Bytes per part of a multipart upload (at least 5 MiB; default 16).
    pub part_size: usize,
    pub connection: Connection,
}

impl Default for ShipOptions {
    fn default() -> ShipOptions {
        ShipOptions {
            keep_local: None,
            multipart_threshold: 64 << 20,
            part_size: 16 << 20,
            connection: Connection::default(),
        }
    }
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShipReport {
    /// Segments uploaded (and verified) by this pass.
    pub uploaded: Vec<u64>,
    /// Segments found already in the bucket, the same bytes (an upload a
    /// crash interrupted after the server stored it).
    pub found_uploaded: Vec<u64>,
    /// Local segments removed, their copies verified.
    pub removed_local: Vec<u64>,
    /// The first local segment not sealed, which later ones wait for.
    pub waiting_for: Option<PathBuf>,
}

pub struct Shipper {
    dir: PathBuf,
    log: String,
    remote: Remote,
    journal: Journal,
    journal_path: PathBuf,
    opts: ShipOptions,
    /// The exclusive lock of `<log>.ship.lock`: one shipper per log.
    _lock: File,
}

impl Shipper {
    /// Starts shipping log `log` in `dir` to `to`: takes the log's ship
    /// lock, claims the prefix (or checks the claim), and compares the
    /// local segments with the journal and the bucket (the startup scan).
    pub fn open(dir: &Path, log: &str, to: &Location, opts: ShipOptions) -> Result<Shipper> {
        crate::log::segments::list(dir, log)?;
        if opts.part_size < 5 << 20 {
            return Err(Error::invalid("part size below 5 MiB (the S3 minimum)"));
        }
        let lock = take_lock(&dir.join(format!("{log}.ship.lock")))?;
        let remote = Remote::connect(to, &opts.connection)?;
        let journal_path = journal_path(dir, log);
        let mut shipper = Shipper {
            dir: dir.to_path_buf(),
            log: log.to_string(),
            remote,
            journal: Journal::new(log, &to.to_string()),
            journal_path,
            opts,
            _lock: lock,
        };
        let identity = shipper.identity()?;
        claim::claim(&shipper.remote, &identity)?;
        shipper.startup_scan()?;
        Ok(shipper)
    }

    /// The journal as it stands.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Uploads every sealed segment not yet in the bucket, in order, then
    /// removes local copies past `keep_local`.
    pub fn ship_once(&mut self) -> Result<ShipReport> {
        let local = local::scan(&self.dir, &self.log)?;
        let mut report = ShipReport {
            waiting_for: local.blocked_by.as_ref().map(|b| b.path.clone()),
            ..ShipReport::default()
        };
        for s in &local.sealed {
            let done = self.journal.entry(s.segment_no).map(|e| e.state);
            if matches!(done, Some(State::Uploaded | State::LocalDeleted)) {
                continue;
            }
            match self.upload(s) {
                Ok(Created::Created) => report.uploaded.push(s.segment_no),
                Ok(Created::AlreadyExists) => report.found_uploaded.push(s.segment_no),
                // Compressed or removed since the listing: next pass.
                Err(e) if e.kind() == ErrorKind::NotFound && !s.path.exists() => break,
                Err(e) => return Err(e),
            }
        }
        report.removed_local = self.remove_shipped(&local)?;
        Ok(report)
    }

    /// The log's identity: the one kept beside its manifest, or a new one
    /// for a log never shipped. A log whose identity was lost while its
    /// prefix is claimed is taken for the claimant only if one of its
    /// local segments is in the bucket byte for byte.
    fn identity(&mut self) -> Result<Identity> {
        let path = identity::identity_path(&self.dir, &self.log);
        if let Some(id) = identity::load(&path)? {
            return Ok(id);
        }
        let id = match claim::owner(&self.remote, &self.log)? {
            Some(owner) if self.matches_bucket()? => owner,
            Some(owner) => {
                let key = super::object_name::claim_key(&self.remote.location().prefix, &self.log);
                let me = Identity::new_random(&self.log)?;
                return Err(
                    claim::refused(&self.remote.location().url_of(&key), &owner, &me).with_detail(
                        |d| {
                            format!(
                                "{d} (no {} here, and no local segment is in the bucket)",
                                path.display()
                            )
                        },
                    ),
                );
            }
            None => Identity::new_random(&self.log)?,
        };
        identity::store(&path, &id)?;
        Ok(id)
    }

    /// Whether some local sealed segment has a copy in the bucket.
    fn matches_bucket(&self) -> Result<bool> {
        let remote = self.remote_segments()?;
        for s in local::scan(&self.dir, &self.log)?.sealed {
            if let Some((name, _)) = remote.get(&s.segment_no) {
                if self.verify_copy(&s, name)?.is_ok() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The startup scan: the journal checked against the local segments
    /// and a listing of the bucket, and rebuilt from them where it is
    /// missing, damaged, of another destination, or wrong.
    fn startup_scan(&mut self) -> Result<()> {
        let to = self.remote.location().to_string();
        let old = Journal::load(&self.journal_path)?
            .filter(|j| j.log == self.log && j.to == to)
            .unwrap_or_else(|| Journal::new(&self.log, &to));
        let remote = self.remote_segments()?;
        let local = local::scan(&self.dir, &self.log)?;
        let mut fresh = Journal::new(&self.log, &to);
        fresh.through = old.through;
        for s in &local.sealed {
            let Some(name) = remote.get(&s.segment_no) else {
                continue; // SEALED: not in the bucket (an UPLOADING that never arrived)
            };
            let (name, size) = (&name.0, name.1);
            // A journal line naming the object listed, of its size, is
            // trusted; any other is checked by a HEAD.
            let recorded = old
                .entry(s.segment_no)
                .filter(|e| e.object == *name && e.bytes == size);
            let entry = match recorded {
                Some(e) if e.state == State::Uploaded => e.clone(),
                _ => self.verify_copy(s, name)??,
            };
            fresh.set(entry);
        }
        // Segments in the bucket and no longer local.
        for (&segment_no, (name, _)) in &remote {
            let local_now = local.all.contains(&segment_no);
            if !local_now && fresh.through.is_none_or(|t| segment_no > t) {
                let (bytes, sha256) = old
                    .entry(segment_no)
                    .map(|e| (e.bytes, e.sha256.clone()))
                    .unwrap_or_default();
                fresh.set(Entry {
                    segment_no,
                    state: State::LocalDeleted,
                    object: name.clone(),
                    bytes,
                    sha256,
                });
            }
        }
        fresh.fold();
        self.journal = fresh;
        self.journal.store(&self.journal_path)
    }

    /// The log's segment objects in the bucket, by segment number: their
    /// names under `<prefix>/<log>/` and sizes.
    fn remote_segments(&self) -> Result<BTreeMap<u64, (String, u64)>> {
        let prefix = log_prefix(&self.remote.location().prefix, &self.log);
        let mut out = BTreeMap::new();
        for o in self.remote.list(&prefix)? {
            if let Some(k) = parse_segment_key(&o.name) {
                if let Some((other, _)) = out.insert(k.segment_no, (o.name.clone(), o.size)) {
                    let url = self
                        .remote
                        .location()
                        .url_of(&format!("{prefix}{}", o.name));
                    return Err(Error::file(
                        ErrorKind::RemoteConflict,
                        Path::new(&url),
                        format!(
                            "a second object of segment {} (the other: {other})",
                            k.segment_no
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Uploads `s` (create-only), then HEADs it: the journal says
    /// UPLOADING before the first byte is sent and UPLOADED once the
    /// object in the bucket is verified to be `s`. Whatever the PUT
    /// answered (stored, 412, a timeout, a reset connection), the HEAD
    /// decides: the same size and hash is uploaded, other bytes are a
    /// conflict (never overwritten), no object is the PUT's error.
    fn upload(&mut self, s: &SealedSegment) -> Result<Created> {
        let prefix = &self.remote.location().prefix;
        let key = segment_key(prefix, &self.log, s.segment_no, s.first_seq, s.compressed);
        let name = key.rsplit('/').next().unwrap_or(&key).to_string();
        let size = std::fs::metadata(&s.path)
            .map_err(|e| Error::io(&s.path, "stat", e))?
            .len();
        let small = size <= self.opts.multipart_threshold;
        let bytes = match small {
            true => Some(std::fs::read(&s.path).map_err(|e| Error::io(&s.path, "read", e))?),
            false => None,
        };
        let meta = local::describe(&self.log, s, bytes.as_deref())?;
        self.record(s.segment_no, State::Uploading, &name, &meta)?;
        let put = match bytes {
            Some(b) => self.remote.put_create(&key, b.into(), &meta),
            None => self.put_large(&key, s, &meta),
        };
        // The HEAD decides, whatever the PUT answered.
        let verified = self.check_object(&key, &meta)?;
        match (put, verified) {
            (Ok(created), true) => {
                self.record(s.segment_no, State::Uploaded, &name, &meta)?;
                Ok(created)
            }
            (Err(_), true) => {
                self.record(s.segment_no, State::Uploaded, &name, &meta)?;
                Ok(Created::AlreadyExists)
            }
            (Err(e), false) => Err(e),
            (Ok(_), false) => Err(Error::file(
                ErrorKind::Remote,
                Path::new(&self.remote.location().url_of(&key)),
                "the object the server stored is not there",
            )),
        }
    }

    /// A multipart upload of the large segment `s`, part by part from its
    /// file, after a HEAD found no object at `key` (a completed multipart
    /// upload is not create-only: see the module doc).
    fn put_large(&self, key: &str, s: &SealedSegment, meta: &ObjectMetadata) -> Result<Created> {
        if self.remote.head(key)?.is_some() {
            return Ok(Created::AlreadyExists);
        }
        let mut f = File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
        let part = self.opts.part_size;
        self.remote
            .put_multipart(key, meta, || read_part(&mut f, &s.path, part))?;
        Ok(Created::Created)
    }

    /// Whether the object at `key` is the upload `meta` describes: `true`
    /// if it has its size and SHA-256, `false` if there is no object, a
    /// `RemoteConflict` error if it holds other bytes.
    fn check_object(&self, key: &str, meta: &ObjectMetadata) -> Result<bool> {
        let url = self.remote.location().url_of(key);
        match self.remote.head(key)? {
            None => Ok(false),
            Some((size, Some(m)))
                if size == meta.bytes && m.bytes == meta.bytes && m.sha256 == meta.sha256 =>
            {
                Ok(true)
            }
            Some((size, m)) => Err(conflict(&url, size, m.as_ref(), meta)),
        }
    }

    /// Whether the object `name` of the bucket is a copy of the local
    /// segment `s` (the same plain segment, even if one of them is
    /// compressed): its journal entry if so, a `RemoteConflict` (or
    /// `NotFound`) in the inner result if not; the outer one is a failure
    /// to find out.
    fn verify_copy(&self, s: &SealedSegment, name: &str) -> Result<Result<Entry>> {
        let prefix = log_prefix(&self.remote.location().prefix, &self.log);
        let key = format!("{prefix}{name}");
        let url = self.remote.location().url_of(&key);
        let mine = local::describe(&self.log, s, None)?;
        let Some((size, theirs)) = self.remote.head(&key)? else {
            return Ok(Err(Error::file(
                ErrorKind::NotFound,
                Path::new(&url),
                "listed, then gone",
            )));
        };
        let same_name = parse_segment_key(name).is_some_and(|k| k.first_seq == s.first_seq);
        match theirs {
            Some(m) if same_name && m.bytes == size && m.segment_sha256 == mine.segment_sha256 => {
                Ok(Ok(Entry {
                    segment_no: s.segment_no,
                    state: State::Uploaded,
                    object: name.to_string(),
                    bytes: m.bytes,
                    sha256: m.sha256,
                }))
            }
            m => Ok(Err(conflict(&url, size, m.as_ref(), &mine))),
        }
    }

    /// Writes segment `segment_no`'s new state into the journal, durably.
    fn record(
        &mut self,
        segment_no: u64,
        state: State,
        name: &str,
        meta: &ObjectMetadata,
    ) -> Result<()> {
        self.journal.set(Entry {
            segment_no,
            state,
            object: name.to_string(),
            bytes: meta.bytes,
            sha256: meta.sha256.clone(),
        });
        self.journal.fold();
        self.journal.store(&self.journal_path)
    }

    /// Removes the local copies of uploaded segments older than the newest
    /// `keep_local` sealed ones, each after a HEAD shows its copy still in
    /// the bucket as uploaded; a segment a conversion or writer holds is
    /// left for the next pass.
    fn remove_shipped(&mut self, local: &LocalLog) -> Result<Vec<u64>> {
        let Some(keep) = self.opts.keep_local else {
            return Ok(Vec::new());
        };
        let removable = local.sealed.len().saturating_sub(keep);
        let mut removed = Vec::new();
        for s in &local.sealed[..removable] {
            let Some(e) = self.journal.entry(s.segment_no).cloned() else {
                break; // not uploaded: nothing after it is removed either
            };
            if e.state != State::Uploaded {
                break;
            }
            let prefix = log_prefix(&self.remote.location().prefix, &self.log);
            let meta = ObjectMetadata {
                bytes: e.bytes,
                sha256: e.sha256.clone(),
                ..local::without_digest(&self.log, s)
            };
            if !self.check_object(&format!("{prefix}{}", e.object), &meta)? {
                let url = self
                    .remote
                    .location()
                    .url_of(&format!("{prefix}{}", e.object));
                return Err(Error::file(
                    ErrorKind::NotFound,
                    Path::new(&url),
                    format!("uploaded, now missing: {} is kept", s.path.display()),
                ));
            }
            let file = match File::open(&s.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&s.path, "open", e)),
            };
            match lock_for_conversion(&file, &s.path) {
                Err(e) if e.kind() == ErrorKind::Locked => break,
                r => r?,
            }
            remove_durably(&s.path)?;
            self.journal.set(Entry {
                state: State::LocalDeleted,
                ..e
            });
            self.journal.fold();
            self.journal.store(&self.journal_path)?;
            removed.push(s.segment_no);
        }
        Ok(removed)
    }
}

/// The error for an object at `url` that is not the local segment `mine`.
fn conflict(url: &str, size: u64, theirs: Option<&ObjectMetadata>, mine: &ObjectMetadata) -> Error {
    let theirs = match theirs {
        Some(m) => format!("{size} bytes, sha256 {}", m.sha256),
        None => format!("{size} bytes, without binlog metadata"),
    };
    Error::file(
        ErrorKind::RemoteConflict,
        Path::new(url),
        format!(
            "holds other bytes than segment {} of log {:?} ({theirs}; the local segment: {} bytes, sha256 {}): not overwritten, shipping stopped",
            mine.segment_no, mine.log, mine.bytes, mine.sha256
        ),
    )
}

/// Takes the exclusive lock of `path` (created if need be), or `Locked`.
fn take_lock(path: &Path) -> Result<File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, "open ship lock", e))?;
    match crate::sys::try_lock_exclusive(&f) {
        Ok(true) => Ok(f),
        Ok(false) => Err(Error::file(
            ErrorKind::Locked,
            path,
            "another shipper of this log holds it",
        )),
        Err(e) => Err(Error::io(path, "lock", e)),
    }
}

/// The next part of a multipart upload: up to `size` bytes of `f`, `None`
/// at its end.
fn read_part(f: &mut File, path: &Path, size: usize) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::with_capacity(size);
    f.by_ref()
        .take(size as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, "read", e))?;
    Ok((!buf.is_empty()).then_some(buf))
}
