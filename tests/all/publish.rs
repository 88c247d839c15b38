//! `wkg publish` through the native host and the real component, against a
//! real Distribution registry (and a local registry), and the WASI 0.2
//! packages published under a namespace prefix and fetched back by name.

use crate::support;

use std::path::Path;

use support::{Registry, Wkg};

/// A registry and a working directory whose `config.toml` maps the `test`
/// namespace to it over plain http.
fn setup() -> (Registry, Wkg) {
    let registry = Registry::anonymous();
    let wkg = working_dir(&registry);
    (registry, wkg)
}

/// A working directory whose `config.toml` maps the `test` namespace to
/// `registry` over plain http.
fn working_dir(registry: &Registry) -> Wkg {
    let wkg = Wkg::new();
    let host = registry.host();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["test"]),
    )
    .unwrap();
    wkg
}

fn publish(wkg: &Wkg, args: &[&str]) -> support::Run {
    let mut all = vec!["publish", "--config", "config.toml", "--cache", "cache"];
    all.extend_from_slice(args);
    wkg.run(&all)
}

fn get(wkg: &Wkg, args: &[&str]) -> support::Run {
    let mut all = vec!["get", "--config", "config.toml", "--cache", "cache"];
    all.extend_from_slice(args);
    wkg.run(&all)
}

