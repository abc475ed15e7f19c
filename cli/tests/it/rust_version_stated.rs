//! The Rust that README.md and docs/INSTALL.md say a build needs ("Rust
//! X or later") is the newest `rust-version` among the crates Cargo.lock
//! pins for what `make` builds (the workspace: the library with the
//! archive tier and the tool, on this machine's platform), and the one
//! INSTALL.md gives for the lean library (`ARCHIVE=0`: the feature
//! "compression" alone) that of its crates: cargo refuses to compile a
//! crate whose `rust-version` is newer than the compiler. Cargo.toml's own
//! `rust-version` is the crate's code's, which may be older.

use serde_json::Value;
use std::collections::HashSet;

use std::process::Command;

#[test]
fn readme_and_install_state_the_rust_cargo_lock_needs() {
    let needed = newest_rust_version_locked(&["--workspace"]);
    let stated = format!("Rust {needed} or later");
    for doc in ["README.md", "docs/INSTALL.md"] {
        assert!(
            read(doc).contains(&stated),
            "{doc} does not say \"{stated}\": the newest rust-version among the locked crates of the default build is {needed}"
        );
    }
}

#[test]
fn install_states_the_rust_the_lean_library_needs() {
    let needed = newest_rust_version_locked(&[
        "-p",
        "libbinlog",
        "--no-default-features",
        "--features",
        "compression",
    ]);
    let stated = format!("`ARCHIVE=0`, Rust {needed} or later");
    assert!(
        read("docs/INSTALL.md").contains(&stated),
        "docs/INSTALL.md does not say \"{stated}\": the newest rust-version among the lean library's locked crates is {needed}"
    );
}

/// The newest `rust-version` over the normal and build dependencies,
/// direct and indirect, of the build cargo `args` select (packages and
/// features) on this platform. `cargo tree` resolves the features of the
/// packages selected only (`cargo metadata` unifies the workspace's: the
/// tool's crate turns the archive tier on); `cargo metadata` gives each
/// crate's `rust-version`.
fn newest_rust_version_locked(args: &[&str]) -> String {
    let platform = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let tree = cargo(&["tree", "--locked", "-e", "normal,build", "--prefix", "none"])
        .args(["--format", "{p}", "--target", &platform])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        tree.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let built: HashSet<(String, String)> = String::from_utf8_lossy(&tree.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((
                w.next()?.to_string(),
                w.next()?.trim_start_matches('v').to_string(),
            ))
        })
        .collect();
    let meta = cargo(&["metadata", "--format-version", "1", "--locked"])
        .output()
        .expect("cargo metadata runs");
    assert!(
        meta.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&meta.stderr)
    );
    let meta: Value = serde_json::from_slice(&meta.stdout).expect("cargo metadata prints JSON");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            built.contains(&(name, p["version"].as_str().unwrap_or_default().to_string()))
        })
        .filter_map(|p| p["rust_version"].as_str())
        .max_by_key(|v| numeric(v))
        .expect("some locked crate states a rust-version")
        .to_string()
}

/// `cargo ARGS` run in the repository's root.
fn cargo(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO"));
    c.args(args).current_dir(crate::common::repo_root());
    c
}

/// "1.85.0" and "1.85" as (1, 85, 0).
fn numeric(version: &str) -> (u32, u32, u32) {
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u32>().expect("a number"));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// A file of the repository, by its path from the root.
fn read(relative: &str) -> String {
    let path = crate::common::repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{relative}: {e}"))
}
