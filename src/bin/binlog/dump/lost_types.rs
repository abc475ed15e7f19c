//! Names for the types of a segment whose defining record is in damaged
//! bytes, as the library's reader gives them.

use binlog::reader::SealTypes;
use std::borrow::Cow;

/// Names for the types of a segment whose defining record is in damaged
/// bytes, as the library's reader gives them (`binlog::reader::SealTypes`):
/// from the type table of the segment's seal (a valid one, or its
/// directory alone when the rest of it is damaged) when the table agrees
/// with every type an intact record defines and puts the lost type's
/// first record in the damage; else none (`unknown-type-<id>`). A walk
/// over the records tells it each definition (`define`) and each damaged
/// region (`damage`) as it meets them, and asks (`decide`) at the first
/// record of a type not defined.
pub struct LostTypes {
    table: Option<SealTypes>,
    /// Whether the table was looked for (a valid seal's is given at once;
    /// otherwise it is looked for at the first damage).
    looked: bool,
    /// False once an intact definition disagrees with the table.
    usable: bool,
    /// The names intact records defined, by id.
    defined: Vec<Option<Box<str>>>,
    /// Ids whose lost name was decided.
    decided: Vec<bool>,
}

impl LostTypes {
    /// With the table of the segment's valid seal, if it has one.
    pub fn new(seal: Option<SealTypes>) -> LostTypes {
        LostTypes {
            looked: seal.is_some(),
            table: seal,
            usable: true,
            defined: Vec::new(),
            decided: Vec::new(),
        }
    }

    /// An intact record defines type `id` as `name`; `accepted` if the
    /// walk takes the definition (else it only counts against the table).
    pub fn define(&mut self, id: usize, name: &[u8], accepted: bool) {
        if let Some(t) = &self.table {
            if !t.agrees(id, name) {
                self.usable = false;
            }
        }
        if accepted {
            if self.defined.len() <= id {
                self.defined.resize(id + 1, None);
            }
            self.defined[id] = Some(String::from_utf8_lossy(name).into());
        }
    }

    /// Damaged bytes `[from, to)` of the segment `map`, whose records start
    /// at `data_start`.
    pub fn damage(&mut self, map: &[u8], data_start: u64, from: u64, to: u64) {
        if !self.looked {
            self.looked = true;
            self.table = SealTypes::find(map.len() as u64, data_start, |at, n| {
                let at = usize::try_from(at).ok()?;
                map.get(at..at.checked_add(n)?).map(Cow::Borrowed)
            });
            if let Some(t) = &self.table {
                self.usable = self
                    .defined
                    .iter()
                    .enumerate()
                    .all(|(id, n)| n.as_ref().is_none_or(|n| t.agrees(id, n.as_bytes())));
            }
        }
        if let Some(t) = &mut self.table {
            t.damaged(from, to);
        }
    }

    /// Whether a record of type `id` that does not define it needs a name
    /// decided (no intact record defined it, and none was decided).
    pub fn undecided(&self, id: usize) -> bool {
        self.defined.get(id).is_none_or(|n| n.is_none())
            && !self.decided.get(id).copied().unwrap_or(false)
    }

    /// The name of type `id`, lost (see `undecided`), if the seal gives it.
    pub fn decide(&mut self, id: usize) -> Option<String> {
        if self.decided.len() <= id {
            self.decided.resize(id + 1, false);
        }
        self.decided[id] = true;
        if !self.usable {
            return None;
        }
        self.table.as_ref()?.lost_name(id).map(str::to_string)
    }
}
