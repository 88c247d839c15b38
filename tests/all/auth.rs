//! `wkg oci push` and `wkg oci pull` against a real registry behind
//! bearer-token auth, granting as ghcr.io does: anonymous requests get a
//! `pull` token, pushes need the user's credentials.

use crate::support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use support::token::TokenRequest;
use support::{Registry, Run, Wkg};

const USER: &str = "octocat";
const PASSWORD: &str = "s3cret-pat";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// `wkg.wasm` itself, written into the working directory.
fn with_component(wkg: &Wkg, name: &str) -> Vec<u8> {
    let bytes = wkg_host::WKG_WASM.to_vec();
    std::fs::write(wkg.path(name), &bytes).unwrap();
    bytes
}

/// `wkg oci push <reference> <file> --insecure <host> <extra…>`.
fn push(wkg: &Wkg, registry: &Registry, reference: &str, file: &str, extra: &[&str]) -> Run {
    let host = registry.host();
    let args = ["oci", "push", reference, file, "--insecure", &host];
    wkg.run(&[&args[..], extra].concat())
}

/// The token requests made since `before` requests had been seen.
fn since(registry: &Registry, before: usize) -> Vec<TokenRequest> {
    registry.token.as_ref().unwrap().requests()[before..].to_vec()
}

fn seen(registry: &Registry) -> usize {
    registry.token.as_ref().unwrap().requests().len()
}

#[test]
fn push_needs_credentials_and_anonymous_pull_gets_a_pull_token() {
    let registry = Registry::token_auth(USER, PASSWORD);
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "app.wasm");
    let host = registry.host();
    let reference = format!("{host}/test/app:1.0.0");

    // Anonymous: the token service grants `pull` only, the registry refuses
    // the upload.
    let before = seen(&registry);
    let anonymous = push(&wkg, &registry, &reference, "app.wasm", &[]);
    println!("anonymous push: {anonymous:#?}");
    assert_eq!(anonymous.code, 1, "{anonymous:?}");
    assert!(anonymous.stdout.is_empty(), "{anonymous:?}");
    let stderr = anonymous.stderr.to_lowercase();
    assert!(stderr.contains("authentication"), "{anonymous:?}");
    assert!(stderr.contains("requires credentials"), "{anonymous:?}");
    assert!(stderr.contains(&format!("`{host}`")), "{anonymous:?}");
    assert!(stderr.contains("test/app"), "{anonymous:?}");
    let requests = since(&registry, before);
    println!("token requests: {requests:#?}");
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(r.is_anonymous(), "{r:?}");
        assert_eq!(r.service.as_deref(), Some("wkg-test-registry"), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.granted, ["repository:test/app:pull"], "{r:?}");
    }
    assert!(
        requests
            .iter()
            .any(|r| r.scopes.iter().any(|s| s.contains("push"))),
        "{requests:?}"
    );

    // A wrong password: the token service answers 401.
    let before = seen(&registry);
    let wrong = push(
        &wkg,
        &registry,
        &reference,
        "app.wasm",
        &["-u", USER, "-p", "nope"],
    );
    println!("wrong password: {wrong:#?}");
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong
            .stderr
            .contains(&format!("rejected the credentials of `{USER}`")),
        "{wrong:?}"
    );
    assert!(!wrong.stderr.contains("nope"), "password leaked: {wrong:?}");
    let requests = since(&registry, before);
    assert!(
        requests
            .iter()
            .any(|r| r.user.as_deref() == Some(USER) && r.status == 401),
        "{requests:?}"
    );
    let (status, _) = registry.get("/v2/test/app/manifests/1.0.0", MANIFEST_TYPE);
    assert_eq!(status, 404, "nothing was pushed");

    // The right password: a `pull,push` token.
    let before = seen(&registry);
    let right = push(
        &wkg,
        &registry,
        &reference,
        "app.wasm",
        &["-u", USER, "-p", PASSWORD],
    );
    assert_eq!(right.code, 0, "{right:?}");
    assert!(
        right.stdout.starts_with(&format!("pushed: {reference}\n")),
        "{right:?}"
    );
    let requests = since(&registry, before);
    assert!(
        requests.iter().any(
            |r| r.user.as_deref() == Some(USER) && r.granted.iter().any(|g| g.contains("push"))
        ),
        "{requests:?}"
    );
    let (status, _) = registry.get("/v2/test/app/manifests/1.0.0", MANIFEST_TYPE);
    assert_eq!(status, 200);

    // Anonymous pull: one `pull` token, reused for the manifest and blobs.
    let before = seen(&registry);
    let pull = Wkg::new().run(&["oci", "pull", &reference, "--insecure", &host]);
    assert_eq!(pull.code, 0, "{pull:?}");
    let requests = since(&registry, before);
    assert!(
        requests.iter().all(|r| r.is_anonymous()
            && r.scopes == ["repository:test/app:pull"]
            && r.granted == ["repository:test/app:pull"]),
        "{requests:?}"
    );
    assert_eq!(requests.len(), 1, "{requests:?}");
    let server = registry.token.as_ref().unwrap();
    assert!(server.anonymous_count() >= 2);
    assert!(server.authenticated_count() >= 2);

    let out = Wkg::new();
    let pull = out.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "pulled.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(out.path("pulled.wasm")).unwrap(), bytes);
}

