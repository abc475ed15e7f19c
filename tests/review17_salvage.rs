//! Review 17: a reader that skips damage names a type whose defining record
//! was in the damaged bytes from the segment's seal, when a seal (or its
//! type table) survives and can be matched with the damage; otherwise it
//! stays `<lost type N>`. Each test asserts something the reader before
//! this change got wrong (it always said `<lost type N>`: a seal whose
//! first record of a type is damaged was not used at all).

mod common;

use binlog::{Options, Reader, Writer};
use common::{flip_byte, frames, TempDir};
use std::path::Path;

const T0: i64 = 1_700_000_000_000_000_000;

/// Nine records whose types cycle through `types` (record 2 defines the
/// third type), sealed unless `seal` is false (then the file as it was
/// before its writer closed it).
fn segment(path: &Path, types: [&str; 3], seal: bool) {
    let tmp = path.with_extension("writing");
    let w = Writer::open(
        &tmp,
        Options {
            created_ns: Some(T0),
            ..Options::default()
        },
    )
    .unwrap();
    for i in 0..9u64 {
        w.write_with(
            types[(i % 3) as usize],
            &[],
            Some(T0 + i as i64),
            format!("payload {i}").as_bytes(),
        )
        .unwrap();
    }
    w.flush().unwrap();
    if !seal {
        std::fs::copy(&tmp, path).unwrap();
    }
    w.close().unwrap();
    if seal {
        std::fs::copy(&tmp, path).unwrap();
    }
    std::fs::remove_file(&tmp).unwrap();
}

/// Damages the record that defines the third type (record 2).
fn damage_definition(path: &Path) {
    let (off, len) = frames(path)[2];
    flip_byte(path, off + len - 1);
}

/// (seq, type) of every record a reader that skips damage returns, and of
/// those a filter on `only` returns.
fn read(path: &Path, only: &str) -> (Vec<(u64, String)>, Vec<u64>) {
    let mut r = Reader::open_salvage(path).unwrap();
    let mut all = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        all.push((rec.seq, rec.type_name.to_string()));
    }
    let mut r = Reader::open_salvage(path).unwrap();
    r.filter_types(&[only]);
    let mut some = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        some.push(rec.seq);
    }
    (all, some)
}

fn types_of(recs: &[(u64, String)], seqs: &[u64]) -> Vec<String> {
    seqs.iter()
        .map(|s| recs.iter().find(|(q, _)| q == s).unwrap().1.clone())
        .collect()
}

/// Sealed, the record defining "quote" damaged: the seal names it (the
/// old reader said `<lost type 2>` and a filter on "quote" found nothing).
/// Without a seal, or with a seal whose table names an intact record's
/// type otherwise, the type stays unknown.
#[test]
fn a_skipping_reader_names_a_lost_type_from_the_seal_when_it_can() {
    let t = TempDir::new("seal-names");
    let seg = t.join("s.binlog");
    segment(&seg, ["order", "trade", "quote"], true);
    damage_definition(&seg);
    let (all, quotes) = read(&seg, "quote");
    assert_eq!(
        all.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![0, 1, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(types_of(&all, &[5, 8]), vec!["quote", "quote"], "{all:?}");
    assert_eq!(quotes, vec![5, 8]);

    // No seal: nothing to name it from.
    let open = t.join("u.binlog");
    segment(&open, ["order", "trade", "quote"], false);
    damage_definition(&open);
    let (all, _) = read(&open, "quote");
    assert_eq!(types_of(&all, &[5, 8]), vec!["<lost type 2>"; 2]);

    // A seal (every CRC valid) whose table calls type 0 "ordex", where an
    // intact record defines it as "order": its names are not used.
    let other = t.join("other.binlog");
    segment(&other, ["ordex", "trade", "quote"], true);
    let spliced = t.join("spliced.binlog");
    segment(&spliced, ["order", "trade", "quote"], true);
    let end = Reader::open(&spliced).unwrap().seal().unwrap().records_end as usize;
    let mut bytes = std::fs::read(&spliced).unwrap();
    bytes.truncate(end);
    bytes.extend_from_slice(&std::fs::read(&other).unwrap()[end..]);
    std::fs::write(&spliced, bytes).unwrap();
    damage_definition(&spliced);
    let (all, quotes) = read(&spliced, "quote");
    assert_eq!(types_of(&all, &[5, 8]), vec!["<lost type 2>"; 2]);
    assert_eq!(quotes, Vec::<u64>::new());
}

/// The seal's trailer, or its SEAL_BEGIN frame, damaged as well: the
/// directory frame (and its type table) survives and names the type.
#[test]
fn a_surviving_seal_directory_names_a_lost_type() {
    let t = TempDir::new("dir-names");
    for part in ["trailer", "seal-begin"] {
        let seg = t.join(&format!("{part}.binlog"));
        segment(&seg, ["order", "trade", "quote"], true);
        let end = Reader::open(&seg).unwrap().seal().unwrap().records_end;
        let len = std::fs::metadata(&seg).unwrap().len();
        damage_definition(&seg);
        flip_byte(
            &seg,
            if part == "trailer" {
                len - 30
            } else {
                end + 10
            },
        );
        assert!(
            Reader::open(&seg).unwrap().seal().is_none(),
            "{part}: the seal is unreadable"
        );
        let (all, quotes) = read(&seg, "quote");
        assert_eq!(types_of(&all, &[5, 8]), vec!["quote"; 2], "{part}: {all:?}");
        assert_eq!(quotes, vec![5, 8], "{part}");
    }
}
