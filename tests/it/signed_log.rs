//! Tamper-evident logs (docs/FORMAT.md section 8.6): a log signed with a
//! key verifies clean against its public key, and each change an
//! adversary who can write the files makes (a record changed with its CRC
//! recomputed, any byte of the header, records or seal directory changed
//! with every CRC recomputed, a segment deleted, copied, moved, replaced
//! by another log's, resealed without the key, signed with another key)
//! is found and named. `BINLOG_SIGNED_BYTES=all` changes every byte of
//! every segment (`make torture`); by default every byte of one segment.

use crate::common::seal::rewrite_seal;
use crate::common::TempDir;
use binlog::format::seal::{read_seal, Trailer, TRAILER_LEN};
use binlog::sign::{PublicKey, Signing};
use binlog::verify::{FindingKind, Verify};
use binlog::{LogOptions, LogWriter, Options};
use std::path::{Path, PathBuf};

const RECORDS_PER_SEGMENT: u64 = 4;
const SEGMENTS: u64 = 3;

/// A key pair in `dir` (`name`, `name.pub`).
fn keys(dir: &Path, name: &str) -> (Signing, PublicKey) {
    let path = dir.join(name);
    let public = Signing::new_key_files(&path).unwrap();
    assert_eq!(
        PublicKey::from_file(dir.join(format!("{name}.pub"))).unwrap(),
        public
    );
    (Signing::from_key_file(&path).unwrap(), public)
}

/// Log `name` in `dir`, signed by `signing` (if any), of `SEGMENTS` sealed
/// segments; returns their paths, oldest first.
fn write_log(dir: &Path, name: &str, signing: Option<Signing>) -> Vec<PathBuf> {
    let opts = LogOptions {
        segment: Options {
            signing,
            ..Options::default()
        },
        max_segment_records: Some(RECORDS_PER_SEGMENT),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, name, opts).unwrap();
    for i in 0..RECORDS_PER_SEGMENT * SEGMENTS {
        let ty = if i % 2 == 0 { "order" } else { "trade" };
        w.write(ty, format!("{name} payload {i}").as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    segment_files(dir, name)
}

fn segment_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(&format!("{name}-")) && n.ends_with(".binlog")
        })
        .collect();
    files.sort();
    files
}

/// Every damage finding of log `name` in `dir` verified against `key`:
/// (file index, kind).
fn findings(dir: &Path, name: &str, key: PublicKey) -> Vec<(usize, FindingKind)> {
    let files = segment_files(dir, name);
    let mut out = Vec::new();
    for rep in Verify::log(dir, name).unwrap().trusting(key) {
        let i = files
            .iter()
            .position(|f| *f == rep.location)
            .unwrap_or(usize::MAX);
        out.extend(
            rep.findings
                .iter()
                .filter(|f| f.is_damage())
                .map(|f| (i, f.kind)),
        );
    }
    out
}

fn has(found: &[(usize, FindingKind)], want: (usize, FindingKind)) -> bool {
    found.contains(&want)
}

#[test]
fn a_signed_log_verifies_clean_against_its_key_and_is_named_against_another() {
    let t = TempDir::new("signed-clean");
    let (signing, public) = keys(t.path(), "k");
    let (_, other) = keys(t.path(), "other");
    write_log(t.path(), "orders", Some(signing));
    assert_eq!(findings(t.path(), "orders", public), vec![]);
    let against_other = findings(t.path(), "orders", other);
    // Each seal, and the signed head beside the log (given on its last
    // file).
    let want: Vec<_> = (0..SEGMENTS as usize)
        .chain([SEGMENTS as usize - 1])
        .map(|i| (i, FindingKind::OtherKey))
        .collect();
    assert_eq!(against_other, want);
    // Without a trusted key, a signed log is clean too (digests checked).
    for rep in Verify::log(t.path(), "orders").unwrap() {
        assert!(!rep.is_damaged(), "{:?}", rep.findings);
    }
}

