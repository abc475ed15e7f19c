//! The upload journal, `<log>.ship` beside the log's manifest: where each
//! segment (and file salvaged from one) not yet both shipped and removed
//! locally stands, so that a shipper killed at any moment resumes where it
//! was. Replaced atomically and durably on every change; it ends with a
//! CRC-32 of what precedes it. Its lines are docs/FORMAT.md section 18.3.
//!
//! A segment goes SEALED (on disk, not in the journal) -> UPLOADING (a PUT
//! may have reached the bucket) -> UPLOADED (read back by HEAD: same size
//! and hash) -> LOCAL_DELETED (its file removed), the leading
//! LOCAL_DELETED lines folded into `through`. The journal is a record, not
//! the truth: the bucket is. Without it (removed, or its CRC fails), the
//! startup scan rebuilds it from a listing of the bucket.

use super::lines::{self, Format};
use super::manifest::Position;
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::ReadOrder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a segment in the journal stands (see above). Non-exhaustive: a
/// later version may journal more states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum State {
    Uploading,
    Uploaded,
    LocalDeleted,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Uploading => "UPLOADING",
            State::Uploaded => "UPLOADED",
            State::LocalDeleted => "LOCAL_DELETED",
        }
    }

    fn parse(s: &str) -> Option<State> {
        [State::Uploading, State::Uploaded, State::LocalDeleted]
            .into_iter()
            .find(|st| st.name() == s)
    }
}

