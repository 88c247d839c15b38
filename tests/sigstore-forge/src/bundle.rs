//! What a signer gets back from the instance: a Sigstore bundle v0.3 (as
//! cosign and sigstore-js write them, and GitHub artifact attestations
//! for DSSE), or cosign's legacy "simple signing" `.sig` layer.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::SigningKey;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use signature::hazmat::PrehashSigner as _;

use crate::ca::{self, Request};
use crate::rekor::{self, Entry, hex};
use crate::{Instance, Signing};

/// The media type of cosign's simple-signing payload, the `.sig` layer's.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The DSSE payload type of an in-toto statement.
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// A cosign `.sig` layer: its payload (the simple-signing JSON) and the
/// annotations cosign puts on the layer descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigning {
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// Pre-authentication encoding of a DSSE envelope (DSSE v1).
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A signing certificate and its key.
struct Signer {
    key: SigningKey,
    der: Vec<u8>,
    pem: String,
}

impl Instance {
    /// A fresh ephemeral key and a certificate for it, as Fulcio issues
    /// one after an OIDC login.
    fn certify(&self, opts: &Signing) -> Signer {
        let key = ca::new_key();
        let (not_before, not_after) = opts.certificate_validity();
        let der = self.fulcio().issue(
            &key,
            &Request {
                identity: &opts.identity,
                issuer: &opts.issuer,
                not_before,
                not_after,
            },
        );
        let pem = ca::certificate_pem(&der);
        Signer { key, der, pem }
    }

    fn append(&self, body: Vec<u8>, opts: &Signing) -> Entry {
        self.tlog().append(
            body,
            self.log_index(opts),
            opts.time,
            opts.tamper_checkpoint,
        )
    }

    /// Signs the artifact whose SHA-256 is `artifact_sha256` and returns
    /// the bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`): the
    /// signing certificate; one `hashedrekord` 0.0.1 entry (for `dsse`, a
    /// `dsse` 0.0.1 entry) with its signed entry timestamp and inclusion
    /// proof; and the message signature (ECDSA P-256 over the artifact,
    /// with its digest) or, for `dsse`, the DSSE envelope of an in-toto
    /// statement with the artifact as its subject.
    ///
    /// # Panics
    /// For an identity that is not ASCII, or times that do not fit X.509.
    pub fn sign(&self, artifact_sha256: [u8; 32], opts: &Signing) -> String {
        let signer = self.certify(opts);
        let (content, body) = if opts.dsse {
            let payload = statement(&artifact_sha256);
            let signature = ca::sign(&signer.key, &pae(IN_TOTO, &payload));
            let envelope = json!({
                "payload": STANDARD.encode(&payload),
                "payloadType": IN_TOTO,
                "signatures": [{"sig": STANDARD.encode(&signature)}],
            });
            let body = rekor::dsse(&envelope.to_string(), &payload, &signature, &signer.pem);
            (("dsseEnvelope", envelope), body)
        } else {
            let signature: p256::ecdsa::Signature = signer
                .key
                .sign_prehash(&artifact_sha256)
                .expect("a SHA-256 digest signs");
            let signature = signature.to_der().as_bytes().to_vec();
            let body = rekor::hashedrekord(&artifact_sha256, &signature, &signer.pem);
            let message = json!({
                "messageDigest": {
                    "algorithm": "SHA2_256",
                    "digest": STANDARD.encode(artifact_sha256),
                },
                "signature": STANDARD.encode(&signature),
            });
            (("messageSignature", message), body)
        };
        let entry = self.append(body, opts);
        let kind = if opts.dsse { "dsse" } else { "hashedrekord" };
        let mut bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": STANDARD.encode(&signer.der)},
                "tlogEntries": [tlog_entry(&entry, kind)],
            },
        });
        bundle[content.0] = content.1;
        serde_json::to_string_pretty(&bundle).expect("JSON encodes")
    }

    /// Signs an image as cosign's legacy `.sig` layer does: the
    /// simple-signing payload naming `docker_reference` and the manifest
    /// digest, signed (ECDSA P-256 over its bytes) with a Fulcio
    /// certificate, and logged as a `hashedrekord` of the payload's
    /// SHA-256. The annotations: `dev.cosignproject.cosign/signature`
    /// (base64 signature), `dev.sigstore.cosign/certificate` (leaf PEM),
    /// `dev.sigstore.cosign/chain` (intermediate and root PEM) and
    /// `dev.sigstore.cosign/bundle` (the signed entry timestamp and the
    /// entry it covers). `dsse` and `tamper_checkpoint` do not apply (the
    /// annotation carries no inclusion proof).
    ///
    /// # Panics
    /// As [`Instance::sign`].
    pub fn simple_signing(
        &self,
        manifest_digest: [u8; 32],
        docker_reference: &str,
        opts: &Signing,
    ) -> SimpleSigning {
        let payload = json!({
            "critical": {
                "identity": {"docker-reference": docker_reference},
                "image": {"docker-manifest-digest": format!("sha256:{}", hex(&manifest_digest))},
                "type": "cosign container image signature",
            },
            "optional": null,
        })
        .to_string()
        .into_bytes();
        let signer = self.certify(opts);
        let signature = ca::sign(&signer.key, &payload);
        let digest: [u8; 32] = Sha256::digest(&payload).into();
        let entry = self.append(rekor::hashedrekord(&digest, &signature, &signer.pem), opts);
        let bundle = json!({
            "SignedEntryTimestamp": STANDARD.encode(&entry.set),
            "Payload": {
                "body": STANDARD.encode(&entry.body),
                "integratedTime": entry.integrated_time,
                "logIndex": entry.log_index,
                "logID": hex(&entry.log_id),
            },
        });
        let annotations = [
            (
                "dev.cosignproject.cosign/signature",
                STANDARD.encode(&signature),
            ),
            ("dev.sigstore.cosign/certificate", signer.pem),
            (
                "dev.sigstore.cosign/chain",
                format!("{}{}", self.intermediate_pem(), self.root_pem()),
            ),
            ("dev.sigstore.cosign/bundle", bundle.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        SimpleSigning {
            payload,
            annotations,
        }
    }
}

/// An in-toto v1 statement with one subject, the artifact, and an empty
/// SLSA provenance v1 predicate.
fn statement(artifact_sha256: &[u8; 32]) -> Vec<u8> {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact", "digest": {"sha256": hex(artifact_sha256)}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

/// A bundle's `tlogEntries` item (protobuf JSON: 64-bit numbers as
/// decimal strings, bytes as base64).
fn tlog_entry(entry: &Entry, kind: &str) -> serde_json::Value {
    let proof = &entry.proof;
    json!({
        "logIndex": entry.log_index.to_string(),
        "logId": {"keyId": STANDARD.encode(entry.log_id)},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": entry.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(&entry.set)},
        "inclusionProof": {
            "logIndex": entry.log_index.to_string(),
            "rootHash": STANDARD.encode(proof.root_hash),
            "treeSize": proof.tree_size.to_string(),
            "hashes": proof.hashes.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": proof.checkpoint},
        },
        "canonicalizedBody": STANDARD.encode(&entry.body),
    })
}
