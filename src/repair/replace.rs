//! The copies a repair makes of a segment: first its backup,
//! `<file>.backup-<UTC time>`, beside it or in `Options::backup_dir`, never
//! over a file, and named so only once whole and synced; then the repaired
//! copy, written beside it as `<segment>.repair-tmp`, recovered and sealed
//! by the library's writer, synced, and renamed over the segment; what a
//! repair stopped half-way left is removed.

use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::sys::parent_dir;
use crate::{Options, Writer};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `<segment>.repair-tmp`: the repaired copy of a segment, renamed over it
/// once whole and synced. Not a segment name (it does not end in
/// `.binlog`), so a log's readers and writers, and a repair given the
/// directory, leave one that a crash left behind alone.
pub(super) fn temp_name(path: &Path) -> PathBuf {
    crate::sys::with_suffix(path, ".repair-tmp")
}

/// Removes what a repair of `path` that stopped half-way (killed, or a
/// crash) left: its repaired copy and the torn-tail copies its writer made
/// beside it. The segment under its own name was not changed by that
/// repair (the rename is the last step), and the backup holds every byte.
pub(super) fn remove_leftovers(tmp: &Path) -> Result<()> {
    crate::sys::remove_if_there(tmp, "remove")?;
    for c in torn_copies(tmp) {
        std::fs::remove_file(&c).map_err(|e| Error::io(&c, "remove", e))?;
    }
    Ok(())
}

/// The files `<file>.corrupt-<offset>[.N]` beside `file`, by name.
pub(super) fn torn_copies(file: &Path) -> Vec<PathBuf> {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let prefix = format!("{name}.corrupt-");
    let Ok(entries) = std::fs::read_dir(parent_dir(file)) else {
        return Vec::new();
    };
    let offset = |r: &str| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let torn = |n: &str| n.strip_prefix(&prefix).is_some_and(offset);
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(torn))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Replaces the segment at `path` (open and locked as `like`) with a
/// repaired copy of the first `keep` bytes of `file` (the segment's bytes:
/// `like` itself, or a compressed segment's decompressed; `path` is then
/// the plain segment's name beside it): written to
/// `<segment>.repair-tmp` with the segment's permissions (and owner, where
/// allowed), synced, reopened with a writer (which recovers it: a torn tail
/// copied aside and cut, an old seal removed) and closed (which seals it),
/// synced again, then renamed over the segment and the directory synced.
/// The torn-tail copies the writer made are renamed to the segment's
/// `<segment>.corrupt-<offset>` names first (never over an existing file);
/// their new names are returned.
///
/// The old file is never written: a reader that has it open or mapped
/// keeps it whole (a cut in place would make its mapped pages past the new
/// end raise SIGBUS). Until the rename the segment's name leads to the old
/// file; after it, to the repaired one. On failure before the rename the
/// copy is removed and the segment is as it was.
pub(super) fn replace(path: &Path, file: &File, like: &File, keep: u64) -> Result<Vec<PathBuf>> {
    let tmp = temp_name(path);
    remove_leftovers(&tmp)?;
    let result = write_repaired(path, file, like, keep, &tmp);
    if result.is_err() {
        let _ = remove_leftovers(&tmp);
    }
    result?;
    let mut kept = Vec::new();
    for c in torn_copies(&tmp) {
        let name = c.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let tmp_name = tmp.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rest = name.strip_prefix(tmp_name).unwrap_or_default();
        let to = move_unique(&c, &crate::sys::with_suffix(path, rest))?;
        kept.push(to);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = remove_leftovers(&tmp);
        Error::io(path, "rename the repaired copy over it", e)
    })?;
    crate::sys::sync_dir(parent_dir(path)).map_err(|e| {
        let what = format!(
            "replaced by its repaired copy, but syncing its directory {} failed (a crash may \
             bring the old file back)",
            parent_dir(path).display()
        );
        Error::io(path, &what, e)
    })?;
    Ok(kept)
}

