//! The conformance corpus's section 18 cases (tests/conformance/remote/,
//! expected-remote.tsv; README.md there), on a real S3-compatible server
//! (versitygw on 127.0.0.1, tests/it/common/s3.rs): each case's log is
//! shipped by the library's shipper and edited in the bucket as its file
//! says, then read by the tiered `LogReader` (and, with every segment in
//! the bucket, by the reader of the bucket alone), by `binlog cat` and
//! `binlog verify` on its `s3://` URL and by `Verify::remote`, which must
//! all say what expected-remote.tsv says.

use crate::common;
use crate::common::conformance;

use binlog::archive::{Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::verify::{FindingKind, Verify};
use binlog::{Error, LogReader};
use common::s3::S3Server;
use common::TempDir;
use conformance::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const BUCKET: &str = "corpus";
const LOG: &str = "conformance";

/// A case's file: how many sealed segments the shipper keeps locally, and
/// the edits made in the bucket after.
struct Setup {
    keep_local: usize,
    edits: Vec<Vec<String>>,
}

fn setup_of(case: &Case) -> Setup {
    let text = std::fs::read_to_string(case.file()).unwrap();
    let mut setup = Setup {
        keep_local: 0,
        edits: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let words: Vec<String> = line.split(' ').map(String::from).collect();
        match words[0].as_str() {
            "keep-local" => setup.keep_local = words[1].parse().unwrap(),
            "remove" | "cut" | "flip" | "grow" | "rename" => setup.edits.push(words),
            w => panic!("{}: unknown line {w}", case.path),
        }
    }
    setup
}

/// A case shipped and edited: its local log directory and the reader's
/// view of its bucket prefix (the case's name).
struct Shipped {
    dir: TempDir,
    prefix: String,
    keep_local: usize,
}

impl Shipped {
    fn url(&self) -> String {
        format!("s3://{BUCKET}/{}/{LOG}", self.prefix)
    }

    fn remote_log(&self, server: &S3Server) -> RemoteLog {
        let at = Location::parse(&format!("s3://{BUCKET}/{}", self.prefix)).unwrap();
        let remote = Remote::connect(&at, &server.connection()).unwrap();
        RemoteLog::new(Arc::new(remote), LOG).unwrap()
    }
}

/// Ships every case of expected-remote.tsv to `server` (once per case
/// file), as its file says.
fn ship_all(server: &S3Server) -> BTreeMap<String, Shipped> {
    let mut out = BTreeMap::new();
    for c in remote_cases() {
        if out.contains_key(&c.path) {
            continue;
        }
        let shipped = ship_case(server, &c);
        out.insert(c.path.clone(), shipped);
    }
    out
}

fn ship_case(server: &S3Server, c: &Case) -> Shipped {
    let setup = setup_of(c);
    let dir = TempDir::new(&format!("corpus-{}", c.case));
    for e in std::fs::read_dir(corpus_dir().join("remote/log")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap().to_str().unwrap())).unwrap();
    }
    let prefix = c.case.clone();
    let o = ShipOptions {
        keep_local: Some(setup.keep_local),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let at = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let mut s = Shipper::open(dir.path(), LOG, &at, o).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2], "{}", c.path);
    drop(s);
    for e in &setup.edits {
        let file = server.object_file(BUCKET, &format!("{prefix}/{LOG}/{}", e[1]));
        edit(&file, e);
    }
    Shipped {
        dir,
        prefix,
        keep_local: setup.keep_local,
    }
}

/// Makes edit `e` to the object kept in `file` (its metadata, which the
/// server keeps with the file, unchanged): `remove NAME`, `cut NAME LEN`
/// (cut to LEN bytes), `flip NAME OFFSET` (the lowest bit of a byte),
/// `grow NAME N` (N zero bytes appended), `rename NAME NEW`.
fn edit(file: &Path, e: &[String]) {
    match e[0].as_str() {
        "remove" => std::fs::remove_file(file).unwrap(),
        "cut" => {
            let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
            f.set_len(e[2].parse().unwrap()).unwrap();
        }
        "flip" => {
            let mut bytes = std::fs::read(file).unwrap();
            bytes[e[2].parse::<usize>().unwrap()] ^= 0x01;
            std::fs::write(file, bytes).unwrap();
        }
        "grow" => {
            let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len + e[2].parse::<u64>().unwrap()).unwrap();
        }
        "rename" => std::fs::rename(file, file.with_file_name(&e[2])).unwrap(),
        _ => unreachable!(),
    }
}

