//! The backup copy a repair makes of each file it changes, first:
//! `<file>.backup-<UTC time>`, beside it or in `--backup-dir`, never over a
//! file, and named so only once whole and synced.

use super::replace::{candidates, move_unique};
use crate::error::{CliError, CliResult};
use crate::paths;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// `<file>.backup-<UTC stamp>` (with `.N` appended if taken).
pub(super) fn backup_name(path: &Path, dir: Option<&Path>) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = binlog::__private::log::naming::utc_stamp(crate::time::now_ns());
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| paths::dir_of(path));
    let base = dir.join(format!("{name}.backup-{stamp}"));
    let free = candidates(&base).find(|p| !p.exists());
    free.expect("a free name")
}

/// Copies the file (never overwriting) and syncs the copy and its directory.
/// The copy is made under a temporary name and given the backup's name
/// only once it is whole and synced: a copy that fails half-way (a full
/// disk) or is killed is never left looking like a backup.
pub(super) fn backup_copy(path: &Path, dir: Option<&Path>) -> CliResult<PathBuf> {
    let to = backup_name(path, dir);
    let mut tmp = to.clone().into_os_string();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut src =
        File::open(path).map_err(|e| CliError::io_on(format!("{}: open", path.display()), e))?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| CliError::io_on(format!("{}: create backup", to.display()), e))?;
    let copied = std::io::copy(&mut src, &mut dst)
        .and_then(|_| dst.sync_all())
        .map_err(|e| CliError::io_on(format!("{}: write backup", to.display()), e))
        .and_then(|()| move_unique(&tmp, &to).map_err(|e| e.prefixed("name backup")));
    let _ = std::fs::remove_file(&tmp);
    let to = copied?;
    // The backup's name must be on disk before the repair changes the
    // file: in a `--backup-dir`, nothing the repair does later syncs it.
    if let Err(e) = paths::sync_dir_of(&to) {
        let _ = std::fs::remove_file(&to);
        let what = format!(
            "{}: sync directory (the backup {} is removed; nothing was changed)",
            paths::dir_of(&to).display(),
            to.display()
        );
        return Err(CliError::io_on(what, e));
    }
    Ok(to)
}
