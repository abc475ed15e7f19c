//! The shipper: uploads a log's sealed segments, in order, each with a
//! create-only PUT (multipart above a size), checks every upload with a
//! HEAD, records each step in the journal, and removes local copies only
//! once a verified copy is in the bucket. See the module doc of `archive`
//! for the guarantees.

#[cfg(feature = "sign")]
mod head;
mod multipart;
mod pipeline;
mod removal;
mod startup;

use super::journal::{journal_path, Journal, State};
use super::local::{self, SealedSegment};
use super::location::Location;
use super::object_name;
use super::remote::Remote;
use super::remote_log::{ListedSegment, RemoteLog};
use super::{ShipOptions, ShipStep, Step};
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShipReport {
    /// Segments uploaded (and verified) by this pass. The files salvaged
    /// from a segment go up (and are removed locally) with it, unlisted.
    pub uploaded: Vec<u64>,
    /// Segments found already in the bucket, the same bytes (an upload a
    /// crash interrupted after the server stored it).
    pub found_uploaded: Vec<u64>,
    /// Local segments removed, their copies verified.
    pub removed_local: Vec<u64>,
    /// The first local segment not sealed, which later ones wait for.
    pub waiting_for: Option<PathBuf>,
    /// Segment objects deleted by remote retention
    /// (`ShipOptions::remote_retention`) after the uploads.
    pub pruned: Vec<u64>,
    /// The object remote retention would have deleted next but its Object
    /// Lock keeps, and what keeps it (`PruneReport::locked`).
    pub prune_locked: Option<(ListedSegment, super::ObjectLockHold)>,
}

