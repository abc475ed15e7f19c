//! The crate's public Rust API against the checked-in listing
//! tests/public_api.txt: a public item, field, variant, method or trait
//! implementation added, removed or changed fails here, so that the API
//! changes only on purpose. After a deliberate change, `make public-api`
//! writes the listing anew; its diff is the API change to review.
//!
//! The listing is read from what `cargo doc` (stable rustdoc, `-D
//! warnings`, so a broken doc link or a missing doc fails too) shows a
//! user: each documented item's declaration, the headers of its inherent
//! `impl` blocks and methods, and the traits it implements (not the auto
//! and blanket ones). Hidden items (`ffi`) and the internals (feature `internals`) are not in it.
//! rustdoc runs in a target directory of its own (`target/public-api`),
//! so that it neither waits for the build's lock nor rebuilds its files;
//! `make test` instead builds the docs beside its lint, whose checked
//! dependencies rustdoc reuses, and names them in `BINLOG_PUBLIC_API_DOC`
//! (the `doc` directory), which this test then reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const LISTING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/public_api.txt");

/// Set to `overwrite` (by `make public-api`) to write the listing instead
/// of comparing with it.
const OVERWRITE: &str = "BINLOG_PUBLIC_API";

#[test]
fn public_api_is_the_checked_in_listing() {
    let doc = build_docs();
    let listing = api_listing(&doc.join("binlog"));
    if std::env::var(OVERWRITE).as_deref() == Ok("overwrite") {
        std::fs::write(LISTING, &listing).expect("write tests/public_api.txt");
        return;
    }
    let expected = std::fs::read_to_string(LISTING).unwrap_or_default();
    if listing != expected {
        let old: BTreeSet<&str> = expected.lines().collect();
        let new: BTreeSet<&str> = listing.lines().collect();
        let mut diff = String::new();
        for line in old.difference(&new) {
            diff += &format!("- {line}\n");
        }
        for line in new.difference(&old) {
            diff += &format!("+ {line}\n");
        }
        panic!(
            "the public API differs from tests/public_api.txt \
             (- listed only there, + only in the crate):\n{diff}\n\
             If the change is meant, run `make public-api` and commit the listing."
        );
    }
}

/// Set by `make test` to the `doc` directory of docs it built (with
/// `RUSTDOCFLAGS=-D warnings`) just before the tests.
const BUILT_DOC: &str = "BINLOG_PUBLIC_API_DOC";

/// The library's docs: those `make test` built, or `cargo doc` run now;
/// returns their `doc` directory.
fn build_docs() -> PathBuf {
    if let Some(doc) = std::env::var_os(BUILT_DOC) {
        return PathBuf::from(doc);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"))
        .join("public-api");
    let out = Command::new(env!("CARGO"))
        .args([
            "doc",
            "-p",
            "libbinlog",
            "--features",
            "s3,sign",
            "--no-deps",
            "--lib",
            "--quiet",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(manifest)
        .env("RUSTDOCFLAGS", "-D warnings")
        .output()
        .expect("run cargo doc");
    assert!(
        out.status.success(),
        "cargo doc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("doc")
}

/// The listing: one line per declaration line, impl header and method
/// header, each after its item's path, sorted by item.
fn api_listing(crate_doc: &Path) -> String {
    let all = read(&crate_doc.join("all.html"));
    let mut pages: BTreeSet<String> = BTreeSet::new();
    for href in attribute_values(&all, "href=\"") {
        if is_item_page(href) {
            pages.insert(href.to_string());
        }
    }
    let mut out = String::new();
    for page in &pages {
        let path = item_path(page);
        let html = read(&crate_doc.join(page));
        for line in item_lines(&html) {
            out += &format!("{path}: {line}\n");
        }
    }
    out
}

/// `archive/struct.Shipper.html` and the like: a page of one item.
fn is_item_page(href: &str) -> bool {
    let file = href.rsplit('/').next().unwrap_or(href);
    let kinds = [
        "struct.",
        "enum.",
        "fn.",
        "trait.",
        "type.",
        "constant.",
        "static.",
        "macro.",
        "union.",
    ];
    !href.contains("://") && file.ends_with(".html") && kinds.iter().any(|k| file.starts_with(k))
}

/// `archive/struct.Shipper.html` -> `struct binlog::archive::Shipper`.
fn item_path(page: &str) -> String {
    let mut parts: Vec<&str> = page.trim_end_matches(".html").split('/').collect();
    let file = parts.pop().unwrap_or_default();
    let (kind, name) = file.split_once('.').unwrap_or(("item", file));
    let mut path = String::from("binlog");
    for module in parts {
        path = path + "::" + module;
    }
    format!("{kind} {path}::{name}")
}

/// An item page's declaration lines, then its inherent impl and method
/// headers and its trait impl headers (auto and blanket ones left out:
/// they follow from the fields).
fn item_lines(html: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(decl) = between(html, "<pre class=\"rust item-decl\">", "</pre>") {
        // A long declaration is folded behind a "Show 15 fields" summary.
        for line in text_of(&without(decl, "<summary", "</summary>")).lines() {
            let line = squeeze(line);
            if !line.is_empty() {
                lines.push(line);
            }
        }
    }
    let section = |id: &str| {
        let start = html.find(&format!("id=\"{id}\""))?;
        let rest = &html[start..];
        let end = ["synthetic-implementations", "blanket-implementations"]
            .iter()
            .filter_map(|next| rest.find(&format!("id=\"{next}\"")))
            .min()
            .unwrap_or(rest.len());
        Some(&rest[..end])
    };
    if let Some(inherent) = section("implementations-list") {
        let inherent = match inherent.find("id=\"trait-implementations\"") {
            Some(end) => &inherent[..end],
            None => inherent,
        };
        for header in tag_texts(inherent, "<h3 class=\"code-header\">", "</h3>")
            .into_iter()
            .chain(tag_texts(inherent, "<h4 class=\"code-header\">", "</h4>"))
        {
            lines.push(header);
        }
    }
    if let Some(traits) = section("trait-implementations-list") {
        lines.extend(tag_texts(traits, "<h3 class=\"code-header\">", "</h3>"));
    }
    lines
}

fn tag_texts(html: &str, open: &str, close: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let end = after.find(close).unwrap_or(after.len());
        found.push(squeeze(&text_of(&after[..end])));
        rest = &after[end..];
    }
    found
}

/// `html` without the elements from `open` to `close`.
fn without(html: &str, open: &str, close: &str) -> String {
    let mut kept = String::new();
    let mut rest = html;
    while let Some(start) = rest.find(open) {
        kept += &rest[..start];
        let end = rest[start..]
            .find(close)
            .map_or(rest.len(), |e| start + e + close.len());
        rest = &rest[end..];
    }
    kept + rest
}

fn between<'a>(html: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = html.find(open)? + open.len();
    let len = html[start..].find(close)?;
    Some(&html[start..start + len])
}

/// Every value of an attribute (`href="`) in a page.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    html.split(attr)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// The text of an HTML fragment: tags dropped, entities decoded.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
