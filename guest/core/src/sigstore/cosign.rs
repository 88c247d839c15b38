//! cosign's legacy signatures of container images, from before bundles:
//! the signature of image manifest `sha256:<hex>` is stored under the tag
//! `sha256-<hex>.sig` ([`signature_tag`]), an OCI manifest whose layers
//! ([`SIMPLE_SIGNING`]) each hold a "simple signing" payload, a JSON
//! document naming the manifest's digest, with the signature and its
//! material in the layer's annotations:
//!
//! - [`SIGNATURE`]: base64 of the signature over the payload's bytes;
//! - [`CERTIFICATE`]: the PEM Fulcio leaf certificate (keyless signing);
//! - [`CHAIN`]: its PEM intermediates and root, not used: the chain is
//!   built from the trusted root's certificate authorities, as for a bundle;
//! - [`BUNDLE`]: the transparency-log entry cosign got from Rekor, JSON
//!   `{"SignedEntryTimestamp": base64, "Payload": {"body": base64,
//!   "integratedTime": n, "logIndex": n, "logID": hex}}`.
//!
//! [`verify_simple_signing`] checks one layer as `cosign verify` does.
//! RFC 3161 timestamps (`dev.sigstore.cosign/rfc3161timestamp`) are not
//! read.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::bundle::{InclusionPromise, KindVersion, LogId, TlogEntry};
use super::crypto::{Hash, pem_block};
use super::trust::TrustedRoot;
use super::verify::{
    Artifact, EntryRules, LogRequirement, Material, Policy, Signed, Signing, Verified, check_entry,
    conclude, signing_key,
};
use super::x509::Certificate;
use super::{Error, base64};

/// The media type of a layer holding a simple signing payload.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The annotation holding the base64 signature over the payload.
pub const SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding the PEM signing certificate.
pub const CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the PEM certificate chain (intermediates, root).
pub const CHAIN: &str = "dev.sigstore.cosign/chain";
/// The annotation holding the Rekor entry and its signed entry timestamp.
pub const BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// The `critical.type` of a simple signing payload.
pub const PAYLOAD_TYPE: &str = "cosign container image signature";

/// The tag under which cosign stores the signatures of the manifest with
/// SHA-256 `manifest_digest`: `sha256-<64 hex>.sig`.
pub fn signature_tag(manifest_digest: &[u8; 32]) -> String {
    format!("sha256-{}.sig", hex(manifest_digest))
}

/// One layer of a signature manifest: its blob (the payload, verbatim)
/// and its annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleSignature {
    /// The layer's blob: the simple signing payload's JSON, byte for byte
    /// as signed.
    pub payload: Vec<u8>,
    /// The layer descriptor's annotations ([`SIGNATURE`], [`CERTIFICATE`],
    /// [`CHAIN`], [`BUNDLE`]).
    pub annotations: BTreeMap<String, String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rejected(message: impl Into<String>) -> Error {
    Error::Rejected(message.into())
}

fn malformed(what: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what,
        reason: reason.to_string(),
    }
}

/// The transparency-log entry of a bundle annotation, in the shape of a
/// bundle's (kind and version read from its body).
fn entry_of(annotation: &str) -> Result<TlogEntry, Error> {
    let what = "cosign bundle annotation";
    // `{"SignedEntryTimestamp": base64, "Payload": {"body": base64,
    // "integratedTime": n, "logIndex": n, "logID": hex}}`, as cosign writes it.
    let bundle: serde_json::Value =
        serde_json::from_str(annotation).map_err(|e| malformed(what, e))?;
    let text = |v: &serde_json::Value, path: &str| {
        v.pointer(path)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| malformed(what, format!("no text at `{path}`")))
    };
    let number = |path: &str| {
        bundle
            .pointer(path)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| malformed(what, format!("no number at `{path}`")))
    };
    let set = text(&bundle, "/SignedEntryTimestamp")?;
    let body_b64 = text(&bundle, "/Payload/body")?;
    let hex_id = text(&bundle, "/Payload/logID")?;
    let (time, index) = (
        number("/Payload/integratedTime")?,
        number("/Payload/logIndex")?,
    );
    let body: serde_json::Value = serde_json::from_slice(&base64(what, &body_b64)?)
        .map_err(|e| malformed(what, format!("its body is not JSON: {e}")))?;
    let log_id = (0..hex_id.len())
        .step_by(2)
        .map(|i| {
            hex_id
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .filter(|id| id.len() * 2 == hex_id.len())
        .ok_or_else(|| malformed(what, format!("log id `{hex_id}` is not hex")))?;
    Ok(TlogEntry {
        log_index: index.to_string(),
        log_id: LogId {
            key_id: base64::engine::general_purpose::STANDARD.encode(log_id),
        },
        kind_version: KindVersion {
            kind: text(&body, "/kind")?,
            version: text(&body, "/apiVersion")?,
        },
        integrated_time: Some(time.to_string()),
        inclusion_promise: Some(InclusionPromise {
            signed_entry_timestamp: set,
        }),
        inclusion_proof: None,
        canonicalized_body: body_b64,
    })
}

/// Checks that a simple signing payload signs the manifest with SHA-256
/// `manifest_digest`: `critical.type` is [`PAYLOAD_TYPE`] and
/// `critical.image.docker-manifest-digest` is `sha256:<hex>` of it.
///
/// # Errors
/// [`Error::Malformed`] for a payload that is not JSON;
/// [`Error::Rejected`] for another type or digest.
pub fn check_payload(payload: &[u8], manifest_digest: &[u8; 32]) -> Result<(), Error> {
    let v: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| malformed("simple signing payload", format!("not JSON: {e}")))?;
    let text = |path: &str| v.pointer(path).and_then(serde_json::Value::as_str);
    match text("/critical/type") {
        Some(PAYLOAD_TYPE) => {}
        other => {
            return Err(rejected(format!(
                "the simple signing payload's type is {}, not `{PAYLOAD_TYPE}`",
                other.map_or("missing".to_owned(), |t| format!("`{t}`"))
            )));
        }
    }
    let wanted = format!("sha256:{}", hex(manifest_digest));
    match text("/critical/image/docker-manifest-digest") {
        Some(d) if d == wanted => Ok(()),
        other => Err(rejected(format!(
            "the simple signing payload signs manifest {}, not `{wanted}`",
            other.map_or("(none named)".to_owned(), |d| format!("`{d}`"))
        ))),
    }
}

