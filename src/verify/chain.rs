//! A signed log's chain verified (feature `sign`; docs/FORMAT.md section
//! 8.6): each seal's digest against the bytes it covers, its signature
//! against a trusted key, and each segment's place in its log's chain.
//! A segment's place needs the links of the segments after it (its
//! predecessor may come after it), so a trusted verify of a log reads
//! every seal's chain block before its first report.

use super::{Finding, FindingKind, SegmentReport};
use crate::format::chain::HASH_LEN;
use crate::format::seal::SealDirectory;
use crate::reader::Reader;
use crate::sign::{self, head::OwnHead, EpochCert, PublicKey, SignedHead};
use std::path::PathBuf;

/// A segment's link, the link its seal names as its predecessor, and its
/// number (by its file's name).
pub(super) struct Link {
    no: u64,
    link: [u8; HASH_LEN],
    prev: [u8; HASH_LEN],
}

/// A file of a log: its segment number (by its name) and its seal or link
/// if it has one; `None` for a salvaged file (no link of the chain).
pub(super) type Numbered<T> = Option<(u64, Option<T>)>;

/// What is wrong with a segment's place in its log's chain: a finding's
/// kind and words.
type Place = (FindingKind, String);

/// A log's own signed head in the file at `path` (`<log>.head`), if it
/// holds one (else none: it could as well be deleted).
pub(super) fn own_head(path: PathBuf) -> OwnHead {
    (
        SignedHead::from_file(&path).ok().map(|h| (h, path, false)),
        None,
    )
}

/// The trusted key and, for a log, each segment's place in its chain.
#[derive(Default)]
pub(super) struct Trust {
    pub(super) key: PublicKey,
    /// Per file of a log, what is wrong with its place (read
    /// before the first report); `None` until then, and for files on
    /// their own.
    pub(super) places: Option<Vec<Option<Place>>>,
    /// A signed head of the log and its file (or object's URL): one kept
    /// elsewhere (`with_head`), else the log's own (`<log>.head`, or in a
    /// bucket its shipper's newest); and in a bucket, the first segment a
    /// head may name while the bucket does not hold it (the live one when
    /// the head was put; `None`: a head's segment is always in the log).
    pub(super) head: OwnHead,
    /// Each file's segment number (by its name) and whether it has a
    /// link (read by `read_log`; a salvaged file has no place).
    pub(super) files: Vec<Numbered<Link>>,
}

impl Trust {
    /// Reads the chain blocks of a log's files (`seal` gives file `i`'s
    /// segment number and seal, `None` for a salvaged file), once.
    pub(super) fn read_log(&mut self, n: usize, seal: impl Fn(usize) -> Numbered<SealDirectory>) {
        if self.places.is_none() {
            self.files = (0..n)
                .map(|i| {
                    let (no, d) = seal(i)?;
                    let link = d.as_ref().and_then(|d| {
                        let block = d.chain.as_ref()?;
                        let (link, prev) = (sign::link(block, d), block.prev);
                        Some(Link { no, link, prev })
                    });
                    Some((no, link))
                })
                .collect();
            self.places = Some(places(&self.files));
        }
    }

    /// Adds to `rep`, file `i` (of a log, if `read_log` read it) what its
    /// seal says against the trusted key and its place in the chain.
    pub(super) fn check(&self, rep: &mut SegmentReport, i: usize) {
        // Unsealed, or its seal unusable: its own finding says so (a
        // manifest's report has no seal either).
        let Some(seal) = &rep.seal else {
            return;
        };
        let finding = match &seal.chain {
            None if rep.header.as_ref().is_some_and(|h| h.signed) => Some(unsigned(
                rep,
                "its header says its writer signs it, its seal holds no chain block \
                 (resealed without the key, or the block removed)",
            )),
            None => Some(unsigned(rep, "its seal holds no chain block")),
            Some(_) => self.signature(rep, seal),
        };
        let place = self.places.as_ref().and_then(|p| p[i].clone());
        let place = place.map(|(kind, what)| at_seal(rep, kind, what));
        for f in finding.into_iter().chain(place) {
            rep.push(f);
        }
    }

