//! How a shipped object ends (docs/FORMAT.md 18.2): an object is a sealed
//! segment shipped, never one being written, so one that ends without its
//! seal lost its end in the bucket: that is damage, never a torn tail.

use super::{Reader, Tail};
use crate::error::{Error, ErrorKind, Result};

/// What is known of a shipped object's records.
#[derive(Clone, Copy, Debug)]
pub(super) struct ObjectEnd {
    /// Where its records end, by its metadata (`first_seq + records`).
    records_end: Option<u64>,
    /// Whether its size is not the one its metadata says.
    resized: bool,
    /// Where it was found cut short, once read to its end.
    cut_at: Option<u64>,
}

/// Why an object that ends unsealed is damaged.
const CUT_SHORT: &str = "the object ends there without its seal: it is cut short, and the \
                         records after that are lost";

impl Reader {
    /// Reads this segment as a shipped object whose records end, its
    /// metadata says, before `records_end` (when it has metadata), and
    /// whose size is not the one its metadata says if `resized`.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) fn read_as_object(&mut self, records_end: Option<u64>, resized: bool) {
        self.object = Some(ObjectEnd {
            records_end,
            resized,
            cut_at: None,
        });
    }

    /// Where the object this reader reads was found cut short (the start
    /// of the damaged region that runs to its end), once read to its end
    /// skipping damage; `None` for a segment read as a file, or an object
    /// that ends sealed.
    pub fn cut_short_at(&self) -> Option<u64> {
        self.object.and_then(|o| o.cut_at)
    }

    /// At the end of an object's records: if it ends unsealed or torn, or
    /// its size is not its metadata's, it was cut short where its records
    /// end. Skipping damage, the bytes from there and the records its
    /// metadata says follow are a damaged region, ending with a damaged
    /// seal; else a `Corrupt` error names the object and offset.
    pub(super) fn check_object_end(&mut self) -> Result<()> {
        let Some(ObjectEnd {
            records_end,
            resized,
            cut_at: None,
        }) = self.object
        else {
            return Ok(());
        };
        let at = match self.tail {
            Tail::Torn { offset, .. } => offset,
            Tail::Unsealed => self.file_len(),
            Tail::SealDamaged { offset } if resized => offset,
            _ => return Ok(()),
        };
        if !self.damage.skip {
            return Err(Error::at(ErrorKind::Corrupt, &self.path, at, CUT_SHORT));
        }
        let to_seq = records_end.unwrap_or(0).max(self.next_seq);
        let end = self.file_len() as usize;
        self.log_damage(at as usize, end, to_seq, Some(CUT_SHORT));
        self.object = Some(ObjectEnd {
            records_end,
            resized,
            cut_at: Some(at),
        });
        self.next_seq = to_seq;
        self.tail = Tail::SealDamaged { offset: at };
        Ok(())
    }
}
