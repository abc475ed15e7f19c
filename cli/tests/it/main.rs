//! The `binlog` tool's tests, one test binary (as the library's
//! tests/it/main.rs, which says why): each module runs the built tool.
//! `tests/run_rust_tests.sh MODULE` runs one module in a process of its
//! own, as `make test` runs each. The helpers are the library's tests'
//! (tests/it/common), shared, not copied.

#[path = "../../../tests/it/common/mod.rs"]
mod common;
#[path = "../../../tests/it/spec_classify/mod.rs"]
mod spec_classify;

mod archive_fetch;
mod archive_follow;
mod archive_list_logs;
mod archive_prune;
mod archive_read_cli;
mod archive_salvaged;
mod archive_ship_kill;
mod archive_unreachable;
mod cli;
mod cli_compress;
mod cli_compressed_reading;
mod cli_compressed_repair;
mod cli_consumers;
mod cli_decode_protobuf;
mod cli_export;
mod cli_log_directories;
mod cli_lost_types;
mod cli_repair;
mod cli_repair_by_rename;
mod cli_schemas;
mod cli_signed;
mod cli_tail;
mod cli_verify;
mod cli_write;
mod conformance;
mod conformance_remote;
mod conformance_verify;
mod log_position;
mod merged_reader_remote;
mod power_loss;
mod power_loss_tools;
mod rust_version_stated;
mod verify;
