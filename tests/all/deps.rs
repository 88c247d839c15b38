//! `wkg fetch`, `wkg update` and `wkg build` through the native host and the
//! real component, against a real Distribution registry seeded with the real
//! WASI 0.2.3 packages (published with our `wkg publish`).

use crate::support;

use std::path::Path;
use std::sync::OnceLock;

use support::{Registry, Run, Wkg};

/// A registry holding the WASI 0.2.3 packages, and a working directory whose
/// `config.toml` maps the `wasi` and `test` namespaces to it.
fn setup() -> (Registry, Wkg) {
    let registry = Registry::anonymous();
    let wkg = working_dir(&registry);
    seed(&wkg);
    (registry, wkg)
}

/// [`setup`] for the tests that only read the WASI packages: one registry,
/// seeded by the first test that asks, for all; none of them publishes.
pub(crate) fn setup_shared() -> (&'static Registry, Wkg) {
    static SEEDED: OnceLock<&'static Registry> = OnceLock::new();
    let registry = *SEEDED.get_or_init(|| {
        let registry = support::share(Registry::anonymous());
        seed(&working_dir(registry));
        registry
    });
    (registry, working_dir(registry))
}

/// A working directory whose `config.toml` maps the `wasi` and `test`
/// namespaces to `registry`.
pub(crate) fn working_dir(registry: &Registry) -> Wkg {
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&registry.host(), &["wasi", "test"]),
    )
    .unwrap();
    wkg
}

/// Publishes the WASI 0.2.3 packages to the registry of `wkg`'s config.
pub(crate) fn seed(wkg: &Wkg) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/wasi/0.2.3");
    for package in [
        "io",
        "clocks",
        "random",
        "filesystem",
        "sockets",
        "cli",
        "http",
    ] {
        let run = command(wkg, "publish", &[fixtures.join(package).to_str().unwrap()]);
        assert_eq!(run.code, 0, "seeding wasi:{package}: {run:?}");
    }
}

/// `wkg <command> --config <abs> --cache <abs> <args>` in the working
/// directory.
pub(crate) fn command(wkg: &Wkg, name: &str, args: &[&str]) -> Run {
    command_in(wkg, wkg.cwd.path(), name, args)
}

