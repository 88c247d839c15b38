//! The whole check of a bundle against an artifact, a policy and a trusted
//! root, in the order of the Sigstore client specification's
//! verification: the signing material, the signature over the artifact,
//! the transparency-log entry (its body, its signed entry timestamp, its
//! inclusion proof and checkpoint), the verified times (the log's
//! integrated time and RFC 3161 timestamps), then the certificate at
//! those times (its chain to a Fulcio CA, its SCTs) and the identity
//! policy.

use sha2::Digest as _;

use super::bundle::{Bundle, Envelope, TlogEntry, Version};
use super::crypto::{Hash, VerifyingKey};
use super::rekor::{Body, Signer};
use super::trust::TrustedRoot;
use super::x509::{CODE_SIGNING, Certificate};
use super::{Error, base64};

/// What was signed: the artifact's bytes, or only its SHA-256.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The bytes, signed over the hash the key's type implies (SHA-384
    /// for P-384), as `cosign sign-blob` signs a file.
    Bytes(&'a [u8]),
    /// The SHA-256 (32 bytes) only, as an OCI manifest is known by its
    /// digest: signed over that SHA-256 whatever the key (an Ed25519 key,
    /// which signs messages, cannot be checked).
    Sha256(&'a [u8; 32]),
    /// An OCI manifest's bytes, signed as [`Artifact::Sha256`] of them is
    /// (ECDSA and RSA over their SHA-256), or, by an Ed25519 key, as the
    /// bytes themselves.
    Manifest(&'a [u8]),
}

impl Artifact<'_> {
    /// The artifact's SHA-256.
    pub fn sha256(&self) -> [u8; 32] {
        match self {
            Artifact::Bytes(b) | Artifact::Manifest(b) => sha2::Sha256::digest(b).into(),
            Artifact::Sha256(d) => **d,
        }
    }
}

/// How a value of the certificate (an identity or the OIDC issuer) must
/// match.
///
/// Equality compares the patterns as written, so two regular expressions
/// are equal when their patterns are.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal, byte for byte (cosign's `--certificate-identity`,
    /// `--certificate-oidc-issuer`).
    Exact(String),
    /// A regular expression found anywhere in the value, unanchored as
    /// cosign's `--certificate-identity-regexp` and
    /// `--certificate-oidc-issuer-regexp` match it (Go's
    /// `regexp.MatchString`): anchor it with `^…$` to match the whole
    /// value. Built by [`Matcher::regex`].
    Regex(regex_lite::Regex),
}

impl Matcher {
    /// A matcher for the regular expression `pattern`, in Go's RE2 syntax
    /// as cosign takes it. The engine (`regex-lite`) agrees with RE2 on
    /// what both accept, `\d`, `\w`, `\s` and `\b` being ASCII in both;
    /// it refuses Unicode classes (`\pL`), and `(?i)` folds ASCII letters
    /// only.
    ///
    /// # Errors
    /// [`Error::Malformed`] (`what`: "regular expression") with the
    /// parser's reason, for a pattern that does not parse.
    pub fn regex(pattern: &str) -> Result<Matcher, Error> {
        regex_lite::Regex::new(pattern)
            .map(Matcher::Regex)
            .map_err(|e| Error::Malformed {
                what: "regular expression",
                reason: format!("`{pattern}`: {e}"),
            })
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(re) => re.is_match(value),
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Matcher) -> bool {
        match (self, other) {
            (Matcher::Exact(a), Matcher::Exact(b)) => a == b,
            (Matcher::Regex(a), Matcher::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Eq for Matcher {}

/// `` `value` `` for an exact match, `/pattern/` for a regular expression.
impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(s) => write!(f, "`{s}`"),
            Matcher::Regex(re) => write!(f, "/{}/", re.as_str()),
        }
    }
}

/// Who must have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// A Fulcio certificate for this identity (a SAN URI or email) from
    /// this OIDC issuer (cosign's `--certificate-identity` and
    /// `--certificate-oidc-issuer`, or their `-regexp` forms). The
    /// bundle's transparency-log entry is always required: its integrated
    /// time (or an RFC 3161 timestamp) is when the certificate must have
    /// been valid.
    Identity { identity: Matcher, issuer: Matcher },
    /// This key (cosign's `--key`), with or without a transparency log.
    Key {
        key: VerifyingKey,
        log: LogRequirement,
    },
}

