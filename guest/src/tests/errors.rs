//! Snapshot of the errors the guest's layers render for people, as a
//! command prints them (`Error: ` and the causes): WIT that does not parse
//! (file, line, column and the snippet), a semver break, config files, a
//! workspace, a dependency that cannot be had. Compared with
//! `src/tests/snapshots/errors.txt`; `BLESS=1 cargo test -p wkg-guest
//! --lib` rewrites it (as wit-parser's tests do); review the diff.
//!
//! Runs natively: everything here is in memory or in a temporary directory
//! (std's files, no wasi import).

use std::path::Path;

use crate::error::render;
use crate::{deps, ops, packages, settings, wit, workspace};

/// A fresh directory for one case, in the temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("wkg-errors-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The case's paths relative to the scratch directory, so the snapshot
/// holds no machine path.
fn relative(text: String, dir: &Path) -> String {
    text.replace(&format!("{}/", dir.display()), "")
}

fn wit_file(name: &str, wit: &str) -> String {
    let dir = scratch(name);
    let path = dir.join("api.wit");
    std::fs::write(&path, wit).unwrap();
    let e = deps::parse_wit(&path).expect_err(name);
    relative(render(&e), &dir)
}

fn wit_dir(name: &str, files: &[(&str, &str)]) -> String {
    let dir = scratch(name);
    for (file, wit) in files {
        std::fs::write(dir.join(file), wit).unwrap();
    }
    let e = deps::parse_wit(&dir).expect_err(name);
    relative(render(&e), &dir)
}

fn semver(old: &str, new: &str) -> String {
    let release = |version: &str, body: &str| {
        let text = format!("package test:pkg@{version}; {body}");
        let group = wit_parser::UnresolvedPackageGroup::parse("test.wit", &text)
            .unwrap_or_else(|(map, e)| panic!("{}", e.render(&map)));
        let mut resolve = wit_parser::Resolve::new();
        let id = resolve.push_group(group).unwrap();
        let bytes = wit_component::encode(&resolve, id, false).unwrap();
        wit::Release::decode(version.parse().unwrap(), &bytes).unwrap()
    };
    let e = wit::semver_check(&release("1.0.0", old), &release("1.1.0", new)).expect_err("break");
    let e = ops::Error::Context {
        what: "new version 1.1.0 is not semver-compatible with existing version 1.0.0 \
               (pass `--skip-semver-check` to publish anyway)"
            .into(),
        source: Box::new(e.into()),
    };
    render(&e)
}

fn config(name: &str, toml: &str) -> String {
    let dir = scratch(name);
    let path = dir.join("config.toml");
    std::fs::write(&path, toml).unwrap();
    let e = settings::read_config(&path).expect_err(name);
    relative(render(&e), &dir)
}

fn cases() -> Vec<(&'static str, String)> {
    let package: wkg_core::package::PackageRef = "test:dep".parse().unwrap();
    vec![
        (
            "a .wit file with a syntax error",
            wit_file(
                "syntax",
                "package test:app;\n\ninterface api {\n  f: func(x: u32;\n}\n",
            ),
        ),
        (
            "a .wit file naming a type it does not define",
            wit_file(
                "undefined",
                "package test:app;\n\ninterface api {\n  f: func() -> missing;\n}\n",
            ),
        ),
        (
            "a WIT directory whose files disagree on the package",
            wit_dir(
                "two-packages",
                &[
                    ("a.wit", "package test:a;\n"),
                    ("b.wit", "package test:b;\n"),
                ],
            ),
        ),
        (
            "a semver break",
            semver(
                "interface api { f: func() -> u32; } world w { export api; }",
                "interface api { f: func() -> string; } world w { export api; }",
            ),
        ),
        (
            "a removed world",
            semver(
                "interface api { f: func(); } world w { export api; } world gone { import api; }",
                "interface api { f: func(); } world w { export api; }",
            ),
        ),
        (
            "config.toml with a bad type",
            config("config-type", "default_registry = 3\n"),
        ),
        (
            "config.toml that is no TOML",
            config("config-syntax", "[registry\n"),
        ),
        (
            "a missing --config",
            render(&settings::Error::MissingConfig("missing.toml".into())),
        ),
        (
            "a workspace glob with **",
            render(&workspace::Error::Recursive("crates/**".into())),
        ),
        (
            "a dependency a local registry lacks",
            render(&ops::Error::Context {
                what: "building `wit`".into(),
                source: Box::new(
                    deps::Error::Release {
                        what: format!("resolving `{package}@1.0.0`"),
                        source: packages::Error::LocalRelease {
                            package: package.clone(),
                            version: "1.0.0".parse().unwrap(),
                            root: "registry".into(),
                            cause: std::io::Error::from(std::io::ErrorKind::NotFound),
                        },
                    }
                    .into(),
                ),
            }),
        ),
        (
            "a package that maps to an uppercase repository",
            render(&packages::Error::Uppercase {
                package,
                repository: "Org/test/dep".into(),
                prefix: "Org/".into(),
                registry: "ghcr.io".parse().unwrap(),
            }),
        ),
    ]
}

#[test]
fn rendered_errors_match_the_snapshot() {
    let mut out = String::new();
    for (what, rendered) in cases() {
        out.push_str(&format!("--- {what}\nError: {rendered}\n"));
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/tests/snapshots/errors.txt"
    );
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &out).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run with BLESS=1 to write it"));
    if out != expected {
        let line = out
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or(out.lines().count().min(expected.lines().count()), |n| n);
        panic!(
            "rendered errors differ from {path} from line {}: run with BLESS=1 and review the diff\n\
             --- now:\n{out}",
            line + 1
        );
    }
}
