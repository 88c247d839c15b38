//! `wkg get` through the native host and the real component, against a
//! real Distribution registry mapped in config.toml, and a local registry.

use crate::support;

use std::sync::OnceLock;

use support::{Registry, Wkg};

/// A registry holding `test:comp` (a component) in several versions and
/// `test:greet@0.1.0` (a WIT package), and a working directory whose
/// `config.toml` maps the `test` namespace to it over plain http. One
/// registry, seeded by the first test that asks, for all: no test writes
/// to it.
fn setup() -> (&'static Registry, Wkg, Vec<u8>) {
    static SEEDED: OnceLock<&'static Registry> = OnceLock::new();
    let registry = *SEEDED.get_or_init(|| {
        let registry = support::share(Registry::anonymous());
        seed(registry);
        registry
    });
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&registry.host(), &["test"]),
    )
    .unwrap();
    (registry, wkg, wkg_host::WKG_WASM.to_vec())
}

/// Pushes the packages of [`setup`] to `registry`.
fn seed(registry: &Registry) {
    let wkg = Wkg::new();
    let host = registry.host();
    let component = wkg_host::WKG_WASM.to_vec();
    std::fs::write(wkg.path("comp.wasm"), &component).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm"),
        wkg.path("greet.wasm"),
    )
    .unwrap();
    for (repo, tag, file) in [
        ("test/comp", "1.0.0", "comp.wasm"),
        ("test/comp", "1.1.0", "comp.wasm"),
        ("test/comp", "2.0.0-rc.1", "comp.wasm"),
        ("test/comp", "latest", "comp.wasm"),
        ("test/greet", "0.1.0", "greet.wasm"),
    ] {
        let push = wkg.run(&[
            "oci",
            "push",
            &format!("{host}/{repo}:{tag}"),
            file,
            "--insecure",
            &host,
        ]);
        assert_eq!(push.code, 0, "{push:?}");
    }
}

fn get(wkg: &Wkg, args: &[&str]) -> support::Run {
    let mut all = vec!["get", "--config", "config.toml", "--cache", "cache"];
    all.extend_from_slice(args);
    wkg.run(&all)
}

