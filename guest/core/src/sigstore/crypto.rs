//! Public keys and signatures as Sigstore uses them: ECDSA on P-256 and
//! P-384 (DER signatures), Ed25519, and RSA PKCS#1 v1.5, read from
//! `SubjectPublicKeyInfo` DER or PEM (RFC 5280 §4.1.2.7, RFC 8410).

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1};
use der::Decode;
use sha2::Digest as _;
use signature::Verifier as _;
use signature::hazmat::PrehashVerifier as _;
use spki::SubjectPublicKeyInfoRef;

use super::Error;

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A hash function a signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The digest of `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }
}

/// The curve of an ECDSA key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
}

/// What an ECDSA signature is made over, as an offloaded check gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed<'a> {
    /// The message itself (the checker hashes it).
    Message(&'a [u8]),
    /// The message's hash only (ECDSA over a prehash).
    Digest(&'a [u8]),
}

/// An ECDSA check made elsewhere (the native host, through
/// `wkg:host/signatures`): given the curve, the hash, the key's SEC1 point,
/// what was signed and the DER signature, whether it verifies; `None` to
/// check here.
pub type Offload = fn(Curve, Hash, &[u8], Signed<'_>, &[u8]) -> Option<bool>;

static OFFLOAD: std::sync::OnceLock<Offload> = std::sync::OnceLock::new();

/// Hands ECDSA checks to `offload` from now on (once per process; the
/// first call wins). It must answer as [`verify_ecdsa`] does for the
/// message's digest.
pub fn offload_ecdsa(offload: Offload) {
    let _ = OFFLOAD.set(offload);
}

/// The offloaded check of `signed` by the ECDSA `key`, if a host made it.
/// A signature that is no DER `ECDSA-Sig-Value` for the key's curve is
/// refused here, before any host sees it, as the local check refuses it.
fn offloaded(
    key: &VerifyingKey,
    hash: Hash,
    signed: Signed<'_>,
    signature: &[u8],
) -> Result<Option<bool>, Error> {
    let Some(offload) = OFFLOAD.get() else {
        return Ok(None);
    };
    check_der(key, signature)?;
    Ok(match key {
        VerifyingKey::P256(key) => offload(
            Curve::P256,
            hash,
            key.to_encoded_point(false).as_bytes(),
            signed,
            signature,
        ),
        VerifyingKey::P384(key) => offload(
            Curve::P384,
            hash,
            key.to_encoded_point(false).as_bytes(),
            signed,
            signature,
        ),
        _ => None,
    })
}

/// Whether `signature` (DER) by the SEC1 `point` on `curve` is valid over
/// the message whose hash is `digest` (ECDSA over a prehash): the check
/// [`VerifyingKey::verify_digest`] makes, as one function for a host to
/// run natively.
pub fn verify_ecdsa(curve: Curve, point: &[u8], digest: &[u8], signature: &[u8]) -> bool {
    match curve {
        Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok_and(|key| {
            p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
        }),
        Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok_and(|key| {
            p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
        }),
    }
}

/// A key that verifies signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

fn malformed(what: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what,
        reason: reason.to_string(),
    }
}

impl VerifyingKey {
    /// The key of a DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`Error::Malformed`] for DER that does not parse, or a key of
    /// another kind (curve, algorithm).
    pub fn from_spki_der(der: &[u8]) -> Result<VerifyingKey, Error> {
        let spki =
            SubjectPublicKeyInfoRef::from_der(der).map_err(|e| malformed("public key", e))?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed("public key", "unused bits in the key"))?;
        let algorithm = spki.algorithm.oid;
        if algorithm == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|e| malformed("public key", e))?;
            return match curve {
                SECP_256_R_1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(VerifyingKey::P256)
                    .map_err(|e| malformed("P-256 public key", e)),
                SECP_384_R_1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(VerifyingKey::P384)
                    .map_err(|e| malformed("P-384 public key", e)),
                other => Err(malformed(
                    "public key",
                    format!("unsupported curve {other}"),
                )),
            };
        }
        if algorithm == ED25519 {
            let bytes: [u8; 32] = bits
                .try_into()
                .map_err(|_| malformed("Ed25519 public key", "not 32 bytes"))?;
            return ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map(VerifyingKey::Ed25519)
                .map_err(|e| malformed("Ed25519 public key", e));
        }
        if algorithm == RSA_ENCRYPTION {
            use rsa::pkcs1::DecodeRsaPublicKey as _;
            return rsa::RsaPublicKey::from_pkcs1_der(bits)
                .map(VerifyingKey::Rsa)
                .map_err(|e| malformed("RSA public key", e));
        }
        Err(malformed(
            "public key",
            format!("unsupported algorithm {algorithm}"),
        ))
    }

    /// The key of a PEM `PUBLIC KEY` block (the first one).
    ///
    /// # Errors
    /// [`Error::Malformed`].
    pub fn from_pem(text: &str) -> Result<VerifyingKey, Error> {
        let der = pem_block(text, "PUBLIC KEY")
            .ok_or_else(|| malformed("public key", "no `-----BEGIN PUBLIC KEY-----` block"))?;
        VerifyingKey::from_spki_der(&der)
    }

    /// The hash a signature by this key is made over when nothing else
    /// says: SHA-256, SHA-384 for P-384, SHA-512 inside Ed25519.
    pub fn default_hash(&self) -> Hash {
        match self {
            VerifyingKey::P384(_) => Hash::Sha384,
            VerifyingKey::Ed25519(_) => Hash::Sha512,
            _ => Hash::Sha256,
        }
    }

    /// Checks `signature` over `message`, hashed with `hash` (ECDSA: a DER
    /// signature; Ed25519: 64 bytes, `hash` ignored; RSA: PKCS#1 v1.5).
    ///
    /// # Errors
    /// [`Error::Rejected`] when it does not verify.
    pub fn verify(&self, message: &[u8], signature: &[u8], hash: Hash) -> Result<(), Error> {
        if let VerifyingKey::Ed25519(key) = self {
            let sig = ed25519_dalek::Signature::from_slice(signature)
                .map_err(|e| Error::Rejected(format!("invalid Ed25519 signature: {e}")))?;
            return key
                .verify(message, &sig)
                .map_err(|_| Error::Rejected("the Ed25519 signature does not verify".into()));
        }
        match offloaded(self, hash, Signed::Message(message), signature)? {
            Some(true) => Ok(()),
            Some(false) => Err(ecdsa_rejected(self)),
            // The host does not check: here, without asking it again.
            None => self.verify_digest_here(&hash.digest(message), signature, hash),
        }
    }

    /// Checks `signature` over a message whose `hash` is `digest` (not for
    /// Ed25519, which signs messages only).
    ///
    /// # Errors
    /// [`Error::Rejected`].
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8], hash: Hash) -> Result<(), Error> {
        match offloaded(self, hash, Signed::Digest(digest), signature)? {
            Some(true) => Ok(()),
            Some(false) => Err(ecdsa_rejected(self)),
            None => self.verify_digest_here(digest, signature, hash),
        }
    }

    /// [`VerifyingKey::verify_digest`] with this crate's own arithmetic.
    fn verify_digest_here(&self, digest: &[u8], signature: &[u8], hash: Hash) -> Result<(), Error> {
        match self {
            VerifyingKey::P256(key) => {
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|e| Error::Rejected(format!("invalid ECDSA signature: {e}")))?;
                key.verify_prehash(digest, &sig)
                    .map_err(|_| ecdsa_rejected(self))
            }
            VerifyingKey::P384(key) => {
                let sig = p384::ecdsa::Signature::from_der(signature)
                    .map_err(|e| Error::Rejected(format!("invalid ECDSA signature: {e}")))?;
                key.verify_prehash(digest, &sig)
                    .map_err(|_| ecdsa_rejected(self))
            }
            VerifyingKey::Rsa(key) => {
                let scheme = match hash {
                    Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                key.verify(scheme, digest, signature)
                    .map_err(|_| Error::Rejected("the RSA signature does not verify".into()))
            }
            VerifyingKey::Ed25519(_) => Err(Error::Rejected(
                "an Ed25519 key cannot verify a signature over a digest only".into(),
            )),
        }
    }
}

/// An ECDSA signature that is no DER `ECDSA-Sig-Value` for the key's
/// curve is refused before any arithmetic, here or offloaded.
fn check_der(key: &VerifyingKey, signature: &[u8]) -> Result<(), Error> {
    let parsed = match key {
        VerifyingKey::P256(_) => p256::ecdsa::Signature::from_der(signature).map(drop),
        VerifyingKey::P384(_) => p384::ecdsa::Signature::from_der(signature).map(drop),
        _ => Ok(()),
    };
    parsed.map_err(|e| Error::Rejected(format!("invalid ECDSA signature: {e}")))
}

fn ecdsa_rejected(key: &VerifyingKey) -> Error {
    let kind = match key {
        VerifyingKey::P384(_) => "ECDSA P-384",
        _ => "ECDSA P-256",
    };
    Error::Rejected(format!("the {kind} signature does not verify"))
}

/// The bytes of the first PEM block labelled `label`.
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Every PEM block labelled `label`, in order.
pub fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(block) = pem_block(rest, label) {
        out.push(block);
        match rest.find(&end) {
            Some(at) => rest = &rest[at + end.len()..],
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_read_in_order() {
        let text = "x\n-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n\
                    -----BEGIN PUBLIC KEY-----\nAwQ=\n-----END PUBLIC KEY-----\n";
        assert_eq!(pem_blocks(text, "PUBLIC KEY"), [vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(pem_block("nothing", "PUBLIC KEY"), None);
        assert!(matches!(
            VerifyingKey::from_pem("nothing"),
            Err(Error::Malformed { .. })
        ));
    }
}