#[test]
fn an_unsigned_log_is_named_unsigned_against_a_key() {
    let t = TempDir::new("signed-unsigned");
    let (_, public) = keys(t.path(), "k");
    write_log(t.path(), "orders", None);
    let found = findings(t.path(), "orders", public);
    let want: Vec<_> = (0..SEGMENTS as usize)
        .map(|i| (i, FindingKind::Unsigned))
        .collect();
    assert_eq!(found, want);
}

/// A secret key file (a key, a master key, epoch keys) that anyone but
/// its owner may read or write is refused, as ssh refuses an unprotected
/// private key: a `PermissionDenied` error naming the file, its mode and
/// the chmod that fixes it. Mode 0600 is accepted; a public key may be
/// read by anyone.
#[test]
fn a_secret_key_file_others_may_read_is_refused_naming_it_and_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let t = TempDir::new("signed-key-mode");
    let (key, epochs) = (t.path().join("k"), t.path().join("e"));
    let public = Signing::new_key_files(&key).unwrap();
    Signing::new_epoch_keys(&key, &epochs, (0, 1_000_000_000, 3)).unwrap();
    let chmod = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let refused = |e: binlog::Error, path: &Path, mode: &str| {
        let m = e.message();
        assert_eq!(e.kind(), binlog::ErrorKind::PermissionDenied, "{m}");
        let shown = path.display();
        assert!(m.starts_with(&format!("{shown}: ")), "{m}");
        assert!(m.contains(&format!("(mode {mode})")), "{m}");
        assert!(m.contains(&format!("chmod 600 {shown}")), "{m}");
    };
    for (mode, shown) in [(0o644, "0644"), (0o640, "0640")] {
        chmod(&key, mode);
        refused(Signing::from_key_file(&key).unwrap_err(), &key, shown);
        let again = Signing::new_epoch_keys(&key, t.path().join("e2"), (0, 1_000_000_000, 3));
        refused(again.unwrap_err(), &key, shown);
    }
    chmod(&epochs, 0o644);
    refused(
        Signing::from_key_file(&epochs).unwrap_err(),
        &epochs,
        "0644",
    );
    chmod(&key, 0o600);
    chmod(&epochs, 0o600);
    assert_eq!(Signing::from_key_file(&key).unwrap().public_key(), public);
    assert_eq!(
        Signing::from_key_file(&epochs).unwrap().public_key(),
        public
    );
    assert_eq!(
        PublicKey::from_file(t.path().join("k.pub")).unwrap(),
        public
    );
}
/// Where a segment's parts are: the header's end, the records' end, the
/// directory frame's range (without its chain block) and the chain block's.
struct Parts {
    header_len: usize,
    records_end: usize,
    dir: std::ops::Range<usize>,
    chain: std::ops::Range<usize>,
}

fn parts(bytes: &[u8]) -> Parts {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let trailer = Trailer::decode(bytes, header_len).unwrap();
    let dir_start = trailer.dir_offset as usize;
    let dir_end = dir_start + trailer.dir_len as usize;
    let chain_len = 1 + 32 * 3 + 64;
    Parts {
        header_len,
        records_end: trailer.records_end as usize,
        dir: dir_start..dir_end - chain_len,
        chain: dir_end - chain_len..dir_end,
    }
}

