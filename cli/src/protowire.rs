//! Protobuf payloads read straight from the wire by a plan made once per
//! message descriptor: no `DynamicMessage` per payload. The fast path of
//! `--decode` and `binlog export`. It reads only what it can read exactly
//! as prost-reflect does; for anything else (a malformed payload, a
//! singular message field twice, which prost merges, two members of one
//! oneof, a repeated map key, a well-known type's value its JSON form
//! refuses) it gives `Unread` and the caller decodes the payload with
//! prost-reflect, which also says why one does not decode. Well-known
//! types are planned as the messages they are, each with the form its
//! JSON mapping gives it (`WellKnown`), read by `Plan::read`.

use prost_reflect::prost_types::Duration;
use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor};
use std::collections::HashMap;
use std::str::from_utf8_unchecked;

/// prost-reflect's limit of nested messages.
const MAX_NESTING: usize = 100;

/// A map entry's key and value, or the values of fields 1 and 2.
type Pair<'a> = (Val<'a>, Val<'a>);

/// A message's fields as `Plan::scan` gives them: (index in the plan's
/// `fields`, value).
pub type Wires<'a> = [(usize, Wire<'a>)];

/// The payload is not read by this path (see the module's comment).
#[derive(Debug, PartialEq)]
pub struct Unread;

/// What this path reads, or `Unread`.
pub type Read<T> = Result<T, Unread>;

/// A field's value as the wire holds it.
#[derive(Clone, Copy, Debug)]
pub enum Wire<'a> {
    Varint(u64),
    I64(u64),
    I32(u32),
    Len(&'a [u8]),
}

