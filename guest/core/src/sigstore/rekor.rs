//! Transparency-log entries (Rekor): what an entry's canonicalized body
//! says was logged (`hashedrekord` 0.0.1 and 0.0.2, `dsse` 0.0.1 and
//! 0.0.2, `intoto` 0.0.2), and the signed entry timestamp (SET) of a
//! Rekor v1 entry.

use serde_json::Value;

use super::bundle::TlogEntry;
use super::crypto::{Hash, pem_block};
use super::trust::Log;
use super::{Error, base64};

/// Who signed, as the entry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// A certificate (DER).
    Certificate(Vec<u8>),
    /// A public key (`SubjectPublicKeyInfo` DER).
    PublicKey(Vec<u8>),
}

/// What an entry's body says was logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A signature over an artifact's digest.
    HashedRekord {
        hash: Hash,
        digest: Vec<u8>,
        signature: Vec<u8>,
        signer: Signer,
    },
    /// A DSSE envelope: the SHA-256 of its payload (and of the envelope,
    /// when recorded) and its signatures.
    Dsse {
        payload_sha256: Vec<u8>,
        signatures: Vec<(Vec<u8>, Signer)>,
    },
    /// An in-toto envelope (`intoto` 0.0.2): as DSSE, with the payload's
    /// hash and the signatures.
    Intoto {
        payload_sha256: Vec<u8>,
        signatures: Vec<(Vec<u8>, Signer)>,
    },
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "transparency-log entry",
        reason: reason.to_string(),
    }
}

fn text<'v>(v: &'v Value, path: &str) -> Result<&'v str, Error> {
    v.pointer(path).and_then(Value::as_str).ok_or_else(|| {
        malformed(format!(
            "its body has no `{}`",
            path.trim_start_matches('/')
        ))
    })
}

fn hex(text: &str) -> Result<Vec<u8>, Error> {
    if !text.len().is_multiple_of(2) {
        return Err(malformed(format!("`{text}` is not hex")));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .map_err(|_| malformed(format!("`{text}` is not hex")))
        })
        .collect()
}

/// A signer written as base64 of a PEM certificate or public key.
fn pem_signer(b64: &str) -> Result<Signer, Error> {
    let pem = base64("transparency-log entry", b64)?;
    let pem = String::from_utf8(pem).map_err(|_| malformed("its verifier is not PEM"))?;
    if let Some(der) = pem_block(&pem, "CERTIFICATE") {
        return Ok(Signer::Certificate(der));
    }
    if let Some(der) = pem_block(&pem, "PUBLIC KEY") {
        return Ok(Signer::PublicKey(der));
    }
    Err(malformed(
        "its verifier is neither a PEM certificate nor a public key",
    ))
}

/// A Rekor v2 `verifier`: `{x509Certificate: {rawBytes}}` or
/// `{publicKey: {rawBytes}}`.
fn v2_signer(v: &Value) -> Result<Signer, Error> {
    if let Some(raw) = v
        .pointer("/x509Certificate/rawBytes")
        .and_then(Value::as_str)
    {
        return Ok(Signer::Certificate(base64("transparency-log entry", raw)?));
    }
    if let Some(raw) = v.pointer("/publicKey/rawBytes").and_then(Value::as_str) {
        return Ok(Signer::PublicKey(base64("transparency-log entry", raw)?));
    }
    Err(malformed(
        "its verifier is neither a certificate nor a public key",
    ))
}

fn hash_named(name: &str) -> Result<Hash, Error> {
    match name {
        "sha256" | "SHA2_256" => Ok(Hash::Sha256),
        "sha384" | "SHA2_384" => Ok(Hash::Sha384),
        "sha512" | "SHA2_512" => Ok(Hash::Sha512),
        other => Err(malformed(format!("unknown hash algorithm `{other}`"))),
    }
}