/// Ships one log's sealed segments to a bucket, one pass per
/// [`ship_once`](Shipper::ship_once) (the `binlog ship` command loops it),
/// beside the log's writer; see the `archive` module's guarantees.
///
/// # Example
///
/// ```no_run
/// use binlog::archive::{Location, ShipOptions, Shipper};
/// use std::path::Path;
///
/// // Credentials, region and endpoint from the AWS_* environment.
/// let to = Location::parse("s3://my-bucket/logs")?;
/// let opts = ShipOptions { keep_local: Some(2), ..ShipOptions::default() };
/// let mut shipper = Shipper::open(Path::new("/var/log/app"), "orders", &to, opts)?;
/// let report = shipper.ship_once()?;
/// println!("uploaded segments {:?}", report.uploaded);
/// # Ok::<(), binlog::Error>(())
/// ```
pub struct Shipper {
    dir: PathBuf,
    log: String,
    remote: Arc<Remote>,
    journal: Journal,
    journal_path: PathBuf,
    /// Whether `journal` holds a state not yet stored (pipeline.rs).
    journal_unstored: bool,
    opts: ShipOptions,
    /// The exclusive lock of `<log>.ship.lock`: one shipper per log.
    _lock: ShipLock,
    /// Every segment up to this one was removed from the bucket by its
    /// retention (the prune marker, read at startup and after a prune):
    /// never uploaded again, and its local copy goes without a read-back.
    pruned_through: Option<u64>,
    /// The key of the signed head this shipper put last (shipper/head.rs).
    #[cfg(feature = "sign")]
    shipped_head: Option<String>,
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
        let mut remote = Remote::connect(to, &opts.connection)?;
        if let Some(object_lock) = opts.object_lock {
            remote.lock_objects(object_lock)?;
        }
        let mut shipper = Shipper {
            dir: dir.to_path_buf(),
            log: log.to_string(),
            remote: Arc::new(remote),
            journal: Journal::new(log, &to.to_string()),
            journal_path: journal_path(dir, log),
            journal_unstored: false,
            opts,
            _lock: lock,
            pruned_through: None,
            #[cfg(feature = "sign")]
            shipped_head: None,
        };
        let identity = shipper.identity()?;
        super::identity::claim(&shipper.remote, &identity)?;
        shipper.pruned_through = shipper.remote_log()?.pruned_through()?;
        shipper.startup_scan()?;
        Ok(shipper)
    }

    /// The journal as it stands.
    #[doc(hidden)]
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// `<prefix>/<log>/`, what every key of the log's objects starts with.
    fn log_prefix(&self) -> String {
        object_name::log_prefix(&self.remote.location().prefix, &self.log)
    }

    /// The key of the log's object `name` (as the journal or a listing of
    /// `log_prefix` names it).
    fn object_key(&self, name: &str) -> String {
        format!("{}{name}", self.log_prefix())
    }

    /// The error for the log's object at `key`, listed, then not found.
    fn gone(&self, key: &str) -> Error {
        self.remote
            .object_error(key, ErrorKind::NotFound, "listed, then gone")
    }

    /// Tells `opts.on_step`, if set, that segment `segment_no` is past `step`.
    fn stepped(&self, segment_no: u64, step: Step) {
        if let Some(hook) = &self.opts.on_step {
            (hook.0)(ShipStep { segment_no, step });
        }
    }

    /// Uploads every sealed segment not yet in the bucket, in order, then
    /// removes local copies past `keep_local`.
    pub fn ship_once(&mut self) -> Result<ShipReport> {
        // Read first: every segment before the one it names is sealed.
        #[cfg(feature = "sign")]
        let head = self.read_head()?;
        let local = local::scan(&self.dir, &self.log)?;
        let mut report = ShipReport {
            waiting_for: local.blocked_by.as_ref().map(|b| b.path.clone()),
            ..ShipReport::default()
        };
        let to_ship = |s: &&SealedSegment| {
            let done = self.journal.entry_of(s.order()).map(|e| e.state);
            !matches!(done, Some(State::Uploaded | State::LocalDeleted))
                && !self.pruned(s.segment_no)
        };
        let pending: Vec<&SealedSegment> = local.sealed.iter().filter(to_ship).collect();
        let uploads = self.upload_in_order(&pending, &mut report);
        // The uploads verified before an error are stored too.
        let stored = self.store_journal();
        uploads.and(stored)?;
        #[cfg(feature = "sign")]
        self.ship_head(head, &local)?;
        report.removed_local = self.remove_shipped(&local)?;
        self.prune_remote(&mut report)?;
        Ok(report)
    }

    /// The log as a reader and pruner of the bucket sees it.
    fn remote_log(&self) -> Result<RemoteLog> {
        RemoteLog::new(Arc::clone(&self.remote), &self.log)
    }

    /// Whether segment `segment_no` was removed from the bucket by its
    /// retention.
    fn pruned(&self, segment_no: u64) -> bool {
        self.pruned_through.is_some_and(|t| segment_no <= t)
    }

    /// Applies `remote_retention`, if it sets a limit: the segment
    /// numbers of the objects deleted, and the one a lock kept, go to
    /// `report`.
    fn prune_remote(&mut self, report: &mut ShipReport) -> Result<()> {
        let consumers = self.opts.wait_for_consumers.map(|b| (self.dir.clone(), b));
        let mut opts = self.opts.remote_retention.clone();
        (opts.dry_run, opts.wait_for_consumers) =
            (false, consumers.or(opts.wait_for_consumers.take()));
        if !opts.limits().any() {
            return Ok(());
        }
        let pruned = match self.remote_log()?.prune(&opts) {
            Ok(r) => r,
            // Another pruner of the log (`binlog remote prune`) is at it:
            // this pass leaves it to that one.
            Err(e) if e.kind() == ErrorKind::Locked => return Ok(()),
            Err(e) => return Err(e),
        };
        self.pruned_through = pruned.pruned_through.or(self.pruned_through);
        report.pruned = pruned.deleted.iter().map(|s| s.key.segment_no).collect();
        report.prune_locked = pruned.locked;
        Ok(())
    }
}

/// The key of the local file `s` (a segment, or a file salvaged from
/// one) shipped to `prefix` as log `log`'s, compressed (`.binlog.zst`: a
/// segment only) or plain.
pub(super) fn key_of(prefix: &str, log: &str, s: &SealedSegment, compressed: bool) -> String {
    let name = match s.salvaged {
        None => object_name::segment_object_name(s.segment_no, s.first_seq, compressed),
        Some((at, copy)) => object_name::salvaged_object_name(s.segment_no, s.first_seq, at, copy),
    };
    format!("{}{name}", object_name::log_prefix(prefix, log))
}

/// A log's ship lock, released when dropped in the process that took it:
/// unlocked explicitly, as a child forked meanwhile holds a copy of its
/// descriptor (and so the flock); a drop in the child unlocks nothing.
struct ShipLock {
    file: File,
    pid: u32,
}

impl Drop for ShipLock {
    fn drop(&mut self) {
        if std::process::id() == self.pid {
            crate::sys::unlock(&self.file);
        }
    }
}

/// Takes the exclusive lock of `path` (created if need be), or `Locked`.
fn take_lock(path: &Path) -> Result<ShipLock> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, "open ship lock", e))?;
    let held = "another shipper of this log holds it";
    crate::sys::lock_exclusive(&file, path, std::time::Duration::ZERO, "lock", held)?;
    let pid = std::process::id();
    Ok(ShipLock { file, pid })
}