#[test]
fn push_credentials_from_env_and_docker_config() {
    let registry = Registry::token_auth(USER, PASSWORD);
    let host = registry.host();

    // WKG_OCI_USERNAME and WKG_OCI_PASSWORD.
    let env = Wkg::new()
        .env("WKG_OCI_USERNAME", USER)
        .env("WKG_OCI_PASSWORD", PASSWORD);
    let bytes = with_component(&env, "env.wasm");
    let reference = format!("{host}/test/env:1.0.0");
    let before = seen(&registry);
    let run = push(&env, &registry, &reference, "env.wasm", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let requests = since(&registry, before);
    assert!(
        requests.iter().all(|r| r.user.as_deref() == Some(USER)),
        "{requests:?}"
    );

    // docker `config.json` `auths`, at `$HOME/.docker/config.json`.
    let docker = Wkg::new();
    with_component(&docker, "docker.wasm");
    let dir = docker.path("home/.docker");
    std::fs::create_dir_all(&dir).unwrap();
    let auth = STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let reference = format!("{host}/test/docker:1.0.0");
    let before = seen(&registry);
    let run = push(&docker, &registry, &reference, "docker.wasm", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let requests = since(&registry, before);
    assert!(
        requests.iter().all(|r| r.user.as_deref() == Some(USER)),
        "{requests:?}"
    );

    // Both are there for anyone to pull.
    let anyone = Wkg::new();
    for (name, repository) in [("e.wasm", "test/env"), ("d.wasm", "test/docker")] {
        let pull = anyone.run(&[
            "oci",
            "pull",
            &format!("{host}/{repository}:1.0.0"),
            "-o",
            name,
            "--insecure",
            &host,
        ]);
        assert_eq!(pull.code, 0, "{pull:?}");
        assert_eq!(std::fs::read(anyone.path(name)).unwrap(), bytes);
    }
}

/// A `config.toml` mapping the `test` namespace to `registry` over http,
/// with `auth` lines under its `oci` table.
fn package_config(wkg: &Wkg, registry: &Registry, auth: &str) {
    let host = registry.host();
    std::fs::write(
        wkg.path("config.toml"),
        format!(
            "[namespace_registries]\ntest = \"{host}\"\n\n\
             [registry.\"{host}\".oci]\nprotocol = \"http\"\n{auth}"
        ),
    )
    .unwrap();
}

fn package_command(wkg: &Wkg, command: &str, args: &[&str]) -> Run {
    let all = [command, "--config", "config.toml", "--cache", "cache"];
    wkg.run(&[&all[..], args].concat())
}

#[test]
fn packages_by_name_on_a_token_registry() {
    let registry = Registry::token_auth(USER, PASSWORD);
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::create_dir_all(wkg.path("dep")).unwrap();
    std::fs::write(
        wkg.path("dep/package.wit"),
        "package test:dep@0.1.0;\n\ninterface i {\n  f: func();\n}\n",
    )
    .unwrap();

    // No credentials: publishing is refused, and the error says how to log in.
    package_config(&wkg, &registry, "");
    let run = package_command(&wkg, "publish", &["dep"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("requires credentials"), "{run:?}");
    assert!(run.stderr.contains("config.toml"), "{run:?}");

    // Wrong credentials: refused too (no anonymous fallback for a publish).
    package_config(
        &wkg,
        &registry,
        &format!("auth = {{ username = \"{USER}\", password = \"wrong\" }}\n"),
    );
    let run = package_command(&wkg, "publish", &["dep"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("rejected the credentials"), "{run:?}");
    assert!(
        !run.stderr.contains("wrong"),
        "no password in errors: {run:?}"
    );

    // The config's credentials publish.
    let auth = STANDARD.encode(format!("{USER}:{PASSWORD}"));
    package_config(&wkg, &registry, &format!("auth = \"{auth}\"\n"));
    let run = package_command(&wkg, "publish", &["dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published test:dep@0.1.0"), "{run:?}");

    // Anonymous `get` gets a pull token; stale credentials fall back to it.
    for auth in [
        "",
        "auth = { username = \"octocat\", password = \"stale\" }\n",
    ] {
        package_config(&wkg, &registry, auth);
        let before = seen(&registry);
        let run = package_command(
            &wkg,
            "get",
            &["test:dep@0.1.0", "-o", "dep.wit", "--overwrite"],
        );
        assert_eq!(run.code, 0, "{run:?}");
        let text = std::fs::read_to_string(wkg.path("dep.wit")).unwrap();
        assert!(text.contains("package test:dep@0.1.0;"), "{text}");
        assert!(
            since(&registry, before)
                .iter()
                .any(|r| r.user.is_none() && r.status == 200),
            "an anonymous token was used"
        );
        std::fs::remove_dir_all(wkg.path("cache")).unwrap();
    }

    // A bearer token from WKG_REGISTRY_<HOST>_AUTH_BEARER is sent as-is.
    let token = registry
        .token
        .as_ref()
        .unwrap()
        .mint(USER, &[("test/dep", &["pull", "push"])]);
    let env = format!("WKG_REGISTRY_{}_AUTH_BEARER", host.replace(['.', ':'], "_"));
    package_config(&wkg, &registry, "");
    let wkg = wkg.env(&env, &token);
    std::fs::write(
        wkg.path("dep/package.wit"),
        "package test:dep@0.1.1;\n\ninterface i {\n  f: func();\n  g: func();\n}\n",
    )
    .unwrap();
    let before = seen(&registry);
    let run = package_command(&wkg, "publish", &["dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Published test:dep@0.1.1"), "{run:?}");
    assert_eq!(since(&registry, before).len(), 0, "no token exchange");
}

#[test]
fn docker_credential_helpers_are_run_by_the_native_host() {
    let registry = Registry::basic_auth(USER, PASSWORD);
    let host = registry.host();
    let wkg = Wkg::new();
    let bin = wkg.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, script) in [
        (
            "docker-credential-wkgtest",
            format!(
                "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n\
                 printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n"
            ),
        ),
        ("docker-credential-broken", "#!/bin/sh\nexit 3\n".to_owned()),
    ] {
        let path = bin.join(name);
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let docker = wkg.path("home/.docker");
    std::fs::create_dir_all(&docker).unwrap();
    let wkg = wkg.env("PATH", &format!("{}:/usr/bin:/bin", bin.display()));
    with_component(&wkg, "app.wasm");
    let reference = format!("{host}/test/helped:1.0.0");

    std::fs::write(docker.join("config.json"), r#"{"credsStore":"wkgtest"}"#).unwrap();
    let run = push(&wkg, &registry, &reference, "app.wasm", &[]);
    assert_eq!(run.code, 0, "{run:?}");

    // Package commands: the component asks the host for the registry it
    // resolved (no `auth` in config.toml).
    package_config(&wkg, &registry, "");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm"),
        wkg.path("greet.wasm"),
    )
    .unwrap();
    let run = package_command(&wkg, "publish", &["greet.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = package_command(&wkg, "get", &["test:greet@0.1.0", "-o", "got.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("warning"), "{run:?}");

    // A helper that fails: a warning, then the registry's refusal.
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"credHelpers":{{"{host}":"broken"}}}}"#),
    )
    .unwrap();
    let run = push(&wkg, &registry, &reference, "app.wasm", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("docker-credential-broken get"),
        "{run:?}"
    );
    assert!(run.stderr.contains("requires credentials"), "{run:?}");

    // Under a host that runs no helpers (as `wasmtime run`), the component
    // says why it goes on without credentials.
    std::fs::write(docker.join("config.json"), r#"{"credsStore":"wkgtest"}"#).unwrap();
    let outcome = run_without_helpers(
        &wkg,
        &["wkg", "oci", "pull", &reference, "--insecure", &host],
    );
    assert_eq!(outcome.0, 1, "{outcome:?}");
    assert!(
        outcome
            .1
            .contains("credential helper `docker-credential-wkgtest`")
            && outcome.1.contains("native `wkg`"),
        "{outcome:?}"
    );
}

/// Runs the component through the host library with `HOME` of `wkg` and no
/// credential helpers: (exit code, stderr).
fn run_without_helpers(wkg: &Wkg, args: &[&str]) -> (i32, String) {
    use wkg_host::{CodeCache, Invocation};
    let home = wkg.path("home");
    let invocation = Invocation::new(args.iter().copied())
        .env("HOME", home.display().to_string())
        .preopen(&home, home.display().to_string(), false)
        .capture(1 << 20);
    let outcome = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async {
            let component = wkg_host::Wkg::new(CodeCache::Dir(wkg.path("code")))?;
            component.run_captured(invocation).await
        })
        .unwrap();
    (
        outcome.code,
        String::from_utf8_lossy(&outcome.stderr).into_owned(),
    )
}
