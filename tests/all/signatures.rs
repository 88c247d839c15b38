//! Verified packages: Sigstore bundles among a manifest's referrers (the
//! fallback tag on Distribution 2.8, the referrers API through the relay)
//! and cosign's `.sig` tags, signed with a local key (`wkg oci sign`,
//! `wkg publish --sign-key`) or by a private Sigstore-like instance
//! (`sigstore-forge`: its own CA, CT log and transparency log), checked by
//! `oci pull --verify` and by `[sigstore]` policies in `fetch`, with the
//! signer recorded in `wkg.lock` and checked again offline with no request.

use std::path::Path;

use sigstore_forge::{Instance, Signing};

use crate::deps::{command, names, working_dir};
use crate::flavours::{MANIFEST, put_blob, put_manifest};
use crate::support::{self, Registry, Wkg};

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const IDENTITY: &str =
    "https://github.com/acme/greet/.github/workflows/release.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes a key pair as `<name>.pem` (private) and `<name>.pub`.
fn key_pair(wkg: &Wkg, name: &str) -> String {
    let (private, public) = sigstore_forge::key_pair();
    write(&wkg.path(&format!("{name}.pem")), &private);
    write(&wkg.path(&format!("{name}.pub")), &public);
    wkg.path(&format!("{name}.pub")).display().to_string()
}