impl Policy {
    /// This key, with the bundle's transparency-log entry required: what
    /// the Sigstore client specification and the conformance suite ask.
    pub fn key(key: VerifyingKey) -> Policy {
        Policy::Key {
            key,
            log: LogRequirement::Required,
        }
    }
}

/// Whether a key-signed bundle must have a transparency-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogRequirement {
    /// Exactly one entry, verified (the Sigstore client specification).
    #[default]
    Required,
    /// None is accepted, the key being trusted explicitly (cosign's
    /// `--insecure-ignore-tlog`, a bundle of `wkg oci sign --key`, made
    /// where there is no log). A bundle that has entries must still have
    /// exactly one, verified as under [`LogRequirement::Required`].
    Optional,
}

/// What a verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The certificate's identity and issuer (none for a key).
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// The transparency-log entry's index; none for a key-signed bundle
    /// without an entry, accepted under [`LogRequirement::Optional`].
    pub log_index: Option<u64>,
    /// The verified times (Unix seconds): the integrated time its signed
    /// entry timestamp vouches for, and each RFC 3161 timestamp's.
    pub times: Vec<u64>,
}

fn rejected(message: impl Into<String>) -> Error {
    Error::Rejected(message.into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pre-authentication encoding of a DSSE envelope (DSSE v1 protocol).
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The signing material of a bundle.
pub(super) enum Material {
    Certificate(Box<Certificate>),
    Key,
}

fn material(bundle: &Bundle) -> Result<Material, Error> {
    let vm = &bundle.verification_material;
    if let Some(cert) = &vm.certificate {
        return Ok(Material::Certificate(Box::new(Certificate::from_der(
            &base64("certificate", &cert.raw_bytes)?,
        )?)));
    }
    if let Some(chain) = &vm.x509_certificate_chain {
        let certs = chain
            .certificates
            .iter()
            .map(|c| Certificate::from_der(&base64("certificate", &c.raw_bytes)?))
            .collect::<Result<Vec<_>, Error>>()?;
        let Some(leaf) = certs.first() else {
            return Err(rejected("the bundle's certificate chain is empty"));
        };
        if let Some(root) = certs.iter().find(|c| c.is_self_issued()) {
            return Err(rejected(format!(
                "the bundle's certificate chain holds a root certificate (`{}`); roots come \
                 from the trusted root only",
                root.subject_name()
            )));
        }
        return Ok(Material::Certificate(Box::new(leaf.clone())));
    }
    if vm.public_key.is_some() {
        return Ok(Material::Key);
    }
    Err(rejected(
        "the bundle has no certificate, certificate chain or public key",
    ))
}

/// The signature bytes the bundle carries, and what the log entry and
/// timestamps sign over.
pub(super) struct Signed {
    pub signature: Vec<u8>,
    /// DSSE: the envelope and its decoded payload.
    pub envelope: Option<(Envelope, Vec<u8>)>,
}

/// Checks the bundle's signature over the artifact with `key`.
fn check_signature(
    bundle: &Bundle,
    artifact: &Artifact,
    key: &VerifyingKey,
) -> Result<Signed, Error> {
    let digest = artifact.sha256();
    if let Some(ms) = &bundle.message_signature {
        let signature = base64("signature", &ms.signature)?;
        if let Some(md) = &ms.message_digest {
            if md.algorithm != "SHA2_256" {
                return Err(rejected(format!(
                    "the bundle's message digest is `{}`; only SHA2_256 is supported",
                    md.algorithm
                )));
            }
            let stated = base64("message digest", &md.digest)?;
            if stated != digest {
                return Err(rejected(format!(
                    "the bundle signs a message with SHA-256 {}, but the artifact's is {}",
                    hex(&stated),
                    hex(&digest)
                )));
            }
        }
        let verified = match artifact {
            Artifact::Bytes(b) => key.verify(b, &signature, key.default_hash()),
            Artifact::Sha256(d) => key.verify_digest(&d[..], &signature, Hash::Sha256),
            Artifact::Manifest(b) => key.verify(b, &signature, Hash::Sha256),
        };
        verified.map_err(|e| rejected(format!("the artifact's signature: {e}")))?;
        return Ok(Signed {
            signature,
            envelope: None,
        });
    }
    let envelope = bundle
        .dsse_envelope
        .as_ref()
        .ok_or_else(|| rejected("the bundle holds no signature"))?;
    let [sig] = envelope.signatures.as_slice() else {
        return Err(rejected(format!(
            "the DSSE envelope has {} signatures; exactly one is supported",
            envelope.signatures.len()
        )));
    };
    let signature = base64("DSSE signature", &sig.sig)?;
    let payload = base64("DSSE payload", &envelope.payload)?;
    key.verify(
        &pae(&envelope.payload_type, &payload),
        &signature,
        key.default_hash(),
    )
    .map_err(|e| rejected(format!("the DSSE envelope's signature: {e}")))?;
    if envelope.payload_type != "application/vnd.in-toto+json" {
        return Err(rejected(format!(
            "the DSSE payload is `{}`, not an in-toto statement",
            envelope.payload_type
        )));
    }
    let statement: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| rejected(format!("the in-toto statement is not JSON: {e}")))?;
    let wanted = hex(&digest);
    let names_it = statement
        .get("subject")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|subjects| {
            subjects.iter().any(|s| {
                s.pointer("/digest/sha256")
                    .and_then(serde_json::Value::as_str)
                    == Some(&wanted)
            })
        });
    if !names_it {
        return Err(rejected(format!(
            "no subject of the in-toto statement has the artifact's SHA-256 {wanted}"
        )));
    }
    Ok(Signed {
        signature,
        envelope: Some((envelope.clone(), payload)),
    })
}

