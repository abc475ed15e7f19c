//! Makes the conformance corpus (tests/conformance/): damaged and tricky
//! segments, written with the library's writer and then edited byte by
//! byte, and `expected.tsv`, how docs/FORMAT.md says a reader classifies
//! each of them. Every expectation below is worked out from the rule its
//! comment names and from the offsets of the edit, never read back from a
//! reader. `cargo run --example make_conformance_corpus [DIR]` writes them
//! to DIR (tests/conformance by default); `cli/tests/it/conformance.rs` makes them
//! again in a temporary directory and checks they are the files checked in.

use binlog::compressed::{compress_segment_with_copies, TypeCopies};
use binlog::CompressOptions;
use binlog::{Durability, Options, Writer};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "make_conformance_corpus/remote.rs"]
mod remote;

/// Timestamps and creation time are fixed, so that the files are the same
/// on every run.
const T0: i64 = 1_700_000_000_000_000_000;
const RECORDS: u64 = 12;
const TRAILER_LEN: u64 = 32;

#[allow(dead_code)]
fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("tests/conformance"));
    generate(&dir);
    println!("conformance corpus written to {}", dir.display());
}

/// Where each record of the base segment is: (offset, frame length).
struct Layout {
    header_len: u64,
    frames: Vec<(u64, u64)>,
    records_end: u64,
}

impl Layout {
    fn at(&self, seq: u64) -> u64 {
        self.frames[(seq - 1) as usize].0
    }
    fn len(&self, seq: u64) -> u64 {
        self.frames[(seq - 1) as usize].1
    }
}

/// One line of expected.tsv: how a reader reading `path` in `mode` ends.
struct Expect {
    case: String,
    path: String,
    mode: &'static str,
    filter: &'static str,
    /// Sequence numbers of the records returned, in order.
    seqs: Vec<u64>,
    end: String,
    damages: Vec<(u64, u64, u64, u64)>,
    /// Sequence numbers `[from, to)` missing, and why (`GapReason::name`).
    gaps: Vec<(u64, u64, &'static str)>,
}

struct Corpus {
    dir: PathBuf,
    lines: Vec<Expect>,
}

impl Corpus {
    fn file(&self, name: &str, bytes: &[u8]) {
        fs::write(self.dir.join(name), bytes).unwrap();
    }

    /// `bytes` as `<case>.binlog`, which every read refuses with `end`.
    fn refused(&mut self, case: &str, bytes: &[u8], end: &str) {
        let file = format!("{case}.binlog");
        self.file(&file, bytes);
        self.expect_both(case, &file, [], end, &[]);
    }

    /// The same expectation for a plain and a salvaging read.
    fn expect_both(
        &mut self,
        case: &str,
        path: &str,
        seqs: impl IntoIterator<Item = u64> + Clone,
        end: impl Into<String>,
        damages: &[(u64, u64, u64, u64)],
    ) {
        let end = end.into();
        for mode in ["open", "salvage"] {
            self.expect(case, path, mode, seqs.clone(), end.clone(), damages);
        }
    }

    fn expect(
        &mut self,
        case: &str,
        path: &str,
        mode: &'static str,
        seqs: impl IntoIterator<Item = u64>,
        end: impl Into<String>,
        damages: &[(u64, u64, u64, u64)],
    ) {
        self.lines.push(Expect {
            case: case.into(),
            path: path.into(),
            mode,
            filter: "-",
            seqs: seqs.into_iter().collect(),
            end: end.into(),
            damages: damages.to_vec(),
            gaps: Vec::new(),
        });
    }
}

fn options() -> Options {
    Options {
        log_name: "conformance".into(),
        content_type: "text/plain".into(),
        durability: Durability::None,
        created_ns: Some(T0),
        writer_version: "libbinlog/conformance".into(),
        first_seq: 1,
        sparse_interval: 128,
        ..Options::default()
    }
}

/// The type of record `seq`: mostly `trade`, every fourth `quote`, the
/// 7th and 11th `rare` (a type that gets a type copy when compressed).
fn type_of(seq: u64) -> &'static str {
    match seq {
        7 | 11 => "rare",
        s if s % 4 == 0 => "quote",
        _ => "trade",
    }
}