/// Writes `wit` as the only file of the directory `dir`.
fn wit_dir(wkg: &Wkg, dir: &str, wit: &str) {
    let dir = wkg.path(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.wit"), wit).unwrap();
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The manifest and config of `repo:tag`.
fn artifact(registry: &Registry, repo: &str, tag: &str) -> (serde_json::Value, serde_json::Value) {
    let (status, manifest) = registry.get(
        &format!("/v2/{repo}/manifests/{tag}"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&manifest));
    let manifest = json(&manifest);
    let digest = manifest["config"]["digest"].as_str().unwrap();
    let (status, config) = registry.get(&format!("/v2/{repo}/blobs/{digest}"), "*/*");
    assert_eq!(status, 200);
    (manifest, json(&config))
}

fn tags(registry: &Registry, repo: &str) -> Vec<String> {
    let (status, body) = registry.get(&format!("/v2/{repo}/tags/list"), "application/json");
    if status == 404 {
        return Vec::new();
    }
    let mut tags: Vec<String> = json(&body)["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    tags.sort();
    tags
}

#[test]
fn publishes_a_wit_directory_and_replaces_a_release_only_when_asked() {
    let (registry, wkg) = setup();
    wit_dir(
        &wkg,
        "dep",
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func() -> u32;\n}\n\nworld w {\n  export api;\n}\n",
    );

    let run = publish(&wkg, &["dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published test:dep@0.1.0"), "{run:?}");

    let (manifest, config) = artifact(&registry, "test/dep", "0.1.0");
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.version"],
        "0.1.0"
    );
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "dep.wasm"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(config["author"], serde_json::Value::Null);
    let exports = config["component"]["exports"].as_array().unwrap();
    assert!(exports.contains(&"test:dep/w@0.1.0".into()), "{config}");
    assert!(exports.contains(&"test:dep/api@0.1.0".into()), "{config}");

    // Fetched back by name, as WIT.
    let run = get(&wkg, &["test:dep@0.1.0", "-o", "dep.wit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(wkg.path("dep.wit")).unwrap();
    assert!(text.contains("package test:dep@0.1.0;"), "{text}");
    assert!(text.contains("f: func() -> u32;"), "{text}");

    // The same version again: refused, and skipped with --skip-dupes.
    let before = manifest_digest(&registry, "test/dep", "0.1.0");
    let puts = registry.requests("PUT", "/v2/test/dep/manifests/");
    let run = publish(&wkg, &["dep"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("test:dep@0.1.0 already exists in the registry"),
        "{run:?}"
    );
    assert!(run.stderr.contains("--skip-dupes"), "{run:?}");
    let run = publish(&wkg, &["dep", "--skip-dupes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("warning: Skipping publish: test:dep@0.1.0 already exists in the registry"),
        "{run:?}"
    );
    assert_eq!(registry.requests("PUT", "/v2/test/dep/manifests/"), puts);
    assert_eq!(manifest_digest(&registry, "test/dep", "0.1.0"), before);

    // With --skip-semver-check it is published over, as upstream's test
    // `duplicate_version_with_skip_semver_check` asserts, with a warning
    // that names the release and its old content.
    let (old, _) = artifact(&registry, "test/dep", "0.1.0");
    let old_layer = old["layers"][0]["digest"].as_str().unwrap().to_owned();
    wit_dir(
        &wkg,
        "dep",
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func() -> u32;\n  g: func();\n}\n\n\
         world w {\n  export api;\n}\n",
    );
    let run = publish(&wkg, &["dep", "--skip-semver-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "warning: replacing the existing release test:dep@0.1.0 (content {old_layer})"
        )),
        "{run:?}"
    );
    assert_eq!(
        registry.requests("PUT", "/v2/test/dep/manifests/"),
        puts + 1
    );
    assert_ne!(manifest_digest(&registry, "test/dep", "0.1.0"), before);
    // The replaced release is what `get` serves now, not the cached one.
    let run = get(&wkg, &["test:dep@0.1.0", "-o", "dep2.wit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(wkg.path("dep2.wit")).unwrap();
    assert!(text.contains("g: func();"), "{text}");
}

fn manifest_digest(registry: &Registry, repo: &str, tag: &str) -> String {
    let (_, manifest) = registry.get(
        &format!("/v2/{repo}/manifests/{tag}"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(&manifest))
}

#[test]
fn semver_check_per_series() {
    let (registry, wkg) = setup();
    let version = |v: &str, world: &str, items: &str| {
        let dir = format!("v{v}");
        wit_dir(
            &wkg,
            &dir,
            &format!(
                "package test:lib@{v};\n\ninterface api {{\n{items}}}\n\nworld {world} {{\n  export api;\n}}\n"
            ),
        );
        dir
    };
    let f = "  f: func();\n";
    let g = "  g: func(x: string) -> string;\n";

    let dir = version("0.1.0", "w", f);
    assert_eq!(publish(&wkg, &[&dir]).code, 0);
    // Adding a function is compatible.
    let dir = version("0.1.1", "w", &format!("{f}{g}"));
    let run = publish(&wkg, &[&dir]);
    assert_eq!(run.code, 0, "{run:?}");
    // Removing one is not: checked against the nearest lower release.
    let dir = version("0.1.2", "w", g);
    let run = publish(&wkg, &[&dir]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("new version 0.1.2 is not semver-compatible with existing version 0.1.1"),
        "{run:?}"
    );
    assert!(run.stderr.contains("world `w`"), "{run:?}");
    assert!(run.stderr.contains("--skip-semver-check"), "{run:?}");
    assert_eq!(tags(&registry, "test/lib"), ["0.1.0", "0.1.1"]);
    // ... unless the check is skipped.
    let run = publish(&wkg, &[&dir, "--skip-semver-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    // A removed world is breaking.
    let dir = version("0.1.3", "other", g);
    let run = publish(&wkg, &[&dir]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("world `w` was removed"), "{run:?}");
    // A new series starts fresh.
    let dir = version("0.2.0", "other", "  h: func();\n");
    let run = publish(&wkg, &[&dir]);
    assert_eq!(run.code, 0, "{run:?}");
    // A version between two releases must fit both neighbours.
    let dir = version("1.0.0", "w", f);
    assert_eq!(publish(&wkg, &[&dir]).code, 0);
    let dir = version("1.2.0", "w", &format!("{f}  h: func();\n"));
    assert_eq!(publish(&wkg, &[&dir]).code, 0);
    let dir = version("1.1.0", "w", &format!("{f}{g}"));
    let run = publish(&wkg, &[&dir]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "new version 1.1.0 is not semver-compatible with existing later version 1.2.0"
        ),
        "{run:?}"
    );
    assert_eq!(
        tags(&registry, "test/lib"),
        ["0.1.0", "0.1.1", "0.1.2", "0.2.0", "1.0.0", "1.2.0"]
    );
}

/// `bytes` with top-level custom sections `(name, text)` appended.
fn with_custom_sections(bytes: &[u8], sections: &[(&str, &str)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (name, text) in sections {
        let mut payload = Vec::new();
        support::push_leb(&mut payload, name.len() as u64);
        payload.extend_from_slice(name.as_bytes());
        payload.extend_from_slice(text.as_bytes());
        out.push(0);
        support::push_leb(&mut out, payload.len() as u64);
        out.extend_from_slice(&payload);
    }
    out
}

#[test]
fn publishes_components_with_package_and_metadata() {
    let (registry, wkg) = setup();
    let component = with_custom_sections(
        wkg_host::WKG_WASM,
        &[
            ("description", "The wkg tool"),
            ("licenses", "Apache-2.0 WITH LLVM-exception"),
            ("homepage", "https://example.com/wkg"),
            ("source", "https://example.com/wkg.git"),
            ("authors", "The wkg developers"),
            ("revision", "abc123"),
        ],
    );
    std::fs::write(wkg.path("app.wasm"), &component).unwrap();

    // A component carries no package name: --package is needed.
    let run = publish(&wkg, &["app.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--package"), "{run:?}");
    let run = publish(&wkg, &["app.wasm", "--package", "test:app"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("version is required"), "{run:?}");

    let run = publish(&wkg, &["app.wasm", "--package", "test:app@1.0.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published test:app@1.0.0"), "{run:?}");
    let (manifest, config) = artifact(&registry, "test/app", "1.0.0");
    let annotations = &manifest["annotations"];
    assert_eq!(annotations["org.opencontainers.image.version"], "1.0.0");
    assert_eq!(
        annotations["org.opencontainers.image.description"],
        "The wkg tool"
    );
    assert_eq!(
        annotations["org.opencontainers.image.licenses"],
        "Apache-2.0 WITH LLVM-exception"
    );
    assert_eq!(
        annotations["org.opencontainers.image.url"],
        "https://example.com/wkg"
    );
    assert_eq!(
        annotations["org.opencontainers.image.source"],
        "https://example.com/wkg.git"
    );
    assert_eq!(
        annotations["org.opencontainers.image.authors"],
        "The wkg developers"
    );
    assert!(
        annotations
            .get("org.opencontainers.image.revision")
            .is_none()
    );
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "app.wasm"
    );
    assert!(
        !config["component"]["imports"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{config}"
    );

    // The next minor release is checked against 1.0.0 (the same world).
    let run = publish(&wkg, &["app.wasm", "--package", "test:app@1.1.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (_, blob) = registry.get(
        &format!(
            "/v2/test/app/blobs/{}",
            artifact(&registry, "test/app", "1.1.0").0["layers"][0]["digest"]
                .as_str()
                .unwrap()
        ),
        "*/*",
    );
    assert_eq!(blob, component);

    // A WIT package without a version works with --package (wkg #250).
    wit_dir(
        &wkg,
        "nover",
        "package test:nover;\n\ninterface i {\n  f: func();\n}\n",
    );
    let run = publish(&wkg, &["nover"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("has no version"), "{run:?}");
    let run = publish(&wkg, &["nover", "--package", "test:nover@0.3.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(tags(&registry, "test/nover"), ["0.3.0"]);
}

#[test]
fn dry_run_writes_nothing() {
    let (registry, wkg) = setup();
    wit_dir(
        &wkg,
        "dep",
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    );
    let run = publish(&wkg, &["dep", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("warning: Aborting publish due to dry run: test:dep@0.1.0"),
        "{run:?}"
    );
    assert_eq!(registry.requests("POST", "/v2/"), 0);
    assert_eq!(registry.requests("PUT", "/v2/"), 0);
    assert!(tags(&registry, "test/dep").is_empty());
    assert!(!wkg.path("cache").exists());

    // The local backend: nothing created on a dry run; the file on a publish.
    std::fs::write(
        wkg.path("config.toml"),
        "[namespace_registries]\ntest = \"files\"\n\n[registry.files.local]\nroot = \"reg\"\n",
    )
    .unwrap();
    let run = publish(&wkg, &["dep", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!wkg.path("reg").exists());
    let run = publish(&wkg, &["dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    let file = wkg.path("reg/test/dep/0.1.0.wasm");
    let published = std::fs::read(&file).unwrap();
    assert_eq!(&published[..4], b"\0asm");
    let run = publish(&wkg, &["dep"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("already exists"), "{run:?}");
    assert_eq!(std::fs::read(&file).unwrap(), published);
    let names: Vec<_> = std::fs::read_dir(wkg.path("reg/test/dep"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files left: {names:?}");
}

#[test]
fn bad_input_is_refused_with_nothing_published() {
    let (registry, wkg) = setup();
    std::fs::write(wkg.path("notwasm.wasm"), b"hello").unwrap();
    wit_dir(
        &wkg,
        "broken",
        "package test:broken@0.1.0;\n\ninterface i {\n  f: func(\n}\n",
    );
    wit_dir(
        &wkg,
        "missing-dep",
        "package test:app@0.1.0;\n\nworld w {\n  import wasi:io/streams@0.2.3;\n}\n",
    );
    let cases: &[(&[&str], i32, &str)] = &[
        (&[], 1, "no publish targets"),
        (&["missing.wasm"], 1, "missing.wasm"),
        (
            &["notwasm.wasm", "--package", "test:x@1.0.0"],
            1,
            "not a wasm binary",
        ),
        (&["broken"], 1, "package.wit:5"),
        (&["missing-dep"], 1, "dependency `wasi:io`"),
        (&["broken", "--package", "../x:y@1.0.0"], 2, "invalid value"),
        (
            &["broken", "--package", "acme:../../x@1.0.0"],
            2,
            "invalid value",
        ),
        (&["a.wasm", "b.wasm"], 1, "`a.wasm` does not exist"),
    ];
    for (args, code, needle) in cases {
        let run = publish(&wkg, args);
        assert_eq!(run.code, *code, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {run:?}");
    }
    assert_eq!(registry.requests("POST", "/v2/"), 0);
    assert_eq!(registry.requests("PUT", "/v2/"), 0);
}

/// The WASI packages of one version, in dependency order.
const WASI: [&str; 7] = [
    "io",
    "clocks",
    "random",
    "filesystem",
    "sockets",
    "cli",
    "http",
];

/// The vendored WIT of `wasi:<package>@<version>`.
fn wasi_dir(version: &str, package: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/wasi")
        .join(version)
        .join(package)
}

#[test]
fn wasi_packages_round_trip_under_a_namespace_prefix() {
    let registry = Registry::anonymous();
    let wkg = Wkg::new();
    let oci = registry.host();
    // wasi.dev-style metadata, in the current format for publishing and in
    // the legacy one (what wasi.dev serves) for fetching.
    let current = support::wellknown::serve(format!(
        r#"{{"oci": {{"registry": "{oci}", "namespacePrefix": "webassembly/"}}}}"#
    ));
    let legacy = support::wellknown::serve(format!(
        r#"{{"ociRegistry": "{oci}", "ociNamespacePrefix": "webassembly/"}}"#
    ));
    let config = |port: u16| {
        format!(
            "[namespace_registries]\nwasi = \"localhost:{port}\"\n\n\
             [registry.\"localhost:{port}\".oci]\nprotocol = \"http\"\n"
        )
    };
    std::fs::write(wkg.path("config.toml"), config(current)).unwrap();

    for version in ["0.2.3", "0.2.12"] {
        for package in WASI {
            let dir = wasi_dir(version, package);
            let dir = dir.to_str().unwrap();
            let mut run = publish(&wkg, &[dir]);
            if (package, version) == ("http", "0.2.12") {
                // 0.2.12 gives a resource in `wasi:http/types` a method (behind
                // `@unstable`, which builds keep) that the `imports` world then
                // requires of its host: wkg's check calls that breaking.
                assert_eq!(run.code, 1, "{run:?}");
                assert!(
                    run.stderr.contains(
                        "new version 0.2.12 is not semver-compatible with existing version 0.2.3"
                    ),
                    "{run:?}"
                );
                assert!(run.stderr.contains("send-informational"), "{run:?}");
                run = publish(&wkg, &[dir, "--skip-semver-check"]);
            }
            assert_eq!(run.code, 0, "wasi:{package}@{version}: {run:?}");
            assert!(
                run.stderr
                    .contains(&format!("Published wasi:{package}@{version}")),
                "{run:?}"
            );
        }
    }
    for package in WASI {
        assert_eq!(
            tags(&registry, &format!("webassembly/wasi/{package}")),
            ["0.2.12", "0.2.3"]
        );
    }
    let (manifest, config_json) = artifact(&registry, "webassembly/wasi/http", "0.2.3");
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "http.wasm"
    );
    let exports = config_json["component"]["exports"].as_array().unwrap();
    assert!(
        exports.contains(&"wasi:http/proxy@0.2.3".into()),
        "{config_json}"
    );
    assert!(
        exports.contains(&"wasi:http/types@0.2.3".into()),
        "{config_json}"
    );

    // Fetched back through the legacy metadata, as WIT and as wasm.
    std::fs::write(wkg.path("config.toml"), config(legacy)).unwrap();
    let run = get(
        &wkg,
        &["wasi:http@0.2.3", "--format", "wit", "-o", "http.wit"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(wkg.path("http.wit")).unwrap();
    assert!(text.contains("package wasi:http@0.2.3;"), "{text}");
    assert!(text.contains("world proxy"), "{text}");
    assert!(text.contains("resource incoming-request"), "{text}");

    let run = get(&wkg, &["wasi:cli", "--format", "wasm", "-o", "cli.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("0.2.12"),
        "the highest version: {run:?}"
    );
    let wasm = std::fs::read(wkg.path("cli.wasm")).unwrap();
    assert_eq!(&wasm[..8], b"\0asm\x0d\0\x01\0");

    // Republishing a release is refused; the next patch of the series is
    // checked against the releases around it and passes.
    let dir = wasi_dir("0.2.3", "io");
    std::fs::write(wkg.path("config.toml"), config(current)).unwrap();
    let run = publish(&wkg, &[dir.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("wasi:io@0.2.3 already exists"),
        "{run:?}"
    );
    let run = publish(
        &wkg,
        &[
            dir.to_str().unwrap(),
            "--package",
            "wasi:io@0.2.4",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
}

/// The component-model book's "Distributing and Fetching Components and
/// WIT", command lines verbatim, with the global config of the book (the
/// `docs` namespace mapped through inline metadata) pointed at a local
/// registry.
#[test]
fn the_books_sequence_runs_as_typed() {
    let registry = Registry::anonymous();
    let wkg = Wkg::new();
    let host = registry.host();
    let config = |prefix: &str| {
        format!(
            "default_registry = \"ghcr.io\"\n\n[namespace_registries]\n\
             docs = {{ registry = \"docs-registry\", metadata = {{ preferredProtocol = \"oci\", \
             \"oci\" = {{registry = \"{host}\", namespacePrefix = \"{prefix}\" }} }} }}\n\n\
             [registry.\"docs-registry\".oci]\nprotocol = \"http\"\n"
        )
    };
    let global = wkg.path("home/.config/wasm-pkg");
    std::fs::create_dir_all(&global).unwrap();
    std::fs::write(global.join("config.toml"), config("wasm-components/")).unwrap();
    wit_dir(
        &wkg,
        "tutorial/wit/adder",
        "package docs:adder@0.1.0;\n\ninterface add {\n    add: func(a: u32, b: u32) -> u32;\n}\n\n\
         world adder {\n    export add;\n}\n",
    );

    let run = wkg.run(&["wit", "build", "--wit-dir", "tutorial/wit/adder"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("WIT package written to docs:adder@0.1.0.wasm"),
        "{run:?}"
    );
    let run = wkg.run(&["publish", "docs:adder@0.1.0.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published docs:adder@0.1.0"), "{run:?}");
    assert_eq!(tags(&registry, "wasm-components/docs/adder"), ["0.1.0"]);
    let run = wkg.run(&["get", "--format", "wit", "docs:adder@0.1.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    let wit = std::fs::read_to_string(wkg.path("docs_adder@0.1.0.wit")).unwrap();
    assert!(wit.contains("package docs:adder@0.1.0;"), "{wit}");
    assert!(wit.contains("add: func(a: u32, b: u32) -> u32;"), "{wit}");

    // "Instead of publishing the WIT interface, you could publish the built
    // component": another user, another location (the WIT release holds
    // the version at the first one).
    let wkg = Wkg::new();
    let global = wkg.path("home/.config/wasm-pkg");
    std::fs::create_dir_all(&global).unwrap();
    std::fs::write(global.join("config.toml"), config("components/")).unwrap();
    // Any component will do.
    std::fs::write(wkg.path("adder.wasm"), wkg_host::WKG_WASM).unwrap();
    let run = wkg.run(&["publish", "adder.wasm", "--package", "docs:adder@0.1.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = wkg.run(&["get", "docs:adder@0.1.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("docs_adder@0.1.0.wasm")).expect(&run.stderr),
        wkg_host::WKG_WASM
    );
}

/// The rows of upstream's `publish_semver_check` test
/// (crates/wasm-pkg-client/tests/publish_semver_check.rs), through the
/// command against a local registry: the same outcomes.
#[test]
fn upstreams_publish_semver_rows() {
    #[derive(Clone, Copy)]
    enum World {
        AddBase,
        AddExtra,
        ChangeBase,
    }
    let body = |w: World| match w {
        World::AddBase => "export base: func() -> u32;",
        World::AddExtra => "export base: func() -> u32;\n    export extra: func() -> u32;",
        World::ChangeBase => "export base: func() -> string;",
    };
    type Row<'a> = (
        &'a str,
        Option<(&'a str, World)>,
        (&'a str, World),
        bool,
        Result<(), &'a str>,
    );
    let semver = "is not semver-compatible";
    let exists = "already exists in the registry";
    let rows: &[Row] = &[
        (
            "first-in-series",
            None,
            ("0.1.0", World::AddBase),
            false,
            Ok(()),
        ),
        (
            "compat-same-series",
            Some(("0.1.0", World::AddBase)),
            ("0.1.1", World::AddExtra),
            false,
            Ok(()),
        ),
        (
            "incompat-same-series",
            Some(("0.1.0", World::AddBase)),
            ("0.1.1", World::ChangeBase),
            false,
            Err(semver),
        ),
        (
            "incompat-cross-zero-y",
            Some(("0.1.0", World::AddBase)),
            ("0.2.0", World::ChangeBase),
            false,
            Ok(()),
        ),
        (
            "incompat-cross-minor",
            Some(("1.2.0", World::AddBase)),
            ("1.3.0", World::ChangeBase),
            false,
            Err(semver),
        ),
        (
            "incompat-cross-major",
            Some(("1.2.0", World::AddBase)),
            ("2.0.0", World::ChangeBase),
            false,
            Ok(()),
        ),
        (
            "incompat-opt-out",
            Some(("0.1.0", World::AddBase)),
            ("0.1.1", World::ChangeBase),
            true,
            Ok(()),
        ),
        (
            "dup-version",
            Some(("0.1.0", World::AddBase)),
            ("0.1.0", World::AddBase),
            false,
            Err(exists),
        ),
        (
            "dup-version-opt-out",
            Some(("0.1.0", World::AddBase)),
            ("0.1.0", World::AddBase),
            true,
            Ok(()),
        ),
        (
            "ignore-prereleases",
            Some(("0.1.1-beta.1", World::ChangeBase)),
            ("0.1.1", World::AddBase),
            false,
            Ok(()),
        ),
    ];
    let wkg = Wkg::new();
    let root = wkg.path("registry");
    std::fs::write(
        wkg.path("config.toml"),
        format!(
            "default_registry = \"local\"\n\n[registry.\"local\"]\ntype = \"local\"\n\n\
             [registry.\"local\".local]\nroot = '{}'\n",
            root.display()
        ),
    )
    .unwrap();
    let write = |package: &str, version: &str, world: World| {
        let dir = format!("{package}-{version}");
        wit_dir(
            &wkg,
            &dir,
            &format!(
                "package example:{package}@{version};\n\nworld the-world {{\n    {}\n}}\n",
                body(world)
            ),
        );
        dir
    };
    for (package, initial, (version, world), skip, expected) in rows {
        if let Some((v, w)) = initial {
            let dir = write(package, v, *w);
            let run = publish(&wkg, &[&dir]);
            assert_eq!(run.code, 0, "seeding {package}@{v}: {run:?}");
        }
        let dir = write(package, version, *world);
        let mut args = vec![dir.as_str()];
        if *skip {
            args.push("--skip-semver-check");
        }
        let run = publish(&wkg, &args);
        let file = root.join(format!("example/{package}/{version}.wasm"));
        match expected {
            Ok(()) => {
                assert_eq!(run.code, 0, "{package}: {run:?}");
                assert!(file.is_file(), "{package}: {run:?}");
            }
            Err(message) => {
                assert_eq!(run.code, 1, "{package}: {run:?}");
                assert!(run.stderr.contains(message), "{package}: {run:?}");
            }
        }
        if *package == "dup-version-opt-out" {
            assert!(
                run.stderr.contains(
                    "warning: replacing the existing release example:dup-version-opt-out@0.1.0 (content sha256:"
                ),
                "{run:?}"
            );
        }
    }
}

/// A WIT package is known by its content, whatever its size: one over the
/// 16 MiB kept in memory while a file is inspected still publishes by its
/// own name.
#[test]
fn a_large_wit_package_publishes_by_its_name() {
    let (registry, wkg) = setup();
    wit_dir(
        &wkg,
        "big",
        "package test:big@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    );
    let run = wkg.run(&[
        "build",
        "-d",
        "big",
        "-o",
        "small.wasm",
        "--config",
        "config.toml",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let small = std::fs::read(wkg.path("small.wasm")).unwrap();
    let big = support::padded_component(&small, 17 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let run = publish(&wkg, &["big.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published test:big@0.1.0"), "{run:?}");
    assert_eq!(tags(&registry, "test/big"), ["0.1.0"]);
}

/// The wasm-pkg-tools README's full `[metadata]` example, verbatim: built
/// into the package and published as annotations.
#[test]
fn the_readmes_metadata_example_is_accepted() {
    let registry = support::shared_anonymous();
    let wkg = working_dir(registry);
    wit_dir(
        &wkg,
        "wit",
        "package test:meta@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    );
    std::fs::write(
        wkg.path("wkg.toml"),
        "[metadata]\n\
         authors = [\"WasmPkg <wasm-pkg@bytecodealliance.org>\"]\n\
         categories = [\"wasm-pkg\"]\n\
         description = \"WASI HTTP interface\"\n\
         license = \"Apache-2.0\"\n\
         documentation = \"https://docs.foobar.baz\"\n\
         homepage = \"https://foobar.baz\"\n\
         repository = \"https://github.com/bytecodealliance/wasm-pkg-tools\"\n",
    )
    .unwrap();
    let run = publish(&wkg, &["wit"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (manifest, _) = artifact(registry, "test/meta", "0.1.0");
    let annotations = &manifest["annotations"];
    let expected = [
        (
            "org.opencontainers.image.authors",
            "WasmPkg <wasm-pkg@bytecodealliance.org>",
        ),
        (
            "org.opencontainers.image.description",
            "WASI HTTP interface",
        ),
        ("org.opencontainers.image.licenses", "Apache-2.0"),
        (
            "org.opencontainers.image.documentation",
            "https://docs.foobar.baz",
        ),
        // wasm-metadata keeps URLs normalized.
        ("org.opencontainers.image.url", "https://foobar.baz/"),
        (
            "org.opencontainers.image.source",
            "https://github.com/bytecodealliance/wasm-pkg-tools",
        ),
        ("org.opencontainers.image.version", "0.1.0"),
    ];
    for (key, value) in expected {
        assert_eq!(annotations[key], value, "{key}: {manifest}");
    }
    // An unknown key still fails, with its position.
    std::fs::write(
        wkg.path("wkg.toml"),
        "[metadata]\nauthor = \"A\"\nkeywords = [\"x\"]\n",
    )
    .unwrap();
    let run = wkg.run(&["build", "--config", "config.toml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("wkg.toml:3:1"), "{run:?}");
    assert!(run.stderr.contains("unknown field `keywords`"), "{run:?}");
}