/// The name an outcome gives an object or a local segment: its file name.
fn name_of(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// `error:NAME@OFFSET:OBJECT`.
fn remote_error(e: &Error) -> String {
    let object = e.path().map_or("?".into(), name_of);
    format!("{}:{object}", error_name(e))
}

/// What `r` reads, skipping damage or not.
fn read_log(mut r: LogReader, salvage: bool) -> Outcome {
    r.skip_damaged(salvage);
    let mut seqs = Vec::new();
    let end = loop {
        match r.next() {
            Ok(Some(rec)) => seqs.push(rec.seq),
            Ok(None) => break tail_name(r.tail()),
            Err(e) => break remote_error(&e),
        }
    };
    let damages = r
        .damages()
        .iter()
        .map(|(p, d)| {
            let (a, b, f, t) = (d.offset, d.resume_offset, d.from_seq, d.to_seq);
            format!("{}:{a}-{b}:{f}-{t}", name_of(p))
        })
        .collect();
    let opt = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
    let gaps = r
        .gaps()
        .iter()
        .map(|g| {
            let (from, to) = (opt(g.from_seq), opt(g.to_seq));
            format!("{}:{}:{from}-{to}", g.reason.name(), name_of(&g.path))
        })
        .collect();
    Outcome {
        records: seq_runs(&seqs),
        end,
        damages: joined(damages),
        gaps: joined(gaps),
    }
}

#[test]
fn the_tiered_reader_and_the_bucket_reader_read_every_case_as_expected() {
    let server = S3Server::start(&[BUCKET]);
    let shipped = ship_all(&server);
    let mut got = Vec::new();
    for c in remote_cases() {
        let s = &shipped[&c.path];
        if c.mode == "cat" {
            continue;
        }
        let salvage = c.mode == "remote-salvage";
        let tiered = LogReader::open_tiered(s.dir.path(), LOG, s.remote_log(&server)).unwrap();
        got.push((c.clone(), read_log(tiered, salvage)));
        if s.keep_local == 0 {
            let alone = LogReader::open_remote(s.remote_log(&server)).unwrap();
            let mut c = c.clone();
            c.case += " (the bucket alone)";
            got.push((c, read_log(alone, salvage)));
        }
    }
    assert_all_agree("the tiered LogReader", &got);
}

/// The `binlog` command with the server's environment.
fn binlog(server: &S3Server) -> Command {
    let mut cmd = Command::new(crate::common::cli::tool());
    cmd.envs(server.env());
    cmd
}

/// The URL of `object` of case `s` (an object named in an outcome).
fn object_url(s: &Shipped, object: &str) -> String {
    format!("{}/{object}", s.url())
}

/// What `binlog cat` must print on standard error for an outcome: the
/// URL and offset of each damaged region and of an error or damaged end,
/// and the URL of each gap's object.
fn cat_needles(s: &Shipped, o: &Outcome) -> Vec<String> {
    let mut needles = Vec::new();
    for d in o.damages.split(',').filter(|d| *d != "-") {
        let (object, rest) = d.split_once(':').unwrap();
        let offset = rest.split('-').next().unwrap();
        needles.push(format!("{}: offset {offset}", object_url(s, object)));
    }
    for g in o.gaps.split(',').filter(|g| *g != "-") {
        let object = g.split(':').nth(1).unwrap();
        needles.push(format!("gap: {}", object_url(s, object)));
    }
    if let Some(e) = o.end.strip_prefix("error:") {
        let (at, object) = e.split_once('@').unwrap().1.split_once(':').unwrap();
        needles.push(format!("{}: offset {at}", object_url(s, object)));
    }
    if let Some(at) = o.end.strip_prefix("seal-damaged@") {
        needles.push(format!("offset {at}"));
    }
    needles
}

/// Whether an outcome is a clean read: exit status 0, else 1.
fn is_clean(o: &Outcome) -> bool {
    o.damages == "-"
        && o.gaps == "-"
        && !o.end.starts_with("error:")
        && o.end != "-"
        && !o.end.starts_with("seal-damaged")
}

#[test]
fn binlog_cat_reads_every_case_in_the_bucket_as_expected() {
    let server = S3Server::start(&[BUCKET]);
    let shipped = ship_all(&server);
    let mut wrong = Vec::new();
    for c in remote_cases() {
        let s = &shipped[&c.path];
        // `binlog cat` reads a bucket alone: the `cat` lines, and the
        // `remote-salvage` ones with `--skip-damaged`.
        if s.keep_local != 0 || c.mode == "remote" {
            continue;
        }
        let mut cmd = binlog(&server);
        cmd.args(["cat", "--json"]);
        if c.mode == "remote-salvage" {
            cmd.arg("--skip-damaged");
        }
        cmd.arg(s.url());
        let status = if is_clean(&c.outcome) { 0 } else { 1 };
        wrong.extend(cat_disagrees(cmd, &c, status, &cat_needles(s, &c.outcome)));
    }
    assert!(
        wrong.is_empty(),
        "binlog cat disagrees with expected-remote.tsv:\n{}",
        wrong.join("\n")
    );
}

/// What verifying a case must find, from its `remote-salvage` line: for
/// each damaged region, a finding naming the object's URL, the region's
/// offset and the records lost; for each gap, one naming the records
/// missing; and the intact records it counts.
fn verify_expects(s: &Shipped, o: &Outcome) -> (u64, Vec<String>) {
    let mut findings = Vec::new();
    for d in o.damages.split(',').filter(|d| *d != "-") {
        let (object, region) = d.split_once(':').unwrap();
        let f: Vec<&str> = region.split([':', '-']).collect();
        findings.push(format!(
            "{} @{} {}-{}",
            object_url(s, object),
            f[0],
            f[2],
            f[3]
        ));
    }
    for g in o.gaps.split(',').filter(|g| *g != "-") {
        let range = g.rsplit(':').next().unwrap();
        findings.push(format!("missing {range}"));
    }
    // An object refused (not read as a segment): what it is not.
    if let Some((at, object)) = o.end.strip_prefix("error:").and_then(|e| e.split_once(':')) {
        let offset = at.split_once('@').unwrap().1;
        findings.push(format!("{} @{offset} ?-?", object_url(s, object)));
    }
    (count(&o.records), findings)
}

fn count(runs: &str) -> u64 {
    runs.split(',')
        .filter(|r| *r != "-")
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap();
            b.parse::<u64>().unwrap() - a.parse::<u64>().unwrap() + 1
        })
        .sum()
}