fn payload(seq: u64) -> Vec<u8> {
    let len = 20 + (seq * 7) % 31;
    (0..len).map(|i| b'a' + ((seq + i) % 26) as u8).collect()
}

/// Writes records `first..first + n` to a new sealed segment at `path`.
fn write_segment(path: &Path, opts: Options, first: u64, n: u64) {
    let _ = fs::remove_file(path);
    let w = Writer::open(path, opts).unwrap();
    for seq in first..first + n {
        let ts = T0 + seq as i64 * 1_000_000;
        let got = w
            .write_with(type_of(seq), &[], Some(ts), &payload(seq))
            .unwrap();
        assert_eq!(got, seq);
    }
    w.close().unwrap();
}

/// The offsets of the base segment's records, found by walking its frames'
/// lengths (section 6) from the header's length (section 5).
fn layout(bytes: &[u8]) -> Layout {
    layout_of(bytes, RECORDS)
}

/// The offsets of the `records` records of a segment.
fn layout_of(bytes: &[u8], records: u64) -> Layout {
    let u32_at = |p: u64| u32::from_le_bytes(bytes[p as usize..p as usize + 4].try_into().unwrap());
    let header_len = u32_at(12) as u64;
    let mut frames = Vec::new();
    let mut p = header_len;
    for _ in 0..records {
        let len = 8 + u32_at(p) as u64;
        frames.push((p, len));
        p += len;
    }
    Layout {
        header_len,
        frames,
        records_end: p,
    }
}

/// `bytes` with the lowest bit of the byte at `at` flipped.
fn flipped(bytes: &[u8], at: u64) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at as usize] ^= 0x01;
    out
}

/// The length of `bytes` less the zero bytes that end it.
fn nonzero_end(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i as u64 + 1)
}

/// Sets the record frame at `at`'s sequence number to `seq` and its CRC
/// to match (a record the writer could have written so).
fn renumber(bytes: &mut [u8], at: u64, seq: u64) {
    let at = at as usize;
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    bytes[at + 9..at + 17].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32fast::hash(&bytes[at + 8..at + 8 + len]);
    bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
}

fn header_crc(bytes: &mut [u8], header_len: usize) {
    let crc = crc32fast::hash(&bytes[..header_len - 4]);
    bytes[header_len - 4..header_len].copy_from_slice(&crc.to_le_bytes());
}

/// Writes the corpus and its expectations to `dir`.
pub fn generate(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let scratch = dir.join("base.binlog.tmp");
    write_segment(&scratch, options(), 1, RECORDS);
    let sealed = fs::read(&scratch).unwrap();
    fs::remove_file(&scratch).unwrap();
    let l = layout(&sealed);
    let mut c = Corpus {
        dir: dir.to_path_buf(),
        lines: Vec::new(),
    };
    plain_cases(&mut c, &sealed, &l);
    header_cases(&mut c, &sealed, &l);
    compressed_cases(&mut c, &sealed, &l);
    log_cases(&mut c);
    write_expectations(&c);
    remote::remote_cases(dir);
}

fn all() -> std::ops::RangeInclusive<u64> {
    1..=RECORDS
}

