//! X.509 certificates as Sigstore uses them (RFC 5280): Fulcio signing
//! certificates with their identity and OIDC issuer extensions, the CA
//! and TSA chains of the trusted root, and signature checks along a chain.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

use super::Error;
use super::crypto::{Hash, VerifyingKey};

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `id-kp-codeSigning`.
pub const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// `id-kp-timeStamping`.
pub const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// Fulcio's OIDC issuer, as raw bytes (deprecated).
const ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio's OIDC issuer, a DER `UTF8String`.
const ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");

/// A certificate with its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    cert: x509_cert::Certificate,
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "certificate",
        reason: reason.to_string(),
    }
}

/// The content range of the first TLV in `der`: (header length, content
/// length).
fn tlv(der: &[u8]) -> Option<(usize, usize)> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*der.get(2 + i)?);
    }
    Some((2 + n, len))
}

impl Certificate {
    /// Parses a DER certificate.
    ///
    /// # Errors
    /// [`Error::Malformed`].
    pub fn from_der(der: &[u8]) -> Result<Certificate, Error> {
        let cert = x509_cert::Certificate::from_der(der).map_err(malformed)?;
        Ok(Certificate {
            der: der.to_vec(),
            cert,
        })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn inner(&self) -> &x509_cert::Certificate {
        &self.cert
    }

    /// The `tbsCertificate` as it was encoded (what the issuer signed).
    pub fn tbs_der(&self) -> Result<&[u8], Error> {
        let (outer, _) = tlv(&self.der).ok_or_else(|| malformed("bad DER length"))?;
        let inner = &self.der[outer..];
        let (header, len) = tlv(inner).ok_or_else(|| malformed("bad DER length"))?;
        inner
            .get(..header + len)
            .ok_or_else(|| malformed("truncated tbsCertificate"))
    }

    /// `notBefore` and `notAfter`, in seconds since the Unix epoch.
    pub fn validity(&self) -> (u64, u64) {
        let v = &self.cert.tbs_certificate.validity;
        (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        )
    }

    /// Whether `time` (Unix seconds) lies within the validity, bounds
    /// included.
    pub fn valid_at(&self, time: u64) -> bool {
        let (from, to) = self.validity();
        from <= time && time <= to
    }

    /// The subject public key.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a key of an unsupported kind.
    pub fn public_key(&self) -> Result<VerifyingKey, Error> {
        let spki = self
            .cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(malformed)?;
        VerifyingKey::from_spki_der(&spki)
    }

    /// The raw `extnValue` of the extension `oid`.
    pub fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Whether the basic constraints say it is a CA.
    pub fn is_ca(&self) -> bool {
        self.extension(BASIC_CONSTRAINTS)
            .and_then(|v| BasicConstraints::from_der(v).ok())
            .is_some_and(|b| b.ca)
    }

    /// Whether its extended key usage holds `purpose`.
    pub fn has_extended_key_usage(&self, purpose: ObjectIdentifier) -> bool {
        self.extension(EXTENDED_KEY_USAGE)
            .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
            .is_some_and(|eku| eku.0.contains(&purpose))
    }

    /// The identities of the subject alternative names: URIs and email
    /// addresses (Fulcio puts the signer's identity there).
    pub fn identities(&self) -> Vec<String> {
        let Some(san) = self
            .extension(SUBJECT_ALT_NAME)
            .and_then(|v| SubjectAltName::from_der(v).ok())
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|name| match name {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
                GeneralName::Rfc822Name(email) => Some(email.to_string()),
                GeneralName::OtherName(other) => other
                    .value
                    .decode_as::<der::asn1::Utf8StringRef<'_>>()
                    .ok()
                    .map(|s| s.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The OIDC issuer Fulcio recorded: the `1.3.6.1.4.1.57264.1.8`
    /// extension, else the deprecated `1.3.6.1.4.1.57264.1.1`.
    pub fn oidc_issuer(&self) -> Option<String> {
        if let Some(v) = self.extension(ISSUER_V2) {
            return der::asn1::Utf8StringRef::from_der(v)
                .ok()
                .map(|s| s.to_string());
        }
        self.extension(ISSUER_V1)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    }

    /// The subject as RFC 4514 writes it, `CN=…,O=…` (the common
    /// attributes by their short names, others by OID), for messages. (x509-cert's own `Display`
    /// looks names up in const-oid's whole OID table, which would ship in
    /// the component.)
    pub fn subject_name(&self) -> String {
        name(&self.cert.tbs_certificate.subject)
    }

    /// The issuer's name, as [`Certificate::subject_name`] writes it.
    pub fn issuer_name(&self) -> String {
        name(&self.cert.tbs_certificate.issuer)
    }

    /// Whether subject and issuer are the same name (a root, usually).
    pub fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate.subject == self.cert.tbs_certificate.issuer
    }

    /// Checks that `issuer` signed this certificate: names chain, and the
    /// signature over the `tbsCertificate` verifies with its key.
    ///
    /// # Errors
    /// [`Error::Rejected`] naming the subject that does not chain.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), Error> {
        let tbs = &self.cert.tbs_certificate;
        if tbs.issuer != issuer.cert.tbs_certificate.subject {
            return Err(Error::Rejected(format!(
                "certificate `{}` was not issued by `{}`",
                self.subject_name(),
                issuer.subject_name()
            )));
        }
        let signature = self
            .cert
            .signature
            .as_bytes()
            .ok_or_else(|| malformed("unused bits in the signature"))?;
        let key = issuer.public_key()?;
        let oid = self.cert.signature_algorithm.oid;
        let hash = match oid {
            ECDSA_SHA256 | RSA_SHA256 => Hash::Sha256,
            ECDSA_SHA384 | RSA_SHA384 => Hash::Sha384,
            ECDSA_SHA512 | RSA_SHA512 => Hash::Sha512,
            ED25519 => Hash::Sha512,
            other => {
                return Err(malformed(format!(
                    "unsupported signature algorithm {other}"
                )));
            }
        };
        key.verify(self.tbs_der()?, signature, hash).map_err(|_| {
            Error::Rejected(format!(
                "the signature of certificate `{}` does not verify with the key of `{}`",
                self.subject_name(),
                issuer.subject_name()
            ))
        })
    }
}

/// `name` as RFC 4514 writes it: the last RDN first, `,` between them.
fn name(name: &x509_cert::name::Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter().rev() {
        for atv in rdn.0.iter() {
            let key = match atv.oid.to_string().as_str() {
                "2.5.4.3" => "CN".to_owned(),
                "2.5.4.6" => "C".to_owned(),
                "2.5.4.7" => "L".to_owned(),
                "2.5.4.8" => "ST".to_owned(),
                "2.5.4.10" => "O".to_owned(),
                "2.5.4.11" => "OU".to_owned(),
                "1.2.840.113549.1.9.1" => "emailAddress".to_owned(),
                other => other.to_owned(),
            };
            let value = atv
                .value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|v| v.to_string())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|v| v.to_string())
                })
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::Ia5StringRef<'_>>()
                        .map(|v| v.to_string())
                })
                .unwrap_or_else(|_| "…".to_owned());
            parts.push(format!("{key}={value}"));
        }
    }
    parts.join(",")
}

