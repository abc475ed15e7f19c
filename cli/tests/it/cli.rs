//! The `binlog` command-line tool, run as a built binary on real logs made
//! here with the Rust API: help and usage errors (exit status 2, naming the
//! problem), and the commands that read (`info`, `cat`, `dump`, `stats`):
//! filters, JSON shapes, time arguments, a closed output pipe, a segment
//! missing from a log. `verify`, `repair`, `write` and `tail` have their
//! own files (tests/it/cli_*.rs); helpers in tests/it/common/cli.rs.

use binlog::{Options, Writer};
use predicates::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;
use common::cli::*;

// ------------------------------------------------------------ help, usage

/// Every subcommand of the tool.
const COMMANDS: [&str; 10] = [
    "info",
    "cat",
    "tail",
    "verify",
    "repair",
    "dump",
    "write",
    "stats",
    "completions",
    "man",
];

/// The commands that draw a progress bar.
const WITH_PROGRESS: [&str; 4] = ["info", "verify", "repair", "stats"];

#[test]
fn every_command_has_help_with_an_example() {
    binlog()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit status"))
        .stdout(predicate::str::contains("Examples:"));
    for cmd in COMMANDS {
        binlog()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains(format!("binlog {cmd}")));
    }
    binlog()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("binlog"));
}

/// A command with subcommands says in its summary what each of them does:
/// `remote`'s names listing, verifying, fetching and pruning.
#[test]
fn a_command_with_subcommands_names_each_of_them_in_its_summary() {
    let help = stdout_of(binlog().args(["remote", "--help"]));
    let summary = help.lines().next().unwrap().to_lowercase();
    let subcommands = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("  ").filter(|c| !c.starts_with(' ')))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help");
    let mut named = 0;
    for cmd in subcommands {
        let verb = if cmd == "ls" { "list" } else { cmd };
        assert!(
            summary.contains(verb),
            "remote's summary omits {cmd}: {summary}"
        );
        named += 1;
    }
    assert_eq!(named, 4, "{help}");
}

#[test]
fn completions_for_each_shell_mention_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = binlog().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", out_text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        for cmd in COMMANDS {
            assert!(script.contains(cmd), "{shell}: {cmd} missing");
        }
        for option in ["skip-damaged", "salvage", "json-summary", "follow"] {
            assert!(script.contains(option), "{shell}: {option} missing");
        }
    }
    binlog().args(["completions", "tcsh-99"]).assert().code(2);
}

#[test]
fn man_writes_a_page_for_the_tool_and_each_command() {
    let t = Tmp::new("man");
    let dir = t.join("man1");
    binlog().arg("man").arg(&dir).assert().success();
    let main = std::fs::read_to_string(dir.join("binlog.1")).unwrap();
    assert!(main.starts_with(".ie") || main.contains(".TH"), "not roff");
    for cmd in COMMANDS {
        assert!(main.contains(cmd), "binlog.1 does not mention {cmd}");
        let page = std::fs::read_to_string(dir.join(format!("binlog-{cmd}.1")))
            .unwrap_or_else(|e| panic!("binlog-{cmd}.1: {e}"));
        assert!(page.contains(".TH"), "binlog-{cmd}.1 is not a man page");
    }
    let repair = std::fs::read_to_string(dir.join("binlog-repair.1")).unwrap();
    assert!(repair.contains("dry\\-run"), "{repair}");
}

#[test]
fn the_man_page_lists_each_exit_status_as_a_tagged_paragraph() {
    let t = Tmp::new("man-exit");
    binlog().arg("man").arg(t.path()).assert().success();
    let page = std::fs::read_to_string(t.join("binlog.1")).unwrap();
    let section = page
        .split_once(".SH \"EXIT STATUS\"\n")
        .unwrap_or_else(|| panic!("binlog.1 has no EXIT STATUS section:\n{page}"))
        .1;
    let section = section.split("\n.SH").next().unwrap();
    let tags: Vec<&str> = section
        .split(".TP\n")
        .skip(1)
        .map(|p| p.lines().next().unwrap())
        .collect();
    let statuses = ["\\fB0\\fR", "\\fB1\\fR", "\\fB2\\fR", "\\fB3\\fR"];
    assert_eq!(tags, statuses, "{section}");
    assert!(section.contains("\\&usage error"), "{section}");
    assert!(
        !page.contains("Exit status:"),
        "the help text's list is left in:\n{page}"
    );
    let help = stdout_of(binlog().arg("--help"));
    assert!(help.contains("Exit status:\n  0  success"), "{help}");
}

/// Each command's options, from its help: (short letter, long name).
fn short_flags(cmd: &str) -> Vec<(char, String)> {
    let help = stdout_of(binlog().args([cmd, "--help"]));
    help.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('-')?;
            let mut chars = l.chars();
            let short = chars.next()?;
            let long = chars.as_str().strip_prefix(", --")?;
            let long = long.split([' ', '=', '<']).next()?.to_string();
            Some((short, long))
        })
        .collect()
}

#[test]
fn each_short_flag_means_one_thing_across_commands() {
    let mut meaning: std::collections::BTreeMap<char, (String, &str)> = Default::default();
    let mut clashes = Vec::new();
    for cmd in COMMANDS {
        for (short, long) in short_flags(cmd) {
            match meaning.get(&short) {
                Some((l, first)) if *l != long => {
                    clashes.push(format!("-{short}: --{l} in {first}, --{long} in {cmd}"))
                }
                Some(_) => {}
                None => {
                    meaning.insert(short, (long, cmd));
                }
            }
        }
    }
    assert!(clashes.is_empty(), "{clashes:?}");
    assert_eq!(meaning[&'n'].0, "lines", "{meaning:?}");
    // repair's old `-n` still means --dry-run: it changes nothing.
    let t = Tmp::new("repair-n");
    let seg = t.join("open.binlog");
    unsealed_segment(&seg, 3);
    let before = std::fs::read(&seg).unwrap();
    let out = repair(&["-n", seg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("would reseal"));
    assert_eq!(std::fs::read(&seg).unwrap(), before);
}

#[test]
fn no_progress_is_offered_only_by_commands_that_draw_progress() {
    for cmd in COMMANDS {
        let help = stdout_of(binlog().args([cmd, "--help"]));
        assert_eq!(
            help.contains("--no-progress"),
            WITH_PROGRESS.contains(&cmd),
            "{cmd}: {help}"
        );
    }
    // Spellings of the time it was global still work.
    let t = Tmp::new("no-progress");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 2);
    let s = seg.to_str().unwrap();
    binlog()
        .args(["--no-progress", "verify", s])
        .assert()
        .success();
    binlog()
        .args(["cat", "--no-progress", s])
        .assert()
        .success();
    binlog()
        .args(["verify", "--no-progress", s])
        .assert()
        .success();
}