/// Segments whose records or seal are damaged (sections 8 to 10).
fn plain_cases(c: &mut Corpus, sealed: &[u8], l: &Layout) {
    let end = l.records_end;
    let unsealed = &sealed[..end as usize];
    c.file("sealed.binlog", sealed);
    c.expect("sealed", "sealed.binlog", "open", all(), "sealed", &[]);
    c.file("unsealed.binlog", unsealed);
    c.expect(
        "unsealed",
        "unsealed.binlog",
        "open",
        all(),
        "unsealed",
        &[],
    );

    // Torn tails (10.1 item 4, no q): the last record cut 3 bytes into its
    // head, 12 bytes in (its seq cut), and 1 byte short of its end.
    let last = l.at(RECORDS);
    // The torn tail's length stops at the last byte that is not zero.
    for (name, keep) in [
        ("torn-head", 3),
        ("torn-body", 12),
        ("torn-last-byte", l.len(RECORDS) - 1),
    ] {
        let file = format!("{name}.binlog");
        let bytes = &sealed[..(last + keep) as usize];
        c.file(&file, bytes);
        let torn = format!("torn@{last}+{}", nonzero_end(bytes) - last);
        c.expect_both(name, &file, 1..RECORDS, torn, &[]);
    }

    // Prepared space (10.1): zeros after the last record are its end.
    let mut zeros = unsealed.to_vec();
    zeros.resize(unsealed.len() + 4096, 0);
    c.file("zero-tail.binlog", &zeros);
    c.expect_both("zero-tail", "zero-tail.binlog", all(), "unsealed", &[]);

    // Stale copies of records 3..5 after a torn write of record 12: no
    // candidate continues the numbers (10.2 item 3), so a torn tail up to
    // the end of the file.
    let mut stale = sealed[..(last + 20) as usize].to_vec();
    stale.extend_from_slice(&sealed[l.at(3) as usize..l.at(6) as usize]);
    c.file("stale-after-torn.binlog", &stale);
    let torn = format!("torn@{last}+{}", stale.len() as u64 - last);
    c.expect_both(
        "stale-after-torn",
        "stale-after-torn.binlog",
        1..RECORDS,
        torn,
        &[],
    );

    // Stale copies right after the last record: a valid frame whose seq is
    // below next_seq is corruption (10.1 item 2), to a skipping reader too.
    let mut stale = unsealed.to_vec();
    stale.extend_from_slice(&sealed[l.at(3) as usize..l.at(6) as usize]);
    c.file("stale-after-end.binlog", &stale);
    c.expect(
        "stale-after-end",
        "stale-after-end.binlog",
        "open",
        all(),
        format!("error:CORRUPT@{end}"),
        &[],
    );
    // Skipping it, the copies are a damaged region to the end of the file
    // (10.1 item 4: never a torn tail), and no record is lost.
    let stale_end = stale.len() as u64;
    c.expect(
        "stale-after-end",
        "stale-after-end.binlog",
        "salvage",
        all(),
        "unsealed",
        &[(end, stale_end, 13, 13)],
    );

    // The last record's frame appended twice: the same as a stale copy.
    let mut twice = unsealed.to_vec();
    twice.extend_from_slice(&sealed[last as usize..end as usize]);
    c.file("last-record-twice.binlog", &twice);
    c.expect(
        "last-record-twice",
        "last-record-twice.binlog",
        "open",
        all(),
        format!("error:CORRUPT@{end}"),
        &[],
    );
    c.expect(
        "last-record-twice",
        "last-record-twice.binlog",
        "salvage",
        all(),
        "unsealed",
        &[(end, end + l.len(RECORDS), 13, 13)],
    );

    // Record 5's frame written twice in a row, in a sealed segment: the
    // copy (seq 5 < 6) is corruption; skipping it, the search from inside it
    // finds record 6 right after it: its bytes are lost, no number is.
    let (p5, n5) = (l.at(5) as usize, l.len(5) as usize);
    let mut dup = unsealed[..p5 + n5].to_vec();
    dup.extend_from_slice(&unsealed[p5..]);
    c.file("record-twice-unsealed.binlog", &dup);
    let copy = (p5 + n5) as u64;
    c.expect(
        "record-twice",
        "record-twice-unsealed.binlog",
        "open",
        1..=5,
        format!("error:CORRUPT@{copy}"),
        &[],
    );
    let skipped = [(copy, copy + n5 as u64, 6, 6)];
    c.expect(
        "record-twice",
        "record-twice-unsealed.binlog",
        "salvage",
        all(),
        "unsealed",
        &skipped,
    );

    // A bit flipped in record 5's payload (CRC mismatch), sealed and
    // unsealed: corruption in the middle, record 6 resumes (10.2, 10.3).
    let (p5, p6) = (l.at(5), l.at(6));
    let mut flip = sealed.to_vec();
    flip[(p6 - 3) as usize] ^= 0x01;
    for (name, bytes, tail) in [
        ("bitflip-sealed", &flip[..], "sealed"),
        ("bitflip-unsealed", &flip[..end as usize], "unsealed"),
    ] {
        let file = format!("{name}.binlog");
        c.file(&file, bytes);
        c.expect(
            name,
            &file,
            "open",
            1..=4,
            format!("error:CORRUPT@{p5}"),
            &[],
        );
        let seqs = (1..=4).chain(6..=RECORDS);
        c.expect(name, &file, "salvage", seqs, tail, &[(p5, p6, 5, 6)]);
    }

    // Record 6 carries seq 5 with its CRC right (10.1 item 2: seq <
    // next_seq); skipping, the search from inside it finds record 7.
    let mut dup = sealed.to_vec();
    renumber(&mut dup, l.at(6), 5);
    c.file("seq-repeated.binlog", &dup);
    let (p6, p7) = (l.at(6), l.at(7));
    c.expect(
        "seq-repeated",
        "seq-repeated.binlog",
        "open",
        1..=5,
        format!("error:CORRUPT@{p6}"),
        &[],
    );
    let seqs = (1..=5).chain(7..=RECORDS);
    c.expect(
        "seq-repeated",
        "seq-repeated.binlog",
        "salvage",
        seqs,
        "sealed",
        &[(p6, p7, 6, 7)],
    );

    // The last record of an unsealed segment numbered 15 with its CRC
    // right: corruption; a skipping reader loses 12..15 without bytes (10.3).
    let mut jump = unsealed.to_vec();
    renumber(&mut jump, last, 15);
    c.file("seq-jump.binlog", &jump);
    c.expect(
        "seq-jump",
        "seq-jump.binlog",
        "open",
        1..RECORDS,
        format!("error:CORRUPT@{last}"),
        &[],
    );
    let seqs = (1..RECORDS).chain([15]);
    c.expect(
        "seq-jump",
        "seq-jump.binlog",
        "salvage",
        seqs,
        "unsealed",
        &[(last, last, 12, 15)],
    );

    seal_cases(c, sealed, l);
}

