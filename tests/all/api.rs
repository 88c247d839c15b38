//! The host library's typed calls into the component's
//! `wasm-pkg:client/registry` export, against a real registry.

use crate::support;

use support::{Registry, Wkg};
use wkg_host::{CodeCache, HostPolicy, Invocation, RegistryError, RegistryOptions};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn typed_calls_resolve_list_and_fetch() {
    let registry = Registry::anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["test"]),
    )
    .unwrap();
    for version in ["0.1.0", "0.2.0"] {
        let dir = wkg.path(&format!("dep-{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("dep.wit"),
            format!("package test:dep@{version};\n\ninterface api {{\n  f: func();\n}}\n"),
        )
        .unwrap();
        let run = wkg.run(&[
            "publish",
            dir.to_str().unwrap(),
            "--config",
            "config.toml",
            "--cache",
            "cache",
        ]);
        assert_eq!(run.code, 0, "{run:?}");
    }

    let cwd = wkg.cwd.path().to_owned();
    let options = RegistryOptions {
        config: Some("config.toml".into()),
        cache: Some("cache".into()),
        registry: None,
    };
    runtime().block_on(async {
        let host = wkg_host::Wkg::new(CodeCache::Dir(wkg.path("code"))).unwrap();
        let invocation = Invocation::default().preopen(&cwd, ".", true);
        let mut client = host.client(invocation).await.unwrap();

        let release = client.resolve("test:dep", &options).await.unwrap().unwrap();
        assert_eq!(release.package, "test:dep");
        assert_eq!(release.version, "0.2.0");
        assert!(release.digest.starts_with("sha256:"), "{release:?}");
        assert_eq!(release.registry, registry.host());

        let versions = client.list_versions("test:dep", &options).await.unwrap();
        assert_eq!(versions.unwrap(), ["0.1.0", "0.2.0"]);

        let (fetched, bytes) = client
            .fetch_bytes("test:dep@0.1.0", &options)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fetched.version, "0.1.0");
        assert_eq!(&bytes[..4], b"\0asm");
        let to_file = client
            .fetch_to_file("test:dep@0.1.0", "dep.wasm", &options)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(to_file.digest, fetched.digest);
        assert_eq!(std::fs::read(cwd.join("dep.wasm")).unwrap(), bytes);

        // Errors are typed.
        let missing = client.resolve("test:nope@1.0.0", &options).await.unwrap();
        assert!(
            matches!(missing, Err(RegistryError::NotFound(_))),
            "{missing:?}"
        );
        let bad = client.resolve("not a spec", &options).await.unwrap();
        assert!(
            matches!(bad, Err(RegistryError::InvalidInput(_))),
            "{bad:?}"
        );
        let unreachable = RegistryOptions {
            registry: Some(format!("127.0.0.1:{}", support::free_port())),
            ..options.clone()
        };
        let down = client
            .resolve("test:dep@0.1.0", &unreachable)
            .await
            .unwrap();
        assert!(matches!(down, Err(RegistryError::Network(_))), "{down:?}");

        // A host policy: only the listed hosts are reachable.
        let only = |hosts: Vec<String>| {
            Invocation::default()
                .preopen(&cwd, ".", true)
                .allow_hosts(hosts)
        };
        let mut fenced = host
            .client(only(vec!["registry.example".into()]))
            .await
            .unwrap();
        let denied = fenced.resolve("test:dep@0.1.0", &options).await.unwrap();
        match denied {
            Err(RegistryError::Network(m)) => assert!(m.contains("denied"), "{m}"),
            other => panic!("{other:?}"),
        }
        let mut allowed = host.client(only(vec!["127.0.0.1".into()])).await.unwrap();
        let release = allowed.resolve("test:dep@0.1.0", &options).await.unwrap();
        assert!(release.is_ok(), "{release:?}");
    });
}

#[test]
fn a_host_policy_still_lets_the_host_hash_a_file_to_push() {
    let registry = Registry::anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let big = support::padded_component(wkg_host::WKG_WASM, 20 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let reference = format!("{host}/big/fenced:1.0.0");
    let cwd = wkg.cwd.path().to_owned();
    let args = [
        "wkg",
        "oci",
        "push",
        &reference,
        "big.wasm",
        "--insecure",
        &host,
    ];
    let push = || {
        runtime().block_on(async {
            let lib = wkg_host::Wkg::new(CodeCache::Dir(wkg.path("code"))).unwrap();
            let invocation = Invocation::new(args)
                .preopen(&cwd, ".", true)
                .env("WKG_CACHE_DIR", "cache")
                .allow_hosts([host.clone()])
                .capture(1 << 20);
            lib.run_captured(invocation).await.unwrap()
        })
    };
    let outcome = push();
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(outcome.code, 0, "{stderr}");
    // Hashed by the host on its way up: one PATCH.
    assert_eq!(
        registry.requests("PATCH", "/v2/big/fenced/blobs/uploads/"),
        1,
        "{}",
        registry.log()
    );
    // Pushed again, the remembered digest is checked by the host's hashing
    // service, which the allow-list must not refuse.
    let again = push();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.code, 0, "{stderr}");
    assert!(stderr.contains("Skipped blob sha256:"), "{stderr}");
}