/// What `Verify::remote` found, in `verify_expects`' form.
fn verified(log: RemoteLog) -> (u64, Vec<String>) {
    let mut records = 0;
    let mut findings = Vec::new();
    for rep in Verify::remote(log).unwrap() {
        records += rep.records;
        for f in rep.findings.iter().filter(|f| f.is_damage()) {
            let opt = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
            let (from, to) = (opt(f.from_seq), opt(f.to_seq));
            findings.push(match f.kind {
                FindingKind::MissingRecords => format!("missing {from}-{to}"),
                _ => format!("{} @{} {from}-{to}", f.location.display(), opt(f.offset)),
            });
        }
    }
    (records, findings)
}

#[test]
fn verify_of_the_bucket_finds_in_every_case_what_the_readers_skip() {
    let server = S3Server::start(&[BUCKET]);
    let shipped = ship_all(&server);
    let mut wrong = Vec::new();
    for c in remote_cases()
        .into_iter()
        .filter(|c| c.mode == "remote-salvage")
    {
        let s = &shipped[&c.path];
        if s.keep_local != 0 {
            continue;
        }
        let want = verify_expects(s, &c.outcome);
        let got = verified(s.remote_log(&server));
        if got != want {
            wrong.push(format!(
                "{}: Verify::remote: expected {want:?}, got {got:?}",
                c.case
            ));
        }
        let out = binlog(&server)
            .args(["verify", "--json"])
            .arg(s.url())
            .output()
            .unwrap();
        // `binlog verify` on a bucket: exit status 1 if anything is
        // damaged, and a line naming each object damaged.
        let status = out.status.code().unwrap_or(-1);
        let want_status = if want.1.is_empty() { 0 } else { 1 };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let named = want
            .1
            .iter()
            .all(|f| stdout.contains(f.split(' ').next().unwrap()));
        if status != want_status || !named {
            wrong.push(format!(
                "{}: binlog verify: expected exit {want_status} naming {:?}, got {status}: {stdout}",
                c.case, want.1
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "verify disagrees with expected-remote.tsv:\n{}",
        wrong.join("\n")
    );
}
