//! The C ABI only grows (docs/ABI.md): every function and callback type of
//! include/binlog.h, as its one-line prototype, is recorded in
//! tests/abi/prototypes.txt. A recorded prototype missing from the header
//! (a function removed, renamed, or given another signature) breaks programs
//! linked against libbinlog.so.0; a prototype in the header but not in the
//! file is new, and must be recorded (appended) so that its next change is
//! caught. `make check-abi` checks the same of the struct layouts,
//! enumerator values and exported symbols of the built library.

use std::collections::BTreeSet;

const HEADER: &str = include_str!("../../include/binlog.h");
const RECORDED: &str = include_str!("../abi/prototypes.txt");

#[test]
fn every_recorded_prototype_is_still_in_the_header() {
    let header = prototypes(HEADER);
    let gone: Vec<&str> = recorded().filter(|p| !header.contains(*p)).collect();
    assert!(
        gone.is_empty(),
        "include/binlog.h lost or changed these recorded prototypes (an ABI break, docs/ABI.md):\n{}",
        gone.join("\n")
    );
}

#[test]
fn every_prototype_in_the_header_is_recorded() {
    let recorded: BTreeSet<&str> = recorded().collect();
    let new: Vec<String> = prototypes(HEADER)
        .into_iter()
        .filter(|p| !recorded.contains(p.as_str()))
        .collect();
    assert!(
        new.is_empty(),
        "append these new prototypes of include/binlog.h to tests/abi/prototypes.txt:\n{}",
        new.join("\n")
    );
}

#[test]
fn the_parser_finds_functions_and_callback_types() {
    let found = prototypes(HEADER);
    assert!(found.contains("const char *binlog_version(void)"));
    assert!(found.contains(
        "binlog_result binlog_reader_next_wait(struct binlog_reader *r, uint64_t timeout_ms, struct binlog_record *out)"
    ));
    assert!(found.contains("typedef int64_t (*binlog_clock)(void *user)"));
    assert!(found.iter().all(|p| p.contains("binlog_")), "{found:?}");
}

fn recorded() -> impl Iterator<Item = &'static str> {
    RECORDED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Each declaration with a parameter list (functions and function pointer
/// typedefs), comments and preprocessor lines removed, on one line with
/// single spaces.
fn prototypes(header: &str) -> BTreeSet<String> {
    let code: String = without_comments(header)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    code.split(';')
        // What follows the last brace: a struct's or `extern "C" {`'s end.
        .map(|s| s.rsplit(['{', '}']).next().unwrap_or(s))
        .filter(|s| s.contains('('))
        .map(|s| {
            let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
            one_line.replace("( ", "(").replace(" )", ")")
        })
        .collect()
}

fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}
