//! Protobuf payloads appended straight to a table's Arrow builders, read
//! from the wire by `protowire`'s plan: no `DynamicMessage` and no JSON
//! in between. The values are those the JSON path (`table`) gives: every
//! field present, zeros as zeros, an absent message or field with
//! presence null, enums by name (a number without a name as its text),
//! bytes in base64, map keys as text (map entries in key order), a
//! well-known type as its column holds its JSON form (a Timestamp as
//! nanoseconds, a Duration as its text, a wrapper as its value; Struct,
//! Value, ListValue and Any have no column, but are read whole). A
//! payload is checked whole before any builder grows, so a row is
//! appended whole or not at all; one the plan does not read is left to
//! the JSON path.

use crate::encoding::base64;
use crate::protowire::{self, FieldKind, FieldPlan, Known, Plan, Read, Unread, Val, Wires};
use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Float64Builder, Int32Builder, Int64Builder, NullBufferBuilder,
    StringBuilder, TimestampNanosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, ListArray, MapArray, StructArray};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, FieldRef, Fields};
use binlog::TypeSchema;
use prost_reflect::{Kind, MessageDescriptor};
use std::sync::Arc;

/// A message's columns in the making (see the module's comment).
pub struct Direct {
    pub schema: TypeSchema,
    pub message: MessageDescriptor,
    plan: Plan,
    fields: Fields,
    columns: Vec<Column>,
}

/// The builder of one field's column, and the field's index among its
/// message's fields in the plan (columns are in that order).
type Column = (usize, Builder);

/// Nested builders keep their field (or type), offsets and validity.
enum Builder {
    Bool(BooleanBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Text(StringBuilder),
    Time(TimestampNanosecondBuilder),
    Struct(Fields, Vec<Column>, NullBufferBuilder),
    List(FieldRef, Vec<i32>, Box<Builder>, NullBufferBuilder),
    /// A map's entries: their keys' builder (text) and their values'.
    Map(FieldRef, Vec<i32>, Box<[Builder; 2]>, NullBufferBuilder),
}

impl Direct {
    /// Message `m` (of schema `s`)'s payloads as `fields`, the columns
    /// `columns::of_message` makes of it; None when the plan does not read
    /// `m`, or `m` is a well-known type (its form is no object of columns).
    pub fn new(s: &TypeSchema, m: &MessageDescriptor, fields: &Fields) -> Option<Direct> {
        let plan = Plan::new(m).filter(|p| p.message(Plan::ROOT).known.is_none())?;
        let columns = columns(&plan, Plan::ROOT, fields);
        Some(Direct {
            schema: s.clone(),
            message: m.clone(),
            plan,
            fields: fields.clone(),
            columns,
        })
    }

    /// Appends the payload's row; `Unread`, nothing appended, for one left
    /// to the JSON path.
    pub fn append(&mut self, payload: &[u8]) -> Read<()> {
        // The root is no well-known type: its bytes are its fields.
        let wires = self.plan.scan(Plan::ROOT, payload)?;
        check_fields(&self.plan, Plan::ROOT, &wires, 0)?;
        append_wires(&self.plan, Plan::ROOT, &wires, &mut self.columns);
        Ok(())
    }

