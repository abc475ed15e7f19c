//! One output file's rows in the making: the record columns are built as
//! records come, decoded values are kept until the batch is full; then,
//! on a thread of the file's, protobuf payloads the wire plan reads become
//! typed columns (`direct`) and arrow-json makes the other values typed
//! columns; each full batch goes to the file, so memory holds one batch,
//! never the log.

use super::columns::{self, DECODED_TEXT};
use super::direct::Direct;
use super::output::OutputFile;
use super::ExportArgs;
use crate::error::{CliError, CliResult};
use crate::output::{warn_undecodable, Origin};
use arrow_array::builder::ArrayBuilder;
use arrow_array::builder::{
    BinaryBuilder, ListBuilder, StringBuilder, StructBuilder, TimestampNanosecondBuilder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_json::reader::{Decoder as JsonColumns, ReaderBuilder};
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema};
use binlog::{Record, TypeSchema};
use prost_reflect::{DynamicMessage, MessageDescriptor, SerializeOptions};
use serde::ser::{Error, Serialize, SerializeMap, Serializer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Rows a batch holds before it is written.
pub const BATCH_ROWS: usize = 64 * 1024;

/// A decoded payload, kept until its batch's columns are made.
pub enum Decoded {
    /// None: the payload did not decode (its columns are null).
    None,
    Json(Value),
    /// A protobuf message, every field present (zeros are not nulls).
    Proto(DynamicMessage),
    /// Its payload to be read into the file's direct columns.
    Direct,
}

impl Serialize for Decoded {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Decoded::Json(v) if v.is_object() => v.serialize(s),
            Decoded::Proto(m) => {
                let o = SerializeOptions::new()
                    .stringify_64_bit_integers(false)
                    .skip_default_fields(false);
                // Through a JSON value, whose objects' keys are sorted: a
                // map's entries in key order, as the direct path's, not
                // in prost-reflect's hash order (another each run).
                let v = m.serialize_with_options(serde_json::value::Serializer, &o);
                v.map_err(S::Error::custom)?.serialize(s)
            }
            // A row of nulls.
            _ => s.serialize_map(Some(0))?.end(),
        }
    }
}

/// What a file holds of decoded payloads.
pub enum DecodedColumns {
    /// Nothing: the types have no decoder.
    None,
    /// Each payload's JSON text, in one `decoded` column.
    Text,
    /// Typed columns (named as the decoded values name them).
    Typed(Fields),
}

/// A file's rows not written yet, and the thread that writes the file:
/// a full batch is made into columns and written there while the next
/// one is read (two cores share the work).
pub struct Table {
    pub path: PathBuf,
    seq: UInt64Builder,
    time: TimestampNanosecondBuilder,
    type_name: StringBuilder,
    log: StringBuilder,
    meta: ListBuilder<StructBuilder>,
    payload: BinaryBuilder,
    /// Decoded payloads of the batch.
    values: Vec<Decoded>,
    /// The batch's segment files, each with its first row (warnings
    /// name them).
    files: Files,
    /// The schema whose payloads the writer reads into direct columns.
    pub direct_schema: Option<TypeSchema>,
    /// Records written to the file and in the batch.
    pub records: u64,
    /// None once the writer is told the file is complete.
    to_writer: Option<SyncSender<Batch>>,
    writer: Option<JoinHandle<CliResult<Written>>>,
}

/// A batch's record columns, decoded payloads and files.
struct Batch(Vec<ArrayRef>, Vec<Decoded>, Files);

type Files = Vec<(usize, Arc<Path>)>;

/// The writer thread's file, and the records whose decoded value did not
/// fit its columns.
type Written = (OutputFile, u64);

