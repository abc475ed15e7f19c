//! One version for every artifact: Cargo.toml's. The tool's crate and its
//! dependency on the library, `binlog --version`, the C header's version
//! macros (which the Go binding's `HeaderVersion*` constants are, and
//! `binlog_version()`, Go's `Version()`, returns the library's
//! CARGO_PKG_VERSION), the Java binding's POM, the Python package, the
//! version the Makefile gives the pkg-config and CMake files (`make
//! version`, read from Cargo.toml) and CHANGELOG.md's newest release
//! heading (the first `## X.Y.Z - date` below `## Unreleased`) state it; a
//! missing file fails, never skips. (The Go module's version is its git
//! tag, `bindings/go/vX.Y.Z`.) And one list of result codes: docs/GUIDE.md's
//! table is the header's `binlog_result`.

use std::path::Path;

const CARGO_VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn header_version_macros_state_the_cargo_version() {
    let header = read("include/binlog.h");
    let macro_value = |name: &str| -> String {
        let prefix = format!("#define {name} ");
        let line = header
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("include/binlog.h has no {name}"));
        line[prefix.len()..].trim().to_string()
    };
    let stated = format!(
        "{}.{}.{}",
        macro_value("BINLOG_VERSION_MAJOR"),
        macro_value("BINLOG_VERSION_MINOR"),
        macro_value("BINLOG_VERSION_PATCH")
    );
    assert_eq!(stated, CARGO_VERSION, "include/binlog.h");
}

/// Every code of the header's `enum binlog_result`, at its number, is a
/// row of docs/GUIDE.md's "Result codes" table, and the table has no other.
#[test]
fn the_guides_result_code_table_lists_every_code_of_the_header() {
    let header = read("include/binlog.h");
    let start = header.find("enum binlog_result").expect("the enum");
    let body = &header[start..][..header[start..].find("};").expect("its end")];
    let codes: Vec<String> = body
        .lines()
        .filter_map(|l| l.trim().strip_suffix(',')?.split_once(" = "))
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    assert!(codes.len() > 30, "binlog.h's codes: {codes:?}");
    let guide = read("docs/GUIDE.md");
    let table = &guide[guide.find("## Result codes").expect("GUIDE.md's table")..];
    let rows: Vec<String> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| {
            let mut cells = l.split('|').map(str::trim).skip(1);
            let n = cells.next().filter(|n| n.parse::<u32>().is_ok())?;
            Some(format!("{n} {}", cells.next()?.trim_matches('`')))
        })
        .collect();
    assert_eq!(rows, codes, "docs/GUIDE.md's codes, then binlog.h's");
}

/// The POM `make release` deploys states the release's version (no
/// `-SNAPSHOT`).
#[test]
fn java_pom_states_the_cargo_version() {
    let pom = read("bindings/java/pom.xml");
    let version = project_version_of_pom(&pom).expect("bindings/java/pom.xml has a <version>");
    assert_eq!(version, CARGO_VERSION, "bindings/java/pom.xml");
}

/// The tool's crate, and the version of the library it asks for (which
/// `cargo package` needs: a path alone is not published).
#[test]
fn the_tools_crate_and_its_library_dependency_state_the_cargo_version() {
    let manifest = read("cli/Cargo.toml");
    let package = toml_string(&manifest, "[package]", "version");
    assert_eq!(package.as_deref(), Some(CARGO_VERSION), "cli/Cargo.toml");
    let dependency = toml_string(&manifest, "[dependencies]", "libbinlog")
        .expect("cli/Cargo.toml: libbinlog in [dependencies]");
    assert_eq!(dependency, CARGO_VERSION, "cli/Cargo.toml's libbinlog");
}

#[test]
fn binlog_version_prints_the_cargo_version() {
    // Through the tests' runner (an emulator for another architecture's).
    let out = crate::common::child::command(crate::common::cli::tool())
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), format!("binlog {CARGO_VERSION}"));
}

/// The Makefile's VERSION: the pkg-config and CMake files' (`make
/// install` writes them from packaging/c/*.in), the C tarballs' names.
#[test]
fn the_makefiles_version_is_the_cargo_version() {
    for (file, line) in [
        ("packaging/c/binlog.pc.in", "Version: @VERSION@"),
        (
            "packaging/c/binlogConfigVersion.cmake.in",
            "set(PACKAGE_VERSION \"@VERSION@\")",
        ),
    ] {
        assert!(read(file).lines().any(|l| l == line), "{file}: no {line}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("make")
        .args(["-s", "--no-print-directory", "-C"])
        .arg(root)
        .arg("version")
        .output()
        .expect("make");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), CARGO_VERSION);
}

