//! The library version, from Cargo.toml.

/// The library's version (Cargo.toml's), e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// What a new segment's header records as its writer.
pub const WRITER: &str = concat!("libbinlog/", env!("CARGO_PKG_VERSION"));
