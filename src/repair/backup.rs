//! The backup copy a repair makes of each file it changes, first:
//! `<file>.backup-<UTC time>`, beside it or in `Options::backup_dir`, never
//! over a file, and named so only once whole and synced.

use super::replace::{candidates, move_unique};
use crate::error::{Error, Result};
use crate::format::naming;
use crate::sys::parent_dir;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

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
