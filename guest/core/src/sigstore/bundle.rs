//! The Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, in
//! its JSON mapping): the signature or DSSE envelope, and the material
//! that verifies it (certificate or key hint, transparency-log entries,
//! RFC 3161 timestamps).

use serde::Deserialize;

use super::Error;

/// `application/vnd.dev.sigstore.bundle+json;version=0.1`.
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";
/// `application/vnd.dev.sigstore.bundle+json;version=0.2`.
pub const MEDIA_TYPE_V02: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// `application/vnd.dev.sigstore.bundle+json;version=0.3`.
pub const MEDIA_TYPE_V03_LEGACY: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// `application/vnd.dev.sigstore.bundle.v0.3+json`, also the OCI artifact
/// type of bundles attached as referrers.
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The bundle's version, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V01,
    V02,
    V03,
}

/// A parsed bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    #[serde(default)]
    pub message_signature: Option<MessageSignature>,
    #[serde(default)]
    pub dsse_envelope: Option<Envelope>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    #[serde(default)]
    pub x509_certificate_chain: Option<CertificateChain>,
    #[serde(default)]
    pub certificate: Option<RawBytes>,
    #[serde(default)]
    pub public_key: Option<PublicKeyHint>,
    #[serde(default)]
    pub tlog_entries: Vec<TlogEntry>,
    #[serde(default)]
    pub timestamp_verification_data: Option<TimestampData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CertificateChain {
    #[serde(default)]
    pub certificates: Vec<RawBytes>,
}

/// `{"rawBytes": base64}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBytes {
    pub raw_bytes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublicKeyHint {
    #[serde(default)]
    pub hint: Option<String>,
}

/// A transparency-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    /// Decimal, as protobuf's JSON writes 64-bit integers.
    pub log_index: String,
    pub log_id: LogId,
    pub kind_version: KindVersion,
    #[serde(default)]
    pub integrated_time: Option<String>,
    #[serde(default)]
    pub inclusion_promise: Option<InclusionPromise>,
    #[serde(default)]
    pub inclusion_proof: Option<InclusionProof>,
    /// Base64 of the canonicalized entry body.
    pub canonicalized_body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    pub key_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    pub log_index: String,
    pub root_hash: String,
    pub tree_size: String,
    #[serde(default)]
    pub hashes: Vec<String>,
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Checkpoint {
    pub envelope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampData {
    #[serde(default)]
    pub rfc3161_timestamps: Vec<SignedTimestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedTimestamp {
    /// Base64 of a DER `TimeStampResp` or `TimeStampToken`.
    pub signed_timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    #[serde(default)]
    pub message_digest: Option<MessageDigest>,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessageDigest {
    pub algorithm: String,
    pub digest: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload: String,
    pub payload_type: String,
    #[serde(default)]
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EnvelopeSignature {
    pub sig: String,
    #[serde(default)]
    pub keyid: Option<String>,
}

impl Bundle {
    /// Parses a bundle.
    ///
    /// # Errors
    /// [`Error::Malformed`] for JSON of another shape, an unknown media
    /// type, neither or both of a message signature and an envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, Error> {
        let bundle: Bundle = crate::json::from_object(bytes).map_err(|e| Error::Malformed {
            what: "bundle",
            reason: e.to_string(),
        })?;
        bundle.version()?;
        match (&bundle.message_signature, &bundle.dsse_envelope) {
            (Some(_), None) | (None, Some(_)) => Ok(bundle),
            _ => Err(Error::Malformed {
                what: "bundle",
                reason: "it must hold either a `messageSignature` or a `dsseEnvelope`".into(),
            }),
        }
    }

    /// The version its media type names.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an unknown media type.
    pub fn version(&self) -> Result<Version, Error> {
        match self.media_type.as_str() {
            MEDIA_TYPE_V01 => Ok(Version::V01),
            MEDIA_TYPE_V02 => Ok(Version::V02),
            MEDIA_TYPE_V03 | MEDIA_TYPE_V03_LEGACY => Ok(Version::V03),
            other => Err(Error::Malformed {
                what: "bundle",
                reason: format!(
                    "unknown media type `{other}` (known: v0.1, v0.2, v0.3, e.g. `{MEDIA_TYPE_V03}`)"
                ),
            }),
        }
    }
}