    /// The rows appended since the last call.
    pub fn finish(&mut self) -> StructArray {
        let arrays = self.columns.iter_mut().map(|(_, b)| b.finish());
        StructArray::new(self.fields.clone(), arrays.collect(), None)
    }
}

/// The columns of message `m`'s fields that `fields` has (by JSON name).
fn columns(plan: &Plan, m: usize, fields: &Fields) -> Vec<Column> {
    let plans = plan.message(m).fields.iter().enumerate();
    let column = |(i, f): (usize, &FieldPlan)| {
        let (_, column) = fields.find(f.desc.json_name())?;
        let builder = Builder::new(plan, f, column.data_type())?;
        Some((i, builder))
    };
    plans.filter_map(column).collect()
}

/// Checks message `m`'s bytes whole (see the module's comment).
fn check(plan: &Plan, m: usize, bytes: &[u8], depth: usize) -> Read<()> {
    protowire::check_depth(depth)?;
    match plan.read(m, bytes)? {
        Known::Fields(wires) => check_fields(plan, m, &wires, depth),
        // Beyond i64 nanoseconds, arrow-json refuses the JSON path's text.
        Known::Time(seconds, nanos) => time_ns(seconds, nanos).map(drop),
        Known::Duration(_) => Ok(()),
        Known::Any(_, embedded, bytes) => check(plan, embedded, bytes, depth + 1),
    }
}

/// A Timestamp's nanoseconds since the epoch, as its column holds them.
fn time_ns(seconds: i64, nanos: u32) -> Read<i64> {
    let ns = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    i64::try_from(ns).map_err(|_| Unread)
}

/// Checks the values of message `m`'s fields `wires`.
fn check_fields(plan: &Plan, m: usize, wires: &Wires, depth: usize) -> Read<()> {
    let mut values = Vec::new();
    for field in wires.chunk_by(|a, b| a.0 == b.0) {
        let f = &plan.message(m).fields[field[0].0];
        let check_value = |v: Val| match v {
            Val::Message(i, b) => check(plan, i, b, depth + 1),
            _ => Ok(()),
        };
        match &f.map {
            Some(_) => (protowire::map_entries(f, field)?.into_iter())
                .try_for_each(|(_, v)| check_value(v))?,
            None if f.list => {
                f.values(field, &mut values)?;
                values.iter().try_for_each(|&v| check_value(v))?
            }
            None => check_value(f.last(field)?)?,
        }
    }
    Ok(())
}

/// Appends message `m`'s fields `wires` (checked) to its columns.
fn append_wires(plan: &Plan, m: usize, wires: &Wires, columns: &mut [Column]) {
    for (i, builder) in columns {
        let f = &plan.message(m).fields[*i];
        builder.append_field(plan, f, protowire::of(wires, *i));
    }
}

impl Builder {
    /// The builder of field `f`'s values in a column of type `t` (a
    /// list's items are the field's values too).
    fn new(plan: &Plan, f: &FieldPlan, t: &DataType) -> Option<Builder> {
        Some(match (&f.kind, t) {
            (_, DataType::List(item)) => {
                let items = Box::new(Builder::new(plan, f, item.data_type())?);
                Builder::List(item.clone(), vec![0], items, NullBufferBuilder::new(0))
            }
            (_, DataType::Map(entries, _)) => {
                let (DataType::Struct(kv_fields), Some(kv)) = (entries.data_type(), &f.map) else {
                    return None;
                };
                let values = Builder::new(plan, &kv.1, kv_fields[1].data_type())?;
                let kv = Box::new([Builder::Text(StringBuilder::new()), values]);
                Builder::Map(entries.clone(), vec![0], kv, NullBufferBuilder::new(0))
            }
            (FieldKind::Message(m), DataType::Struct(fields)) => {
                let columns = columns(plan, *m, fields);
                Builder::Struct(fields.clone(), columns, NullBufferBuilder::new(0))
            }
            (_, DataType::Boolean) => Builder::Bool(BooleanBuilder::new()),
            (_, DataType::Int32) => Builder::I32(Int32Builder::new()),
            (_, DataType::Int64) => Builder::I64(Int64Builder::new()),
            (_, DataType::UInt32) => Builder::U32(UInt32Builder::new()),
            (_, DataType::UInt64) => Builder::U64(UInt64Builder::new()),
            (_, DataType::Float32) => Builder::F32(Float32Builder::new()),
            (_, DataType::Float64) => Builder::F64(Float64Builder::new()),
            (_, DataType::Timestamp(_, zone)) => {
                Builder::Time(TimestampNanosecondBuilder::new().with_timezone_opt(zone.clone()))
            }
            _ => Builder::Text(StringBuilder::new()),
        })
    }

    /// Appends field `f`'s occurrences `wires` (none: absent).
    fn append_field(&mut self, plan: &Plan, f: &FieldPlan, wires: &Wires) {
        match self {
            Builder::List(_, offsets, items, nulls) => {
                let mut values = Vec::new();
                let _ = f.values(wires, &mut values);
                offsets.push(offsets[offsets.len() - 1] + values.len() as i32);
                let kind = &f.kind;
                values.into_iter().for_each(|v| items.append(plan, kind, v));
                nulls.append_non_null();
            }
            Builder::Map(_, offsets, kv, nulls) => {
                let entries = protowire::map_entries(f, wires).unwrap_or_default();
                offsets.push(offsets[offsets.len() - 1] + entries.len() as i32);
                let value_kind = &f.map.as_ref().expect("a map's builder").1.kind;
                for (k, v) in entries {
                    kv[0].append(plan, value_kind, Val::Str(&protowire::key_text(k)));
                    kv[1].append(plan, value_kind, v);
                }
                nulls.append_non_null();
            }
            b => match wires.last().map(|&(_, w)| f.value(w)) {
                Some(Ok(v)) => b.append(plan, &f.kind, v),
                None if !f.presence => b.append(plan, &f.kind, f.zero),
                _ => b.append_null(),
            },
        }
    }

