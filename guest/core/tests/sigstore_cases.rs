//! The verification cases of the Sigstore conformance suite, run straight
//! against `wkg_core::sigstore::verify` (the kit sits beside the project,
//! in `../shared/sigstore-conformance`; the test passes with a note when it
//! is not there). The kit's own runner judges the component through
//! `tests/sigstore-conformance-client`; this test gives the same verdicts
//! in a second, with the reason of each refusal.

use std::path::{Path, PathBuf};

use wkg_core::sigstore::bundle::Bundle;
use wkg_core::sigstore::crypto::VerifyingKey;
use wkg_core::sigstore::trust::TrustedRoot;
use wkg_core::sigstore::verify::{Artifact, LogRequirement, Matcher, Policy, verify};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigstore-conformance/assets")
}

/// The verdict on one case directory, with `digest_only` the DIGEST variant.
fn run(dir: &Path, digest_only: bool) -> Result<(), String> {
    let read = |name: &str| std::fs::read(dir.join(name));
    let bundle = Bundle::from_json(&read("bundle.sigstore.json").map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let root = match read("trusted_root.json") {
        Ok(bytes) => bytes,
        Err(_) => std::fs::read(kit().join("trusted_root.production.json")).unwrap(),
    };
    let root = TrustedRoot::from_json(&root).map_err(|e| e.to_string())?;
    let artifact = read("artifact").unwrap_or_else(|_| std::fs::read(kit().join("a.txt")).unwrap());
    let policy = match read("key.pub") {
        Ok(pem) => Policy::key(
            VerifyingKey::from_pem(&String::from_utf8_lossy(&pem)).map_err(|e| e.to_string())?,
        ),
        Err(_) => {
            let text = |name: &str, default: &str| {
                read(name).map_or(default.to_owned(), |b| {
                    String::from_utf8_lossy(&b).trim().to_owned()
                })
            };
            Policy::Identity {
                identity: Matcher::Exact(text("identity", IDENTITY)),
                issuer: Matcher::Exact(text("issuer", ISSUER)),
            }
        }
    };
    let digest: [u8; 32] = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&artifact).into()
    };
    let artifact = if digest_only {
        Artifact::Sha256(&digest)
    } else {
        Artifact::Bytes(&artifact)
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    verify(&bundle, &artifact, &policy, &root, now)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn conformance_cases() {
    let cases = kit().join("bundle-verify");
    let Ok(entries) = std::fs::read_dir(&cases) else {
        eprintln!("note: no Sigstore conformance kit at {}", cases.display());
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    dirs.sort();
    let (mut right, mut wrong) = (0, Vec::new());
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = name.ends_with("_fail");
        for digest_only in [false, true] {
            let verdict = run(dir, digest_only);
            let variant = if digest_only { "DIGEST" } else { "PATH" };
            if verdict.is_err() == must_fail {
                right += 1;
            } else {
                wrong.push(format!("{name}[{variant}]: {verdict:?}"));
            }
            if std::env::var_os("SIGSTORE_CASES_VERBOSE").is_some() {
                eprintln!("{name}[{variant}]: {verdict:?}");
            }
        }
    }
    eprintln!("{right} right, {} wrong:", wrong.len());
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(
        wrong.is_empty(),
        "{} cases got the wrong verdict",
        wrong.len()
    );
}

/// A happy-path case verified under identity policies given as regular
/// expressions: matched unanchored, as cosign's `--certificate-identity-regexp`.
#[test]
fn regular_expression_identities() {
    let dir = kit().join("bundle-verify/happy-path-v0.3");
    let Ok(bundle) = std::fs::read(dir.join("bundle.sigstore.json")) else {
        eprintln!("note: no Sigstore conformance kit at {}", dir.display());
        return;
    };
    let bundle = Bundle::from_json(&bundle).unwrap();
    let root =
        TrustedRoot::from_json(&std::fs::read(kit().join("trusted_root.production.json")).unwrap())
            .unwrap();
    let artifact = std::fs::read(kit().join("a.txt")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let check = |identity: &str, issuer: &str| {
        let policy = Policy::Identity {
            identity: Matcher::regex(identity).unwrap(),
            issuer: Matcher::regex(issuer).unwrap(),
        };
        verify(&bundle, &Artifact::Bytes(&artifact), &policy, &root, now).map_err(|e| e.to_string())
    };
    // (identity pattern, issuer pattern, verifies)
    let cases = [
        ("sigstore-conformance/", "token\\.actions", true),
        (
            "^https://github\\.com/sigstore-conformance/.*@refs/heads/main$",
            "^https://token\\.actions\\.githubusercontent\\.com$",
            true,
        ),
        ("@refs/heads/main", ".", true),
        ("^sigstore-conformance/", ".", false),
        ("@refs/tags/", ".", false),
        (".", "^token", false),
    ];
    for (identity, issuer, verifies) in cases {
        let verdict = check(identity, issuer);
        assert_eq!(
            verdict.is_ok(),
            verifies,
            "{identity} {issuer}: {verdict:?}"
        );
    }
    let err = check("@refs/tags/", ".").unwrap_err();
    assert!(err.contains("do not match /@refs/tags//"), "{err}");
    let err = check(".", "^token").unwrap_err();
    assert!(err.contains("does not match /^token/"), "{err}");
}

/// The managed-key happy path with and without its transparency-log
/// entry: without, it verifies only under [`LogRequirement::Optional`];
/// with, its entry is checked under either requirement.
#[test]
fn key_bundles_without_a_transparency_log() {
    let dir = kit().join("bundle-verify/managed-key-happy-path");
    let Ok(json) = std::fs::read(dir.join("bundle.sigstore.json")) else {
        eprintln!("note: no Sigstore conformance kit at {}", dir.display());
        return;
    };
    let root =
        TrustedRoot::from_json(&std::fs::read(kit().join("trusted_root.production.json")).unwrap())
            .unwrap();
    let pem = std::fs::read_to_string(dir.join("key.pub")).unwrap();
    let key = VerifyingKey::from_pem(&pem).unwrap();
    let artifact = std::fs::read(kit().join("a.txt")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        edit(&mut v);
        Bundle::from_json(&serde_json::to_vec(&v).unwrap()).unwrap()
    };
    let original = edited(&|_| {});
    let no_log = edited(&|v| {
        v["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    });
    let bad_set = edited(&|v| {
        v["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"] = serde_json::json!(
            "MEUCIQCACfhpIX3+zVXJjwEeIS0yFTK2jRfBjduXAaLHJSARHAIgSUdTM+S5xucODRFtrGHN2uClS0MRPhqZm76g0ZHEQ5c="
        );
    });
    let optional = Policy::Key {
        key: key.clone(),
        log: LogRequirement::Optional,
    };
    let required = Policy::key(key);
    let other_key = Policy::Key {
        key: root.tlogs[0].key.clone(),
        log: LogRequirement::Optional,
    };
    let check = |bundle: &Bundle, artifact: &[u8], policy: &Policy| {
        verify(bundle, &Artifact::Bytes(artifact), policy, &root, now).map_err(|e| e.to_string())
    };

    let verified = check(&original, &artifact, &required).unwrap();
    assert!(verified.log_index.is_some());
    assert_eq!(check(&original, &artifact, &optional), Ok(verified));

    let verified = check(&no_log, &artifact, &optional).unwrap();
    assert_eq!(verified.log_index, None);
    let err = check(&no_log, &artifact, &required).unwrap_err();
    assert!(
        err.contains("0 transparency-log entries; exactly one is required"),
        "{err}"
    );
    let err = check(&no_log, b"another artifact", &optional).unwrap_err();
    assert!(err.contains("SHA-256"), "{err}");
    let err = check(&no_log, &artifact, &other_key).unwrap_err();
    assert!(err.contains("signature"), "{err}");

    // An entry that is there is verified, whatever the requirement.
    for policy in [&required, &optional] {
        let err = check(&bad_set, &artifact, policy).unwrap_err();
        assert!(err.contains("signed entry timestamp"), "{err}");
    }
}
