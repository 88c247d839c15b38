//! RFC 3161 timestamps as Sigstore uses them: a timestamp authority (TSA)
//! signs the hash of the bundle's signature with the time it saw it, and
//! that time, once verified against a TSA of the trusted root, is when
//! the signing certificate must have been valid.
//!
//! A bundle's `signedTimestamp` is a DER `TimeStampResp` (RFC 3161
//! §2.4.2) or a bare `TimeStampToken`: a CMS `ContentInfo` holding
//! `SignedData` (RFC 5652) over a `TSTInfo`. [`verify`] checks the
//! response status, the `TSTInfo` and its message imprint, the signed
//! attributes and the signature, then the signing certificate against
//! the timestamp authorities; it returns the verified `genTime`.
//!
//! What it does not check, the caller's part: that the time lies within
//! the validity of the bundle's signing certificate, and the nonce and
//! policy (a bundle carries no request to compare them with).

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef, IntRef, OctetStringRef, Utf8StringRef};
use der::{
    Choice, Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence,
    SliceReader, Tag, TagNumber, Tagged, Writer,
};
use spki::AlgorithmIdentifierRef;
use x509_cert::attr::Attributes;
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use super::Error;
use super::crypto::{Hash, VerifyingKey};
use super::trust::Authority;
use super::x509::{self, Certificate};

/// `id-signedData`.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-ct-TSTInfo`.
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-contentType`.
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest`.
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-aa-signingCertificateV2` (RFC 5035).
const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
/// `id-ce-subjectKeyIdentifier`.
const SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken
/// TimeStampToken OPTIONAL }`.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct TimeStampResp<'a> {
    status: PkiStatusInfo<'a>,
    #[asn1(optional = "true")]
    time_stamp_token: Option<ContentInfo<'a>>,
}

/// `PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString
/// PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }`.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct PkiStatusInfo<'a> {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<Utf8StringRef<'a>>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitStringRef<'a>>,
}

/// `ContentInfo ::= SEQUENCE { contentType ContentType, content [0]
/// EXPLICIT ANY DEFINED BY contentType }`.
#[derive(Debug, Sequence)]
struct ContentInfo<'a> {
    content_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: AnyRef<'a>,
}

/// `TSTInfo` (RFC 3161 §2.4.2).
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct TstInfo<'a> {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint<'a>,
    serial_number: IntRef<'a>,
    /// A `GeneralizedTime`, read here: RFC 3161 allows fractions of a
    /// second, which `der`'s type refuses.
    gen_time: AnyRef<'a>,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy<'a>>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<IntRef<'a>>,
    /// `[0] GeneralName`: a CHOICE, so explicitly tagged.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<AnyRef<'a>>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
/// hashedMessage OCTET STRING }`.
#[derive(Debug, Sequence)]
struct MessageImprint<'a> {
    hash_algorithm: AlgorithmIdentifierRef<'a>,
    hashed_message: OctetStringRef<'a>,
}

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER
/// (1..999) OPTIONAL, micros [1] INTEGER (1..999) OPTIONAL }`.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct Accuracy<'a> {
    #[asn1(optional = "true")]
    seconds: Option<IntRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<u16>,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
/// policies SEQUENCE OF PolicyInformation OPTIONAL }`.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct SigningCertificateV2<'a> {
    certs: Vec<EssCertIdV2<'a>>,
    #[asn1(optional = "true")]
    policies: Option<AnyRef<'a>>,
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT
/// sha256, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }`.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct EssCertIdV2<'a> {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierRef<'a>>,
    cert_hash: OctetStringRef<'a>,
    #[asn1(optional = "true")]
    issuer_serial: Option<AnyRef<'a>>,
}

/// A `SET` (or `SET OF`) kept as its raw content octets: parsed lazily,
/// or not at all.
#[derive(Clone, Copy, Debug)]
struct RawSet<'a>(&'a [u8]);

impl FixedTag for RawSet<'_> {
    const TAG: Tag = Tag::Set;
}

impl<'a> DecodeValue<'a> for RawSet<'a> {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_slice(header.length).map(RawSet)
    }
}

impl EncodeValue for RawSet<'_> {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0)
    }
}