/// Flips byte `at` of `bytes` and recomputes the CRC that covers it (the
/// header's, its record frame's, the directory frame's): what an adversary
/// who knows the format does. `None` for a byte no CRC covers here.
fn flip_with_crcs(bytes: &mut [u8], at: usize) -> Option<()> {
    let p = parts(bytes);
    bytes[at] ^= 0x01;
    let covered = if at < p.header_len {
        // The magic, version, length and CRC: framing, not contents.
        (16..p.header_len - 4)
            .contains(&at)
            .then_some(0..p.header_len - 4)?
    } else if at < p.records_end {
        let mut f = p.header_len;
        loop {
            let len = u32::from_le_bytes(bytes[f..f + 4].try_into().unwrap()) as usize;
            if at < f + 8 + len {
                // A frame's length or CRC field is its framing, not its contents.
                (at >= f + 8).then_some(())?;
                break f + 8..f + 8 + len;
            }
            f += 8 + len;
        }
    } else if p.dir.contains(&at) || p.chain.contains(&at) {
        (at >= p.dir.start + 9).then_some(p.dir.start + 8..p.chain.end)?
    } else {
        return None;
    };
    let crc = crc32fast::hash(&bytes[covered.clone()]);
    let crc_at = if covered.start == 0 {
        covered.end
    } else {
        covered.start - 4
    };
    bytes[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
    Some(())
}

#[test]
fn every_byte_changed_with_its_crc_recomputed_is_found() {
    let t = TempDir::new("signed-bytes");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    let all = std::env::var("BINLOG_SIGNED_BYTES").is_ok_and(|v| v == "all");
    let targets = if all { 0..files.len() } else { 1..2 };
    let mut checked = 0;
    for i in targets {
        let original = std::fs::read(&files[i]).unwrap();
        for at in 0..original.len() - TRAILER_LEN {
            let mut bytes = original.clone();
            if flip_with_crcs(&mut bytes, at).is_none() {
                continue;
            }
            std::fs::write(&files[i], &bytes).unwrap();
            let found = findings(t.path(), "orders", public);
            assert!(
                found.iter().any(|(f, k)| *f == i && tamper_kind(*k)),
                "byte {at} of segment {i} changed, CRCs recomputed: found {found:?}"
            );
            checked += 1;
        }
        std::fs::write(&files[i], &original).unwrap();
    }
    assert!(checked > 300, "{checked} bytes checked");
    assert_eq!(findings(t.path(), "orders", public), vec![]);
}

/// A finding a changed signed segment may get: its digest, its signature
/// or its place in the chain, unsigned (its chain block's tag changed),
/// or (a directory that no longer parses) its seal damaged, or (a header
/// naming another segment) the wrong log.
fn tamper_kind(k: FindingKind) -> bool {
    use FindingKind::*;
    matches!(
        k,
        RecordsChanged
            | BadSignature
            | OtherKey
            | Unsigned
            | SealDamaged
            | SealIndexDamaged
            | WrongLog
            | Corrupt
            | CorruptHeader
            | NotInChain
            | ChainGap
    )
}

#[test]
fn a_record_changed_with_its_crc_recomputed_is_named_records_changed() {
    let t = TempDir::new("signed-record");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let p = parts(&bytes);
    // The last payload byte of the segment's first record.
    let len = u32::from_le_bytes(bytes[p.header_len..p.header_len + 4].try_into().unwrap());
    flip_with_crcs(&mut bytes, p.header_len + 8 + len as usize - 1).unwrap();
    std::fs::write(&files[1], &bytes).unwrap();
    assert_eq!(
        findings(t.path(), "orders", public),
        vec![(1, FindingKind::RecordsChanged)]
    );
    // Without a key too: the digest is checked by every verify.
    let kinds: Vec<_> = Verify::log(t.path(), "orders")
        .unwrap()
        .flat_map(|r| r.findings)
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, vec![FindingKind::RecordsChanged]);
}

#[test]
fn a_segment_deleted_is_a_chain_gap() {
    let t = TempDir::new("signed-deleted");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    std::fs::remove_file(&files[1]).unwrap();
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (1, FindingKind::ChainGap)), "{found:?}");
    assert!(has(&found, (1, FindingKind::MissingRecords)), "{found:?}");
}

#[test]
fn a_segment_copied_in_is_a_duplicate() {
    let t = TempDir::new("signed-copied");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    let name = files[2]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .replace("00002-", "00003-");
    std::fs::copy(&files[1], t.path().join(name)).unwrap();
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (3, FindingKind::Duplicate)), "{found:?}");
}

