//! One version for every artifact: the C header's version macros, the Java
//! binding's POM and the Python package (when there is one) state
//! Cargo.toml's version. (The pkg-config and CMake files take it from
//! Cargo.toml when `make install` writes them; the Go module's version is
//! its git tag, `bindings/go/vX.Y.Z`; the Go binding reads the header's
//! macros through cgo.)

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

/// Maven's `-SNAPSHOT` marks the same version before its release.
#[test]
fn java_pom_states_the_cargo_version() {
    let pom = read("bindings/java/pom.xml");
    let version = project_version_of_pom(&pom).expect("bindings/java/pom.xml has a <version>");
    let release = version.strip_suffix("-SNAPSHOT").unwrap_or(&version);
    assert_eq!(release, CARGO_VERSION, "bindings/java/pom.xml: {version}");
}

/// A package whose version maturin takes from Cargo.toml (`dynamic =
/// ["version"]`) agrees by construction.
#[test]
fn python_package_states_the_cargo_version() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bindings/python/pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return; // no Python package yet (issue 30)
    };
    if text.contains("dynamic = [\"version\"]") {
        return;
    }
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("bindings/python/pyproject.toml states a version or takes it from Cargo.toml");
    assert_eq!(version, CARGO_VERSION, "bindings/python/pyproject.toml");
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