/// `SignedData` (RFC 5652 §5.1), only as far as a timestamp needs it:
/// the digest algorithms, certificates and CRLs are kept raw.
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct SignedData<'a> {
    version: u8,
    digest_algorithms: RawSet<'a>,
    encap_content_info: EncapsulatedContentInfo<'a>,
    /// `CertificateSet`, read certificate by certificate.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    certificates: Option<RawSet<'a>>,
    /// `RevocationInfoChoices`, never read.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    crls: Option<RawSet<'a>>,
    /// `SET OF SignerInfo`, read signer by signer.
    signer_infos: RawSet<'a>,
}

/// `EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType,
/// eContent [0] EXPLICIT OCTET STRING OPTIONAL }`.
#[derive(Debug, Sequence)]
struct EncapsulatedContentInfo<'a> {
    econtent_type: ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    econtent: Option<AnyRef<'a>>,
}

/// `SignerInfo` (RFC 5652 §5.3).
#[derive(Debug, Sequence)]
#[allow(dead_code)] // every field parsed, so the DER is checked; not all read
struct SignerInfo<'a> {
    version: u8,
    sid: SignerIdentifier<'a>,
    digest_alg: AlgorithmIdentifierRef<'a>,
    /// `SignedAttributes`, kept raw: the signature is over their encoding.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    signed_attrs: Option<RawSet<'a>>,
    signature_algorithm: AlgorithmIdentifierRef<'a>,
    signature: OctetStringRef<'a>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    unsigned_attrs: Option<RawSet<'a>>,
}

/// `SignerIdentifier ::= CHOICE { issuerAndSerialNumber
/// IssuerAndSerialNumber, subjectKeyIdentifier [0] SubjectKeyIdentifier }`.
#[derive(Debug, Choice)]
enum SignerIdentifier<'a> {
    IssuerAndSerialNumber(IssuerAndSerialNumber),
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    SubjectKeyIdentifier(OctetStringRef<'a>),
}

/// `IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber
/// CertificateSerialNumber }`.
#[derive(Debug, Sequence)]
struct IssuerAndSerialNumber {
    issuer: Name,
    serial_number: SerialNumber,
}

/// A signer with its signed attributes, both as signed and parsed.
#[derive(Debug)]
struct Signer<'a> {
    info: SignerInfo<'a>,
    /// The signed attributes re-tagged as a `SET OF` (what was signed)
    /// and parsed.
    signed_attrs: Option<(Vec<u8>, Attributes)>,
}

/// The parsed parts of a `SignedData`: every signer and every embedded
/// X.509 certificate.
fn parse_signed_data<'a>(
    signed_data: &SignedData<'a>,
) -> Result<(Vec<Signer<'a>>, Vec<Certificate>), Error> {
    const MAX_VERSION: u8 = 5; // CMSVersion ::= INTEGER { v0(0) .. v5(5) }
    if signed_data.version > MAX_VERSION {
        return Err(malformed(format!(
            "SignedData version {} is not a CMSVersion",
            signed_data.version
        )));
    }
    let mut signers = Vec::new();
    let mut r = SliceReader::new(signed_data.signer_infos.0).map_err(malformed)?;
    while !r.is_finished() {
        let info = SignerInfo::decode(&mut r).map_err(malformed)?;
        if info.version > MAX_VERSION {
            return Err(malformed(format!(
                "SignerInfo version {} is not a CMSVersion",
                info.version
            )));
        }
        let signed_attrs = match info.signed_attrs {
            None => None,
            Some(RawSet(value)) => {
                let mut der = Vec::with_capacity(value.len() + 6);
                Header::new(Tag::Set, value.len())
                    .and_then(|h| h.encode_to_vec(&mut der))
                    .map_err(malformed)?;
                der.extend_from_slice(value);
                let attrs = Attributes::from_der(&der).map_err(malformed)?;
                Some((der, attrs))
            }
        };
        signers.push(Signer { info, signed_attrs });
    }
    let mut certificates = Vec::new();
    if let Some(RawSet(set)) = signed_data.certificates {
        let mut r = SliceReader::new(set).map_err(malformed)?;
        while !r.is_finished() {
            let tag = r.peek_tag().map_err(malformed)?;
            let der = r.tlv_bytes().map_err(malformed)?;
            if tag == Tag::Sequence {
                certificates.push(Certificate::from_der(der)?);
            } else if tag != context_tag(3) {
                // `[3] OtherCertificateFormat` is skipped, the obsolete
                // and attribute certificates refused (as `cms` did).
                return Err(malformed(format!(
                    "a {tag} in the certificates, not a Certificate"
                )));
            }
        }
    }
    Ok((signers, certificates))
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "RFC 3161 timestamp",
        reason: reason.to_string(),
    }
}

