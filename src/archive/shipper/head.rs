//! The log's signed head (`<log>.head`, written by a signed log's writer)
//! put in the bucket beside its segments, as `head-<segment>-<end>`
//! (locked as they are): a copy the writer's host cannot take back, which
//! `binlog verify --trust` of the bucket checks the log against.
//!
//! A head goes up only after every segment before the one it names is in
//! the bucket (it is read before the pass lists the local segments, so
//! those are all sealed, and this pass ships them): a head in the bucket
//! never names a segment that is missing for any other reason than being
//! cut off. The segment it names may not be there yet (the live one): a
//! head put once it is (sealed and uploaded) is named `...-shipped`, and
//! put again so once it is, so that its absence is found too.

use super::local::{LocalLog, SealedSegment};
use super::Shipper;
use crate::error::Result;
use crate::sign::SignedHead;

impl Shipper {
    /// The log's signed head as this pass starts (none for a log that is
    /// not signed), with its bytes.
    pub(super) fn read_head(&self) -> Result<Option<(SignedHead, Vec<u8>)>> {
        let path = self.dir.join(format!("{}.head", self.log));
        let Ok(bytes) = std::fs::read(&path) else {
            return Ok(None);
        };
        Ok(Some((SignedHead::from_bytes(&bytes, &path)?, bytes)))
    }

    /// Puts `head` (read before the pass) in the bucket if every segment
    /// before the one it names is there now, and it is not there yet
    /// (named `-shipped` if the one it names is there too).
    /// `local` is this pass's scan.
    pub(super) fn ship_head(
        &mut self,
        head: Option<(SignedHead, Vec<u8>)>,
        local: &LocalLog,
    ) -> Result<()> {
        let Some((head, bytes)) = head else {
            return Ok(());
        };
        let no = head.segment_no;
        let uploaded = |s: &SealedSegment| self.journal.is_uploaded_at(s.order());
        let blocked = local.blocked_by.iter().any(|b| b.segment_no < no);
        let all_shipped = !blocked
            && (local.sealed.iter().filter(|s| s.segment_no < no))
                .all(|s| uploaded(s) || self.pruned(s.segment_no));
        let own = (local.sealed.iter()).any(|s| s.segment_no == no && uploaded(s));
        let prefix = &self.remote.location().prefix;
        let key = super::object_name::head_key(prefix, &self.log, no, head.end, own);
        if !all_shipped || self.shipped_head.as_ref() == Some(&key) {
            return Ok(());
        }
        // As `put_create_plain`, locked as segment objects are.
        let headers = self.remote.object_creation_headers(None);
        self.remote.put_create_small(&key, bytes, headers)?;
        self.shipped_head = Some(key);
        Ok(())
    }
}
