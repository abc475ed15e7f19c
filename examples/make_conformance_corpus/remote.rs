//! Section 18's cases: log `conformance` (remote/log/: segment 0 plain,
//! segment 1 compressed, segment 2 plain, 4 records each) shipped to a
//! bucket by the library's shipper, then edited there as each case's file
//! (remote/CASE.case) says; `expected-remote.tsv` says how a log reader of
//! the bucket (and the local directory, for the segments kept there) reads
//! it. As for the other cases, each expectation comes from the edit's
//! offsets and the rule of FORMAT.md 18 its comment names.

use super::{layout_of, list, options, seek_table, write_segment, Layout, Table};
use binlog::compressed::{compress_segment_with_copies, TypeCopies};
use binlog::CompressOptions;
use binlog::Options;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// Records per segment.
const PER: u64 = 4;

/// One object of the bucket: its name under `<prefix>/conformance/`.
struct Object {
    name: String,
    /// Its name if it were plain (how a gap names a missing object, 18.2a).
    plain_name: String,
    /// Its size in the bucket.
    len: u64,
    first: u64,
    /// Where its records are, in its original (plain) bytes.
    layout: Layout,
}

impl Object {
    fn new(no: u64, first: u64, compressed: bool, len: u64, layout: Layout) -> Object {
        let name = |zst: bool| {
            let ext = if zst { ".zst" } else { "" };
            format!("{no:020}-{first:020}.binlog{ext}")
        };
        Object {
            name: name(compressed),
            plain_name: name(false),
            len,
            first,
            layout,
        }
    }

    /// Where record `seq` of this segment starts.
    fn at(&self, seq: u64) -> u64 {
        self.layout.frames[(seq - self.first) as usize].0
    }

    /// Where record `seq` of this segment ends.
    fn end_of(&self, seq: u64) -> u64 {
        let (at, len) = self.layout.frames[(seq - self.first) as usize];
        at + len
    }

    /// The sequence number after its last record.
    fn next_seq(&self) -> u64 {
        self.first + PER
    }
}

/// One line of expected-remote.tsv (columns as expected.tsv's; objects
/// named by their names under `<prefix>/conformance/`).
struct Line {
    case: &'static str,
    mode: &'static str,
    seqs: Vec<u64>,
    end: String,
    damages: Vec<String>,
    gaps: Vec<String>,
}

/// A line of `mode` (its case set by the caller).
fn line(
    mode: &'static str,
    seqs: Vec<u64>,
    end: impl Into<String>,
    damages: Vec<String>,
    gaps: Vec<String>,
) -> Line {
    Line {
        case: "",
        mode,
        seqs,
        end: end.into(),
        damages,
        gaps,
    }
}

/// The lines of a case whose object `o` is damaged: a read stopping at
/// damage returns `read` and fails with `Corrupt` at `error_at`; one
/// skipping damage returns `skipping`, ends `end`, and skips `region`.
fn damaged(
    o: &Object,
    error_at: u64,
    read: Vec<u64>,
    skipping: Vec<u64>,
    end: impl Into<String>,
    region: String,
) -> Vec<Line> {
    let error = format!("error:CORRUPT@{error_at}:{}", o.name);
    vec![
        line("remote", read, error, vec![], vec![]),
        line("remote-salvage", skipping, end, vec![region], vec![]),
    ]
}

/// A damaged region of `o`: bytes `[at, resume)`, records `[from, to)`.
fn damage(o: &Object, at: u64, resume: u64, from: u64, to: u64) -> String {
    format!("{}:{at}-{resume}:{from}-{to}", o.name)
}

/// Every record of the log but those in `lost`.
fn all_but(lost: std::ops::Range<u64>) -> Vec<u64> {
    (1..=3 * PER).filter(|s| !lost.contains(s)).collect()
}