/// A field's value read as its kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val<'a> {
    Bool(bool),
    I32(i32),
    I64(i64),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Str(&'a str),
    Bytes(&'a [u8]),
    /// An enum's number (the name may be unknown).
    Enum(i32),
    /// A message's bytes (index into `Plan::message`).
    Message(usize, &'a [u8]),
    /// `google.protobuf.NullValue`'s one value, shown as null.
    Null,
}

/// What a field holds: prost-reflect's kind (a map's entries, read
/// through `FieldPlan::map`, as bytes), a message as its index into
/// `Plan::message`, `google.protobuf.NullValue` (its number 0 only).
#[derive(Clone, Debug)]
pub enum FieldKind {
    Of(Kind),
    Message(usize),
    Null,
}

/// One field of a message, as read.
#[derive(Debug)]
pub struct FieldPlan {
    pub desc: FieldDescriptor,
    /// `"jsonName":`, the field's member name in JSON, quoted.
    pub json_key: Box<[u8]>,
    pub kind: FieldKind,
    pub list: bool,
    /// A map's key and value fields (its entry message's).
    pub map: Option<Box<(FieldPlan, FieldPlan)>>,
    /// Set fields are shown even when zero (proto2, `optional`, oneofs,
    /// messages); the others only when not zero.
    pub presence: bool,
    /// The index of the field's oneof among the message's.
    pub oneof: Option<u32>,
    /// A float that must be finite (a field of a `WellKnown::Unwrapped`:
    /// its JSON form has no text for NaN and the infinities).
    finite: bool,
    /// The value of the field when the wire leaves it out (a message's is
    /// empty), its kind's zero: proto3 leaves out a field without presence
    /// that equals it (-0.0 too, as prost-reflect compares values).
    pub zero: Val<'static>,
}

/// The JSON mapping's own form of a well-known type's message (any other
/// message is an object of its fields).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WellKnown {
    /// RFC 3339 text (UTC, 0, 3, 6 or 9 fraction digits).
    Timestamp,
    /// Seconds with an `s`: `"-1.500s"`.
    Duration,
    /// Its one field set (else its first field's zero) as that field's
    /// value: the wrappers' `value`, Struct's `fields` (a map),
    /// ListValue's `values` (a list), Value's member of its oneof (null
    /// when none, as `null_value`).
    Unwrapped,
    /// `{"@type": url, ...}`, then the embedded message's members or, of a
    /// well-known type, `"value":` its form.
    Any,
    /// `{}`: an object of its fields, which are none.
    Empty,
}

/// The well-known types shown as one of their fields.
const UNWRAPPED: &str = "Struct Value ListValue DoubleValue FloatValue Int64Value UInt64Value \
    Int32Value UInt32Value BoolValue StringValue BytesValue";

impl WellKnown {
    /// The form of message `m`: Some(None) for an object of its fields;
    /// None for what this path does not read: a `google.protobuf` message
    /// not above (FieldMask, whose form renames its paths, or another),
    /// or one of them whose fields are not prost-reflect's (its form is
    /// read from those).
    fn of(m: &MessageDescriptor) -> Option<Option<WellKnown>> {
        let Some(name) = m.full_name().strip_prefix("google.protobuf.") else {
            return Some(None);
        };
        let form = match name {
            "Timestamp" => WellKnown::Timestamp,
            "Duration" => WellKnown::Duration,
            "Any" => WellKnown::Any,
            "Empty" => WellKnown::Empty,
            _ if UNWRAPPED.split_whitespace().any(|n| n == name) => WellKnown::Unwrapped,
            _ => return None,
        };
        let own = DescriptorPool::global().get_message_by_name(m.full_name())?;
        let mut fields = [own, m.clone()].map(|m| m.descriptor_proto().field.clone());
        fields.iter_mut().flatten().for_each(|f| f.json_name = None);
        (fields[0] == fields[1]).then_some(Some(form))
    }
}

/// A message's bytes as its form reads them (see `WellKnown`).
pub enum Known<'a> {
    /// Its fields, as `Plan::scan` gives them: of an object, or of a
    /// `WellKnown::Unwrapped` (one field's occurrences, or none).
    Fields(Vec<(usize, Wire<'a>)>),
    /// A Timestamp's seconds and nanoseconds, in the range of its form.
    Time(i64, u32),
    /// A Duration in the range of its form (its `Display` is the form).
    Duration(Duration),
    /// An Any's type URL, and its embedded message (index, bytes).
    Any(&'a str, usize, &'a [u8]),
}

/// The range of a Timestamp's seconds and of a Duration's, as
/// prost-reflect checks them (the years 1 to 9999; 10,000 years).
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;
const SPAN_SECONDS: u64 = 315_576_000_000;
const NANOS: i32 = 1_000_000_000;

/// One message's fields, in field-number order (the JSON mapping's and
/// prost-reflect's).
#[derive(Debug, Default)]
pub struct MessagePlan {
    pub fields: Vec<FieldPlan>,
    /// Field number to index in `fields`, for numbers below its length.
    by_number: Vec<u16>,
    /// The form of a well-known type's message.
    pub known: Option<WellKnown>,
}

/// The plan of a message and of every message it reaches.
#[derive(Debug, Default)]
pub struct Plan {
    messages: Vec<MessagePlan>,
    /// Each message's index, by full name.
    index: HashMap<String, usize>,
}

impl Plan {
    /// The root message's index.
    pub const ROOT: usize = 0;

    /// The plan of `m`; None when it reaches what this path does not read:
    /// groups, extensions, the well-known types `WellKnown::of` refuses.
    /// An Any's message may be of any type of the pool: each the plan
    /// reads is planned too.
    pub fn new(m: &MessageDescriptor) -> Option<Plan> {
        let mut plan = Plan::default();
        plan.add(m)?;
        if plan.index.contains_key("google.protobuf.Any") {
            for other in m.parent_pool().all_messages() {
                let n = plan.messages.len();
                if plan.add(&other).is_none() {
                    plan.messages.truncate(n);
                    plan.index.retain(|_, i| *i < n);
                }
            }
        }
        Some(plan)
    }

    pub fn message(&self, index: usize) -> &MessagePlan {
        &self.messages[index]
    }

    /// Adds message `m` (once) and what it reaches: its index.
    fn add(&mut self, m: &MessageDescriptor) -> Option<usize> {
        if let Some(&i) = self.index.get(m.full_name()) {
            return Some(i);
        }
        let known = WellKnown::of(m)?;
        if m.extensions().len() > 0 {
            return None;
        }
        let index = self.messages.len();
        self.index.insert(m.full_name().to_string(), index);
        self.messages.push(MessagePlan::default());
        let mut fields: Vec<FieldPlan> =
            m.fields().map(|f| self.field(f)).collect::<Option<_>>()?;
        let top = fields.iter().map(|f| f.desc.number()).max().unwrap_or(0);
        let mut by_number = vec![u16::MAX; (top as usize + 1).min(1024)];
        for (i, f) in fields.iter_mut().enumerate() {
            if let Some(slot) = by_number.get_mut(f.desc.number() as usize) {
                *slot = i as u16;
            }
            f.finite = known == Some(WellKnown::Unwrapped);
        }
        let planned = &mut self.messages[index];
        (planned.fields, planned.by_number, planned.known) = (fields, by_number, known);
        Some(index)
    }

    fn field(&mut self, f: FieldDescriptor) -> Option<FieldPlan> {
        if f.is_group() {
            return None;
        }
        let map = match (f.is_map(), f.kind()) {
            (true, Kind::Message(entry)) => Some(Box::new((
                self.field(entry.map_entry_key_field())?,
                self.field(entry.map_entry_value_field())?,
            ))),
            _ => None,
        };
        let kind = match f.kind() {
            Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => FieldKind::Null,
            // A map's entries are read through `map`.
            Kind::Message(_) if map.is_some() => FieldKind::Of(Kind::Bytes),
            Kind::Message(m) => FieldKind::Message(self.add(&m)?),
            kind => FieldKind::Of(kind),
        };
        let quoted = serde_json::to_string(f.json_name()).expect("a string is JSON");
        let mut planned = FieldPlan {
            json_key: format!("{quoted}:").into_bytes().into(),
            list: f.is_list(),
            presence: f.supports_presence(),
            oneof: f.containing_oneof().map(|o| {
                let mut all = f.parent_message().oneofs();
                all.position(|x| x.name() == o.name()).unwrap_or(63) as u32
            }),
            finite: false,
            zero: Val::Null,
            kind,
            map,
            desc: f,
        };
        planned.zero = planned.read_zero();
        Some(planned)
    }

    /// Message `m`'s bytes as its form reads them; `Unread` for bytes
    /// `scan` refuses, a value out of its form's range (prost-reflect's
    /// checks), an Any whose type the plan lacks (its type URL without a
    /// `/`, its type not in the pool or not read by this path).
    pub fn read<'a>(&self, m: usize, bytes: &'a [u8]) -> Read<Known<'a>> {
        use WellKnown as W;
        let fields = &self.messages[m].fields;
        let Some(known @ (W::Timestamp | W::Duration | W::Any)) = self.messages[m].known else {
            return Ok(Known::Fields(self.scan(m, bytes)?));
        };
        // Fields 1 and 2, the only ones (of these three), read as a map
        // entry's are; checked as prost-reflect checks them.
        let time = |s: i64, n: i32| TIMESTAMP_SECONDS.contains(&s) && (0..NANOS).contains(&n);
        let span = |s: i64, n: i32| s.unsigned_abs() <= SPAN_SECONDS && -NANOS < n && n < NANOS;
        Ok(match (known, fields_1_2(&fields[0], &fields[1], bytes)?) {
            (W::Timestamp, (Val::I64(s), Val::I32(n))) if time(s, n) => Known::Time(s, n as u32),
            (W::Duration, (Val::I64(seconds), Val::I32(nanos))) if span(seconds, nanos) => {
                Known::Duration(Duration { seconds, nanos })
            }
            (W::Any, (Val::Str(url), Val::Bytes(b))) => {
                let name = url.rsplit_once('/').ok_or(Unread)?.1;
                Known::Any(url, *self.index.get(name).ok_or(Unread)?, b)
            }
            _ => return Err(Unread),
        })
    }

    /// The fields of `rest`, a payload of message `message`: each as
    /// (index in its `fields`, value), sorted by field, wire order kept
    /// within one; unknown fields left out. `Unread` for bytes that are
    /// malformed or need a merge (see the module's comment).
    pub fn scan<'a>(&self, message: usize, mut rest: &'a [u8]) -> Read<Vec<(usize, Wire<'a>)>> {
        let m = &self.messages[message];
        let mut out = Vec::with_capacity(m.fields.len());
        while let Some(field) = m.next_field(&mut rest)? {
            out.push(field);
        }
        out.sort_by_key(|&(i, _)| i);
        let mut oneofs_seen: u64 = 0;
        for field in out.chunk_by(|a, b| a.0 == b.0) {
            let f = &m.fields[field[0].0];
            let merged = !f.list && field.len() > 1 && matches!(f.kind, FieldKind::Message(_));
            let oneof = f.oneof.map_or(0, |o| 1u64 << o.min(63));
            if merged || oneofs_seen & oneof != 0 {
                return Err(Unread);
            }
            oneofs_seen |= oneof;
        }
        Ok(out)
    }
}

