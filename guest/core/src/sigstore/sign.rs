//! Signing with a local key, as cosign's `sign-blob --key` signs, for
//! bundles without a certificate or a transparency log: the key is read
//! from an unencrypted PEM private key (ECDSA P-256 or Ed25519), the
//! bundle (v0.3) names it by a hint and carries a message signature.
//! [`verify`](super::verify::verify) accepts such a bundle under
//! [`Policy::Key`](super::verify::Policy::Key) with
//! [`LogRequirement::Optional`](super::verify::LogRequirement::Optional).
//!
//! What is signed: a message signature is over the artifact's bytes. ECDSA
//! P-256 hashes them with SHA-256 before signing, so a P-256 key signs an
//! artifact known only by its SHA-256 ([`Artifact::Sha256`], how an OCI
//! manifest is signed) with the same result (RFC 6979 deterministic
//! ECDSA: no random numbers). Ed25519 hashes the message inside the
//! signature, so an Ed25519 key needs the bytes ([`Artifact::Bytes`], or an
//! OCI manifest's, [`Artifact::Manifest`]) and refuses a digest; the bundle
//! it makes verifies with the bytes only.

use base64::Engine as _;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, SECP_256_R_1};
use der::Decode as _;
use der::asn1::{BitStringRef, OctetStringRef};
use sha2::Digest as _;
use spki::AlgorithmIdentifierRef;

use super::Error;
use super::bundle::MEDIA_TYPE_V03;
use super::crypto::{VerifyingKey, pem_block};
use super::verify::Artifact;

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The DER prefix of a P-256 `SubjectPublicKeyInfo` (id-ecPublicKey,
/// prime256v1, a 66-byte bit string), followed by the uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// The DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410 §4),
/// followed by the 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// `PrivateKeyInfo` (RFC 5208 §5), or `OneAsymmetricKey` (RFC 5958 §2,
/// version 1, with the public key).
#[derive(Debug, der::Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct PrivateKeyInfo<'a> {
    version: u8,
    algorithm: AlgorithmIdentifierRef<'a>,
    private_key: OctetStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    attributes: Option<x509_cert::attr::Attributes>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    public_key: Option<BitStringRef<'a>>,
}

/// `ECPrivateKey` (RFC 5915 §3).
#[derive(Debug, der::Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct EcPrivateKey<'a> {
    version: u8,
    private_key: OctetStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    parameters: Option<ObjectIdentifier>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    public_key: Option<BitStringRef<'a>>,
}

/// The P-256 key of a DER `ECPrivateKey`; `curve` is the one the PKCS#8
/// wrapper names, if any.
fn p256_of_sec1(der: &[u8], curve: Option<ObjectIdentifier>) -> Result<SigningKey, Error> {
    let key = EcPrivateKey::from_der(der).map_err(|e| malformed(format!("SEC1: {e}")))?;
    if key.version != 1 {
        return Err(malformed(format!("SEC1: version {}", key.version)));
    }
    match key.parameters.or(curve) {
        Some(SECP_256_R_1) | None => {}
        Some(other) => {
            return Err(malformed(format!(
                "an ECDSA key on curve {other}; only P-256 keys sign"
            )));
        }
    }
    let secret: &[u8; 32] = key
        .private_key
        .as_bytes()
        .try_into()
        .map_err(|_| malformed("SEC1: a P-256 private key is 32 bytes"))?;
    SigningKey::p256_from_bytes(secret)
}

/// A private key that signs: ECDSA P-256 or Ed25519.
#[derive(Clone)]
pub struct SigningKey {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    P256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

/// The algorithm and the key's hint; never the private key.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("hint", &self.hint())
            .finish_non_exhaustive()
    }
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "private key",
        reason: reason.to_string(),
    }
}

/// The label of every PEM block in `text`, in order.
fn pem_labels(text: &str) -> Vec<&str> {
    text.split("-----BEGIN ")
        .skip(1)
        .filter_map(|rest| rest.split_once("-----").map(|(label, _)| label))
        .collect()
}

