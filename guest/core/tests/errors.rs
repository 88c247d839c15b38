//! Snapshot of the errors people read: each bad input of a table, parsed by
//! the core, and its rendered message (with `file:line:col` and hints where
//! the format has them), then one of each dependency resolution error,
//! compared with `tests/snapshots/errors.txt`.
//! `BLESS=1 cargo test -p wkg-core --test errors` rewrites the snapshot
//! (as wit-parser's tests do); review the diff before committing it.

use wkg_core::config::Config;
use wkg_core::lock::LockFile;
use wkg_core::manifest::ImageManifest;
use wkg_core::package::{PackageRef, PackageSpec};
use wkg_core::project::ProjectManifest;
use wkg_core::reference::Reference;
use wkg_core::resolve::{LockPolicy, Requirements, Update};

/// (what, input) → the rendered error, or `ok` when it parses.
fn render(kind: &str, input: &str) -> String {
    fn show<T, E: std::fmt::Display>(r: Result<T, E>) -> String {
        match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    }
    match kind {
        "config.toml" => show(Config::from_toml(input, "config.toml")),
        "wkg.toml" => show(ProjectManifest::from_toml(input, "wkg.toml")),
        "wkg.lock" => show(LockFile::from_toml(input, "wkg.lock")),
        "reference" => show(input.parse::<Reference>()),
        "package" => show(input.parse::<PackageRef>()),
        "spec" => show(input.parse::<PackageSpec>()),
        "manifest" => show(ImageManifest::from_json(input.as_bytes())),
        other => panic!("no parser for {other}"),
    }
}

const CASES: &[(&str, &str)] = &[
    ("config.toml", "default_registry = 3\n"),
    ("config.toml", "[namespace_registries]\nwasi = \"\"\n"),
    (
        "config.toml",
        "[registry.\"ghcr.io\"]\nbackend = \"warg\"\n",
    ),
    ("config.toml", "unknown_key = true\n"),
    ("config.toml", "default_registry = \"ghcr.io\"\n[[\n"),
    ("wkg.toml", "[metadata]\nautors = \"me\"\n"),
    (
        "wkg.toml",
        "[overrides]\n\"wasi:http\" = { version = \"not semver\" }\n",
    ),
    ("wkg.toml", "[overrides]\n\"no-colon\" = { path = \"x\" }\n"),
    ("wkg.lock", "version = 2\n"),
    (
        "wkg.lock",
        "version = 1\n[[packages]]\nname = \"wasi:http\"\n",
    ),
    (
        "wkg.lock",
        "version = 1\n[[packages]]\nname = \"wasi:http\"\nregistry = \"ghcr.io\"\n\n[[packages.versions]]\nrequirement = \"=0.2.0\"\nversion = \"0.2.0\"\ndigest = \"md5:00\"\n",
    ),
    ("reference", "ghcr.io/Upper/Case:1.0"),
    ("reference", "ghcr.io/x@sha256:short"),
    ("reference", ""),
    ("package", "wasi"),
    ("package", "Wasi:http"),
    ("spec", "wasi:http@not-a-version"),
    ("manifest", "{\"schemaVersion\":2,\"layers\":[]}"),
    ("manifest", "not json"),
];

/// The dependency resolution errors (`wkg_core::resolve`), one of each,
/// as (what, message): they come from steps, not from parsing one input.
fn resolve_errors() -> Vec<(&'static str, String)> {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    let digest = |c: &str| c.repeat(64);
    let lock_text = format!(
        "version = 1\n[[packages]]\nname = \"test:dep\"\nregistry = \"localreg\"\n\n\
         [[packages.versions]]\nrequirement = \"=0.1.0\"\nversion = \"0.1.0\"\n\
         digest = \"sha256:{}\"\n",
        digest("a")
    );
    let lock = LockFile::from_toml(&lock_text, "wkg.lock").unwrap();
    let policy = |offline| LockPolicy {
        lock: &lock,
        lock_path: Path::new("/app/wkg.lock"),
        update: &Update::Nothing,
        offline,
    };
    let dep = |offline, requirement: &str| {
        policy(offline).dependency(
            "test:dep".parse().unwrap(),
            "localreg".parse().unwrap(),
            requirement.parse().unwrap(),
        )
    };
    let versions = ["0.2.0", "0.10.0", "0.1.0"].map(|v| v.parse().unwrap());
    let message = |r: Result<_, wkg_core::resolve::DependencyError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let requirements =
        Requirements::new(&BTreeMap::new(), Path::new("/app"), &BTreeMap::new(), None);
    let missing = wkg_core::resolve::LocalDependency {
        package: "test:lib".parse().unwrap(),
        path: PathBuf::from("/lib/wit"),
    };
    vec![
        (
            "missing local path",
            requirements.missing_path(&missing).to_string(),
        ),
        (
            "offline, locked, not cached",
            message(dep(true, "=0.1.0").step(None).map(drop)),
        ),
        (
            "offline, not locked",
            message(dep(true, "^0.1").step(None).map(drop)),
        ),
        (
            "no versions",
            message(dep(false, "*").choose(&[]).map(drop)),
        ),
        (
            "no match",
            message(dep(false, "=9.0.0").choose(&versions).map(drop)),
        ),
        (
            "digest mismatch",
            message(
                dep(false, "=0.1.0")
                    .check_digest(&format!("sha256:{}", digest("b")).parse().unwrap()),
            ),
        ),
    ]
}

#[test]
fn rendered_errors_match_the_snapshot() {
    let mut out = String::new();
    for (kind, input) in CASES {
        out.push_str(&format!("--- {kind}: {input:?}\n{}\n", render(kind, input)));
    }
    for (what, message) in resolve_errors() {
        out.push_str(&format!("--- resolve: {what}\n{message}\n"));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/errors.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots")).unwrap();
        std::fs::write(path, &out).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run with BLESS=1 to write it"));
    if want != out {
        let first = want
            .lines()
            .zip(out.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "rendered errors differ from {path} from line {}: run with BLESS=1 and review the diff\n\
             --- expected\n{}\n--- got\n{}",
            first + 1,
            want.lines()
                .skip(first)
                .take(4)
                .collect::<Vec<_>>()
                .join("\n"),
            out.lines()
                .skip(first)
                .take(4)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}