/// Verifies one layer of a cosign signature manifest for the manifest
/// with SHA-256 `manifest_digest`, under `policy` and `root`, at `now`
/// (Unix seconds), as `cosign verify` does: the payload names the
/// manifest ([`check_payload`]); the [`SIGNATURE`] verifies over the
/// payload's bytes (SHA-256 for ECDSA and RSA, as cosign's default) with
/// the policy's key, or with the [`CERTIFICATE`], which an identity
/// policy requires; the [`BUNDLE`]'s entry is from a log of the trusted
/// root, its signed entry timestamp verifies, and its body (`hashedrekord`)
/// records this signature, the payload's SHA-256 and this certificate or
/// key; the certificate chains to a Fulcio CA of the trusted root at the
/// integrated time, has a valid SCT and matches the identity policy.
///
/// Without a [`BUNDLE`], a key policy with [`LogRequirement::Optional`]
/// accepts the signature (the key is trusted explicitly, as with cosign's
/// `--insecure-ignore-tlog`); anything else is refused.
///
/// # Errors
/// [`Error::Malformed`] for annotations that do not parse;
/// [`Error::Rejected`] naming the first check that fails.
pub fn verify_simple_signing(
    signature: &SimpleSignature,
    manifest_digest: &[u8; 32],
    policy: &Policy,
    root: &TrustedRoot,
    now: u64,
) -> Result<Verified, Error> {
    check_payload(&signature.payload, manifest_digest)?;
    verify_signed_payload(signature, policy, root, now)
}

/// All of [`verify_simple_signing`] but the payload's content.
fn verify_signed_payload(
    signature: &SimpleSignature,
    policy: &Policy,
    root: &TrustedRoot,
    now: u64,
) -> Result<Verified, Error> {
    let annotation = |name: &str| signature.annotations.get(name).map(String::as_str);
    let sig = annotation(SIGNATURE)
        .ok_or_else(|| rejected(format!("the layer has no `{SIGNATURE}` annotation")))?;
    let sig = base64("cosign signature", sig)?;
    let material = match annotation(CERTIFICATE).filter(|c| !c.trim().is_empty()) {
        Some(pem) => {
            let der = pem_block(pem, "CERTIFICATE").ok_or_else(|| {
                malformed(
                    "certificate",
                    format!("`{CERTIFICATE}` holds no PEM certificate"),
                )
            })?;
            Material::Certificate(Box::new(Certificate::from_der(&der)?))
        }
        None => Material::Key,
    };
    let key = signing_key(&material, policy)?;
    key.verify(&signature.payload, &sig, Hash::Sha256)
        .map_err(|e| {
            rejected(format!(
                "the signature over the simple signing payload: {e}"
            ))
        })?;

    let mut times = Vec::new();
    let log_index = match annotation(BUNDLE) {
        Some(text) => {
            let entry = entry_of(text)?;
            let signed = Signed {
                signature: sig,
                envelope: None,
            };
            let signing = Signing {
                signed: &signed,
                artifact: &Artifact::Bytes(&signature.payload),
                material: &material,
                key: &key,
            };
            let rules = EntryRules {
                set: true,
                proof: false,
            };
            let (index, set_time) = check_entry(&entry, rules, &signing, root, now)?;
            times.extend(set_time);
            Some(index)
        }
        None => match policy {
            Policy::Key {
                log: LogRequirement::Optional,
                ..
            } => None,
            _ => {
                return Err(rejected(format!(
                    "the layer has no `{BUNDLE}` annotation: the signature is in no \
                     transparency log"
                )));
            }
        },
    };
    conclude(&material, policy, root, log_index, times)
}

#[cfg(test)]
mod tests;
