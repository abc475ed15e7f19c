//! Compressed sealed segments (docs/FORMAT.md 17): a sealed segment
//! `<segment>` becomes `<segment>.zst`, a file in zstd's Seekable Format
//! whose frames are cut at the segment's structure, so that `zstd -d` gives
//! back the segment byte for byte and a reader decompresses only the frames
//! it needs.
//!
//! - `seek_table`, `cuts`, `type_copies`: layouts and choices, no I/O;
//!   `frame_writer`: frames and seek table written;
//! - `open`, `frame_decoder`, `frame_stream`, `segment`, `copy_read`:
//!   reading from any `source` (a file or a remote object), a zstd block
//!   at a time where part of a frame is enough, through a cache of a few
//!   frames; a plain remote segment read the same way, as stored frames;
//!   `decode_ahead`: a scan's next frames decompressed by a pool of
//!   threads; `frame_walk`: the frames of a file whose seek table is lost;
//! - `compress` (each frame checked as written), `decompress`, `durable`:
//!   crash-safe conversion of files.

pub mod compress;
mod copy_read;
pub mod cuts;
// The modules marked `allow(missing_docs)` are internal: outside the crate
// only with the feature `internals`, so not held to the lint.
#[allow(missing_docs)]
pub mod decode_ahead;
pub mod decompress;
pub(crate) mod durable;
#[allow(missing_docs)]
pub mod frame_decoder;
#[allow(missing_docs)]
pub mod frame_stream;
mod frame_walk;
#[allow(missing_docs)]
pub mod frame_writer;
mod open;
#[allow(missing_docs)]
pub mod seek_table;
pub mod segment;
pub mod source;
#[cfg(test)]
mod test_segment;
#[allow(missing_docs)]
pub mod type_copies;

pub use compress::{compress_segment, compress_segment_with_copies, CompressOptions, Converted};
pub use decompress::decompress_segment;
// What only the tests use: conversions with a step hook.
pub use segment::CompressedSegment;
#[cfg(any(test, feature = "internals"))]
pub use {compress::compress_segment_with, decompress::decompress_segment_with, durable::Step};
// The archive's remote objects are read through it.
#[cfg(feature = "s3")]
pub use source::Source;
pub use type_copies::TypeCopies;