    /// After the log's last file `rep`: what its signed head says is
    /// missing or changed, if anything (the head's signature first).
    /// `segment` opens the log's segment of a number. The head pins the
    /// chain below it: the segment before its own must be the one its
    /// `prev` names. Its own segment must be in the log, but in a bucket
    /// when it is the live one the head was put beside (`live_from`).
    pub(super) fn check_head(
        &self,
        rep: &mut SegmentReport,
        segment: impl FnOnce(usize) -> Option<Reader>,
    ) {
        let (Some((head, path, kept)), live_from) = &self.head else {
            return;
        };
        use FindingKind as K;
        let vouched = sign::vouches(&self.key, &head.key.0, head.epoch.as_ref());
        let no = head.segment_no;
        let before = numbered(&self.files, no.wrapping_sub(1)).and_then(|(_, b)| b);
        let pinned = head.prev == [0; HASH_LEN] || before.is_some_and(|b| b.link == head.prev);
        let unpinned = || {
            let what = format!(
                "names as its segment {no}'s predecessor another link than segment {}'s: the \
                 log was rewritten below it since",
                no.wrapping_sub(1)
            );
            (!pinned && before.is_some()).then_some((K::NotInChain, what))
        };
        let found = match (vouched, head.signature_holds()) {
            (false, true) => Some((K::OtherKey, "is signed by another key".into())),
            (_, false) => Some((K::BadSignature, "fails its signature check".into())),
            (true, true) => match numbered(&self.files, no).and_then(|(j, _)| segment(j)) {
                None if pinned && live_from.is_some_and(|n| no >= n) => None,
                // `<log>.head` is written before the records it covers are
                // synced: a crash may lose those of an unsealed segment (a
                // copy kept elsewhere tells).
                Some(r) if !kept && r.seal().is_none() => unpinned(),
                found => head_finding(head, found).or_else(unpinned),
            },
        };
        if let Some((kind, what)) = found {
            let m = format!("{}: the signed head {what}", path.display());
            rep.push(Finding::new(kind, path, None, m));
        }
    }

    /// What is wrong with the signature of the chain block of `dir`, the
    /// seal of `rep`, if anything.
    fn signature(&self, rep: &SegmentReport, dir: &SealDirectory) -> Option<Finding> {
        let block = dir.chain.as_ref()?;
        if !block.is_signed() {
            return Some(unsigned(rep, "its chain block holds no signature"));
        }
        let signer = PublicKey(block.key);
        let valid = signer.signed_seal(&sign::link(block, dir), &block.signature);
        let epoch = block.epoch.as_ref();
        let (kind, what) = match (sign::vouches(&self.key, &block.key, epoch), valid) {
            (true, true) => return out_of_epoch(rep, epoch?, dir),
            (false, true) => {
                let key = crate::format::hex(&block.key);
                let what = format!("signed by another key ({key}), not the trusted one");
                (FindingKind::OtherKey, what)
            }
            (_, false) => {
                let what = "its seal's signature does not verify (changed after it was signed)";
                (FindingKind::BadSignature, what.to_string())
            }
        };
        Some(at_seal(rep, kind, what))
    }
}

/// A seal signed by an epoch key (certified for the epoch `epoch` starts)
/// whose records are older than that epoch (beyond the clocks' slack): a
/// later epoch's key signed them, so whoever held it could have.
fn out_of_epoch(rep: &SegmentReport, epoch: &EpochCert, dir: &SealDirectory) -> Option<Finding> {
    let start = epoch.start_ns;
    if dir.record_count == 0 || dir.min_ts >= start.saturating_sub(sign::EPOCH_SLACK_NS) {
        return None;
    }
    let what = format!(
        "signed by the key of the epoch from {start} ns, its records from {} ns are older: \
         not proved by forward security (resealed with a later key)",
        dir.min_ts
    );
    Some(at_seal(rep, FindingKind::OutOfEpoch, what))
}

