//! Where a target writes its input to be read as a file.

use std::path::{Path, PathBuf};

/// `binlog-fuzz-<target>-<pid>.<ext>` in tmpfs when there is one (the
/// reader maps and preads it: no disk I/O), else in the temporary
/// directory; named by process, since libFuzzer's fork and jobs modes run
/// several.
pub fn per_process_path(target: &str, ext: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("binlog-fuzz-{target}-{}.{ext}", std::process::id()))
}
