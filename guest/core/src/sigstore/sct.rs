//! Certificate transparency for Fulcio certificates: the Signed
//! Certificate Timestamps embedded in a signing certificate (RFC 6962
//! §3.2, §3.3), each checked against the CT log of the trusted root that
//! it names. Sigstore requires at least one SCT that verifies.
//!
//! An embedded SCT signs the *precertificate*: the leaf's
//! `TBSCertificate` with the SCT list extension taken out, together with
//! the SHA-256 of the issuer's `SubjectPublicKeyInfo`. So the check needs
//! the leaf, its issuer (for Fulcio, the first certificate of a CA chain
//! of the trusted root, see [`fulcio_issuer`]) and the CT logs.

use base64::Engine as _;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::Digest as _;

use super::Error;
use super::crypto::{Hash, VerifyingKey};
use super::trust::{Authority, Log};
use super::x509::Certificate;

/// The embedded SCT list extension (RFC 6962 §3.3).
pub const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// `Version.v1`, the only SCT version there is.
pub const V1: u8 = 0;

/// One Signed Certificate Timestamp, version 1 (RFC 6962 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// The SHA-256 of the log's key (its `SubjectPublicKeyInfo` DER).
    pub log_id: [u8; 32],
    /// When the log saw the certificate, in milliseconds since the Unix
    /// epoch.
    pub timestamp: u64,
    /// `CtExtensions`, opaque (Static CT logs put the leaf index here).
    pub extensions: Vec<u8>,
    /// TLS `HashAlgorithm`: 4 SHA-256, 5 SHA-384, 6 SHA-512, 8 intrinsic.
    pub hash_algorithm: u8,
    /// TLS `SignatureAlgorithm`: 1 RSA (PKCS#1 v1.5), 3 ECDSA, 7 Ed25519.
    pub signature_algorithm: u8,
    /// The signature (ECDSA: DER).
    pub signature: Vec<u8>,
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "SCT list",
        reason: reason.to_string(),
    }
}

/// A cursor over TLS presentation-language bytes (RFC 5246 §4).
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err(malformed(format!(
                "truncated {what}: {n} bytes wanted, {} left",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn uint(&mut self, n: usize, what: &str) -> Result<u64, Error> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    /// A `u16`-length-prefixed opaque vector.
    fn vec16(&mut self, what: &str) -> Result<&'a [u8], Error> {
        let len = self.uint(2, what)?;
        self.take(usize::try_from(len).map_err(malformed)?, what)
    }

    fn finish(&self, what: &str) -> Result<(), Error> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{} trailing bytes after the {what}",
                self.bytes.len()
            )))
        }
    }
}

/// The serialized SCTs of a TLS `SignedCertificateTimestampList`: a `u16`
/// total length, then `u16`-length-prefixed SCTs, none empty.
///
/// # Errors
/// [`Error::Malformed`] for lengths that do not add up.
pub fn list_entries(tls: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut outer = Reader { bytes: tls };
    let list = outer.vec16("SCT list")?;
    outer.finish("SCT list")?;
    let mut reader = Reader { bytes: list };
    let mut entries = Vec::new();
    while !reader.bytes.is_empty() {
        let entry = reader.vec16("SCT")?;
        if entry.is_empty() {
            return Err(malformed("an empty SCT"));
        }
        entries.push(entry);
    }
    Ok(entries)
}

impl Sct {
    /// Parses one serialized v1 SCT.
    ///
    /// # Errors
    /// [`Error::Malformed`] for another version, truncated fields or
    /// trailing bytes.
    pub fn parse(bytes: &[u8]) -> Result<Sct, Error> {
        let mut r = Reader { bytes };
        let version = r.u8("SCT version")?;
        if version != V1 {
            return Err(malformed(format!("unsupported SCT version {version}")));
        }
        let log_id = r
            .take(32, "SCT log id")?
            .try_into()
            .map_err(|_| malformed("SCT log id"))?;
        let timestamp = r.uint(8, "SCT timestamp")?;
        let extensions = r.vec16("SCT extensions")?.to_vec();
        let hash_algorithm = r.u8("SCT hash algorithm")?;
        let signature_algorithm = r.u8("SCT signature algorithm")?;
        let signature = r.vec16("SCT signature")?.to_vec();
        r.finish("SCT")?;
        Ok(Sct {
            log_id,
            timestamp,
            extensions,
            hash_algorithm,
            signature_algorithm,
            signature,
        })
    }