impl Table {
    /// A table of `decoded` columns, in a new file `path` of the export's
    /// format, made of protobuf message `m` of schema `s` when given: its
    /// payloads are read directly if its plan reads them.
    pub fn new(
        path: PathBuf,
        args: &ExportArgs,
        decoded: DecodedColumns,
        first: Option<(&TypeSchema, &MessageDescriptor)>,
    ) -> CliResult<Table> {
        let schema = columns::file_schema(match &decoded {
            DecodedColumns::None => Vec::new(),
            DecodedColumns::Text => vec![Field::new(DECODED_TEXT, DataType::Utf8, true)],
            DecodedColumns::Typed(f) => f.iter().map(|f| f.as_ref().clone()).collect(),
        });
        let file = OutputFile::create(path.clone(), args.to, &schema, args.force)?;
        let direct = match (&decoded, first) {
            (DecodedColumns::Typed(fields), Some((s, m))) => Direct::new(s, m, fields),
            _ => None,
        };
        let direct_schema = direct.as_ref().map(|d| d.schema.clone());
        // One batch waits while one is written: memory stays bounded.
        let (to_writer, batches) = sync_channel(1);
        // The writer: each batch's decoded columns made on its thread, and
        // written on one more (the columns of a batch are made while the
        // one before is encoded).
        let writer = std::thread::spawn(move || {
            let name = crate::paths::show(&file.path);
            let (to_file, made) = sync_channel::<RecordBatch>(1);
            let file_writer = std::thread::spawn(move || {
                let mut file = file;
                made.iter().try_for_each(|b| file.write(&b)).map(|()| file)
            });
            let unfit = make_columns(&schema, &decoded, direct, batches, to_file, &name);
            let file = file_writer.join().unwrap_or_else(|_| Err(stopped()))?;
            Ok((file, unfit?))
        });
        Ok(Table {
            path,
            seq: UInt64Builder::with_capacity(BATCH_ROWS),
            time: TimestampNanosecondBuilder::with_capacity(BATCH_ROWS).with_timezone("UTC"),
            type_name: StringBuilder::new(),
            log: StringBuilder::new(),
            meta: ListBuilder::new(StructBuilder::from_fields(columns::meta_entry(), 0)),
            payload: BinaryBuilder::new(),
            values: Vec::new(),
            files: Vec::new(),
            direct_schema,
            records: 0,
            to_writer: Some(to_writer),
            writer: Some(writer),
        })
    }

    /// Adds a record from `from`, of shown type `name`, and its decoded
    /// payload `value`; hands the batch to the writer when it is full.
    pub fn push(&mut self, r: &Record, name: &str, from: Origin, value: Decoded) -> CliResult<()> {
        let last = self.files.last().map(|(_, f)| f.as_os_str());
        if let Some(file) = from.file.filter(|f| last != Some(f.as_os_str())) {
            self.files.push((self.seq.len(), file.into()));
        }
        self.seq.append_value(r.seq);
        self.time.append_value(r.timestamp_ns);
        self.type_name.append_value(name);
        self.log.append_option(from.log);
        let entries = self.meta.values();
        for (k, v) in r.metadata() {
            for (i, text) in [k, v].into_iter().enumerate() {
                let column = entries.field_builder::<StringBuilder>(i).expect("text");
                column.append_value(text);
            }
            entries.append(true);
        }
        self.meta.append(true);
        self.payload.append_value(r.payload);
        // (`Decoded::None` of every record of a file without decoded
        // columns: its batches make none.)
        self.values.push(value);
        self.records += 1;
        if self.seq.len() >= BATCH_ROWS {
            return self.send_batch();
        }
        Ok(())
    }

