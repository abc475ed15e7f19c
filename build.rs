//! Gives the C library (the cdylib only) its SONAME, `libbinlog.so.<ABI>`,
//! and links that name to the library in the build tree.
//!
//! `make install` names the file libbinlog.so.<version> with the links
//! libbinlog.so.<ABI> and libbinlog.so; a program linked against it records
//! the SONAME, so it keeps loading every later library of the same ABI and
//! never one of another (docs/ABI.md says when the number changes).

use std::path::{Path, PathBuf};

/// The ABI number in the SONAME. The Makefile's SOVERSION must be the same
/// number: `make install` checks the built library's SONAME against it.
const SOVERSION: &str = "0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // `format::wide_crc` uses the AVX-512 carry-less multiplication
    // intrinsics, stable from Rust 1.89; an older compiler (the crate's
    // rust-version is older) builds the library without it.
    println!("cargo:rustc-check-cfg=cfg(binlog_wide_crc)");
    if rustc_minor().is_some_and(|minor| minor >= 89) {
        println!("cargo:rustc-cfg=binlog_wide_crc");
    }
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let soname = format!("libbinlog.so.{SOVERSION}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    if let Some(dir) = profile_dir() {
        link_soname_in_build_tree(&dir, &soname);
    }
}

/// The compiler's minor version (`rustc 1.MINOR.PATCH`).
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var_os("RUSTC")?;
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}

/// target/<profile>, where Cargo puts libbinlog.so: OUT_DIR is
/// target/<profile>/build/libbinlog-<hash>/out. None for any other layout.
fn profile_dir() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    let build = out.parent()?.parent()?;
    (build.file_name()? == "build").then(|| build.parent().map(Path::to_path_buf))?
}

/// A program linked with `-L target/release -lbinlog` (the build-tree
/// rpath of the README, the Go and JNI bindings, the C tests) records the
/// SONAME and loads `libbinlog.so.<ABI>` at run time: this link keeps such
/// programs running. Cargo leaves files it did not make alone.
fn link_soname_in_build_tree(dir: &Path, soname: &str) {
    let link = dir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|to| to == Path::new("libbinlog.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    if let Err(e) = std::os::unix::fs::symlink("libbinlog.so", &link) {
        println!("cargo:warning=cannot link {}: {e}", link.display());
    }
}
