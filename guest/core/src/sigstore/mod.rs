//! Sigstore bundle verification, pure: the bundle (protobuf-specs
//! `Bundle`, media types v0.1 to v0.3), the trusted root, and every check
//! between them, as the Sigstore client specification and the conformance
//! suite define them. No I/O: the caller hands in the bundle, the trusted
//! root, the artifact (or its digest), the policy and the time.
//!
//! Modules, from the bottom: [`crypto`] (keys, signatures), [`x509`]
//! (certificates and chains), [`merkle`] (RFC 6962 inclusion proofs),
//! [`checkpoint`] (signed notes), [`timestamp`] (RFC 3161), [`sct`]
//! (certificate transparency), [`bundle`] and [`trust`] (the documents),
//! [`rekor`] (transparency-log entries), [`verify`] (the whole check);
//! [`sign`] signs with a local key; [`cosign`] checks cosign's legacy
//! signatures of container images.

pub mod bundle;
pub mod checkpoint;
pub mod cosign;
pub mod crypto;
pub mod merkle;
pub mod rekor;
pub mod sct;
pub mod sign;
pub mod timestamp;
pub mod trust;
pub mod verify;
pub mod x509;

/// Why a bundle does not verify. Every refusal names what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bundle, trusted root, certificate, key or log entry that does not
    /// parse.
    #[error("invalid {what}: {reason}")]
    Malformed {
        /// What it is.
        what: &'static str,
        /// Why it does not parse.
        reason: String,
    },
    /// A check that failed.
    #[error("{0}")]
    Rejected(String),
}

/// Base64 (standard alphabet, padding as written) of a JSON field; line
/// breaks and other white space are skipped, as Go's and Python's
/// decoders skip them (some bundles wrap long values at 76 columns).
pub(crate) fn base64(what: &'static str, text: &str) -> Result<Vec<u8>, Error> {
    use base64::Engine as _;
    let compact: String;
    let text = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        compact = text.split_ascii_whitespace().collect();
        &compact
    } else {
        text
    };
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| Error::Malformed {
            what,
            reason: format!("not base64: {e}"),
        })
}