impl SigningKey {
    /// Reads the first private key of a PEM text: a PKCS#8 `PRIVATE KEY`
    /// (ECDSA P-256 or Ed25519, RFC 5208, RFC 8410) or a SEC1 `EC PRIVATE
    /// KEY` (P-256, RFC 5915), unencrypted, as `openssl genpkey` writes
    /// them.
    ///
    /// # Errors
    /// [`Error::Malformed`] (`what`: "private key") for an encrypted key
    /// (PKCS#8 `ENCRYPTED PRIVATE KEY`, cosign's `ENCRYPTED SIGSTORE
    /// PRIVATE KEY`), with how to export it unencrypted; a key of another
    /// algorithm or curve; no private key; DER that does not parse.
    pub fn from_pem(text: &str) -> Result<SigningKey, Error> {
        let labels = pem_labels(text);
        let Some(label) = labels.iter().find(|l| l.ends_with("PRIVATE KEY")) else {
            return Err(malformed(
                "no `-----BEGIN PRIVATE KEY-----` or `-----BEGIN EC PRIVATE KEY-----` block",
            ));
        };
        let der = pem_block(text, label)
            .ok_or_else(|| malformed(format!("the `{label}` block is not base64")))?;
        match *label {
            "PRIVATE KEY" => SigningKey::from_pkcs8_der(&der),
            "EC PRIVATE KEY" => p256_of_sec1(&der, None),
            "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => Err(malformed(
                "it is encrypted (cosign's key format), and wkg reads unencrypted keys only: \
                 make a key with `openssl genpkey -algorithm EC -pkeyopt \
                 ec_paramgen_curve:P-256 -out key.pem` (`cosign import-key-pair --key key.pem` \
                 gives cosign the same key)",
            )),
            "ENCRYPTED PRIVATE KEY" => Err(malformed(
                "it is encrypted, and wkg reads unencrypted keys only: export it unencrypted, \
                 e.g. `openssl pkcs8 -in key.pem -out plain-key.pem`",
            )),
            other => Err(malformed(format!(
                "a `{other}` is not supported (supported: PKCS#8 `PRIVATE KEY` for ECDSA P-256 \
                 or Ed25519, SEC1 `EC PRIVATE KEY` for P-256)"
            ))),
        }
    }

    /// Reads an unencrypted PKCS#8 `PrivateKeyInfo` (DER): ECDSA P-256 or
    /// Ed25519.
    ///
    /// # Errors
    /// [`Error::Malformed`] for DER that does not parse or another
    /// algorithm or curve.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, Error> {
        let info = PrivateKeyInfo::from_der(der).map_err(|e| malformed(format!("PKCS#8: {e}")))?;
        let algorithm = info.algorithm.oid;
        if algorithm == ID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|e| malformed(format!("PKCS#8: {e}")))?;
            return p256_of_sec1(info.private_key.as_bytes(), Some(curve));
        }
        if algorithm == ED25519 {
            // `CurvePrivateKey ::= OCTET STRING` (RFC 8410 §7).
            let seed = OctetStringRef::from_der(info.private_key.as_bytes())
                .map_err(|e| malformed(format!("Ed25519: {e}")))?;
            let seed: &[u8; 32] = seed
                .as_bytes()
                .try_into()
                .map_err(|_| malformed("Ed25519: a private key is 32 bytes"))?;
            return Ok(SigningKey::ed25519_from_bytes(seed));
        }
        Err(malformed(format!(
            "algorithm {algorithm} is not supported (supported: ECDSA P-256, Ed25519)"
        )))
    }

    /// A P-256 key from its 32-byte secret scalar (big-endian).
    ///
    /// # Errors
    /// [`Error::Malformed`] for zero or a value not below the group order.
    pub fn p256_from_bytes(secret: &[u8; 32]) -> Result<SigningKey, Error> {
        p256::ecdsa::SigningKey::from_bytes(secret.into())
            .map(|k| SigningKey {
                inner: Inner::P256(k),
            })
            .map_err(|e| malformed(format!("P-256: {e}")))
    }

    /// An Ed25519 key from its 32-byte seed (RFC 8032 §5.1.5).
    pub fn ed25519_from_bytes(seed: &[u8; 32]) -> SigningKey {
        SigningKey {
            inner: Inner::Ed25519(ed25519_dalek::SigningKey::from_bytes(seed)),
        }
    }

    /// `"ECDSA P-256"` or `"Ed25519"`.
    pub fn algorithm(&self) -> &'static str {
        match self.inner {
            Inner::P256(_) => "ECDSA P-256",
            Inner::Ed25519(_) => "Ed25519",
        }
    }

    /// The public key, which verifies what this key signs.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.inner {
            Inner::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            Inner::Ed25519(k) => VerifyingKey::Ed25519(k.verifying_key()),
        }
    }

    /// The public key's DER `SubjectPublicKeyInfo` (RFC 5480; RFC 8410),
    /// P-256 points uncompressed.
    pub fn public_key_der(&self) -> Vec<u8> {
        match &self.inner {
            Inner::P256(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                [&P256_SPKI_PREFIX[..], point.as_bytes()].concat()
            }
            Inner::Ed25519(k) => [&ED25519_SPKI_PREFIX[..], k.verifying_key().as_bytes()].concat(),
        }
    }

    /// The public key as a PEM `PUBLIC KEY` block (64 columns, a final
    /// line break), what `cosign verify --key` and
    /// [`VerifyingKey::from_pem`] read.
    pub fn public_key_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.public_key_der());
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// The key's hint in a bundle: base64 of the SHA-256 of its
    /// `SubjectPublicKeyInfo` DER (as cosign writes `publicKey.hint`).
    pub fn hint(&self) -> String {
        base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(self.public_key_der()))
    }

    /// A signature over `artifact` (a message signature): ECDSA P-256
    /// signs the artifact's SHA-256 (RFC 6979, DER), the same for its bytes
    /// or only its digest; Ed25519 signs the bytes (64 bytes).
    ///
    /// # Errors
    /// [`Error::Rejected`] for an Ed25519 key and [`Artifact::Sha256`]:
    /// Ed25519 cannot sign a digest so that a verifier given the artifact
    /// accepts it.
    pub fn sign(&self, artifact: &Artifact) -> Result<Vec<u8>, Error> {
        match (&self.inner, artifact) {
            (Inner::P256(k), _) => {
                use signature::hazmat::PrehashSigner as _;
                let digest = artifact.sha256();
                let signature: p256::ecdsa::Signature = k
                    .sign_prehash(&digest)
                    .map_err(|e| Error::Rejected(format!("ECDSA P-256 signing: {e}")))?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
            (Inner::Ed25519(k), Artifact::Bytes(bytes) | Artifact::Manifest(bytes)) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(bytes).to_bytes().to_vec())
            }
            (Inner::Ed25519(_), Artifact::Sha256(_)) => Err(Error::Rejected(
                "an Ed25519 key signs an artifact's bytes, not its digest only; sign the bytes \
                 or use an ECDSA P-256 key"
                    .into(),
            )),
        }
    }
}