/// One segment's line, or one salvaged file's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub segment_no: u64,
    /// For a file salvaged from the segment: its offset and copy number
    /// (a `salvaged` line).
    pub salvaged: Option<(u64, u64)>,
    pub state: State,
    /// The object's name under `<prefix>/<log>/`.
    pub object: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Entry {
    /// The file's place in the log's read order: the line's key.
    pub fn order(&self) -> ReadOrder {
        ReadOrder::new(self.segment_no, self.salvaged)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Journal {
    pub log: String,
    /// `s3://bucket/prefix`: a journal of shipments elsewhere is not used.
    pub to: String,
    /// Every segment up to this one, and every file salvaged from one of
    /// them, is shipped and removed locally.
    pub through: Option<u64>,
    /// The log's position past the newest segment removed locally.
    pub next: Option<Position>,
    /// In read order (`Entry::order`): by segment number, a segment's
    /// line before those of the files salvaged from it.
    pub entries: Vec<Entry>,
    /// The multipart uploads created and maybe not finished: the file's
    /// place (a segment's, or a salvaged file's) -> upload id.
    pub multipart: BTreeMap<ReadOrder, String>,
}

const FORMAT: Format = Format {
    name: "ship journal",
    version: "binlog-ship 1",
    checked: true,
};

/// Where log `log` in `dir` keeps its journal.
pub fn journal_path(dir: &Path, log: &str) -> PathBuf {
    dir.join(format!("{log}.ship"))
}

impl Journal {
    pub fn new(log: &str, to: &str) -> Journal {
        Journal {
            log: log.to_string(),
            to: to.to_string(),
            ..Journal::default()
        }
    }

    /// Segment `segment_no`'s own line.
    pub fn entry(&self, segment_no: u64) -> Option<&Entry> {
        self.entry_of(ReadOrder::new(segment_no, None))
    }

    /// The line of the file at `order` (a segment, or a salvaged file).
    pub fn entry_of(&self, order: ReadOrder) -> Option<&Entry> {
        self.entries.iter().find(|e| e.order() == order)
    }

    /// Whether segment `segment_no` has a verified copy in the bucket
    /// (UPLOADED, LOCAL_DELETED, or folded into `through`).
    pub fn is_uploaded(&self, segment_no: u64) -> bool {
        self.is_uploaded_at(ReadOrder::new(segment_no, None))
    }

    /// Whether the file at `order` (a segment, or a salvaged file) has a
    /// verified copy in the bucket.
    pub fn is_uploaded_at(&self, order: ReadOrder) -> bool {
        self.through.is_some_and(|t| order.segment_no <= t)
            || self
                .entry_of(order)
                .is_some_and(|e| e.state != State::Uploading)
    }

    /// Sets the line of the file `e` is of, keeping the lines in order;
    /// an UPLOADED (or later) state ends its multipart upload's line.
    pub fn set(&mut self, e: Entry) {
        if e.state != State::Uploading {
            self.multipart.remove(&e.order());
        }
        match self.entries.binary_search_by_key(&e.order(), Entry::order) {
            Ok(i) => self.entries[i] = e,
            Err(i) => self.entries.insert(i, e),
        }
    }

    /// Drops the line of the file at `order`: not uploaded, as far as the
    /// journal knows (a copy found damaged in the bucket).
    pub fn forget(&mut self, order: ReadOrder) {
        self.entries.retain(|e| e.order() != order);
    }

    /// Records that the multipart upload `upload_id` of the file at
    /// `order` was created. An id that a journal line cannot hold (empty,
    /// or with blanks or control characters) is an error.
    pub fn set_multipart(&mut self, order: ReadOrder, upload_id: &str) -> Result<()> {
        let segment_no = order.segment_no;
        let unfit = |c: char| c.is_whitespace() || c.is_control();
        if upload_id.is_empty() || upload_id.contains(unfit) {
            let why = format!("segment {segment_no}: the server's multipart upload id {upload_id:?} has blanks or control characters");
            return Err(Error::new(ErrorKind::Remote, why));
        }
        self.multipart.insert(order, upload_id.to_string());
        Ok(())
    }

    /// Folds the leading LOCAL_DELETED lines into `through`, each
    /// segment's only with those of the files salvaged from it.
    pub fn fold(&mut self) {
        while let Some(first) = self.entries.first().map(|e| e.segment_no) {
            let of_first = self
                .entries
                .iter()
                .take_while(|e| e.segment_no == first)
                .count();
            let covered = self.through.is_some_and(|t| first <= t);
            // A segment `through` covers already: its lines still to fold
            // are files salvaged from it an earlier version left behind.
            let removed = self.entries[..of_first]
                .iter()
                .take_while(|e| e.state == State::LocalDeleted)
                .count();
            if covered && removed > 0 {
                self.entries.drain(..removed);
                continue;
            }
            if removed < of_first {
                // Not every file of the segment removed yet.
                break;
            }
            self.through = Some(self.through.map_or(first, |t| t.max(first)));
            self.entries.drain(..of_first);
        }
    }

    pub fn encode(&self) -> String {
        let mut s = format!("log {}\nto {}\n", self.log, self.to);
        if let Some(t) = self.through {
            s += &format!("through {t}\n");
        }
        if let Some(p) = self.next {
            s += &format!("next {} {}\n", p.segment_no, p.seq);
        }
        for e in &self.entries {
            let which = match e.salvaged {
                None => format!("seg {}", e.segment_no),
                Some((offset, copy)) => format!("salvaged {} {offset} {copy}", e.segment_no),
            };
            let (state, object, bytes, sha) = (e.state.name(), &e.object, e.bytes, &e.sha256);
            s += &format!("{which} {state} {object} {bytes} {sha}\n");
        }
        for (order, id) in &self.multipart {
            match order.salvaged {
                None => s += &format!("multipart {} {id}\n", order.segment_no),
                Some((o, c)) => s += &format!("multipart {} {o} {c} {id}\n", order.segment_no),
            }
        }
        FORMAT.render(&s)
    }

    pub fn decode(text: &str, path: &Path) -> Result<Journal> {
        let mut j = Journal::new("", "");
        for l in FORMAT.parse(text, path)? {
            let num = |i| l.num(i);
            // A salvaged file's offset and copy, at fields 1 and 2.
            let salvaged = |on: bool| on.then(|| Ok::<_, Error>((num(1)?, num(2)?))).transpose();
            let n = l.fields.len();
            match (l.key, n) {
                ("log", 1) => j.log = l.fields[0].to_string(),
                ("to", 1) => j.to = l.fields[0].to_string(),
                ("through", 1) => j.through = Some(num(0)?),
                ("next", 2) => j.next = Some(Position::from_line(&l)?),
                ("seg", 5) | ("salvaged", 7) => j.set(Entry {
                    segment_no: num(0)?,
                    salvaged: salvaged(n == 7)?,
                    state: State::parse(l.fields[n - 4]).ok_or_else(|| l.bad())?,
                    object: l.fields[n - 3].to_string(),
                    bytes: num(n - 2)?,
                    sha256: l.fields[n - 1].to_string(),
                }),
                ("multipart", 2 | 4) => {
                    let order = ReadOrder::new(num(0)?, salvaged(n == 4)?);
                    j.multipart.insert(order, l.fields[n - 1].to_string());
                }
                _ => return Err(l.bad()),
            }
        }
        Ok(j)
    }

    /// The journal at `path`; `None` if there is none or it is damaged
    /// (the startup scan then rebuilds it from the bucket).
    pub fn load(path: &Path) -> Result<Option<Journal>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Journal::decode(&text, path).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(None),
            Err(e) => Err(Error::io(path, "read ship journal", e)),
        }
    }

    /// Log `log`'s journal in `dir`, if it has one that reads.
    pub fn of_log(dir: &Path, log: &str) -> Option<Journal> {
        let journal = Journal::load(&journal_path(dir, log)).ok().flatten();
        journal.filter(|j| j.log == log)
    }

    /// Replaces the journal at `path` with this one, durably.
    pub fn store(&self, path: &Path) -> Result<()> {
        lines::replace(path, ".tmp", &self.encode(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(segment_no: u64, state: State) -> Entry {
        Entry {
            segment_no,
            salvaged: None,
            state,
            object: format!("{segment_no:020}-{:020}.binlog", segment_no * 10),
            bytes: 4096 + segment_no,
            sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn journal_round_trips_and_fails_its_checksum_when_changed() {
        let mut j = Journal::new("orders", "s3://bkt/p");
        j.set(entry(5, State::Uploading));
        j.set(entry(3, State::LocalDeleted));
        j.set(entry(4, State::Uploaded));
        j.next = Some(Position::new(4, 40));
        assert_eq!(
            j.entries.iter().map(|e| e.segment_no).collect::<Vec<_>>(),
            [3, 4, 5]
        );
        let text = j.encode();
        assert!(text.contains("\nnext 4 40\n"), "{text}");
        assert_eq!(Journal::decode(&text, Path::new("j")).unwrap(), j);
        let changed = text.replacen("UPLOADING", "UPLOADED ", 1);
        assert_eq!(
            Journal::decode(&changed, Path::new("j"))
                .unwrap_err()
                .kind(),
            ErrorKind::Corrupt
        );
        assert!(Journal::decode(&text[..text.len() - 4], Path::new("j")).is_err());
    }

    #[test]
    fn leading_local_deleted_lines_fold_into_through() {
        let mut j = Journal::new("orders", "s3://bkt/p");
        for (n, s) in [
            (1, State::LocalDeleted),
            (2, State::LocalDeleted),
            (3, State::Uploaded),
            (4, State::LocalDeleted),
        ] {
            j.set(entry(n, s));
        }
        j.fold();
        assert_eq!(j.through, Some(2));
        let uploaded: Vec<u64> = (0..6).filter(|&n| j.is_uploaded(n)).collect();
        assert_eq!(uploaded, [0, 1, 2, 3, 4]);
        assert_eq!(
            j.entries.iter().map(|e| e.segment_no).collect::<Vec<_>>(),
            [3, 4]
        );
        assert_eq!(Journal::decode(&j.encode(), Path::new("j")).unwrap(), j);
    }

    #[test]
    fn multipart_upload_ids_round_trip_and_end_with_uploaded() {
        let mut j = Journal::new("orders", "s3://bkt/p");
        j.set(entry(7, State::Uploading));
        let at = |segment_no| ReadOrder::new(segment_no, None);
        j.set_multipart(at(7), "2~abc.DEF_-=").unwrap();
        assert!(j.set_multipart(at(8), "a b").is_err());
        assert!(j.set_multipart(at(8), "").is_err());
        let text = j.encode();
        assert!(text.contains("\nmultipart 7 2~abc.DEF_-=\n"), "{text}");
        assert_eq!(Journal::decode(&text, Path::new("j")).unwrap(), j);
        j.set(entry(7, State::Uploaded));
        assert!(j.multipart.is_empty());
        assert!(!j.encode().contains("multipart"));
    }

    #[test]
    fn a_journal_written_before_multipart_lines_still_loads() {
        let body = format!(
            "binlog-ship 1\nlog orders\nto s3://bkt/p\nthrough 2\nseg 3 UPLOADING {} 4099 {}\n",
            entry(3, State::Uploading).object,
            "ab".repeat(32)
        );
        let old = format!(
            "{body}crc32 {:08x}\n",
            crate::format::crc32(body.as_bytes())
        );
        let j = Journal::decode(&old, Path::new("j")).unwrap();
        assert_eq!((j.through, j.entries.len()), (Some(2), 1));
        assert_eq!(j.entries[0], entry(3, State::Uploading));
        assert!(j.multipart.is_empty());
        assert_eq!(j.encode(), old);
    }

    fn salvaged(segment_no: u64, offset: u64, state: State) -> Entry {
        Entry {
            salvaged: Some((offset, 0)),
            object: format!(
                "{segment_no:020}-{:020}.salvaged-{offset:020}.{:020}.binlog",
                segment_no * 10 + 5,
                0
            ),
            ..entry(segment_no, state)
        }
    }

    #[test]
    fn a_salvaged_file_has_its_own_line_after_its_segment_and_round_trips() {
        let mut j = Journal::new("orders", "s3://bkt/p");
        j.set(salvaged(3, 4096, State::Uploading));
        j.set(entry(4, State::Uploading));
        j.set(entry(3, State::Uploaded));
        j.set_multipart(salvaged(3, 4096, State::Uploading).order(), "id-1")
            .unwrap();
        let text = j.encode();
        assert!(text.contains("\nseg 3 UPLOADED "), "{text}");
        assert!(text.contains("\nsalvaged 3 4096 0 UPLOADING "), "{text}");
        assert!(text.contains("\nmultipart 3 4096 0 id-1\n"), "{text}");
        assert!(text.find("seg 3").unwrap() < text.find("salvaged 3").unwrap());
        assert!(text.find("salvaged 3").unwrap() < text.find("seg 4").unwrap());
        assert_eq!(Journal::decode(&text, Path::new("j")).unwrap(), j);
        // Its segment's line is not it.
        assert_eq!(j.entry(3).unwrap().state, State::Uploaded);
        assert!(!j.multipart.contains_key(&entry(3, State::Uploaded).order()));
        j.set(salvaged(3, 4096, State::Uploaded));
        assert!(j.multipart.is_empty());
    }

    #[test]
    fn a_segment_folds_into_through_only_with_every_file_salvaged_from_it() {
        let mut j = Journal::new("orders", "s3://bkt/p");
        j.set(entry(1, State::LocalDeleted));
        j.set(entry(2, State::LocalDeleted));
        j.set(salvaged(2, 100, State::LocalDeleted));
        j.set(salvaged(2, 900, State::Uploaded));
        j.set(entry(3, State::LocalDeleted));
        j.fold();
        assert_eq!(j.through, Some(1));
        assert_eq!(j.entries.len(), 4, "{j:?}");
        j.set(salvaged(2, 900, State::LocalDeleted));
        j.fold();
        assert_eq!((j.through, j.entries.len()), (Some(3), 0));
        // A file salvaged from a segment `through` covers (left by an
        // earlier version) folds away once removed.
        j.set(salvaged(2, 1200, State::Uploaded));
        j.set(entry(4, State::LocalDeleted));
        j.fold();
        assert_eq!((j.through, j.entries.len()), (Some(3), 2));
        j.set(salvaged(2, 1200, State::LocalDeleted));
        j.fold();
        assert_eq!((j.through, j.entries.len()), (Some(4), 0));
    }
}
