//! Shipping a log's sealed segments to S3-compatible object storage
//! (feature "s3"): each sealed segment, plain or compressed as it is on
//! disk, becomes one object under `s3://bucket/prefix/<log>/`, named so
//! that keys sort in write order and say which sequence numbers an object
//! starts at (object_name.rs), with its record count, last sequence number
//! and SHA-256 in its metadata (metadata.rs).
//!
//! Guarantees ([`Shipper`](crate::archive::Shipper)):
//! - An object is written only by a create-only PUT (`If-None-Match: *`),
//!   or by a multipart upload (segments above `multipart_threshold`)
//!   whose completion is create-only the same way, and is never
//!   overwritten: after every PUT or completion, whatever it answered (a
//!   412, a timeout, a reset connection), a HEAD decides: the same size
//!   and SHA-256 is uploaded, other bytes are a `RemoteConflict` that
//!   stops the shipper. Each PUT and part carries
//!   `x-amz-checksum-sha256`, so the server refuses a body damaged on the
//!   way.
//! - A local segment is removed only after a HEAD showed its verified copy
//!   in the bucket, and only past the newest `keep_local` sealed segments:
//!   at every moment each segment is local, remote, or both.
//! - The startup scan reads back (GET) every object whose segment is still
//!   local and checks its SHA-256: a copy damaged or truncated in the
//!   bucket since its upload stops the shipper with `Corrupt`, naming the
//!   object; its segment stays local and the journal no longer counts it
//!   as uploaded (retention of a shipped log keeps it too).
//! - Each step is in the journal before and after it happens
//!   (shipper/pipeline.rs says what may be on disk when); a shipper killed
//!   anywhere resumes from the journal, the local segments and a listing
//!   of the bucket (the startup scan), and rebuilds the journal from them
//!   if it is lost.
//! - The prefix is claimed by one log (identity.rs), with a
//!   create-only PUT signed here as a segment's is; one shipper per log
//!   at a time (`<log>.ship.lock`).
//! - Every request that creates an object (the claim, a segment's PUT, a
//!   multipart upload's creation) carries the server-side encryption
//!   the store's settings ask for (`AWS_SERVER_SIDE_ENCRYPTION`: `AES256`
//!   or `aws:kms` with `AWS_SSE_KMS_KEY_ID`; store_settings.rs).
//! - With `ShipOptions::object_lock`, each segment object and signed head
//!   is created under S3 Object Lock (WORM: object_lock.rs), in a bucket
//!   that allows it only; remote prune deletes no locked object.
//! - A multipart upload's id is in the journal before its first part is
//!   sent; a shipper that starts aborts every upload the journal names and
//!   every other one a listing finds under the log's prefix or at the
//!   next segment's keys (one a crash left between its creation and the
//!   journal's store), so no parts are left behind (shipper/multipart.rs),
//!   if its credentials may list and abort multipart uploads (else a
//!   bucket lifecycle rule has to).
//!
//! Limits: a server that ignored `If-None-Match` on a multipart
//! completion (AWS S3, versitygw 1.8.0 and MinIO honour it;
//! tests/it/archive_ship.rs checks) would overwrite an object that appeared
//! at the key between the HEAD before the upload and the
//! completion: only another writer of the prefix could put one there, and
//! the claim and the ship lock keep other shippers of the log away.
//!
//! Threads and fork(): each [`Shipper`](crate::archive::Shipper) owns a
//! tokio current-thread runtime that runs only inside its calls (no worker
//! threads). During `ship_once` a scoped thread stages the next segment
//! (shipper/pipeline.rs); a reader streaming an object runs a read-ahead
//! thread (read_ahead.rs); both end with what started them. The HTTP
//! client may resolve host names on tokio's blocking pool: threads started
//! on demand during a call and ended after 10 s idle. A child process
//! after fork() must not use a `Shipper` or a `Remote` (a `RemoteLog`'s, a
//! `LogReader`'s) made before the fork: it opens its own.
//!
//! Reading: `RemoteLog` (remote_log.rs), merged with the local segments
//! by `LogReader::open_tiered`.

// Internal modules the crate's tests reach with the feature `internals`.
internal! {
    pub(crate) mod digest;
    pub(crate) mod identity;
    pub(crate) mod multipart;
    pub(crate) mod object_name;
    pub(crate) mod read_ahead;
    pub(crate) mod remote;
}
/// The upload journal is one of the log's files (the log's writer reads
/// it too): `log::ship_journal`.
pub(crate) use crate::log::ship_journal as journal;
mod list_logs;
mod local;
mod location;
mod metadata;
mod object_lock;
mod options;
pub(crate) mod prune;
pub(crate) mod remote_log;
mod remote_source;
mod shipper;
mod signed;
mod store_settings;

pub use crate::log::Archived;
pub use list_logs::{list_logs, open_merged, ListedLog, LogListing, UnknownObject};
pub use location::{Connection, Location};
pub(crate) use metadata::check_digest;
pub use metadata::ObjectMetadata;
pub use object_lock::{LockMode, ObjectLock, ObjectLockHold};
pub use options::{PruneOptions, ShipOptions, ShipStep, Step, StepHook};
pub use prune::PruneReport;
pub use remote::{Remote, RequestCounts};
// What only the hidden methods of `Remote` return: reachable, not part
// of the API.
#[cfg(any(test, feature = "internals"))]
pub use remote::StoredEncryption;
#[doc(hidden)]
pub use remote::{Created, RemoteObject};
pub use remote_log::{FetchedSegment, ListedSegment, RemoteLog};
pub use shipper::{ShipReport, Shipper};