/// Damaged seals (sections 8, 9 and 10.1 item 3): the records are whole,
/// the end is `SealDamaged` where they end.
fn seal_cases(c: &mut Corpus, sealed: &[u8], l: &Layout) {
    let end = l.records_end;
    let len = sealed.len();
    let trailer = len - TRAILER_LEN as usize;
    let damaged = format!("seal-damaged@{end}");
    // The SEAL_BEGIN frame's count: trailer and directory intact, so the
    // seal bounds the records (section 9).
    let mut b = sealed.to_vec();
    b[(end + 10) as usize] ^= 0x01;
    // The directory (a byte of its body): no usable or bounding seal; the
    // scan meets the SEAL_BEGIN frame, whose count is right (item 3).
    let mut d = sealed.to_vec();
    d[trailer - 20] ^= 0x01;
    // The trailer's CRC: the same.
    let mut t = sealed.to_vec();
    t[trailer + 20] ^= 0x01;
    // The seal cut in its directory (a writer that died sealing it).
    let cut = &sealed[..(trailer - 10)];
    for (name, bytes) in [
        ("seal-begin-damaged", &b[..]),
        ("seal-dir-damaged", &d[..]),
        ("seal-trailer-damaged", &t[..]),
        ("seal-cut", cut),
    ] {
        let file = format!("{name}.binlog");
        c.file(&file, bytes);
        c.expect_both(name, &file, all(), damaged.clone(), &[]);
    }
    // Records followed by the trailer alone: no seal (section 9 check 2),
    // and 32 bytes that are no frame: a torn tail.
    let mut only = sealed[..end as usize].to_vec();
    only.extend_from_slice(&sealed[trailer..]);
    c.file("trailer-only.binlog", &only);
    let torn = format!("torn@{end}+{TRAILER_LEN}");
    c.expect_both("trailer-only", "trailer-only.binlog", all(), torn, &[]);
}

