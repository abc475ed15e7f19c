//! An export's output file: written as `<name>.tmp`, synced and renamed
//! to its name once complete, so that a file of that name is always a
//! whole export. One that is dropped unfinished (an error on the way) is
//! removed. An existing file is replaced only when asked to.

use crate::encoding::push_float;
use crate::error::{CliError, CliResult};
use crate::paths;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, TimestampNanosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_ipc::writer::FileWriter;
use arrow_json::writer::{Encoder, EncoderFactory, EncoderOptions, NullableEncoder};
use arrow_json::{LineDelimitedWriter, WriterBuilder};
use arrow_schema::{ArrowError, DataType, Field, FieldRef, Schema};
use binlog::io_text;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::Arc;

/// Rows of a Parquet row group, at most (engines read a row group per
/// task; fewer, larger ones read faster).
const ROW_GROUP_ROWS: usize = 1 << 20;
/// Bytes a Parquet row group is let grow to in memory before it is
/// written, however few its rows.
const ROW_GROUP_BYTES: usize = 128 << 20;

/// The formats `--to` names (a file's extension is its format's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// Apache Arrow IPC file (Feather v2).
    Arrow,
    /// One JSON object per line.
    Jsonl,
}

enum Writer {
    Parquet(ArrowWriter<File>),
    Arrow(FileWriter<BufWriter<File>>),
    Jsonl(LineDelimitedWriter<BufWriter<File>>),
}

/// A file being written (see the module doc).
pub struct OutputFile {
    pub path: PathBuf,
    tmp: PathBuf,
    /// None once finished.
    writer: Option<Writer>,
    /// Renamed to `path`: not to be removed.
    done: bool,
}

impl OutputFile {
    /// Starts `path` (its `.tmp`): refused when it exists, unless
    /// `replace`.
    pub fn create(path: PathBuf, to: Format, schema: &Schema, replace: bool) -> CliResult<Self> {
        let what = format!("{}: exists (--force replaces it)", paths::show(&path));
        crate::error::refuse(!replace && path.exists(), &what)?;
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|e| CliError::io_on(paths::show(&tmp), e))?;
        let mut out = OutputFile {
            path,
            tmp,
            writer: None,
            done: false,
        };
        let writer = match to {
            Format::Parquet => {
                // Sequence numbers, times and payloads are (nearly) all
                // distinct: no dictionary; a payload's min and max say
                // nothing worth their comparisons. Sequence numbers and
                // times rise: their deltas take a few bits, and little to
                // compress.
                let mut props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_size(ROW_GROUP_ROWS)
                    .set_column_statistics_enabled("payload".into(), EnabledStatistics::None)
                    .set_column_dictionary_enabled("payload".into(), false);
                for column in ["seq", "time"] {
                    let delta = Encoding::DELTA_BINARY_PACKED;
                    props = props.set_column_dictionary_enabled(column.into(), false);
                    props = props.set_column_encoding(column.into(), delta);
                }
                let w = ArrowWriter::try_new(file, schema.clone().into(), Some(props.build()));
                Writer::Parquet(w.map_err(|e| out.error(e))?)
            }
            Format::Arrow => Writer::Arrow(
                FileWriter::try_new(BufWriter::new(file), schema).map_err(|e| out.error(e))?,
            ),
            Format::Jsonl => Writer::Jsonl(
                WriterBuilder::new()
                    .with_encoder_factory(Arc::new(Floats))
                    .build(BufWriter::new(file)),
            ),
        };
        out.writer = Some(writer);
        Ok(out)
    }

    pub fn write(&mut self, batch: &RecordBatch) -> CliResult<()> {
        let result = match self.writer.as_mut().expect("written before finished") {
            Writer::Parquet(w) => w.write(batch).map_err(|e| e.to_string()).and_then(|()| {
                if w.in_progress_size() < ROW_GROUP_BYTES {
                    return Ok(());
                }
                w.flush().map_err(|e| e.to_string())
            }),
            Writer::Arrow(w) => w.write(batch).map_err(|e| e.to_string()),
            Writer::Jsonl(w) => w.write(&offset_utc(batch)).map_err(|e| e.to_string()),
        };
        result.map_err(|e| self.error(e))
    }

    /// Completes the file: its footer written, synced, renamed to its name.
    pub fn finish(mut self) -> CliResult<()> {
        let file = match self.writer.take().expect("finished once") {
            Writer::Parquet(w) => w.into_inner().map_err(|e| e.to_string()),
            Writer::Arrow(w) => w.into_inner().map_err(|e| e.to_string()).and_then(unbuffer),
            Writer::Jsonl(mut w) => w
                .finish()
                .map_err(|e| e.to_string())
                .and_then(|()| unbuffer(w.into_inner())),
        };
        let done = file
            .and_then(|f| f.sync_all().map_err(|e| io_text(&e)))
            .and_then(|()| std::fs::rename(&self.tmp, &self.path).map_err(|e| io_text(&e)))
            .and_then(|()| crate::paths::sync_parent(&self.path).map_err(|e| io_text(&e)));
        self.done = done.is_ok();
        done.map_err(|e| self.error(e))
    }

    /// An error writing the file: it names the file, and says the
    /// partial file is removed (as dropping it does).
    fn error(&self, e: impl std::fmt::Display) -> CliError {
        let e = e.to_string();
        let e = e.strip_prefix("External: ").unwrap_or(&e);
        let (path, tmp) = (paths::show(&self.path), paths::show(&self.tmp));
        CliError::io(format!("{path}: {e} (the partial file {tmp} is removed)"))
    }
}

/// JSON Lines' floats as `cat --decode` prints them (`push_float`: NaN
/// and the infinities as strings, where arrow-json writes null).
#[derive(Debug)]
struct Floats;

impl EncoderFactory for Floats {
    fn make_default_encoder<'a>(
        &self,
        _: &'a FieldRef,
        array: &'a dyn Array,
        _: &'a EncoderOptions,
    ) -> Result<Option<NullableEncoder<'a>>, ArrowError> {
        let floats = matches!(array.data_type(), DataType::Float32 | DataType::Float64);
        let encoder = || NullableEncoder::new(Box::new(FloatColumn(array)), array.nulls().cloned());
        Ok(floats.then(encoder))
    }
}

struct FloatColumn<'a>(&'a dyn Array);

impl Encoder for FloatColumn<'_> {
    fn encode(&mut self, i: usize, out: &mut Vec<u8>) {
        match self.0.as_primitive_opt::<Float32Type>() {
            Some(column) => push_float(out, column.value(i)),
            None => push_float(out, self.0.as_primitive::<Float64Type>().value(i)),
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// `batch` with its time column's zone named `+00:00`: arrow-json
/// writes a time in a named zone (`UTC`) only with the zone database
/// (chrono-tz), which we do without.
fn offset_utc(batch: &RecordBatch) -> RecordBatch {
    let time = batch.column(1).as_primitive::<TimestampNanosecondType>();
    let time: ArrayRef = Arc::new(time.clone().with_timezone("+00:00"));
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[1] = fields[1].clone().with_data_type(time.data_type().clone());
    let mut columns = batch.columns().to_vec();
    columns[1] = time;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("only the zone changed")
}

fn unbuffer(w: BufWriter<File>) -> Result<File, String> {
    w.into_inner().map_err(|e| io_text(e.error()))
}
