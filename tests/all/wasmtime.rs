//! The component under a stock `wasmtime run -S http --dir .`, as the README
//! tells users to run it: the package commands and exit codes, against a
//! real registry. wasmtime 48 comes from `tests/prerequisites.sh`
//! (`target/bench-tools/bin/wasmtime`), or `WASMTIME`.

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use support::{Registry, Run, Wkg, padded_component};

fn wasmtime() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMTIME") {
        return path.into();
    }
    let installed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-tools/bin/wasmtime");
    assert!(
        installed.is_file(),
        "wasmtime 48 is missing: run tests/prerequisites.sh or set WASMTIME"
    );
    installed
}

/// `wasmtime run -S http --dir . --env HOME=<home> wkg.wasm <args>` in the
/// working directory.
fn run(wkg: &Wkg, args: &[&str]) -> Run {
    run_with(wkg, &[], args)
}

/// [`run`] with `--dir <d>::<d>` for each of `dirs` too.
fn run_with(wkg: &Wkg, dirs: &[&std::path::Path], args: &[&str]) -> Run {
    let home = wkg.path("home");
    let out = Command::new(wasmtime())
        .args(["run", "-S", "http", "--dir", "."])
        .args(
            dirs.iter()
                .flat_map(|d| ["--dir".to_owned(), format!("{0}::{0}", d.display())]),
        )
        .arg("--env")
        .arg(format!("HOME={}", home.display()))
        .arg("wkg.wasm")
        .args(args)
        .current_dir(wkg.cwd.path())
        .env_clear()
        .env("HOME", &home)
        .output()
        .expect("running wasmtime");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn commands_under_stock_wasmtime() {
    let registry = Registry::anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::write(wkg.path("wkg.wasm"), wkg_host::WKG_WASM_STANDALONE).unwrap();
    let greet = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/greet.wasm"
    ))
    .unwrap();
    std::fs::write(wkg.path("greet.wasm"), &greet).unwrap();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["test"]),
    )
    .unwrap();

    let version = run(&wkg, &["--version"]);
    assert_eq!(version.code, 0, "{version:?}");
    assert!(version.stdout.starts_with("wkg "), "{version:?}");
    assert_eq!(run(&wkg, &["nope"]).code, 2);

    let reference = format!("{host}/test/greet:0.1.0");
    let push = run(
        &wkg,
        &["oci", "push", &reference, "greet.wasm", "--insecure", &host],
    );
    assert_eq!(push.code, 0, "{push:?}");
    assert!(push.stdout.contains("pushed: "), "{push:?}");
    let pull = run(
        &wkg,
        &[
            "oci",
            "pull",
            &reference,
            "-o",
            "out.wasm",
            "--insecure",
            &host,
        ],
    );
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(wkg.path("out.wasm")).unwrap(), greet);

    // Over 16 MiB a file is hashed on its way up, and every pull on its way
    // down; wasmtime offers no host digests, so the component hashes.
    let big = padded_component(&greet, 20 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let big_ref = format!("{host}/test/big:0.1.0");
    let push = run(
        &wkg,
        &["oci", "push", &big_ref, "big.wasm", "--insecure", &host],
    );
    assert_eq!(push.code, 0, "{push:?}");
    assert_eq!(
        registry.requests("PATCH", "/v2/test/big/blobs/uploads/"),
        1,
        "{}",
        registry.log()
    );
    let args = [
        "oci",
        "pull",
        &big_ref,
        "-o",
        "big-back.wasm",
        "--insecure",
        &host,
    ];
    let pull = run(&wkg, &args);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert!(std::fs::read(wkg.path("big-back.wasm")).unwrap() == big);
    // A registry that refuses the PATCH: the file is hashed, then goes up
    // in one PUT in a fresh session.
    let fake = support::fake::Fake::start();
    let fake_host = fake.host();
    let fake_ref = format!("{fake_host}/x/y:1.0.0");
    let args = [
        "oci",
        "push",
        &fake_ref,
        "big.wasm",
        "--insecure",
        &fake_host,
    ];
    let push = run(&wkg, &args);
    assert_eq!(push.code, 0, "{push:?}");
    {
        let st = fake.state.lock().unwrap();
        let patch = st
            .requests
            .iter()
            .position(|r| r.starts_with("PATCH /v2/x/y/blobs/uploads/s0"));
        let put = st
            .requests
            .iter()
            .position(|r| r == "PUT /v2/x/y/blobs/uploads/s1");
        assert!(patch.is_some() && put > patch, "{:?}", st.requests);
    }
    for name in ["big.wasm", "big-back.wasm"] {
        std::fs::remove_file(wkg.path(name)).unwrap();
    }
    let missing = run(
        &wkg,
        &[
            "oci",
            "pull",
            &format!("{host}/test/nope:1"),
            "--insecure",
            &host,
        ],
    );
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.starts_with("Error: "), "{missing:?}");

    // A docker credential helper: wasmtime cannot run it, the component says
    // so and goes on anonymously.
    let docker = wkg.path("home/.docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(docker.join("config.json"), r#"{"credsStore":"desktop"}"#).unwrap();
    let args = [
        "oci",
        "pull",
        &reference,
        "-o",
        "helped.wasm",
        "--insecure",
        &host,
    ];
    let helped = run_with(&wkg, &[&docker], &args);
    assert_eq!(helped.code, 0, "{helped:?}");
    assert!(
        helped
            .stderr
            .contains("credential helper `docker-credential-desktop`")
            && helped.stderr.contains("the native `wkg` runs it"),
        "{helped:?}"
    );
    std::fs::remove_dir_all(&docker).unwrap();

    // Package commands, with config and cache inside the working directory.
    let package = |command: &str, args: &[&str]| {
        let mut all = vec![command, "--config", "config.toml", "--cache", "cache"];
        all.extend_from_slice(args);
        run(&wkg, &all)
    };
    std::fs::create_dir_all(wkg.path("dep")).unwrap();
    std::fs::write(
        wkg.path("dep/dep.wit"),
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    )
    .unwrap();
    let publish = package("publish", &["dep"]);
    assert_eq!(publish.code, 0, "{publish:?}");
    let get = package("get", &["test:dep@0.1.0", "-o", "dep.wit"]);
    assert_eq!(get.code, 0, "{get:?}");
    assert!(
        std::fs::read_to_string(wkg.path("dep.wit"))
            .unwrap()
            .contains("package test:dep@0.1.0;")
    );
    std::fs::create_dir_all(wkg.path("wit")).unwrap();
    std::fs::write(
        wkg.path("wit/world.wit"),
        "package test:app@0.1.0;\n\nworld app {\n  import test:dep/api@0.1.0;\n}\n",
    )
    .unwrap();
    let fetch = package("fetch", &[]);
    assert_eq!(fetch.code, 0, "{fetch:?}");
    assert!(wkg.path("wit/deps/test-dep-0.1.0/package.wit").is_file());
    assert!(wkg.path("wkg.lock").is_file());
    let build = package("build", &["-o", "app.wasm"]);
    assert_eq!(build.code, 0, "{build:?}");
    let offline = package("fetch", &["--offline", "--locked"]);
    assert_eq!(offline.code, 0, "{offline:?}");
}