impl MessagePlan {
    /// The next field of the message's bytes `rest` that the plan has (as
    /// index in `fields`, value; the others skipped), None at their end.
    #[inline(always)]
    pub fn next_field<'a>(&self, rest: &mut &'a [u8]) -> Read<Option<(usize, Wire<'a>)>> {
        while !rest.is_empty() {
            let (number, wire) = field(rest)?;
            if let Some(i) = self.index_of(number) {
                return Ok(Some((i, wire)));
            }
        }
        Ok(None)
    }

    fn index_of(&self, number: u32) -> Option<usize> {
        match self.by_number.get(number as usize) {
            Some(&i) if i != u16::MAX => Some(i as usize),
            Some(_) => None,
            None => self.fields.iter().position(|f| f.desc.number() == number),
        }
    }
}

impl FieldPlan {
    /// The value of one occurrence of a singular field.
    #[inline(always)]
    pub fn value<'a>(&self, w: Wire<'a>) -> Read<Val<'a>> {
        use Kind as K;
        let zigzag = |n: u64| ((n >> 1) as i64) ^ -((n & 1) as i64);
        let kind = match (&self.kind, w) {
            (FieldKind::Of(kind), _) => kind,
            (FieldKind::Message(m), Wire::Len(b)) => return Ok(Val::Message(*m, b)),
            (FieldKind::Null, Wire::Varint(0)) => return Ok(Val::Null),
            _ => return Err(Unread),
        };
        let finite = |x: f64| !self.finite || x.is_finite();
        Ok(match (kind, w) {
            (K::Bool, Wire::Varint(n)) => Val::Bool(n != 0),
            (K::Int32, Wire::Varint(n)) => Val::I32(n as i32),
            (K::Enum(_), Wire::Varint(n)) => Val::Enum(n as i32),
            (K::Sint32, Wire::Varint(n)) => Val::I32(zigzag(n as u32 as u64) as i32),
            (K::Int64, Wire::Varint(n)) => Val::I64(n as i64),
            (K::Sint64, Wire::Varint(n)) => Val::I64(zigzag(n)),
            (K::Uint32, Wire::Varint(n)) => Val::U32(n as u32),
            (K::Uint64, Wire::Varint(n)) => Val::U64(n),
            (K::Sfixed32, Wire::I32(n)) => Val::I32(n as i32),
            (K::Fixed32, Wire::I32(n)) => Val::U32(n),
            (K::Float, Wire::I32(n)) if finite(f32::from_bits(n).into()) => {
                Val::F32(f32::from_bits(n))
            }
            (K::Sfixed64, Wire::I64(n)) => Val::I64(n as i64),
            (K::Fixed64, Wire::I64(n)) => Val::U64(n),
            (K::Double, Wire::I64(n)) if finite(f64::from_bits(n)) => Val::F64(f64::from_bits(n)),
            // ASCII (most text) is checked a word at a time: two to three
            // times faster than `from_utf8` on short strings.
            // SAFETY: ASCII is UTF-8.
            (K::String, Wire::Len(b)) if b.is_ascii() => {
                Val::Str(unsafe { from_utf8_unchecked(b) })
            }
            (K::String, Wire::Len(b)) => Val::Str(std::str::from_utf8(b).map_err(|_| Unread)?),
            (K::Bytes, Wire::Len(b)) => Val::Bytes(b),
            _ => return Err(Unread),
        })
    }

    /// What a zero of the field's wire type reads as (its `zero`).
    fn read_zero(&self) -> Val<'static> {
        let wire = match self.packed_wire() {
            Some(0) => Wire::Varint(0),
            Some(5) => Wire::I32(0),
            Some(_) => Wire::I64(0),
            None => Wire::Len(&[]),
        };
        self.value(wire).expect("a zero reads")
    }

    /// The value of a singular field from its occurrences `wires`: the
    /// last (each must read), or its zero when none.
    #[inline(always)]
    pub fn last<'a>(&self, wires: &Wires<'a>) -> Read<Val<'a>> {
        wires.iter().try_fold(self.zero, |_, &(_, w)| self.value(w))
    }

    /// Each value of a field's occurrences `wires`, a packed run's one by
    /// one, into `out`.
    pub fn values<'a>(&self, wires: &Wires<'a>, out: &mut Vec<Val<'a>>) -> Read<()> {
        out.clear();
        for &(_, w) in wires {
            match (w, self.packed_wire()) {
                (Wire::Len(mut run), Some(each)) => {
                    while !run.is_empty() {
                        out.push(self.value(wire(each, &mut run)?)?);
                    }
                }
                _ => out.push(self.value(w)?),
            }
        }
        Ok(())
    }

    /// The wire type of a packed run's values (None: not packable).
    fn packed_wire(&self) -> Option<u8> {
        use Kind as K;
        match &self.kind {
            FieldKind::Message(_) | FieldKind::Of(K::String | K::Bytes | K::Message(_)) => None,
            FieldKind::Of(K::Sfixed32 | K::Fixed32 | K::Float) => Some(5),
            FieldKind::Of(K::Sfixed64 | K::Fixed64 | K::Double) => Some(1),
            _ => Some(0),
        }
    }
}

