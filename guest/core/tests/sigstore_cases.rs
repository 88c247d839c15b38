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
use wkg_core::sigstore::verify::{Artifact, Matcher, Policy, verify};

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
        Ok(pem) => Policy::Key(
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