/// Writes remote/ and expected-remote.tsv to `dir`.
pub fn remote_cases(dir: &Path) {
    let root = dir.join("remote");
    let _ = fs::remove_dir_all(&root);
    let objects = write_log(&root.join("log"));
    let [o0, o1, o2] = &objects;
    let mut cases: Vec<(&'static str, String, Vec<Line>)> = Vec::new();
    let mut case = |name: &'static str, edits: String, mut lines: Vec<Line>| {
        for l in &mut lines {
            l.case = name;
        }
        cases.push((name, edits, lines));
    };
    let both = |seqs: Vec<u64>, end: &str, gaps: Vec<String>| {
        vec![
            line(
                "remote",
                seqs.clone(),
                end.to_string(),
                vec![],
                gaps.clone(),
            ),
            line("remote-salvage", seqs, end.to_string(), vec![], gaps),
        ]
    };
    let every = all_but(0..0);

    // Shipped as it is on disk, every local segment removed (18): the
    // same records, plain and compressed objects alike.
    case(
        "clean",
        "keep-local 0\n".into(),
        both(every.clone(), "sealed", vec![]),
    );
    // The newest segment kept locally: the bucket's, then the directory's.
    case(
        "tiered",
        "keep-local 1\n".into(),
        both(every.clone(), "sealed", vec![]),
    );

    // An object missing between two listed ones (18.1): a gap of reason
    // `missing` naming it by its plain key, the records it held (18.2a).
    let missing = |o: &Object| {
        vec![format!(
            "missing:{}:{}-{}",
            o.plain_name,
            o.first,
            o.next_seq()
        )]
    };
    let remove1 = format!("remove {}\n", o1.name);
    case(
        "missing",
        format!("keep-local 0\n{remove1}"),
        both(all_but(o1.first..o1.next_seq()), "sealed", missing(o1)),
    );
    // The same between the bucket and the segment kept locally.
    case(
        "missing-tiered",
        format!("keep-local 1\n{remove1}"),
        both(all_but(o1.first..o1.next_seq()), "sealed", missing(o1)),
    );
    // The oldest object gone: no segment is missing between two listed
    // ones, so there is no gap (18.1); the log starts further on.
    case(
        "oldest-removed",
        format!("keep-local 0\nremove {}\n", o0.name),
        both(all_but(o0.first..o0.next_seq()), "sealed", vec![]),
    );

    // A plain object cut inside record 3 (18.2): its size is not its
    // metadata's, so opening it fails naming the offset where the two
    // part (the cut), before any record; skipping damage, the records
    // before the cut are read and the rest of the object, from where the
    // cut record starts to its end, is one damaged region losing the
    // records its metadata says it held.
    let cut = o0.at(3) + 5;
    case(
        "cut-plain",
        format!("keep-local 0\ncut {} {cut}\n", o0.name),
        damaged(
            o0,
            cut,
            vec![],
            all_but(3..o0.next_seq()),
            "sealed",
            damage(o0, o0.at(3), cut, 3, o0.next_seq()),
        ),
    );

    // The compressed object cut inside the frame holding record 7: its
    // whole frames before the cut are read, and the region starts where
    // their records end (18.2) and ends where their bytes end.
    let t = zst_table(&root.join("log"));
    let f = t
        .frames
        .iter()
        .find(|f| f.2 <= o1.at(7) && o1.at(7) < f.2 + f.3)
        .copied()
        .unwrap();
    let cut = f.0 + f.1 / 2;
    let first_lost = (o1.first..o1.next_seq())
        .find(|&s| o1.end_of(s) > f.2)
        .unwrap();
    case(
        "cut-compressed",
        format!("keep-local 0\ncut {} {cut}\n", o1.name),
        damaged(
            o1,
            cut,
            (1..o1.first).collect(),
            all_but(first_lost..o1.next_seq()),
            "sealed",
            damage(o1, o1.at(first_lost), f.2, first_lost, o1.next_seq()),
        ),
    );

    // The newest object cut where its records end (its seal gone): a
    // shipped segment always has its seal, so this is damage too, never
    // an unsealed end (18.2). Every record is read; the region holds none,
    // and the log's end is the object's damaged seal.
    let end2 = o2.layout.records_end;
    case(
        "seal-cut",
        format!("keep-local 0\ncut {} {end2}\n", o2.name),
        damaged(
            o2,
            end2,
            (1..o2.first).collect(),
            every.clone(),
            format!("seal-damaged@{end2}"),
            damage(o2, end2, end2, o2.next_seq(), o2.next_seq()),
        ),
    );

    // A bit of record 2's body flipped, the size unchanged: read as the
    // file it was (sections 9 to 11), the damage naming the object.
    let at2 = o0.at(2);
    case(
        "bitflip",
        format!("keep-local 0\nflip {} {}\n", o0.name, at2 + 20),
        damaged(
            o0,
            at2,
            vec![1],
            all_but(2..3),
            "sealed",
            damage(o0, at2, o0.at(3), 2, 3),
        ),
    );

    // The newest object grown by 16 bytes: its size is not its
    // metadata's either, so opening it fails at the smaller of the two
    // (18.2); skipping damage, it reads as one cut short: every record,
    // then a region from where they end to the object's end, and a
    // damaged seal.
    let len2 = o2.len;
    case(
        "grown",
        format!("keep-local 0\ngrow {} 16\n", o2.name),
        damaged(
            o2,
            len2,
            (1..o2.first).collect(),
            every.clone(),
            format!("seal-damaged@{end2}"),
            damage(o2, end2, len2 + 16, o2.next_seq(), o2.next_seq()),
        ),
    );

    // An object renamed to a key whose first sequence number is not its
    // header's (18.1): refused (`WrongLog`, naming the header, offset 0),
    // as a renamed local segment is, skipping damage or not.
    let renamed = format!("{:020}-{:020}.binlog", 2, o2.first - 1);
    let wrong = format!("error:WRONG_LOG@0:{renamed}");
    case(
        "renamed",
        format!("keep-local 0\nrename {} {renamed}\n", o2.name),
        vec![
            line(
                "remote",
                (1..o2.first).collect(),
                wrong.clone(),
                vec![],
                vec![],
            ),
            line(
                "remote-salvage",
                (1..o2.first).collect(),
                wrong,
                vec![],
                vec![],
            ),
        ],
    );

    // `binlog cat` reads a bucket alone (every segment shipped and
    // removed locally); without `--skip-damaged`, it goes on with the next
    // segment after damage it cannot read past (docs/CLI.md).
    for (_, edits, lines) in cases.iter_mut() {
        if edits.starts_with("keep-local 0\n") {
            let cat = cat_line(&lines[0], &objects);
            lines.push(cat);
        }
    }
    write_cases(&root, &cases);
    write_expectations(dir, &cases);
}

