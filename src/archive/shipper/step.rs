//! The steps a shipper reports (`ShipOptions::on_step`), in the order
//! they happen to one segment.

use std::sync::Arc;

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
