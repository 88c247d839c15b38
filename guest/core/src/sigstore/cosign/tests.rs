use sha2::Digest as _;

use super::*;
use crate::sigstore::sign::SigningKey;
use crate::sigstore::trust::{Log, Window};
use crate::sigstore::verify::Matcher;

const NOW: u64 = 1_750_000_000;
const INTEGRATED: u64 = 1_700_000_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn payload(digest: &str, kind: &str) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"ghcr.io/org/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{kind}"}},"optional":{{"creator":"test"}}}}"#
    )
    .into_bytes()
}

fn manifest_digest() -> [u8; 32] {
    sha2::Sha256::digest(b"a manifest").into()
}

#[test]
fn signature_tags() {
    assert_eq!(
        signature_tag(&[0xab; 32]),
        format!("sha256-{}.sig", "ab".repeat(32))
    );
}

#[test]
fn payloads() {
    let d = manifest_digest();
    let good = format!("sha256:{}", hex(&d));
    check_payload(&payload(&good, PAYLOAD_TYPE), &d).unwrap();
    // (payload, what the refusal says)
    let cases = [
        (payload(&good, "something else"), "type is `something else`"),
        (br#"{"critical":{}}"#.to_vec(), "type is missing"),
        (
            payload(&format!("sha256:{}", "0".repeat(64)), PAYLOAD_TYPE),
            "signs manifest `sha256:000",
        ),
        (payload(&good.to_uppercase(), PAYLOAD_TYPE), "not `sha256:"),
        (
            br#"{"critical":{"type":"cosign container image signature"}}"#.to_vec(),
            "(none named)",
        ),
        (b"not json".to_vec(), "not JSON"),
    ];
    for (p, says) in cases {
        let err = check_payload(&p, &d).unwrap_err().to_string();
        assert!(err.contains(says), "`{says}` not in: {err}");
    }
}

/// A transparency log of our own, signing entry timestamps with `key`.
struct FakeLog {
    key: SigningKey,
    log: Log,
}

impl FakeLog {
    fn new(seed: u8) -> FakeLog {
        let key = SigningKey::p256_from_bytes(&[seed; 32]).unwrap();
        let key_der = key.public_key_der();
        let log = Log {
            base_url: "https://rekor.example".into(),
            id: sha2::Sha256::digest(&key_der).to_vec(),
            key: key.verifying_key(),
            key_der,
            window: Window {
                start: Some(INTEGRATED - 10),
                end: None,
            },
        };
        FakeLog { key, log }
    }

    fn root(&self) -> TrustedRoot {
        TrustedRoot {
            tlogs: vec![self.log.clone()],
            ..TrustedRoot::default()
        }
    }

    /// The bundle annotation of a `hashedrekord` entry for `signature`
    /// over a payload with SHA-256 `payload_sha256`, by `signer`.
    fn bundle(
        &self,
        payload_sha256: &[u8],
        signature: &[u8],
        signer: &SigningKey,
        time: u64,
    ) -> String {
        let body = format!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
            hex(payload_sha256),
            b64(signature),
            b64(signer.public_key_pem().as_bytes())
        );
        let body = b64(body.as_bytes());
        let log_id = hex(&self.log.id);
        let signed = format!(
            r#"{{"body":"{body}","integratedTime":{time},"logID":"{log_id}","logIndex":42}}"#
        );
        let set = self.key.sign(&Artifact::Bytes(signed.as_bytes())).unwrap();
        format!(
            r#"{{"SignedEntryTimestamp":"{}","Payload":{{"body":"{body}","integratedTime":{time},"logIndex":42,"logID":"{log_id}"}}}}"#,
            b64(&set)
        )
    }
}

fn layer(payload: &[u8], signature: &[u8], bundle: Option<String>) -> SimpleSignature {
    let mut annotations = BTreeMap::new();
    annotations.insert(SIGNATURE.to_owned(), b64(signature));
    if let Some(b) = bundle {
        annotations.insert(BUNDLE.to_owned(), b);
    }
    SimpleSignature {
        payload: payload.to_vec(),
        annotations,
    }
}

fn key_policy(key: &SigningKey, log: LogRequirement) -> Policy {
    Policy::Key {
        key: key.verifying_key(),
        log,
    }
}