    /// The log id in base64, as trusted roots write it.
    pub fn log_id_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.log_id)
    }

    /// What the log signed (RFC 6962 §3.2, `digitally-signed struct` for
    /// a `precert_entry`): version, `certificate_timestamp`, the
    /// timestamp, the entry type, the issuer key hash, the precertificate
    /// `TBSCertificate` (`u24` length) and the extensions (`u16` length).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a `TBSCertificate` or extensions too long
    /// for their length prefix.
    pub fn signed_data(
        &self,
        issuer_key_hash: &[u8; 32],
        precert_tbs: &[u8],
    ) -> Result<Vec<u8>, Error> {
        const CERTIFICATE_TIMESTAMP: u8 = 0;
        const PRECERT_ENTRY: u16 = 1;
        let tbs_len = u32::try_from(precert_tbs.len())
            .ok()
            .filter(|n| *n < 1 << 24)
            .ok_or_else(|| malformed("the TBSCertificate is longer than 2^24 - 1 bytes"))?;
        let ext_len = u16::try_from(self.extensions.len())
            .map_err(|_| malformed("SCT extensions longer than 2^16 - 1 bytes"))?;
        let mut out = Vec::with_capacity(48 + precert_tbs.len() + self.extensions.len());
        out.push(V1);
        out.push(CERTIFICATE_TIMESTAMP);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&PRECERT_ENTRY.to_be_bytes());
        out.extend_from_slice(issuer_key_hash);
        out.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        out.extend_from_slice(precert_tbs);
        out.extend_from_slice(&ext_len.to_be_bytes());
        out.extend_from_slice(&self.extensions);
        Ok(out)
    }

    /// Checks the signature with `log`'s key over `signed_data`, and that
    /// the timestamp lies within the log's window.
    ///
    /// # Errors
    /// [`Error::Rejected`] saying why.
    pub fn verify_with(&self, log: &Log, signed_data: &[u8]) -> Result<(), Error> {
        let hash = match self.hash_algorithm {
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            // `intrinsic`, for Ed25519.
            8 => Hash::Sha512,
            other => {
                return Err(Error::Rejected(format!(
                    "unsupported SCT hash algorithm {other}"
                )));
            }
        };
        let matches = matches!(
            (&log.key, self.signature_algorithm, self.hash_algorithm),
            (VerifyingKey::Rsa(_), 1, 4..=6)
                | (VerifyingKey::P256(_) | VerifyingKey::P384(_), 3, 4..=6)
                | (VerifyingKey::Ed25519(_), 7, 8)
        );
        if !matches {
            return Err(Error::Rejected(format!(
                "the SCT's algorithms (hash {}, signature {}) do not fit the log's {} key",
                self.hash_algorithm,
                self.signature_algorithm,
                key_kind(&log.key)
            )));
        }
        log.key
            .verify(signed_data, &self.signature, hash)
            .map_err(|e| Error::Rejected(format!("bad signature: {e}")))?;
        let seconds = self.timestamp / 1000;
        if !log.window.contains(seconds) {
            return Err(Error::Rejected(format!(
                "its timestamp ({seconds}, Unix seconds) lies outside the log's window \
                 (from {} to {})",
                bound(log.window.start),
                bound(log.window.end)
            )));
        }
        Ok(())
    }
}

fn key_kind(key: &VerifyingKey) -> &'static str {
    match key {
        VerifyingKey::P256(_) => "ECDSA P-256",
        VerifyingKey::P384(_) => "ECDSA P-384",
        VerifyingKey::Ed25519(_) => "Ed25519",
        VerifyingKey::Rsa(_) => "RSA",
    }
}

