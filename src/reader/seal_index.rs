//! The parts of a usable seal that only a seek or a type filter reads (a
//! type's offset array, the sparse index), checked as those reads check
//! them, for verification: a part that fails loses no record (the reads
//! scan instead), but the seal is damaged.

use super::filter::{TypeFilter, ARRAYS_COPY_MAX};
use super::Reader;

impl Reader {
    /// The offset and a description of each part of the seal a read through
    /// it would not use: each type's offset array (checked as a type filter
    /// checks it), then the sparse index (as a seek checks it). Empty
    /// without a usable seal.
    pub fn unusable_seal_parts(&mut self) -> Vec<(u64, String)> {
        let Some(d) = self.seals.usable.clone() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for t in d.types.iter().filter(|t| t.count > 0) {
            if t.count.saturating_mul(8) > ARRAYS_COPY_MAX {
                continue;
            }
            let name: &str = &t.name;
            let f = TypeFilter::new(
                &[name],
                Some(&d),
                &*self.original(),
                self.data_start as u64,
                ARRAYS_COPY_MAX,
            );
            if f.cursors.is_none() {
                let what = format!(
                    "the offset array of type {name:?} fails its checks (a type filter scans instead)"
                );
                out.push((t.array_offset, what));
            }
        }
        if d.sparse_count > 0 && !self.sparse_index_usable() {
            let what = "the sparse index fails its checks (a seek scans instead)".to_string();
            out.push((d.sparse_offset, what));
        }
        out
    }
}
