//! Type names interned per segment: ids are given in order of first use; the
//! first record of a type carries its name, later ones only the id.

use crate::error::{Error, Result};
use crate::format::MAX_TYPE_NAME_LEN;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (as in rustc): type names are short and trusted, so a fast
/// non-cryptographic hash is the right trade.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Default)]
pub struct TypeTable {
    ids: HashMap<Box<[u8]>, u32, BuildHasherDefault<FxHasher>>,
    names: Vec<Box<str>>,
    /// The last type looked up: most writers write runs of one type.
    last: Option<(Box<[u8]>, u32)>,
}

/// The id of a type for one record, and whether this record defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeRef {
    pub id: u32,
    pub defines: bool,
}

impl TypeTable {
    /// The id of `name`, or the id it will get if this record defines it.
    /// Nothing changes until `define` is called for a new name.
    #[inline(always)]
    pub fn lookup(&mut self, name: &str) -> Result<TypeRef> {
        if let Some((last, id)) = &self.last {
            // Inline, byte by byte: type names are short, and the slices'
            // `==` calls memcmp, which costs more than the whole loop
            // (docs/PERFORMANCE.md).
            let name = name.as_bytes();
            if last.len() == name.len() && last.iter().zip(name).all(|(a, b)| a == b) {
                return Ok(TypeRef {
                    id: *id,
                    defines: false,
                });
            }
        }
        self.lookup_table(name)
    }

    #[inline(never)]
    fn lookup_table(&mut self, name: &str) -> Result<TypeRef> {
        if let Some(&id) = self.ids.get(name.as_bytes()) {
            self.last = Some((name.as_bytes().into(), id));
            return Ok(TypeRef { id, defines: false });
        }
        if name.len() > MAX_TYPE_NAME_LEN {
            let len = name.len();
            let why = format!("type name of {len} bytes exceeds {MAX_TYPE_NAME_LEN}");
            return Err(Error::invalid(why));
        }
        let id = u32::try_from(self.names.len()).map_err(|_| Error::invalid("too many types"))?;
        Ok(TypeRef { id, defines: true })
    }

    /// Records `name` as the next id.
    pub fn define(&mut self, name: &str) {
        self.ids
            .insert(name.as_bytes().into(), self.names.len() as u32);
        self.names.push(name.into());
    }

    /// Forgets every type defined after the first `len` (rollback of a failed
    /// write that defined them).
    pub fn truncate(&mut self, len: usize) {
        while self.names.len() > len {
            let name = self.names.pop().expect("non-empty");
            self.ids.remove(name.as_bytes());
        }
        self.last.take_if(|(_, id)| *id as usize >= len);
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_define_truncate() {
        let mut t = TypeTable::default();
        let r = |id, defines| TypeRef { id, defines };
        assert_eq!(t.lookup("a").unwrap(), r(0, true));
        assert!(
            t.lookup("a").unwrap().defines,
            "lookup alone defines nothing"
        );
        t.define("a");
        assert_eq!(t.lookup("a").unwrap(), r(0, false));
        assert_eq!(t.lookup("b").unwrap(), r(1, true));
        t.define("b");
        t.truncate(1);
        assert_eq!(t.lookup("b").unwrap(), r(1, true));
        assert_eq!(t.lookup("a").unwrap().id, 0);
        assert!(t.lookup(&"x".repeat(MAX_TYPE_NAME_LEN + 1)).is_err());
    }
}