/// Under a stock `wasmtime run`, a path outside the `--dir` directories is
/// refused before anything runs, naming the `--dir` that would give it.
#[test]
fn paths_outside_the_preopens_name_the_dir_to_add() {
    let wkg = Wkg::new();
    std::fs::write(wkg.path("wkg.wasm"), wkg_host::WKG_WASM_STANDALONE).unwrap();
    let run = run(&wkg, &["config", "--config", "../x.toml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "config file `../x.toml` is outside the directories this component was given"
        ),
        "{run:?}"
    );
    assert!(run.stderr.contains("`--dir ..`"), "{run:?}");
    let run = self::run(
        &wkg,
        &["get", "wasi:http@0.2.0", "-o", "/elsewhere/http.wit"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`--dir /elsewhere`"), "{run:?}");
    // An override path outside them too.
    std::fs::create_dir_all(wkg.path("wit")).unwrap();
    std::fs::write(
        wkg.path("wit/app.wit"),
        "package test:app@0.1.0;\n\nworld w {\n  import my:local-dep/api;\n}\n",
    )
    .unwrap();
    std::fs::write(
        wkg.path("wkg.toml"),
        "[overrides]\n\"my:local-dep\" = { path = \"../local-dep/wit\" }\n",
    )
    .unwrap();
    let run = self::run(&wkg, &["fetch"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`--dir ../local-dep/wit`"), "{run:?}");
    assert!(!run.stderr.contains("os error"), "{run:?}");
}

#[test]
fn sigstore_bundles_verify_under_stock_wasmtime() {
    // The provider offers no native arithmetic: the component checks every
    // signature itself, with the same verdicts as the native host.
    let wkg = Wkg::new();
    std::fs::write(wkg.path("wkg.wasm"), wkg_host::WKG_WASM_STANDALONE).unwrap();
    let forge = sigstore_forge::Instance::new();
    forge.save(&wkg.path("forge")).unwrap();
    let digest = [9u8; 32];
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let signing = sigstore_forge::Signing::default();
    std::fs::write(wkg.path("b.json"), forge.sign(digest, &signing)).unwrap();
    let bad = sigstore_forge::Signing {
        tamper_checkpoint: true,
        ..signing.clone()
    };
    std::fs::write(wkg.path("bad.json"), forge.sign(digest, &bad)).unwrap();
    let verify = |bundle: &str, issuer: &str| {
        run(
            &wkg,
            &[
                "sigstore",
                "verify-bundle",
                "--bundle",
                bundle,
                "--certificate-identity",
                &signing.identity,
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                "forge/trusted_root.json",
                &format!("sha256:{hex}"),
            ],
        )
    };
    let ok = verify("b.json", &signing.issuer);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.starts_with("Verified: signed by"), "{ok:?}");
    let wrong = verify("b.json", "https://accounts.google.com");
    assert_ne!(wrong.code, 0, "{wrong:?}");
    let tampered = verify("bad.json", &signing.issuer);
    assert_ne!(tampered.code, 0, "{tampered:?}");
    assert!(tampered.stderr.contains("checkpoint"), "{tampered:?}");
}