fn rejected(reason: impl std::fmt::Display) -> Error {
    Error::Rejected(format!("RFC 3161 timestamp: {reason}"))
}

/// The hash function of a digest algorithm identifier.
fn hash_of(oid: ObjectIdentifier, what: &str) -> Result<Hash, Error> {
    match oid {
        SHA256 => Ok(Hash::Sha256),
        SHA384 => Ok(Hash::Sha384),
        SHA512 => Ok(Hash::Sha512),
        other => Err(rejected(format!(
            "unsupported {what} hash algorithm {other} (SHA-256, SHA-384 or SHA-512 only)"
        ))),
    }
}

/// `GeneralizedTime` content, `YYYYMMDDHHMMSS[.fff]Z`, in Unix seconds
/// (fractions dropped).
fn parse_gen_time(any: AnyRef<'_>) -> Result<u64, Error> {
    if any.tag() != Tag::GeneralizedTime {
        return Err(malformed(format!(
            "genTime is a {}, not a GeneralizedTime",
            any.tag()
        )));
    }
    let text = std::str::from_utf8(any.value()).map_err(|_| malformed("genTime is not text"))?;
    let bad = || malformed(format!("genTime `{text}` is not `YYYYMMDDHHMMSS[.f]Z`"));
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if whole.len() != 14
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &whole[0..4],
        &whole[4..6],
        &whole[6..8],
        &whole[8..10],
        &whole[10..12],
        &whole[12..14]
    );
    super::trust::parse_rfc3339(&rfc3339).map_err(|_| bad())
}

fn context_tag(number: u8) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::new(number),
    }
}

/// The one value of the signed attribute `oid`.
fn signed_attribute<'a>(
    attrs: &'a Attributes,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<Option<&'a der::Any>, Error> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(rejected(format!("more than one {name} signed attribute")));
    }
    let mut values = attr.values.iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(Some(value)),
        _ => Err(rejected(format!(
            "the {name} signed attribute must hold exactly one value"
        ))),
    }
}

/// Whether `cert` is the one `sid` names.
fn identifies(sid: &SignerIdentifier<'_>, cert: &Certificate) -> bool {
    let tbs = &cert.inner().tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            id.issuer == tbs.issuer && id.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .extension(SUBJECT_KEY_IDENTIFIER)
            .and_then(|v| OctetStringRef::from_der(v).ok())
            .is_some_and(|id| id.as_bytes() == ski.as_bytes()),
    }
}

/// A timestamp parsed and checked as far as it goes without a
/// certificate.
#[derive(Debug)]
struct Token<'a> {
    gen_time: u64,
    signer: &'a SignerInfo<'a>,
    /// The signed attributes, re-tagged as a `SET OF` (what was signed).
    signed_attrs: &'a [u8],
    /// The embedded certificate the signer identifier names.
    embedded: Option<Certificate>,
    /// `id-aa-signingCertificateV2`'s first certificate hash.
    cert_hash: Option<(Hash, Vec<u8>)>,
}