#[test]
fn segments_swapped_are_each_reordered_naming_the_segment_numbers() {
    let t = TempDir::new("signed-swapped");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    let (a, b) = (
        std::fs::read(&files[1]).unwrap(),
        std::fs::read(&files[2]).unwrap(),
    );
    std::fs::write(&files[1], b).unwrap();
    std::fs::write(&files[2], a).unwrap();
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (1, FindingKind::Reordered)), "{found:?}");
    // Segment 1's content, in segment 2's file, follows segment 0: not
    // the segment right before it.
    assert!(has(&found, (2, FindingKind::Reordered)), "{found:?}");
    let messages: Vec<String> = Verify::log(t.path(), "orders")
        .unwrap()
        .trusting(public)
        .flat_map(|r| r.findings)
        .filter(|f| f.kind == FindingKind::Reordered)
        .map(|f| f.message)
        .collect();
    let said = |s: &str| messages.iter().any(|m| m.contains(s));
    let not_before = "its predecessor in the chain is not segment";
    assert!(
        said(&format!(
            "{not_before} 0 right before it: it is the log's segment 2"
        )),
        "{messages:?}"
    );
    assert!(
        said(&format!(
            "{not_before} 1 right before it: it is the log's segment 0"
        )),
        "{messages:?}"
    );
}

#[test]
fn a_segment_replaced_by_another_logs_is_not_in_the_chain() {
    let t = TempDir::new("signed-replaced");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing.clone()));
    let other = TempDir::new("signed-replaced-other");
    // The same key, the same log name, other records.
    let theirs = write_log(other.path(), "orders", Some(signing));
    std::fs::copy(&theirs[1], &files[1]).unwrap();
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (1, FindingKind::NotInChain)), "{found:?}");
    assert!(!found.iter().any(|(f, _)| *f == 0), "{found:?}");
}

#[test]
fn a_segment_resealed_without_the_key_is_unsigned() {
    let t = TempDir::new("signed-resealed");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    // Its seal cut off, then sealed by a writer without the key.
    let bytes = std::fs::read(&files[1]).unwrap();
    let end = read_seal(&bytes, parts(&bytes).header_len)
        .unwrap()
        .records_end;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&files[1])
        .unwrap()
        .set_len(end)
        .unwrap();
    LogWriter::open(t.path(), "orders", LogOptions::default())
        .unwrap()
        .close()
        .unwrap();
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (1, FindingKind::Unsigned)), "{found:?}");
}

#[test]
fn a_seal_directory_rewritten_with_valid_crcs_fails_its_signature() {
    let t = TempDir::new("signed-directory");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    // Its time range widened: the records and their digest are untouched.
    rewrite_seal(&files[1], |s| s.dir.max_ts += 1);
    let found = findings(t.path(), "orders", public);
    assert!(has(&found, (1, FindingKind::BadSignature)), "{found:?}");
}

#[test]
fn a_reopened_signed_log_continues_its_chain() {
    let t = TempDir::new("signed-reopened");
    let (signing, public) = keys(t.path(), "k");
    write_log(t.path(), "orders", Some(signing.clone()));
    write_log(t.path(), "orders", Some(signing));
    assert!(segment_files(t.path(), "orders").len() >= 2 * SEGMENTS as usize);
    assert_eq!(findings(t.path(), "orders", public), vec![]);
}

#[test]
fn the_newest_segments_cut_off_are_found_against_a_signed_head() {
    let t = TempDir::new("signed-cut");
    let (signing, public) = keys(t.path(), "k");
    let (_, other) = keys(t.path(), "other");
    let files = write_log(t.path(), "orders", Some(signing));
    let head = t.path().join("kept.head");
    std::fs::copy(t.path().join("orders.head"), &head).unwrap();
    let with_head = |key| {
        let mut v = Verify::log(t.path(), "orders").unwrap().trusting(key);
        v.with_head(&head).unwrap();
        let kinds = v.flat_map(|r| r.findings).filter(|f| f.is_damage());
        kinds.map(|f| f.kind).collect::<Vec<_>>()
    };
    assert_eq!(with_head(public), vec![]);
    // The three seals and the head, signed by another key.
    assert_eq!(with_head(other), vec![FindingKind::OtherKey; 4]);
    // The newest segment and the manifest that lists it gone: only the
    // head kept elsewhere still knows it.
    std::fs::remove_file(&files[2]).unwrap();
    let found = with_head(public);
    assert_eq!(
        found,
        vec![FindingKind::MissingRecords, FindingKind::CutOff]
    );
    std::fs::remove_file(t.path().join("orders.manifest")).unwrap();
    assert_eq!(with_head(public), vec![FindingKind::CutOff]);
}