/// The examples of `binlog --help` that make their own file run as they
/// are in an empty directory, outside the repository; no example names a
/// file of the repository.
#[test]
fn help_examples_work_outside_the_repository() {
    let t = Tmp::new("help-examples");
    let help = stdout_of(binlog().arg("--help"));
    let examples: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Examples"))
        .map(str::trim)
        .filter(|l| l.contains("events.binlog"))
        .collect();
    assert!(examples.len() >= 3, "{help}");
    let tool = crate::common::cli::tool();
    let bin_dir = tool.parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    for example in examples {
        let out = std::process::Command::new("sh")
            .args(["-c", example])
            .current_dir(t.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{example}: {}", out_text(&out));
    }
    for cmd in COMMANDS {
        let help = stdout_of(binlog().args([cmd, "--help"]));
        for inside in ["tests/", "demo-data", "target/", "examples/"] {
            assert!(!help.contains(inside), "{cmd} --help names {inside}");
        }
    }
}

/// Every command can say what it found as JSON on standard output (`write`
/// with `--json-summary`: its `--json` is the input's format).
#[test]
fn every_command_has_a_json_output() {
    let t = Tmp::new("json-everywhere");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 3);
    let s = seg.to_str().unwrap();
    let w = t.join("w.binlog");
    let commands: Vec<Vec<&str>> = vec![
        vec!["info", "--json", s],
        vec!["cat", "--json", s],
        vec!["tail", "--json", s],
        vec!["verify", "--json", s],
        vec!["repair", "--json", s],
        vec!["dump", "--json", s],
        vec!["stats", "--json", s],
        vec![
            "write",
            "--json-summary",
            "--type",
            "t",
            w.to_str().unwrap(),
        ],
    ];
    for args in commands {
        let out = binlog().args(&args).write_stdin("x\n").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", out_text(&out));
        let text = String::from_utf8(out.stdout).unwrap();
        let whole = serde_json::from_str::<Value>(&text).is_ok();
        let lines = text
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok());
        assert!(!text.is_empty() && (whole || lines), "{args:?}: {text}");
    }
}