/// Files whose first bytes are not a sound header (sections 3 to 5, 10.5).
fn header_cases(c: &mut Corpus, sealed: &[u8], l: &Layout) {
    // 0 bytes are a prefix of the magic (section 3).
    c.refused("empty", &[], "error:TRUNCATED@0");
    // Truncated names the offset where the file ends.
    c.refused("header-cut", &sealed[..30], "error:TRUNCATED@30");
    let mut magic = sealed.to_vec();
    magic[1] ^= 0x20;
    c.refused("magic-damaged", &magic, "error:NOT_A_BINLOG@0");
    // A flipped bit in the log name: CorruptHeader; salvage finds record 1
    // right after the header (10.5) and reads the sealed segment.
    let mut name = sealed.to_vec();
    name[47] ^= 0x01;
    c.file("header-crc.binlog", &name);
    // The CRC that fails names its own offset (section 5 step 5).
    let h = l.header_len;
    let crc = format!("error:CORRUPT_HEADER@{}", h - 4);
    c.expect("header-crc", "header-crc.binlog", "open", [], crc, &[]);
    c.expect(
        "header-crc",
        "header-crc.binlog",
        "salvage",
        all(),
        "sealed",
        &[(0, h, 1, 1)],
    );
    // Another major: refused before anything else (section 4).
    let mut major = sealed.to_vec();
    major[8] = 2;
    c.refused("major-2", &major, "error:UNSUPPORTED_VERSION@8");
    // A later minor with a field added before the CRC: read as 1.0.
    c.file("minor-9.binlog", &minor_9(sealed, l));
    c.expect("minor-9", "minor-9.binlog", "open", all(), "unsealed", &[]);
}

/// The unsealed segment as a 1.9 writer would have written it: 4 more
/// header bytes (a field 1.0 does not know), the records after them.
fn minor_9(sealed: &[u8], l: &Layout) -> Vec<u8> {
    let h = l.header_len as usize;
    let mut out = sealed[..h - 4].to_vec();
    out[10] = 9;
    out.extend_from_slice(&[1, 2, 3, 4, 0, 0, 0, 0]);
    let new_len = (h + 4) as u32;
    out[12..16].copy_from_slice(&new_len.to_le_bytes());
    header_crc(&mut out, h + 4);
    out.extend_from_slice(&sealed[h..l.records_end as usize]);
    out
}

/// The compressed segment's seek table: where each frame is in the file
/// and in the original bytes.
struct Table {
    /// (compressed offset, compressed size, original offset, original size)
    frames: Vec<(u64, u64, u64, u64)>,
    table_at: u64,
}

fn seek_table(zst: &[u8]) -> Table {
    let n = zst.len();
    let u32_at = |p: usize| u32::from_le_bytes(zst[p..p + 4].try_into().unwrap()) as u64;
    let count = u32_at(n - 9);
    let entry = if zst[n - 5] & 0x80 != 0 { 12 } else { 8 };
    let entries_at = n - 9 - (entry * count as usize);
    let mut frames = Vec::new();
    let (mut c, mut o) = (0, 0);
    for i in 0..count as usize {
        let at = entries_at + i * entry;
        let (cs, ds) = (u32_at(at), u32_at(at + 4));
        frames.push((c, cs, o, ds));
        c += cs;
        o += ds;
    }
    Table {
        frames,
        table_at: c,
    }
}