/// The signed log `orders` in `dir` opened and closed with `signing`: a
/// writer with the key seals its newest segment if unsealed, after the
/// newest sealed one.
fn reopen(dir: &Path, signing: &Signing) {
    let opts = LogOptions {
        segment: Options {
            signing: Some(signing.clone()),
            ..Options::default()
        },
        background: false,
        ..LogOptions::default()
    };
    LogWriter::open(dir, "orders", opts)
        .unwrap()
        .close()
        .unwrap();
}

/// The segment file at `path` put back at `to` without its seal.
fn unsealed_copy(path: &Path, to: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.truncate(parts(&bytes).records_end);
    std::fs::write(to, bytes).unwrap();
}

#[test]
fn a_kept_head_pins_the_segments_below_it_against_a_rewrite_resealed_with_the_key() {
    let t = TempDir::new("signed-rewrite");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing.clone()));
    let kept = t.path().join("kept.head");
    std::fs::copy(t.path().join("orders.head"), &kept).unwrap();
    // A record of segment 1 changed (its CRC recomputed), then segments 1
    // and 2 resealed with the key, in order, each naming the new link of
    // the one before: the head names segment 2, whose bytes it covers are
    // unchanged.
    let stash = t.path().join("stash");
    std::fs::rename(&files[2], &stash).unwrap();
    let mut bytes = std::fs::read(&files[1]).unwrap();
    let p = parts(&bytes);
    let len = u32::from_le_bytes(bytes[p.header_len..p.header_len + 4].try_into().unwrap());
    flip_with_crcs(&mut bytes, p.header_len + 8 + len as usize - 1).unwrap();
    std::fs::write(&files[1], &bytes[..p.records_end]).unwrap();
    reopen(t.path(), &signing);
    unsealed_copy(&stash, &files[2]);
    reopen(t.path(), &signing);
    assert_eq!(segment_files(t.path(), "orders"), files);
    // The log is one chain again, its own head rewritten with it.
    assert_eq!(findings(t.path(), "orders", public), vec![]);
    let mut v = Verify::log(t.path(), "orders").unwrap().trusting(public);
    v.with_head(&kept).unwrap();
    let found: Vec<_> = v.flat_map(|r| r.findings).collect();
    let kinds: Vec<_> = found.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, vec![FindingKind::NotInChain], "{found:?}");
    assert_eq!(found[0].location, kept);
    assert!(
        found[0]
            .message
            .contains("segment 2's predecessor another link than segment 1's"),
        "{}",
        found[0].message
    );
}

#[test]
fn the_newest_segment_deleted_is_cut_off_against_the_head_beside_the_log() {
    let t = TempDir::new("signed-own-head");
    let (signing, public) = keys(t.path(), "k");
    let files = write_log(t.path(), "orders", Some(signing));
    std::fs::remove_file(&files[2]).unwrap();
    std::fs::remove_file(t.path().join("orders.manifest")).unwrap();
    assert_eq!(
        findings(t.path(), "orders", public),
        vec![(1, FindingKind::CutOff)]
    );
    // Deleted with the head beside it: nothing tells (a copy kept
    // elsewhere does).
    std::fs::remove_file(t.path().join("orders.head")).unwrap();
    assert_eq!(findings(t.path(), "orders", public), vec![]);
}

