//! Imports go one way (docs/ARCHITECTURE.md): no two sibling modules of
//! a crate (the library's `src/`, the tool's `cli/src/`) import each other, directly or around a longer circle. A piece two
//! siblings share goes down to a module both use; a module's `mod.rs` and its
//! own files are parent and children, not siblings, and may refer to each
//! other.
//!
//! A module's imports are the `crate::`, `super::` and `self::` paths in its
//! file (a `use` group counted path by path); a directory module imports what
//! any file under it imports. Modules are named by their path under the
//! crate's `src/` (`reader/decoded`, `paths`); the root is `lib.rs` or
//! `main.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Circles not taken apart yet, each as its modules sorted. A circle listed
/// here that is gone fails the test too, so that the list only shrinks.
const KNOWN_CIRCLES: &[&[&str]] = &[];

#[test]
fn no_sibling_modules_import_each_other_in_a_circle() {
    let root = crate::common::repo_root();
    let found: BTreeSet<Vec<String>> = ["src", "cli/src"]
        .iter()
        .flat_map(|src| circles_in(&root.join(src)))
        .collect();
    let listed: BTreeSet<Vec<String>> = KNOWN_CIRCLES
        .iter()
        .map(|c| c.iter().map(|m| m.to_string()).collect())
        .collect();
    let new: Vec<_> = found.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&found).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "sibling modules that import each other: {new:?}; listed in KNOWN_CIRCLES but gone: {gone:?}"
    );
}

/// The circles of sibling modules of the crate whose sources are `src`.
fn circles_in(src: &Path) -> BTreeSet<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<String, String> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(src).unwrap().to_str().unwrap();
            (module_of(rel), std::fs::read_to_string(f).unwrap())
        })
        .collect();
    let known: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
    let mut imports: BTreeSet<(String, String)> = BTreeSet::new();
    for (module, text) in &modules {
        for target in imported_paths(module, &code_only(text)) {
            imports.insert((module.clone(), resolve(&target, &known)));
        }
    }
    sibling_circles(&known, &imports)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `reader/mod.rs` is `reader`, `reader/seek.rs` is `reader/seek`, `lib.rs`