/// Checks that `leaf` made the token's signature.
fn check_signature(token: &Token<'_>, leaf: &Certificate) -> Result<(), String> {
    let subject = leaf.subject_name();
    if let Some((hash, expected)) = &token.cert_hash
        && hash.digest(leaf.der()) != *expected
    {
        return Err(format!(
            "the signing-certificate attribute does not name `{subject}`"
        ));
    }
    let info = token.signer;
    let digest = hash_of(info.digest_alg.oid, "signer digest").map_err(|e| e.to_string())?;
    let algorithm = info.signature_algorithm.oid;
    let (ecdsa, hash) = match algorithm {
        ECDSA_SHA256 => (true, Hash::Sha256),
        ECDSA_SHA384 => (true, Hash::Sha384),
        ECDSA_SHA512 => (true, Hash::Sha512),
        EC_PUBLIC_KEY => (true, digest),
        RSA_SHA256 => (false, Hash::Sha256),
        RSA_SHA384 => (false, Hash::Sha384),
        RSA_SHA512 => (false, Hash::Sha512),
        RSA_ENCRYPTION => (false, digest),
        other => {
            return Err(format!(
                "unsupported signature algorithm {other} (ECDSA or RSA PKCS#1 v1.5 only)"
            ));
        }
    };
    let key = leaf.public_key().map_err(|e| e.to_string())?;
    let fits = match key {
        VerifyingKey::P256(_) | VerifyingKey::P384(_) => ecdsa,
        VerifyingKey::Rsa(_) => !ecdsa,
        VerifyingKey::Ed25519(_) => false,
    };
    if !fits {
        return Err(format!(
            "the key of `{subject}` does not fit the signature algorithm {algorithm}"
        ));
    }
    key.verify(token.signed_attrs, info.signature.as_bytes(), hash)
        .map_err(|e| format!("the signature by `{subject}`: {e}"))
}

/// Checks the signing certificate against `authority`: the chain, the
/// validity at `genTime`, the EKU and the authority's window.
fn check_authority(token: &Token<'_>, authority: &Authority) -> Result<(), String> {
    let gen_time = token.gen_time;
    let pinned = authority
        .chain
        .first()
        .ok_or("the authority has no certificates")?;
    let (leaf, rest) = match &token.embedded {
        Some(leaf) if leaf.der() == pinned.der() => (leaf, &authority.chain[1..]),
        // An authority of CA certificates only: the embedded leaf chains
        // to them.
        Some(leaf) if pinned.is_ca() => (leaf, &authority.chain[..]),
        Some(leaf) => {
            return Err(format!(
                "the signing certificate `{}` is not the authority's `{}`",
                leaf.subject_name(),
                pinned.subject_name()
            ));
        }
        None if pinned.is_ca() => {
            return Err(
                "the token embeds no signing certificate and the authority's chain holds no leaf"
                    .into(),
            );
        }
        None => {
            if !identifies(&token.signer.sid, pinned) {
                return Err(format!(
                    "the signer is not the authority's certificate `{}`",
                    pinned.subject_name()
                ));
            }
            check_signature(token, pinned)?;
            (pinned, &authority.chain[1..])
        }
    };
    let subject = leaf.subject_name();
    if rest.is_empty() {
        // The authority's only certificate, trusted as it is.
        if !leaf.valid_at(gen_time) {
            let (from, to) = leaf.validity();
            return Err(format!(
                "certificate `{subject}` is valid from {from} to {to} (Unix seconds), not at genTime {gen_time}"
            ));
        }
    } else {
        x509::verify_chain(leaf, rest, gen_time).map_err(|e| e.to_string())?;
    }
    if !leaf.has_extended_key_usage(x509::TIME_STAMPING) {
        return Err(format!(
            "certificate `{subject}` lacks the id-kp-timeStamping extended key usage"
        ));
    }
    if !authority.window.contains(gen_time) {
        let bound = |b: Option<u64>| b.map_or_else(|| "open".to_owned(), |t| t.to_string());
        return Err(format!(
            "genTime {gen_time} lies outside the authority's validity ({} to {}, Unix seconds)",
            bound(authority.window.start),
            bound(authority.window.end)
        ));
    }
    Ok(())
}

