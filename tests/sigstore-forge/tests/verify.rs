//! What the instance issues, checked by wkg's own verifier: every kind of
//! bundle verifies, and every fault is refused for its reason.

use std::sync::LazyLock;

use sigstore_forge::{Instance, Signing};
use wkg_core::sigstore::Error;
use wkg_core::sigstore::bundle::Bundle;
use wkg_core::sigstore::trust::TrustedRoot;
use wkg_core::sigstore::verify::{Artifact, Matcher, Policy, Verified, verify};

static INSTANCE: LazyLock<Instance> = LazyLock::new(Instance::new);

const ARTIFACT: &[u8] = b"hello, forge\n";
/// A day after the default signing time.
const NOW: u64 = 1_700_086_400;

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn policy(opts: &Signing) -> Policy {
    Policy::Identity {
        identity: Matcher::Exact(opts.identity.clone()),
        issuer: Matcher::Exact(opts.issuer.clone()),
    }
}

fn check(
    instance: &Instance,
    bundle: &str,
    artifact: &Artifact,
    policy: &Policy,
) -> Result<Verified, Error> {
    let root = TrustedRoot::from_json(instance.trusted_root_json().as_bytes())?;
    verify(
        &Bundle::from_json(bundle.as_bytes())?,
        artifact,
        policy,
        &root,
        NOW,
    )
}

/// Signs with `opts` and verifies the artifact with the policy of `opts`.
fn sign_and_verify(opts: &Signing) -> Result<Verified, Error> {
    let bundle = INSTANCE.sign(sha256(ARTIFACT), opts);
    check(
        &INSTANCE,
        &bundle,
        &Artifact::Bytes(ARTIFACT),
        &policy(opts),
    )
}