#[test]
fn gets_components_and_wit_packages_by_name() {
    let (_registry, wkg, component) = setup();

    let run = get(&wkg, &["test:comp@1.0.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Wrote './test_comp@1.0.0.wasm'"),
        "{run:?}"
    );
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read(wkg.path("test_comp@1.0.0.wasm")).unwrap(),
        component
    );

    // No version: the highest semver tag, pre-releases included; `latest` ignored.
    let run = get(&wkg, &["test:comp", "-o", "newest/"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("warning: no version specified"),
        "{run:?}"
    );
    assert!(
        wkg.path("newest/test_comp@2.0.0-rc.1.wasm").is_file(),
        "{run:?}"
    );

    // A WIT package becomes WIT text; a bare file name works (wkg fails here).
    let run = get(&wkg, &["test:greet@0.1.0", "-o", "greet.wit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let wit = std::fs::read_to_string(wkg.path("greet.wit")).unwrap();
    assert!(wit.contains("package test:greet@0.1.0;"), "{wit}");
    assert!(
        wit.contains("greet: func(name: string) -> string;"),
        "{wit}"
    );
    let run = get(&wkg, &["test:greet@0.1.0", "-o", "greet-raw.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("greet-raw.wasm")).unwrap(),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/greet.wasm"
        ))
        .unwrap()
    );

    // `--format wit` on a component prints its world (wkg #160 writes wasm).
    let run = get(
        &wkg,
        &["test:comp@1.1.0", "--format", "wit", "-o", "comp.wit"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let wit = std::fs::read_to_string(wkg.path("comp.wit")).unwrap();
    assert!(wit.contains("world"), "{wit}");
    assert!(wit.contains("wasi:http/outgoing-handler@0.2"), "{wit}");
}

#[test]
fn existing_output_check_and_overwrite() {
    let (_registry, wkg, component) = setup();
    assert_eq!(get(&wkg, &["test:comp@1.0.0", "-o", "c.wasm"]).code, 0);

    let again = get(&wkg, &["test:comp@1.0.0", "-o", "c.wasm"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(
        again
            .stderr
            .contains("already exists; you can use '--overwrite'"),
        "{again:?}"
    );

    assert_eq!(
        get(&wkg, &["test:comp@1.0.0", "-o", "c.wasm", "--check"]).code,
        0
    );
    std::fs::write(wkg.path("c.wasm"), b"changed").unwrap();
    let differs = get(&wkg, &["test:comp@1.0.0", "-o", "c.wasm", "--check"]);
    assert_eq!(differs.code, 1, "{differs:?}");
    assert!(
        differs.stderr.contains("Differences between retrieved and"),
        "{differs:?}"
    );
    assert_eq!(std::fs::read(wkg.path("c.wasm")).unwrap(), b"changed");

    let both = get(
        &wkg,
        &["test:comp@1.0.0", "-o", "c.wasm", "--check", "--overwrite"],
    );
    assert_eq!(both.code, 2, "{both:?}");
    let run = get(&wkg, &["test:comp@1.0.0", "-o", "c.wasm", "--overwrite"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("c.wasm")).unwrap(), component);
}

#[test]
fn bad_specs_and_missing_packages_fail_clearly() {
    let (_registry, wkg, _) = setup();
    for (spec, needle) in [
        ("nocolon", "missing expected `:`"),
        ("../x:y", "invalid label"),
        ("acme:../../x", "invalid label"),
        ("Test:comp", "invalid label"),
        ("test:comp@one", "invalid"),
    ] {
        let run = get(&wkg, &[spec]);
        assert_eq!(run.code, 2, "{spec}: {run:?}");
        assert!(run.stderr.contains(needle), "{spec}: {run:?}");
    }
    let missing = get(&wkg, &["test:nothing@1.0.0"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("package `test:nothing@1.0.0` not found"),
        "{missing:?}"
    );
    let no_releases = get(&wkg, &["test:nothing"]);
    assert_eq!(no_releases.code, 1, "{no_releases:?}");
    assert!(
        no_releases
            .stderr
            .contains("no releases found for package `test:nothing`"),
        "{no_releases:?}"
    );
    let unmapped = get(&wkg, &["other:pkg@1.0.0"]);
    assert_eq!(unmapped.code, 1, "{unmapped:?}");
    assert!(
        unmapped
            .stderr
            .contains("no registry configured for namespace \"other\""),
        "{unmapped:?}"
    );
    let names: Vec<String> = wkg.files().into_iter().filter(|f| f != "cache").collect();
    assert_eq!(names, ["config.toml"]);
}

#[test]
fn corrupted_cache_entries_are_never_served() {
    let (_registry, wkg, component) = setup();
    assert_eq!(get(&wkg, &["test:comp@1.0.0", "-o", "a.wasm"]).code, 0);
    let blobs = wkg.path("cache/blobs/sha256");
    let entries: Vec<_> = std::fs::read_dir(&blobs).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1, "one blob cached");
    assert!(!entries[0].file_name().to_string_lossy().contains(':'));
    std::fs::write(entries[0].path(), b"planted").unwrap();

    let run = get(&wkg, &["test:comp@1.0.0", "-o", "b.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("does not match its digest; fetching it again"),
        "{run:?}"
    );
    assert_eq!(std::fs::read(wkg.path("b.wasm")).unwrap(), component);
    assert_eq!(std::fs::read(entries[0].path()).unwrap(), component);
}

#[test]
fn local_registry_backend() {
    let wkg = Wkg::new();
    let dir = wkg.path("reg/loc/pkg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm"),
        dir.join("0.1.0.wasm"),
    )
    .unwrap();
    std::fs::write(
        wkg.path("config.toml"),
        "[namespace_registries]\nloc = \"files\"\n\n[registry.files.local]\nroot = \"reg\"\n",
    )
    .unwrap();
    let run = get(&wkg, &["loc:pkg", "-o", "out.wit"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        std::fs::read_to_string(wkg.path("out.wit"))
            .unwrap()
            .contains("package test:greet@0.1.0;")
    );
}

#[test]
fn rejected_bearer_token_falls_back_to_anonymous() {
    let fake = support::fake::Fake::start();
    let wkg = Wkg::new();
    let host = fake.host();
    let component = wkg_host::WKG_WASM.to_vec();
    std::fs::write(wkg.path("comp.wasm"), &component).unwrap();
    let push = wkg.run(&[
        "oci",
        "push",
        &format!("{host}/test/comp:1.0.0"),
        "comp.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(push.code, 0, "{push:?}");
    std::fs::write(
        wkg.path("config.toml"),
        format!("[namespace_registries]\ntest = \"{host}\"\n\n[registry.\"{host}\".oci]\nprotocol = \"http\"\n"),
    )
    .unwrap();
    let var = format!("WKG_REGISTRY_127_0_0_1_{}_AUTH_BEARER", fake.port);
    let wkg = wkg.env(&var, "stale-token");
    let run = get(&wkg, &["test:comp@1.0.0", "-o", "x.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("x.wasm")).unwrap(), component);
    let st = fake.state.lock().unwrap();
    assert!(
        st.token_requests
            .contains(&"repository:test/comp:pull".to_owned()),
        "{:?}",
        st.token_requests
    );
}

#[test]
fn project_registry_config_in_wkg_toml_wins_over_the_global_file() {
    let (registry, wkg, component) = setup();
    let host = registry.host();
    // The global file sends `test` to a registry nobody runs.
    let global = wkg.path("home/.config/wasm-pkg");
    std::fs::create_dir_all(&global).unwrap();
    let dead = support::free_port();
    std::fs::write(
        global.join("config.toml"),
        format!("[namespace_registries]\ntest = \"127.0.0.1:{dead}\"\n"),
    )
    .unwrap();
    std::fs::write(
        wkg.path("wkg.toml"),
        format!(
            "[metadata]\nauthors = [\"me\"]\n\n[config.namespace_registries]\ntest = \"{host}\"\n\n\
             [config.registry.\"{host}\".oci]\nprotocol = \"http\"\n"
        ),
    )
    .unwrap();
    let run = wkg.run(&["get", "--cache", "cache", "test:comp@1.0.0", "-o", "p.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("p.wasm")).unwrap(), component);

    std::fs::write(wkg.path("wkg.toml"), "[config]\nnamespace_registrys = {}\n").unwrap();
    let run = wkg.run(&["get", "--cache", "cache", "test:comp@1.0.0", "-o", "q.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("wkg.toml:2:1: unknown field `namespace_registrys`"),
        "{run:?}"
    );
    assert!(!wkg.path("q.wasm").exists());
}

/// Registry metadata that cannot work says why, before any OCI request: a
/// warg-only `registry.json`, an uppercase `namespacePrefix`; a prefix
/// without its trailing `/` is a warning.
#[test]
fn registry_metadata_messages() {
    let wkg = Wkg::new();
    let config = |port: u16| {
        format!(
            "[namespace_registries]\nacme = \"localhost:{port}\"\n\n\
             [registry.\"localhost:{port}\".oci]\nprotocol = \"http\"\n"
        )
    };
    let warg = support::wellknown::serve(r#"{"wargUrl": "https://warg.wa.dev"}"#.into());
    std::fs::write(wkg.path("config.toml"), config(warg)).unwrap();
    let run = get(&wkg, &["acme:lib@1.0.0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("is a warg registry"), "{run:?}");
    assert!(run.stderr.contains("removed from wkg in 0.16.0"), "{run:?}");
    assert!(run.stderr.contains("preferredProtocol"), "{run:?}");
    let warg = support::wellknown::serve(
        r#"{"preferredProtocol": "warg", "warg": {"url": "https://w"}}"#.into(),
    );
    std::fs::write(wkg.path("config.toml"), config(warg)).unwrap();
    let run = get(&wkg, &["acme:lib@1.0.0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("is a warg registry"), "{run:?}");

    // The README's example prefers warg and configures OCI too: OCI it is.
    // (A registry of its own: no request may reach it below.)
    let registry = Registry::anonymous();
    let oci = registry.host();
    let both = support::wellknown::serve(format!(
        r#"{{"preferredProtocol": "warg", "warg": {{"url": "https://w"}}, "oci": {{"registry": "{oci}", "namespacePrefix": "webassembly/"}}}}"#
    ));
    std::fs::write(wkg.path("config.toml"), config(both)).unwrap();
    let run = get(&wkg, &["acme:lib@1.0.0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("package `acme:lib@1.0.0` not found"),
        "{run:?}"
    );

    let before = registry.log().len();
    let upper = support::wellknown::serve(format!(
        r#"{{"oci": {{"registry": "{oci}", "namespacePrefix": "WebAssembly/"}}}}"#
    ));
    std::fs::write(wkg.path("config.toml"), config(upper)).unwrap();
    let run = get(&wkg, &["acme:lib@1.0.0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`WebAssembly/acme/lib`"), "{run:?}");
    assert!(run.stderr.contains("must be lowercase"), "{run:?}");
    assert_eq!(
        registry.log().len(),
        before,
        "no request may reach the registry"
    );

    let bare = support::wellknown::serve(format!(
        r#"{{"oci": {{"registry": "{oci}", "namespacePrefix": "webassembly"}}}}"#
    ));
    std::fs::write(wkg.path("config.toml"), config(bare)).unwrap();
    let run = get(&wkg, &["acme:lib@1.0.0"]);
    assert!(
        run.stderr
            .contains("warning: the `namespacePrefix` `webassembly` for registry"),
        "{run:?}"
    );
    assert!(run.stderr.contains("`webassemblyacme/lib`"), "{run:?}");
    assert!(!run.stderr.contains("os error"), "{run:?}");
}

/// I/O errors read as the OS words them, never with a WASI errno.
#[test]
fn io_errors_have_no_wasi_errno() {
    let wkg = Wkg::new();
    let run = wkg.run(&["publish", "missing.wasm", "--package", "a:b@1.0.0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("No such file or directory"), "{run:?}");
    assert!(!run.stderr.contains("os error"), "{run:?}");
}

/// `kill -9` at many moments of a `wkg get` of a 20 MiB package: the output
/// is absent or complete, the cache never serves a partial blob, and the
/// next run removes the killed runs' temporary files.
#[test]
fn kill_at_any_moment_of_a_get_leaves_no_partial_output() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let big = support::padded_component(wkg_host::WKG_WASM, 20 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let push = wkg.run(&[
        "oci",
        "push",
        &format!("{host}/test/big:1.0.0"),
        "big.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(push.code, 0, "{push:?}");
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["test"]),
    )
    .unwrap();
    let args = [
        "get",
        "test:big@1.0.0",
        "-o",
        "out.wasm",
        "--overwrite",
        "--config",
        "config.toml",
        "--cache",
        "cache",
    ];
    let out = wkg.path("out.wasm");
    let fresh = || {
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_dir_all(wkg.path("cache"));
    };
    let step = std::time::Duration::from_millis(4);
    support::kill_repeatedly(&wkg, &args, 20, step, &out, &big, fresh);
}