#[test]
fn host_policy_matches_host_and_port() {
    let policy = HostPolicy::Only(vec!["ghcr.io".into(), "127.0.0.1:5000".into()]);
    assert!(policy.allows("ghcr.io"));
    assert!(policy.allows("ghcr.io:443"));
    assert!(policy.allows("127.0.0.1:5000"));
    assert!(!policy.allows("127.0.0.1:5001"));
    assert!(!policy.allows("evil.example"));
    assert!(HostPolicy::Any.allows("anything:1"));
}

/// A missing package, release, dependency, WIT directory or config file is
/// `not-found` through the export, from an OCI registry and from a local
/// one alike: each layer's typed error keeps its kind up to the WIT
/// `error` variant.
#[test]
fn not_found_is_not_found_from_every_source() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("oci.toml"),
        support::registry_config(&registry.host(), &["kinds"]),
    )
    .unwrap();
    std::fs::write(
        wkg.path("local.toml"),
        "[namespace_registries]\nkinds = \"files\"\n\n[registry.files.local]\nroot = \"reg\"\n",
    )
    .unwrap();
    let write = |path: &str, text: &str| {
        let path = wkg.path(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "dep/dep.wit",
        "package kinds:dep@1.0.0;\n\ninterface api {\n  f: func();\n}\n",
    );
    write(
        "app/wit/app.wit",
        "package kinds:app;\n\nworld app {\n  import kinds:missing/api@1.0.0;\n}\n",
    );
    let cwd = wkg.cwd.path().to_owned();
    runtime().block_on(async {
        let host = wkg_host::Wkg::new(CodeCache::Dir(wkg.path("code"))).unwrap();
        for source in ["oci", "local"] {
            let invocation = Invocation::default().preopen(&cwd, ".", true);
            let mut client = host.client(invocation).await.unwrap();
            let options = RegistryOptions {
                config: Some(format!("{source}.toml")),
                cache: Some("cache".into()),
                registry: None,
            };
            let published = client.publish("dep", None, &options).await.unwrap();
            assert!(published.is_ok(), "{source}: {published:?}");

            let not_found = |what: &str, answer: Result<(), RegistryError>| match answer {
                Err(RegistryError::NotFound(m)) => m,
                other => panic!("{source}, {what}: {other:?}"),
            };
            let ignore = |_| ();
            let m = not_found(
                "a missing package",
                client
                    .resolve("kinds:nope@1.0.0", &options)
                    .await
                    .unwrap()
                    .map(ignore),
            );
            assert!(m.contains("kinds:nope"), "{source}: {m}");
            not_found(
                "a package without releases",
                client
                    .resolve("kinds:nope", &options)
                    .await
                    .unwrap()
                    .map(ignore),
            );
            let m = not_found(
                "a missing release",
                client
                    .fetch_bytes("kinds:dep@9.9.9", &options)
                    .await
                    .unwrap()
                    .map(|_| ()),
            );
            assert!(m.contains("kinds:dep@9.9.9"), "{source}: {m}");
            let m = not_found(
                "a missing dependency",
                client
                    .fetch_dependencies("app/wit", &options)
                    .await
                    .unwrap()
                    .map(|_| ()),
            );
            assert!(m.contains("kinds:missing"), "{source}: {m}");
            not_found(
                "a missing WIT directory",
                client
                    .fetch_dependencies("nowhere", &options)
                    .await
                    .unwrap()
                    .map(|_| ()),
            );
            let missing_config = RegistryOptions {
                config: Some("missing.toml".into()),
                ..options.clone()
            };
            not_found(
                "a missing config file",
                client
                    .resolve("kinds:dep@1.0.0", &missing_config)
                    .await
                    .unwrap()
                    .map(ignore),
            );
            // And what exists is found.
            let found = client.resolve("kinds:dep", &options).await.unwrap();
            assert_eq!(
                found.map(|r| r.version).ok().as_deref(),
                Some("1.0.0"),
                "{source}"
            );
        }
    });
}
