//! `binlog repair` replaces a segment by renaming a repaired copy over it,
//! never changing it in place: a reader that has the old file mapped reads
//! on unharmed; a repair stopped before its rename leaves nothing read as
//! a segment, and the next repair removes its copy; a segment named
//! through a symlink is repaired where it is (the link stays a link); a
//! copy made by someone who cannot give it the segment's owner keeps at
//! least its group and mode. Helpers in tests/common/cli.rs.

use binlog::Reader;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

mod common;
use common::cli::*;

/// An unsealed segment of 20 records with half a record after its last;
/// returns the length of its records.
fn torn_segment(path: &Path) -> usize {
    unsealed_segment(path, 20);
    let mut b = std::fs::read(path).unwrap();
    let end = b.len();
    b.extend_from_slice(&[0x40, 0, 0, 0, 1, 2, 3]);
    std::fs::write(path, &b).unwrap();
    end
}

/// A segment named through a symlink (a log directory whose segments link
/// to another disk, say): the rename put the repaired copy in place of the
/// link, leaving the file it pointed to torn and unsealed, and the link
/// gone.
#[test]
fn repair_through_a_symlink_repairs_the_file_and_keeps_the_link() {
    let t = Tmp::new("symlink");
    std::fs::create_dir(t.join("real")).unwrap();
    std::fs::create_dir(t.join("links")).unwrap();
    let real = t.join("real/torn.binlog");
    let end = torn_segment(&real);
    let link = t.join("links/torn.binlog");
    std::os::unix::fs::symlink("../real/torn.binlog", &link).unwrap();
    let out = binlog()
        .args(["repair", link.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let lm = std::fs::symlink_metadata(&link).unwrap();
    assert!(
        lm.file_type().is_symlink(),
        "the link was replaced by a file: {}",
        out_text(&out)
    );
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("../real/torn.binlog")
    );
    // The file it leads to is repaired, with its torn bytes kept.
    let r = Reader::open(&real).unwrap();
    assert!(r.seal().is_some(), "the target is not sealed");
    assert_eq!(records(&real).len(), 20);
    let names: Vec<String> = std::fs::read_dir(t.join("real"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&format!("torn.binlog.corrupt-{end}")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("repair-tmp")), "{names:?}");
}

/// Runs `binlog repair PATH` as `uid` with groups `gids` (the first its
/// primary group).
fn repair_as(uid: u32, gids: &[u32], path: &Path) -> std::process::Output {
    let gids = gids.to_vec();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"));
    c.args(["repair", path.to_str().unwrap()]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let g: Vec<libc::gid_t> = gids.clone();
            if libc::setgroups(g.len(), g.as_ptr()) != 0
                || libc::setgid(g[0]) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.output().unwrap()
}

/// A segment owned by its service (uid 4242, group 4343, mode 0660),
/// repaired by an operator in the service's group (uid 4444) who cannot
/// give a file away: the copy got neither the owner nor the group (one
/// fchown for both failed), so the repaired segment was the operator's,
/// group 4444, and the service could no longer open it. Now it keeps the
/// group (which a member may give it) and the mode.
#[test]
fn repair_by_a_group_member_keeps_the_segments_group() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run repair as another user");
        return;
    }
    let t = Tmp::new("group");
    std::fs::set_permissions(&t.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    let seg = t.join("torn.binlog");
    torn_segment(&seg);
    std::os::unix::fs::chown(&seg, Some(4242), Some(4343)).unwrap();
    std::fs::set_permissions(&seg, std::fs::Permissions::from_mode(0o660)).unwrap();
    let out = repair_as(4444, &[4444, 4343], &seg);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let m = std::fs::metadata(&seg).unwrap();
    assert_eq!(m.gid(), 4343, "group lost: {}", out_text(&out));
    assert_eq!(m.mode() & 0o7777, 0o660);
    assert!(Reader::open(&seg).unwrap().seal().is_some());
}

/// A repair killed before its rename left `<segment>.repair-tmp` (a whole
/// copy of the segment) and its torn-tail copy; the segment was then
/// recovered by its own writer, so the next repair found nothing to do and
/// left both files for good (docs: "which the next repair of the segment
/// removes"). Now a repair removes them whenever it may take the
/// segment's lock; a segment someone holds (a writer, or a repair writing
/// that copy right now) keeps them.
#[test]
fn repair_removes_an_interrupted_repairs_copy_of_a_segment_that_needs_nothing() {
    let t = Tmp::new("leftover-clean");
    rolled_log(&t.0, 30, 10);
    let segs = t.segments();
    assert_eq!(segs.len(), 3);
    let newest = t.join(&segs[2]);
    let before = std::fs::read(&newest).unwrap();
    let tmp = t.join(&format!("{}.repair-tmp", segs[2]));
    let tmp_corrupt = t.join(&format!("{}.repair-tmp.corrupt-77", segs[2]));
    let leave = || {
        std::fs::write(&tmp, &before).unwrap();
        std::fs::write(&tmp_corrupt, [0x40, 0, 0, 0, 9]).unwrap();
    };
    leave();
    // Held by a writer: the files stay (they could be a live repair's).
    {
        let _held = hold_lock(&newest);
        let out = binlog()
            .args(["repair", t.0.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            tmp.exists() && tmp_corrupt.exists(),
            "{:?} {}",
            t.names(),
            out_text(&out)
        );
    }
    let before = std::fs::read(&newest).unwrap();
    let out = binlog()
        .args(["repair", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        !tmp.exists() && !tmp_corrupt.exists(),
        "{:?} {}",
        t.names(),
        out_text(&out)
    );
    assert_eq!(std::fs::read(&newest).unwrap(), before, "segment changed");
    // --dry-run removes nothing.
    leave();
    let out = binlog()
        .args(["repair", "--dry-run", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(tmp.exists() && tmp_corrupt.exists(), "{:?}", t.names());
}