/// The JSON of a bundle (v0.3, `application/vnd.dev.sigstore.bundle.v0.3+json`)
/// with `key`'s signature over `artifact`: `verificationMaterial.publicKey.hint`
/// (see [`SigningKey::hint`]) and a `messageSignature` with the artifact's
/// SHA-256 (`SHA2_256`) and the signature ([`SigningKey::sign`]). It has no
/// transparency-log entry: it verifies under
/// [`LogRequirement::Optional`](super::verify::LogRequirement::Optional), as
/// cosign verifies with `--insecure-ignore-tlog`.
///
/// # Errors
/// Those of [`SigningKey::sign`].
pub fn key_bundle(key: &SigningKey, artifact: &Artifact) -> Result<String, Error> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let signature = key.sign(artifact)?;
    // Every value is base64 or a constant: nothing needs escaping.
    Ok(format!(
        "{{\"mediaType\":\"{MEDIA_TYPE_V03}\",\"verificationMaterial\":{{\"publicKey\":\
         {{\"hint\":\"{}\"}}}},\"messageSignature\":{{\"messageDigest\":{{\"algorithm\":\
         \"SHA2_256\",\"digest\":\"{}\"}},\"signature\":\"{}\"}}}}",
        key.hint(),
        b64(&artifact.sha256()),
        b64(&signature)
    ))
}

#[cfg(test)]
mod tests;