/// Writes the repaired copy (see `replace`) to `tmp`, with the owner and
/// permissions of `like` (the segment: `file` itself, or the compressed
/// segment whose decompressed bytes `file` holds).
fn write_repaired(path: &Path, file: &File, like: &File, keep: u64, tmp: &Path) -> Result<()> {
    let meta = like.metadata().map_err(|e| Error::io(path, "stat", e))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| Error::io(tmp, "create", e))?;
    // The segment's owner (a repair run as root must not hand the file to
    // root: its writer could not reopen it) and permissions.
    // Where the owner cannot be given (repair run by another user), the
    // group at least, which a member of it may give: with a mode like 0660
    // the segment's writer then still opens it.
    if std::os::unix::fs::fchown(&out, Some(meta.uid()), Some(meta.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(&out, None, Some(meta.gid()));
    }
    out.set_permissions(meta.permissions())
        .map_err(|e| Error::io(tmp, "set permissions", e))?;
    let mut src = file;
    let copied = src
        .seek(SeekFrom::Start(0))
        .and_then(|_| std::io::copy(&mut src.take(keep), &mut out))
        .map_err(|e| Error::io(tmp, &format!("copy {}", path.display()), e))?;
    if copied != keep {
        let what = format!(
            "it changed while being repaired ({copied} of {keep} bytes read); run repair again"
        );
        return Err(Error::file(ErrorKind::Io, path, what));
    }
    out.sync_all().map_err(|e| Error::io(tmp, "sync", e))?;
    drop(out);
    // Recovered and sealed by the library's writer, as the segment itself
    // was before.
    let w = Writer::open(tmp, Options::default())?;
    w.close()?;
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(tmp, "sync", e))?;
    Ok(())
}

/// `to`, then `to.1`, `to.2`, ...: the names a file meant to be `to` takes
/// when that one is taken.
fn candidates(to: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    (0..).map(move |n| match n {
        0 => to.to_path_buf(),
        n => crate::sys::with_suffix(to, &format!(".{n}")),
    })
}

/// Renames `from` to `to`, or `to.N` if taken (never replacing a file), and
/// returns the name used.
fn move_unique(from: &Path, to: &Path) -> Result<PathBuf> {
    for candidate in candidates(to).take(10_000) {
        // A link, not a rename: never replaces a file of that name.
        match std::fs::hard_link(from, &candidate) {
            Ok(()) => {
                std::fs::remove_file(from).map_err(|e| Error::io(from, "remove", e))?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if !candidate.exists() => {
                // No hard links here: a rename, the name being free.
                std::fs::rename(from, &candidate).map_err(|e| Error::io(from, "rename", e))?;
                return Ok(candidate);
            }
            Err(e) => return Err(Error::io(&candidate, "name", e)),
        }
    }
    Err(Error::file(ErrorKind::Io, to, "no free name"))
}

/// `<file>.backup-<UTC stamp>` (with `.N` appended if taken).
pub(super) fn backup_name(path: &Path, dir: Option<&Path>) -> PathBuf {
    let name = crate::writer::salvage::file_name(path);
    let stamp = naming::utc_stamp(crate::clock::now_ns());
    let dir = dir.unwrap_or(parent_dir(path));
    let base = dir.join(format!("{name}.backup-{stamp}"));
    let free = candidates(&base).find(|p| !p.exists());
    free.expect("a free name")
}

/// Copies the file (never overwriting) and syncs the copy and its directory.
/// The copy is made under a temporary name and given the backup's name
/// only once it is whole and synced: a copy that fails half-way (a full
/// disk) or is killed is never left looking like a backup.
pub(super) fn backup_copy(path: &Path, dir: Option<&Path>) -> Result<PathBuf> {
    let to = backup_name(path, dir);
    let tmp = crate::sys::with_suffix(&to, ".partial");
    let mut src = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(&to, "create backup", e))?;
    let copied = std::io::copy(&mut src, &mut dst)
        .and_then(|_| dst.sync_all())
        .map_err(|e| Error::io(&to, "write backup", e))
        .and_then(|()| {
            move_unique(&tmp, &to)
                .map_err(|e| Error::new(e.kind(), format!("name backup: {}", e.message())))
        });
    let _ = std::fs::remove_file(&tmp);
    let to = copied?;
    // The backup's name must be on disk before the repair changes the
    // file: in a backup directory, nothing the repair does later syncs it.
    if let Err(e) = crate::sys::sync_dir(parent_dir(&to)) {
        let _ = std::fs::remove_file(&to);
        let what = format!(
            "sync directory (the backup {} is removed; nothing was changed)",
            to.display()
        );
        return Err(Error::io(parent_dir(&to), &what, e));
    }
    Ok(to)
}