#[test]
fn key_signed_layers() {
    let signer = SigningKey::p256_from_bytes(&[7; 32]).unwrap();
    let other = SigningKey::ed25519_from_bytes(&[8; 32]);
    let log = FakeLog::new(9);
    let root = log.root();
    let d = manifest_digest();
    let p = payload(&format!("sha256:{}", hex(&d)), PAYLOAD_TYPE);
    let p_sha256 = sha2::Sha256::digest(&p);
    let sig = signer.sign(&Artifact::Bytes(&p)).unwrap();
    let required = key_policy(&signer, LogRequirement::Required);
    let optional = key_policy(&signer, LogRequirement::Optional);
    let check = |layer: &SimpleSignature, policy: &Policy| {
        verify_simple_signing(layer, &d, policy, &root, NOW)
    };

    // In the log: under either requirement.
    let logged = layer(
        &p,
        &sig,
        Some(log.bundle(&p_sha256, &sig, &signer, INTEGRATED)),
    );
    for policy in [&required, &optional] {
        let v = check(&logged, policy).unwrap();
        assert_eq!((v.log_index, v.times), (Some(42), vec![INTEGRATED]));
    }
    // Not in the log: only under `LogRequirement::Optional`.
    let unlogged = layer(&p, &sig, None);
    assert_eq!(check(&unlogged, &optional).unwrap().log_index, None);

    let identity = Policy::Identity {
        identity: Matcher::Exact("me".into()),
        issuer: Matcher::Exact("them".into()),
    };
    let other_log = FakeLog::new(10);
    // (layer, policy, what the refusal says)
    let cases = [
        (
            &unlogged,
            &required,
            "no `dev.sigstore.cosign/bundle` annotation",
        ),
        (
            &unlogged,
            &key_policy(&other, LogRequirement::Optional),
            "signature",
        ),
        (
            &logged,
            &key_policy(&other, LogRequirement::Required),
            "signature",
        ),
        (&logged, &identity, "made with a key"),
        (
            &layer(
                &p,
                &sig,
                Some(other_log.bundle(&p_sha256, &sig, &signer, INTEGRATED)),
            ),
            &required,
            "a log the trusted root does not hold",
        ),
        (
            &layer(
                &p,
                &sig,
                Some(log.bundle(&[0; 32], &sig, &signer, INTEGRATED)),
            ),
            &required,
            "its artifact digest differs",
        ),
        (
            &layer(
                &p,
                &sig,
                Some(log.bundle(&p_sha256, &sig, &other, INTEGRATED)),
            ),
            &required,
            "its signer differs",
        ),
        (
            &layer(
                &p,
                &sig,
                Some(log.bundle(&p_sha256, &sig, &signer, NOW + 1)),
            ),
            &required,
            "after now",
        ),
        (
            &layer(
                &p,
                &sig,
                Some(log.bundle(&p_sha256, &sig, &signer, INTEGRATED - 11)),
            ),
            &required,
            "outside the window",
        ),
        (&layer(&p, &sig[1..], None), &optional, "signature"),
        (&layer(b"{}", &sig, None), &optional, "type is missing"),
    ];
    for (layer, policy, says) in cases {
        let err = check(layer, policy).unwrap_err().to_string();
        assert!(err.contains(says), "`{says}` not in: {err}");
    }
    // A forged signed entry timestamp.
    let mut forged: serde_json::Value =
        serde_json::from_str(&log.bundle(&p_sha256, &sig, &signer, INTEGRATED)).unwrap();
    forged["SignedEntryTimestamp"] = b64(&log.key.sign(&Artifact::Bytes(b"else")).unwrap()).into();
    let forged = forged.to_string();
    let err = check(&layer(&p, &sig, Some(forged)), &required).unwrap_err();
    assert!(err.to_string().contains("signed entry timestamp"), "{err}");
    // Another manifest.
    let err = verify_simple_signing(&logged, &[1; 32], &required, &root, NOW).unwrap_err();
    assert!(err.to_string().contains("signs manifest"), "{err}");
}