/// The first release heading (`## X.Y.Z - date`, below an `## Unreleased`
/// one if there is one) is the version's.
#[test]
fn the_changelogs_newest_release_is_the_cargo_version() {
    let changelog = read("CHANGELOG.md");
    let newest =
        newest_release_of_changelog(&changelog).expect("CHANGELOG.md has a release heading");
    assert_eq!(newest, CARGO_VERSION, "CHANGELOG.md");
}

#[test]
fn the_changelogs_newest_release_is_its_first_versions_heading() {
    let text =
        "# C\n\n## Unreleased\n\n### Added\n\n## 1.2.0 - 2026-01-02\n\n## 1.1.0 - 2025-01-01\n";
    assert_eq!(newest_release_of_changelog(text).as_deref(), Some("1.2.0"));
    assert_eq!(newest_release_of_changelog("## Unreleased\n"), None);
}

fn newest_release_of_changelog(text: &str) -> Option<String> {
    let heading = text
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .find(|h| *h != "Unreleased")?;
    Some(heading.split(' ').next()?.to_string())
}

/// The string value of `key` (`key = "value"`, or the `version` of `key =
/// { ..., version = "value", ... }`) in the `[table]` of a TOML file.
fn toml_string(text: &str, table: &str, key: &str) -> Option<String> {
    let mut in_table = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == table;
            continue;
        }
        let value = line.strip_prefix(key).map(str::trim_start);
        let Some(value) = value.and_then(|v| v.strip_prefix('=')).filter(|_| in_table) else {
            continue;
        };
        let value = value.trim();
        let value = match value.find("version = \"") {
            Some(at) if value.starts_with('{') => &value[at + "version = ".len()..],
            _ => value,
        };
        return Some(value.strip_prefix('"')?.split('"').next()?.to_string());
    }
    None
}

/// The wheel takes its version from pyproject.toml's `[project]` table
/// (setuptools; nothing derives it from Cargo.toml), so the table must
/// state it: a missing file or a version declared `dynamic` fails.
#[test]
fn python_package_states_the_cargo_version() {
    let pyproject = read("bindings/python/pyproject.toml");
    let version = project_version_of_pyproject(&pyproject)
        .expect("bindings/python/pyproject.toml states version = \"...\" in [project]");
    assert_eq!(version, CARGO_VERSION, "bindings/python/pyproject.toml");
}

#[test]
fn the_pyproject_version_is_the_projects_not_another_tables() {
    let tool_first = "[tool.x]\nversion = \"9\"\n[project]\nname = \"a\"\nversion = \"1.2.3\"\n";
    assert_eq!(
        project_version_of_pyproject(tool_first).as_deref(),
        Some("1.2.3")
    );
    let dynamic = "[project]\nname = \"a\"\ndynamic = [\"version\"]\n";
    assert_eq!(project_version_of_pyproject(dynamic), None);
}

/// The `version = "..."` line of the `[project]` table, if it has one.
fn project_version_of_pyproject(text: &str) -> Option<String> {
    let mut in_project = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_project = line == "[project]";
        } else if in_project {
            if let Some(rest) = line.strip_prefix("version = \"") {
                return rest.strip_suffix('"').map(str::to_string);
            }
        }
    }
    None
}

#[test]
fn the_pom_version_is_the_projects_not_a_parents_or_dependencys() {
    let pom = "<project><parent><version>9</version></parent>\
               <artifactId>a</artifactId><version>1.2.3</version>\
               <dependencies><dependency><version>5</version></dependency></dependencies></project>";
    assert_eq!(project_version_of_pom(pom).as_deref(), Some("1.2.3"));
    let dependency_first = "<project><dependencies><dependency><version>5</version>\
                            </dependency></dependencies><version>2.0</version></project>";
    assert_eq!(
        project_version_of_pom(dependency_first).as_deref(),
        Some("2.0")
    );
}

/// The `<version>` that is a child of `<project>`: the first one outside
/// the elements that hold other artifacts' versions.
fn project_version_of_pom(pom: &str) -> Option<String> {
    let mut text = pom.to_string();
    for element in [
        "parent",
        "dependencyManagement",
        "dependencies",
        "build",
        "profiles",
        "reporting",
        "properties",
    ] {
        text = without_elements(&text, element);
    }
    let start = text.find("<version>")? + "<version>".len();
    let end = start + text[start..].find("</version>")?;
    Some(text[start..end].trim().to_string())
}

fn without_elements(text: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find(&close) {
            Some(end) => &rest[start + end + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