fn command_in(wkg: &Wkg, dir: &Path, name: &str, args: &[&str]) -> Run {
    let config = wkg.path("config.toml");
    let cache = wkg.path("cache");
    let mut all = vec![
        name,
        "--config",
        config.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    wkg.run_in(dir, &all)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The names in `dir`, sorted.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(requirement, version)` of each lock entry, by name.
fn locked(lock: &str) -> Vec<(String, String, String)> {
    let value: toml::Table = toml::from_str(lock).unwrap();
    let mut out = Vec::new();
    for package in value["packages"].as_array().unwrap() {
        for v in package["versions"].as_array().unwrap() {
            out.push((
                package["name"].as_str().unwrap().to_owned(),
                v["requirement"].as_str().unwrap().to_owned(),
                v["version"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[test]
fn fetches_the_wasi_http_proxy_tree_as_wkg_writes_it() {
    let (registry, wkg) = setup_shared();
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n}\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");

    let deps = wkg.path("wit/deps");
    assert_eq!(
        names(&deps),
        [
            "wasi-cli-0.2.3",
            "wasi-clocks-0.2.3",
            "wasi-http-0.2.3",
            "wasi-io-0.2.3",
            "wasi-random-0.2.3"
        ]
    );
    for dir in names(&deps) {
        assert_eq!(names(&deps.join(&dir)), ["package.wit"]);
    }
    let http = read(&deps.join("wasi-http-0.2.3/package.wit"));
    assert!(http.starts_with("package wasi:http@0.2.3;"), "{http}");
    assert!(http.contains("resource incoming-request"), "{http}");

    let lock = read(&wkg.path("wkg.lock"));
    let digest = {
        let (_, manifest) = registry.get(
            "/v2/wasi/http/manifests/0.2.3",
            "application/vnd.oci.image.manifest.v1+json",
        );
        let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        manifest["layers"][0]["digest"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        lock,
        format!(
            "# This file is automatically generated.\n# It is not intended for manual editing.\n\
             version = 1\n\n[[packages]]\nname = \"wasi:http\"\nregistry = \"{}\"\n\n\
             [[packages.versions]]\nrequirement = \"=0.2.3\"\nversion = \"0.2.3\"\ndigest = \"{digest}\"\n",
            registry.host()
        )
    );

    // The fetched tree builds: `wkg build` encodes the package.
    let run = command(&wkg, "build", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("WIT package written to test:app@0.1.0.wasm"),
        "{run:?}"
    );
    let built = std::fs::read(wkg.path("test:app@0.1.0.wasm")).unwrap();
    assert_eq!(&built[..4], b"\0asm");
    assert_eq!(read(&wkg.path("wkg.lock")), lock, "build keeps the lock");

    // `@unstable` items are kept.
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n  import wasi:cli/exit@0.2.3;\n}\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let cli = read(&deps.join("wasi-cli-0.2.3/package.wit"));
    assert!(
        cli.contains("@unstable(feature = cli-exit-with-code)"),
        "{cli}"
    );
    assert_eq!(locked(&read(&wkg.path("wkg.lock"))).len(), 2);

    // The deprecated alias still works, with wkg's warning.
    let run = wkg.run(&[
        "wit",
        "fetch",
        "--config",
        wkg.path("config.toml").to_str().unwrap(),
        "--cache",
        wkg.path("cache").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("warning: `wkg wit fetch` is deprecated"),
        "{run:?}"
    );
}

/// Publishes `test:dep@<version>` with `body` as its interface `api`.
fn publish_dep(wkg: &Wkg, version: &str, body: &str) {
    let dir = wkg.path(&format!("src/dep-{version}"));
    write(
        &dir.join("dep.wit"),
        &format!("package test:dep@{version};\n\ninterface api {{\n{body}}}\n"),
    );
    // From its own directory: the app's lock is not this package's.
    let run = command_in(wkg, &dir, "publish", &[".", "--skip-semver-check"]);
    assert_eq!(run.code, 0, "{run:?}");
}

fn app_using_dep(wkg: &Wkg) {
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  import test:dep/api;\n}\n",
    );
}

#[test]
fn the_lock_holds_detects_moved_tags_and_update_moves_it() {
    let (registry, wkg) = setup();
    publish_dep(&wkg, "0.1.0", "  f: func();\n");
    app_using_dep(&wkg);
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [("test:dep".into(), "*".into(), "0.1.0".into())]
    );

    // A newer matching release appears: the lock holds, with no request.
    publish_dep(&wkg, "0.1.1", "  f: func();\n  g: func();\n");
    let lock = read(&wkg.path("wkg.lock"));
    let before = registry.requests("GET", "/v2/") + registry.requests("HEAD", "/v2/");
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    let after = registry.requests("GET", "/v2/") + registry.requests("HEAD", "/v2/");
    assert_eq!(after, before, "a complete lock and cache make no request");

    // The locked tag is re-pushed with other content: a fresh cache sees
    // it and fails, naming both digests; lock and deps stay as they were.
    let other = wkg.path("other.wasm");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/greet.wasm"),
        &other,
    )
    .unwrap();
    let host = registry.host();
    let run = wkg.run(&[
        "oci",
        "push",
        &format!("{host}/test/dep:0.1.0"),
        other.to_str().unwrap(),
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let deps_before = read(&wkg.path("wit/deps/test-dep-0.1.0/package.wit"));
    let fresh = wkg.path("fresh-cache");
    let run = wkg.run(&[
        "fetch",
        "--config",
        wkg.path("config.toml").to_str().unwrap(),
        "--cache",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let locked_digest = lock
        .lines()
        .find_map(|l| l.strip_prefix("digest = \""))
        .unwrap()
        .trim_end_matches('"');
    assert!(run.stderr.contains("test:dep@0.1.0"), "{run:?}");
    assert!(run.stderr.contains(locked_digest), "{run:?}");
    assert!(run.stderr.contains("re-pushed"), "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
    assert_eq!(
        read(&wkg.path("wit/deps/test-dep-0.1.0/package.wit")),
        deps_before
    );

    // `update` re-resolves: the lock moves to 0.1.1, the old dep goes.
    let run = command(&wkg, "update", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Updated test:dep 0.1.0 -> 0.1.1"),
        "{run:?}"
    );
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [("test:dep".into(), "*".into(), "0.1.1".into())]
    );
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.1"]);
}

#[test]
fn offline_and_locked() {
    let (registry, wkg) = setup();
    publish_dep(&wkg, "0.1.0", "  f: func();\n");
    app_using_dep(&wkg);

    // No lock yet: offline cannot resolve, and says what is missing.
    let run = command(&wkg, "fetch", &["--offline"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("offline"), "{run:?}");
    assert!(run.stderr.contains("test:dep"), "{run:?}");
    assert!(!wkg.path("wkg.lock").exists());
    assert!(!wkg.path("wit/deps").exists());

    // `--locked` refuses to create or change the lock.
    let run = command(&wkg, "fetch", &["--locked"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--locked"), "{run:?}");
    assert!(!wkg.path("wkg.lock").exists());

    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let lock = read(&wkg.path("wkg.lock"));
    std::fs::remove_dir_all(wkg.path("wit/deps")).unwrap();

    // Complete lock and cache: offline works and makes no request.
    let requests = registry.log().lines().count();
    let run = command(&wkg, "fetch", &["--offline", "--locked"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    assert_eq!(registry.log().lines().count(), requests);
    let run = command(&wkg, "build", &["--offline", "-o", "app.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(registry.log().lines().count(), requests);

    // An incomplete cache: offline names what is missing.
    let run = wkg.run(&[
        "fetch",
        "--offline",
        "--config",
        wkg.path("config.toml").to_str().unwrap(),
        "--cache",
        wkg.path("empty-cache").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("`test:dep@0.1.0`") && run.stderr.contains("not in the cache"),
        "{run:?}"
    );

    // A new dependency with --locked: refused, nothing changed.
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  import test:dep/api;\n  import wasi:io/poll@0.2.3;\n}\n",
    );
    let run = command(&wkg, "fetch", &["--locked"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("would change"), "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
    // Without it, the entry is added; an entry no longer needed is dropped.
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(locked(&read(&wkg.path("wkg.lock"))).len(), 2);
    app_using_dep(&wkg);
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
}

#[test]
fn a_chain_of_packages_and_local_overrides() {
    let (_registry, wkg) = setup();
    // test:c <- test:b <- the app, c and b published to the registry.
    write(
        &wkg.path("src/c/c.wit"),
        "package test:c@0.1.0;\n\ninterface types {\n  record point { x: u32, y: u32 }\n}\n",
    );
    write(
        &wkg.path("src/b/b.wit"),
        "package test:b@0.1.0;\n\ninterface api {\n  use test:c/types@0.1.0.{point};\n  \
         origin: func() -> point;\n}\n",
    );
    for dir in ["src/c", "src/b"] {
        let run = command(&wkg, "publish", &[wkg.path(dir).to_str().unwrap()]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  import test:b/api@0.1.0;\n}\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        names(&wkg.path("wit/deps")),
        ["test-b-0.1.0", "test-c-0.1.0"]
    );
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [("test:b".into(), "=0.1.0".into(), "0.1.0".into())],
        "only direct dependencies are locked"
    );
    let run = command(&wkg, "fetch", &["-t", "wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&wkg.path("wit/deps")), ["test-b-0.1.0.wasm"]);

    // A local override of test:b, relative to wkg.toml, fetched from inside
    // the wit directory (`wkg fetch .`, which wkg 0.16.1 gets wrong).
    write(
        &wkg.path("local-b/b.wit"),
        "package test:b@0.1.0;\n\ninterface api {\n  use test:c/types@0.1.0.{point};\n  \
         origin: func() -> point;\n  local-only: func();\n}\n",
    );
    write(
        &wkg.path("wkg.toml"),
        "[overrides]\n\"test:b\" = { path = \"local-b\" }\n",
    );
    let wit = wkg.path("wit");
    let run = command_in(&wkg, &wit, "fetch", &["."]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        names(&wkg.path("wit/deps")),
        ["test-b-0.1.0", "test-c-0.1.0"]
    );
    assert!(read(&wkg.path("wit/deps/test-b-0.1.0/package.wit")).contains("local-only"));
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [("test:c".into(), "=0.1.0".into(), "0.1.0".into())],
        "the local dependency's own registry dependency is locked"
    );
}

#[test]
fn bad_input_changes_nothing() {
    let (_registry, wkg) = setup();
    publish_dep(&wkg, "0.1.0", "  f: func();\n");
    app_using_dep(&wkg);
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let lock = read(&wkg.path("wkg.lock"));
    let deps = read(&wkg.path("wit/deps/test-dep-0.1.0/package.wit"));
    let world = read(&wkg.path("wit/world.wit"));

    let cases: Vec<(&str, Option<&str>, Option<&str>, &str)> = vec![
        (
            "WIT syntax error",
            Some("package test:app@0.1.0;\n\nworld app {\n  import test:dep/api\n}\n"),
            None,
            "world.wit:5:1",
        ),
        (
            "a dependency that does not exist",
            Some("package test:app@0.1.0;\n\nworld app {\n  import test:nope/api@1.0.0;\n}\n"),
            None,
            "package `test:nope` was not found",
        ),
        (
            "no matching release",
            Some("package test:app@0.1.0;\n\nworld app {\n  import test:dep/api@9.0.0;\n}\n"),
            None,
            "matches `=9.0.0`",
        ),
        (
            "an unknown key in wkg.toml",
            None,
            Some("[overides]\n\"test:dep\" = { path = \"x\" }\n"),
            "wkg.toml:1",
        ),
        (
            "a cycle",
            None,
            Some(
                "[overrides]\n\"test:dep\" = { path = \"cyc/dep\" }\n\"test:other\" = { path = \"cyc/other\" }\n",
            ),
            "cycle",
        ),
        (
            "an override defining another package",
            None,
            Some("[overrides]\n\"test:dep\" = { path = \"dup\" }\n"),
            "defines package `test:twice@0.1.0`",
        ),
    ];
    write(
        &wkg.path("cyc/dep/dep.wit"),
        "package test:dep@0.1.0;\n\ninterface api {\n  use test:other/t.{x};\n}\n",
    );
    write(
        &wkg.path("cyc/other/other.wit"),
        "package test:other;\n\ninterface t {\n  use test:dep/api@0.1.0.{};\n  type x = u32;\n}\n",
    );
    write(
        &wkg.path("dup/dep.wit"),
        "package test:twice@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    );
    for (what, wit, manifest, needle) in cases {
        write(&wkg.path("wit/world.wit"), wit.unwrap_or(&world));
        match manifest {
            Some(text) => write(&wkg.path("wkg.toml"), text),
            None => {
                let _ = std::fs::remove_file(wkg.path("wkg.toml"));
            }
        }
        let run = command(&wkg, "fetch", &[]);
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert!(run.stderr.contains(needle), "{what}: {run:?}");
        assert_eq!(read(&wkg.path("wkg.lock")), lock, "{what}");
        assert_eq!(
            read(&wkg.path("wit/deps/test-dep-0.1.0/package.wit")),
            deps,
            "{what}"
        );
        assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"], "{what}");
    }
    let _ = std::fs::remove_file(wkg.path("wkg.toml"));
    write(&wkg.path("wit/world.wit"), &world);

    // A corrupted lock: a clear message, and the file left alone.
    let corrupt = "version = 1\n[[packages]]\nname = \"test:dep\"\n[[packages.versions]]\nrequirement = \"*\"\nversion = \"0.1.0\"\ndigest = \"sha256:nothex\"\n";
    write(&wkg.path("wkg.lock"), corrupt);
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("wkg.lock:"), "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), corrupt);

    // A missing wit directory: wkg's message.
    write(&wkg.path("wkg.lock"), &lock);
    let run = command(&wkg, "fetch", &["nowhere"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("unable to read wit directory: nowhere"),
        "{run:?}"
    );
}

/// A workspace of three members (`test:b` <- `test:a` <- `test:c`) under
/// `pkgs/*`, with `[workspace.metadata]`.
fn workspace(wkg: &Wkg) {
    write(
        &wkg.path("wkg.toml"),
        "[workspace]\nmembers = [\"pkgs/*\"]\n\n[workspace.metadata]\nlicense = \"Apache-2.0\"\n",
    );
    write(
        &wkg.path("pkgs/a/a.wit"),
        "package test:a@0.1.0;\n\ninterface api {\n  use test:b/types@0.1.0.{t};\n  f: func() -> t;\n}\n\n\
         world w {\n  import wasi:io/poll@0.2.3;\n  export api;\n}\n",
    );
    write(
        &wkg.path("pkgs/b/b.wit"),
        "package test:b@0.1.0;\n\ninterface types {\n  type t = u32;\n}\n",
    );
    write(
        &wkg.path("pkgs/c/c.wit"),
        "package test:c@0.2.0;\n\nworld cw {\n  import test:a/api@0.1.0;\n}\n",
    );
    // Not a member: no `.wit` file.
    std::fs::create_dir_all(wkg.path("pkgs/notes")).unwrap();
}

#[test]
fn workspaces_fetch_together_and_publish_in_waves() {
    let (registry, wkg) = setup();
    workspace(&wkg);

    // At the root: every member, one lock, `wkg/deps` without the members.
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&wkg.path("wkg/deps")), ["wasi-io-0.2.3"]);
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [("wasi:io".into(), "=0.2.3".into(), "0.2.3".into())]
    );
    assert!(!wkg.path("pkgs/a/deps").exists());

    // In a member, the other members are local packages.
    let a = wkg.path("pkgs/a");
    let run = command_in(&wkg, &a, "fetch", &["."]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&a.join("deps")), ["test-b-0.1.0", "wasi-io-0.2.3"]);
    assert_eq!(locked(&read(&wkg.path("wkg.lock"))).len(), 1);

    // A dry run checks everything and publishes nothing.
    let run = command(&wkg, "publish", &["--workspace", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("warning: Aborting publish due to dry run: test:c@0.2.0"),
        "{run:?}"
    );
    assert_eq!(registry.requests("PUT", "/v2/test/"), 0);

    let run = command(&wkg, "publish", &["--workspace"]);
    assert_eq!(run.code, 0, "{run:?}");
    let order: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("wave ") || l.starts_with("Published "))
        .collect();
    assert_eq!(
        order,
        [
            "wave 1: test:b@0.1.0",
            "wave 2: test:a@0.1.0",
            "wave 3: test:c@0.2.0",
            "Published test:b@0.1.0",
            "Published test:a@0.1.0",
            "Published test:c@0.2.0",
        ],
        "{run:?}"
    );
    let (_, manifest) = registry.get(
        "/v2/test/b/manifests/0.1.0",
        "application/vnd.oci.image.manifest.v1+json",
    );
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.licenses"], "Apache-2.0",
        "[workspace.metadata] applies to members"
    );

    // Again: refused as a whole, or skipped with --skip-dupes.
    let run = command(&wkg, "publish", &["--workspace"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("already exists"), "{run:?}");
    let run = command(&wkg, "publish", &["--workspace", "--skip-dupes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr.matches("Skipping publish").count(), 3, "{run:?}");
}

#[test]
fn publishing_several_paths_refuses_bad_sets() {
    let (registry, wkg) = setup();
    write(
        &wkg.path("cyc/x/x.wit"),
        "package test:x@0.1.0;\n\ninterface i {\n  use test:y/i@0.1.0.{t};\n}\n",
    );
    write(
        &wkg.path("cyc/y/y.wit"),
        "package test:y@0.1.0;\n\ninterface i {\n  type t = u32;\n  use test:x/i@0.1.0.{};\n}\n",
    );
    write(
        &wkg.path("nover/n.wit"),
        "package test:nover;\n\ninterface i {\n  f: func();\n}\n",
    );
    write(
        &wkg.path("dup/d.wit"),
        "package test:x@0.2.0;\n\ninterface i {\n  f: func();\n}\n",
    );
    let cases: &[(&[&str], &str)] = &[
        (&["cyc/x", "cyc/y"], "cycle"),
        (&["cyc/x", "dup"], "`test:x` is given twice"),
        (&["nover", "dup"], "without a version"),
        (
            &["nover", "dup", "--package", "test:z@1.0.0"],
            "only supported when providing one path",
        ),
        (
            &["--workspace", "dup"],
            "do not also pass explicit path arguments",
        ),
        (&["--workspace"], "unable to find workspace root"),
    ];
    for (args, needle) in cases {
        let run = command(&wkg, "publish", args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {run:?}");
    }
    assert_eq!(registry.requests("PUT", "/v2/test/"), 0);
}

#[test]
fn update_of_one_package_and_build_metadata() {
    let (_registry, wkg) = setup();
    for (name, version) in [("dep", "0.1.0"), ("other", "0.1.0")] {
        let dir = wkg.path(&format!("src/{name}-{version}"));
        write(
            &dir.join("p.wit"),
            &format!("package test:{name}@{version};\n\ninterface api {{\n  f: func();\n}}\n"),
        );
        let run = command_in(&wkg, &dir, "publish", &["."]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    write(
        &wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  import test:dep/api;\n  import test:other/api;\n}\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    publish_dep(&wkg, "0.1.1", "  f: func();\n  g: func();\n");
    let dir = wkg.path("src/other-0.1.1");
    write(
        &dir.join("p.wit"),
        "package test:other@0.1.1;\n\ninterface api {\n  f: func();\n}\n",
    );
    assert_eq!(command_in(&wkg, &dir, "publish", &["."]).code, 0);

    // `update <package>` moves only that one.
    let run = command(&wkg, "update", &["test:dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        locked(&read(&wkg.path("wkg.lock"))),
        [
            ("test:dep".into(), "*".into(), "0.1.1".into()),
            ("test:other".into(), "*".into(), "0.1.0".into()),
        ]
    );
    let run = command(&wkg, "update", &["test:nope"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("`test:nope` is not a registry dependency"),
        "{run:?}"
    );

    // A `version` override is a requirement of its own.
    write(
        &wkg.path("wkg.toml"),
        "[overrides]\n\"test:other\" = { version = \"=0.1.1\" }\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(locked(&read(&wkg.path("wkg.lock"))).contains(&(
        "test:other".into(),
        "=0.1.1".into(),
        "0.1.1".into()
    )));

    // [metadata] goes into the build; an invalid licence fails it.
    write(
        &wkg.path("wkg.toml"),
        "[metadata]\nlicense = \"Not A License!!\"\n",
    );
    let run = command(&wkg, "build", &["-o", "app.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("invalid `license`"), "{run:?}");
    assert!(!wkg.path("app.wasm").exists());
    write(
        &wkg.path("wkg.toml"),
        "[metadata]\nlicense = \"MIT\"\ndescription = \"The app\"\nrepository = \"https://example.com/app\"\n",
    );
    let run = command(&wkg, "build", &["-o", "app.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    let built = std::fs::read(wkg.path("app.wasm")).unwrap();
    let contains = |needle: &[u8]| built.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"licenses") && contains(b"MIT"));
    assert!(contains(b"The app"));
    assert!(contains(b"https://example.com/app"));
}

/// `kill -9` at many moments of a `wkg fetch` that changes the tree: after
/// each, `wit/deps` and `wkg.lock` are the old pair or the new one, as the
/// next command reads them (never missing, half written or mixed: a tree
/// in place with its lock still inside is moved on by the next run); the
/// next run leaves no leftovers of the killed ones.
#[test]
fn kill_at_any_moment_of_a_fetch_leaves_old_or_new() {
    let (_registry, wkg) = setup_shared();
    let world = wkg.path("wit/world.wit");
    write(
        &world,
        "package test:app@0.1.0;\n\nworld app {\n  import wasi:clocks/wall-clock@0.2.3;\n}\n",
    );
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let deps = wkg.path("wit/deps");
    let pending = ".wkg.lock.pending";
    let old = (names(&deps), read(&wkg.path("wkg.lock")));
    write(
        &world,
        "package test:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n}\n",
    );
    // The new state, then back to the old one, for reference.
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let new = (names(&deps), read(&wkg.path("wkg.lock")));
    assert_ne!(old, new);
    assert!(!old.0.iter().chain(&new.0).any(|n| n == pending));

    let config = wkg.path("config.toml");
    let cache = wkg.path("cache");
    let args = [
        "fetch",
        "--config",
        config.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ];
    let mut outcomes = std::collections::BTreeMap::new();
    let mut rolled_forward = 0;
    for n in 0..40u64 {
        // Alternate between the two worlds, so each run changes the tree.
        let text = if n % 2 == 0 {
            "import wasi:clocks/wall-clock@0.2.3;"
        } else {
            "include wasi:http/proxy@0.2.3;"
        };
        write(
            &world,
            &format!("package test:app@0.1.0;\n\nworld app {{\n  {text}\n}}\n"),
        );
        let mut child = wkg.command(wkg.cwd.path(), &args).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_micros(500 * n));
        let _ = child.kill();
        let status = child.wait().unwrap();
        *outcomes.entry(status.success()).or_insert(0) += 1;
        // Killed between its two renames, a run leaves the old tree moved
        // aside, complete, for the next run to move back.
        let aside: Vec<String> = names(&wkg.path("wit"))
            .into_iter()
            .filter(|n| n.starts_with(".deps.") && n.ends_with(".old"))
            .collect();
        let tree = if deps.exists() {
            deps.clone()
        } else {
            assert_eq!(aside.len(), 1, "kill {n}: no deps and {aside:?}");
            wkg.path("wit").join(&aside[0])
        };
        let mut state = names(&tree);
        // The lock the next run reads: the one in the tree, if any.
        let lock = if state.iter().any(|n| n == pending) {
            state.retain(|n| n != pending);
            rolled_forward += 1;
            read(&tree.join(pending))
        } else {
            read(&wkg.path("wkg.lock"))
        };
        let pair = (state.clone(), lock);
        assert!(
            pair == old || pair == new,
            "kill {n}: deps and lock are {pair:?}"
        );
        for dir in &state {
            assert_eq!(names(&tree.join(dir)), ["package.wit"], "kill {n}");
        }
    }
    eprintln!("{rolled_forward} kills left the lock in the tree");
    // Killed early and late, and some not killed at all.
    assert!(
        outcomes.get(&false).copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );

    // The next run cleans up after the killed ones.
    let mut run = wkg.command(wkg.cwd.path(), &args);
    let out = run.env("WKG_LEFTOVER_AGE", "0").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let leftovers: Vec<String> = names(&wkg.path("wit"))
        .into_iter()
        .chain(names(wkg.cwd.path()))
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The world is the last one written (n = 39: the new one).
    let last = (names(&deps), read(&wkg.path("wkg.lock")));
    assert!(last == new, "{last:?}");
}