/// Publishes `test:<name>@0.1.0` (one interface `api`), signed with
/// `sign_key` when given.
fn publish(wkg: &Wkg, name: &str, sign_key: Option<&str>) -> support::Run {
    let dir = wkg.path(&format!("src/{name}"));
    write(
        &dir.join("p.wit"),
        &format!("package test:{name}@0.1.0;\n\ninterface api {{\n  f: func();\n}}\n"),
    );
    let key = sign_key.map(|k| wkg.path(k).display().to_string());
    let mut args = vec![dir.to_str().unwrap().to_owned()];
    if let Some(key) = &key {
        args.extend(["--sign-key".to_owned(), key.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    command(wkg, "publish", &args)
}

fn app_using(wkg: &Wkg, name: &str) {
    write(
        &wkg.path("wit/world.wit"),
        &format!("package test:app@0.1.0;\n\nworld app {{\n  import test:{name}/api;\n}}\n"),
    );
}

/// The config of `wkg` with `policy` as the `[sigstore]` tables' text.
fn with_policy(wkg: &Wkg, registry: &Registry, policy: &str) {
    let base = support::registry_config(&registry.host(), &["wasi", "test"]);
    write(&wkg.path("config.toml"), &format!("{base}\n{policy}"));
}

/// Every request the registry logged.
fn requests(registry: &Registry) -> usize {
    registry.requests("GET", "/") + registry.requests("HEAD", "/")
}

#[test]
fn key_signed_packages_under_a_policy_and_locked_offline_rechecks() {
    let registry = Registry::anonymous();
    let wkg = working_dir(&registry);
    let public = key_pair(&wkg, "key");
    let other = key_pair(&wkg, "other");

    let run = publish(&wkg, "dep", Some("key.pem"));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Signed test:dep@0.1.0: bundle "),
        "{run:?}"
    );
    let run = publish(&wkg, "plain", None);
    assert_eq!(run.code, 0, "{run:?}");

    with_policy(
        &wkg,
        &registry,
        &format!("[sigstore.policies.test]\nkey = \"{public}\"\n"),
    );
    app_using(&wkg, "dep");
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    let lock = read(&wkg.path("wkg.lock"));
    let value: toml::Table = toml::from_str(&lock).unwrap();
    let signature = &value["packages"][0]["versions"][0]["signature"];
    assert!(
        signature["key"].as_str().unwrap().starts_with("sha256:"),
        "{lock}"
    );
    assert!(
        signature["bundle"].as_str().unwrap().starts_with("sha256:"),
        "{lock}"
    );
    assert!(
        signature["manifest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{lock}"
    );
    assert!(signature.get("identity").is_none(), "{lock}");

    // Locked and offline: the lock's signature is checked again from the
    // cache, with no request at all.
    std::fs::remove_dir_all(wkg.path("wit/deps")).unwrap();
    let before = requests(&registry);
    let run = command(&wkg, "fetch", &["--locked", "--offline"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(requests(&registry), before, "{}", registry.log());
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    assert_eq!(read(&wkg.path("wkg.lock")), lock);

    // Another key: the cached signature no longer satisfies the policy.
    with_policy(
        &wkg,
        &registry,
        &format!("[sigstore.policies.\"test:dep\"]\nkey = \"{other}\"\n"),
    );
    let run = command(&wkg, "fetch", &["--offline"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("package `test:dep@0.1.0`")
            && run
                .stderr
                .contains("the `[sigstore]` policy for `test:dep`"),
        "{run:?}"
    );
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    // Online too: the registry's signature is by the first key.
    let run = command(&wkg, "update", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("no signature satisfies"), "{run:?}");
    assert_eq!(read(&wkg.path("wkg.lock")), lock);

    // An unsigned package under the policy: an error naming package and
    // digest; nothing written.
    with_policy(
        &wkg,
        &registry,
        &format!("[sigstore.policies.test]\nkey = \"{public}\"\n"),
    );
    app_using(&wkg, "plain");
    let run = command(&wkg, "fetch", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("package `test:plain@0.1.0` (manifest sha256:")
            && run.stderr.contains("is not signed"),
        "{run:?}"
    );
    assert_eq!(read(&wkg.path("wkg.lock")), lock);
    assert_eq!(names(&wkg.path("wit/deps")), ["test-dep-0.1.0"]);
    let run = command(&wkg, "build", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("is not signed"), "{run:?}");
    assert!(!wkg.path("test:app@0.1.0.wasm").exists());
    let run = command(&wkg, "get", &["test:plain@0.1.0", "-o", "plain.wasm"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(!wkg.path("plain.wasm").exists());
    let run = command(&wkg, "get", &["test:dep@0.1.0", "-o", "dep.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");

    // `oci pull --verify --key`, and `oci sign` afterwards.
    let host = registry.host();
    let plain = format!("{host}/test/plain:0.1.0");
    let pull = |reference: &str, key: &str, out: &str| {
        wkg.run(&[
            "oci",
            "pull",
            "--insecure",
            &host,
            reference,
            "-o",
            out,
            "--verify",
            "--key",
            key,
        ])
    };
    let run = pull(&plain, "key.pub", "p.wasm");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("is not signed"), "{run:?}");
    assert!(!wkg.path("p.wasm").exists());
    let sign = |key: &str| {
        let run = wkg.run(&["oci", "sign", "--insecure", &host, &plain, "--key", key]);
        assert_eq!(run.code, 0, "{run:?}");
    };
    sign("key.pem");
    let run = pull(&plain, "key.pub", "p.wasm");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Verified: signed with the key sha256:"),
        "{run:?}"
    );
    assert!(wkg.path("p.wasm").exists());
    let run = pull(&plain, "other.pub", "q.wasm");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("no signature satisfies `--key"),
        "{run:?}"
    );
    assert!(!wkg.path("q.wasm").exists());
    // An Ed25519 key signs the manifest's bytes; its bundle verifies too.
    write(
        &wkg.path("ed.pem"),
        "-----BEGIN PRIVATE KEY-----\n\
         MC4CAQAwBQYDK2VwBCIEIIy5dGBT8COoUiLfZ/vAeiizoNB19uaYaLMwSAz1+ss8\n\
         -----END PRIVATE KEY-----\n",
    );
    write(
        &wkg.path("ed.pub"),
        "-----BEGIN PUBLIC KEY-----\n\
         MCowBQYDK2VwAyEAc7Pzqp/ibIqkUNko1Sxi7OnjPDij3r+cc2UNNggQKDA=\n\
         -----END PUBLIC KEY-----\n",
    );
    sign("ed.pem");
    let run = pull(&plain, "ed.pub", "e.wasm");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(wkg.path("e.wasm").exists());
}

/// The greet component pushed to `<host>/<repository>:1.0.0`: its
/// reference and manifest digest.
fn push_greet(wkg: &Wkg, host: &str, repository: &str) -> (String, String) {
    let reference = format!("{host}/{repository}:1.0.0");
    let run = wkg.run(&["oci", "push", "--insecure", host, &reference, GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    let digest = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap()
        .to_owned();
    (reference, digest)
}

fn sha256(digest: &str) -> [u8; 32] {
    let hex = digest.strip_prefix("sha256:").unwrap();
    let mut out = [0; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// Attaches `bundle` to `reference` as a Sigstore bundle referrer.
fn attach(wkg: &Wkg, host: &str, reference: &str, bundle: &str, name: &str) {
    write(&wkg.path(name), bundle);
    let run = wkg.run(&[
        "oci",
        "attach",
        "--insecure",
        host,
        reference,
        name,
        "--artifact-type",
        BUNDLE,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// `oci pull --verify` of `reference` to `out` with `flags`.
fn verify(wkg: &Wkg, host: &str, reference: &str, out: &str, flags: &[&str]) -> support::Run {
    let root = wkg.path("forge/trusted_root.json");
    let mut args = vec![
        "oci",
        "pull",
        "--insecure",
        host,
        reference,
        "-o",
        out,
        "--verify",
        "--trusted-root",
        root.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    wkg.run(&args)
}

const BY_IDENTITY: [&str; 4] = [
    "--certificate-identity",
    IDENTITY,
    "--certificate-oidc-issuer",
    ISSUER,
];

#[test]
fn certificate_bundles_from_a_private_instance() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let forge = Instance::new();
    forge.save(&wkg.path("forge")).unwrap();
    let signing = Signing {
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
        ..Signing::default()
    };

    // A message signature and a DSSE attestation each verify, exactly and
    // by regular expression.
    for (repository, dsse) in [("forge/message", false), ("forge/dsse", true)] {
        let (reference, digest) = push_greet(&wkg, &host, repository);
        let bundle = forge.sign(
            sha256(&digest),
            &Signing {
                dsse,
                ..signing.clone()
            },
        );
        attach(&wkg, &host, &reference, &bundle, "b.json");
        let run = verify(&wkg, &host, &reference, "ok.wasm", &BY_IDENTITY);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "Verified: signed by `{IDENTITY}` (issuer `{ISSUER}`)"
            )),
            "{run:?}"
        );
        let run = verify(
            &wkg,
            &host,
            &reference,
            "ok.wasm",
            &[
                "--certificate-identity-regexp",
                "^https://github\\.com/acme/",
                "--certificate-oidc-issuer-regexp",
                "githubusercontent",
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        // The wrong issuer, or an identity the regexp does not match.
        for flags in [
            [
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                "https://accounts.google.com",
            ],
            [
                "--certificate-identity-regexp",
                "^https://github\\.com/other/",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
        ] {
            let run = verify(&wkg, &host, &reference, "no.wasm", &flags);
            assert_ne!(run.code, 0, "{run:?}");
            assert!(run.stderr.contains("not match"), "{run:?}");
            assert!(!wkg.path("no.wasm").exists());
        }
    }

    // Refused: a bundle for another digest, an expired certificate, a
    // tampered checkpoint, a malformed bundle, an unknown media type.
    for (repository, why) in [
        ("forge/other", "SHA-256 0707"),
        ("forge/expired", "certificate"),
        ("forge/checkpoint", "checkpoint"),
        ("forge/malformed", "invalid bundle"),
        ("forge/unknown", "media type"),
    ] {
        let (reference, digest) = push_greet(&wkg, &host, repository);
        let flawed = |flaw: fn(&mut Signing)| {
            let mut s = signing.clone();
            flaw(&mut s);
            forge.sign(sha256(&digest), &s)
        };
        let bundle = match repository {
            "forge/other" => forge.sign([7; 32], &signing),
            "forge/expired" => flawed(|s| s.expired = true),
            "forge/checkpoint" => flawed(|s| s.tamper_checkpoint = true),
            "forge/malformed" => "{\"mediaType\":".to_owned(),
            _ => flawed(|_| {}).replace(BUNDLE, "application/vnd.dev.sigstore.bundle.v0.9+json"),
        };
        attach(&wkg, &host, &reference, &bundle, "bad.json");
        let run = verify(&wkg, &host, &reference, "no.wasm", &BY_IDENTITY);
        assert_ne!(run.code, 0, "{repository}: {run:?}");
        assert!(
            run.stderr.contains("no signature satisfies"),
            "{repository}: {run:?}"
        );
        assert!(run.stderr.contains(why), "{repository}: {run:?}");
        assert!(!wkg.path("no.wasm").exists(), "{repository}");
    }

    // cosign's legacy `.sig` tag: the simple-signing payload as a layer,
    // with the signature, certificate, chain and Rekor bundle annotations.
    let (reference, digest) = push_greet(&wkg, &host, "forge/cosign");
    let sig = forge.simple_signing(sha256(&digest), &format!("{host}/forge/cosign"), &signing);
    let payload = put_blob(registry, "forge/cosign", &sig.payload);
    let config = put_blob(registry, "forge/cosign", b"{}");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": payload,
            "size": sig.payload.len(),
            "annotations": sig.annotations,
        }],
    });
    let tag = format!("{}.sig", digest.replacen(':', "-", 1));
    put_manifest(
        registry,
        "forge/cosign",
        &tag,
        MANIFEST,
        manifest.to_string().as_bytes(),
    );
    let run = verify(&wkg, &host, &reference, "cosign.wasm", &BY_IDENTITY);
    assert_eq!(run.code, 0, "{run:?}");
    // The signature that passed is the `.sig` manifest.
    let sig_digest = crate::flavours::digest(manifest.to_string().as_bytes());
    assert!(
        run.stderr.contains(&format!(
            "Verified: signed by `{IDENTITY}` (issuer `{ISSUER}`), bundle {sig_digest}"
        )),
        "{run:?}"
    );
    let run = verify(
        &wkg,
        &host,
        &reference,
        "no.wasm",
        &[
            "--certificate-identity",
            "https://example.com/x",
            "--certificate-oidc-issuer",
            ISSUER,
        ],
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("cosign signature"), "{run:?}");
}

#[test]
fn bundles_through_the_referrers_api_and_policies_by_identity() {
    use support::faults::Faults;
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    relay.serve_referrers_api();
    let host = relay.host();
    let wkg = Wkg::new();
    let forge = Instance::new();
    forge.save(&wkg.path("forge")).unwrap();
    let (reference, digest) = push_greet(&wkg, &host, "forge/api");
    let signing = Signing {
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
        ..Signing::default()
    };
    attach(
        &wkg,
        &host,
        &reference,
        &forge.sign(sha256(&digest), &signing),
        "b.json",
    );
    let tag = format!("sha256-{}", digest.strip_prefix("sha256:").unwrap());
    let (status, _) = registry.get(&format!("/v2/forge/api/manifests/{tag}"), MANIFEST);
    assert_eq!(status, 404, "no fallback tag: the relay keeps the list");
    let run = verify(&wkg, &host, &reference, "api.wasm", &BY_IDENTITY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(relay.count("GET", "/v2/forge/api/referrers/") > 0);
}

#[test]
fn a_policy_that_names_no_signer_is_refused_before_anything() {
    let registry = support::shared_anonymous();
    let wkg = working_dir(registry);
    with_policy(
        &wkg,
        registry,
        "[sigstore.policies.wasi]\ncertificate_oidc_issuer = \"https://token.actions.githubusercontent.com\"\n",
    );
    app_using(&wkg, "dep");
    let run = command(&wkg, "fetch", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("a policy names no signer"), "{run:?}");
    assert!(run.stderr.contains("config.toml:"), "{run:?}");
    assert!(!wkg.path("wkg.lock").exists());
    assert!(!wkg.path("wit/deps").exists());
    let run = wkg.run(&["oci", "pull", "x.invalid/a:1", "--verify"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("`--verify` needs who must have signed"),
        "{run:?}"
    );
}

#[test]
fn verify_bundle_takes_regular_expressions() {
    let wkg = Wkg::new();
    let forge = Instance::new();
    forge.save(&wkg.path("forge")).unwrap();
    let digest = [5u8; 32];
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let signing = Signing {
        identity: IDENTITY.into(),
        issuer: ISSUER.into(),
        ..Signing::default()
    };
    write(&wkg.path("b.json"), &forge.sign(digest, &signing));
    let artifact = format!("sha256:{hex}");
    let verify = |identity: &str| {
        wkg.run(&[
            "sigstore",
            "verify-bundle",
            "--bundle",
            "b.json",
            "--certificate-identity-regexp",
            identity,
            "--certificate-oidc-issuer-regexp",
            "^https://token\\.actions\\.",
            "--trusted-root",
            "forge/trusted_root.json",
            &artifact,
        ])
    };
    let run = verify("^https://github\\.com/acme/");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with(&format!("Verified: signed by `{IDENTITY}`")),
        "{run:?}"
    );
    let run = verify("^https://github\\.com/other/");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("do not match /^https://github\\.com/other//"),
        "{run:?}"
    );
    let run = verify("(");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("invalid regular expression"), "{run:?}");
}
