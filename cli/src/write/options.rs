//! `binlog write`'s options for the segment or log it writes, from the
//! command line.

use super::args::{key_value, WriteArgs};
use crate::error::CliResult;
use binlog::{LogOptions, Options};

pub(super) fn segment_options(args: &WriteArgs) -> CliResult<Options> {
    let default = Options::default();
    let params = args.params.iter().map(|p| key_value("--param", p));
    Ok(Options {
        content_type: args.content_type.clone().unwrap_or(default.content_type),
        params: params.collect::<CliResult<_>>()?,
        first_seq: args.first_seq.unwrap_or(default.first_seq),
        schemas: args.schemas.clone(),
        max_record_size: args.max_record_size.unwrap_or(default.max_record_size),
        writer_version: format!("{} (binlog write)", binlog::version::WRITER),
        signing: args.signing_key.clone(),
        ..default
    })
}

/// The options of a log directory written to.
pub(super) fn log_options(args: &WriteArgs) -> CliResult<LogOptions> {
    let default = LogOptions::default();
    Ok(LogOptions {
        segment: segment_options(args)?,
        max_segment_bytes: args.max_segment_bytes,
        max_segment_records: args.max_segment_records,
        first_seq: args.first_seq.unwrap_or(default.first_seq),
        background: false,
        ..default
    })
}