/// Checks that `leaf` chains through `chain` (its issuer first, the root
/// last, as a trusted root lists a CA's certificates), every link signed
/// by the next, every CA certificate a CA, and all of them valid at
/// `time` (Unix seconds).
///
/// # Errors
/// [`Error::Rejected`] naming the first link that fails.
pub fn verify_chain(leaf: &Certificate, chain: &[Certificate], time: u64) -> Result<(), Error> {
    if chain.is_empty() {
        return Err(Error::Rejected(
            "the trusted root's CA has no certificates".into(),
        ));
    }
    let mut child = leaf;
    for issuer in chain {
        if !issuer.is_ca() {
            return Err(Error::Rejected(format!(
                "`{}` is not a CA certificate",
                issuer.subject_name()
            )));
        }
        child.verify_issued_by(issuer)?;
        child = issuer;
    }
    for cert in std::iter::once(leaf).chain(chain) {
        if !cert.valid_at(time) {
            let (from, to) = cert.validity();
            return Err(Error::Rejected(format!(
                "certificate `{}` is valid from {from} to {to} (Unix seconds), not at {time}",
                cert.subject_name()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths() {
        assert_eq!(tlv(&[0x30, 0x03, 1, 2, 3]), Some((2, 3)));
        assert_eq!(tlv(&[0x30, 0x82, 0x01, 0x00]), Some((4, 256)));
        assert_eq!(tlv(&[0x30, 0x80]), None);
        assert_eq!(tlv(&[0x30]), None);
    }
}