/// A signed log shipped to a real S3-compatible server verifies against
/// its key from the bucket (each object fetched whole, as `binlog verify
/// s3://...` reads it), names another key, and an object whose records
/// were changed in the store (the server's own file rewritten, CRC
/// recomputed) is `records-changed`.
#[cfg(feature = "s3")]
#[test]
fn a_signed_log_in_the_bucket_verifies_against_its_key() {
    use binlog::archive::{Location, ShipOptions, Shipper};
    let server = crate::common::s3::S3Server::start(&["logs"]);
    let t = TempDir::new("signed-remote");
    let (signing, public) = keys(t.path(), "k");
    let (_, other) = keys(t.path(), "other");
    write_log(t.path(), "orders", Some(signing));
    let at = Location::parse("s3://logs/arch").unwrap();
    let opts = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let mut s = Shipper::open(t.path(), "orders", &at, opts).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded.len(), SEGMENTS as usize);
    let log = crate::common::remote::remote_log(&server, "logs", "arch", "orders");
    let kinds = |key| {
        let v = Verify::shipped(log.clone()).unwrap().trusting(key);
        let found = v.flat_map(|r| r.findings).filter(|f| f.is_damage());
        found.map(|f| f.kind).collect::<Vec<_>>()
    };
    assert_eq!(kinds(public), vec![]);
    // Each seal, and the signed head the shipper put beside them.
    let heads = vec![FindingKind::OtherKey; SEGMENTS as usize + 1];
    assert_eq!(kinds(other), heads);
    let object = log.segments().unwrap()[1].object_key.clone();
    let file = server.object_file("logs", &object);
    let mut bytes = std::fs::read(&file).unwrap();
    let p = parts(&bytes);
    let len = u32::from_le_bytes(bytes[p.header_len..p.header_len + 4].try_into().unwrap());
    flip_with_crcs(&mut bytes, p.header_len + 8 + len as usize - 1).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let found = kinds(public);
    assert!(found.contains(&FindingKind::RecordsChanged), "{found:?}");
}

/// A signed log whose sealed segments its writer compresses (type copies
/// included) verifies against its key as written: compression keeps the
/// original bytes and the seal, so the digest and the chain hold; and a
/// log reopened after compression continues its chain.
#[test]
fn a_signed_log_compressed_by_its_writer_verifies_against_its_key() {
    let t = TempDir::new("signed-compressed");
    let (signing, public) = keys(t.path(), "k");
    for round in 0..2 {
        let opts = LogOptions {
            segment: Options {
                signing: Some(signing.clone()),
                ..Options::default()
            },
            max_segment_records: Some(RECORDS_PER_SEGMENT),
            background: false,
            compression: Some(binlog::Compression {
                type_copies_per_mille: 1000,
                ..binlog::Compression::default()
            }),
            ..LogOptions::default()
        };
        let w = LogWriter::open(t.path(), "orders", opts).unwrap();
        for i in 0..RECORDS_PER_SEGMENT * SEGMENTS {
            w.write(if i % 3 == 0 { "rare" } else { "common" }, b"payload")
                .unwrap();
        }
        w.close().unwrap();
        let names = std::fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name());
        let zst = names
            .filter(|n| n.to_str().unwrap().ends_with(".binlog.zst"))
            .count();
        assert!(
            zst >= SEGMENTS as usize * (round + 1) - 1,
            "round {round}: {zst} compressed"
        );
        let mut reports = 0;
        for rep in Verify::log(t.path(), "orders").unwrap().trusting(public) {
            assert!(!rep.is_damaged(), "round {round}: {:?}", rep.findings);
            reports += 1;
        }
        assert!(reports >= SEGMENTS as usize * (round + 1));
    }
}

