//! Which file each record goes to, and how its payload is decoded: a
//! type with a decoder has a file of its own (its columns are those of the
//! first schema met; a later segment's other schema decodes into them),
//! every other record goes to `records.<ext>`. A decoder is made once for
//! each schema a type has (the schema can change between segments).

use super::columns;
use super::table::{undecodable, Decoded, DecodedColumns, Table};
use super::ExportArgs;
use crate::decode::Decoder;
use crate::error::CliResult;
use crate::output::{shown_type_name, Origin};
use binlog::{Record, TypeSchema};
use prost_reflect::{DynamicMessage, MessageDescriptor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file of the records of types without a decoder.
const PLAIN: &str = "records";

/// Where one type's records went last, and with what schema.
struct Route {
    schema: Option<TypeSchema>,
    decoder: Option<Decoder>,
    table: usize,
    /// Payloads go to the table's direct columns.
    direct: bool,
}

pub struct Routes<'a> {
    /// Where the files go, in what format, and whether they may replace
    /// others (`--out`, `--to`, `--force`).
    args: &'a ExportArgs,
    tables: Vec<Table>,
    /// Each table's type (None: the plain file's).
    table_of: HashMap<Option<String>, usize>,
    routes: HashMap<String, Route>,
    /// Payloads that did not decode.
    undecodable: u64,
}

impl<'a> Routes<'a> {
    pub fn new(args: &'a ExportArgs) -> Routes<'a> {
        Routes {
            args,
            tables: Vec::new(),
            table_of: HashMap::new(),
            routes: HashMap::new(),
            undecodable: 0,
        }
    }

    /// Adds record `r` from `origin` (its log, segment file, and type
    /// schema: None when its segment has none for its type), to its file.
    pub fn add(&mut self, r: &Record<'_>, origin: Origin<'_>) -> CliResult<()> {
        let (type_name, schema) = (shown_type_name(r), origin.schema);
        let same = |route: &Route| route.schema.as_ref() == schema;
        if !self.routes.get(type_name.as_ref()).is_some_and(same) {
            self.new_route(&type_name, schema)?;
        }
        let route = &self.routes[type_name.as_ref()];
        let table = &mut self.tables[route.table];
        let decoded = match &route.decoder {
            Some(_) if route.direct => Decoded::Direct,
            Some(d) => decode(d, r, origin),
            None => Decoded::None,
        };
        self.undecodable += u64::from(route.decoder.is_some() && matches!(decoded, Decoded::None));
        table.push(r, &type_name, origin, decoded)
    }

    /// The route of `type_name` from now on: its decoder for `schema` and
    /// its file.
    fn new_route(&mut self, type_name: &str, schema: Option<&TypeSchema>) -> CliResult<()> {
        let warn = |e: &binlog::Error| {
            eprintln!("binlog: warning: type {type_name}: payloads kept undecoded: {e}")
        };
        let decoder = schema.and_then(|s| Decoder::new(s).inspect_err(warn).ok());
        let table = match (&decoder, schema) {
            (Some(d), Some(s)) => {
                // The columns of its decoded payloads: a protobuf message's
                // fields, a JSON Schema's properties, or else the JSON text.
                let typed = match (d.message(), s.schema_encoding.as_str()) {
                    (Some(m), _) => Some(columns::of_message(m, 0)),
                    (None, "jsonschema") => serde_json::from_slice(&s.schema)
                        .ok()
                        .and_then(|doc| columns::properties(&doc, 0)),
                    _ => None,
                };
                let columns = match typed {
                    Some(fields) if !fields.is_empty() => DecodedColumns::Typed(fields),
                    _ => DecodedColumns::Text,
                };
                self.table(Some(type_name), columns, d.message().map(|m| (s, m)))?
            }
            _ => self.table(None, DecodedColumns::None, None)?,
        };
        // (The plain table, a type's without a decoder, reads none.)
        let direct = schema.is_some() && self.tables[table].direct_schema.as_ref() == schema;
        let route = Route {
            schema: schema.cloned(),
            decoder,
            table,
            direct,
        };
        self.routes.insert(type_name.to_string(), route);
        Ok(())
    }

    /// The table of `type_name` (None: the plain one), started with
    /// `columns` (of protobuf message `first`, if given) if it is new.
    fn table(
        &mut self,
        type_name: Option<&str>,
        columns: DecodedColumns,
        first: Option<(&TypeSchema, &MessageDescriptor)>,
    ) -> CliResult<usize> {
        let key = type_name.map(str::to_string);
        if let Some(&i) = self.table_of.get(&key) {
            return Ok(i);
        }
        let path = self.file_path(type_name.unwrap_or(PLAIN));
        self.tables
            .push(Table::new(path, self.args, columns, first)?);
        self.table_of.insert(key, self.tables.len() - 1);
        Ok(self.tables.len() - 1)
    }

    /// `<out>/<name>.<ext>`, the name's characters other than letters,
    /// digits, `-`, `_` and `.` made `_`, and `_` put before it while
    /// another file of this export has the name.
    fn file_path(&self, name: &str) -> PathBuf {
        let safe = |c: char| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
            true => c,
            false => '_',
        };
        let mut stem: String = name.chars().map(safe).collect();
        if stem.is_empty() || stem.starts_with('.') {
            stem.insert(0, '_');
        }
        let ext = clap::ValueEnum::to_possible_value(&self.args.to).expect("no value is skipped");
        let taken = |p: &Path| self.tables.iter().any(|t| t.path == p);
        loop {
            let path = self.args.out.join(format!("{stem}.{}", ext.get_name()));
            if !taken(&path) {
                return path;
            }
            stem.insert(0, '_');
        }
    }

    /// Writes what is left and completes every file: each file's path and
    /// records, and the records whose decoded fields were left out. An
    /// export of no record writes an empty `records.<ext>`.
    pub fn finish(mut self) -> CliResult<(Vec<(PathBuf, u64)>, u64)> {
        if self.tables.is_empty() {
            self.table(None, DecodedColumns::None, None)?;
        }
        let mut written = Vec::new();
        let mut unfit = 0;
        for t in &mut self.tables {
            unfit += t.finish()?;
            written.push((t.path.clone(), t.records));
        }
        Ok((written, self.undecodable + unfit))
    }
}

/// The payload of `r` decoded (a protobuf message is kept as one, not
/// made JSON); one that does not decode is said on standard error.
fn decode(d: &Decoder, r: &Record<'_>, origin: Origin<'_>) -> Decoded {
    let proto = |m: &MessageDescriptor| DynamicMessage::decode(m.clone(), r.payload);
    let decoded = match d.message() {
        Some(m) => proto(m).map(Decoded::Proto).map_err(|e| e.to_string()),
        None => d.decode(r.payload).map(Decoded::Json),
    };
    decoded.unwrap_or_else(|e| undecodable(origin, r.seq, &shown_type_name(r), e))
}
