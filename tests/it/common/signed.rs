//! A fixed signing key for the crash and power-cut suites of signed logs,
//! which a child and its parent share, and the check those suites make
//! of a signed log after each crash.

use binlog::sign::Signing;
use binlog::verify::{FindingKind::*, Verify};
use std::path::Path;

/// The key in `<target tmp>/<name>.key` (mode 0600, as a secret key's
/// must be), from the seed `byte` repeated (any 32 bytes are an Ed25519
/// key): the same for a child and its parent.
pub fn fixed_key(name: &str, byte: u8) -> Signing {
    use std::os::unix::fs::PermissionsExt;
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.key"));
    let line = format!(
        "binlog-secret-key-ed25519 {}\n",
        format!("{byte:02x}").repeat(32)
    );
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(line.as_str())
        || mode.ok() != Some(0o600)
    {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &line).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    Signing::from_key_file(&path).unwrap()
}

/// Log `log` in `dir` as a crash left it: every seal that reads as whole
/// signed by `key`, the log one chain (or no log yet); else the first
/// finding that says otherwise.
pub fn one_signed_chain(dir: &Path, log: &str, key: &Signing) -> Result<(), String> {
    let reports = match Verify::log(dir, log) {
        Ok(r) => r,
        // Killed before its first segment was made: nothing to sign yet.
        Err(e) if e.kind() == binlog::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    for f in reports.trusting(key.public_key()).flat_map(|r| r.findings) {
        let tampered = matches!(
            f.kind,
            RecordsChanged
                | BadSignature
                | OtherKey
                | Unsigned
                | ChainGap
                | NotInChain
                | Reordered
                | Duplicate
                | OutOfEpoch
        );
        if tampered {
            return Err(f.message);
        }
    }
    Ok(())
}