/// The occurrences of field `i` among `wires`, a message's fields as
/// `Plan::scan` gives them.
pub fn of<'w, 'a>(wires: &'w Wires<'a>, i: usize) -> &'w Wires<'a> {
    let start = wires.partition_point(|w| w.0 < i);
    &wires[start..wires.partition_point(|w| w.0 <= i)]
}

/// A map field's entries (key and value of each), in the order of their
/// keys' text (as a JSON object's sorted keys: the same for the same
/// bytes, whatever their wire order), a key or value an entry leaves out
/// as its zero; a key met twice is `Unread`.
pub fn map_entries<'a>(f: &FieldPlan, wires: &Wires<'a>) -> Read<Vec<Pair<'a>>> {
    let (key, value) = &**f.map.as_ref().ok_or(Unread)?;
    let entries = wires.iter().map(|&(_, w)| match w {
        Wire::Len(bytes) => fields_1_2(key, value, bytes),
        _ => Err(Unread),
    });
    let mut entries: Vec<Pair> = entries.collect::<Read<_>>()?;
    entries.sort_by_cached_key(|&(k, _)| key_text(k));
    if entries.windows(2).any(|two| two[0].0 == two[1].0) {
        return Err(Unread);
    }
    Ok(entries)
}

/// The values of fields 1 and 2 (`one`, `two`) of a message's bytes
/// `rest` (a map entry's key and value): each the last occurrence's (each
/// must read), or its zero when none; other fields skipped. An enum left
/// out is `Unread` (its zero is the enum's first value, not always 0).
fn fields_1_2<'a>(one: &FieldPlan, two: &FieldPlan, mut rest: &'a [u8]) -> Read<Pair<'a>> {
    let (mut first, mut second) = (None, None);
    while !rest.is_empty() {
        match field(&mut rest)? {
            (1, w) => first = Some(one.value(w)?),
            (2, w) => second = Some(two.value(w)?),
            _ => {}
        }
    }
    if second.is_none() && matches!(two.kind, FieldKind::Of(Kind::Enum(_))) {
        return Err(Unread);
    }
    Ok((first.unwrap_or(one.zero), second.unwrap_or(two.zero)))
}