#[test]
fn usage_and_io_errors_exit_2_naming_the_problem() {
    let t = Tmp::new("usage");
    binlog().assert().code(2);
    binlog().args(["cat"]).assert().code(2);
    binlog().args(["frobnicate", "x"]).assert().code(2);
    binlog()
        .args(["cat", t.join("missing.binlog").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.binlog"));
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 3);
    let s = seg.to_str().unwrap();
    binlog()
        .args(["cat", s, "--json", "--payload", "raw"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--payload raw"));
    binlog()
        .args(["cat", s, "--since", "yesterday-ish"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--since"));
    binlog()
        .args(["cat", s, "--from-seq", "5", "--to-seq", "2"])
        .assert()
        .code(2);
    // Not a segment at all.
    let text = t.join("notes.txt");
    std::fs::write(&text, "hello, I am not a log").unwrap();
    binlog()
        .args(["cat", text.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("notes.txt"));
    binlog()
        .args(["verify", text.to_str().unwrap()])
        .assert()
        .code(2);
    // write needs a type.
    binlog()
        .args(["write", s])
        .write_stdin("x\n")
        .assert()
        .code(2);
}

/// A directory named as a segment of a log, where segment 1 was or as a
/// newest segment 3: every command that reads the log says so, naming it,
/// with exit status 2 (a file that is not a segment, as the library's
/// `InvalidArgument`), prints no record after it, and changes no file, as
/// the library's log reader and writer refuse it (left out of the listing
/// without a word, `cat` would print records 0..2 and 6..8 with exit 0).
/// The exit status docs/CLI.md ("Same file, same answer") gives each
/// command for each kind of file: (info, cat, tail, stats, dump, verify,
/// repair --dry-run).
const EXIT_STATUS_TABLE: [(&str, [i32; 7]); 9] = [
    ("sealed", [0, 0, 0, 0, 0, 0, 0]),
    ("unsealed", [0, 0, 0, 0, 0, 0, 0]),
    ("unsealed-zeros", [0, 0, 0, 0, 0, 0, 0]),
    ("torn-tail", [0, 0, 0, 0, 1, 1, 0]),
    ("mid-corrupt", [0, 1, 1, 1, 1, 1, 1]),
    ("not-a-segment", [2, 2, 2, 2, 2, 2, 2]),
    ("damaged-magic", [2, 2, 2, 2, 2, 2, 2]),
    ("empty", [1, 1, 1, 1, 1, 1, 1]),
    ("missing", [2, 2, 2, 2, 2, 2, 2]),
];

/// Makes the file of kind `kind` (a row of `EXIT_STATUS_TABLE`) at `path`.
fn make_file_of_kind(path: &Path, kind: &str) {
    match kind {
        "sealed" => sealed_segment(path, 10),
        "unsealed" => unsealed_segment(path, 10),
        // A durable writer's prepared space after its records.
        "unsealed-zeros" => {
            unsealed_segment(path, 10);
            let mut b = std::fs::read(path).unwrap();
            b.extend(vec![0u8; 100_000]);
            std::fs::write(path, b).unwrap();
        }
        "torn-tail" => {
            torn_segment(path, 10);
        }
        "mid-corrupt" => {
            sealed_segment(path, 10);
            damage_record(path, 4);
        }
        "not-a-segment" => std::fs::write(path, "hello, I am not a log\n").unwrap(),
        // Valid records after a magic number that is not the magic number:
        // not a segment (docs/FORMAT.md section 3), as the library says.
        "damaged-magic" => {
            sealed_segment(path, 10);
            flip_byte(path, 1);
        }
        "empty" => std::fs::write(path, "").unwrap(),
        "missing" => {}
        _ => unreachable!("{kind}"),
    }
}

#[test]
fn every_command_gives_the_exit_status_the_manual_states_for_the_same_file() {
    let t = Tmp::new("same-answer");
    let commands: [&[&str]; 7] = [
        &["info"],
        &["cat"],
        &["tail"],
        &["stats"],
        &["dump"],
        &["verify"],
        &["repair", "--dry-run"],
    ];
    let mut wrong = Vec::new();
    for (kind, codes) in EXIT_STATUS_TABLE {
        let path = t.join(format!("{kind}.binlog"));
        make_file_of_kind(&path, kind);
        let before = std::fs::read(&path).ok();
        for (cmd, want) in commands.iter().zip(codes) {
            let out = binlog().args(*cmd).arg(&path).output().unwrap();
            if out.status.code() != Some(want) {
                wrong.push(format!(
                    "{cmd:?} on {kind}: exit {:?}, the manual says {want}\n{}",
                    out.status.code(),
                    out_text(&out)
                ));
            }
        }
        assert_eq!(std::fs::read(&path).ok(), before, "{kind} was changed");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_file_that_is_not_a_segment_is_called_so_by_every_command() {
    let t = Tmp::new("not-segment");
    let path = t.join("notes.binlog");
    make_file_of_kind(&path, "not-a-segment");
    for cmd in ["info", "cat", "dump", "verify", "stats"] {
        let out = binlog().arg(cmd).arg(&path).output().unwrap();
        let text = out_text(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {text}");
        assert!(text.contains("not a libbinlog segment"), "{cmd}: {text}");
        assert!(!text.contains("corrupt region"), "{cmd}: {text}");
    }
}

/// An empty file ends inside its header: the library's `Truncated`
/// (docs/FORMAT.md section 3), damage to every command; as the newest file
/// of a log (a writer creating it) it holds no record yet and is no damage,
/// as the log's reader reads it.
#[test]
fn an_empty_file_is_a_header_cut_short_unless_it_is_the_newest_of_a_log() {
    let t = Tmp::new("empty-file");
    let path = t.join("new.binlog");
    make_file_of_kind(&path, "empty");
    let verify = json_of(binlog().args(["verify", "--json"]).arg(&path));
    assert_eq!(verify["clean"], false, "{verify}");
    assert_eq!(verify["segments"][0]["state"], "truncated", "{verify}");
    let out = binlog().arg("cat").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    assert!(out_text(&out).contains("inside the segment header"));
    // repair has nothing to keep, and leaves it as it is.
    let out = repair(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(t.names(), vec!["new.binlog".to_string()], "no backup");

    let dir = t.join("log");
    rolled_log(&dir, 6, 3);
    let newest = t_names(&dir)
        .last()
        .unwrap()
        .replace("-00000000000000000001-", "-00000000000000000002-");
    std::fs::write(&newest, "").unwrap();
    let d = dir.to_str().unwrap();
    for args in [
        vec!["verify", d],
        vec!["cat", d],
        vec!["repair", "--dry-run", d],
    ] {
        let out = binlog().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", out_text(&out));
    }
    assert_eq!(std::fs::metadata(&newest).unwrap().len(), 0);
}

/// The newest file of a log cut inside its header (its first 30 bytes:
/// a writer caught between creating it and writing its header) holds no
/// record yet, as the log's reader reads it (docs/FORMAT.md section 3):
/// `cat --log` prints the records before it and exits 0; `info` calls it
/// `truncated` (docs/CLI.md), no damage; `verify` passes.
#[test]
fn the_newest_file_of_a_log_cut_inside_its_header_holds_no_record_yet() {
    let t = Tmp::new("newest-cut-in-header");
    let dir = t.join("log");
    rolled_log(&dir, 6, 3);
    let last = t_names(&dir).pop().unwrap();
    let newest = last.replace("-00000000000000000001-", "-00000000000000000002-");
    std::fs::write(&newest, &std::fs::read(&last).unwrap()[..30]).unwrap();
    let d = dir.to_str().unwrap();
    let out = binlog()
        .args(["cat", "--log", "orders", d])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let printed = seqs_of_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed, (0..6).collect::<Vec<u64>>());
    let info = binlog().args(["info", "--json", d]).output().unwrap();
    assert_eq!(info.status.code(), Some(0), "{}", out_text(&info));
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let seg = &info["segments"][2];
    assert_eq!(seg["path"], newest.as_str(), "{info}");
    assert_eq!(seg["state"], "truncated", "{info}");
    assert_eq!(seg["damaged"], false, "{info}");
    let out = binlog().args(["verify", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // Read before another log of the directory, it is still its log's
    // newest file.
    let w = binlog::LogWriter::open(&dir, "zz", binlog::LogOptions::default()).unwrap();
    w.write("t", b"zz 0").unwrap();
    w.close().unwrap();
    let out = binlog().args(["cat", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let printed = seqs_of_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed, [0, 1, 2, 3, 4, 5, 0]);
    let info = json_of(binlog().args(["info", "--json", d]));
    assert_eq!(info["segments"][2]["state"], "truncated", "{info}");
}

#[test]
fn a_directory_named_as_a_segment_of_a_log_is_an_error_naming_it() {
    for newest in [false, true] {
        let t = Tmp::new("segment-dir");
        rolled_log(&t.0, 9, 3);
        let segs: Vec<String> = t
            .names()
            .into_iter()
            .filter(|n| n.starts_with("orders-") && n.ends_with(".binlog"))
            .collect();
        assert_eq!(segs.len(), 3, "{segs:?}");
        let bad = if newest {
            t.join(binlog::log::naming::segment_name("orders", 3, T0))
        } else {
            let p = t.join(&segs[1]);
            std::fs::remove_file(&p).unwrap();
            p
        };
        std::fs::create_dir(&bad).unwrap();
        let names = t.names();
        let dir = t.0.to_str().unwrap();
        let commands: [&[&str]; 9] = [
            &["cat", dir],
            &["cat", "--log", "orders", dir],
            &["tail", "-n", "100", dir],
            &[
                "tail", "-f", "-n", "100", "--to-seq", "1000", "--log", "orders", dir,
            ],
            &["info", dir],
            &["verify", dir],
            &["stats", dir],
            &["dump", dir],
            &["repair", dir],
        ];
        for args in commands {
            let out = binlog().args(args).output().unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            let what = format!("newest {newest}: binlog {}", args.join(" "));
            assert_eq!(out.status.code(), Some(2), "{what}: {stdout}{stderr}");
            let all = format!("{stdout}{stderr}");
            assert!(
                all.contains(&format!("{}: is a directory", bad.display())),
                "{what}: no message naming {}: {all}",
                bad.display()
            );
            if args[0] == "cat" && !newest {
                assert!(
                    !stdout.contains("payload 6"),
                    "{what}: printed records after it: {stdout}"
                );
            }
            assert_eq!(t.names(), names, "{what}: changed the directory");
        }
    }
}

/// A segment of a log that is a symbolic link to the file (moved to another
/// disk, say) is read like the file, as the library's log reader reads it,
/// not left out (which would print records 0..2 and 6..8 with exit 0).
#[test]
fn a_segment_that_is_a_symbolic_link_is_read() {
    let t = Tmp::new("segment-link");
    rolled_log(&t.0, 9, 3);
    let seg = t
        .names()
        .into_iter()
        .filter(|n| n.starts_with("orders-") && n.ends_with(".binlog"))
        .nth(1)
        .unwrap();
    let elsewhere = Tmp::new("segment-link-target");
    let moved = elsewhere.join(&seg);
    std::fs::rename(t.join(&seg), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, t.join(&seg)).unwrap();
    let out = stdout_of(binlog().args(["cat", t.0.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), (0..9).collect::<Vec<u64>>(), "{out}");
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(0);
}

// -------------------------------------------------------------------- info

#[test]
fn info_shows_header_state_counts_and_totals() {
    let t = Tmp::new("info");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    binlog()
        .args(["info", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("sealed"))
        .stdout(predicate::str::contains("\"sample\""))
        .stdout(predicate::str::contains("10, seq 0..9"))
        .stdout(predicate::str::contains("2023-11-14T22:13:20.000000000Z"))
        .stdout(predicate::str::is_match(r"order\s+4 records").unwrap());
    let j = json_of(binlog().args(["info", "--json", seg.to_str().unwrap()]));
    let s0 = &j["segments"][0];
    assert_eq!(s0["state"], "sealed");
    assert_eq!(s0["header"]["log_name"], "sample");
    assert_eq!(s0["counts"]["records"], 10);
    assert_eq!(s0["counts"]["first_seq"], 0);
    assert_eq!(s0["counts"]["last_seq"], 9);
    assert_eq!(s0["counts"]["first_ts_ns"], T0);
    let types = s0["counts"]["types"].as_array().unwrap();
    let count = |n: &str| {
        types.iter().find(|t| t["type"] == n).unwrap()["records"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((count("order"), count("trade"), count("quote")), (4, 3, 3));

    // An unsealed segment is scanned and said to be unsealed.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 4);
    let j = json_of(binlog().args(["info", "--json", open.to_str().unwrap()]));
    assert_eq!(j["segments"][0]["state"], "unsealed");
    assert_eq!(j["segments"][0]["counts"]["records"], 4);

    // A log directory: per segment, and in total.
    let dir = t.join("log");
    rolled_log(&dir, 25, 10);
    let j = json_of(binlog().args(["info", "--json", dir.to_str().unwrap()]));
    assert_eq!(j["total"]["segments"], 3);
    assert_eq!(j["total"]["sealed"], 3);
    assert_eq!(j["total"]["counts"]["records"], 25);
    assert_eq!(j["total"]["counts"]["last_seq"], 24);
    binlog()
        .args(["info", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("total: 3 segments, 3 sealed"));
}

/// A log of many segments: the summary (segments per state, records,
/// ranges, bytes, damage) comes first, then one line per segment; the
/// details of each segment only with --verbose.
#[test]
fn info_on_a_log_of_many_segments_prints_a_summary_then_a_line_per_segment() {
    let t = Tmp::new("info-many");
    let dir = t.join("log");
    let segments = 60;
    rolled_log(&dir, segments * 2, 2);
    let files = t_names(&dir);
    assert_eq!(files.len() as u64, segments);
    let out = stdout_of(binlog().arg("info").arg(&dir));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(&format!("total: {segments} segments, {segments} sealed")),
        "{out}"
    );
    let first_segment_line = lines
        .iter()
        .position(|l| l.contains(files[0].rsplit('/').next().unwrap()))
        .unwrap();
    let summary = &lines[..first_segment_line];
    for label in ["states", "records", "time", "bytes", "damage"] {
        assert!(
            summary.iter().any(|l| l.trim_start().starts_with(label)),
            "{label} missing from the summary:\n{out}"
        );
    }
    assert!(
        summary
            .iter()
            .any(|l| l.contains(&format!("{segments} sealed"))),
        "{out}"
    );
    for f in &files {
        let name = f.rsplit('/').next().unwrap();
        let n = lines.iter().filter(|l| l.contains(name)).count();
        assert_eq!(n, 1, "{name} on {n} lines:\n{out}");
    }
    assert!(
        lines.len() < files.len() + 20,
        "{} lines:\n{out}",
        lines.len()
    );
    assert!(
        !out.contains("format "),
        "details without --verbose:\n{out}"
    );
    let verbose = stdout_of(binlog().args(["info", "--verbose"]).arg(&dir));
    assert!(verbose.starts_with("total: "), "{verbose}");
    assert_eq!(
        verbose.matches("  format ").count(),
        files.len(),
        "{verbose}"
    );
    let j = json_of(binlog().args(["info", "--json"]).arg(&dir));
    assert_eq!(j["total"]["states"]["sealed"], segments, "{}", j["total"]);
}

// --------------------------------------------------------------------- cat

#[test]
fn cat_prints_readable_lines_and_json_lines() {
    let t = Tmp::new("cat");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    let s = seg.to_str().unwrap();
    let out = stdout_of(binlog().args(["cat", s]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], "0 2023-11-14T22:13:20.000000000Z order payload 0");
    assert_eq!(
        lines[1],
        "1 2023-11-14T22:13:21.000000000Z trade {venue=XLON} payload 1"
    );
    assert_eq!(
        lines[5],
        "5 2023-11-14T22:13:25.000000000Z quote hex:00ff01"
    );

    let j = json_lines(&stdout_of(binlog().args(["cat", s, "--json"])));
    assert_eq!(j.len(), 10);
    assert_eq!(j[1]["seq"], 1);
    assert_eq!(j[1]["type"], "trade");
    assert_eq!(j[1]["time"], "2023-11-14T22:13:21.000000000Z");
    assert_eq!(j[1]["ts_ns"], T0 + SEC);
    assert_eq!(j[1]["meta"]["venue"], "XLON");
    assert_eq!(j[1]["payload"], "payload 1");
    assert_eq!(j[1]["encoding"], "utf8");
    assert_eq!(j[5]["payload"], "00ff01");
    assert_eq!(j[5]["encoding"], "hex");
    assert_eq!(j[5]["size"], 3);

    let b64 = json_lines(&stdout_of(binlog().args([
        "cat",
        s,
        "--json",
        "--payload",
        "base64",
    ])));
    assert_eq!(b64[5]["payload"], "AP8B");
    assert_eq!(b64[5]["encoding"], "base64");
    let hex = stdout_of(binlog().args(["cat", s, "--payload", "hex", "--head", "1"]));
    assert!(hex.ends_with(" 7061796c6f61642030\n"), "{hex}");
    let raw = binlog()
        .args([
            "cat",
            s,
            "--payload",
            "raw",
            "--from-seq",
            "4",
            "--to-seq",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(raw.stdout, b"payload 4\n\x00\xff\x01\n");
}

#[test]
fn cat_filters_by_type_sequence_time_head_and_tail() {
    let t = Tmp::new("filters");
    let dir = t.join("log");
    rolled_log(&dir, 30, 7); // five segments
    let d = dir.to_str().unwrap();
    let seqs = |args: &[&str]| {
        let mut full = vec!["cat", d];
        full.extend_from_slice(args);
        seqs_of_lines(&stdout_of(binlog().args(&full)))
    };
    assert_eq!(seqs(&[]), (0..30).collect::<Vec<_>>());
    assert_eq!(
        seqs(&["--type", "trade"]),
        (0..30).filter(|i| i % 3 == 1).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs(&["--type", "trade", "--type", "quote"]),
        (0..30).filter(|i| i % 3 != 0).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs(&["-t", "trade,quote"]),
        seqs(&["--type", "trade", "--type", "quote"])
    );
    assert_eq!(
        seqs(&["--from-seq", "12", "--to-seq", "16"]),
        vec![12, 13, 14, 15, 16]
    );
    assert_eq!(
        seqs(&[
            "--since",
            "2023-11-14T22:13:40Z",
            "--until",
            "2023-11-14T22:13:43Z"
        ]),
        vec![20, 21, 22]
    );
    assert_eq!(
        seqs(&["--since", "2023-11-14T23:13:45+01:00"]),
        (25..30).collect::<Vec<_>>()
    );
    assert_eq!(seqs(&["--head", "3"]), vec![0, 1, 2]);
    assert_eq!(seqs(&["--tail", "4"]), vec![26, 27, 28, 29]);
    assert_eq!(seqs(&["--tail", "3", "--type", "order"]), vec![21, 24, 27]);
    assert_eq!(seqs(&["--tail", "5", "--head", "2"]), vec![25, 26]);
    assert_eq!(seqs(&["--tail", "0"]), Vec::<u64>::new());
    // Relative times: the records are from 2023, so "the last hour" is empty.
    assert_eq!(seqs(&["--since", "1h"]), Vec::<u64>::new());
    assert_eq!(seqs(&["--until", "10m"]).len(), 30);
    // A list of files, in the order given.
    let mut files: Vec<String> = t_names(&dir);
    files.reverse();
    let mut args = vec!["cat".to_string()];
    args.extend(files.iter().cloned());
    let got = seqs_of_lines(&stdout_of(binlog().args(&args)));
    assert_eq!(got.len(), 30);
    assert_eq!(&got[..2], &[28, 29]);
}

#[test]
fn cat_skip_damaged_prints_the_records_after_mid_file_damage_and_exits_1() {
    let t = Tmp::new("cat-skip");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let offset = damage_record(&seg, 4);
    let s = seg.to_str().unwrap();
    // Without the option: the records before the damage, then exit 1.
    let plain = binlog().args(["cat", s]).output().unwrap();
    assert_eq!(plain.status.code(), Some(1), "{}", out_text(&plain));
    let plain_out = String::from_utf8(plain.stdout).unwrap();
    assert_eq!(seqs_of_lines(&plain_out), vec![0, 1, 2, 3]);
    // With it: every intact record, the region named on stderr, exit 1.
    let skip = binlog()
        .args(["cat", "--skip-damaged", s])
        .output()
        .unwrap();
    assert_eq!(skip.status.code(), Some(1), "{}", out_text(&skip));
    let out = String::from_utf8(skip.stdout.clone()).unwrap();
    assert_eq!(seqs_of_lines(&out), vec![0, 1, 2, 3, 5, 6, 7, 8, 9]);
    let err = String::from_utf8(skip.stderr).unwrap();
    assert!(
        err.contains("mid.binlog")
            && err.contains(&format!("offset {offset}"))
            && err.contains("record 4 is lost"),
        "{err}"
    );
    // --tail counts the records a skipping read returns.
    let tail = stdout_of(binlog().args(["cat", "--skip-damaged", "--tail", "6", s]));
    assert_eq!(seqs_of_lines(&tail), vec![3, 5, 6, 7, 8, 9]);
}

#[test]
fn cat_into_a_closed_pipe_exits_quietly_with_status_0() {
    let t = Tmp::new("pipe");
    let seg = t.join("big.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    let payload = vec![b'x'; 100];
    for _ in 0..300_000 {
        w.write("line", &payload).unwrap();
    }
    w.close().unwrap();
    let started = Instant::now();
    let mut child = std::process::Command::new(crate::common::cli::tool())
        .args(["cat", seg.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..5 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.contains(" line "), "{line}");
    }
    drop(out); // like `head` exiting
    let status = wait_with_deadline(&mut child, Duration::from_secs(30));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert_eq!(err, "", "nothing on stderr for a closed pipe");
    assert!(started.elapsed() < Duration::from_secs(30));
}

// ---------------------------------------------- a segment missing from a log

/// `cat`, `stats`, `tail` and `info` read a log's segments one after another: a
/// segment missing from the middle is reported (exit 1), as `verify` and
/// the library's `LogReader` do, unless the missing records lie outside
/// the sequence range asked for.
#[test]
fn cat_stats_tail_and_info_report_a_segment_missing_from_a_log() {
    let t = Tmp::new("cat-gap");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    let d = dir.to_str().unwrap();
    // Intact: no report.
    for cmd in ["cat", "info", "stats"] {
        binlog()
            .args([cmd, d])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("missing").not())
            .stderr(predicate::str::contains("missing").not());
    }
    std::fs::remove_file(&names[1]).unwrap();
    let gap = "records 5..9 are missing: a segment of the log before this one is missing";
    let out = binlog().args(["cat", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(gap) && err.contains(&names[2]), "{err}");
    // Every record that is there is still printed.
    let seqs = seqs_of_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(seqs, (0..5).chain(10..20).collect::<Vec<u64>>());
    stats_and_tail_report_the_gap(d, gap);
    info_reports_the_gap(d, gap, &names[2]);
    filters_report_the_gap_they_reach(d, gap);
    // Segments of different logs, or standalone files, are not compared.
    let other = t.join("other.binlog");
    sealed_segment(&other, 3);
    binlog()
        .args(["cat", &names[0], other.to_str().unwrap()])
        .assert()
        .code(0);
}

/// `stats`, `cat --tail` and `tail -n` report `gap` in log `d` (exit 1).
fn stats_and_tail_report_the_gap(d: &str, gap: &str) {
    binlog()
        .args(["stats", d])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    binlog()
        .args(["cat", d, "--tail", "12"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    binlog()
        .args(["tail", "-n", "12", d])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
}

/// `info` reports `gap` in log `d`, before segment `before`, in its totals
/// and its JSON (exit 1).
fn info_reports_the_gap(d: &str, gap: &str, before: &str) {
    // info says it in its totals (and --json), with exit status 1.
    binlog()
        .args(["info", d])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing     records 5..9, before"))
        .stderr(predicate::str::contains(gap));
    let out = binlog().args(["info", "--json", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gaps = j["total"]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{j}");
    assert_eq!(
        (gaps[0]["from_seq"].as_u64(), gaps[0]["to_seq"].as_u64()),
        (Some(5), Some(9))
    );
    assert_eq!(gaps[0]["before"], before);
}

/// `cat` with a type filter or a sequence range reports `gap` in log `d`
/// only when the range reaches the missing records.
fn filters_report_the_gap_they_reach(d: &str, gap: &str) {
    // A type filter reads the seals' indexes: the gap is still seen.
    binlog()
        .args(["cat", d, "--type", TYPES[0]])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    // Ranges that do not reach the missing records: nothing to report.
    for range in [["--to-seq", "4"], ["--from-seq", "10"]] {
        binlog()
            .args(["cat", d])
            .args(range)
            .assert()
            .code(0)
            .stderr(predicate::str::contains("missing").not());
    }
    // A range that does: reported.
    binlog()
        .args(["cat", d, "--from-seq", "9", "--to-seq", "12"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
}

// -------------------------------------------------------------------- dump

#[test]
fn dump_shows_the_raw_framing() {
    let t = Tmp::new("dump");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 4);
    let f = frames(&seg);
    let out = stdout_of(binlog().args(["dump", seg.to_str().unwrap()]));
    assert!(out.contains("header"), "{out}");
    assert!(out.contains(&format!("@{:<10} record", f[1].0)), "{out}");
    assert!(
        out.contains("flags=0x31(record|defines-type|has-meta)"),
        "{out}"
    );
    assert!(out.contains("seq=1"), "{out}");
    assert!(
        out.contains("payload=[70 61 79 6c 6f 61 64 20 31]"),
        "{out}"
    );
    for part in [
        "seal-begin",
        "type-array",
        "sparse-index",
        "seal-dir",
        "trailer",
        "magic=BLGSEAL1",
    ] {
        assert!(out.contains(part), "{part} missing in {out}");
    }
    let j = json_lines(&stdout_of(binlog().args([
        "dump",
        "--json",
        seg.to_str().unwrap(),
    ])));
    assert_eq!(j[0]["what"], "header");
    assert_eq!(j[1]["what"], "record");
    assert_eq!(j[1]["offset"], f[0].0);
    assert_eq!(j[1]["len"], f[0].1);
    assert_eq!(j[1]["type"], "order");
    assert_eq!(j[1]["payload_len"], 9);
    assert_eq!(j.last().unwrap()["what"], "trailer");
    let limited = stdout_of(binlog().args([
        "dump",
        "--limit",
        "2",
        "--from-offset",
        &f[1].0.to_string(),
        seg.to_str().unwrap(),
    ]));
    assert!(
        limited.contains("seq=1") && limited.contains("seq=2") && !limited.contains("seq=3"),
        "{limited}"
    );
}

/// `dump --json` gives numbers as numbers and checks as bools: a CRC as
/// its value with `crc_ok` (and `crc_computed` when it fails), the flags
/// byte with its names, times with their nanoseconds, metadata as pairs.
#[test]
fn dump_json_gives_typed_fields() {
    let t = Tmp::new("dump-json");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 4);
    let f = frames(&seg);
    let bytes = std::fs::read(&seg).unwrap();
    let stored = |at: u64| {
        let at = at as usize + 4;
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    };
    let j = json_lines(&stdout_of(binlog().args(["dump", "--json"]).arg(&seg)));
    let rec = &j[2]; // record 1: a trade, with a venue
    assert_eq!(rec["what"], "record");
    assert_eq!(rec["crc"], stored(f[1].0), "{rec}");
    assert_eq!(rec["crc_ok"], true, "{rec}");
    assert_eq!(rec["flags"], 0x31, "{rec}");
    assert_eq!(
        rec["flag_names"],
        serde_json::json!(["record", "defines-type", "has-meta"])
    );
    assert_eq!(rec["meta"], serde_json::json!([["venue", "XLON"]]));
    assert_eq!(rec["ts_ns"], T0 + SEC);
    assert_eq!(rec["payload"], "7061796c6f61642031");
    assert_eq!(rec["payload_truncated"], false);
    let dir = j.iter().find(|l| l["what"] == "seal-dir").unwrap();
    assert_eq!(dir["first_ts_ns"], T0, "{dir}");
    assert_eq!(dir["types"][0]["type"], "order", "{dir}");
    assert_eq!(dir["types"][0]["records"], 2, "{dir}");
    let arr = j.iter().find(|l| l["what"] == "type-array").unwrap();
    assert_eq!(arr["first"][0], f[0].0, "{arr}");

    // A damaged record: its CRCs as numbers, the check false.
    let offset = damage_record(&seg, 2);
    let j = json_lines(&stdout_of(binlog().args(["dump", "--json"]).arg(&seg)));
    let bad = j.iter().find(|l| l["what"] == "bad-frame").unwrap();
    assert_eq!(bad["stored_crc"], stored(offset), "{bad}");
    assert!(bad["computed_crc"].is_u64(), "{bad}");
    assert_ne!(bad["computed_crc"], bad["stored_crc"], "{bad}");
}

/// `dump --from-offset N` with N inside a record of a healthy segment
/// starts at the next record: it reports no bad frame there, skips none of
/// the valid records after it (whatever their sequence numbers), names
/// their types, and exits 0; real damage after N is still shown (exit 1).
#[test]
fn dump_from_an_offset_inside_a_record_starts_at_the_next_record() {
    let t = Tmp::new("dump-from");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    // `binlog dump --json PATH --from-offset FROM`: its output, JSON lines
    // and the sequence numbers of the records shown.
    let dump = |path: &Path, from: u64| {
        let out = binlog()
            .args(["dump", "--json", path.to_str().unwrap()])
            .args(["--from-offset", &from.to_string()])
            .output()
            .unwrap();
        let lines = json_lines(&String::from_utf8(out.stdout.clone()).unwrap());
        let seqs: Vec<u64> = lines
            .iter()
            .filter(|l| l["what"] == "record")
            .map(|l| l["seq"].as_u64().unwrap())
            .collect();
        (out, lines, seqs)
    };
    let f = frames(&seg);
    let from = f[3].0 + 3;
    let (out, lines, seqs) = dump(&seg, from);
    let what: Vec<&str> = lines.iter().map(|l| l["what"].as_str().unwrap()).collect();
    assert!(!what.contains(&"bad-frame"), "{}", out_text(&out));
    assert_eq!(seqs, (4..10).collect::<Vec<_>>(), "{}", out_text(&out));
    // Type names are known although their definitions come before N.
    assert!(lines
        .iter()
        .filter(|l| l["what"] == "record")
        .all(|l| l["type"] != "?"));
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // On a record boundary of an unsealed segment: the same records.
    let u = t.join("u.binlog");
    unsealed_segment(&u, 10);
    let f = frames(&u);
    let (out, _, seqs) = dump(&u, f[6].0 - 1);
    assert_eq!(seqs, (6..10).collect::<Vec<_>>(), "{}", out_text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // Real damage after the offset is still shown and still exits 1.
    let f = frames(&seg);
    flip_byte(&seg, f[7].0 + 12);
    let (out, lines, _) = dump(&seg, from);
    assert!(lines
        .iter()
        .any(|l| l["what"] == "bad-frame" && l["offset"] == f[7].0));
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
}

// ------------------------------------------------------------------- stats

#[test]
fn stats_per_type_and_per_time_bucket() {
    let t = Tmp::new("stats");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    // 90 records over three minutes: 30 a minute.
    for i in 0..90i64 {
        let t = TYPES[(i % 3) as usize];
        w.write_with(t, &[], Some(T0 - 20 * SEC + i * 2 * SEC), b"0123456789")
            .unwrap();
    }
    w.close().unwrap();
    let j = json_of(binlog().args(["stats", "--json", "--by", "minute", seg.to_str().unwrap()]));
    assert_eq!(j["records"], 90);
    assert_eq!(j["by"], "minute");
    let types = j["types"].as_array().unwrap();
    assert_eq!(types.len(), 3);
    assert!(types.iter().all(|t| t["records"] == 30));
    let total: u64 = types.iter().map(|t| t["bytes"].as_u64().unwrap()).sum();
    assert_eq!(j["bytes"], total);
    let buckets = j["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 3);
    assert_eq!(buckets[0]["start"], "2023-11-14T22:13:00Z");
    assert_eq!(buckets[0]["records"], 30);
    assert_eq!(buckets[1]["types"]["order"]["records"], 10);
    binlog()
        .args(["stats", seg.to_str().unwrap(), "--by", "hour"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2023-11-14T22:00Z"))
        .stdout(predicate::str::is_match(r"order\s+30\s+33\.3%").unwrap());
    let j = json_of(binlog().args(["stats", "--json", "--type", "trade", seg.to_str().unwrap()]));
    assert_eq!(j["records"], 30);
}

/// A record at the earliest time a timestamp holds (i64::MIN ns, in 1677):
/// its time bucket starts before i64::MIN. Flooring it must not overflow
/// (a panic in a debug build, a bucket in 2262 in a release build).
#[test]
fn stats_buckets_a_record_at_the_earliest_timestamp() {
    let t = Tmp::new("stats-min");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write_with("t", &[], Some(i64::MIN), b"x").unwrap();
    w.write_with("t", &[], Some(0), b"y").unwrap();
    w.close().unwrap();
    for by in ["minute", "hour", "day"] {
        let out = binlog()
            .args(["stats", "--json", "--by", by, seg.to_str().unwrap()])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let buckets = j["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), 2, "{j}");
        // In time order, the first one in 1677.
        assert_eq!(buckets[0]["records"], 1);
        assert!(
            buckets[0]["start"]
                .as_str()
                .unwrap()
                .starts_with("1677-09-2"),
            "{j}"
        );
        assert!(buckets[0]["start_ns"].as_i64().unwrap() <= i64::MIN + 86_400_000_000_000);
        assert_eq!(buckets[1]["start_ns"], 0);
    }
}

/// `--by second` buckets by second; the text output's `rate` line is a
/// sparkline of records per bucket (a space for none), condensed to 80
/// columns when standard output is no terminal; `--json` adds payload
/// bytes and each type's first and last record.
#[test]
fn stats_by_second_draws_a_sparkline_that_fits_the_width() {
    let t = Tmp::new("stats-second");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    for (second, n) in [(0, 1), (1, 8), (3, 4)] {
        for _ in 0..n {
            w.write_with("tick", &[], Some(T0 + second * SEC), b"abc")
                .unwrap();
        }
    }
    w.close().unwrap();
    let s = seg.to_str().unwrap();
    binlog()
        .args(["stats", s, "--by", "second"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "\nrate  ▁█ ▄  at most 8 records a second\n",
        ))
        .stdout(predicate::str::contains("2023-11-14T22:13:21Z"));
    let j = json_of(binlog().args(["stats", "--json", "--by", "second", s]));
    assert_eq!(
        (j["by"].as_str(), j["payload_bytes"].as_u64()),
        (Some("second"), Some(39))
    );
    assert_eq!(j["buckets"].as_array().unwrap().len(), 3);
    let tick = &j["types"][0];
    assert_eq!(
        (tick["first_seq"].as_u64(), tick["last_seq"].as_u64()),
        (Some(0), Some(12))
    );
    // 500 seconds: 13 to a mark, 80 columns in all.
    let seg = t.join("long.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    for i in 0..500 {
        w.write_with("tick", &[], Some(T0 + i * SEC), b"").unwrap();
    }
    w.close().unwrap();
    let out = binlog()
        .args(["stats", seg.to_str().unwrap(), "--by", "second"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rate = text
        .lines()
        .find(|l| l.starts_with("rate  "))
        .expect("a rate line");
    assert!(rate.chars().count() <= 80, "{rate}");
    assert!(
        rate.contains("████") && rate.ends_with("at most 13 records per 13 seconds"),
        "{rate}"
    );
}

// ---------------------------------------------------------- time arguments

/// `--since`/`--until` read what docs/CLI.md lists: offsets, `t` or a
/// space for `T`, fractions (digits past nanoseconds dropped), no seconds,
/// durations run together or apart; a time without an offset, or a number
/// without a unit, is a bad time (exit status 2, the message naming it).
#[test]
fn since_and_until_read_offsets_fractions_and_durations() {
    let t = Tmp::new("time-forms");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    // Records 0..6, half a second apart from 2023-11-14T22:13:20Z.
    let t0: i64 = 1_700_000_000_000_000_000;
    for i in 0..6 {
        w.write_with("t", &[], Some(t0 + i * 500_000_000), b"x")
            .unwrap();
    }
    w.close().unwrap();
    let s = seg.to_str().unwrap();
    let seqs = |args: &[&str]| {
        let mut full = vec!["cat", s];
        full.extend_from_slice(args);
        seqs_of_lines(&stdout_of(binlog().args(&full)))
    };
    assert_eq!(seqs(&["--since", "2023-11-14T22:13:21Z"]), vec![2, 3, 4, 5]);
    assert_eq!(
        seqs(&["--since", "2023-11-14T23:13:21.5+01:00"]),
        vec![3, 4, 5]
    );
    assert_eq!(
        seqs(&["--since", "2023-11-14t21:43:21.5-00:30"]),
        vec![3, 4, 5]
    );
    assert_eq!(
        seqs(&["--since", "2023-11-14 22:13:21.000000001Z"]),
        vec![3, 4, 5]
    );
    assert_eq!(
        seqs(&["--until", "2023-11-14T22:13:21.0000000009Z"]),
        vec![0, 1]
    );
    assert_eq!(seqs(&["--until", "2023-11-14 22:14Z"]).len(), 6);
    assert_eq!(seqs(&["--until", "2023-11-14 22:13Z"]), Vec::<u64>::new());
    assert_eq!(seqs(&["--since", "@1700000001.5"]), vec![3, 4, 5]);
    assert_eq!(seqs(&["--until", "1h30m"]).len(), 6);
    assert_eq!(seqs(&["--until", "1h 30m ago"]).len(), 6);
    assert_eq!(seqs(&["--since", "1.5h"]), Vec::<u64>::new());
    for bad in [
        "2023-11-14T22:13:21",
        "90",
        "1h30",
        "2023-11-14T22:13:21,5Z",
    ] {
        binlog()
            .args(["cat", s, "--since", bad])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "--since: cannot read time {bad:?}: use RFC 3339"
            )));
    }
}

/// `--since`/`--until` take RFC 3339 times: a day the month does not have
/// or an offset that is not ±HH:MM (hours to 23, minutes to 59) is a bad
/// time (exit status 2), not read as another time without a word
/// (2023-02-31 as March 3rd, `+-1:00` as an offset of -1 h, `+99:99` as
/// 100 h 39 min).
#[test]
fn since_and_until_refuse_days_and_offsets_that_do_not_exist() {
    let t = Tmp::new("bad-dates");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write_with("t", &[], Some(0), b"x").unwrap();
    w.close().unwrap();
    let s = seg.to_str().unwrap();
    for bad in [
        "2023-02-29",
        "2023-02-31",
        "2024-02-30",
        "2023-04-31",
        "2023-11-31T00:00:00Z",
        "2023-11-14T22:13:20+-1:00",
        "2023-11-14T22:13:20+99:99",
        "2023-11-14T22:13:20+05:60",
        "2023-11-14T22:13:20-24:00",
    ] {
        for flag in ["--since", "--until"] {
            binlog()
                .args(["cat", s, flag, bad])
                .assert()
                .code(2)
                .stderr(predicates::str::contains("cannot read time"));
        }
    }
    for good in [
        "2024-02-29",
        "2000-02-29",
        "2023-12-31T23:59:59Z",
        "2023-11-14T22:13:20+23:59",
        "2023-11-14T22:13:20-00:30",
    ] {
        binlog()
            .args(["cat", s, "--since", good])
            .assert()
            .success();
    }
}

/// `dump` resumes after a bad frame where the library's reader (and so
/// `verify`) resumes: each `skip` line goes to the end of a damaged region
/// the reader skipped, and every record the reader read is shown.
#[test]
fn dump_resumes_where_the_reader_resumes() {
    let t = Tmp::new("dump-resume");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    let f = frames(&seg);
    for i in [2, 3, 7] {
        common::flip_byte(&seg, f[i].0 + f[i].1 - 2);
    }
    let mut r = binlog::Reader::open_salvage(&seg).unwrap();
    r.skip_damaged(true);
    let mut read = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        read.push(rec.seq);
    }
    let regions = r.damages().to_vec();
    assert_eq!(regions.len(), 2, "{regions:?}");
    let out = binlog()
        .args(["dump", "--json", seg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "damaged");
    let j = json_lines(&String::from_utf8(out.stdout).unwrap());
    let skips: Vec<(u64, u64)> = j
        .iter()
        .filter(|l| l["what"] == "skip")
        .map(|l| {
            (
                l["offset"].as_u64().unwrap(),
                l["next_record"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, u64)> = regions
        .iter()
        .map(|d| (d.offset, d.resume_offset))
        .collect();
    assert_eq!(skips, want);
    assert_eq!(want[0], (f[2].0, f[4].0));
    let shown: Vec<u64> = j
        .iter()
        .filter(|l| l["what"] == "record")
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, read);
}
