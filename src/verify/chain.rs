//! A signed log's chain verified (feature `sign`; docs/FORMAT.md section
//! 8.6): each seal's digest against the bytes it covers, its signature
//! against a trusted key, and each segment's place in its log's chain.
//! A segment's place needs the links of the segments after it (a
//! segment whose predecessor is missing is followed by one that names
//! it), so a trusted verify of a log reads every seal's chain block
//! before its first report.

use super::{Finding, FindingKind, SegmentReport};
use crate::format::chain::HASH_LEN;
use crate::format::seal::SealDirectory;
use crate::reader::Reader;
use crate::sign::{self, EpochCert, PublicKey, SignedHead};
use std::path::PathBuf;

/// A segment's link, the link its seal names as its predecessor, and the
/// sequence numbers its records start at and end before.
#[derive(Clone, PartialEq, Eq)]
struct Link {
    link: [u8; HASH_LEN],
    prev: [u8; HASH_LEN],
    seqs: std::ops::Range<u64>,
}

/// What is wrong with a segment's place in its log's chain: a finding's
/// kind and words.
type Place = (FindingKind, String);

/// The trusted key and, for a log, each segment's place in its chain.
#[derive(Default)]
pub(super) struct Trust {
    pub(super) key: PublicKey,
    /// Per file of a log, what is wrong with its place (read
    /// before the first report); `None` until then, and for files on
    /// their own.
    pub(super) places: Option<Vec<Option<Place>>>,
    /// A signed head of the log kept elsewhere, and its file (or
    /// object's URL).
    pub(super) head: Option<(SignedHead, PathBuf)>,
    /// The link of the log's last segment with one (read by `read_log`).
    pub(super) newest_link: Option<[u8; HASH_LEN]>,
}

impl Trust {
    /// Reads the chain blocks of a log's files (`seal_of` gives file `i`'s
    /// seal), once.
    pub(super) fn read_log(&mut self, n: usize, seal_of: impl Fn(usize) -> Option<SealDirectory>) {
        if self.places.is_none() {
            let links: Vec<Option<Link>> = (0..n)
                .map(|i| {
                    let d = seal_of(i)?;
                    let block = d.chain.as_ref()?;
                    let link = sign::link(block, &d);
                    let first = d.first_seq;
                    Some(Link {
                        link,
                        prev: block.prev,
                        seqs: first..first + d.record_count,
                    })
                })
                .collect();
            self.newest_link = links.iter().flatten().last().map(|l| l.link);
            self.places = Some(places(&links));
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
    /// `segment` opens the log's segment of a number. In a bucket
    /// (`shipped`), the segment a head names may not be shipped yet: a
    /// head naming the one after the newest there (its link the head's
    /// `prev`) finds nothing missing.
    pub(super) fn check_head(
        &self,
        rep: &mut SegmentReport,
        segment: impl FnOnce(u64) -> Option<Reader>,
        shipped: bool,
    ) {
        let Some((head, path)) = &self.head else {
            return;
        };
        use FindingKind as K;
        let vouched = sign::vouches(&self.key, &head.key.0, head.epoch.as_ref());
        let found = match (vouched, head.signature_holds()) {
            (false, true) => Some((K::OtherKey, "signed by another key".into())),
            (_, false) => Some((K::BadSignature, "its signature does not verify".into())),
            (true, true) => match segment(head.segment_no) {
                None if shipped && self.newest_link == Some(head.prev) => None,
                found => head_finding(head, found),
            },
        };
        if let Some((kind, what)) = found {
            let m = format!("{}: signed head {what}", path.display());
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

/// Each segment's place in the chain its links make, in file order; what
/// follows a segment found wrong is checked against the last one found
/// right.
fn places(links: &[Option<Link>]) -> Vec<Option<Place>> {
    use FindingKind::*;
    let index_of = |link: &[u8; HASH_LEN], within: std::ops::Range<usize>| {
        within
            .into_iter()
            .find(|&j| links[j].as_ref().is_some_and(|l| l.link == *link))
    };
    let mut out: Vec<Option<Place>> = vec![None; links.len()];
    // The link of the last segment found in the chain, and where its
    // records end.
    let mut expected: Option<[u8; HASH_LEN]> = None;
    let mut expected_seq = 0;
    for (i, l) in links.iter().enumerate() {
        let Some(l) = l.as_ref() else { continue };
        if let Some(j) = index_of(&l.link, 0..i) {
            let what = format!("a copy of the log's segment file {} (the same link)", j + 1);
            out[i] = Some((Duplicate, what));
            continue;
        }
        // After segments reordered, the one moved back is followed again.
        let moved = |j: usize| out[j].as_ref().is_some_and(|(k, _)| *k == Reordered);
        let follows_moved = index_of(&l.prev, 0..i).is_some_and(moved);
        if expected.is_none_or(|e| e == l.prev) || follows_moved {
            (expected, expected_seq) = (Some(l.link), l.seqs.end);
            continue;
        }
        if let Some(j) = index_of(&l.prev, i + 1..links.len()) {
            let what = format!(
                "its predecessor in the chain is the log's segment file {}, which comes after it",
                j + 1
            );
            out[i] = Some((Reordered, what));
            continue;
        }
        // Its predecessor is missing if the next segment follows it, or if
        // records are missing before it; else it is not of the chain.
        let next = links.get(i + 1).and_then(Option::as_ref);
        let missing = next.is_some_and(|n| n.prev == l.link) || l.seqs.start > expected_seq;
        let (kind, what) = match (l.prev == [0; HASH_LEN], missing) {
            (true, _) => (
                ChainGap,
                "its chain starts again here: the segment before it is not its predecessor",
            ),
            (false, true) => (
                ChainGap,
                "the segments before it in its chain are missing (deleted)",
            ),
            (false, false) => (
                NotInChain,
                "not in the log's chain: inserted, replaced or taken from another log",
            ),
        };
        out[i] = Some((kind, what.to_string()));
        if kind != NotInChain {
            (expected, expected_seq) = (Some(l.link), l.seqs.end);
        }
    }
    out
}
