//! Retention: the oldest sealed segments are deleted while a limit
//! (count, bytes, age) is exceeded, each with the files salvaged from it.
//! A shipped log (`until_shipped`) keeps every segment its shipper has not
//! uploaded, unless the hard byte cap says otherwise.

use super::{Shared, State};
use std::path::Path;
use std::time::Duration;

/// The limits a tier of a log keeps within, oldest segments going first:
/// the one rule of local retention and of the bucket's (`archive`'s
/// prune), each with its own clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub max_segments: Option<usize>,
    pub max_bytes: Option<u64>,
    pub max_age: Option<Duration>,
}

impl Limits {
    /// Whether `count` segments of `bytes` in all, the oldest of age
    /// `oldest_ns` (on the clock `now` is read from), exceed a limit: the
    /// oldest is then to go.
    pub(crate) fn exceeded(&self, count: usize, bytes: u64, oldest_ns: i64, now: i64) -> bool {
        self.max_segments.is_some_and(|m| count > m)
            || self.max_bytes.is_some_and(|m| bytes > m)
            || self.max_age.is_some_and(|age| {
                oldest_ns.saturating_add(i64::try_from(age.as_nanos()).unwrap_or(i64::MAX)) < now
            })
    }

    /// Whether any limit is set.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) fn any(&self) -> bool {
        self.max_segments.is_some() || self.max_bytes.is_some() || self.max_age.is_some()
    }
}

impl Shared {
    /// Deletes the oldest sealed segments while any retention limit is
    /// exceeded. Without a current segment (closing) the newest sealed one
    /// stays whatever the limits say: the log's next writer numbers after
    /// it.
    pub(super) fn enforce_retention(&self, st: &mut State) -> usize {
        let r = &self.opts.retention;
        let now = self.ages.now();
        let mut uploaded = None;
        let mut deleted = 0;
        while let Some(oldest) = st.sealed.front() {
            // Being compressed: deleted once that is done.
            let compressing = st.compressing.as_ref() == Some(&oldest.path);
            if compressing || (st.current.is_none() && st.sealed.len() == 1) {
                break;
            }
            let total: u64 = st.sealed.iter().map(|s| s.entry.bytes).sum();
            let hard_over = r.hard_max_bytes.is_some_and(|m| total > m);
            let limits = Limits {
                max_segments: r.max_segments,
                max_bytes: r.max_bytes,
                max_age: r.max_age,
            };
            let over = || limits.exceeded(st.sealed.len(), total, oldest.sealed_ns, now);
            // A consumer (`Retention::wait_for_consumers`) holds it
            // (`consumer::holds`).
            let held = || {
                r.wait_for_consumers.is_some_and(|bound| {
                    let e = &oldest.entry;
                    let end = e.first_seq.saturating_add(e.record_count);
                    let age = now.saturating_sub(oldest.sealed_ns);
                    crate::log::consumer::holds(&self.dir, &self.name, bound, end, total, age)
                })
            };
            if !hard_over && (!over() || held()) {
                break;
            }
            let unshipped = r.until_shipped
                && !uploaded.get_or_insert_with(|| uploaded_segments(&self.dir, &self.name))(
                    oldest.entry.segment_no,
                );
            if unshipped && !hard_over {
                break;
            }
            // Kept listed if it cannot be removed; retention tries again on
            // the next roll.
            let Ok(was_there) = remove_segment(&oldest.path) else {
                break;
            };
            deleted += usize::from(was_there);
            let gone = st.sealed.pop_front().expect("non-empty");
            if unshipped {
                st.dropped_unshipped.0 += 1;
                st.dropped_unshipped.1 = Some(gone.path.clone());
            }
            // Nothing left to sync (and the list stays bounded).
            st.unsynced.retain(|(_, p)| *p != gone.path);
            // The files salvaged from it go with it (one that cannot be
            // removed now goes with the next).
            for f in crate::log::segments::salvaged_up_to(&gone.path) {
                let _ = std::fs::remove_file(f);
            }
        }
        deleted
    }
}

/// Whether a segment of log `name` has a verified copy in the bucket, as
/// its shipper's journal says, and so has each local file salvaged from it
/// or from an older one; none has if the journal is unreadable.
fn uploaded_segments(dir: &Path, name: &str) -> Box<dyn Fn(u64) -> bool> {
    #[cfg(feature = "s3")]
    {
        let journal = crate::log::ship_journal::Journal::of_log(dir, name);
        let salvaged: Vec<_> = crate::log::segments::list_files(dir, name)
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.order)
            .filter(|o| o.salvaged.is_some())
            .collect();
        Box::new(move |n| {
            journal.as_ref().is_some_and(|j| {
                j.is_uploaded(n)
                    && salvaged
                        .iter()
                        .filter(|o| o.segment_no <= n)
                        .all(|o| j.is_uploaded_at(*o))
            })
        })
    }
    #[cfg(not(feature = "s3"))]
    {
        let _ = (dir, name);
        Box::new(|_| false)
    }
}

/// Removes the sealed segment at `path`, or its compressed copy if it was
/// compressed by another (`binlog compress` on a live log's segment):
/// whether either was there.
fn remove_segment(path: &std::path::Path) -> crate::Result<bool> {
    use crate::sys::{remove_if_there, with_suffix};
    Ok(remove_if_there(path, "remove")? || remove_if_there(&with_suffix(path, ".zst"), "remove")?)
}
