//! Build-time configuration of the library: whether the compiler has the
//! intrinsics `format::wide_crc` uses. The C library's SONAME is given by
//! the Makefile (`make lib`), which builds the cdylib.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // `format::wide_crc` uses the AVX-512 carry-less multiplication
    // intrinsics, stable from Rust 1.89; an older compiler (the crate's
    // rust-version is older) builds the library without it.
    println!("cargo:rustc-check-cfg=cfg(binlog_wide_crc)");
    if rustc_minor().is_some_and(|minor| minor >= 89) {
        println!("cargo:rustc-cfg=binlog_wide_crc");
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
