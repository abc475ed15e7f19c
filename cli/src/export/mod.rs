//! `binlog export`: records to Parquet, Arrow IPC or JSON Lines files for
//! analytics engines, with each type's decoded payload as typed columns
//! (`columns`), written a batch at a time (`table`) to files that appear
//! only once complete (`output`). Records are read as `binlog cat` reads
//! them: a log's segments in order (`select`), or many logs merged by
//! time (`cat --merge`'s reader).

mod columns;
mod direct;
mod output;
mod route;
mod table;

use crate::cat::merge::{open_window, outcome, Said};
use crate::error::{CliError, CliResult, Outcome};
use crate::output::Origin;
use crate::paths::SourceArgs;
use crate::progress::Progress;
use crate::select::{self, Filter, FilterArgs, Walk};
use binlog::{OwnedRecord, Record};
use clap::Args;
use route::Routes;
use std::path::PathBuf;

pub use output::Format;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/export.txt"))]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The files' format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub to: Format,
    /// The directory the files are written to (made if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace files of the same names in DIR (else refused).
    #[arg(long)]
    pub force: bool,
    /// Read every log of the directory and/or s3:// prefix whose name
    /// matches --log PATTERN (default all) as one stream ordered by time,
    /// as `binlog cat --merge` does.
    #[arg(long)]
    pub merge: bool,
    /// Read past damage, as `binlog cat --skip-damaged` does.
    #[arg(long)]
    pub skip_damaged: bool,
}

pub fn run(args: &ExportArgs) -> CliResult<Outcome> {
    let filter = args.filter.build()?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::io_on(crate::paths::show(&args.out), e))?;
    let mut routes = Routes::new(args);
    let read = match args.merge {
        true => read_merged(args, &filter, &mut routes)?,
        false => read_logs(args, &filter, &mut routes)?,
    };
    let (written, undecodable) = routes.finish()?;
    for (path, records) in written {
        let records = crate::error::counted(records, "record");
        println!("{}: {records}", crate::paths::show(&path));
    }
    if undecodable > 0 {
        let n = crate::error::counted(undecodable, "record");
        eprintln!("binlog: warning: {n} kept without their decoded fields");
    }
    Ok(read.max(Outcome::Undecodable.when(undecodable > 0)))
}

/// The records of each log (or set of files) the paths name, in order.
fn read_logs(args: &ExportArgs, filter: &Filter, routes: &mut Routes) -> CliResult<Outcome> {
    let mut result = Outcome::Clean;
    let walk = Walk {
        skip_damaged: args.skip_damaged,
        ..Walk::default()
    };
    for source in args.source.resolve()? {
        // A log's name: of its directory, or of its bucket's objects.
        let remote = source.files.first().and_then(|f| crate::remote::log_of(f));
        let log = source.log.as_ref().map(|l| l.name.as_str());
        let log = log.or(remote.as_ref().map(|r| r.log()));
        let add = |r: &Record<'_>, at: Origin<'_>| routes.add(r, Origin { log, ..at });
        let read = select::for_each(&source.files, filter, walk, &mut Progress::hidden(), add)?;
        result = result.max(read);
    }
    Ok(result)
}

/// The records of the logs `--log` matches, merged by time.
fn read_merged(args: &ExportArgs, filter: &Filter, routes: &mut Routes) -> CliResult<Outcome> {
    let mut r = open_window(&args.source, filter)?;
    r.skip_damaged(args.skip_damaged);
    while let Some(m) = r.next()? {
        if !filter.matches(&m.record) {
            continue;
        }
        // Copied: a record borrows the reader, asked for its schema after.
        let (name, record) = (m.log.to_string(), OwnedRecord::from(&m.record));
        let rec = record.record();
        let (log, file, schema) = (Some(name.as_str()), None, r.type_schema(rec.type_name));
        routes.add(&rec, Origin { log, file, schema })?;
    }
    Said::default().report_new(&r);
    Ok(outcome(&r))
}