/// and `main.rs` are the crate's root `""`.
fn module_of(rel: &str) -> String {
    let stem = rel.strip_suffix(".rs").unwrap();
    let stem = ["/mod", "/main"]
        .iter()
        .find_map(|end| stem.strip_suffix(end))
        .unwrap_or(stem);
    if stem == "lib" || stem == "main" {
        String::new()
    } else {
        stem.to_string()
    }
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

fn parent(module: &str) -> String {
    module
        .rsplit_once('/')
        .map_or(String::new(), |(p, _)| p.to_string())
}

/// The module a path names: its longest prefix that is a module.
fn resolve(path: &str, known: &BTreeSet<&str>) -> String {
    let mut p = path.to_string();
    while !known.contains(p.as_str()) {
        p = parent(&p);
    }
    p
}

/// `text` with comments, string and character literals blanked out.
fn code_only(text: &str) -> Vec<char> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(c.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] == '/' && at(&c, i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && at(&c, i + 1) == '*' {
            i += 2;
            while i < c.len() && !(c[i] == '*' && at(&c, i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if let Some(hashes) = raw_string_at(&c, i) {
            // r"..." or r#"..."#: no escapes, ends at `"` and the hashes.
            i += hashes + 2;
            let end: Vec<char> = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            while i < c.len() && !c[i..].starts_with(&end) {
                i += 1;
            }
            i += end.len();
            out.push(' ');
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c[i] == '\'' && (at(&c, i + 2) == '\'' || at(&c, i + 1) == '\\') {
            // A character literal ('{', '\n', '\u{7f}'), not a lifetime.
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Every module path `crate::`, `super::` or `self::` starts in `code` of
/// `module`, as a module name; inside an inline `mod name { ... }` they are
/// relative to that module.
fn imported_paths(module: &str, code: &[char]) -> Vec<String> {
    let mut scope = vec![(module.to_string(), 0usize)];
    let mut depth = 0;
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let word_start = i == 0 || !is_ident(code[i - 1]) && code[i - 1] != ':';
        let word = ident_at(code, i);
        if word_start && word == "mod" {
            let name = ident_at(code, skip_space(code, i + 3));
            let after = skip_space(code, skip_space(code, i + 3) + name.len());
            if code.get(after) == Some(&'{') {
                let inner = join(&scope.last().unwrap().0, &name);
                depth += 1;
                scope.push((inner, depth));
                i = after + 1;
                continue;
            }
        }
        if word_start && matches!(word.as_str(), "crate" | "super" | "self") {
            let here = &scope.last().unwrap().0;
            let (paths, end) = path_at(code, i);
            for p in paths {
                out.push(to_module(here, &p));
            }
            i = end.max(i + 1);
            continue;
        }
        match code[i] {
            '{' => depth += 1,
            '}' => {
                if scope.len() > 1 && scope.last().unwrap().1 == depth {
                    scope.pop();
                }
                depth -= 1;
            }
            _ => {}
        }
        i += word.len().max(1);
    }
    out
}

/// The module a path's segments reach from `here`, as a module name (it may
/// name an item: `resolve` takes it back to a module).
fn to_module(here: &str, segments: &[String]) -> String {
    let mut m = here.to_string();
    for (n, s) in segments.iter().enumerate() {
        match s.as_str() {
            "crate" if n == 0 => m = String::new(),
            "self" => {}
            "super" => m = parent(&m),
            "*" => {}
            name => m = join(&m, name),
        }
    }
    m
}

/// The paths of a path or `use` tree starting at `i`, and where it ends.
fn path_at(code: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        i = skip_space(code, i);
        let word = ident_at(code, i);
        if word.is_empty() {
            if code.get(i) == Some(&'{') {
                let mut all = Vec::new();
                i += 1;
                loop {
                    i = skip_space(code, i);
                    match code.get(i) {
                        Some('}') | None => return (all, i + 1),
                        Some(',') => i += 1,
                        _ => {
                            let (inner, end) = path_at(code, i);
                            all.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                            i = end;
                        }
                    }
                }
            }
            if code.get(i) == Some(&'*') {
                i += 1;
            }
            return (vec![prefix], i);
        }
        i += word.len();
        prefix.push(word);
        let next = skip_space(code, i);
        if code.get(next) == Some(&':') && code.get(next + 1) == Some(&':') {
            i = next + 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// How many `#` a raw string literal starting at `i` (`r"`, `r#"`, `br"`)
/// has, if one starts there.
fn raw_string_at(c: &[char], i: usize) -> Option<usize> {
    let starts_word =
        i == 0 || !is_ident(c[i - 1]) || c[i - 1] == 'b' && (i < 2 || !is_ident(c[i - 2]));
    if c[i] != 'r' || !starts_word {
        return None;
    }
    let hashes = c[i + 1..].iter().take_while(|&&h| h == '#').count();
    (at(c, i + 1 + hashes) == '"').then_some(hashes)
}

/// The character at `i`, or a space past the end.
fn at(c: &[char], i: usize) -> char {
    c.get(i).copied().unwrap_or(' ')
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_at(code: &[char], i: usize) -> String {
    code[i.min(code.len())..]
        .iter()
        .take_while(|c| is_ident(**c))
        .collect()
}

fn skip_space(code: &[char], mut i: usize) -> usize {
    while code.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

/// The circles among each module's children, where a child imports another
/// if anything under it imports anything under the other.
fn sibling_circles(
    known: &BTreeSet<&str>,
    imports: &BTreeSet<(String, String)>,
) -> BTreeSet<Vec<String>> {
    let mut circles = BTreeSet::new();
    for p in known {
        let children: Vec<&str> = known
            .iter()
            .copied()
            .filter(|m| !m.is_empty() && parent(m) == *p)
            .collect();
        let under = |m: &str, child: &str| m == child || m.starts_with(&format!("{child}/"));
        let edge = |a: &str, b: &str| {
            a != b
                && imports
                    .iter()
                    .any(|(from, to)| under(from, a) && under(to, b))
        };
        // Two children are in one circle when each reaches the other.
        let mut reach: BTreeMap<&str, BTreeSet<&str>> = children
            .iter()
            .map(|a| {
                (
                    *a,
                    children.iter().copied().filter(|b| edge(a, b)).collect(),
                )
            })
            .collect();
        for k in &children {
            for a in &children {
                if reach[a].contains(k) {
                    let via: Vec<&str> = reach[k].iter().copied().collect();
                    reach.get_mut(a).unwrap().extend(via);
                }
            }
        }
        for a in &children {
            let mut circle: Vec<String> = children
                .iter()
                .filter(|b| *a == **b || reach[a].contains(*b) && reach[*b].contains(a))
                .map(|b| b.to_string())
                .collect();
            if circle.len() > 1 {
                circle.sort();
                circles.insert(circle);
            }
        }
    }
    circles
}