/// Whether the entry's signer is the bundle's.
fn same_signer(signer: &Signer, material: &Material, key: &VerifyingKey) -> bool {
    match (signer, material) {
        (Signer::Certificate(der), Material::Certificate(cert)) => der == cert.der(),
        (Signer::PublicKey(der), Material::Key) => {
            VerifyingKey::from_spki_der(der).is_ok_and(|k| &k == key)
        }
        _ => false,
    }
}

/// What a signature signs and who made it, as a log entry must record it.
pub(super) struct Signing<'a> {
    pub signed: &'a Signed,
    pub artifact: &'a Artifact<'a>,
    pub material: &'a Material,
    pub key: &'a VerifyingKey,
}

/// Checks that the log entry records what the bundle holds.
fn check_body(entry: &TlogEntry, signing: &Signing) -> Result<(), Error> {
    let Signing {
        signed,
        artifact,
        material,
        key,
    } = *signing;
    let body = Body::of(entry)?;
    let mismatch = |what: &str| {
        rejected(format!(
            "the log entry does not record this bundle: its {what} differs"
        ))
    };
    match (&body, &signed.envelope) {
        (
            Body::HashedRekord {
                hash,
                digest,
                signature,
                signer,
            },
            envelope,
        ) => {
            let expected: Vec<u8> = match envelope {
                None => artifact.sha256().to_vec(),
                // Rekor v2 logs a DSSE envelope as the digest of what it signs.
                Some((env, payload)) => hash.digest(&pae(&env.payload_type, payload)),
            };
            if *hash != Hash::Sha256 && envelope.is_none() {
                return Err(mismatch("hash algorithm"));
            }
            if digest != &expected {
                return Err(mismatch("artifact digest"));
            }
            if signature != &signed.signature {
                return Err(mismatch("signature"));
            }
            if !same_signer(signer, material, key) {
                return Err(mismatch("signer"));
            }
        }
        (
            Body::Dsse {
                payload_sha256,
                signatures,
            }
            | Body::Intoto {
                payload_sha256,
                signatures,
            },
            Some((_, payload)),
        ) => {
            if payload_sha256.as_slice() != sha2::Sha256::digest(payload).as_slice() {
                return Err(mismatch("payload hash"));
            }
            let listed = signatures.iter().any(|(sig, signer)| {
                sig == &signed.signature && same_signer(signer, material, key)
            });
            if !listed {
                return Err(mismatch("signature"));
            }
        }
        _ => {
            return Err(rejected(format!(
                "the log entry is a `{}` entry, which does not record a bundle of this kind",
                entry.kind_version.kind
            )));
        }
    }
    Ok(())
}

