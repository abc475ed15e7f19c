//! One version for every artifact: the C header's version macros, the Java
//! binding's POM and the Python package state Cargo.toml's version; a
//! missing file fails, never skips. (The pkg-config and CMake files take it
//! from Cargo.toml when `make install` writes them; the Go module's version
//! is its git tag, `bindings/go/vX.Y.Z`; the Go binding reads the header's
//! macros through cgo.) And one list of result codes: docs/GUIDE.md's
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

/// Maven's `-SNAPSHOT` marks the same version before its release.
#[test]
fn java_pom_states_the_cargo_version() {
    let pom = read("bindings/java/pom.xml");
    let version = project_version_of_pom(&pom).expect("bindings/java/pom.xml has a <version>");
    let release = version.strip_suffix("-SNAPSHOT").unwrap_or(&version);
    assert_eq!(release, CARGO_VERSION, "bindings/java/pom.xml: {version}");
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