/// What `head` finds wrong with `segment`, its log's segment of the
/// number it names: gone or shorter than it covers (`CutOff`), or the
/// bytes it covers changed (`RecordsChanged`).
fn head_finding(head: &SignedHead, segment: Option<Reader>) -> Option<Place> {
    let (no, end, seq) = (head.segment_no, head.end, head.next_seq);
    let what = match segment {
        None => format!(
            "covers segment {no} of log {} (records before {seq}), which the log does not \
             hold: the newest segments were cut off",
            head.log
        ),
        Some(r) if r.file_len() < end => format!(
            "covers {end} bytes of {} (records before {seq}); it holds {}: cut short",
            r.path().display(),
            r.file_len()
        ),
        Some(r) => match sign::digest_of_source(r.original(), end) {
            Some(digest) if digest == head.digest => return None,
            _ => {
                let m = format!(
                    "covers the bytes before offset {end} of {} (records before {seq}): \
                     they changed since",
                    r.path().display()
                );
                return Some((FindingKind::RecordsChanged, m));
            }
        },
    };
    Some((FindingKind::CutOff, what))
}

/// The digest check every verify makes of a signed seal: the bytes up to
/// its records' end, read through the reader's source, against it.
pub(super) fn check_digest(r: &Reader, rep: &mut SegmentReport) {
    let Some(d) = &rep.seal else { return };
    let Some(block) = &d.chain else { return };
    let (signed, end) = (block.digest, d.records_end);
    let what = match sign::digest_of_source(r.original(), end) {
        Some(digest) if digest == signed => return,
        Some(_) => format!(
            "the bytes before offset {end} are not the ones its seal's digest names: \
             records (or the header) changed after sealing"
        ),
        None => format!("the bytes before offset {end} could not be read for their digest"),
    };
    rep.push(Finding {
        len: end,
        ..rep.finding_at(FindingKind::RecordsChanged, 0, what)
    });
}

fn unsigned(rep: &SegmentReport, what: &str) -> Finding {
    at_seal(rep, FindingKind::Unsigned, format!("unsigned: {what}"))
}

/// A finding of `kind` about `rep`'s seal.
fn at_seal(rep: &SegmentReport, kind: FindingKind, what: String) -> Finding {
    rep.finding_at(kind, rep.seal.as_ref().map_or(0, |d| d.records_end), what)
}

/// The file of segment `no` among `files`, and its link if it has one.
fn numbered(files: &[Numbered<Link>], no: u64) -> Option<(usize, Option<&Link>)> {
    let at = |j: usize| files[j].as_ref().filter(|f| f.0 == no);
    (0..files.len()).find_map(|j| Some((j, at(j)?.1.as_ref())))
}

/// Each segment's place in the chain its links make, in file order: its
/// `prev` must be the link of the segment numbered right before it (the
/// first segment with a link follows any: those before it were pruned).
fn places(files: &[Numbered<Link>]) -> Vec<Option<Place>> {
    use FindingKind::*;
    let links = || files.iter().flatten().filter_map(|f| f.1.as_ref());
    let of = |link: &[u8; HASH_LEN]| links().find(|l| l.link == *link);
    let place = |l: &Link| {
        let no = l.no.wrapping_sub(1);
        if let Some(c) = of(&l.link).filter(|c| !std::ptr::eq(*c, l)) {
            return Some((
                Duplicate,
                format!("a copy of the log's segment {} (the same link)", c.no),
            ));
        }
        // Its predecessor unsigned or unsealed (its own finding says so),
        // or none with a link before it (pruned): nothing to check.
        let before = numbered(files, no).map(|(_, b)| b);
        let first = links().next().is_some_and(|f| std::ptr::eq(f, l));
        if first || before.is_some_and(|b| b.is_none_or(|b| b.link == l.prev)) {
            return None;
        }
        let (kind, what) = match of(&l.prev).map(|p| p.no) {
            _ if l.prev == [0; HASH_LEN] => (ChainGap, "its chain starts again here".into()),
            Some(p) => (Reordered, format!("it is the log's segment {p}")),
            None if before.is_none() => (ChainGap, "that one is missing (deleted)".into()),
            None => (
                NotInChain,
                "it names none of the log's segments: this one or that one was inserted, \
                 replaced or taken from another log"
                    .into(),
            ),
        };
        let what =
            format!("its predecessor in the chain is not segment {no} right before it: {what}");
        Some((kind, what))
    };
    (files.iter())
        .map(|f| place(f.as_ref()?.1.as_ref()?))
        .collect()
}