/// Checks the entry's inclusion proof and its checkpoint.
fn check_inclusion(entry: &TlogEntry, log: &super::trust::Log) -> Result<(), Error> {
    let proof = entry
        .inclusion_proof
        .as_ref()
        .ok_or_else(|| rejected("the log entry has no inclusion proof"))?;
    let number = |what: &str, s: &str| {
        s.parse::<u64>().map_err(|_| Error::Malformed {
            what: "inclusion proof",
            reason: format!("{what} `{s}` is not a number"),
        })
    };
    let index = number("log index", &proof.log_index)?;
    let size = number("tree size", &proof.tree_size)?;
    let hash32 = |what: &'static str, s: &str| -> Result<[u8; 32], Error> {
        base64(what, s)?.try_into().map_err(|_| Error::Malformed {
            what,
            reason: "not 32 bytes".into(),
        })
    };
    let root = hash32("inclusion proof root hash", &proof.root_hash)?;
    let hashes = proof
        .hashes
        .iter()
        .map(|h| hash32("inclusion proof hash", h))
        .collect::<Result<Vec<_>, _>>()?;
    let body = base64("transparency-log entry", &entry.canonicalized_body)?;
    super::merkle::verify_inclusion(
        &super::merkle::leaf_hash(&body),
        index,
        size,
        &hashes,
        &root,
    )?;
    let checkpoint = proof
        .checkpoint
        .as_ref()
        .ok_or_else(|| rejected("the inclusion proof has no checkpoint"))?;
    super::checkpoint::verify(&checkpoint.envelope, log, &root, size)?;
    Ok(())
}

/// What a transparency-log entry must carry beyond its body.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntryRules {
    /// A signed entry timestamp (v0.1 bundles, cosign's bundle annotation).
    pub set: bool,
    /// An inclusion proof with its checkpoint (v0.2 bundles and later).
    pub proof: bool,
}

/// Checks a transparency-log entry: from a log of the trusted root,
/// recording what was signed, its SET and inclusion proof (each when
/// present, and when `rules` require it), integrated no later than `now`
/// and within the log's window. Returns the entry's index and the time
/// its SET vouches for, if it has one.
pub(super) fn check_entry(
    entry: &TlogEntry,
    rules: EntryRules,
    signing: &Signing,
    root: &TrustedRoot,
    now: u64,
) -> Result<(u64, Option<u64>), Error> {
    let log_id = base64("log id", &entry.log_id.key_id)?;
    let log = root.tlog(&log_id).ok_or_else(|| {
        rejected(format!(
            "the log entry is from a log the trusted root does not hold (log id {})",
            hex(&log_id)
        ))
    })?;
    let log_index: u64 = entry.log_index.parse().map_err(|_| Error::Malformed {
        what: "transparency-log entry",
        reason: format!("log index `{}`", entry.log_index),
    })?;
    check_body(entry, signing)?;
    let integrated = super::rekor::integrated_time(entry)?;
    let mut set_time = None;
    if entry.inclusion_promise.is_some() {
        set_time = Some(super::rekor::verify_set(entry, log)?);
    } else if rules.set {
        return Err(rejected("the log entry must have a signed entry timestamp"));
    }
    if entry.inclusion_proof.is_some() || rules.proof {
        check_inclusion(entry, log)?;
    }
    if let Some(t) = integrated {
        if t > now {
            return Err(rejected(format!(
                "the log entry was integrated at {t}, after now ({now})"
            )));
        }
        if !log.window.contains(t) {
            return Err(rejected(format!(
                "the log entry was integrated at {t}, outside the window in which the trusted \
                 root trusts `{}`",
                log.base_url
            )));
        }
    }
    Ok((log_index, set_time))
}