/// Compressed segments (section 17), frames of 128 original bytes.
fn compressed_cases(c: &mut Corpus, sealed: &[u8], l: &Layout) {
    let scratch = c.dir.join("compressed.binlog");
    fs::write(&scratch, sealed).unwrap();
    let opts = CompressOptions {
        level: 3,
        frame_size: 128,
    };
    let copies = TypeCopies {
        max_share: 0.4,
        min_spread: 0,
    };
    compress_segment_with_copies(&scratch, &opts, &copies, |_| {}).unwrap();
    let zst = fs::read(c.dir.join("compressed.binlog.zst")).unwrap();
    let t = seek_table(&zst);
    c.expect(
        "compressed",
        "compressed.binlog.zst",
        "open",
        all(),
        "sealed",
        &[],
    );
    let rare: Vec<u64> = all().filter(|s| type_of(*s) == "rare").collect();
    c.lines.push(Expect {
        filter: "rare",
        ..expect_line(
            "compressed-rare",
            "compressed.binlog.zst",
            "open",
            rare.clone(),
            "sealed",
        )
    });

    // The type copy's zstd frame damaged: the copy is not used, the same
    // records come from the main frames (17.5).
    let copy = t.frames.iter().find(|f| f.3 == 0).expect("a type copy");
    c.file(
        "copy-damaged.binlog.zst",
        &flipped(&zst, copy.0 + copy.1 - 2),
    );
    c.expect(
        "copy-damaged",
        "copy-damaged.binlog.zst",
        "open",
        all(),
        "sealed",
        &[],
    );
    c.lines.push(Expect {
        filter: "rare",
        ..expect_line(
            "copy-damaged-rare",
            "copy-damaged.binlog.zst",
            "open",
            rare,
            "sealed",
        )
    });
    compressed_damage_cases(c, &zst, &t, l);
}

fn expect_line(case: &str, path: &str, mode: &'static str, seqs: Vec<u64>, end: &str) -> Expect {
    Expect {
        case: case.into(),
        path: path.into(),
        mode,
        filter: "-",
        seqs,
        end: end.into(),
        damages: Vec::new(),
        gaps: Vec::new(),
    }
}

