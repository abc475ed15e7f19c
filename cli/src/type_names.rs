//! What the tool calls a type whose name is lost (its defining record is
//! in damaged bytes, and no seal names it): `unknown-type-<id>`, in every
//! command, where the library's reader says `Record::lost_type_name(id)`.
//! `repair --salvage` gives the records it copies this type name.

pub use binlog::codec::lost_type_name;
use binlog::Record;
use std::borrow::Cow;

/// The name the tool shows for the type of a record the library's reader
/// returned: its name, or, for a type whose name the reader lost,
/// `unknown-type-N` (as every tool calls it).
pub fn shown_type_name<'a>(r: &Record<'a>) -> Cow<'a, str> {
    match r.lost_type_id() {
        Some(id) => Cow::Owned(lost_type_name(id)),
        None => Cow::Borrowed(r.type_name),
    }
}

/// For a type filter given to the library's reader: the reader's name for
/// the type `unknown-type-N` (`Record::lost_type_name`), if `name` is one.
pub fn reader_type_name(name: &str) -> Option<String> {
    let n = name.strip_prefix("unknown-type-")?;
    let digits = n.bytes().all(|b| b.is_ascii_digit());
    let id: u32 = digits.then(|| n.parse().ok())??;
    Some(Record::lost_type_name(id))
}