/// What `binlog cat` reads where a log reader reads `remote`: the same,
/// then the records of the segments after the object its error names.
fn cat_line(remote: &Line, objects: &[Object]) -> Line {
    let mut seqs = remote.seqs.clone();
    let failed = objects
        .iter()
        .find(|o| remote.end.ends_with(&format!(":{}", o.name)));
    if let Some(o) = failed {
        seqs.extend(o.next_seq()..=3 * PER);
    }
    Line {
        case: remote.case,
        mode: "cat",
        seqs,
        end: remote.end.clone(),
        damages: remote.damages.clone(),
        gaps: remote.gaps.clone(),
    }
}

/// The seek table of the log's compressed segment (segment 1).
fn zst_table(log: &Path) -> Table {
    seek_table(&fs::read(log.join(local_name(1, true))).unwrap())
}

/// The file name of segment `no` in the log directory.
fn local_name(no: u64, compressed: bool) -> String {
    let ext = if compressed { ".zst" } else { "" };
    format!("conformance-{no:020}-20231114T221320Z.binlog{ext}")
}

/// The log: segments 0 to 2 of `PER` records from sequence number 1,
/// segment 1 compressed in frames of 128 original bytes.
fn write_log(log: &Path) -> [Object; 3] {
    fs::create_dir_all(log).unwrap();
    let mut out = Vec::new();
    for no in 0..3u64 {
        let first = 1 + no * PER;
        let path = log.join(local_name(no, false));
        let opts = Options {
            segment_no: no,
            first_seq: first,
            ..options()
        };
        write_segment(&path, opts, first, PER);
        let plain = fs::read(&path).unwrap();
        let layout = layout_of(&plain, PER);
        let compressed = no == 1;
        if compressed {
            let o = CompressOptions {
                level: 3,
                frame_size: 128,
            };
            compress_segment_with_copies(&path, &o, &TypeCopies::NONE, |_| {}).unwrap();
        }
        let len = fs::metadata(log.join(local_name(no, compressed)))
            .unwrap()
            .len();
        out.push(Object::new(no, first, compressed, len, layout));
    }
    out.try_into().ok().unwrap()
}

fn write_cases(root: &Path, cases: &[(&'static str, String, Vec<Line>)]) {
    for (name, edits, _) in cases {
        let text = format!(
            "# Ship remote/log (log `conformance`) keeping the newest N sealed segments\n\
             # locally, then edit its objects in the bucket (see ../README.md).\n{edits}"
        );
        fs::write(root.join(format!("{name}.case")), text).unwrap();
    }
}

fn write_expectations(dir: &Path, cases: &[(&'static str, String, Vec<Line>)]) {
    let mut out = String::from(
        "# case\tpath\tmode\tfilter\trecords\tend\tdamages\tgaps\n\
         # Written by examples/make_conformance_corpus/remote.rs; see README.md.\n",
    );
    let col = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(",")
        }
    };
    for (_, _, lines) in cases {
        for l in lines {
            let _ = writeln!(
                out,
                "{}\tremote/{}.case\t{}\t-\t{}\t{}\t{}\t{}",
                l.case,
                l.case,
                l.mode,
                list(&l.seqs),
                l.end,
                col(&l.damages),
                col(&l.gaps)
            );
        }
    }
    fs::write(dir.join("expected-remote.tsv"), out).unwrap();
}
