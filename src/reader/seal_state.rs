//! The seal as a reader holds it: usable, only a bound of the records
//! (intact trailer and directory, another check failed), or usable with
//! checks put off until the source holds its bytes (a remote object's);
//! and the sparse index copied out of it. Which parts of a seal may be
//! believed is `crate::source::seal_trust`; this is what the reader made
//! of it, the same for every source.

use super::{Reader, Tail};
use crate::error::Result;
use crate::format::seal::SealDirectory;
use crate::source::seal_trust as trust;
use std::cell::OnceCell;

#[derive(Default)]
pub(super) struct SealState {
    /// The seal, if it is usable.
    pub(super) usable: Option<SealDirectory>,
    /// A seal whose trailer and directory are intact but that failed another
    /// check (`usable` is `None`): the segment is sealed all the same, its
    /// records end at the directory's `records_end` (no torn tail), and the
    /// directory is used for nothing else (see `sealed`).
    pub(super) bounding: Option<SealDirectory>,
    /// Whether `usable` is usable with some of its checks put off (a remote
    /// object's: see `trust::read_seals_when_held`); `settle_trust` makes
    /// them.
    pub(super) trust_pending: bool,
    /// What the checks put off decided, once made: by `seal` (which takes
    /// `&self`) or by `settle_trust`, whichever comes first.
    pub(super) trust_verdict: OnceCell<bool>,
    /// Whether the sparse index passed its checks (None = not checked yet).
    pub(super) sparse_usable: Option<bool>,
    /// The sparse index, copied out of the seal when first used (see
    /// `last_sparse_entry_where`); empty unless `sparse_usable` is
    /// `Some(true)`.
    pub(super) sparse_index: Vec<u8>,
}

impl Reader {
    /// Makes the checks of the seal put off at open, if any (see
    /// `open_compressed`): a seal that fails them is used from then on
    /// only as a bound of the records, as if it had failed them at open.
    pub(super) fn settle_trust(&mut self) {
        if !self.seals.trust_pending {
            return;
        }
        let usable = self.pending_seal_usable();
        self.seals.trust_pending = false;
        if !usable {
            self.seals.bounding = self.seals.usable.take();
        }
    }

    /// Whether the seal whose checks were put off passes them (made once:
    /// `trust_verdict`).
    pub(super) fn pending_seal_usable(&self) -> bool {
        *self.seals.trust_verdict.get_or_init(|| {
            let d = self
                .seals
                .usable
                .as_ref()
                .expect("a seal pending its checks");
            trust::usable(&*self.original(), self.data_start, self.start_seq, d)
        })
    }

    /// Every check of the seal put off at open: `settle_trust`, and the
    /// check of a compressed segment's `SEAL_BEGIN` frame (its error, if
    /// the frame disagrees).
    pub(super) fn settle_seal(&mut self) -> Result<()> {
        self.settle_trust();
        match self.source.frames() {
            #[cfg(feature = "compression")]
            Some(d) => d.segment.borrow_mut().check_seal_begin(),
            _ => Ok(()),
        }
    }

    /// Whether the segment is sealed: its seal is usable (`seal`), or its
    /// trailer and directory are intact (`seals.bounding`). Either way its
    /// records end where the seal says, it has no torn tail, and nothing
    /// may cut it.
    pub(crate) fn sealed(&self) -> bool {
        self.seals.usable.is_some() || self.seals.bounding.is_some()
    }

    /// How the records of a sealed segment end: `Sealed` if its seal is
    /// usable, `SealDamaged` at its `records_end` if it only bounds them.
    pub(super) fn sealed_tail(&self) -> Tail {
        match &self.seals.bounding {
            Some(d) if self.seals.usable.is_none() => Tail::SealDamaged {
                offset: d.records_end,
            },
            _ => Tail::Sealed,
        }
    }
}
