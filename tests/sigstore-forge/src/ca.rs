//! The certificate authority and the CT log, as Fulcio and its CT log run
//! them: a self-signed root, an intermediate it issued, and short-lived
//! signing certificates issued by the intermediate for an OIDC identity,
//! each carrying the Signed Certificate Timestamp the CT log gave its
//! precertificate (RFC 6962 §3.3).

use std::str::FromStr as _;
use std::time::Duration;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, UtcTime, Utf8StringRef};
use der::oid::{AssociatedOid, ObjectIdentifier};
use der::referenced::OwnedToRef as _;
use der::{DateTime, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest as _, Sha256};
use signature::Signer as _;
use spki::{AlgorithmIdentifierOwned, EncodePublicKey as _, SubjectPublicKeyInfoOwned};
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// `ecdsa-with-SHA256`.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `id-kp-codeSigning`.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// Fulcio's OIDC issuer, the raw string (deprecated, still written).
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio's OIDC issuer, a DER `UTF8String`.
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// The embedded SCT list (RFC 6962 §3.3).
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// A fresh P-256 key from the operating system's randomness.
pub(crate) fn new_key() -> SigningKey {
    SigningKey::random(&mut rand_core::OsRng)
}

/// The DER `SubjectPublicKeyInfo` of `key`'s public half.
pub(crate) fn spki_der(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .expect("a P-256 public key encodes")
        .into_vec()
}

/// An ECDSA P-256 signature over SHA-256 of `message`, DER.
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: DerSignature = key.sign(message);
    signature.as_bytes().to_vec()
}

/// An X.509 time: `UTCTime` before 2050, `GeneralizedTime` from then on
/// (RFC 5280 §4.1.2.5).
fn time(unix: u64) -> Time {
    let at = DateTime::from_unix_duration(Duration::from_secs(unix))
        .expect("a time between 1970 and 9999");
    if at.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(at).expect("a time before 2050"))
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(at))
    }
}

fn validity(not_before: u64, not_after: u64) -> Validity {
    Validity {
        not_before: time(not_before),
        not_after: time(not_after),
    }
}

/// A random positive 20-byte serial number, as Fulcio's are.
fn serial() -> SerialNumber {
    let mut bytes = [0u8; 20];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes).expect("20 bytes make a serial number")
}

fn public_key_info(key: &SigningKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).expect("a P-256 public key encodes")
}

fn extension(extn_id: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id,
        critical,
        extn_value: OctetString::new(value).expect("an extension value fits"),
    }
}

fn typed<T: AssociatedOid + Encode>(critical: bool, value: &T) -> Extension {
    extension(
        T::OID,
        critical,
        value.to_der().expect("an extension encodes"),
    )
}

/// A CA certificate (DER) with the builder's CA profile: the root
/// self-signed, the intermediate (path length 0) signed by `issuer`.
pub(crate) fn ca_certificate(
    subject: &str,
    key: &SigningKey,
    issuer: Option<(&Name, &SigningKey)>,
    not_before: u64,
    not_after: u64,
) -> Vec<u8> {
    let subject = Name::from_str(subject).expect("a valid distinguished name");
    let (profile, signer) = match issuer {
        None => (Profile::Root, key),
        Some((name, signer)) => (
            Profile::SubCA {
                issuer: name.clone(),
                path_len_constraint: Some(0),
            },
            signer,
        ),
    };
    CertificateBuilder::new(
        profile,
        serial(),
        validity(not_before, not_after),
        subject,
        public_key_info(key),
        signer,
    )
    .and_then(|b| b.build::<DerSignature>())
    .expect("a CA certificate builds")
    .to_der()
    .expect("a certificate encodes")
}

/// What a signing certificate is issued for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    /// The SAN: a URI when it holds `://`, else an email address.
    pub identity: &'a str,
    /// The OIDC issuer, written in both of Fulcio's extensions.
    pub issuer: &'a str,
    pub not_before: u64,
    pub not_after: u64,
}

/// The CA that issues signing certificates and the CT log that logs them.
#[derive(Debug)]
pub(crate) struct Fulcio<'a> {
    pub intermediate: &'a x509_cert::Certificate,
    pub intermediate_key: &'a SigningKey,
    pub ct_key: &'a SigningKey,
}