fn bound(b: Option<u64>) -> String {
    b.map_or_else(|| "open".to_owned(), |t| t.to_string())
}

fn count_sct_extensions(leaf: &Certificate) -> usize {
    leaf.inner()
        .tbs_certificate
        .extensions
        .as_ref()
        .map_or(0, |exts| {
            exts.iter().filter(|e| e.extn_id == SCT_LIST).count()
        })
}

/// The serialized SCTs embedded in `leaf` (none without the extension).
/// The extension's value is a DER OCTET STRING that holds the TLS list.
///
/// # Errors
/// [`Error::Malformed`] for the extension given twice, or a value that
/// does not parse.
pub fn embedded(leaf: &Certificate) -> Result<Vec<&[u8]>, Error> {
    if count_sct_extensions(leaf) > 1 {
        return Err(malformed(
            "the certificate holds the SCT list extension twice",
        ));
    }
    let Some(value) = leaf.extension(SCT_LIST) else {
        return Ok(Vec::new());
    };
    let tls = der::asn1::OctetStringRef::from_der(value)
        .map_err(|e| malformed(format!("the extension is not a DER OCTET STRING: {e}")))?;
    list_entries(tls.as_bytes())
}

/// The precertificate's `TBSCertificate` DER: `leaf`'s with the SCT list
/// extension removed, everything else as it is (RFC 6962 §3.3).
///
/// # Errors
/// [`Error::Malformed`] when it does not re-encode.
pub fn precert_tbs(leaf: &Certificate) -> Result<Vec<u8>, Error> {
    let mut tbs = leaf.inner().tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != SCT_LIST);
        if exts.is_empty() {
            tbs.extensions = None;
        }
    }
    tbs.to_der()
        .map_err(|e| malformed(format!("the TBSCertificate does not re-encode: {e}")))
}

/// The SHA-256 of `issuer`'s `SubjectPublicKeyInfo` DER.
///
/// # Errors
/// [`Error::Malformed`] when it does not encode.
pub fn issuer_key_hash(issuer: &Certificate) -> Result<[u8; 32], Error> {
    let spki = issuer
        .inner()
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| Error::Malformed {
            what: "certificate",
            reason: e.to_string(),
        })?;
    Ok(sha2::Sha256::digest(spki).into())
}

/// The issuer of a Fulcio leaf among the trusted root's certificate
/// authorities: the first certificate (`chain[0]`) of the first authority
/// whose first certificate signed `leaf`.
pub fn fulcio_issuer<'a>(
    leaf: &Certificate,
    authorities: &'a [Authority],
) -> Option<&'a Certificate> {
    authorities
        .iter()
        .filter_map(|a| a.chain.first())
        .find(|issuer| leaf.verify_issued_by(issuer).is_ok())
}

