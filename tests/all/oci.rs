//! `wkg oci pull` and `wkg oci push` through the native host and the real
//! component, against a real CNCF Distribution registry.

use crate::support;

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{Registry, Wkg, padded_component, silent_server, status_server};

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// `wkg.wasm` itself, written into the working directory.
fn with_component(wkg: &Wkg, name: &str) -> Vec<u8> {
    let bytes = wkg_host::WKG_WASM.to_vec();
    std::fs::write(wkg.path(name), &bytes).unwrap();
    bytes
}

fn digest_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest line in {stdout:?}"))
        .to_owned()
}

// Its own registry: it counts uploads in the access log.
#[test]
fn push_then_pull_by_tag_and_by_digest_round_trips() {
    let registry = Registry::anonymous();
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "wkg.wasm");
    let host = registry.host();
    let reference = format!("{host}/wkg/tool:0.1.0");

    let push = wkg.run(&["oci", "push", &reference, "wkg.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");
    assert!(
        push.stdout.starts_with(&format!("pushed: {reference}\n")),
        "{push:?}"
    );
    let digest = digest_line(&push.stdout);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    // By tag, to the default file name (repository with `/` → `_`).
    let pull = wkg.run(&["oci", "pull", &reference, "--insecure", &host]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(
        pull.stdout,
        format!("Successfully wrote {reference} to wkg_tool.wasm\n")
    );
    assert_eq!(std::fs::read(wkg.path("wkg_tool.wasm")).unwrap(), bytes);

    // By digest, to an explicit file.
    let by_digest = format!("{host}/wkg/tool@{digest}");
    let pull = wkg.run(&[
        "oci",
        "pull",
        &by_digest,
        "-o",
        "again.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(wkg.path("again.wasm")).unwrap(), bytes);

    // The manifest as the registry serves it.
    let (status, body) = registry.get("/v2/wkg/tool/manifests/0.1.0", MANIFEST_TYPE);
    assert_eq!(status, 200);
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(manifest["mediaType"], MANIFEST_TYPE);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], "application/wasm");
    assert_eq!(layers[0]["size"], bytes.len() as u64);
    assert_eq!(
        layers[0]["annotations"]["org.opencontainers.image.title"],
        "wkg.wasm"
    );
    let layer_digest = layers[0]["digest"].as_str().unwrap().to_owned();

    // The wasm config.
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let (status, body) = registry.get(&format!("/v2/wkg/tool/blobs/{config_digest}"), "*/*");
    assert_eq!(status, 200);
    let config: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    assert_eq!(config["author"], Value::Null);
    assert_eq!(config["layerDigests"], serde_json::json!([layer_digest]));
    assert!(config["created"].as_str().unwrap().ends_with('Z'));
    let exports = config["component"]["exports"].as_array().unwrap();
    assert!(
        exports
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("wasi:cli/run@0.2")),
        "{exports:?}"
    );
    let imports = config["component"]["imports"].as_array().unwrap();
    assert!(
        imports.iter().any(|e| e
            .as_str()
            .unwrap()
            .starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    assert_eq!(config["component"]["target"], Value::Null);

    // An independent client agrees.
    let skopeo = std::process::Command::new("skopeo")
        .args(["inspect", "--tls-verify=false", "--raw"])
        .arg(format!("docker://{reference}"))
        .output()
        .expect("skopeo (apt-get install skopeo)");
    assert!(skopeo.status.success(), "{skopeo:?}");
    let raw: Value = serde_json::from_slice(&skopeo.stdout).unwrap();
    assert_eq!(raw["layers"][0]["digest"], layer_digest.as_str());
    let hex: String = Sha256::digest(&skopeo.stdout)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(format!("sha256:{hex}"), digest);
    let copy = wkg.path("skopeo-copy");
    let skopeo = std::process::Command::new("skopeo")
        .args(["copy", "--src-tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .arg(format!("dir:{}", copy.display()))
        .output()
        .unwrap();
    assert!(skopeo.status.success(), "{skopeo:?}");
    let layer_file = copy.join(layer_digest.strip_prefix("sha256:").unwrap());
    assert_eq!(std::fs::read(layer_file).unwrap(), bytes);
    std::fs::remove_dir_all(&copy).unwrap();

    // A second push of the same file uploads no blob and makes the same manifest.
    let uploads = registry.requests("POST", "/v2/wkg/tool/blobs/uploads/");
    assert_eq!(uploads, 2, "layer and config uploads: {}", registry.log());
    let again = wkg.run(&["oci", "push", &reference, "wkg.wasm", "--insecure", &host]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(digest_line(&again.stdout), digest);
    assert_eq!(
        registry.requests("POST", "/v2/wkg/tool/blobs/uploads/"),
        uploads
    );
    assert_eq!(wkg.files(), ["again.wasm", "wkg.wasm", "wkg_tool.wasm"]);
}

#[test]
fn push_records_author_and_annotations() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    with_component(&wkg, "c.wasm");
    let host = registry.host();
    let reference = format!("{host}/a/b:1.0.0");
    let push = wkg.run(&[
        "oci",
        "push",
        &reference,
        "c.wasm",
        "--insecure",
        &host,
        "-a",
        "Jane Doe",
        "--annotation",
        "org.example.k=v=w",
        "--annotation",
        "x=",
    ]);
    assert_eq!(push.code, 0, "{push:?}");
    let (_, body) = registry.get("/v2/a/b/manifests/1.0.0", MANIFEST_TYPE);
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(manifest["annotations"]["org.example.k"], "v=w");
    assert_eq!(manifest["annotations"]["x"], "");
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let (_, body) = registry.get(&format!("/v2/a/b/blobs/{config_digest}"), "*/*");
    let config: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(config["author"], "Jane Doe");

    let bad = wkg.run(&[
        "oci",
        "push",
        &reference,
        "c.wasm",
        "--annotation",
        "novalue",
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("no `=` found"), "{bad:?}");
}

// Its own registry: it counts uploads in the access log.
#[test]
fn large_component_goes_up_once_hashed_on_its_way_and_comes_back_identical() {
    let registry = Registry::anonymous();
    let wkg = Wkg::new();
    let mut big = padded_component(wkg_host::WKG_WASM, 70 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let host = registry.host();
    let reference = format!("{host}/big/one:1.0.0");
    let push = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");
    // Hashed by the host on its way up: one PATCH, closed by a PUT.
    let patches = || registry.requests("PATCH", "/v2/big/one/blobs/uploads/");
    assert_eq!(patches(), 1, "{}", registry.log());
    let uploads = || registry.requests("POST", "/v2/big/one/blobs/uploads/");
    assert_eq!(uploads(), 2, "layer and config: {}", registry.log());

    // The cache remembers its digest, so a second push asks the registry,
    // hashes the file to be sure, and sends nothing.
    let again = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("Skipped blob sha256:"), "{again:?}");
    assert_eq!(uploads(), 2, "{}", registry.log());

    // A file changed in place, with its size and modification time kept,
    // still has a hint; the registry's blob must not stand in for it.
    let modified = std::fs::metadata(wkg.path("big.wasm"))
        .unwrap()
        .modified()
        .unwrap();
    let last = big.len() - 1;
    big[last] ^= 0xff;
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let file = std::fs::File::options()
        .write(true)
        .open(wkg.path("big.wasm"))
        .unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    let changed = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(changed.code, 0, "{changed:?}");
    assert!(!changed.stderr.contains("Skipped blob"), "{changed:?}");
    assert_ne!(digest_line(&changed.stdout), digest_line(&push.stdout));

    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "back.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert!(std::fs::read(wkg.path("back.wasm")).unwrap() == big);

    // A pulled file is remembered too: pushed under another tag, it is
    // not sent again.
    let posts = uploads();
    let retag = format!("{host}/big/one:retagged");
    let retagged = wkg.run(&["oci", "push", &retag, "back.wasm", "--insecure", &host]);
    assert_eq!(retagged.code, 0, "{retagged:?}");
    assert!(
        retagged.stderr.contains("Skipped blob sha256:"),
        "{retagged:?}"
    );
    // Only the config went up (its `created` is the pulled file's time).
    assert_eq!(uploads(), posts + 1, "{}", registry.log());
    assert_eq!(patches(), 1, "{}", registry.log());
}

#[test]
fn basic_auth_with_flags_env_and_docker_config() {
    let registry = Registry::basic_auth("alice", "s3cret");
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "c.wasm");
    let host = registry.host();
    let reference = format!("{host}/private/c:1.0.0");

    let push = |credentials: &[&str]| {
        let args = ["oci", "push", &reference, "c.wasm", "--insecure", &host];
        wkg.run(&[&args[..], credentials].concat())
    };
    let anonymous = push(&[]);
    assert_eq!(anonymous.code, 1, "{anonymous:?}");
    assert!(
        anonymous.stderr.contains("requires credentials"),
        "{anonymous:?}"
    );
    let wrong = push(&["-u", "alice", "-p", "nope"]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong.stderr.contains("rejected the credentials of `alice`"),
        "{wrong:?}"
    );
    let right = push(&["-u", "alice", "-p", "s3cret"]);
    assert_eq!(right.code, 0, "{right:?}");

    // -u without -p is a usage error.
    let half = wkg.run(&["oci", "pull", &reference, "-u", "alice"]);
    assert_eq!(half.code, 2, "{half:?}");

    let env = Wkg::new()
        .env("WKG_OCI_USERNAME", "alice")
        .env("WKG_OCI_PASSWORD", "s3cret");
    let pull = env.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "x.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(env.path("x.wasm")).unwrap(), bytes);

    // docker config.json `auths`, found through DOCKER_CONFIG.
    let docker = Wkg::new();
    let dir = docker.path("dockercfg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"YWxpY2U6czNjcmV0"}}}}}}"#),
    )
    .unwrap();
    let docker = docker.env("DOCKER_CONFIG", dir.to_str().unwrap());
    let pull = docker.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "y.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(docker.path("y.wasm")).unwrap(), bytes);
}

#[test]
fn bad_input_fails_clearly_and_leaves_nothing_behind() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    with_component(&wkg, "c.wasm");
    let host = registry.host();
    let push = wkg.run(&[
        "oci",
        "push",
        &format!("{host}/ok/c:1.0.0"),
        "c.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(push.code, 0, "{push:?}");

    let fails = |args: &[&str], code: i32, needle: &str| {
        let run = wkg.run(args);
        assert_eq!(run.code, code, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(needle),
            "{args:?}: expected {needle:?} in {run:?}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
        assert_eq!(wkg.files(), ["c.wasm"], "{args:?} left files behind");
    };

    fails(&["oci", "pull", "UPPER/Case:1"], 2, "invalid value");
    fails(&["oci", "pull", "a/b:"], 2, "invalid value");
    fails(
        &[
            "oci",
            "pull",
            &format!("{host}/no/such:1.0.0"),
            "--insecure",
            &host,
        ],
        1,
        "not found",
    );
    fails(
        &[
            "oci",
            "pull",
            &format!("{host}/ok/c:9.9.9"),
            "--insecure",
            &host,
        ],
        1,
        "manifest `ok/c:9.9.9` not found",
    );
    fails(
        &[
            "oci",
            "push",
            &format!("{host}/ok/c:2"),
            "missing.wasm",
            "--insecure",
            &host,
        ],
        1,
        "missing.wasm",
    );
    std::fs::write(wkg.path("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let run = wkg.run(&[
        "oci",
        "push",
        &format!("{host}/ok/c:2"),
        "core.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("core wasm module"), "{run:?}");
    std::fs::remove_file(wkg.path("core.wasm")).unwrap();

    fails(
        &[
            "oci",
            "pull",
            &format!("{host}/ok/c:1.0.0"),
            "-o",
            "nodir/x.wasm",
            "--insecure",
            &host,
        ],
        1,
        "output directory `nodir` does not exist",
    );
    fails(
        &[
            "oci",
            "push",
            &format!("{host}/ok/c:2"),
            ".",
            "--insecure",
            &host,
        ],
        1,
        "is a directory",
    );
    let dead = support::free_port();
    fails(
        &[
            "oci",
            "pull",
            &format!("127.0.0.1:{dead}/x/y:1"),
            "--insecure",
            &format!("127.0.0.1:{dead}"),
        ],
        1,
        "connection refused",
    );

    let silent = silent_server();
    let slow = Wkg::new().env("WKG_HTTP_TIMEOUT", "2");
    let started = std::time::Instant::now();
    let run = slow.run(&[
        "oci",
        "pull",
        &format!("127.0.0.1:{silent}/x/y:1"),
        "--insecure",
        &format!("127.0.0.1:{silent}"),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("timed out"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    let broken = status_server(500);
    fails(
        &[
            "oci",
            "pull",
            &format!("127.0.0.1:{broken}/x/y:1"),
            "--insecure",
            &format!("127.0.0.1:{broken}"),
        ],
        1,
        "500",
    );

    // https to a plain-http registry fails instead of hanging.
    fails(
        &["oci", "pull", &format!("{host}/ok/c:1.0.0")],
        1,
        "unable to pull",
    );
}

// Its own registry: it rewrites a blob in the storage, where every repository
// holding the same content finds it.
#[test]
fn corrupted_blob_is_refused_and_nothing_is_written() {
    let registry = Registry::anonymous();
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "c.wasm");
    let host = registry.host();
    let reference = format!("{host}/ok/c:1.0.0");
    let push = wkg.run(&["oci", "push", &reference, "c.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");

    let (_, body) = registry.get("/v2/ok/c/manifests/1.0.0", MANIFEST_TYPE);
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let data = registry.blob_data(layer);
    let mut corrupted = bytes.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    std::fs::write(&data, &corrupted).unwrap();

    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 1, "{pull:?}");
    assert!(
        pull.stderr.contains("does not match its digest"),
        "{pull:?}"
    );
    assert!(pull.stderr.contains(layer), "{pull:?}");
    assert_eq!(wkg.files(), ["c.wasm"]);
}

#[test]
fn version_help_and_usage_errors() {
    let wkg = Wkg::new();
    let version = wkg.run(&["--version"]);
    assert_eq!(version.code, 0);
    assert!(version.stdout.starts_with("wkg "), "{version:?}");
    let help = wkg.run(&["oci", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("pull") && help.stdout.contains("push"));
    let usage = wkg.run(&["nope"]);
    assert_eq!(usage.code, 2);
    let missing = wkg.run(&["oci", "pull"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("Usage:"), "{missing:?}");
}

#[test]
fn bearer_token_is_fetched_once_per_scope() {
    let fake = support::fake::Fake::start();
    let wkg = Wkg::new();
    let big = padded_component(wkg_host::WKG_WASM, 40 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let host = fake.host();
    let reference = format!("{host}/x/y:1.0.0");
    // The registry takes the upload in one PATCH.
    fake.state.lock().unwrap().accept_patch = true;

    let push = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");
    {
        let st = fake.state.lock().unwrap();
        assert_eq!(st.token_requests, ["repository:x/y:pull,push"]);
        // One PATCH hashed by the host, closed by a PUT with the digest.
        let session: Vec<&String> = st
            .requests
            .iter()
            .filter(|r| r.contains("/blobs/uploads/s0"))
            .take(2)
            .collect();
        assert_eq!(
            session,
            [
                "PATCH /v2/x/y/blobs/uploads/s0",
                "PUT /v2/x/y/blobs/uploads/s0"
            ],
            "{:?}",
            st.requests
        );
    }

    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "back.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert!(std::fs::read(wkg.path("back.wasm")).unwrap() == big);
    let st = fake.state.lock().unwrap();
    assert_eq!(
        st.token_requests,
        ["repository:x/y:pull,push", "repository:x/y:pull"]
    );
}

#[test]
fn registry_serving_wrong_bytes_is_refused() {
    let fake = support::fake::Fake::start();
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "c.wasm");
    let host = fake.host();
    let reference = format!("{host}/x/y:1.0.0");
    let push = wkg.run(&["oci", "push", &reference, "c.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");

    let mut lie = bytes.clone();
    lie[10] ^= 1;
    fake.state.lock().unwrap().lie_about_blobs = Some(lie);
    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 1, "{pull:?}");
    assert!(
        pull.stderr.contains("does not match its digest"),
        "{pull:?}"
    );
    assert_eq!(wkg.files(), ["c.wasm"]);

    // Too many bytes is refused as it streams.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"extra");
    fake.state.lock().unwrap().lie_about_blobs = Some(longer);
    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 1, "{pull:?}");
    assert!(pull.stderr.contains("more than"), "{pull:?}");
    assert_eq!(wkg.files(), ["c.wasm"]);
}

#[test]
fn blob_redirects_are_followed_without_credentials() {
    let fake = support::fake::Fake::start();
    let cdn = support::fake::Fake::start();
    let wkg = Wkg::new();
    let bytes = with_component(&wkg, "c.wasm");
    let host = fake.host();
    let reference = format!("{host}/x/y:1.0.0");
    let push = wkg.run(&["oci", "push", &reference, "c.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");

    // The CDN is another host (port): it holds the same blobs.
    let blobs = fake.state.lock().unwrap().blobs.clone();
    cdn.state.lock().unwrap().blobs = blobs;
    fake.state.lock().unwrap().redirect_blobs_to = Some(format!("http://{}/cdn", cdn.host()));
    let insecure = format!("{host},{}", cdn.host());
    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &insecure,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");
    assert_eq!(std::fs::read(wkg.path("out.wasm")).unwrap(), bytes);
    let seen = cdn.state.lock().unwrap().requests.clone();
    assert!(
        seen.contains(&"CDN authorization=false".to_owned()),
        "{seen:?}"
    );
}

#[test]
fn self_hosting_the_pulled_tool_pulls_itself_and_runs() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::write(wkg.path("wkg.wasm"), wkg_host::WKG_WASM_STANDALONE).unwrap();
    let reference = format!("{host}/tools/wkg:0.1.0");
    let push = wkg.run(&["oci", "push", &reference, "wkg.wasm", "--insecure", &host]);
    assert_eq!(push.code, 0, "{push:?}");
    let pull = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "first.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(pull.code, 0, "{pull:?}");

    // The pulled component, run by the host in place of the embedded one,
    // pulls itself again; that copy runs too.
    // (A later WKG_COMPONENT entry wins over an earlier one.)
    let first = wkg.path("first.wasm");
    let wkg = wkg.env("WKG_COMPONENT", first.to_str().unwrap());
    let again = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "second.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        std::fs::read(wkg.path("second.wasm")).unwrap(),
        wkg_host::WKG_WASM_STANDALONE
    );
    let second = wkg.path("second.wasm");
    let version = wkg
        .env("WKG_COMPONENT", second.to_str().unwrap())
        .run(&["--version"]);
    assert_eq!(version.code, 0, "{version:?}");
    assert!(version.stdout.starts_with("wkg "), "{version:?}");
}

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");

/// Transient faults from a fault-injecting relay in front of a real
/// registry are retried (one 503, one 502, a reset, a 429 with
/// `Retry-After`), each with a status line, and the request counts show
/// the retry; a 503 that persists fails after the attempts.
#[test]
fn transient_faults_are_retried_and_persistent_ones_fail() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    let reference = format!("{host}/faults/greet:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, GREET, "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    let manifests = "/v2/faults/greet/manifests/";
    let pull = |out: &str| wkg.run(&["oci", "pull", &reference, "-o", out, "--insecure", &host]);

    let cases = [
        (Fault::Status(503, vec![]), "(503, attempt 2 of 3"),
        (Fault::Status(502, vec![]), "(502, attempt 2 of 3"),
        (Fault::Reset, "attempt 2 of 3"),
        (
            Fault::Status(429, vec!["Retry-After: 1".into()]),
            "(429, attempt 2 of 3, in 1.0 s)",
        ),
    ];
    for (n, (fault, line)) in cases.into_iter().enumerate() {
        let before = relay.count("GET", manifests);
        relay.inject(manifests, fault);
        let started = std::time::Instant::now();
        let out = format!("pulled-{n}.wasm");
        let run = pull(&out);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("Retrying GET"), "{run:?}");
        assert!(run.stderr.contains(line), "{run:?}");
        assert_eq!(relay.count("GET", manifests) - before, 2, "one retry");
        assert_eq!(
            std::fs::read(wkg.path(&out)).unwrap(),
            std::fs::read(GREET).unwrap()
        );
        if line.contains("429") {
            assert!(started.elapsed() >= std::time::Duration::from_secs(1));
        }
    }

    // Never better: three attempts, then the error, and no output file.
    let before = relay.count("GET", manifests);
    for _ in 0..3 {
        relay.inject(manifests, Fault::Status(503, vec![]));
    }
    let run = pull("never.wasm");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("503"), "{run:?}");
    assert_eq!(relay.count("GET", manifests) - before, 3);
    assert!(!wkg.path("never.wasm").exists());
    // WKG_HTTP_RETRIES=1: no retry at all; 404 is never retried.
    let once = Wkg::new().env("WKG_HTTP_RETRIES", "1");
    relay.inject(manifests, Fault::Status(503, vec![]));
    let before = relay.count("GET", manifests);
    let run = once.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "x.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(relay.count("GET", manifests) - before, 1);
    let before = relay.count("GET", "/v2/faults/missing/");
    let missing = format!("{host}/faults/missing:1");
    let run = wkg.run(&["oci", "pull", &missing, "--insecure", &host]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(relay.count("GET", "/v2/faults/missing/") - before, 1);
    assert!(!run.stderr.contains("Retrying"), "{run:?}");
}

/// Tag lists that never end are cut short with an error that names the
/// registry, the repository and the pages read: two pages linking to each
/// other, and an endless chain of new pages.
#[test]
fn endless_tag_lists_end_with_an_error() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["acme"]),
    )
    .unwrap();
    let get = |spec: &str| wkg.run(&["get", spec, "--config", "config.toml", "--cache", "cache"]);

    let list = "/v2/acme/cycle/tags/list";
    relay.inject(
        list,
        Fault::TagPage {
            next: format!("{list}?page=b"),
        },
    );
    relay.inject(
        list,
        Fault::TagPage {
            next: format!("{list}?page=a"),
        },
    );
    relay.inject(
        list,
        Fault::TagPage {
            next: format!("{list}?page=b"),
        },
    );
    let run = get("acme:cycle");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "the tag list of `acme/cycle` at `{host}` was not read to its end"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("leads back to a page already read"),
        "{run:?}"
    );
    assert_eq!(relay.count("GET", list), 3);

    relay.endless_tags("acme/endless");
    let run = get("acme:endless");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("it goes on past 1000 pages"), "{run:?}");
    assert_eq!(relay.count("GET", "/v2/acme/endless/tags/list"), 1000);
}

/// A blob that crawls in a few bytes at a time, never silent for long
/// enough for the between-bytes timeout, fails at the low-speed deadline,
/// with a message that says how to change the floor; nothing is written.
#[test]
fn a_crawling_download_fails_at_the_speed_floor() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    let big = padded_component(wkg_host::WKG_WASM, 64 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let reference = format!("{host}/faults/slow:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    relay.inject(
        "/v2/faults/slow/blobs/",
        Fault::Drip {
            bytes: 64,
            every: std::time::Duration::from_millis(50),
        },
    );
    let slow = Wkg::new()
        .env("WKG_HTTP_SPEED_TIME", "2")
        .env("WKG_HTTP_SPEED_LIMIT", "4096")
        .env("WKG_HTTP_TIMEOUT", "3");
    let started = std::time::Instant::now();
    let run = slow.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("stayed below 4096 bytes/s for 2 s"),
        "{run:?}"
    );
    assert!(run.stderr.contains("WKG_HTTP_SPEED_LIMIT"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(!slow.path("out.wasm").exists());
}

/// An upload the registry takes in a few bytes at a time fails at the
/// low-speed floor, as a download does, with the same advice; one that is
/// steady but takes longer than the first-byte timeout goes through (that
/// timeout counts from the end of the upload).
#[test]
fn uploads_are_held_to_the_speed_floor_not_the_first_byte_timeout() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new()
        .env("WKG_HTTP_TIMEOUT", "3")
        .env("WKG_HTTP_RETRIES", "1");
    let big = padded_component(wkg_host::WKG_WASM, 40 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let push = |wkg: &Wkg, name: &str| {
        let reference = format!("{host}/faults/{name}:0.1.0");
        wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host])
    };
    // The upload session's POST takes the first fault, its body the second.
    let slow_reads = |name: &str, bytes: usize| {
        for _ in 0..2 {
            relay.inject(
                &format!("/v2/faults/{name}/blobs/uploads/"),
                Fault::SlowRead {
                    bytes,
                    every: std::time::Duration::from_millis(50),
                },
            );
        }
    };

    // 10 MiB/s: about 4 s for 40 MiB, never silent.
    slow_reads("steady", 512 * 1024);
    let started = std::time::Instant::now();
    let run = push(&wkg, "steady");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(started.elapsed() > std::time::Duration::from_secs(3));

    // 80 KiB/s against a floor of 1 MB/s over 2 s.
    slow_reads("crawl", 4096);
    let crawl = wkg
        .env("WKG_HTTP_SPEED_TIME", "2")
        .env("WKG_HTTP_SPEED_LIMIT", "1000000");
    let started = std::time::Instant::now();
    let run = push(&crawl, "crawl");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("stayed below 1000000 bytes/s for 2 s"),
        "{run:?}"
    );
    assert!(run.stderr.contains("WKG_HTTP_SPEED_LIMIT"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// A manifest `PUT` whose connection is refused never left, so it is sent
/// again (once, with a status line); it reaches the registry once.
#[test]
fn a_manifest_put_that_never_left_is_sent_again() {
    use support::faults::Faults;
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    std::fs::write(wkg.path("c.wasm"), wkg_host::WKG_WASM).unwrap();
    let reference = format!("{host}/faults/refused:0.1.0");
    // The second blob's upload (layer, then config) is the last request
    // before the manifest.
    relay.refuse_after(
        "PUT /v2/faults/refused/blobs/uploads/",
        2,
        std::time::Duration::from_millis(100),
    );
    let run = wkg.run(&["oci", "push", &reference, "c.wasm", "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Retrying PUT") && run.stderr.contains("never sent"),
        "{run:?}"
    );
    assert_eq!(relay.count("PUT", "/v2/faults/refused/manifests/0.1.0"), 1);
    let run = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "back.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// A 20 MiB blob cut in the middle resumes with `Range` from the byte
/// reached (the registry answers `206`), and the digest is checked over the
/// whole content (hashed from the file, as the host saw only the last part).
#[test]
fn a_download_cut_in_the_middle_resumes_with_range() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    let big = padded_component(wkg_host::WKG_WASM, 20 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let reference = format!("{host}/faults/cut:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    let blobs = "/v2/faults/cut/blobs/";
    let cut = 7 * 1024 * 1024;
    relay.inject(blobs, Fault::Cut { after: cut });
    let run = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Resuming blob"), "{run:?}");
    assert_eq!(std::fs::read(wkg.path("out.wasm")).unwrap(), big);
    let ranged: Vec<String> = relay
        .requests()
        .into_iter()
        .filter(|r| r.contains(" range="))
        .collect();
    assert_eq!(ranged.len(), 1, "{ranged:?}");
    assert!(
        ranged[0].ends_with(&format!("range=bytes={cut}-")),
        "{ranged:?}"
    );
}

/// A blob upload that fails (the registry's storage busy, a reset) starts
/// again in a new upload session.
#[test]
fn a_failed_upload_starts_again_in_a_new_session() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    let uploads = "/v2/faults/up/blobs/uploads/";
    relay.inject(uploads, Fault::Status(503, vec![]));
    relay.inject(uploads, Fault::Reset);
    let reference = format!("{host}/faults/up:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, GREET, "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Retrying the upload to `faults/up` in a new session"),
        "{run:?}"
    );
    assert!(run.stderr.contains("attempt 3 of 3"), "{run:?}");
    let run = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "back.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("back.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
}

/// `kill -9` at many moments of an `oci pull`: the output is absent or
/// complete, never partial, and the next run removes the killed runs'
/// temporary files.
#[test]
fn kill_at_any_moment_of_a_pull_leaves_no_partial_output() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let big = padded_component(wkg_host::WKG_WASM, 20 * 1024 * 1024);
    std::fs::write(wkg.path("big.wasm"), &big).unwrap();
    let reference = format!("{host}/kill/big:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, "big.wasm", "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    let args = [
        "oci",
        "pull",
        &reference,
        "-o",
        "out.wasm",
        "--insecure",
        &host,
    ];
    let out = wkg.path("out.wasm");
    let fresh = || {
        let _ = std::fs::remove_file(&out);
    };
    let step = std::time::Duration::from_millis(5);
    support::kill_repeatedly(&wkg, &args, 20, step, &out, &big, fresh);
}

/// A manifest `PUT` is not idempotent: once it may have reached the
/// registry (a reset after it was sent), it is not sent again.
#[test]
fn a_manifest_put_is_not_repeated_once_sent() {
    use support::faults::{Fault, Faults};
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    let host = relay.host();
    let wkg = Wkg::new();
    let manifests = "/v2/faults/man/manifests/";
    relay.inject(manifests, Fault::Reset);
    let reference = format!("{host}/faults/man:0.1.0");
    let run = wkg.run(&["oci", "push", &reference, GREET, "--insecure", &host]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(relay.count("PUT", manifests), 1);
    assert!(!run.stderr.contains("Retrying PUT"), "{run:?}");
}
