//! Protobuf payloads read straight from the wire by a plan made once per
//! message descriptor: no `DynamicMessage` per payload. The fast path of
//! `--decode` and `binlog export`. It reads only what it can read exactly
//! as prost-reflect does; for anything else (a malformed payload, a
//! singular message field twice, which prost merges, two members of one
//! oneof, a repeated map key) it gives `Unread` and the caller decodes
//! the payload with prost-reflect, which also says why one does not
//! decode.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

/// prost-reflect's limit of nested messages.
const MAX_NESTING: usize = 100;

/// The payload is not read by this path (see the module's comment).
#[derive(Debug, PartialEq)]
pub struct Unread;

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
}

impl Val<'_> {
    /// Whether the value is its kind's zero (proto3 leaves such fields
    /// out; a message never is).
    pub fn is_zero(&self) -> bool {
        match *self {
            Val::Bool(b) => !b,
            Val::I32(n) | Val::Enum(n) => n == 0,
            Val::I64(n) => n == 0,
            Val::U32(n) => n == 0,
            Val::U64(n) => n == 0,
            // -0.0 too, as prost-reflect compares values.
            Val::F32(x) => x == 0.0,
            Val::F64(x) => x == 0.0,
            Val::Str(s) => s.is_empty(),
            Val::Bytes(b) => b.is_empty(),
            Val::Message(..) => false,
        }
    }
}

/// What a field holds: prost-reflect's kind (a map's entries, read
/// through `FieldPlan::map`, as bytes), a message as its index into
/// `Plan::message`.
#[derive(Clone, Debug)]
pub enum FieldKind {
    Of(Kind),
    Message(usize),
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
    oneof: Option<u32>,
}

/// One message's fields, in field-number order (the JSON mapping's and
/// prost-reflect's).
#[derive(Debug, Default)]
pub struct MessagePlan {
    pub fields: Vec<FieldPlan>,
    /// Field number to index in `fields`, for numbers below its length.
    by_number: Vec<u16>,
}

/// The plan of a message and of every message it reaches.
#[derive(Debug, Default)]
pub struct Plan {
    messages: Vec<MessagePlan>,
    names: Vec<String>,
}

impl Plan {
    /// The root message's index.
    pub const ROOT: usize = 0;

    /// The plan of `m`; None when it reaches what this path does not read:
    /// well-known types (their JSON mapping is special), groups,
    /// extensions.
    pub fn new(m: &MessageDescriptor) -> Option<Plan> {
        let mut plan = Plan::default();
        plan.add(m)?;
        Some(plan)
    }

    pub fn message(&self, index: usize) -> &MessagePlan {
        &self.messages[index]
    }

    /// Adds message `m` (once) and what it reaches: its index.
    fn add(&mut self, m: &MessageDescriptor) -> Option<usize> {
        if let Some(i) = self.names.iter().position(|n| n == m.full_name()) {
            return Some(i);
        }
        let special = m.full_name().starts_with("google.protobuf.");
        if special || m.extensions().len() > 0 {
            return None;
        }
        let index = self.messages.len();
        self.names.push(m.full_name().to_string());
        self.messages.push(MessagePlan::default());
        let fields: Vec<FieldPlan> = m.fields().map(|f| self.field(f)).collect::<Option<_>>()?;
        let top = fields.iter().map(|f| f.desc.number()).max().unwrap_or(0);
        let mut by_number = vec![u16::MAX; (top as usize + 1).min(1024)];
        for (i, f) in fields.iter().enumerate() {
            if let Some(slot) = by_number.get_mut(f.desc.number() as usize) {
                *slot = i as u16;
            }
        }
        self.messages[index] = MessagePlan { fields, by_number };
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
            // google.protobuf.NullValue is shown as null.
            Kind::Enum(e) if e.full_name().starts_with("google.protobuf.") => return None,
            // A map's entries are read through `map`.
            Kind::Message(_) if map.is_some() => FieldKind::Of(Kind::Bytes),
            Kind::Message(m) => FieldKind::Message(self.add(&m)?),
            kind => FieldKind::Of(kind),
        };
        let quoted = serde_json::to_string(f.json_name()).expect("a string is JSON");
        Some(FieldPlan {
            json_key: format!("{quoted}:").into_bytes().into(),
            list: f.is_list(),
            presence: f.supports_presence(),
            oneof: f.containing_oneof().map(|o| {
                let mut all = f.parent_message().oneofs();
                all.position(|x| x.name() == o.name()).unwrap_or(63) as u32
            }),
            kind,
            map,
            desc: f,
        })
    }

    /// The fields of `bytes`, a payload of message `message`: each as
    /// (index in its `fields`, value), sorted by field, wire order kept
    /// within one; unknown fields left out. `Unread` for bytes that are
    /// malformed or need a merge (see the module's comment).
    pub fn scan<'a>(
        &self,
        message: usize,
        bytes: &'a [u8],
        out: &mut Vec<(usize, Wire<'a>)>,
    ) -> Result<(), Unread> {
        let m = &self.messages[message];
        out.clear();
        let mut rest = bytes;
        while !rest.is_empty() {
            let key = varint(&mut rest)?;
            let (number, wire) = (key >> 3, wire(key as u8 & 7, &mut rest)?);
            if number == 0 || number > u64::from(u32::MAX >> 3) {
                return Err(Unread);
            }
            if let Some(i) = m.index_of(number as u32) {
                out.push((i, wire));
            }
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
        Ok(())
    }
}