impl Body {
    /// Parses an entry's canonicalized body, which must be of the kind and
    /// version the entry declares.
    ///
    /// # Errors
    /// [`Error::Malformed`] for another kind or version, or a body of the
    /// wrong shape.
    pub fn of(entry: &TlogEntry) -> Result<Body, Error> {
        let bytes = base64("transparency-log entry", &entry.canonicalized_body)?;
        let v: Value = serde_json::from_slice(&bytes).map_err(malformed)?;
        let (kind, version) = (text(&v, "/kind")?, text(&v, "/apiVersion")?);
        if kind != entry.kind_version.kind || version != entry.kind_version.version {
            return Err(malformed(format!(
                "its body is `{kind}` {version}, but the entry says `{}` {}",
                entry.kind_version.kind, entry.kind_version.version
            )));
        }
        match (kind, version) {
            ("hashedrekord", "0.0.1") => Ok(Body::HashedRekord {
                hash: hash_named(text(&v, "/spec/data/hash/algorithm")?)?,
                digest: hex(text(&v, "/spec/data/hash/value")?)?,
                signature: base64(
                    "transparency-log entry",
                    text(&v, "/spec/signature/content")?,
                )?,
                signer: pem_signer(text(&v, "/spec/signature/publicKey/content")?)?,
            }),
            ("hashedrekord", "0.0.2") => {
                let spec = v
                    .pointer("/spec/hashedRekordV002")
                    .ok_or_else(|| malformed("its body has no `spec.hashedRekordV002`"))?;
                Ok(Body::HashedRekord {
                    hash: hash_named(text(spec, "/data/algorithm")?)?,
                    digest: base64("transparency-log entry", text(spec, "/data/digest")?)?,
                    signature: base64("transparency-log entry", text(spec, "/signature/content")?)?,
                    signer: v2_signer(
                        spec.pointer("/signature/verifier")
                            .ok_or_else(|| malformed("its body has no signature verifier"))?,
                    )?,
                })
            }
            ("dsse", "0.0.1") => {
                let signatures = v
                    .pointer("/spec/signatures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| malformed("its body has no `spec.signatures`"))?
                    .iter()
                    .map(|s| {
                        Ok((
                            base64("transparency-log entry", text(s, "/signature")?)?,
                            pem_signer(text(s, "/verifier")?)?,
                        ))
                    })
                    .collect::<Result<_, Error>>()?;
                Ok(Body::Dsse {
                    payload_sha256: hex(text(&v, "/spec/payloadHash/value")?)?,
                    signatures,
                })
            }
            ("dsse", "0.0.2") => {
                let spec = v
                    .pointer("/spec/dsseV002")
                    .ok_or_else(|| malformed("its body has no `spec.dsseV002`"))?;
                let signatures = spec
                    .pointer("/signatures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| malformed("its body has no signatures"))?
                    .iter()
                    .map(|s| {
                        Ok((
                            base64("transparency-log entry", text(s, "/content")?)?,
                            v2_signer(
                                s.pointer("/verifier")
                                    .ok_or_else(|| malformed("a signature has no verifier"))?,
                            )?,
                        ))
                    })
                    .collect::<Result<_, Error>>()?;
                Ok(Body::Dsse {
                    payload_sha256: base64(
                        "transparency-log entry",
                        text(spec, "/payloadHash/digest")?,
                    )?,
                    signatures,
                })
            }
            ("intoto", "0.0.2") => {
                let signatures = v
                    .pointer("/spec/content/envelope/signatures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| malformed("its body has no envelope signatures"))?
                    .iter()
                    .map(|s| {
                        // Base64 of the base64 signature, as intoto 0.0.2 writes it.
                        let once = base64("transparency-log entry", text(s, "/sig")?)?;
                        let sig = String::from_utf8(once)
                            .map_err(|_| malformed("a signature is not base64 text"))?;
                        Ok((
                            base64("transparency-log entry", &sig)?,
                            pem_signer(text(s, "/publicKey")?)?,
                        ))
                    })
                    .collect::<Result<_, Error>>()?;
                Ok(Body::Intoto {
                    payload_sha256: hex(text(&v, "/spec/content/payloadHash/value")?)?,
                    signatures,
                })
            }
            (kind, version) => Err(malformed(format!(
                "unsupported entry kind `{kind}` {version} (supported: hashedrekord 0.0.1 and \
                 0.0.2, dsse 0.0.1 and 0.0.2, intoto 0.0.2)"
            ))),
        }
    }
}

/// Checks a Rekor v1 entry's signed entry timestamp: the log's signature
/// over the canonical JSON of `{body, integratedTime, logID, logIndex}`;
/// returns the integrated time (Unix seconds).
///
/// # Errors
/// [`Error::Malformed`] for numbers that do not parse; [`Error::Rejected`]
/// when the entry has no SET or it does not verify.
pub fn verify_set(entry: &TlogEntry, log: &Log) -> Result<u64, Error> {
    let promise = entry
        .inclusion_promise
        .as_ref()
        .ok_or_else(|| Error::Rejected("the log entry has no signed entry timestamp".into()))?;
    let time = integrated_time(entry)?
        .ok_or_else(|| Error::Rejected("the log entry has no integrated time".into()))?;
    let index: u64 = entry
        .log_index
        .parse()
        .map_err(|_| malformed(format!("log index `{}`", entry.log_index)))?;
    let log_id: String = log.id.iter().map(|b| format!("{b:02x}")).collect();
    // Canonical JSON: keys sorted, no spaces; the values need no escaping
    // (base64, digits, hex).
    let signed = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{time},\"logID\":\"{log_id}\",\"logIndex\":{index}}}",
        entry.canonicalized_body
    );
    let signature = base64("signed entry timestamp", &promise.signed_entry_timestamp)?;
    log.key
        .verify(signed.as_bytes(), &signature, log.key.default_hash())
        .map_err(|_| {
            Error::Rejected(format!(
                "the signed entry timestamp of log entry {index} does not verify with the key of `{}`",
                log.base_url
            ))
        })?;
    Ok(time)
}

/// The entry's integrated time, if it has one (Rekor v2 entries do not).
///
/// # Errors
/// [`Error::Malformed`] for a time that is no number.
pub fn integrated_time(entry: &TlogEntry) -> Result<Option<u64>, Error> {
    match entry.integrated_time.as_deref() {
        None | Some("0") | Some("") => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| malformed(format!("integrated time `{t}`"))),
    }
}
