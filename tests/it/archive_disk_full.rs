//! Shipping from a full local disk: the log (and so the shipper's journal
//! beside its manifest) on a real tmpfs (tests/it/common/tmpfs.rs) that fills
//! up while the shipper works, the bucket's server (a real versitygw)
//! storing elsewhere. The journal that cannot be replaced stops the pass
//! with `DiskFull` naming it; nothing is deleted locally, no segment is
//! recorded as uploaded that is not in the bucket byte for byte; once space
//! is freed the same shipper ships every segment and removes each local
//! copy only after its copy is verified.

use crate::common;

use binlog::archive::{ShipStep, Step, StepHook};
use binlog::list_segments;
use binlog::log::ship_journal::{journal_path, Journal};
use binlog::ErrorKind;
use common::s3::S3Server;
use common::shipping::{assert_nothing_lost, object_file, open, options, segments, BUCKET};
use common::tmpfs::Tmpfs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const PREFIX: &str = "full";

/// Asserts that every segment the journal at `dir` says is uploaded is in
/// the bucket with its local bytes (`before`).
fn assert_journal_truthful(
    server: &S3Server,
    dir: &Path,
    before: &std::collections::BTreeMap<u64, (u64, Vec<u8>)>,
    ctx: &str,
) {
    let journal = Journal::load(&journal_path(dir, "orders"))
        .unwrap()
        .unwrap_or_else(|| panic!("{ctx}: the journal does not load"));
    for (no, (first_seq, bytes)) in before {
        if journal.is_uploaded(*no) {
            let object = std::fs::read(object_file(server, PREFIX, *no, *first_seq));
            assert!(
                object.is_ok_and(|o| o == *bytes),
                "{ctx}: segment {no} recorded as uploaded, its object is not its bytes"
            );
        }
    }
}

/// Ships log `orders` from an 8 MiB tmpfs that fills once segment 1 is
/// verified in the bucket and segment 2's UPLOADING is stored: segment 1's
/// UPLOADED, stored with segment 3's UPLOADING, cannot be stored. Once
/// space is freed, the same shipper, or a new one (`reopen`), ships every
/// segment.
fn ship_through_a_full_disk(name: &str, reopen: bool) {
    let server = S3Server::start(&[BUCKET]);
    let fs = Arc::new(Tmpfs::mount(name, "8m"));
    let dir = fs.join("log");
    std::fs::create_dir(&dir).unwrap();
    common::append_orders(&dir, 9, 2);
    let before = segments(&dir);
    assert_eq!(before.len(), 5);

    let filler: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let steps: Arc<Mutex<Vec<ShipStep>>> = Arc::default();
    let (fs_in_hook, filler_in_hook) = (Arc::clone(&fs), Arc::clone(&filler));
    let steps_in_hook = Arc::clone(&steps);
    // At a segment's JOURNAL_UPLOADING no replacement of the journal is
    // in flight: the stager (src/archive/shipper/pipeline.rs) renamed the
    // segment's UPLOADING into place before handing it over, and stores
    // the next one only once this segment starts going up. So the journal
    // is one file, and its next replacement needs a page the full disk
    // lacks. Filled at an earlier step (segment 1's VERIFIED), the fill
    // can fall between the stager writing segment 2's UPLOADING to the
    // temporary file and renaming it: the rename frees the old journal's
    // page, and each replacement after finds the page the one before freed.
    let fill_at = ShipStep {
        segment_no: 2,
        step: Step::JournalUploading,
    };
    let hook = StepHook(Arc::new(move |s: ShipStep| {
        steps_in_hook.lock().unwrap().push(s);
        let mut filler = filler_in_hook.lock().unwrap();
        if s == fill_at && filler.is_none() {
            *filler = Some(fs_in_hook.fill_leaving("filler", 0));
        }
    }));
    let opts = binlog::archive::ShipOptions {
        on_step: Some(hook),
        ..options(&server, server.endpoint())
    };
    let mut shipper = open(&dir, PREFIX, opts.clone()).unwrap();
    let journal = journal_path(&dir, "orders");

    let e = shipper.ship_once().expect_err("a pass on a full disk");
    let filler = filler.lock().unwrap().clone().expect("the disk was filled");
    assert_eq!(e.kind(), ErrorKind::DiskFull, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("{} not replaced", journal.display())),
        "{e}"
    );
    let names = common::list_dir(&dir);
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert_eq!(list_segments(&dir, "orders").unwrap().len(), 5, "{names:?}");
    assert_journal_truthful(&server, &dir, &before, "after the failed pass");
    assert_nothing_lost(&server, &dir, PREFIX, &before);

    // A pass while the disk is still full fails the same way, or finds
    // nothing it can store.
    if let Err(e) = shipper.ship_once() {
        assert_eq!(e.kind(), ErrorKind::DiskFull, "{e}");
    }
    assert_journal_truthful(&server, &dir, &before, "after a second pass");
    assert_nothing_lost(&server, &dir, PREFIX, &before);

    std::fs::remove_file(&filler).unwrap();
    if reopen {
        drop(shipper);
        shipper = open(&dir, PREFIX, opts).unwrap();
    }
    let report = shipper.ship_once().expect("a pass once there is space");
    assert_eq!(report.removed_local, [0, 1, 2, 3, 4], "{report:?}");
    for (no, (first_seq, bytes)) in &before {
        let object = std::fs::read(object_file(&server, PREFIX, *no, *first_seq)).unwrap();
        assert!(object == *bytes, "segment {no}: the object differs");
    }
    assert!(list_segments(&dir, "orders").unwrap().is_empty());
    let stored = Journal::load(&journal).unwrap().unwrap();
    assert_eq!(stored.through, Some(4), "{stored:?}");
    assert_removed_only_after_read_back(&steps.lock().unwrap());
    drop(shipper);
}

/// Each segment removed locally (`steps` in order) was read back from the
/// bucket just before (after its upload was verified, by this shipper or
/// found by a startup scan), and then its position recorded.
fn assert_removed_only_after_read_back(steps: &[ShipStep]) {
    for (i, s) in steps.iter().enumerate() {
        if s.step == Step::RemovedLocally {
            let before =
                [Step::ReadBack, Step::PositionRecorded].map(|step| ShipStep { step, ..*s });
            assert_eq!(
                i.checked_sub(2).map(|j| [steps[j], steps[j + 1]]),
                Some(before),
                "{steps:?}"
            );
        }
    }
    let removed = steps.iter().filter(|s| s.step == Step::RemovedLocally);
    assert_eq!(removed.count(), 5, "{steps:?}");
}

#[test]
fn a_journal_that_cannot_be_replaced_on_a_full_disk_stops_the_pass_naming_it_and_the_shipper_resumes_once_there_is_space(
) {
    ship_through_a_full_disk("ship-full", false);
}

#[test]
fn a_shipper_opened_after_a_full_disk_stopped_the_last_one_ships_every_segment() {
    ship_through_a_full_disk("ship-full-reopen", true);
}
