//! The crate's internals that the tests, the benchmarks and the fuzz
//! targets use: the format's codec, segment naming and listing, the
//! compressed format's parts, the archive's object names and journal. NOT
//! part of the Rust API: hidden from the reference, outside semver, changed
//! whenever the code needs to. A Rust user has the crate root,
//! [`crate::verify`] and [`crate::archive`]; the `binlog` tool has those and
//! the named items of `crate::tool`.
//!
//! The modules mirror the crate's own layout (`__private::format::seal` is
//! `crate::format::seal`), so an internal path reads the same in the crate
//! and in its tests.

/// The archive's internals (feature `s3`).
#[cfg(feature = "s3")]
pub mod archive {
    pub use crate::archive::*;
    /// Each module named, with its public items (the crate's own are
    /// private to it).
    macro_rules! mirror {
        ($($(#[$doc:meta])* $m:ident),*) => {
            $($(#[$doc])* pub mod $m { pub use crate::archive::$m::*; })*
        };
    }
    mirror!(
        /// SHA-256 digests of objects.
        digest,
        /// A log's identity file.
        identity,
        /// The shipper's journal.
        journal,
        /// Multipart uploads.
        multipart,
        /// Object names.
        object_name,
        /// Reading objects ahead.
        read_ahead,
        /// The object-store client.
        remote
    );
}

/// The clock: nanoseconds since the Unix epoch, and the one-time choice of
/// its source (tests/it/clock_fork.rs races the two across a fork).
pub mod clock {
    pub use crate::clock::{now_ns, prepare};
}

/// The compressed format's parts (feature `compression`).
#[cfg(feature = "compression")]
pub mod compressed {
    pub use crate::compressed::*;
}

/// The segment format's codec (docs/FORMAT.md).
pub mod format {
    pub use crate::format::*;
}

/// Rolling logs' internals: naming, listing, manifests.
pub mod log {
    pub use crate::log::*;
}

/// One segment's writer's internals: salvaged files.
pub mod writer {
    /// Copying the records after damage into a sealed file of the log.
    pub mod salvage {
        pub use crate::writer::salvage::*;
    }
}

/// What the crate asks of the operating system: the writer's file lock,
/// taken or probed.
pub mod sys {
    pub use crate::sys::{is_path_locked, try_lock_exclusive};
}
