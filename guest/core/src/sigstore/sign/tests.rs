//! Keys made with OpenSSL 3 (`openssl genpkey`, `openssl ec`,
//! `openssl pkcs8 -topk8`), for these tests only.

use super::*;
use crate::sigstore::bundle::Bundle;
use crate::sigstore::trust::TrustedRoot;
use crate::sigstore::verify::{LogRequirement, Policy, verify};

const P256_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgE6NgFO4oOIvAwikz
tBiEIygc4P0gharvmoiFa9jrZ4mhRANCAATYseNNiY6d1X4htYS6601K8lYqXkwu
ILaJb8Aw28JiGr0Ii6yXeZqoi1ZofBpqjPCByLBmuPL2I0ekBgTHBxUZ
-----END PRIVATE KEY-----
";
/// The same key, SEC1 (`openssl ec`).
const P256_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBOjYBTuKDiLwMIpM7QYhCMoHOD9IIWq75qIhWvY62eJoAoGCCqGSM49
AwEHoUQDQgAE2LHjTYmOndV+IbWEuutNSvJWKl5MLiC2iW/AMNvCYhq9CIusl3ma
qItWaHwaaozwgciwZrjy9iNHpAYExwcVGQ==
-----END EC PRIVATE KEY-----
";
/// Its public key (`openssl ec -pubout`).
const P256_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2LHjTYmOndV+IbWEuutNSvJWKl5M
LiC2iW/AMNvCYhq9CIusl3maqItWaHwaaozwgciwZrjy9iNHpAYExwcVGQ==
-----END PUBLIC KEY-----
";
/// Another P-256 key, SEC1 (`openssl ecparam -genkey -noout`).
const P256_OTHER: &str = "\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIEXiM9n8aOFVRn4/cCZoYlfdw5Ug92M91/g0SqeM/PNqoAoGCCqGSM49
AwEHoUQDQgAEGa3D98ocB+MpcVXgNKTPDBl2gAA+xa/Bybdcdozr6ljU1lvR8Srf
Tr0PN9PyMhjx4u8oY5SMKmmka1EYH/bKRw==
-----END EC PRIVATE KEY-----
";
const ED25519_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIy5dGBT8COoUiLfZ/vAeiizoNB19uaYaLMwSAz1+ss8
-----END PRIVATE KEY-----
";
const ED25519_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAc7Pzqp/ibIqkUNko1Sxi7OnjPDij3r+cc2UNNggQKDA=
-----END PUBLIC KEY-----
";
const P384_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDC3e8R51EnkQM6vStjQ
2UeEUtdU3M3H460d3TSwrmj7rxDbXx+KwqrgFFQf0Pc8yBihZANiAAQTlZphdo+5
Eh5z+cMtNHwRN4QI89EA9I9v3CcuL0bN+pt88Ko3Ff2lB9a69DnsuZnZvakIG2VC
R60UWq0WqjxZIPD5lXSw4YosgDiducRdTfBAAvkUhGiXjUjb+TmhBUU=
-----END PRIVATE KEY-----
";
/// The same key, SEC1.
const P384_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDC3e8R51EnkQM6vStjQ2UeEUtdU3M3H460d3TSwrmj7rxDbXx+Kwqrg
FFQf0Pc8yBigBwYFK4EEACKhZANiAAQTlZphdo+5Eh5z+cMtNHwRN4QI89EA9I9v
3CcuL0bN+pt88Ko3Ff2lB9a69DnsuZnZvakIG2VCR60UWq0WqjxZIPD5lXSw4Yos
gDiducRdTfBAAvkUhGiXjUjb+TmhBUU=
-----END EC PRIVATE KEY-----
";
const P256_ENCRYPTED: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhU+WDdyzwO4wICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEECY/4ccdZmPyDZmSexKjFnwEgZC8
wORQjGxsFCZN5Z4C3MerutuHb+IycE3LIky7OvtpQLEzb1QKMSbjoRTlqy8u4hgl
7xb6xTdVF0f4xI+nfJzi0zgg03RJ48451wBDW6RORoHyR6wyTIXtB+ROF5JUngdo
BrNncgLolfUV9OkAjLeDb244pAMa+uuGLq1QREca3J3/SnPnk8zI44DF+oaeAcI=
-----END ENCRYPTED PRIVATE KEY-----
";

const NOW: u64 = 1_750_000_000;

fn optional(key: &SigningKey) -> Policy {
    Policy::Key {
        key: key.verifying_key(),
        log: LogRequirement::Optional,
    }
}

fn check(json: &str, artifact: &Artifact, policy: &Policy) -> Result<(), Error> {
    let bundle = Bundle::from_json(json.as_bytes())?;
    verify(&bundle, artifact, policy, &TrustedRoot::default(), NOW).map(|v| {
        assert_eq!(v.log_index, None);
        assert_eq!((v.identity, v.issuer), (None, None));
    })
}

#[test]
fn reads_unencrypted_keys() {
    // (PEM, algorithm, its public key)
    let cases = [
        (P256_PKCS8, "ECDSA P-256", P256_PUBLIC),
        (P256_SEC1, "ECDSA P-256", P256_PUBLIC),
        (ED25519_PKCS8, "Ed25519", ED25519_PUBLIC),
    ];
    for (pem, algorithm, public) in cases {
        let key = SigningKey::from_pem(pem).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.public_key_pem(), public);
        assert_eq!(
            VerifyingKey::from_pem(&key.public_key_pem()).unwrap(),
            key.verifying_key()
        );
        let der = pem_block(public, "PUBLIC KEY").unwrap();
        assert_eq!(
            key.hint(),
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(der))
        );
        // Text around the block, and a public key before it, are skipped.
        let around = format!("a key\n{public}{pem}trailer\n");
        assert_eq!(
            SigningKey::from_pem(&around).unwrap().public_key_der(),
            key.public_key_der()
        );
    }
    let debug = format!("{:?}", SigningKey::from_pem(P256_PKCS8).unwrap());
    assert!(
        debug.contains("ECDSA P-256") && debug.contains("hint"),
        "{debug}"
    );
}