fn refusal(result: Result<Verified, Error>) -> String {
    match result {
        Err(Error::Rejected(reason)) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_certificate_bundle_verifies() {
    let opts = Signing::default();
    let verified = sign_and_verify(&opts).unwrap();
    assert_eq!(verified.identity.as_deref(), Some(opts.identity.as_str()));
    assert_eq!(verified.issuer.as_deref(), Some(opts.issuer.as_str()));
    assert_eq!(verified.times, [opts.time]);

    // Against the digest alone too.
    let digest = sha256(ARTIFACT);
    let bundle = INSTANCE.sign(digest, &opts);
    check(
        &INSTANCE,
        &bundle,
        &Artifact::Sha256(&digest),
        &policy(&opts),
    )
    .unwrap();
}

#[test]
fn an_email_identity_and_explicit_validity_verify() {
    let opts = Signing {
        identity: "someone@forge.invalid".into(),
        issuer: "https://accounts.forge.invalid".into(),
        time: 1_650_000_000,
        validity: Some((1_649_999_000, 1_650_000_000)),
        log_index: Some(12),
        ..Signing::default()
    };
    let verified = sign_and_verify(&opts).unwrap();
    assert_eq!(verified.identity.as_deref(), Some("someone@forge.invalid"));
}

#[test]
fn a_dsse_bundle_verifies() {
    let opts = Signing {
        dsse: true,
        ..Signing::default()
    };
    let bundle = INSTANCE.sign(sha256(ARTIFACT), &opts);
    assert!(bundle.contains("\"dsseEnvelope\"") && bundle.contains("\"kind\": \"dsse\""));
    let verified = check(
        &INSTANCE,
        &bundle,
        &Artifact::Bytes(ARTIFACT),
        &policy(&opts),
    )
    .unwrap();
    assert_eq!(verified.times, [opts.time]);
}

#[test]
fn log_indices_count_up_and_the_proof_matches() {
    let instance = Instance::new();
    for expected in 0..3 {
        let bundle = instance.sign([7; 32], &Signing::default());
        let value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        let entry = &value["verificationMaterial"]["tlogEntries"][0];
        assert_eq!(entry["logIndex"], expected.to_string());
        assert_eq!(entry["inclusionProof"]["logIndex"], expected.to_string());
        assert_eq!(
            entry["inclusionProof"]["treeSize"],
            (expected + 4).to_string()
        );
        check(
            &instance,
            &bundle,
            &Artifact::Sha256(&[7; 32]),
            &policy(&Signing::default()),
        )
        .unwrap();
    }
}

#[test]
fn a_saved_instance_signs_for_its_saved_trusted_root() {
    let dir = std::env::temp_dir().join(format!("sigstore-forge-{}", std::process::id()));
    INSTANCE.save(&dir).unwrap();
    let loaded = Instance::load(&dir).unwrap();
    let saved_root = std::fs::read_to_string(dir.join("trusted_root.json")).unwrap();
    assert_eq!(saved_root, INSTANCE.trusted_root_json());
    assert_eq!(loaded.trusted_root_json(), saved_root);
    for dsse in [false, true] {
        let opts = Signing {
            dsse,
            ..Signing::default()
        };
        let bundle = loaded.sign(sha256(ARTIFACT), &opts);
        check(
            &INSTANCE,
            &bundle,
            &Artifact::Bytes(ARTIFACT),
            &policy(&opts),
        )
        .unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_identity_or_issuer_is_refused() {
    let opts = Signing::default();
    let bundle = INSTANCE.sign(sha256(ARTIFACT), &opts);
    let identity = Policy::Identity {
        identity: Matcher::Exact("https://github.com/other/repo".into()),
        issuer: Matcher::Exact(opts.issuer.clone()),
    };
    let reason = refusal(check(
        &INSTANCE,
        &bundle,
        &Artifact::Bytes(ARTIFACT),
        &identity,
    ));
    assert!(reason.contains("identities"), "{reason}");
    let issuer = Policy::Identity {
        identity: Matcher::Exact(opts.identity.clone()),
        issuer: Matcher::Exact("https://accounts.google.com".into()),
    };
    let reason = refusal(check(
        &INSTANCE,
        &bundle,
        &Artifact::Bytes(ARTIFACT),
        &issuer,
    ));
    assert!(reason.contains("OIDC issuer"), "{reason}");
}

#[test]
fn another_artifact_is_refused() {
    for dsse in [false, true] {
        let opts = Signing {
            dsse,
            ..Signing::default()
        };
        let bundle = INSTANCE.sign(sha256(ARTIFACT), &opts);
        let reason = refusal(check(
            &INSTANCE,
            &bundle,
            &Artifact::Bytes(b"something else"),
            &policy(&opts),
        ));
        let expected = if dsse {
            "no subject"
        } else {
            "message with SHA-256"
        };
        assert!(reason.contains(expected), "{reason}");
    }
}

#[test]
fn an_expired_certificate_is_refused() {
    for dsse in [false, true] {
        let reason = refusal(sign_and_verify(&Signing {
            expired: true,
            dsse,
            ..Signing::default()
        }));
        assert!(reason.contains("not at 1700000000"), "{reason}");
    }
}

#[test]
fn a_tampered_checkpoint_is_refused() {
    let reason = refusal(sign_and_verify(&Signing {
        tamper_checkpoint: true,
        ..Signing::default()
    }));
    assert!(reason.contains("checkpoint signature"), "{reason}");
}

#[test]
fn a_bundle_of_another_instance_is_refused() {
    let other = Instance::new();
    let opts = Signing::default();
    let bundle = other.sign(sha256(ARTIFACT), &opts);
    let reason = refusal(check(
        &INSTANCE,
        &bundle,
        &Artifact::Bytes(ARTIFACT),
        &policy(&opts),
    ));
    assert!(
        reason.contains("log the trusted root does not hold"),
        "{reason}"
    );
}

#[test]
fn an_entry_integrated_after_now_is_refused() {
    let reason = refusal(sign_and_verify(&Signing {
        time: NOW + 60,
        ..Signing::default()
    }));
    assert!(reason.contains("after now"), "{reason}");
}

/// A cosign `.sig` layer, checked piece by piece with the verifier's
/// parts (wkg has no simple-signing verifier yet): the payload, the
/// signature with the certificate's key, the certificate's chain and SCT,
/// the signed entry timestamp and the logged body.
#[test]
fn a_simple_signing_layer_holds_together() {
    use base64::Engine as _;
    use wkg_core::sigstore::bundle::{InclusionPromise, KindVersion, LogId, TlogEntry};
    use wkg_core::sigstore::crypto::{Hash, pem_blocks};
    use wkg_core::sigstore::rekor::{Body, Signer, verify_set};
    use wkg_core::sigstore::x509::{Certificate, verify_chain};

    let b64 = base64::engine::general_purpose::STANDARD;
    let manifest = sha256(b"a manifest");
    let opts = Signing::default();
    let layer = INSTANCE.simple_signing(manifest, "registry.forge.invalid/app", &opts);
    let payload: serde_json::Value = serde_json::from_slice(&layer.payload).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        format!("sha256:{}", hex(&manifest))
    );
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        "registry.forge.invalid/app"
    );
    assert_eq!(payload["optional"], serde_json::Value::Null);

    let annotation = |key: &str| layer.annotations[key].as_str();
    let leaf = Certificate::from_der(
        &pem_blocks(annotation("dev.sigstore.cosign/certificate"), "CERTIFICATE")[0],
    )
    .unwrap();
    let signature = b64
        .decode(annotation("dev.cosignproject.cosign/signature"))
        .unwrap();
    let key = leaf.public_key().unwrap();
    key.verify(&layer.payload, &signature, Hash::Sha256)
        .unwrap();

    let chain: Vec<Certificate> =
        pem_blocks(annotation("dev.sigstore.cosign/chain"), "CERTIFICATE")
            .iter()
            .map(|der| Certificate::from_der(der).unwrap())
            .collect();
    assert_eq!(chain.len(), 2);
    verify_chain(&leaf, &chain, opts.time).unwrap();
    let root = TrustedRoot::from_json(INSTANCE.trusted_root_json().as_bytes()).unwrap();
    assert_eq!(root.certificate_authorities[0].chain, chain);
    wkg_core::sigstore::sct::verify(&leaf, &chain[0], &root.ctlogs).unwrap();
    assert_eq!(leaf.identities(), std::slice::from_ref(&opts.identity));
    assert_eq!(leaf.oidc_issuer().as_deref(), Some(opts.issuer.as_str()));

    let bundle: serde_json::Value =
        serde_json::from_str(annotation("dev.sigstore.cosign/bundle")).unwrap();
    let entry = TlogEntry {
        log_index: bundle["Payload"]["logIndex"].to_string(),
        log_id: LogId {
            key_id: b64.encode(
                (0..64)
                    .step_by(2)
                    .map(|i| {
                        let id = bundle["Payload"]["logID"].as_str().unwrap();
                        u8::from_str_radix(&id[i..i + 2], 16).unwrap()
                    })
                    .collect::<Vec<u8>>(),
            ),
        },
        kind_version: KindVersion {
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
        },
        integrated_time: Some(bundle["Payload"]["integratedTime"].to_string()),
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: bundle["SignedEntryTimestamp"].as_str().unwrap().into(),
        }),
        inclusion_proof: None,
        canonicalized_body: bundle["Payload"]["body"].as_str().unwrap().into(),
    };
    let log = root.tlog(&INSTANCE.tlog_id()).unwrap();
    assert_eq!(verify_set(&entry, log).unwrap(), opts.time);
    assert_eq!(
        Body::of(&entry).unwrap(),
        Body::HashedRekord {
            hash: Hash::Sha256,
            digest: sha256(&layer.payload).to_vec(),
            signature,
            signer: Signer::Certificate(leaf.der().to_vec()),
        }
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