/// The live segment's checkpoint (each `tick` of a signed log signs its
/// records so far into `<log>.head`): a copy of it kept elsewhere finds a
/// record changed in the live segment since, and the segment cut short;
/// the live segment then seals and its chain verifies.
#[test]
fn a_checkpoint_of_the_live_segment_finds_it_changed_or_cut() {
    let t = TempDir::new("signed-live");
    let (signing, public) = keys(t.path(), "k");
    let opts = LogOptions {
        segment: Options {
            signing: Some(signing),
            ..Options::default()
        },
        max_segment_records: Some(100),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(t.path(), "orders", opts).unwrap();
    for i in 0..10u64 {
        w.write("order", format!("order {i}").as_bytes()).unwrap();
    }
    w.tick().unwrap();
    let head = t.path().join("orders.head");
    let text = std::fs::read_to_string(&head).unwrap();
    assert!(text.starts_with("binlog-head-1 orders 10 0 "), "{text}");
    let kept = t.path().join("kept.head");
    std::fs::copy(&head, &kept).unwrap();
    let with_head = || {
        let mut v = Verify::log(t.path(), "orders").unwrap().trusting(public);
        v.with_head(&kept).unwrap();
        let found = v.flat_map(|r| r.findings).filter(|f| f.is_damage());
        found.map(|f| f.kind).collect::<Vec<_>>()
    };
    assert_eq!(with_head(), vec![]);
    // More records after the checkpoint change nothing it covers.
    w.write("order", b"order 10").unwrap();
    w.flush().unwrap();
    assert_eq!(with_head(), vec![]);
    let live = segment_files(t.path(), "orders").pop().unwrap();
    let original = std::fs::read(&live).unwrap();
    let header_len = u32::from_le_bytes(original[12..16].try_into().unwrap()) as usize;
    // A record's payload byte changed, its CRC recomputed (bitwise CRC-32).
    let mut changed = original.clone();
    let len = u32::from_le_bytes(changed[header_len..header_len + 4].try_into().unwrap()) as usize;
    changed[header_len + 8 + len - 1] ^= 1;
    let crc = crc32fast::hash(&changed[header_len + 8..header_len + 8 + len]);
    changed[header_len + 4..header_len + 8].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&live, &changed).unwrap();
    assert_eq!(with_head(), vec![FindingKind::RecordsChanged]);
    std::fs::write(&live, &original[..header_len + len + 8]).unwrap();
    assert!(with_head().contains(&FindingKind::CutOff));
    // The head beside the log does not check the unsealed segment's
    // records: it is written before they are synced, and a crash may lose
    // them.
    assert_eq!(findings(t.path(), "orders", public), vec![]);
    std::fs::write(&live, &original).unwrap();
    // Sealed, the segment's digest goes on from the checkpoint's.
    w.close().unwrap();
    assert_eq!(findings(t.path(), "orders", public), vec![]);
    let text = std::fs::read_to_string(&head).unwrap();
    assert!(text.starts_with("binlog-head-1 orders 11 0 "), "{text}");
}

/// With `checkpoint_records`, a signed log checkpoints its live segment
/// each time its next sequence number reaches a multiple of it, without
/// a tick (and so without its background thread): the head follows.
#[test]
fn a_checkpoint_comes_every_n_records() {
    let t = TempDir::new("signed-every");
    let (signing, public) = keys(t.path(), "k");
    let opts = LogOptions {
        segment: Options {
            signing: Some(signing),
            ..Options::default()
        },
        background: false,
        checkpoint_records: Some(4),
        ..LogOptions::default()
    };
    let w = LogWriter::open(t.path(), "orders", opts).unwrap();
    let head = t.path().join("orders.head");
    let covered = || {
        let text = std::fs::read_to_string(&head).ok()?;
        text.split(' ').nth(2).map(|n| n.parse::<u64>().unwrap())
    };
    for i in 0..3u64 {
        w.write("order", format!("order {i}").as_bytes()).unwrap();
    }
    assert_eq!(covered(), None, "no checkpoint before 4 records");
    w.write("order", b"order 3").unwrap();
    assert_eq!(covered(), Some(4));
    // A batch that steps over a multiple (5..10 past 8) checkpoints too.
    w.write("order", b"order 4").unwrap();
    let more: [&[u8]; 1] = [b"more"];
    let entry = binlog::Entry {
        type_name: "order",
        meta: &[],
        timestamp_ns: None,
        parts: &more,
    };
    w.write_batch(&[entry; 5]).unwrap();
    assert_eq!(covered(), Some(10));
    let mut v = Verify::log(t.path(), "orders").unwrap().trusting(public);
    v.with_head(&head).unwrap();
    assert_eq!(
        v.flat_map(|r| r.findings).filter(|f| f.is_damage()).count(),
        0
    );
    let zero = LogOptions {
        checkpoint_records: Some(0),
        ..LogOptions::default()
    };
    let e = LogWriter::open(t.path(), "other", zero).err().unwrap();
    assert_eq!(e.kind(), binlog::ErrorKind::InvalidArgument);
}
