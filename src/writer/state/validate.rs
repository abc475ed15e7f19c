//! A batch is checked before any of its records is encoded, so that one
//! refused writes nothing and takes no sequence number: the one check of a
//! batch, for a segment's writer and a rolling log's alike.

use super::{Entry, State};
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame::{self, RecordHead};
use crate::format::{FRAME_HEADER_LEN, MAX_TYPE_NAME_LEN};
use crate::writer::types::{TypeRef, TypeTable};

/// How a record is measured against the maximum record size.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// As this segment will encode it (a segment's own writer).
    Exact,
    /// As the first of its type in a segment encodes it, with its type's
    /// name (`frame::max_frame_len`): a rolling log, which checks a batch
    /// whole before its first part, so that whether a record fits does not
    /// depend on where the log rolls.
    AsFirstOfType,
}

impl State {
    /// Checks that every entry of a batch can be encoded, without changing
    /// anything: a name too long, a record above the size limit measured
    /// as `measure` says (the type ids and definitions `encode_one` will
    /// give), sequence numbers or type ids running out.
    pub(crate) fn validate(&mut self, entries: &[Entry<'_>], measure: Measure) -> Result<()> {
        if u64::MAX - self.next_seq < entries.len() as u64 {
            let (n, from) = (entries.len(), self.next_seq);
            let why = format!(
                "sequence numbers exhausted: {n} records from {from}; no record of this call was written"
            );
            return Err(Error::file(ErrorKind::InvalidArgument, &self.path, why));
        }
        if self.all_fit_by_bound(entries) {
            return Ok(());
        }
        let known = self.types.len();
        // Types this batch defines, in order: their ids follow the known.
        let mut defined: Vec<&str> = Vec::new();
        let mut last_type: Option<(&str, u32)> = None;
        for (i, e) in entries.iter().enumerate() {
            let ty = batch_type_ref(&mut self.types, e.type_name, known, &mut defined, last_type);
            let refused = |err: Error| {
                err.with_detail(|d| Error::refused_entry(i, entries.len(), d))
                    .in_file(&self.path)
            };
            let ty = ty.map_err(refused)?;
            last_type = Some((e.type_name, ty.id));
            // The size, and how it was measured if not as encoded here.
            let (total, how) = match measure {
                Measure::AsFirstOfType => (
                    frame::max_frame_len(e.type_name, e.meta, payload_len(e.parts)),
                    " (measured as the first of its type in a segment, with its name)",
                ),
                Measure::Exact => {
                    let head = RecordHead {
                        type_id: ty.id,
                        define: ty.defines.then_some(e.type_name.as_bytes()),
                        meta: e.meta,
                        ..RecordHead::default()
                    };
                    (frame_len(&head, e.parts), "")
                }
            };
            if total > self.max_record_size {
                let err = self.too_large(e.type_name, total);
                return Err(refused(err.with_detail(|d| format!("{d}{how}"))));
            }
        }
        Ok(())
    }

    /// Whether every entry is below the size limit by a bound that needs
    /// no type lookup and no exact encoding (every record's frame as if it
    /// defined its type with the largest id), its type name is short enough
    /// and the batch cannot run out of type ids: then `validate` has nothing
    /// to find, whatever its `Measure`. The common case, in a few
    /// instructions an entry, where the exact check costs many more
    /// (docs/PERFORMANCE.md).
    #[inline]
    fn all_fit_by_bound(&self, entries: &[Entry<'_>]) -> bool {
        if self.types.len().saturating_add(entries.len()) > u32::MAX as usize {
            return false;
        }
        entries.iter().all(|e| {
            let payload = payload_len(e.parts);
            e.type_name.len() <= MAX_TYPE_NAME_LEN
                && frame::frame_len_bound(e.type_name, e.meta, payload) <= self.max_record_size
        })
    }

    #[cold]
    #[inline(never)]
    pub(super) fn too_large(&self, type_name: &str, total: u64) -> Error {
        let max = self.max_record_size;
        let why = format!(
            "record of type {type_name:?} encodes to {total} bytes, above the maximum record size {max}"
        );
        Error::file(ErrorKind::RecordTooLarge, &self.path, why)
    }
}

/// The length of the frame of a record with `head` and a payload gathered
/// from `parts`. Saturating: lengths that add up past 2^64 are above any
/// size limit, not a small record.
#[inline(always)]
pub(super) fn frame_len(head: &RecordHead<'_>, parts: &[&[u8]]) -> u64 {
    ((FRAME_HEADER_LEN as u64).saturating_add(head.encoded_len() as u64))
        .saturating_add(payload_len(parts))
}

/// The length of a payload gathered from `parts`. One part is the rule: no
/// (vectorised, long-prologue) sum loop.
#[inline(always)]
fn payload_len(parts: &[&[u8]]) -> u64 {
    match parts {
        [p] => p.len() as u64,
        parts => frame::total_len(parts),
    }
}

/// The type an entry named `name` gets in a batch being checked, without
/// defining it: the last entry's if it is the same string, a known type, or
/// one that an earlier entry of the batch defines (`defined`, in order:
/// their ids follow the `known` types), else a new one it defines itself.
fn batch_type_ref<'e>(
    types: &mut TypeTable,
    name: &'e str,
    known: usize,
    defined: &mut Vec<&'e str>,
    last_type: Option<(&str, u32)>,
) -> Result<TypeRef> {
    if let Some((last, id)) = last_type {
        if std::ptr::eq(last, name) {
            return Ok(TypeRef { id, defines: false });
        }
    }
    let found = types.lookup(name)?;
    if !found.defines {
        return Ok(found);
    }
    // New to the table: defined by an entry before in this batch, or here.
    let before = defined.iter().position(|d| *d == name);
    let at = before.unwrap_or_else(|| {
        defined.push(name);
        defined.len() - 1
    });
    let id = (known + at) as u32;
    let defines = before.is_none();
    Ok(TypeRef { id, defines })
}