/// Verifies the SCTs embedded in `leaf`, issued by `issuer`, against
/// `ctlogs`, and returns how many verified (at least one).
///
/// An SCT counts when its log is in `ctlogs`, its signature over the
/// precertificate verifies with the log's key, and its timestamp lies
/// within the log's window. An SCT that does not (an unknown log, an SCT
/// version other than 1, a bad signature, a time outside the window)
/// counts for nothing, as RFC 6962 §5.2 asks of clients; the certificate
/// passes if one SCT counts.
///
/// # Errors
/// [`Error::Rejected`] when the certificate has no SCTs or none verifies,
/// naming every SCT's log id (base64) and why it failed;
/// [`Error::Malformed`] for an SCT list that does not parse.
pub fn verify(leaf: &Certificate, issuer: &Certificate, ctlogs: &[Log]) -> Result<usize, Error> {
    let entries = embedded(leaf)?;
    if entries.is_empty() {
        return Err(Error::Rejected(format!(
            "the certificate has no embedded SCTs (extension {SCT_LIST}); \
             a Fulcio certificate needs one from a trusted CT log"
        )));
    }
    let key_hash = issuer_key_hash(issuer)?;
    let tbs = precert_tbs(leaf)?;
    let mut verified = 0;
    let mut failures = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry[0] != V1 {
            failures.push(format!("SCT {i}: unsupported SCT version {}", entry[0]));
            continue;
        }
        let sct = Sct::parse(entry)?;
        let id = sct.log_id_base64();
        let Some(log) = ctlogs.iter().find(|l| l.id == sct.log_id) else {
            failures.push(format!(
                "SCT {i} (log {id}): not a CT log of the trusted root"
            ));
            continue;
        };
        match sct.verify_with(log, &sct.signed_data(&key_hash, &tbs)?) {
            Ok(()) => verified += 1,
            Err(e) => failures.push(format!("SCT {i} (log {id}, {}): {e}", log.base_url)),
        }
    }
    if verified == 0 {
        return Err(Error::Rejected(format!(
            "no embedded SCT of the certificate verifies: {}",
            failures.join("; ")
        )));
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use signature::Signer as _;
    use x509_cert::ext::Extension;
    use x509_cert::name::Name;
    use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    use x509_cert::time::{Time, Validity};

    use super::super::trust::{TrustedRoot, Window};
    use super::*;

    /// The TLS encoding of `sct` (a test-only writer, the inverse of
    /// [`Sct::parse`]).
    fn encode(sct: &Sct) -> Vec<u8> {
        let mut out = vec![V1];
        out.extend_from_slice(&sct.log_id);
        out.extend_from_slice(&sct.timestamp.to_be_bytes());
        out.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
        out.extend_from_slice(&sct.extensions);
        out.push(sct.hash_algorithm);
        out.push(sct.signature_algorithm);
        out.extend_from_slice(&(sct.signature.len() as u16).to_be_bytes());
        out.extend_from_slice(&sct.signature);
        out
    }

    fn list(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in entries {
            body.extend_from_slice(&(e.len() as u16).to_be_bytes());
            body.extend_from_slice(e);
        }
        let mut out = (body.len() as u16).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out
    }

    fn sample() -> Sct {
        Sct {
            log_id: [0xab; 32],
            timestamp: 0x0102_0304_0506_0708,
            extensions: vec![9, 9],
            hash_algorithm: 4,
            signature_algorithm: 3,
            signature: vec![1, 2, 3],
        }
    }

    #[test]
    fn parses_hand_made_scts() {
        let mut bytes = vec![0u8];
        bytes.extend_from_slice(&[0xab; 32]);
        bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        bytes.extend_from_slice(&[0, 2, 9, 9]);
        bytes.extend_from_slice(&[4, 3, 0, 3, 1, 2, 3]);
        assert_eq!(bytes, encode(&sample()));
        assert_eq!(Sct::parse(&bytes), Ok(sample()));
        assert_eq!(sample().log_id_base64().len(), 44);

        let two = list(&[bytes.clone(), bytes.clone()]);
        assert_eq!(&two[..2], &[0, 2 * (2 + 52)]);
        let entries = list_entries(&two).unwrap();
        assert_eq!(entries, [&bytes[..], &bytes[..]]);
        assert_eq!(list_entries(&[0, 0]), Ok(Vec::new()));
    }

    #[test]
    fn refuses_bad_lengths() {
        let sct = encode(&sample());
        // Truncated, or with trailing bytes, at every level.
        for cut in 0..sct.len() {
            assert!(Sct::parse(&sct[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = sct.clone();
        long.push(0);
        assert!(matches!(Sct::parse(&long), Err(Error::Malformed { .. })));
        let mut v2 = sct.clone();
        v2[0] = 1;
        assert!(Sct::parse(&v2).is_err());

        let good = list(std::slice::from_ref(&sct));
        for cut in 0..good.len() {
            assert!(list_entries(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(list_entries(&trailing).is_err());
        // The total length says more than the entry holds.
        let mut inner_short = good.clone();
        inner_short[3] -= 1;
        assert!(list_entries(&inner_short).is_err());
        assert!(list_entries(&[0, 2, 0, 0]).is_err(), "empty SCT");
    }

    #[test]
    fn signed_data_layout() {
        let sct = sample();
        let data = sct.signed_data(&[0x11; 32], &[0x30, 0x00]).unwrap();
        let mut want = vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1];
        want.extend_from_slice(&[0x11; 32]);
        want.extend_from_slice(&[0, 0, 2, 0x30, 0x00, 0, 2, 9, 9]);
        assert_eq!(data, want);
        assert!(sct.signed_data(&[0; 32], &vec![0; 1 << 24]).is_err());
    }

    const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

    fn p256_spki(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
        der
    }

    fn key(seed: u8) -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap()
    }

    fn log(key: &p256::ecdsa::SigningKey, window: Window) -> Log {
        let key_der = p256_spki(key);
        Log {
            base_url: "https://ct.example".into(),
            id: sha2::Sha256::digest(&key_der).to_vec(),
            key: VerifyingKey::from_spki_der(&key_der).unwrap(),
            key_der,
            window,
        }
    }

    fn tbs(
        subject: &str,
        issuer: &str,
        spki: &[u8],
        extensions: Vec<Extension>,
    ) -> x509_cert::TbsCertificate {
        let time = |s| {
            Time::UtcTime(
                der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(s)).unwrap(),
            )
        };
        x509_cert::TbsCertificate {
            version: x509_cert::certificate::Version::V3,
            serial_number: x509_cert::serial_number::SerialNumber::new(&[1, 2]).unwrap(),
            signature: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            issuer: Name::from_str(issuer).unwrap(),
            validity: Validity {
                not_before: time(1_000_000_000),
                not_after: time(2_000_000_000),
            },
            subject: Name::from_str(subject).unwrap(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki).unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: (!extensions.is_empty()).then_some(extensions),
        }
    }

    fn certificate(tbs: x509_cert::TbsCertificate) -> Certificate {
        let cert = x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            // Not checked here.
            signature: der::asn1::BitString::from_bytes(&[0]).unwrap(),
        };
        Certificate::from_der(&cert.to_der().unwrap()).unwrap()
    }

    fn extension(oid: &str, value: &[u8]) -> Extension {
        Extension {
            extn_id: ObjectIdentifier::new_unwrap(oid),
            critical: false,
            extn_value: der::asn1::OctetString::new(value.to_vec()).unwrap(),
        }
    }

    /// A leaf with other extensions around the SCT list, whose SCTs are
    /// signed by `signers` (their keys, timestamps in ms, extensions).
    fn leaf_with_scts(
        issuer: &Certificate,
        signers: &[(&p256::ecdsa::SigningKey, u64)],
    ) -> Certificate {
        let leaf_key = p256_spki(&key(3));
        let before = extension("2.5.29.15", &[0x03, 0x02, 0x07, 0x80]);
        let after = extension("1.3.6.1.4.1.57264.1.8", &[0x0c, 0x01, b'x']);
        let precert = tbs(
            "CN=leaf",
            "CN=issuer",
            &leaf_key,
            vec![before.clone(), after.clone()],
        );
        let precert = precert.to_der().unwrap();
        let key_hash = issuer_key_hash(issuer).unwrap();
        let scts: Vec<Vec<u8>> = signers
            .iter()
            .map(|(signer, timestamp)| {
                let mut sct = Sct {
                    log_id: sha2::Sha256::digest(p256_spki(signer)).into(),
                    timestamp: *timestamp,
                    extensions: vec![0, 0, 5, 0, 0, 0, 0, 1],
                    hash_algorithm: 4,
                    signature_algorithm: 3,
                    signature: Vec::new(),
                };
                let data = sct.signed_data(&key_hash, &precert).unwrap();
                let sig: p256::ecdsa::Signature = signer.sign(&data);
                sct.signature = sig.to_der().as_bytes().to_vec();
                encode(&sct)
            })
            .collect();
        let value = der::asn1::OctetString::new(list(&scts))
            .unwrap()
            .to_der()
            .unwrap();
        let sct_ext = Extension {
            extn_id: SCT_LIST,
            critical: false,
            extn_value: der::asn1::OctetString::new(value).unwrap(),
        };
        let leaf = certificate(tbs(
            "CN=leaf",
            "CN=issuer",
            &leaf_key,
            vec![before, sct_ext, after],
        ));
        assert_eq!(precert_tbs(&leaf).unwrap(), precert);
        leaf
    }

    #[test]
    fn verifies_hand_made_certificates() {
        let issuer = certificate(tbs(
            "CN=issuer",
            "CN=issuer",
            &p256_spki(&key(2)),
            Vec::new(),
        ));
        let (log_a, log_b, stranger) = (key(10), key(11), key(12));
        let open = Window::default();
        let logs = [log(&log_a, open), log(&log_b, open)];
        let ms = 1_700_000_000_123;

        let leaf = leaf_with_scts(&issuer, &[(&log_a, ms), (&log_b, ms), (&stranger, ms)]);
        assert_eq!(embedded(&leaf).unwrap().len(), 3);
        assert_eq!(verify(&leaf, &issuer, &logs), Ok(2));

        // Only an unknown log.
        let leaf = leaf_with_scts(&issuer, &[(&stranger, ms)]);
        let err = verify(&leaf, &issuer, &logs).unwrap_err().to_string();
        assert!(err.contains("not a CT log of the trusted root"), "{err}");
        let stranger_id = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(p256_spki(&stranger)));
        assert!(err.contains(&stranger_id), "{err}");

        // The window: bounds included, milliseconds truncated.
        let leaf = leaf_with_scts(&issuer, &[(&log_a, ms)]);
        let at = |start, end| [log(&log_a, Window { start, end })];
        assert_eq!(
            verify(&leaf, &issuer, &at(Some(1_700_000_000), None)),
            Ok(1)
        );
        assert_eq!(
            verify(&leaf, &issuer, &at(None, Some(1_700_000_000))),
            Ok(1)
        );
        let err = verify(&leaf, &issuer, &at(Some(1_700_000_001), None)).unwrap_err();
        assert!(
            err.to_string().contains("outside the log's window"),
            "{err}"
        );

        // Another issuer: the issuer key hash differs.
        let other = certificate(tbs(
            "CN=issuer",
            "CN=issuer",
            &p256_spki(&key(4)),
            Vec::new(),
        ));
        let err = verify(&leaf, &other, &logs).unwrap_err();
        assert!(err.to_string().contains("bad signature"), "{err}");

        // A log id that names a key of another kind than the SCT says.
        let mut wrong = log(&log_a, open);
        wrong.key =
            VerifyingKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&[0; 32]).unwrap());
        let err = verify(&leaf, &issuer, &[wrong]).unwrap_err();
        assert!(err.to_string().contains("do not fit"), "{err}");

        // No SCTs at all.
        let bare = certificate(tbs("CN=leaf", "CN=issuer", &p256_spki(&key(3)), Vec::new()));
        assert_eq!(embedded(&bare), Ok(Vec::new()));
        let err = verify(&bare, &issuer, &logs).unwrap_err();
        assert!(err.to_string().contains("no embedded SCTs"), "{err}");
        assert_eq!(precert_tbs(&bare).unwrap(), bare.tbs_der().unwrap());
    }

    #[test]
    fn skips_unknown_versions_and_refuses_garbage() {
        let issuer = certificate(tbs(
            "CN=issuer",
            "CN=issuer",
            &p256_spki(&key(2)),
            Vec::new(),
        ));
        let spki = p256_spki(&key(3));
        let with_value = |value: &[u8]| {
            certificate(tbs(
                "CN=leaf",
                "CN=issuer",
                &spki,
                vec![Extension {
                    extn_id: SCT_LIST,
                    critical: false,
                    extn_value: der::asn1::OctetString::new(value.to_vec()).unwrap(),
                }],
            ))
        };
        let octets = |tls: Vec<u8>| der::asn1::OctetString::new(tls).unwrap().to_der().unwrap();

        let v2 = with_value(&octets(list(&[vec![1, 2, 3]])));
        let err = verify(&v2, &issuer, &[]).unwrap_err();
        assert!(
            err.to_string().contains("unsupported SCT version 1"),
            "{err}"
        );

        let not_octets = with_value(&list(&[encode(&sample())]));
        assert!(matches!(
            verify(&not_octets, &issuer, &[]),
            Err(Error::Malformed { .. })
        ));
        let truncated = with_value(&octets(vec![0, 5, 0]));
        assert!(matches!(
            verify(&truncated, &issuer, &[]),
            Err(Error::Malformed { .. })
        ));
        let empty = with_value(&octets(vec![0, 0]));
        assert!(matches!(
            verify(&empty, &issuer, &[]),
            Err(Error::Rejected(_))
        ));
    }

    const CASES: &str = "/work/shared/sigstore-conformance/assets/bundle-verify";

    /// The leaf certificate of a conformance bundle, if it has one.
    fn case_leaf(dir: &std::path::Path) -> Option<Certificate> {
        let text = std::fs::read(dir.join("bundle.sigstore.json")).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
        let material = &json["verificationMaterial"];
        let raw = material["certificate"]["rawBytes"]
            .as_str()
            .or_else(|| material["x509CertificateChain"]["certificates"][0]["rawBytes"].as_str())?;
        Certificate::from_der(&crate::sigstore::base64("certificate", raw).ok()?).ok()
    }

    fn case_root(dir: &std::path::Path) -> Result<TrustedRoot, String> {
        let own = dir.join("trusted_root.json");
        let path = if own.exists() {
            own
        } else {
            dir.join("../../trusted_root.production.json")
        };
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        TrustedRoot::from_json(&bytes).map_err(|e| e.to_string())
    }

    /// The SCT verdict of a conformance case: `None` without a leaf
    /// certificate or a readable trusted root.
    fn case_verdict(dir: &std::path::Path) -> Option<Result<usize, String>> {
        let leaf = case_leaf(dir)?;
        let root = case_root(dir).ok()?;
        let Some(issuer) = fulcio_issuer(&leaf, &root.certificate_authorities) else {
            return Some(Err("no CA of the trusted root issued the leaf".into()));
        };
        Some(verify(&leaf, issuer, &root.ctlogs).map_err(|e| e.to_string()))
    }

    #[test]
    fn conformance_cases() {
        let base = std::path::Path::new(CASES);
        let Ok(dirs) = std::fs::read_dir(base) else {
            eprintln!("skipped: no conformance cases at {CASES}");
            return;
        };
        let mut names: Vec<String> = dirs
            .filter_map(|d| d.ok())
            .filter(|d| d.path().is_dir())
            .map(|d| d.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut checked = 0;
        for name in &names {
            let verdict = case_verdict(&base.join(name));
            eprintln!("{name}: {verdict:?}");
            let must_pass = name == "bundle-with-sct-with-extensions"
                || name.starts_with("happy-path-")
                || name.starts_with("rekor2-");
            if name == "invalid-ct-key_fail" {
                assert!(matches!(verdict, Some(Err(_))), "{name}: {verdict:?}");
                checked += 1;
            } else if must_pass && case_leaf(&base.join(name)).is_some() {
                assert!(
                    matches!(verdict, Some(Ok(n)) if n >= 1),
                    "{name}: {verdict:?}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} cases checked");

        // A real SCT does not verify against another issuer's key.
        let dir = base.join("happy-path-v0.3");
        let (leaf, root) = (case_leaf(&dir).unwrap(), case_root(&dir).unwrap());
        let err = verify(&leaf, &leaf, &root.ctlogs).unwrap_err().to_string();
        assert!(err.contains("bad signature"), "{err}");
    }
}
