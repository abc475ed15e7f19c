//! Where a log's shipped segments live in a bucket, and what their keys
//! say. Every key of log `<log>` shipped to `s3://<bucket>/<prefix>` is
//! under `<prefix>/<log>/`:
//!
//! ```text
//! <prefix>/<log>/claim                                         the claim (identity.rs)
//! <prefix>/<log>/pruned                                        the prune marker (prune/marker.rs)
//! <prefix>/<log>/prune-claim-<generation, 20 digits>           a pruner's claim (prune/lease.rs)
//! <prefix>/<log>/head-<segment no, 20 digits>-<end, 20 digits>[-shipped]  a signed head (shipper/head.rs)
//! <prefix>/<log>/<segment no, 20 digits>-<first seq, 20 digits>.binlog[.zst]
//! <prefix>/<log>/<segment no>-<first seq>.salvaged-<offset>.<copy>.binlog   a salvaged file
//! ```
//!
//! `LogObject::of` reads these names, for every lister of a bucket; any
//! other is `Foreign`.
//!
//! Both numbers are zero-padded to the width of `u64::MAX`, so keys sort
//! (as S3 lists them, by byte) in segment order, which is write order; and
//! since a log's sequence numbers grow with its segments, the object
//! holding sequence number `s` is the last one listed whose first sequence
//! number is at most `s`: a reader finds it from a listing alone.

pub use crate::format::naming::{
    parse_object_key, salvaged_object_name, segment_object_name, LogObject, SegmentKey,
};
use crate::format::naming::{CLAIM_OBJECT, PRUNE_CLAIM_OBJECT, PRUNE_MARKER_OBJECT};

/// The key of the claim object of `log` under `prefix`.
pub fn claim_key(prefix: &str, log: &str) -> String {
    format!("{}{CLAIM_OBJECT}", log_prefix(prefix, log))
}

/// The key of the prune marker of `log` under `prefix`.
pub fn marker_key(prefix: &str, log: &str) -> String {
    format!("{}{PRUNE_MARKER_OBJECT}", log_prefix(prefix, log))
}

/// The key of generation `generation` of the prune claim of `log` under
/// `prefix`.
pub fn prune_claim_key(prefix: &str, log: &str, generation: u64) -> String {
    let dir = log_prefix(prefix, log);
    format!("{dir}{PRUNE_CLAIM_OBJECT}{generation:020}")
}

/// The key of the shipped signed head naming segment `segment_no` and
/// covering its bytes before `end`, `shipped` if that segment is in the
/// bucket: the newest head sorts last.
#[cfg(any(test, feature = "sign"))]
pub fn head_key(prefix: &str, log: &str, segment_no: u64, end: u64, shipped: bool) -> String {
    use crate::format::naming::{HEAD_OBJECT, HEAD_SHIPPED};
    let dir = log_prefix(prefix, log);
    let own = if shipped { HEAD_SHIPPED } else { "" };
    format!("{dir}{HEAD_OBJECT}{segment_no:020}-{end:020}{own}")
}

/// What every key of `log` under `prefix` starts with: `<prefix>/<log>/`
/// (`<log>/` for an empty prefix).
pub fn log_prefix(prefix: &str, log: &str) -> String {
    let prefix = prefix.trim_matches('/');
    match prefix {
        "" => format!("{log}/"),
        _ => format!("{prefix}/{log}/"),
    }
}

/// The key of segment `segment_no` of `log`, whose first record is
/// `first_seq`, shipped compressed (`.binlog.zst`) or plain.
#[cfg(any(test, feature = "internals"))]
pub fn segment_key(
    prefix: &str,
    log: &str,
    segment_no: u64,
    first_seq: u64,
    compressed: bool,
) -> String {
    format!(
        "{}{}",
        log_prefix(prefix, log),
        segment_object_name(segment_no, first_seq, compressed)
    )
}