    /// Appends one value of `kind`.
    fn append(&mut self, plan: &Plan, kind: &FieldKind, v: Val) {
        match (self, v) {
            (Builder::Bool(b), Val::Bool(x)) => b.append_value(x),
            (Builder::I32(b), Val::I32(x)) => b.append_value(x),
            (Builder::I64(b), Val::I64(x)) => b.append_value(x),
            (Builder::U32(b), Val::U32(x)) => b.append_value(x),
            (Builder::U64(b), Val::U64(x)) => b.append_value(x),
            (Builder::F32(b), Val::F32(x)) => b.append_value(x),
            (Builder::F64(b), Val::F64(x)) => b.append_value(x),
            (Builder::Text(b), Val::Str(s)) => b.append_value(s),
            (Builder::Text(b), Val::Bytes(x)) => b.append_value(base64(x)),
            (Builder::Text(b), Val::Enum(n)) => match kind {
                FieldKind::Of(Kind::Enum(e)) => match e.get_value(n) {
                    Some(named) => b.append_value(named.name()),
                    None => b.append_value(n.to_string()),
                },
                _ => b.append_null(),
            },
            (Builder::Time(b), Val::I64(x)) => b.append_value(x),
            (b, Val::Message(m, bytes)) => match (b, plan.read(m, bytes)) {
                (Builder::Struct(_, columns, nulls), Ok(Known::Fields(wires))) => {
                    append_wires(plan, m, &wires, columns);
                    nulls.append_non_null();
                }
                // A well-known type's column holds its value (checked): a
                // wrapper's, its one field's.
                (b, Ok(Known::Fields(wires))) => {
                    let f = &plan.message(m).fields[wires.first().map_or(0, |w| w.0)];
                    b.append_field(plan, f, &wires)
                }
                (b, Ok(Known::Time(s, n))) => {
                    b.append(plan, kind, Val::I64(time_ns(s, n).unwrap_or(0)))
                }
                (b, Ok(Known::Duration(d))) => b.append(plan, kind, Val::Str(&d.to_string())),
                (b, _) => b.append_null(),
            },
            // NullValue's null; else not met (the columns are made of the same plan).
            (b, _) => b.append_null(),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Bool(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::U32(b) => b.append_null(),
            Builder::U64(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Time(b) => b.append_null(),
            Builder::Struct(_, columns, nulls) => {
                columns.iter_mut().for_each(|(_, b)| b.append_null());
                nulls.append_null();
            }
            Builder::List(_, offsets, _, nulls) | Builder::Map(_, offsets, _, nulls) => {
                offsets.push(offsets[offsets.len() - 1]);
                nulls.append_null();
            }
        }
    }

    /// The values appended since the last call.
    fn finish(&mut self) -> ArrayRef {
        let offsets = |o: &mut Vec<i32>| OffsetBuffer::new(std::mem::replace(o, vec![0]).into());
        match self {
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::Struct(fields, columns, nulls) => {
                let arrays = columns.iter_mut().map(|(_, b)| b.finish()).collect();
                Arc::new(StructArray::new(fields.clone(), arrays, nulls.finish()))
            }
            Builder::List(item, o, items, nulls) => {
                let (offsets, items, nulls) = (offsets(o), items.finish(), nulls.finish());
                Arc::new(ListArray::new(item.clone(), offsets, items, nulls))
            }
            Builder::Map(entries, o, kv, nulls) => {
                let DataType::Struct(fields) = entries.data_type() else {
                    unreachable!("a map's entries are a struct")
                };
                let kv = kv.iter_mut().map(Builder::finish).collect();
                let kv = StructArray::new(fields.clone(), kv, None);
                let nulls = nulls.finish();
                Arc::new(MapArray::new(entries.clone(), offsets(o), kv, nulls, false))
            }
        }
    }
}
