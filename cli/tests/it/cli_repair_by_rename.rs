//! `binlog repair` replaces a segment by renaming a repaired copy over it,
//! never changing it in place: a reader that has the old file mapped reads
//! on unharmed; a repair stopped before its rename leaves nothing read as
//! a segment, and the next repair removes its copy; a segment named
//! through a symlink is repaired where it is (the link stays a link); a
//! copy made by someone who cannot give it the segment's owner keeps at
//! least its group and mode. Helpers in tests/it/common/cli.rs.

use binlog::Reader;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};

use crate::common;
use common::cli::*;

/// (seq, type, payload) of every record a reader that skips damage returns.
fn salvage_read(path: &Path) -> Vec<(u64, String, Vec<u8>)> {
    let mut r = Reader::open_salvage(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    v
}

/// Environment variable naming the segment the child test reads.
const CHILD_SEG: &str = "BINLOG_SALVAGED_SEGMENT";

/// Run by `a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end` in a
/// child process (a SIGBUS would end the whole test binary): opens a
/// reader on the damaged segment, reads a few records, runs `binlog repair
/// --salvage` on it, reads on to the end through the same reader and checks
/// it got what a reader got before the repair.
#[test]
#[ignore = "run as a child process by a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end"]
fn child_reads_through_a_salvage() {
    let seg = PathBuf::from(std::env::var_os(CHILD_SEG).expect("run by the parent test"));
    let want = salvage_read(&seg);
    let mut r = Reader::open_salvage(&seg).unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let rec = r.next().unwrap().unwrap();
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    let out = repair(&["--salvage", seg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    println!("SALVAGE-READER repaired");
    while let Some(rec) = r.next().unwrap() {
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    assert_eq!(got, want);
    println!("SALVAGE-READER read {} records", got.len());
}

/// A reader open on a segment that `repair --salvage` cuts (whole records
/// after damage near its start) reads on to its end: cut in place, the
/// pages the cut removed would kill it with SIGBUS.
#[test]
fn a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end() {
    let t = Tmp::new("salvage-reader");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 3000); // about 90 KB: the cut leaves one page
    let f = frames(&seg);
    flip_byte(&seg, f[10].0 + f[10].1 - 1);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &common::child::full_test_name("child_reads_through_a_salvage"),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_SEG, &seg)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = out_text(&out);
    assert_eq!(
        out.status.signal(),
        None,
        "the reader was killed by signal {:?} (7 is SIGBUS)\n{text}",
        out.status.signal()
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SALVAGE-READER repaired"), "{text}");
    assert!(text.contains("SALVAGE-READER read 2999 records"), "{text}");
    // The segment was cut and resealed, the rest salvaged.
    assert_eq!(records(&seg).len(), 10);
    let salvaged = t.join(format!("mid.salvaged-{}.binlog", f[11].0));
    assert_eq!(records(&salvaged).len(), 2989);
}

/// Every repair that changes a segment (a torn tail cut, a damaged seal
/// rewritten, a salvage cut) leaves the file a reader holds open byte for
/// byte what it was (changed in place, it would shrink and change under
/// the reader), and the segment's name leads to the repaired file (a new
/// inode, with the old one's permissions), which reads back as the repair
/// says.
#[test]
fn repair_leaves_the_file_a_reader_holds_as_it_was() {
    let t = Tmp::new("replace");
    // Torn tail: an unsealed segment with half a record after its last.
    let torn = t.join("torn.binlog");
    unsealed_segment(&torn, 20);
    let whole = std::fs::read(&torn).unwrap();
    let mut b = whole.clone();
    b.extend_from_slice(&[0x40, 0, 0, 0, 1, 2, 3]);
    std::fs::write(&torn, &b).unwrap();
    // Damaged seal.
    let seal = t.join("seal.binlog");
    sealed_segment(&seal, 20);
    let len = std::fs::metadata(&seal).unwrap().len();
    flip_byte(&seal, len - 30);
    // Corruption in the middle.
    let mid = t.join("mid.binlog");
    sealed_segment(&mid, 20);
    let f = frames(&mid);
    flip_byte(&mid, f[7].0 + f[7].1 - 1);
    for (seg, salvage, kept) in [(&torn, false, 20), (&seal, false, 20), (&mid, true, 7)] {
        let name = seg.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::set_permissions(seg, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::read(seg).unwrap();
        let want = salvage_read(seg);
        let held = std::fs::File::open(seg).unwrap();
        let ino = held.metadata().unwrap().ino();
        let mut args = vec![seg.to_str().unwrap()];
        if salvage {
            args.insert(0, "--salvage");
        }
        let out = repair(&args);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", out_text(&out));
        // The file held open is unchanged.
        let mut now = Vec::new();
        std::io::Read::read_to_end(&mut &held, &mut now).unwrap();
        assert_eq!(
            now.len(),
            before.len(),
            "{name}: the held file changed length"
        );
        assert!(now == before, "{name}: the held file changed");
        // The name leads to the repaired file.
        let m = std::fs::metadata(seg).unwrap();
        assert_ne!(m.ino(), ino, "{name}: repaired in place");
        assert_eq!(m.permissions().mode() & 0o777, 0o640, "{name}");
        let r = Reader::open(seg).unwrap();
        assert!(r.seal().is_some(), "{name}: not sealed");
        assert_eq!(records(seg), want[..kept].to_vec(), "{name}");
        // Nothing left behind under a temporary name.
        assert!(
            !t.names().iter().any(|n| n.contains("repair-tmp")),
            "{name}: {:?}",
            t.names()
        );
    }
    // The torn bytes are kept as before, under the segment's name.
    assert_eq!(
        std::fs::read(t.join(format!("torn.binlog.corrupt-{}", whole.len()))).unwrap(),
        vec![0x40, 0, 0, 0, 1, 2, 3]
    );
    // What salvage copied reads back: with the 7 kept, every record but
    // the damaged one.
    let salvaged = records(&t.join(format!("mid.salvaged-{}.binlog", f[8].0)));
    assert_eq!(
        salvaged.iter().map(|r| r.0).collect::<Vec<_>>(),
        (8..20).collect::<Vec<_>>()
    );
}

/// A repair killed after it started writing the repaired copy, before the
/// rename, leaves the old segment under its name and the copy under a
/// name no log reader, log writer or tool takes for a segment; the next
/// repair of the segment removes it.
#[test]
fn a_repair_stopped_before_its_rename_leaves_nothing_read_as_a_segment() {
    let t = Tmp::new("leftover");
    rolled_log(&t.0, 30, 10);
    let segs = t.segments();
    assert_eq!(segs.len(), 3);
    // The newest segment, unsealed with a torn tail (its writer died).
    let newest = t.join(&segs[2]);
    let mut b = std::fs::read(&newest).unwrap();
    let end = Reader::open(&newest).unwrap().seal().unwrap().records_end as usize;
    b.truncate(end);
    b.extend_from_slice(&[0x40, 0, 0, 0, 9]);
    std::fs::write(&newest, &b).unwrap();
    // What a killed repair would have left: a (here, complete) copy of the
    // segment, and a torn-tail copy its writer made beside it.
    let tmp = t.join(format!("{}.repair-tmp", segs[2]));
    std::fs::write(&tmp, &b[..end]).unwrap();
    let tmp_corrupt = t.join(format!("{}.repair-tmp.corrupt-{end}", segs[2]));
    std::fs::write(&tmp_corrupt, [0x40, 0, 0, 0, 9]).unwrap();
    // A log reader reads the log's 30 records once, from its segments only.
    let mut lr = binlog::LogReader::open(&t.0, "orders").unwrap();
    let mut seqs = Vec::new();
    while let Some(r) = lr.next().unwrap() {
        seqs.push(r.seq);
    }
    assert_eq!(seqs, (0..30).collect::<Vec<_>>());
    let j = json_of(binlog().args(["verify", "--json", t.0.to_str().unwrap()]));
    let checked: Vec<&str> = j["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(checked.len(), 3, "{checked:?}");
    assert!(
        !checked.iter().any(|p| p.contains("repair-tmp")),
        "{checked:?}"
    );
    // The next repair repairs the segment and removes the leftovers.
    let out = repair(&[t.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(!tmp.exists() && !tmp_corrupt.exists(), "{:?}", t.names());
    assert!(
        t.join(format!("{}.corrupt-{end}", segs[2])).exists(),
        "{:?}",
        t.names()
    );
    assert!(Reader::open(&newest).unwrap().seal().is_some());
}

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
    let mut c = std::process::Command::new(crate::common::cli::tool());
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
/// give a file away: the repaired segment keeps the group (which a member
/// may give it) and the mode, so that the service can still open it. (One
/// fchown for owner and group fails there, leaving the operator's group,
/// 4444.)
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

/// A repair killed before its rename leaves `<segment>.repair-tmp` (a
/// whole copy of the segment) and its torn-tail copy; the segment is then
/// recovered by its own writer, so the next repair finds nothing to do. It
/// still removes both files (docs: "which the next repair of the segment
/// removes"), whenever it may take the segment's lock; a segment someone
/// holds (a writer, or a repair writing that copy right now) keeps them.
#[test]
fn repair_removes_an_interrupted_repairs_copy_of_a_segment_that_needs_nothing() {
    let t = Tmp::new("leftover-clean");
    rolled_log(&t.0, 30, 10);
    let segs = t.segments();
    assert_eq!(segs.len(), 3);
    let newest = t.join(&segs[2]);
    let before = std::fs::read(&newest).unwrap();
    let tmp = t.join(format!("{}.repair-tmp", segs[2]));
    let tmp_corrupt = t.join(format!("{}.repair-tmp.corrupt-77", segs[2]));
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