/// Compressed segments whose frames or seek table are damaged (17.1, 17.3a).
fn compressed_damage_cases(c: &mut Corpus, zst: &[u8], t: &Table, l: &Layout) {
    // The footer: its last 9 bytes (17.1); errors about it name its start.
    let footer = zst.len() - 9;
    // The seek table lost: the file ends where the frames end. Every frame
    // is whole, so the original bytes are whole: the sealed segment.
    let lost = &zst[..t.table_at as usize];
    c.file("seek-table-lost.binlog.zst", lost);
    c.expect(
        "seek-table-lost",
        "seek-table-lost.binlog.zst",
        "open",
        [],
        format!("error:COMPRESSED_TRUNCATED@{}", t.table_at),
        &[],
    );
    c.expect(
        "seek-table-lost",
        "seek-table-lost.binlog.zst",
        "salvage",
        all(),
        "sealed",
        &[],
    );
    // A reserved bit of the footer's descriptor set.
    let mut foot = zst.to_vec();
    foot[footer + 4] |= 0x04;
    c.file("seek-table-footer.binlog.zst", &foot);
    c.expect(
        "seek-table-footer",
        "seek-table-footer.binlog.zst",
        "open",
        [],
        format!("error:CORRUPT_SEEK_TABLE@{footer}"),
        &[],
    );
    c.expect(
        "seek-table-footer",
        "seek-table-footer.binlog.zst",
        "salvage",
        all(),
        "sealed",
        &[],
    );

    // The frame holding records 5..: errors about it name its offset in
    // the compressed file (18.2). The records of a damaged frame are the
    // bytes zstd yields for it before it fails, each checked by its CRC
    // (17.3a): a frame whose magic number is gone is no zstd frame
    // (CORRUPT_SEEK_TABLE, 17.1) and yields none, so its records are lost
    // up to the first intact record after it.
    let f = *t
        .frames
        .iter()
        .find(|f| f.2 <= l.at(5) && l.at(5) < f.2 + f.3)
        .unwrap();
    let first_in = l.frames.iter().position(|r| r.0 + r.1 > f.2).unwrap() as u64 + 1;
    let after = l.frames.iter().position(|r| r.0 >= f.2 + f.3).unwrap() as u64 + 1;
    let (p, q) = (l.at(first_in), l.at(after));
    let failed = format!("error:CORRUPT_FRAME@{}", f.0);
    let mut garbled = zst.to_vec();
    garbled[f.0 as usize..f.0 as usize + 4].copy_from_slice(b"XXXX");
    c.file("frame-garbled.binlog.zst", &garbled);
    let no_frame = format!("error:CORRUPT_SEEK_TABLE@{}", f.0);
    c.expect(
        "frame-garbled",
        "frame-garbled.binlog.zst",
        "open",
        1..first_in,
        no_frame,
        &[],
    );
    let seqs = (1..first_in).chain(after..=RECORDS);
    c.expect(
        "frame-garbled",
        "frame-garbled.binlog.zst",
        "salvage",
        seqs,
        "sealed",
        &[(p, q, first_in, after)],
    );
    // Its content checksum (its last byte) flipped: every byte decodes
    // and every record passes its checks, so they are all read; the
    // frame's failure is met where the reader leaves it, at q. Skipping,
    // that is a region of no bytes and no records.
    c.file("frame-checksum.binlog.zst", &flipped(zst, f.0 + f.1 - 1));
    c.expect(
        "frame-checksum",
        "frame-checksum.binlog.zst",
        "open",
        1..after,
        failed.clone(),
        &[],
    );
    // Read by type through the seal's offsets (section 11): a type with
    // records in the frame meets its failure where it leaves the frame for
    // its next record; one without records there never reads the frame.
    let in_frame = |ty: &str| all().any(|s| s >= first_in && s < after && type_of(s) == ty);
    for ty in ["trade", "quote"] {
        let of_type = all().filter(|&s| type_of(s) == ty);
        let (seqs, end) = match in_frame(ty) {
            true => (of_type.take_while(|&s| s < after).collect(), failed.clone()),
            false => (of_type.collect(), "sealed".to_string()),
        };
        c.lines.push(Expect {
            filter: ty,
            ..expect_line(
                "frame-checksum-type",
                "frame-checksum.binlog.zst",
                "open",
                seqs,
                &end,
            )
        });
    }
    c.expect(
        "frame-checksum",
        "frame-checksum.binlog.zst",
        "salvage",
        all(),
        "sealed",
        &[(q, q, after, after)],
    );

    // The file cut inside that frame: the frames before it are whole, and
    // hold records up to first_in - 1; no seal survives.
    let cut = &zst[..(f.0 + f.1 / 2) as usize];
    c.file("cut-in-records.binlog.zst", cut);
    c.expect(
        "cut-in-records",
        "cut-in-records.binlog.zst",
        "open",
        [],
        format!("error:COMPRESSED_TRUNCATED@{}", cut.len()),
        &[],
    );
    c.expect(
        "cut-in-records",
        "cut-in-records.binlog.zst",
        "salvage",
        1..first_in,
        format!("seal-damaged@{p}"),
        &[],
    );

    // The SEAL_BEGIN frame's content checksum (its last byte) flipped: its
    // bytes decode and pass their CRC, but a read that reaches the frame's
    // end meets its failure (17.3a), as for a frame that does not
    // decompress: a plain open fails there; a salvage has no seal (it ends
    // seal-damaged where the records end) and the frame is a damaged
    // region that holds no record.
    let s = *t
        .frames
        .iter()
        .find(|f| f.2 == l.records_end && f.3 > 0)
        .unwrap();
    let seal_frame = "seal-frame-checksum.binlog.zst";
    c.file(seal_frame, &flipped(zst, s.0 + s.1 - 1));
    let failed = format!("error:CORRUPT_FRAME@{}", s.0);
    c.expect("seal-frame-checksum", seal_frame, "open", [], failed, &[]);
    let lost = (s.2, s.2 + s.3, RECORDS + 1, RECORDS + 1);
    let end = format!("seal-damaged@{}", l.records_end);
    c.expect(
        "seal-frame-checksum",
        seal_frame,
        "salvage",
        all(),
        end,
        &[lost],
    );
}