    /// Hands the rows not handed yet to the writer (one that stopped
    /// gives its error).
    fn send_batch(&mut self) -> CliResult<()> {
        if self.seq.is_empty() {
            return Ok(());
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.seq.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.type_name.finish()),
            Arc::new(self.log.finish()),
            Arc::new(self.meta.finish()),
            Arc::new(self.payload.finish()),
        ];
        // The next batch's payloads, in one allocation (a finished
        // builder starts empty, and would grow by copying).
        let bytes = cols[5].to_data().buffers()[1].len();
        self.payload = BinaryBuilder::with_capacity(BATCH_ROWS, bytes + bytes / 8);
        let values = std::mem::take(&mut self.values);
        let batch = Batch(cols, values, std::mem::take(&mut self.files));
        match self.to_writer.as_ref().map(|w| w.send(batch)) {
            Some(Ok(())) => Ok(()),
            _ => self.join().map(drop),
        }
    }

    /// Writes the rest and completes the file: the records whose decoded
    /// values did not fit.
    pub fn finish(&mut self) -> CliResult<u64> {
        self.send_batch()?;
        let (file, unfit) = self.join()?;
        file.finish()?;
        Ok(unfit)
    }

    /// Tells the writer the batches are done and waits for it: its file,
    /// or its error (the partial file then removed).
    fn join(&mut self) -> CliResult<Written> {
        self.to_writer = None;
        let writer = self.writer.take().ok_or_else(stopped)?;
        writer.join().unwrap_or_else(|_| Err(stopped()))
    }
}

/// A table dropped unfinished (an error on the way): its writer is waited
/// for, and drops its partial file before the process ends.
impl Drop for Table {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

fn stopped() -> CliError {
    CliError::io("export: the file's writer stopped")
}

/// Makes each batch's decoded columns and hands the batch to the file's
/// writer: the records whose decoded values did not fit.
fn make_columns(
    schema: &Arc<Schema>,
    decoded: &DecodedColumns,
    mut direct: Option<Direct>,
    batches: Receiver<Batch>,
    to_file: SyncSender<RecordBatch>,
    name: &str,
) -> CliResult<u64> {
    let mut unfit = 0;
    for Batch(mut cols, mut values, files) in batches {
        match decoded {
            DecodedColumns::None => {}
            DecodedColumns::Text => cols.push(Arc::new(as_text(&values))),
            DecodedColumns::Typed(fields) => {
                let rows = direct.as_mut().map(|d| {
                    unfit += read_direct(d, &mut values, &cols, &files);
                    d.finish()
                });
                let seqs = cols[0].as_primitive::<UInt64Type>().values();
                let (typed, n) = match rows {
                    Some(d) if values.iter().all(|v| matches!(v, Decoded::Direct)) => (d, 0),
                    d => typed_columns(fields, &values, seqs, name)
                        .map(|(t, n)| (merge(d, t, &values), n))?,
                };
                unfit += n;
                cols.extend(typed.columns().iter().cloned())
            }
        }
        let batch = RecordBatch::try_new(schema.clone(), cols).map_err(arrow_error)?;
        if to_file.send(batch).is_err() {
            break; // The file's writer stopped: its error is the one told.
        }
    }
    Ok(unfit)
}

/// Reads the batch's payloads marked `Direct` into `d`; one it leaves to
/// prost-reflect is decoded so, or said on standard error (with its
/// file of `files`) and its row left null: how many did not decode.
fn read_direct(d: &mut Direct, values: &mut [Decoded], cols: &[ArrayRef], files: &Files) -> u64 {
    let seqs = cols[0].as_primitive::<UInt64Type>();
    let payloads = cols[5].as_binary::<i32>();
    let (types, logs) = (cols[2].as_string::<i32>(), cols[3].as_string::<i32>());
    let mut not_decoded = 0;
    for (i, v) in values.iter_mut().enumerate() {
        if !matches!(v, Decoded::Direct) || d.append(payloads.value(i)).is_ok() {
            continue;
        }
        *v = match DynamicMessage::decode(d.message.clone(), payloads.value(i)) {
            Ok(m) => Decoded::Proto(m),
            Err(e) => {
                not_decoded += 1;
                let log = arrow_array::Array::is_valid(logs, i).then(|| logs.value(i));
                let run = files.partition_point(|(first, _)| *first <= i);
                let file = run.checked_sub(1).map(|run| &*files[run].1);
                let schema = Some(&d.schema);
                let origin = Origin { log, file, schema };
                undecodable(origin, seqs.value(i), types.value(i), e)
            }
        };
    }
    not_decoded
}

/// Each value's JSON text (null for none).
fn as_text(values: &[Decoded]) -> arrow_array::StringArray {
    let text = values.iter().map(|v| match v {
        Decoded::None => None,
        Decoded::Json(v) => Some(v.to_string()),
        v => serde_json::to_string(v).ok(),
    });
    text.collect()
}

/// The values as typed columns, and how many did not fit. A value that
/// is no object, or one arrow-json refuses (a field of another type than the schema says) is
/// said on standard error with its record's sequence number and left
/// out, its columns null: the batch is decoded again without it.
fn typed_columns(
    fields: &Fields,
    values: &[Decoded],
    seqs: &[u64],
    file: &str,
) -> CliResult<(StructArray, u64)> {
    let mut rows: Vec<&Decoded> = values.iter().collect();
    let mut unfit = 0;
    let mut leave_out = |row: &mut &Decoded, seq: &u64, why: String| {
        eprintln!("binlog: warning: {file}: record {seq}: decoded fields left out: {why}");
        *row = &Decoded::None;
        unfit += 1;
    };
    for (row, seq) in rows.iter_mut().zip(seqs) {
        if matches!(row, Decoded::Json(v) if !v.is_object()) {
            leave_out(row, seq, "not an object".into());
        }
    }
    if let Ok(columns) = decode(fields, &rows) {
        return Ok((columns, unfit));
    }
    for (row, seq) in rows.iter_mut().zip(seqs) {
        if let Err(e) = decode(fields, std::slice::from_ref(row)) {
            // arrow-json's words without its "Json error: whilst decoding".
            let e = match e {
                ArrowError::JsonError(why) => why.replace("whilst decoding field ", "field "),
                e => e.to_string(),
            };
            leave_out(row, seq, e);
        }
    }
    Ok((decode(fields, &rows).map_err(arrow_error)?, unfit))
}

/// The direct rows of `direct` and the others of `typed`, in the order of
/// `values`.
fn merge(direct: Option<StructArray>, typed: StructArray, values: &[Decoded]) -> StructArray {
    let Some(direct) = direct else { return typed };
    // The direct rows are in `direct` one after another.
    let mut direct_rows = 0..;
    let rows: Vec<(usize, usize)> = (values.iter().enumerate())
        .map(|(i, v)| match v {
            Decoded::Direct => (0, direct_rows.next().expect("a range without an end")),
            _ => (1, i),
        })
        .collect();
    let rows = arrow_select::interleave::interleave(&[&direct, &typed], &rows);
    rows.expect("the same columns").as_struct().clone()
}

fn decode<S: Serialize>(fields: &Fields, rows: &[S]) -> Result<StructArray, ArrowError> {
    let schema = Arc::new(Schema::new(fields.clone()));
    // A number where text is expected is kept as its text: an enum's
    // number without a name, as `cat --decode` prints it.
    let mut d: JsonColumns = ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .with_coerce_primitive(true)
        .build_decoder()?;
    d.serialize(rows)?;
    Ok(d.flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema))
        .into())
}

