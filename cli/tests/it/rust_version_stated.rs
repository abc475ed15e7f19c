//! The Rust that README.md and docs/INSTALL.md say a build needs ("Rust
//! X or later") is the newest `rust-version` among the crates Cargo.lock
//! pins for what `make` builds (the library with the archive tier and the
//! tool: the default features, on this machine's platform), and the one
//! INSTALL.md gives for the lean library (`ARCHIVE=0`: the feature
//! "compression" alone) that of its crates: cargo refuses to compile a
//! crate whose `rust-version` is newer than the compiler. Cargo.toml's own
//! `rust-version` is the crate's code's, which may be older. Needs
//! serde_json (feature "cli") to read `cargo metadata`.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

use std::process::Command;

#[test]
fn readme_and_install_state_the_rust_cargo_lock_needs() {
    let needed = newest_rust_version_locked(&[]);
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
    let needed =
        newest_rust_version_locked(&["--no-default-features", "--features", "compression"]);
    let stated = format!("`ARCHIVE=0`, Rust {needed} or later");
    assert!(
        read("docs/INSTALL.md").contains(&stated),
        "docs/INSTALL.md does not say \"{stated}\": the newest rust-version among the lean library's locked crates is {needed}"
    );
}

/// The newest `rust-version` over the normal and build dependencies,
/// direct and indirect, of the build with `features` (cargo's arguments)
/// on this platform.
fn newest_rust_version_locked(features: &[&str]) -> String {
    let platform = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &platform])
        .args(features)
        .current_dir(crate::common::repo_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let rust_version: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["rust_version"].as_str()?)))
        .collect();
    let deps: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve.nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("node id"), &n["deps"]))
        .collect();
    let mut seen = HashSet::new();
    let mut todo = vec![meta["resolve"]["root"].as_str().expect("resolve.root")];
    while let Some(id) = todo.pop() {
        if seen.insert(id) {
            todo.extend(built_deps(deps[id]));
        }
    }
    seen.iter()
        .filter_map(|id| rust_version.get(id).copied())
        .max_by_key(|v| numeric(v))
        .expect("some locked crate states a rust-version")
        .to_string()
}

/// The ids of a node's normal and build dependencies (not dev ones).
fn built_deps(deps: &Value) -> impl Iterator<Item = &str> {
    deps.as_array().expect("deps").iter().filter_map(|d| {
        let built = d["dep_kinds"]
            .as_array()?
            .iter()
            .any(|k| k["kind"].is_null() || k["kind"] == "build");
        built.then(|| d["pkg"].as_str()).flatten()
    })
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