#[test]
fn refuses_what_it_cannot_read() {
    let cosign = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n\
                  -----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    let bad_base64 = "-----BEGIN PRIVATE KEY-----\n%%%\n-----END PRIVATE KEY-----\n";
    let bad_der = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    // (PEM, what the reason must say)
    let cases = [
        (P256_ENCRYPTED, "encrypted"),
        (P256_ENCRYPTED, "openssl pkcs8"),
        (cosign, "encrypted (cosign's key format)"),
        (cosign, "cosign import-key-pair"),
        (P384_PKCS8, "only P-256 keys sign"),
        (P384_SEC1, "only P-256 keys sign"),
        (rsa, "`RSA PRIVATE KEY` is not supported"),
        (P256_PUBLIC, "no `-----BEGIN PRIVATE KEY-----`"),
        ("", "no `-----BEGIN PRIVATE KEY-----`"),
        (bad_base64, "not base64"),
        (bad_der, "PKCS#8"),
    ];
    for (pem, says) in cases {
        let err = SigningKey::from_pem(pem).unwrap_err();
        let Error::Malformed { what, reason } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*what, "private key");
        assert!(reason.contains(says), "`{says}` not in: {reason}");
    }
}

#[test]
fn key_bundles_verify_under_the_key() {
    let p256 = SigningKey::from_pem(P256_PKCS8).unwrap();
    let other = SigningKey::from_pem(P256_OTHER).unwrap();
    let ed25519 = SigningKey::from_pem(ED25519_PKCS8).unwrap();
    let manifest = br#"{"schemaVersion":2}"#;
    let digest: [u8; 32] = sha2::Sha256::digest(manifest).into();
    let (bytes, sha256) = (Artifact::Bytes(manifest), Artifact::Sha256(&digest));

    // P-256: signed from the digest or the bytes, verified with either.
    for signed_from in [&sha256, &bytes] {
        let json = key_bundle(&p256, signed_from).unwrap();
        for verified_with in [&sha256, &bytes] {
            check(&json, verified_with, &optional(&p256)).unwrap();
        }
        // RFC 6979: the same signature either way.
        assert_eq!(json, key_bundle(&p256, &sha256).unwrap());
    }
    // Ed25519: from and with the bytes only.
    let json = key_bundle(&ed25519, &bytes).unwrap();
    check(&json, &bytes, &optional(&ed25519)).unwrap();
    let err = check(&json, &sha256, &optional(&ed25519)).unwrap_err();
    assert!(err.to_string().contains("digest only"), "{err}");
    let err = key_bundle(&ed25519, &sha256).unwrap_err();
    assert!(err.to_string().contains("not its digest only"), "{err}");
    // An OCI manifest's bytes: what its digest verifies, for P-256; its
    // bytes, for Ed25519.
    let oci = Artifact::Manifest(manifest);
    for signed_from in [&sha256, &oci] {
        let json = key_bundle(&p256, signed_from).unwrap();
        for verified_with in [&sha256, &bytes, &oci] {
            check(&json, verified_with, &optional(&p256)).unwrap();
        }
    }
    let json = key_bundle(&ed25519, &oci).unwrap();
    check(&json, &oci, &optional(&ed25519)).unwrap();
    check(&json, &bytes, &optional(&ed25519)).unwrap();
    let other_manifest = Artifact::Manifest(br#"{"schemaVersion":3}"#);
    assert!(check(&json, &other_manifest, &optional(&ed25519)).is_err());

    for (key, artifact) in [(&p256, &sha256), (&ed25519, &bytes)] {
        let json = key_bundle(key, artifact).unwrap();
        // The hint and the media type are the documented ones.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert_eq!(
            v["verificationMaterial"]["publicKey"]["hint"],
            key.hint().as_str()
        );
        assert_eq!(
            v["messageSignature"]["messageDigest"]["algorithm"],
            "SHA2_256"
        );
        // Without a log, only under `LogRequirement::Optional`.
        let err = check(&json, artifact, &Policy::key(key.verifying_key())).unwrap_err();
        assert!(err.to_string().contains("exactly one is required"), "{err}");
        // Another key, or another artifact, is refused.
        for wrong in [
            &other,
            if std::ptr::eq(key, &p256) {
                &ed25519
            } else {
                &p256
            },
        ] {
            let err = check(&json, artifact, &optional(wrong)).unwrap_err();
            assert!(err.to_string().contains("signature"), "{err}");
        }
        let err = check(&json, &Artifact::Bytes(b"{}"), &optional(key)).unwrap_err();
        assert!(err.to_string().contains("SHA-256"), "{err}");
    }
}

#[test]
fn keys_from_bytes() {
    assert!(SigningKey::p256_from_bytes(&[0; 32]).is_err());
    assert!(SigningKey::p256_from_bytes(&[0xff; 32]).is_err());
    let key = SigningKey::p256_from_bytes(&[7; 32]).unwrap();
    assert_eq!(key.public_key_der().len(), 91);
    let key = SigningKey::ed25519_from_bytes(&[7; 32]);
    assert_eq!(key.public_key_der().len(), 44);
}