#[test]
fn malformed_annotations() {
    let signer = SigningKey::p256_from_bytes(&[7; 32]).unwrap();
    let d = manifest_digest();
    let p = payload(&format!("sha256:{}", hex(&d)), PAYLOAD_TYPE);
    let sig = signer.sign(&Artifact::Bytes(&p)).unwrap();
    let policy = key_policy(&signer, LogRequirement::Optional);
    let root = TrustedRoot::default();
    let mut no_signature = layer(&p, &sig, None);
    no_signature.annotations.clear();
    let mut bad_cert = layer(&p, &sig, None);
    bad_cert
        .annotations
        .insert(CERTIFICATE.into(), "not a certificate".into());
    // (layer, what the refusal says)
    let cases = [
        (no_signature, "no `dev.cosignproject.cosign/signature` annotation"),
        (layer(&p, &sig, Some("{}".into())), "no text at `/SignedEntryTimestamp`"),
        (
            layer(
                &p,
                &sig,
                Some(r#"{"SignedEntryTimestamp":"","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"00"}}"#.into()),
            ),
            "no text at `/kind`",
        ),
        (
            layer(
                &p,
                &sig,
                Some(r#"{"SignedEntryTimestamp":"","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"0g"}}"#.into()),
            ),
            "is not hex",
        ),
        (bad_cert, "holds no PEM certificate"),
    ];
    for (layer, says) in cases {
        let err = verify_simple_signing(&layer, &d, &policy, &root, NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "`{says}` not in: {err}");
    }
}

/// The keyless path on real data: the conformance suite's v0.1 happy
/// path (a `hashedrekord` entry with a signed entry timestamp, a Fulcio
/// certificate) recast as a cosign layer. Its artifact is no simple
/// signing payload, so the payload's content is not checked here.
#[test]
fn certificate_signed_layer_from_the_conformance_suite() {
    let kit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/sigstore-conformance/assets");
    let Ok(json) = std::fs::read(kit.join("bundle-verify/happy-path-v0.1/bundle.sigstore.json"))
    else {
        eprintln!("note: no Sigstore conformance kit at {}", kit.display());
        return;
    };
    let b: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let root =
        TrustedRoot::from_json(&std::fs::read(kit.join("trusted_root.production.json")).unwrap())
            .unwrap();
    let artifact = std::fs::read(kit.join("a.txt")).unwrap();
    let vm = &b["verificationMaterial"];
    let leaf = vm["x509CertificateChain"]["certificates"][0]["rawBytes"]
        .as_str()
        .unwrap();
    let pem = format!("-----BEGIN CERTIFICATE-----\n{leaf}\n-----END CERTIFICATE-----\n");
    let e = &vm["tlogEntries"][0];
    let bundle = serde_json::json!({
        "SignedEntryTimestamp": e["inclusionPromise"]["signedEntryTimestamp"],
        "Payload": {
            "body": e["canonicalizedBody"],
            "integratedTime": e["integratedTime"].as_str().unwrap().parse::<u64>().unwrap(),
            "logIndex": e["logIndex"].as_str().unwrap().parse::<u64>().unwrap(),
            "logID": hex(&crate::sigstore::base64("", e["logId"]["keyId"].as_str().unwrap()).unwrap()),
        }
    });
    let mut annotations = BTreeMap::new();
    annotations.insert(
        SIGNATURE.to_owned(),
        b["messageSignature"]["signature"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    annotations.insert(CERTIFICATE.to_owned(), pem);
    annotations.insert(BUNDLE.to_owned(), bundle.to_string());
    let layer = SimpleSignature {
        payload: artifact,
        annotations,
    };
    let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let policy = |identity: &str| Policy::Identity {
        identity: Matcher::Exact(identity.into()),
        issuer: Matcher::Exact("https://token.actions.githubusercontent.com".into()),
    };
    let v = verify_signed_payload(&layer, &policy(identity), &root, NOW).unwrap();
    assert_eq!(v.identity.as_deref(), Some(identity));
    assert!(v.log_index.is_some() && v.times.len() == 1);

    let err = verify_signed_payload(&layer, &policy("someone else"), &root, NOW).unwrap_err();
    assert!(
        err.to_string().contains("do not match `someone else`"),
        "{err}"
    );
    let key = Policy::key(root.tlogs[0].key.clone());
    let err = verify_signed_payload(&layer, &key, &root, NOW).unwrap_err();
    assert!(err.to_string().contains("made with a certificate"), "{err}");
    let mut unlogged = layer.clone();
    unlogged.annotations.remove(BUNDLE);
    let err = verify_signed_payload(&unlogged, &policy(identity), &root, NOW).unwrap_err();
    assert!(err.to_string().contains("in no transparency log"), "{err}");
    let mut other_payload = layer.clone();
    other_payload.payload.push(b'\n');
    let err = verify_signed_payload(&other_payload, &policy(identity), &root, NOW).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    // Before the certificate's CA was trusted, or the log entry integrated.
    let err = verify_signed_payload(&layer, &policy(identity), &root, 1_600_000_000).unwrap_err();
    assert!(err.to_string().contains("after now"), "{err}");
}