/// Checks a Fulcio certificate at the verified `times`: its chain to a
/// certificate authority of the trusted root, its SCTs, and the identity
/// policy; returns the matching identity and the OIDC issuer.
pub(super) fn check_identity(
    cert: &Certificate,
    identity: &Matcher,
    issuer: &Matcher,
    root: &TrustedRoot,
    times: &[u64],
) -> Result<(String, String), Error> {
    if times.is_empty() {
        return Err(rejected(
            "no verified time: neither a signed entry timestamp nor an RFC 3161 timestamp",
        ));
    }
    let ca = check_certificate(cert, root, times)?;
    super::sct::verify(cert, &ca[0], &root.ctlogs)?;
    let identities = cert.identities();
    let Some(found) = identities.iter().find(|i| identity.matches(i)) else {
        return Err(rejected(format!(
            "the certificate's identities ({}) do not match {identity}",
            if identities.is_empty() {
                "none".to_owned()
            } else {
                identities.join(", ")
            }
        )));
    };
    let cert_issuer = cert.oidc_issuer();
    match cert_issuer {
        Some(i) if issuer.matches(&i) => Ok((found.clone(), i)),
        _ => Err(rejected(format!(
            "the certificate's OIDC issuer ({}) does not match {issuer}",
            cert_issuer.as_deref().unwrap_or("none")
        ))),
    }
}

/// The key that must have signed, from the signing material and the
/// policy, which must be of the same kind.
pub(super) fn signing_key(material: &Material, policy: &Policy) -> Result<VerifyingKey, Error> {
    match (material, policy) {
        (Material::Certificate(cert), Policy::Identity { .. }) => cert.public_key(),
        (Material::Key, Policy::Key { key, .. }) => Ok(key.clone()),
        (Material::Certificate(_), Policy::Key { .. }) => Err(rejected(
            "the signature is made with a certificate, not with a key; verify it with an \
             identity and issuer",
        )),
        (Material::Key, Policy::Identity { .. }) => Err(rejected(
            "the signature is made with a key, not with a certificate; verify it with the key",
        )),
    }
}

/// Verifies `bundle` for `artifact` under `policy` and `root`, at `now`
/// (Unix seconds; a log entry integrated later is refused), as the
/// Sigstore client specification's verification: exactly one
/// transparency-log entry, unless `policy` is a key with
/// [`LogRequirement::Optional`] and the bundle has none.
///
/// # Errors
/// [`Error::Malformed`] for documents that do not parse;
/// [`Error::Rejected`] naming the first check that fails.
pub fn verify(
    bundle: &Bundle,
    artifact: &Artifact,
    policy: &Policy,
    root: &TrustedRoot,
    now: u64,
) -> Result<Verified, Error> {
    let version = bundle.version()?;
    let material = material(bundle)?;
    let key = signing_key(&material, policy)?;
    let signed = check_signature(bundle, artifact, &key)?;

    // The transparency log.
    let entries = bundle.verification_material.tlog_entries.as_slice();
    let without_log = matches!(
        policy,
        Policy::Key {
            log: LogRequirement::Optional,
            ..
        }
    ) && entries.is_empty();
    let mut times = Vec::new();
    let log_index = if without_log {
        None
    } else {
        let [entry] = entries else {
            return Err(rejected(format!(
                "the bundle has {} transparency-log entries; exactly one is required",
                entries.len()
            )));
        };
        let rules = EntryRules {
            set: version == Version::V01,
            proof: version >= Version::V02,
        };
        let signing = Signing {
            signed: &signed,
            artifact,
            material: &material,
            key: &key,
        };
        let (index, set_time) = check_entry(entry, rules, &signing, root, now)?;
        times.extend(set_time);
        Some(index)
    };
    if let Some(data) = &bundle.verification_material.timestamp_verification_data {
        for ts in &data.rfc3161_timestamps {
            let der = base64("RFC 3161 timestamp", &ts.signed_timestamp)?;
            times.push(super::timestamp::verify(
                &der,
                &signed.signature,
                &root.timestamp_authorities,
            )?);
        }
    }

    conclude(&material, policy, root, log_index, times)
}

/// The last step, once the signature and the verified `times` are
/// established: a certificate is checked at those times against the
/// identity policy ([`check_identity`]); a key needs nothing more.
pub(super) fn conclude(
    material: &Material,
    policy: &Policy,
    root: &TrustedRoot,
    log_index: Option<u64>,
    times: Vec<u64>,
) -> Result<Verified, Error> {
    let (identity, issuer) = match (material, policy) {
        (Material::Certificate(cert), Policy::Identity { identity, issuer }) => {
            let (identity, issuer) = check_identity(cert, identity, issuer, root, &times)?;
            (Some(identity), Some(issuer))
        }
        _ => (None, None),
    };
    Ok(Verified {
        identity,
        issuer,
        log_index,
        times,
    })
}

