//! How a log is shipped (`ShipOptions`, and the steps a shipper
//! reports) and how much of it the bucket keeps (`PruneOptions`): plain
//! data, no network code, so that the library built without the archive
//! tier compiles this file too (ffi/archive_absent.rs).

use super::location::Connection;
use super::object_lock::ObjectLock;
use std::sync::Arc;
use std::time::Duration;

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
    /// How to reach the bucket (fields left `None` come from the environment).
    pub connection: Connection,
    /// Called after each step of an upload or a removal (see `ShipStep`):
    /// progress for an operator, and the points where the crash tests
    /// kill a shipper.
    pub on_step: Option<StepHook>,
    /// How much of the log the bucket keeps: with a limit set, each pass
    /// ends with a prune (`RemoteLog::prune`; `dry_run` is not read).
    pub remote_retention: PruneOptions,
    /// Wait for the log's consumers within this bound, as its retention
    /// does (`Retention::wait_for_consumers`): a local copy, and with
    /// `remote_retention` an object, that a consumer has not committed
    /// past stays.
    pub wait_for_consumers: Option<crate::log::ConsumerBound>,
    /// Lock each segment object and signed head under S3 Object Lock
    /// (WORM) when it is created; the bucket must have Object Lock
    /// enabled, else `open` fails saying so.
    pub object_lock: Option<ObjectLock>,
}

impl Default for ShipOptions {
    fn default() -> ShipOptions {
        ShipOptions {
            keep_local: None,
            multipart_threshold: 64 << 20,
            part_size: 16 << 20,
            connection: Connection::default(),
            on_step: None,
            remote_retention: PruneOptions::default(),
            wait_for_consumers: None,
            object_lock: None,
        }
    }
}

/// How much of a log the bucket keeps ([`RemoteLog::prune`](crate::archive::RemoteLog::prune)). Every limit
/// set applies; with none set nothing is pruned (but a prune killed
/// before is finished).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneOptions {
    /// Keep at most this many segment objects.
    pub max_segments: Option<usize>,
    /// Keep at most this many bytes of segment objects.
    pub max_bytes: Option<u64>,
    /// Delete objects whose last record's timestamp is older than this
    /// (wall clock; a segment without records counts as oldest).
    pub max_age: Option<Duration>,
    /// Only say what would be deleted: no claim, no write.
    pub dry_run: bool,
    /// A prune claim older than this is taken over (its pruner is taken
    /// for dead). Default 15 minutes.
    pub stale_claim_after: Duration,
    /// Wait for the log's consumers, whose files are in this directory
    /// (the log's local one), within this bound, as the log's retention
    /// does (`Retention::wait_for_consumers`).
    pub wait_for_consumers: Option<(std::path::PathBuf, crate::log::ConsumerBound)>,
}

impl Default for PruneOptions {
    fn default() -> PruneOptions {
        PruneOptions {
            max_segments: None,
            max_bytes: None,
            max_age: None,
            dry_run: false,
            stale_claim_after: Duration::from_secs(15 * 60),
            wait_for_consumers: None,
        }
    }
}

// The steps a shipper reports (`ShipOptions::on_step`), in the order they
// happen to one segment.

/// A step one segment is past. Non-exhaustive: a later version may
/// report more steps; a `match` on it outside this crate needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// The segment's file and directory are synced, then UPLOADING is
    /// stored in the journal; no byte is sent yet.
    JournalUploading,
    /// A multipart upload (a segment above `multipart_threshold`) is
    /// created; its id is not in the journal yet.
    MultipartCreated,
    /// The multipart upload's id is stored in the journal; no part is
    /// sent yet.
    UploadIdStored,
    /// A part of the multipart upload is sent (after each one).
    PartSent,
    /// The PUT (or the multipart upload) answered, whatever it answered;
    /// the HEAD that decides has not been sent.
    PutAnswered,
    /// The HEAD found the object, the same size and hash; UPLOADED is set
    /// in the journal (stored with the next step that stores it).
    Verified,
    /// The copy was read back whole and found the same, before the local
    /// segment is removed.
    ReadBack,
    /// The log's manifest durably records a position past the segment
    /// (docs/FORMAT.md section 14a); the segment is not removed yet.
    PositionRecorded,
    /// The local segment is removed; LOCAL_DELETED is not stored yet.
    RemovedLocally,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 9] = [
        Step::JournalUploading,
        Step::MultipartCreated,
        Step::UploadIdStored,
        Step::PartSent,
        Step::PutAnswered,
        Step::Verified,
        Step::ReadBack,
        Step::PositionRecorded,
        Step::RemovedLocally,
    ];

    /// The steps of multipart uploads only.
    pub const MULTIPART: [Step; 3] = [Step::MultipartCreated, Step::UploadIdStored, Step::PartSent];
}

/// Segment `segment_no` is past `step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShipStep {
    /// The segment's number.
    pub segment_no: u64,
    /// The step it is past.
    pub step: Step,
}

/// A function called on the shipper's thread after each step; it should
/// return quickly (the upload waits for it).
#[derive(Clone)]
pub struct StepHook(pub Arc<dyn Fn(ShipStep) + Send + Sync>);

impl std::fmt::Debug for StepHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepHook")
    }
}