impl MessagePlan {
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
    pub fn value<'a>(&self, w: Wire<'a>) -> Result<Val<'a>, Unread> {
        use Kind as K;
        let zigzag = |n: u64| ((n >> 1) as i64) ^ -((n & 1) as i64);
        let kind = match (&self.kind, w) {
            (FieldKind::Of(kind), _) => kind,
            (FieldKind::Message(m), Wire::Len(b)) => return Ok(Val::Message(*m, b)),
            _ => return Err(Unread),
        };
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
            (K::Float, Wire::I32(n)) => Val::F32(f32::from_bits(n)),
            (K::Sfixed64, Wire::I64(n)) => Val::I64(n as i64),
            (K::Fixed64, Wire::I64(n)) => Val::U64(n),
            (K::Double, Wire::I64(n)) => Val::F64(f64::from_bits(n)),
            (K::String, Wire::Len(b)) => Val::Str(std::str::from_utf8(b).map_err(|_| Unread)?),
            (K::Bytes, Wire::Len(b)) => Val::Bytes(b),
            _ => return Err(Unread),
        })
    }

    /// The value of a field the wire leaves out (a message's is empty).
    pub fn zero(&self) -> Val<'static> {
        use Kind as K;
        let kind = match &self.kind {
            FieldKind::Of(kind) => kind,
            FieldKind::Message(m) => return Val::Message(*m, &[]),
        };
        match kind {
            K::Bool => Val::Bool(false),
            K::Int32 | K::Sint32 | K::Sfixed32 => Val::I32(0),
            K::Int64 | K::Sint64 | K::Sfixed64 => Val::I64(0),
            K::Uint32 | K::Fixed32 => Val::U32(0),
            K::Uint64 | K::Fixed64 => Val::U64(0),
            K::Float => Val::F32(0.0),
            K::Double => Val::F64(0.0),
            K::String => Val::Str(""),
            K::Bytes | K::Message(_) => Val::Bytes(&[]),
            K::Enum(_) => Val::Enum(0),
        }
    }

    /// Each value of a field's occurrences `wires`, a packed run's one by
    /// one, into `out`.
    pub fn values<'a>(
        &self,
        wires: &[(usize, Wire<'a>)],
        out: &mut Vec<Val<'a>>,
    ) -> Result<(), Unread> {
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

/// A map field's entries (key and value of each), in the order of their
/// keys' text (as a JSON object's sorted keys: the same for the same
/// bytes, whatever their wire order), a key or value an entry leaves out
/// as its zero; a key met twice is `Unread`.
pub fn map_entries<'a>(
    f: &FieldPlan,
    wires: &[(usize, Wire<'a>)],
) -> Result<Vec<(Val<'a>, Val<'a>)>, Unread> {
    let (key, value) = &**f.map.as_ref().ok_or(Unread)?;
    let mut entries: Vec<(Val, Val)> = Vec::with_capacity(wires.len());
    for &(_, w) in wires {
        let Wire::Len(mut rest) = w else {
            return Err(Unread);
        };
        let (mut k, mut v) = (None, None);
        while !rest.is_empty() {
            let tag = varint(&mut rest)?;
            let w = wire(tag as u8 & 7, &mut rest)?;
            match tag >> 3 {
                1 => k = Some(key.value(w)?),
                2 => v = Some(value.value(w)?),
                0 => return Err(Unread),
                n if n > u64::from(u32::MAX >> 3) => return Err(Unread),
                _ => {}
            }
        }
        // A missing enum value is the enum's first value, not always 0.
        if v.is_none() && matches!(value.kind, FieldKind::Of(Kind::Enum(_))) {
            return Err(Unread);
        }
        entries.push((k.unwrap_or(key.zero()), v.unwrap_or(value.zero())));
    }
    entries.sort_by_cached_key(|&(k, _)| key_text(k));
    if entries.windows(2).any(|two| two[0].0 == two[1].0) {
        return Err(Unread);
    }
    Ok(entries)
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
pub fn check_depth(depth: usize) -> Result<(), Unread> {
    (depth <= MAX_NESTING).then_some(()).ok_or(Unread)
}

/// The value after a key of wire type `t`; groups (3, 4) are `Unread`.
fn wire<'a>(t: u8, rest: &mut &'a [u8]) -> Result<Wire<'a>, Unread> {
    let take = |rest: &mut &'a [u8], n: usize| -> Result<&'a [u8], Unread> {
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
fn varint(rest: &mut &[u8]) -> Result<u64, Unread> {
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
