//! `binlog schema`: the type schemas in the headers of a log's segments
//! (each distinct one once, with the segments that hold it), and a type's
//! schema bytes written to a file.

use crate::decode::{schema_json, schema_text};
use crate::error::{is_damage, CliError, CliResult, Outcome};
use crate::output;
use crate::paths::{self, SourceArgs};
use binlog::TypeSchema;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = include_str!("help/schema.txt"))]
pub struct SchemaArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only the schemas of this type.
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub type_name: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    /// With --type: write the type's schema bytes (a protobuf descriptor
    /// set, a .bfbs, a JSON Schema) to FILE, as the newest segment holding
    /// one has them.
    #[arg(long, value_name = "FILE", requires = "type_name")]
    pub out: Option<PathBuf>,
}

/// A distinct schema and the segments whose header holds it.
type Found = (TypeSchema, Vec<String>);

pub fn run(args: &SchemaArgs) -> CliResult<Outcome> {
    let files = paths::all_files(&args.source.resolve()?);
    let mut found: Vec<Found> = Vec::new();
    // The one found in the newest segment (files are oldest first).
    let (mut damaged, mut newest) = (0, None);
    for file in &files {
        let r = match crate::remote::open_reader(file, false) {
            Ok(r) => r,
            Err(e) if is_damage(&e) => {
                eprintln!("binlog: damaged: {}", e.message());
                damaged += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let wanted = r.header().schemas.iter();
        let wanted = wanted.filter(|s| args.type_name.as_ref().is_none_or(|t| *t == s.type_name));
        for s in wanted {
            let k = found.iter().position(|f| f.0 == *s);
            let k = k.unwrap_or_else(|| {
                found.push((s.clone(), Vec::new()));
                found.len() - 1
            });
            found[k].1.push(paths::show(file));
            newest = Some(k);
        }
    }
    let outcome = Outcome::Damaged.when(binlog::records_missing([], damaged));
    if let (Some(out), Some(t)) = (&args.out, &args.type_name) {
        let none = || CliError::usage(format!("no segment holds a schema of type {t:?}"));
        let (newest, _) = newest.map(|k| &found[k]).ok_or_else(none)?;
        let none = format!("type {t:?} ({}) has no schema document", newest.encoding);
        crate::error::refuse(newest.schema.is_empty(), &none)?;
        crate::paths::write_whole(out, &newest.schema)
            .map_err(|e| CliError::io_on(out.display(), e))?;
        return Ok(outcome);
    }
    let mut out = output::stdout();
    if args.json {
        let schemas = found.iter().map(|(schema, segments)| {
            let mut v = schema_json(schema);
            v["segments"] = json!(segments);
            v
        });
        let doc = json!({ "schemas": schemas.collect::<Vec<_>>() });
        output::print_json_document(&mut out, &doc)?;
    } else {
        for (schema, segments) in &found {
            let n = segments.len();
            let (first, last) = (&segments[0], &segments[n - 1]);
            let segments = match n {
                1 => format!("in {first}"),
                _ => format!("in {n} segments, {first} .. {last}"),
            };
            let (name, text) = (&schema.type_name, schema_text(schema));
            writeln!(out, "{name}: {text}; {segments}")?;
        }
    }
    out.flush()?;
    Ok(outcome)
}