/// Verifies an RFC 3161 timestamp over `signature` and returns its
/// `genTime` in Unix seconds.
///
/// `signed_timestamp` is the DER a bundle carries: a `TimeStampResp` or
/// a bare `TimeStampToken`. `signature` is what the timestamp's message
/// imprint must be the hash of (for Sigstore, the bundle's signature
/// bytes). The token's signing certificate is the embedded one its
/// signer identifier names, else an authority's own; it must chain to
/// one of `authorities`, be valid at `genTime` and allow time stamping,
/// and `genTime` must lie within that authority's window.
///
/// The caller still checks `genTime` against the validity of the
/// bundle's signing certificate.
///
/// # Errors
/// [`Error::Malformed`] for DER that does not parse; [`Error::Rejected`]
/// naming the check that failed (for the authorities, every one's reason).
pub fn verify(
    signed_timestamp: &[u8],
    signature: &[u8],
    authorities: &[Authority],
) -> Result<u64, Error> {
    // A `TimeStampResp` opens with the status SEQUENCE, a `ContentInfo`
    // with its OID.
    let outer = AnyRef::from_der(signed_timestamp).map_err(malformed)?;
    let token = match outer.value().first() {
        Some(0x30) => {
            let resp = TimeStampResp::from_der(signed_timestamp).map_err(malformed)?;
            let status = &resp.status;
            if status.status > 1 {
                let text: Vec<String> = status
                    .status_string
                    .iter()
                    .flatten()
                    .map(|s| s.to_string())
                    .collect();
                return Err(rejected(format!(
                    "the response's status is {} (not granted){}",
                    status.status,
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", text.join("; "))
                    }
                )));
            }
            resp.time_stamp_token
                .ok_or_else(|| rejected("the response is granted but holds no token"))?
        }
        Some(0x06) => ContentInfo::from_der(signed_timestamp).map_err(malformed)?,
        _ => {
            return Err(malformed("neither a TimeStampResp nor a TimeStampToken"));
        }
    };
    if token.content_type != SIGNED_DATA {
        return Err(rejected(format!(
            "the token's content type is {}, not SignedData",
            token.content_type
        )));
    }
    let signed_data = token
        .content
        .decode_as::<SignedData<'_>>()
        .map_err(malformed)?;
    let (signers, certificates) = parse_signed_data(&signed_data)?;

    // The TSTInfo and its message imprint.
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != TST_INFO {
        return Err(rejected(format!(
            "the signed content type is {}, not id-ct-TSTInfo",
            encap.econtent_type
        )));
    }
    let tst_der = match &encap.econtent {
        Some(any) if any.tag() == Tag::OctetString => any.value(),
        Some(_) => return Err(malformed("the TSTInfo is not in an OCTET STRING")),
        None => return Err(rejected("the token holds no TSTInfo")),
    };
    let tst = TstInfo::from_der(tst_der).map_err(malformed)?;
    if tst.version != 1 {
        return Err(rejected(format!("TSTInfo version {}, not 1", tst.version)));
    }
    let gen_time = parse_gen_time(tst.gen_time)?;
    let imprint = &tst.message_imprint;
    let imprint_hash = hash_of(imprint.hash_algorithm.oid, "message imprint")?;
    if imprint_hash.digest(signature) != imprint.hashed_message.as_bytes() {
        return Err(rejected(
            "the message imprint is not the hash of the signature (a timestamp of something else)",
        ));
    }

    // The signer and its signed attributes.
    let [
        Signer {
            info: signer,
            signed_attrs,
        },
    ] = signers.as_slice()
    else {
        return Err(rejected(format!(
            "{} signers, not exactly one",
            signers.len()
        )));
    };
    let (signed_attrs, attrs) = signed_attrs
        .as_ref()
        .ok_or_else(|| rejected("the signer has no signed attributes"))?;
    let digest = hash_of(signer.digest_alg.oid, "signer digest")?;
    let content_type = signed_attribute(attrs, CONTENT_TYPE, "content-type")?
        .ok_or_else(|| rejected("no content-type signed attribute"))?;
    if content_type
        .decode_as::<ObjectIdentifier>()
        .map_err(malformed)?
        != TST_INFO
    {
        return Err(rejected(
            "the content-type signed attribute is not id-ct-TSTInfo",
        ));
    }
    let message_digest = signed_attribute(attrs, MESSAGE_DIGEST, "message-digest")?
        .ok_or_else(|| rejected("no message-digest signed attribute"))?;
    if message_digest
        .decode_as::<OctetStringRef<'_>>()
        .map_err(malformed)?
        .as_bytes()
        != digest.digest(tst_der)
    {
        return Err(rejected(
            "the message-digest signed attribute is not the hash of the TSTInfo",
        ));
    }
    let cert_hash = match signed_attribute(attrs, SIGNING_CERTIFICATE_V2, "signing-certificate-v2")?
    {
        None => None,
        Some(value) => {
            let v2 = value
                .decode_as::<SigningCertificateV2<'_>>()
                .map_err(malformed)?;
            let first = v2.certs.first().ok_or_else(|| {
                rejected("the signing-certificate-v2 attribute names no certificate")
            })?;
            let hash = match &first.hash_algorithm {
                Some(alg) => hash_of(alg.oid, "signing-certificate")?,
                None => Hash::Sha256,
            };
            Some((hash, first.cert_hash.as_bytes().to_vec()))
        }
    };

    // The embedded certificate the signer names, if any.
    let embedded = certificates
        .into_iter()
        .find(|cert| identifies(&signer.sid, cert));
    let token = Token {
        gen_time,
        signer,
        signed_attrs,
        embedded,
        cert_hash,
    };
    if let Some(leaf) = &token.embedded {
        check_signature(&token, leaf).map_err(rejected)?;
    }

    if authorities.is_empty() {
        return Err(rejected("the trusted root has no timestamp authorities"));
    }
    let mut reasons = Vec::new();
    for authority in authorities {
        match check_authority(&token, authority) {
            Ok(()) => return Ok(gen_time),
            Err(e) => reasons.push(format!("`{}`: {e}", authority.uri)),
        }
    }
    Err(Error::Rejected(format!(
        "RFC 3161 timestamp: no trusted timestamp authority accepts it ({})",
        reasons.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigstore::bundle::Bundle;
    use crate::sigstore::trust::TrustedRoot;

    const CASES: &str = "/work/shared/sigstore-conformance/assets/bundle-verify";

    /// A case's timestamp, signature bytes, authorities and bundle.
    fn case(name: &str) -> (Vec<u8>, Vec<u8>, Vec<Authority>, Bundle) {
        let dir = std::path::Path::new(CASES).join(name);
        let bundle =
            Bundle::from_json(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap()).unwrap();
        let root = match std::fs::read(dir.join("trusted_root.json")) {
            Ok(bytes) => bytes,
            Err(_) => {
                std::fs::read(std::path::Path::new(CASES).join("../trusted_root.production.json"))
                    .unwrap()
            }
        };
        let root = TrustedRoot::from_json(&root).unwrap();
        let data = bundle
            .verification_material
            .timestamp_verification_data
            .as_ref()
            .unwrap();
        // One case's base64 is wrapped at 76 columns (as `base64` writes
        // it); Go's and Python's decoders skip the newlines.
        let text: String = data.rfc3161_timestamps[0]
            .signed_timestamp
            .split_whitespace()
            .collect();
        let ts = crate::sigstore::base64("timestamp", &text).unwrap();
        let sig = match (&bundle.message_signature, &bundle.dsse_envelope) {
            (Some(m), _) => &m.signature,
            (None, Some(e)) => &e.signatures[0].sig,
            (None, None) => unreachable!(),
        };
        let sig = crate::sigstore::base64("signature", sig).unwrap();
        (ts, sig, root.timestamp_authorities, bundle)
    }

    fn available() -> bool {
        if std::path::Path::new(CASES).is_dir() {
            return true;
        }
        eprintln!("skipped: the conformance cases are not at {CASES}");
        false
    }

    #[test]
    fn conformance_cases_that_verify() {
        if !available() {
            return;
        }
        for (name, time) in [
            ("rekor2-happy-path", "2025-06-12T12:02:20Z"),
            (
                "rekor2-timestamp-with-embedded-cert",
                "2025-08-06T18:51:36Z",
            ),
            ("rekor2-timestamp-without-embedded-cert", ""),
            ("rekor2-timestamp-with-expired-cert-chain", ""),
            ("managed-key-happy-path", "2025-12-18T17:04:39Z"),
            ("rekor2-dsse-happy-path", ""),
            // genTime is exactly the end of the authority's window.
            (
                "trust-root-tsa-validity-end-inclusive",
                "2025-06-12T12:02:20Z",
            ),
        ] {
            let (ts, sig, authorities, _) = case(name);
            let got = verify(&ts, &sig, &authorities);
            assert!(got.is_ok(), "{name}: {got:?}");
            if !time.is_empty() {
                let want = crate::sigstore::trust::parse_rfc3339(time).unwrap();
                assert_eq!(got, Ok(want), "{name}");
            }
        }
    }

    #[test]
    fn conformance_cases_that_fail() {
        if !available() {
            return;
        }
        for (name, why) in [
            (
                "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
                "lies outside the authority's validity",
            ),
            (
                "rekor2-timestamp-outside-tsa-cert-validity_fail",
                "`CN=Test TSA Timestamping,O=local` is valid from",
            ),
            (
                "rekor2-timestamp-payload-mismatch_fail",
                "message imprint is not the hash of the signature",
            ),
            (
                "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
                "is not the authority's `CN=sigstore-tsa,O=sigstore.dev`",
            ),
            (
                "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
                "the signer is not the authority's certificate",
            ),
        ] {
            let (ts, sig, authorities, _) = case(name);
            match verify(&ts, &sig, &authorities) {
                Err(Error::Rejected(reason)) => {
                    eprintln!("{name}: {reason}");
                    assert!(reason.contains(why), "{name}: {reason}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// The timestamp itself is good; the bundle fails because genTime
    /// lies after its signing certificate expired, the caller's check.
    #[test]
    fn incorrect_time_is_the_callers_check() {
        if !available() {
            return;
        }
        let (ts, sig, authorities, bundle) = case("rekor2-timestamp-with-incorrect-time_fail");
        let time = verify(&ts, &sig, &authorities).unwrap();
        let cert = bundle.verification_material.certificate.unwrap();
        let cert = Certificate::from_der(
            &crate::sigstore::base64("certificate", &cert.raw_bytes).unwrap(),
        )
        .unwrap();
        assert!(
            !cert.valid_at(time),
            "genTime {time} within {:?}",
            cert.validity()
        );
    }

    #[test]
    fn tampering_is_refused() {
        if !available() {
            return;
        }
        let (ts, sig, authorities, _) = case("rekor2-happy-path");
        // Another signature.
        let mut other = sig.clone();
        other[0] ^= 1;
        assert!(matches!(
            verify(&ts, &other, &authorities),
            Err(Error::Rejected(_))
        ));
        // No authorities.
        assert!(matches!(verify(&ts, &sig, &[]), Err(Error::Rejected(_))));
        // A bare token verifies as the response does.
        let resp = TimeStampResp::from_der(&ts).unwrap();
        let token = resp.time_stamp_token.unwrap().to_der().unwrap();
        assert_eq!(
            verify(&token, &sig, &authorities),
            verify(&ts, &sig, &authorities)
        );
        // Every single flipped bit of the token fails (or, in unsigned
        // parts such as the embedded certificate's signature, still
        // yields the same time).
        let good = verify(&token, &sig, &authorities).unwrap();
        for at in (0..token.len()).step_by(3) {
            let mut bad = token.clone();
            bad[at] ^= 0x01;
            if let Ok(time) = verify(&bad, &sig, &authorities) {
                assert_eq!(time, good, "byte {at}");
            }
        }
    }

    #[test]
    fn refused_statuses_and_garbage() {
        // TimeStampResp { status: rejection (2), statusString: ["no"] }.
        let resp = [
            0x30, 0x0b, 0x30, 0x09, 0x02, 0x01, 0x02, 0x30, 0x04, 0x0c, 0x02, b'n', b'o',
        ];
        match verify(&resp, b"sig", &[]) {
            Err(Error::Rejected(reason)) => assert!(reason.contains("status is 2"), "{reason}"),
            other => panic!("{other:?}"),
        }
        // Granted, no token.
        let resp = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert!(matches!(
            verify(&resp, b"sig", &[]),
            Err(Error::Rejected(_))
        ));
        for garbage in [
            &[][..],
            &[0x30, 0x00],
            &[0x04, 0x01, 0x00],
            &[0x30, 0x03, 0x02, 0x01],
        ] {
            assert!(
                matches!(verify(garbage, b"sig", &[]), Err(Error::Malformed { .. })),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn generalized_times() {
        let time = |text: &str| {
            let mut der = vec![0x18, u8::try_from(text.len()).unwrap()];
            der.extend_from_slice(text.as_bytes());
            parse_gen_time(AnyRef::from_der(&der).unwrap())
        };
        assert_eq!(time("20250612120220Z"), Ok(1_749_729_740));
        assert_eq!(time("20250612120220.123Z"), Ok(1_749_729_740));
        for bad in [
            "20250612120220",
            "20250612120220.Z",
            "2025061212022Z",
            "20251312120220Z",
        ] {
            assert!(time(bad).is_err(), "{bad}");
        }
    }
}
