//! The integration tests, one test binary: each module is what was a test
//! binary of its own (a file of tests/), beside the helpers they share
//! (`common`, `spec_classify`). The crate and its dependencies are linked
//! once, not once per file.
//!
//! Each module's tests still run in a process of their own, as they did in
//! their own binary: some fork, kill their children, set rlimits, signal
//! handlers or environment variables, hold process-wide locks, or take
//! turns. `tests/run_rust_tests.sh` runs this binary once per module (every
//! test of it and no other, by its exact name), two at a time, and
//! `tests/run_rust_tests.sh crash log_crash -- --nocapture` runs those
//! modules; `cargo test --test it` would run every module in one process.
//!
//! A module that needs a feature is compiled with it only (`s3` or
//! `compression`), so `--no-default-features` compiles the others. The
//! `binlog` tool's own tests are its crate's (cli/tests/it); the few here
//! that ask the tool whether it agrees with the library run the tool that
//! `cargo test` of the workspace builds.

mod common;
mod spec_classify;

#[cfg(feature = "s3")]
mod archive_disk_full;
#[cfg(feature = "s3")]
mod archive_faults;
#[cfg(feature = "s3")]
mod archive_multipart_faults;
#[cfg(all(feature = "s3", feature = "sign"))]
mod archive_object_lock;
#[cfg(feature = "s3")]
mod archive_plain_objects;
#[cfg(feature = "s3")]
mod archive_read;
#[cfg(feature = "s3")]
mod archive_read_ffi;
#[cfg(feature = "s3")]
mod archive_retention;
#[cfg(feature = "s3")]
mod archive_seal_checks;
#[cfg(feature = "s3")]
mod archive_ship;
#[cfg(feature = "s3")]
mod archive_ship_lock;
#[cfg(feature = "s3")]
mod archive_store_settings;
mod bad_input;
mod bad_input_matrix;
mod batch_atomicity;
mod bitflip_sealed;
mod c_abi_prototypes;
mod clock_fork;
#[cfg(feature = "compression")]
mod compressed_damage;
#[cfg(feature = "compression")]
mod compressed_decode_ahead;
#[cfg(feature = "compression")]
mod compressed_disk_full;
#[cfg(feature = "compression")]
mod compressed_kill;
#[cfg(feature = "compression")]
mod compressed_reading;
#[cfg(feature = "compression")]
mod compressed_segments;
#[cfg(feature = "compression")]
mod compressed_spec;
#[cfg(feature = "compression")]
mod compressed_type_copies;
#[cfg(feature = "s3")]
mod compressed_type_copies_remote;
mod concurrency;
mod consumer_kill;
mod consumer_power_cut;
mod consumer_resume;
#[cfg(feature = "s3")]
mod consumer_shipping;
mod crash;
mod disk_full;
mod ffi_merged_reader;
mod ffi_reader;
mod flush_delay;
mod follow_change_fd;
mod follow_durable_writer;
mod follow_idle;
mod follow_reopened_segment;
#[cfg(feature = "sign")]
mod forward_secure;
mod hold_back;
mod hostile_seal;
mod hostile_types;
mod large_folios;
mod large_segment;
mod live_reading;
mod lock_fork;
mod log_callbacks;
#[cfg(feature = "compression")]
mod log_compression;
#[cfg(feature = "s3")]
mod log_compression_close;
#[cfg(feature = "compression")]
mod log_compression_crash;
mod log_crash;
mod log_durable;
mod log_failed_roll;
mod log_failed_seal;
mod log_listing;
mod log_reader;
mod log_reader_at_a_roll;
mod log_reader_record_segment;
mod log_retention_and_follow;
mod log_sealing;
mod log_smoke;
mod log_sync_failures;
mod log_writer;
mod merged_follow;
mod merged_reader;
mod module_graph;
mod persistence_points;
mod power_faults;
mod power_faults_random;
mod power_loss_recovery;
mod prealloc;
mod prepared_space;
mod prepared_space_crash;
// Compared with tests/public_api.txt (`make public-api` writes it), the
// listing of the full feature set.
#[cfg(feature = "s3")]
mod public_api;
mod record_writer;
mod repair;
mod resync;
mod roundtrip;
// Reads `cargo metadata` with serde_json, the tool's.
mod sealed_segment_damage;
mod sealed_segments_never_change;
mod seek_and_filter;
mod shrink_under_reader;
#[cfg(feature = "sign")]
mod signed_digest;
#[cfg(feature = "sign")]
mod signed_log;
#[cfg(feature = "sign")]
mod signed_vectors;
#[cfg(feature = "compression")]
mod type_schemas;
mod unsealed_reading;
mod vectors;
mod versions_agree;
mod writer_failing_writes;
mod writer_reopen;