/// Of a log's segment keys sorted by segment number, the one holding
/// sequence number `seq`: the last whose first sequence number is at most
/// `seq` (it may have ended before `seq`: its metadata or seal says).
#[cfg(any(test, feature = "internals"))]
pub fn holding_seq(keys: &[SegmentKey], seq: u64) -> Option<&SegmentKey> {
    let after = keys.partition_point(|k| k.first_seq <= seq);
    after.checked_sub(1).map(|i| &keys[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_in_segment_order() {
        let a = segment_key("arch/", "orders", 9, 1_000, false);
        assert_eq!(
            a,
            "arch/orders/00000000000000000009-00000000000000001000.binlog"
        );
        let b = segment_key("arch", "orders", 10, 2_000, true);
        assert!(b > a, "segment 10 sorts after segment 9");
        let name = b.strip_prefix(&log_prefix("arch", "orders")).unwrap();
        assert_eq!(
            LogObject::of(name),
            LogObject::Segment(SegmentKey {
                segment_no: 10,
                first_seq: 2_000,
                compressed: true,
                salvaged: None,
            })
        );
        assert_eq!(
            segment_key("", "o", 1, 2, false),
            format!("o/{:020}-{:020}.binlog", 1, 2)
        );
        for not in [
            "claim",
            "1-2.binlog",
            "00000000000000000001-2.binlog",
            &format!("{name}.tmp"),
        ] {
            assert_eq!(parse_object_key(not), None, "{not}");
        }
    }

    #[test]
    fn every_name_of_a_log_object_is_read_as_format_section_18_lists_it() {
        let (p, o) = ("arch", "orders");
        let name = |key: String| key[log_prefix(p, o).len()..].to_string();
        assert_eq!(LogObject::of(&name(claim_key(p, o))), LogObject::Claim);
        assert_eq!(
            LogObject::of(&name(marker_key(p, o))),
            LogObject::PruneMarker
        );
        let lease = name(prune_claim_key(p, o, 7));
        assert_eq!(LogObject::of(&lease), LogObject::PruneClaim(7));
        for shipped in [false, true] {
            let head = name(head_key(p, o, 3, 4096, shipped));
            assert_eq!(LogObject::of(&head), LogObject::Head(3, 4096));
        }
        let key = |no, end, shipped| head_key(p, o, no, end, shipped);
        assert!(key(3, 4096, false) < key(3, 4096, true), "newest last");
        assert!(key(3, 4096, true) < key(3, 4097, false), "newest last");
        assert!(key(3, 4096, true) < key(4, 64, false), "newest last");
        let short_head = format!("head-{:020}-4096", 3);
        for foreign in [
            "claim.tmp",
            "pruned2",
            "prune-claim-7",
            "notes.txt",
            "",
            &short_head,
        ] {
            assert_eq!(LogObject::of(foreign), LogObject::Foreign, "{foreign}");
        }
    }

    #[test]
    fn the_segment_holding_a_sequence_number_is_found_from_the_keys() {
        let key = |segment_no, first_seq| SegmentKey {
            segment_no,
            first_seq,
            compressed: false,
            salvaged: None,
        };
        let keys = [key(3, 100), key(4, 150), key(5, 150), key(6, 400)];
        assert_eq!(holding_seq(&keys, 99), None);
        assert_eq!(holding_seq(&keys, 100).unwrap().segment_no, 3);
        assert_eq!(holding_seq(&keys, 149).unwrap().segment_no, 3);
        // An empty segment 4 starts where 5 starts: 5 holds the records.
        assert_eq!(holding_seq(&keys, 150).unwrap().segment_no, 5);
        assert_eq!(holding_seq(&keys, u64::MAX).unwrap().segment_no, 6);
    }

    #[test]
    fn a_salvaged_key_sorts_after_its_segment_and_before_the_next_and_is_no_segment() {
        let seg = segment_key("p", "o", 9, 1_000, false);
        let zst = segment_key("p", "o", 9, 1_000, true);
        let next = segment_key("p", "o", 10, 1_000, false);
        let at =
            |offset, copy, first| format!("p/o/{}", salvaged_object_name(9, first, offset, copy));
        let first = at(4_000, 0, 1_000);
        assert_eq!(
            first,
            format!(
                "p/o/{:020}-{:020}.salvaged-{:020}.{:020}.binlog",
                9, 1_000, 4_000, 0
            )
        );
        let mut keys = vec![
            next.clone(),
            at(964, 1, 1_050),
            first.clone(),
            at(964, 0, 1_050),
            seg.clone(),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                seg.clone(),
                first.clone(),
                at(964, 0, 1_050),
                at(964, 1, 1_050),
                next
            ]
        );
        assert!(
            zst < first,
            "a compressed segment sorts before its salvaged files too"
        );
        let name = first.strip_prefix(&log_prefix("p", "o")).unwrap();
        let key = parse_object_key(name).expect("a salvaged file's key");
        assert_eq!(
            (key.segment_no, key.first_seq, key.compressed, key.salvaged),
            (9, 1_000, false, Some((4_000, 0)))
        );
        assert!(key.order() > parse_object_key(&seg[4..]).unwrap().order());
        for not in [
            format!("{name}.zst"),
            name.replace(".salvaged-", ".salvaged-1"),
            name.replace(".00000000000000000000.binlog", ".binlog"),
            format!(
                "{:020}-{:020}.salvaged-{:020}.{:020}.binlog.zst",
                9, 1, 2, 0
            ),
        ] {
            assert_eq!(parse_object_key(&not), None, "{not}");
        }
    }
}