impl Fulcio<'_> {
    /// Issues a signing certificate (DER) for `key`, as Fulcio does: no
    /// subject; key usage digitalSignature (critical); extended key usage
    /// codeSigning; subject and authority key identifiers; the identity as
    /// a critical SAN; the OIDC issuer in both forms; and an embedded SCT
    /// from the CT log over the precertificate, timestamped at
    /// `not_before`.
    ///
    /// # Panics
    /// For an identity that is not ASCII (`IA5String`).
    pub fn issue(&self, key: &SigningKey, request: &Request) -> Vec<u8> {
        let issuer_spki = &self.intermediate.tbs_certificate.subject_public_key_info;
        let spki = public_key_info(key);
        let name = Ia5String::new(request.identity).expect("an ASCII identity");
        let san = if request.identity.contains("://") {
            GeneralName::UniformResourceIdentifier(name)
        } else {
            GeneralName::Rfc822Name(name)
        };
        let extensions = vec![
            typed(true, &KeyUsage(KeyUsages::DigitalSignature.into())),
            typed(false, &ExtendedKeyUsage(vec![CODE_SIGNING])),
            typed(
                false,
                &SubjectKeyIdentifier::try_from(spki.owned_to_ref())
                    .expect("a key identifier of the key"),
            ),
            typed(
                false,
                &AuthorityKeyIdentifier::try_from(issuer_spki.owned_to_ref())
                    .expect("a key identifier of the issuer's key"),
            ),
            typed(true, &SubjectAltName(vec![san])),
            extension(ISSUER_V1, false, request.issuer.as_bytes().to_vec()),
            extension(
                ISSUER_V2,
                false,
                Utf8StringRef::new(request.issuer)
                    .and_then(|s| s.to_der())
                    .expect("an issuer encodes"),
            ),
        ];
        let algorithm = AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        };
        let mut tbs = x509_cert::TbsCertificate {
            version: x509_cert::Version::V3,
            serial_number: serial(),
            signature: algorithm.clone(),
            issuer: self.intermediate.tbs_certificate.subject.clone(),
            validity: validity(request.not_before, request.not_after),
            subject: Name::default(),
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        // The precertificate is the certificate without the SCT list: what
        // the CT log signs, and what a verifier rebuilds.
        let precert = tbs.to_der().expect("a TBSCertificate encodes");
        let issuer_key_hash: [u8; 32] =
            Sha256::digest(issuer_spki.to_der().expect("a key encodes")).into();
        let sct = self.sct(&issuer_key_hash, &precert, request.not_before * 1000);
        let list = sct_list(&[sct]);
        let value = OctetString::new(list)
            .and_then(|o| o.to_der())
            .expect("an SCT list encodes");
        if let Some(exts) = tbs.extensions.as_mut() {
            exts.push(extension(SCT_LIST, false, value));
        }
        let signature = sign(
            self.intermediate_key,
            &tbs.to_der().expect("a TBSCertificate encodes"),
        );
        x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm,
            signature: BitString::from_bytes(&signature).expect("a signature fits"),
        }
        .to_der()
        .expect("a certificate encodes")
    }

    /// A v1 SCT (TLS encoding) by the CT log for the precertificate
    /// `precert_tbs` of an issuer whose key hashes to `issuer_key_hash`,
    /// at `timestamp_ms`: ECDSA with SHA-256 over the RFC 6962 §3.2
    /// `digitally-signed` struct of a `precert_entry`, no extensions.
    fn sct(&self, issuer_key_hash: &[u8; 32], precert_tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
        const V1: u8 = 0;
        const CERTIFICATE_TIMESTAMP: u8 = 0;
        const PRECERT_ENTRY: [u8; 2] = [0, 1];
        const SHA256: u8 = 4;
        const ECDSA: u8 = 3;
        let tbs_len = u32::try_from(precert_tbs.len()).expect("a TBSCertificate under 16 MiB");
        let mut signed = vec![V1, CERTIFICATE_TIMESTAMP];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&PRECERT_ENTRY);
        signed.extend_from_slice(issuer_key_hash);
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(precert_tbs);
        signed.extend_from_slice(&[0, 0]);
        let signature = sign(self.ct_key, &signed);

        let mut sct = vec![V1];
        sct.extend_from_slice(&Sha256::digest(spki_der(self.ct_key)));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0]);
        sct.extend_from_slice(&[SHA256, ECDSA]);
        sct.extend_from_slice(&u16_len(&signature));
        sct.extend_from_slice(&signature);
        sct
    }
}

fn u16_len(bytes: &[u8]) -> [u8; 2] {
    u16::try_from(bytes.len())
        .expect("under 64 KiB")
        .to_be_bytes()
}

/// A TLS `SignedCertificateTimestampList` of `scts`.
fn sct_list(scts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for sct in scts {
        body.extend_from_slice(&u16_len(sct));
        body.extend_from_slice(sct);
    }
    let mut list = u16_len(&body).to_vec();
    list.extend_from_slice(&body);
    list
}

/// PEM of a DER certificate.
pub(crate) fn certificate_pem(der: &[u8]) -> String {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
        .expect("a certificate encodes as PEM")
}