/// Log directories (section 14a): a segment missing from the middle (its
/// number skipped: `missing`), and segments numbered without a gap whose
/// sequence numbers skip 5..7 (a segment's records lost: `seq-jump`).
/// Either way the reader reads on and reports the numbers missing as a
/// gap, with that reason.
fn log_cases(c: &mut Corpus) {
    let missing = [(0u64, 1u64), (2, 9)];
    log_dir(
        c,
        "log-gap",
        &missing,
        (1..=4).chain(9..=12),
        (5, 9, "missing"),
    );
    let skipping = [(0u64, 1u64), (1, 7)];
    log_dir(
        c,
        "log-seq-gap",
        &skipping,
        (1..=4).chain(7..=10),
        (5, 7, "seq-jump"),
    );
}

/// A log `conformance` in `name`: 4 records in each (segment number,
/// first seq) of `segments`, read as `seqs` with the gap `gap`.
fn log_dir(
    c: &mut Corpus,
    name: &str,
    segments: &[(u64, u64)],
    seqs: impl Iterator<Item = u64>,
    gap: (u64, u64, &'static str),
) {
    let dir = c.dir.join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for &(no, first) in segments {
        let file = format!("conformance-{no:020}-20231114T221320Z.binlog");
        let opts = Options {
            segment_no: no,
            first_seq: first,
            ..options()
        };
        write_segment(&dir.join(&file), opts, first, 4);
    }
    c.lines.push(Expect {
        gaps: vec![gap],
        ..expect_line(name, name, "log", seqs.collect(), "sealed")
    });
}

fn list(seqs: &[u64]) -> String {
    if seqs.is_empty() {
        return "-".into();
    }
    let mut out = String::new();
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i;
        while j + 1 < seqs.len() && seqs[j + 1] == seqs[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        let _ = write!(out, "{}-{}", seqs[i], seqs[j]);
        i = j + 1;
    }
    out
}

fn write_expectations(c: &Corpus) {
    let mut out = String::from(
        "# case\tpath\tmode\tfilter\trecords\tend\tdamages\tgaps\n\
         # Written by examples/make_conformance_corpus.rs; see README.md.\n",
    );
    for e in &c.lines {
        let damages = if e.damages.is_empty() {
            "-".to_string()
        } else {
            let d: Vec<String> = e
                .damages
                .iter()
                .map(|d| format!("{}-{}:{}-{}", d.0, d.1, d.2, d.3))
                .collect();
            d.join(",")
        };
        let gaps = if e.gaps.is_empty() {
            "-".to_string()
        } else {
            let g: Vec<String> = e
                .gaps
                .iter()
                .map(|g| format!("{}-{}:{}", g.0, g.1, g.2))
                .collect();
            g.join(",")
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            e.case,
            e.path,
            e.mode,
            e.filter,
            list(&e.seqs),
            e.end,
            damages,
            gaps
        );
    }
    fs::write(c.dir.join("expected.tsv"), out).unwrap();
}
