//! `binlog write`'s options for the segment or log it writes, from the
//! command line.

use super::args::{key_value, WriteArgs};
use crate::error::CliResult;
use binlog::{LogOptions, Options};

pub(super) fn segment_options(args: &WriteArgs) -> CliResult<Options> {
    let mut o = Options::default();
    if let Some(c) = &args.content_type {
        o.content_type = c.clone();
    }
    for p in &args.params {
        o.params.push(key_value("--param", p)?);
    }
    if let Some(s) = args.first_seq {
        o.first_seq = s;
    }
    o.schemas = args.schemas.clone();
    if let Some(m) = args.max_record_size {
        o.max_record_size = m;
    }
    o.writer_version = format!("{} (binlog write)", binlog::version::WRITER);
    Ok(o)
}

/// The options of a log directory written to.
pub(super) fn log_options(args: &WriteArgs) -> CliResult<LogOptions> {
    let mut opts = LogOptions {
        segment: segment_options(args)?,
        max_segment_bytes: args.max_segment_bytes,
        max_segment_records: args.max_segment_records,
        background: false,
        ..LogOptions::default()
    };
    if let Some(s) = args.first_seq {
        opts.first_seq = s;
    }
    Ok(opts)
}