/// The chain (issuer first) of the CA that issued `cert`, valid at every
/// verified time, with `cert` valid then too and allowed to sign code.
fn check_certificate<'r>(
    cert: &Certificate,
    root: &'r TrustedRoot,
    times: &[u64],
) -> Result<&'r [Certificate], Error> {
    if !cert.has_extended_key_usage(CODE_SIGNING) {
        return Err(rejected(
            "the signing certificate is not for code signing (no id-kp-codeSigning)",
        ));
    }
    let mut reasons = Vec::new();
    for ca in &root.certificate_authorities {
        let fits = times.iter().all(|t| ca.window.contains(*t));
        if !fits {
            reasons.push(format!("`{}`: not trusted at the signing time", ca.uri));
            continue;
        }
        match times
            .iter()
            .try_for_each(|t| super::x509::verify_chain(cert, &ca.chain, *t))
        {
            Ok(()) => return Ok(&ca.chain),
            Err(e) => reasons.push(format!("`{}`: {e}", ca.uri)),
        }
    }
    Err(rejected(format!(
        "the signing certificate does not chain to a trusted certificate authority at the \
         verified times {times:?} ({})",
        if reasons.is_empty() {
            "the trusted root has none".to_owned()
        } else {
            reasons.join("; ")
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers() {
        let id = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.0";
        // (matcher, value, matches)
        let cases: &[(Matcher, &str, bool)] = &[
            (Matcher::Exact(id.into()), id, true),
            (Matcher::Exact(id.into()), &id[1..], false),
            (Matcher::Exact("A".into()), "a", false),
            // Unanchored, as Go's `regexp.MatchString`.
            (Matcher::regex("org/repo").unwrap(), id, true),
            (Matcher::regex("^org/repo").unwrap(), id, false),
            (
                Matcher::regex(r"^https://github\.com/org/repo/.*@refs/tags/v\d+\.\d+\.\d+$")
                    .unwrap(),
                id,
                true,
            ),
            (Matcher::regex(r"@refs/heads/main$").unwrap(), id, false),
            (Matcher::regex("").unwrap(), "anything", true),
            (Matcher::regex("(?i)GITHUB").unwrap(), id, true),
            (Matcher::regex("GITHUB").unwrap(), id, false),
            // RE2's classes are ASCII.
            (Matcher::regex(r"^\w+$").unwrap(), "abc_1", true),
            (Matcher::regex(r"^\w+$").unwrap(), "δ", false),
            (Matcher::regex(r"^\d$").unwrap(), "٣", false),
            (
                Matcher::regex(r"^.+@example\.(com|org)$").unwrap(),
                "me@example.org",
                true,
            ),
            (Matcher::regex(r"a.b").unwrap(), "a\nb", false),
        ];
        for (matcher, value, expected) in cases {
            assert_eq!(matcher.matches(value), *expected, "{matcher} on `{value}`");
        }
    }

    #[test]
    fn invalid_patterns_name_the_pattern_and_the_reason() {
        for bad in ["(", "a{2,1}", "[z-a]", r"\pL", "*"] {
            let err = Matcher::regex(bad).unwrap_err();
            let Error::Malformed { what, reason } = &err else {
                panic!("{bad}: {err:?}");
            };
            assert_eq!(*what, "regular expression");
            assert!(reason.starts_with(&format!("`{bad}`: ")), "{reason}");
            assert!(reason.len() > bad.len() + 4, "{reason}");
        }
    }

    #[test]
    fn matchers_display_and_compare() {
        assert_eq!(Matcher::Exact("x".into()).to_string(), "`x`");
        assert_eq!(Matcher::regex("^a.*$").unwrap().to_string(), "/^a.*$/");
        assert_eq!(Matcher::regex("a").unwrap(), Matcher::regex("a").unwrap());
        assert_ne!(Matcher::regex("a").unwrap(), Matcher::Exact("a".into()));
        assert_ne!(Matcher::regex("a").unwrap(), Matcher::regex("b").unwrap());
    }
}