/// A map key as JSON object keys show it.
pub fn key_text(k: Val<'_>) -> std::borrow::Cow<'_, str> {
    match k {
        Val::Str(s) => s.into(),
        Val::Bool(b) => b.to_string().into(),
        Val::I32(n) => n.to_string().into(),
        Val::I64(n) => n.to_string().into(),
        Val::U32(n) => n.to_string().into(),
        Val::U64(n) => n.to_string().into(),
        _ => "".into(),
    }
}

/// Nesting deeper than prost-reflect reads is `Unread`.
pub fn check_depth(depth: usize) -> Read<()> {
    (depth <= MAX_NESTING).then_some(()).ok_or(Unread)
}

/// The next field of `rest`: its number (1 to 2^29 - 1, else `Unread`)
/// and value.
#[inline(always)]
fn field<'a>(rest: &mut &'a [u8]) -> Read<(u32, Wire<'a>)> {
    let key = varint(rest)?;
    let wire = wire(key as u8 & 7, rest)?;
    let number = u32::try_from(key >> 3)
        .ok()
        .filter(|n| (1..=u32::MAX >> 3).contains(n));
    Ok((number.ok_or(Unread)?, wire))
}

/// The value after a key of wire type `t`; groups (3, 4) are `Unread`.
fn wire<'a>(t: u8, rest: &mut &'a [u8]) -> Read<Wire<'a>> {
    let take = |rest: &mut &'a [u8], n: usize| -> Read<&'a [u8]> {
        let (value, after) = rest.split_at_checked(n).ok_or(Unread)?;
        *rest = after;
        Ok(value)
    };
    Ok(match t {
        0 => Wire::Varint(varint(rest)?),
        1 => Wire::I64(u64::from_le_bytes(take(rest, 8)?.try_into().unwrap())),
        5 => Wire::I32(u32::from_le_bytes(take(rest, 4)?.try_into().unwrap())),
        2 => {
            let n = usize::try_from(varint(rest)?).map_err(|_| Unread)?;
            Wire::Len(take(rest, n)?)
        }
        _ => return Err(Unread),
    })
}

/// A base-128 varint of at most 10 bytes.
fn varint(rest: &mut &[u8]) -> Read<u64> {
    let mut n = 0u64;
    for (i, &b) in rest.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if i == 9 && b > 1 {
            break; // Beyond 64 bits.
        }
        if b < 0x80 {
            *rest = &rest[i + 1..];
            return Ok(n);
        }
    }
    Err(Unread)
}