pub fn arrow_error(e: impl std::fmt::Display) -> CliError {
    CliError::io(format!("export: {e}"))
}

/// Says on standard error that the payload of record `seq` of type `t`
/// from `origin` does not decode.
pub fn undecodable(origin: Origin<'_>, seq: u64, t: &str, e: impl std::fmt::Display) -> Decoded {
    let then = "exported with its decoded columns null";
    warn_undecodable(origin, seq, t, &e.to_string(), then);
    Decoded::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::prost::Message;
    use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
    use prost_reflect::prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
    };
    use prost_reflect::{DescriptorPool, Value as ProtoValue};

    fn field(name: &str, number: i32, ty: Type, message: Option<&str>) -> FieldDescriptorProto {
        FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            label: Some(Label::Optional as i32),
            r#type: Some(ty as i32),
            type_name: message.map(str::to_string),
            json_name: Some(name.into()),
            ..Default::default()
        }
    }

    fn file(
        name: &str,
        package: &str,
        message: DescriptorProto,
        deps: &[&str],
    ) -> FileDescriptorProto {
        FileDescriptorProto {
            name: Some(name.into()),
            package: Some(package.into()),
            dependency: deps.iter().map(|d| d.to_string()).collect(),
            message_type: vec![message],
            syntax: Some("proto3".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_message_with_a_timestamp_field_becomes_typed_columns() {
        let timestamp = DescriptorProto {
            name: Some("Timestamp".into()),
            field: vec![
                field("seconds", 1, Type::Int64, None),
                field("nanos", 2, Type::Int32, None),
            ],
            ..Default::default()
        };
        let order = DescriptorProto {
            name: Some("Order".into()),
            field: vec![
                field("id", 1, Type::Uint64, None),
                field("at", 2, Type::Message, Some(".google.protobuf.Timestamp")),
            ],
            ..Default::default()
        };
        const TS: &str = "google/protobuf/timestamp.proto";
        let set = FileDescriptorSet {
            file: vec![
                file(TS, "google.protobuf", timestamp, &[]),
                file("shop.proto", "shop", order, &[TS]),
            ],
        };
        let pool = DescriptorPool::decode(set.encode_to_vec().as_slice()).unwrap();
        let order = pool.get_message_by_name("shop.Order").unwrap();
        let mut at = DynamicMessage::new(
            pool.get_message_by_name("google.protobuf.Timestamp")
                .unwrap(),
        );
        at.set_field_by_name("seconds", ProtoValue::I64(1_700_000_000));
        let mut m = DynamicMessage::new(order.clone());
        m.set_field_by_name("id", ProtoValue::U64(7));
        m.set_field_by_name("at", ProtoValue::Message(at));
        let fields = columns::of_message(&order, 0);
        let columns = decode(&fields, &[Decoded::Proto(m)]).unwrap();
        assert_eq!(arrow_array::Array::len(&columns), 1);
        let at = columns.column_by_name("at").unwrap();
        let at = at
            .as_any()
            .downcast_ref::<arrow_array::TimestampNanosecondArray>()
            .unwrap();
        assert_eq!(at.value(0), 1_700_000_000_000_000_000);
    }

    /// The columns of `payloads` of schema `set` (message `name`): the
    /// direct path's, read into one `Direct` where it reads them, and the
    /// JSON path's, each decoded by prost-reflect; and the direct rows.
    fn both_paths(set: Vec<u8>, name: &str, payloads: &[Vec<u8>]) -> [StructArray; 2] {
        let pool = DescriptorPool::decode(set.as_slice()).unwrap();
        let desc = pool.get_message_by_name(name).unwrap();
        let decode = |p: &[u8]| match DynamicMessage::decode(desc.clone(), p) {
            Ok(m) => Decoded::Proto(m),
            Err(_) => Decoded::None,
        };
        let fields = columns::of_message(&desc, 0);
        let schema = TypeSchema::protobuf("t", set.clone(), name);
        let mut direct = Direct::new(&schema, &desc, &fields).unwrap();
        let n = payloads.len();
        let seq: ArrayRef = Arc::new(arrow_array::UInt64Array::from_iter_values(0..n as u64));
        let text: ArrayRef = Arc::new(arrow_array::StringArray::from(vec!["t"; n]));
        let payload: ArrayRef = Arc::new(arrow_array::BinaryArray::from_iter_values(payloads));
        let cols = [seq.clone(), seq, text.clone(), text.clone(), text, payload];
        let mut mixed: Vec<Decoded> = (0..n).map(|_| Decoded::Direct).collect();
        let not_decoded = read_direct(&mut direct, &mut mixed, &cols, &Vec::new());
        let json: Vec<Decoded> = payloads.iter().map(|p| decode(p)).collect();
        let seqs: Vec<u64> = (0..n as u64).collect();
        let (expected, unfit) = typed_columns(&fields, &json, &seqs, "t").unwrap();
        let (typed, mixed_unfit) = typed_columns(&fields, &mixed, &seqs, "t").unwrap();
        let got = merge(Some(direct.finish()), typed, &mixed);
        let direct_rows = mixed
            .iter()
            .filter(|d| matches!(d, Decoded::Direct))
            .count();
        let (bad, read) = (not_decoded + mixed_unfit, direct_rows as u64);
        assert_eq!(
            bad,
            json.iter().filter(|d| matches!(d, Decoded::None)).count() as u64 + unfit
        );
        assert!(read > n as u64 / 3, "{read} of {n} rows read from the wire");
        for (f, column) in fields.iter().zip(expected.columns()) {
            let got = got.column_by_name(f.name()).unwrap();
            assert_eq!(got, column, "{}", f.name());
        }
        [got, expected]
    }

    /// Random `t.All` payloads (every scalar kind, known and unknown enum
    /// numbers, nested, repeated, maps of many entries in any order,
    /// absent fields), rows with an unpacked repeated field, a message the
    /// wire plan leaves to prost-reflect (merged) and bytes that do not
    /// decode among them; enum numbers without a name fit.
    #[test]
    fn protobuf_read_from_the_wire_makes_the_columns_the_json_path_makes() {
        use crate::decode::protobuf_all::*;
        let (set, name) = all_kinds_descriptor_set();
        let pool = DescriptorPool::decode(set.as_slice()).unwrap();
        let desc = pool.get_message_by_name(name).unwrap();
        let mut next = random_numbers(0x2545_f491_4f6c_dd1d);
        let kind = prost_reflect::Kind::Message(desc.clone());
        let mut payloads: Vec<Vec<u8>> = (0..600)
            .map(|_| {
                let field = desc.fields().next().unwrap();
                let ProtoValue::Message(m) = random_value(&field, &kind, &mut next, 0) else {
                    unreachable!()
                };
                m.encode_to_vec()
            })
            .collect();
        payloads[100] = b"\x10\x05\x10\x07\x98\x06\x01\xb0\x01\x01\xb0\x01\x02".to_vec();
        payloads[200] = b"\xd2\x02\x02\x08\x01\xd2\x02\x02\x08\x02".to_vec();
        payloads[300] = b"\x10\x80".to_vec();
        both_paths(set, name, &payloads);
    }

    /// Random `w.Wkt` payloads (a field of each well-known type, at and
    /// beyond the edges of its values; see `random_well_known`): the same
    /// columns of the same types (a Timestamp's a time in nanoseconds,
    /// past i64's left null as the JSON path leaves it, a Duration's its
    /// text, a wrapper's its value's), the same rows without their
    /// decoded fields.
    #[test]
    fn well_known_types_read_from_the_wire_make_the_columns_the_json_path_makes() {
        use crate::decode::protobuf_all::*;
        let (set, name) = well_known_descriptor_set();
        let pool = DescriptorPool::decode(set.as_slice()).unwrap();
        let desc = pool.get_message_by_name(name).unwrap();
        let mut next = random_numbers(0x9e37_79b9_7f4a_7c15);
        let payloads: Vec<Vec<u8>> = (0..1500)
            .map(|_| random_well_known(&desc, &mut next, 0).encode_to_vec())
            .collect();
        let [got, _] = both_paths(set, name, &payloads);
        let t = |c: &str| got.column_by_name(c).unwrap().data_type().clone();
        let time = DataType::Timestamp(arrow_schema::TimeUnit::Nanosecond, Some("+00:00".into()));
        let (text, list) = (DataType::Utf8, DataType::new_list(time.clone(), true));
        assert_eq!(
            [t("timestamp"), t("duration"), t("times")],
            [time, text.clone(), list]
        );
        let wrapped = [t("int64value"), t("floatvalue"), t("bytesvalue")];
        assert_eq!(wrapped, [DataType::Int64, DataType::Float32, text]);
        assert!(["struct", "value", "any", "empty"]
            .iter()
            .all(|c| got.column_by_name(c).is_none()));
    }
}
