//! The library version, from Cargo.toml.

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// What a new segment's header records as its writer.
pub const WRITER: &str = concat!("libbinlog/", env!("CARGO_PKG_VERSION"));
