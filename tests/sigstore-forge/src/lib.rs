//! A private Sigstore-like instance for tests: a Fulcio-like certificate
//! authority (a self-signed root and an intermediate), a CT log and a
//! Rekor-like transparency log, all with fresh P-256 keys, that issue
//! Sigstore bundles and cosign signatures which `wkg_core::sigstore`
//! verifies against the instance's trusted root, without the internet.
//!
//! What it issues is shaped as the public-good instance's output is: v0.3
//! bundles with a Fulcio-style signing certificate (OIDC identity in the
//! SAN, issuer extensions, an embedded SCT) and one Rekor v1 entry with a
//! signed entry timestamp and an inclusion proof ending at a signed
//! checkpoint. [`Signing`] also asks for faults, for negative tests.
//!
//! ```
//! use sigstore_forge::{Instance, Signing};
//!
//! let instance = Instance::new();
//! let trusted_root = instance.trusted_root_json();
//! let bundle = instance.sign([0x11; 32], &Signing::default());
//! assert!(trusted_root.contains("https://rekor.forge.invalid"));
//! assert!(bundle.contains("application/vnd.dev.sigstore.bundle.v0.3+json"));
//! ```

mod bundle;
mod ca;
mod rekor;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode as _, Encode as _};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use serde_json::json;
use sha2::{Digest as _, Sha256};

pub use bundle::{SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};
pub use rekor::BASE_URL as TLOG_URL;

/// The URI of the instance's certificate authority in the trusted root.
pub const CA_URL: &str = "https://fulcio.forge.invalid";
/// The base URL of the instance's CT log in the trusted root.
pub const CTLOG_URL: &str = "https://ctfe.forge.invalid/test";

/// The start of every validity window of the instance (certificates and
/// keys alike), 2020-01-01T00:00:00Z in Unix seconds.
pub const VALID_FROM: u64 = 1_577_836_800;
/// The end of every validity window, 2099-12-31T23:59:59Z.
pub const VALID_UNTIL: u64 = 4_102_444_799;
const VALID_FROM_RFC3339: &str = "2020-01-01T00:00:00Z";
const VALID_UNTIL_RFC3339: &str = "2099-12-31T23:59:59Z";

const ROOT_SUBJECT: &str = "CN=forge,O=forge.invalid";
const INTERMEDIATE_SUBJECT: &str = "CN=forge-intermediate,O=forge.invalid";

/// How a signature is made: by whom, when, and with which faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// The signer's identity, the certificate's SAN: a URI if it contains
    /// `://` (a CI workflow), else an email address. ASCII.
    pub identity: String,
    /// The OIDC issuer that vouched for the identity.
    pub issuer: String,
    /// When the signature is made and logged (the entry's integrated
    /// time), Unix seconds.
    pub time: u64,
    /// The certificate's `notBefore` and `notAfter` (Unix seconds); by
    /// default ten minutes around `time`.
    pub validity: Option<(u64, u64)>,
    /// The entry's index in the log; by default, a counter of the
    /// instance starting at 0. The log's tree holds `log_index + 4`
    /// entries, so keep it small.
    pub log_index: Option<u64>,
    /// Sign an in-toto statement about the artifact in a DSSE envelope,
    /// logged as a `dsse` entry (as GitHub artifact attestations are),
    /// instead of the artifact's digest.
    pub dsse: bool,
    /// Fault: a certificate that expired before the integrated time
    /// (valid from 20 to 10 minutes before `time`; overrides `validity`).
    pub expired: bool,
    /// Fault: a checkpoint whose signature does not verify.
    pub tamper_checkpoint: bool,
}

impl Default for Signing {
    /// A GitHub Actions workflow identity, signing at 2023-11-14T22:13:20Z.
    fn default() -> Signing {
        Signing {
            identity:
                "https://github.com/forge/example/.github/workflows/release.yml@refs/heads/main"
                    .to_owned(),
            issuer: "https://token.actions.githubusercontent.com".to_owned(),
            time: 1_700_000_000,
            validity: None,
            log_index: None,
            dsse: false,
            expired: false,
            tamper_checkpoint: false,
        }
    }
}

impl Signing {
    /// The certificate's `notBefore` and `notAfter` these options give
    /// (Unix seconds): 20 to 10 minutes before `time` when `expired`,
    /// else `validity`, else five minutes either side of `time`. It must
    /// lie within the instance's [`VALID_FROM`] and [`VALID_UNTIL`] for a
    /// bundle to verify.
    pub fn certificate_validity(&self) -> (u64, u64) {
        if self.expired {
            (
                self.time.saturating_sub(1200),
                self.time.saturating_sub(600),
            )
        } else {
            self.validity
                .unwrap_or((self.time.saturating_sub(300), self.time + 300))
        }
    }
}

/// A private Sigstore-like instance: the keys and certificates of its CA,
/// CT log and transparency log.
#[derive(Debug)]
pub struct Instance {
    root_key: SigningKey,
    root: x509_cert::Certificate,
    intermediate_key: SigningKey,
    intermediate: x509_cert::Certificate,
    ct_key: SigningKey,
    tlog_key: SigningKey,
    tree_id: u64,
    next_index: AtomicU64,
}

/// The files of a saved instance: certificates and PKCS#8 keys in PEM,
/// the log's tree id in decimal.
const FILES: [&str; 7] = [
    "root.pem",
    "root.key",
    "intermediate.pem",
    "intermediate.key",
    "ctlog.key",
    "tlog.key",
    "tlog.tree-id",
];

fn invalid(file: &str, reason: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("`{file}`: {reason}"),
    )
}

impl Default for Instance {
    fn default() -> Instance {
        Instance::new()
    }
}

impl Instance {
    /// A new instance with fresh keys: the root CA `CN=forge,O=forge.invalid`
    /// (self-signed), its intermediate, the CT log and the transparency
    /// log (a random tree id), all valid from 2020 through 2099.
    pub fn new() -> Instance {
        let root_key = ca::new_key();
        let root_der = ca::ca_certificate(ROOT_SUBJECT, &root_key, None, VALID_FROM, VALID_UNTIL);
        let root = x509_cert::Certificate::from_der(&root_der).expect("the root parses");
        let intermediate_key = ca::new_key();
        let intermediate_der = ca::ca_certificate(
            INTERMEDIATE_SUBJECT,
            &intermediate_key,
            Some((&root.tbs_certificate.subject, &root_key)),
            VALID_FROM,
            VALID_UNTIL,
        );
        let mut tree_id = [0; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut tree_id);
        Instance {
            root_key,
            root,
            intermediate_key,
            intermediate: x509_cert::Certificate::from_der(&intermediate_der)
                .expect("the intermediate parses"),
            ct_key: ca::new_key(),
            tlog_key: ca::new_key(),
            // Positive, as Trillian's tree ids are.
            tree_id: u64::from_be_bytes(tree_id) >> 1,
            next_index: AtomicU64::new(0),
        }
    }

    /// Writes the instance into `dir` (created if missing): the files of
    /// [`Instance::load`], and `trusted_root.json`.
    ///
    /// # Errors
    /// Those of creating the directory and writing the files.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let key = |k: &SigningKey| -> std::io::Result<String> {
            Ok(k.to_pkcs8_pem(LineEnding::LF)
                .map_err(std::io::Error::other)?
                .to_string())
        };
        let contents = [
            self.root_pem(),
            key(&self.root_key)?,
            self.intermediate_pem(),
            key(&self.intermediate_key)?,
            key(&self.ct_key)?,
            key(&self.tlog_key)?,
            format!("{}\n", self.tree_id),
        ];
        for (file, text) in FILES.iter().zip(contents) {
            std::fs::write(dir.join(file), text)?;
        }
        std::fs::write(dir.join("trusted_root.json"), self.trusted_root_json())
    }

    /// Reads an instance that [`Instance::save`] wrote into `dir`. Its log
    /// index counter starts again at 0.
    ///
    /// # Errors
    /// Those of reading the files; [`std::io::ErrorKind::InvalidData`]
    /// naming a file that does not parse.
    pub fn load(dir: &Path) -> std::io::Result<Instance> {
        let read = |file: &str| std::fs::read_to_string(dir.join(file));
        let key = |file: &str| -> std::io::Result<SigningKey> {
            SigningKey::from_pkcs8_pem(&read(file)?).map_err(|e| invalid(file, e))
        };
        let certificate = |file: &str| -> std::io::Result<x509_cert::Certificate> {
            use der::DecodePem as _;
            x509_cert::Certificate::from_pem(read(file)?).map_err(|e| invalid(file, e))
        };
        let tree_id = read(FILES[6])?
            .trim()
            .parse()
            .map_err(|e| invalid(FILES[6], e))?;
        Ok(Instance {
            root: certificate(FILES[0])?,
            root_key: key(FILES[1])?,
            intermediate: certificate(FILES[2])?,
            intermediate_key: key(FILES[3])?,
            ct_key: key(FILES[4])?,
            tlog_key: key(FILES[5])?,
            tree_id,
            next_index: AtomicU64::new(0),
        })
    }

    /// The root CA certificate, PEM.
    pub fn root_pem(&self) -> String {
        ca::certificate_pem(&self.root.to_der().expect("a certificate encodes"))
    }

    /// The intermediate CA certificate, PEM.
    pub fn intermediate_pem(&self) -> String {
        ca::certificate_pem(&self.intermediate.to_der().expect("a certificate encodes"))
    }

    /// The transparency log's public key, PEM `PUBLIC KEY`.
    pub fn tlog_public_key_pem(&self) -> String {
        use spki::EncodePublicKey as _;
        self.tlog_key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key encodes")
    }

    /// The transparency log's id: SHA-256 of its key's DER
    /// `SubjectPublicKeyInfo`.
    pub fn tlog_id(&self) -> [u8; 32] {
        self.tlog().id()
    }

    /// The trusted root of the instance
    /// (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the
    /// transparency log, the CA (intermediate, then root), the CT log,
    /// no timestamp authority; every window from 2020 through 2099.
    pub fn trusted_root_json(&self) -> String {
        let valid_for = json!({"start": VALID_FROM_RFC3339, "end": VALID_UNTIL_RFC3339});
        let log = |url: &str, key: &SigningKey| {
            let der = ca::spki_der(key);
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": STANDARD.encode(&der),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": valid_for,
                },
                "logId": {"keyId": STANDARD.encode(Sha256::digest(&der))},
            })
        };
        let raw = |cert: &x509_cert::Certificate| json!({"rawBytes": STANDARD.encode(cert.to_der().expect("a certificate encodes"))});
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(TLOG_URL, &self.tlog_key)],
            "certificateAuthorities": [{
                "subject": {"organization": "forge.invalid", "commonName": "forge"},
                "uri": CA_URL,
                "certChain": {"certificates": [raw(&self.intermediate), raw(&self.root)]},
                "validFor": valid_for,
            }],
            "ctlogs": [log(CTLOG_URL, &self.ct_key)],
            "timestampAuthorities": [],
        });
        serde_json::to_string_pretty(&root).expect("JSON encodes")
    }

    fn fulcio(&self) -> ca::Fulcio<'_> {
        ca::Fulcio {
            intermediate: &self.intermediate,
            intermediate_key: &self.intermediate_key,
            ct_key: &self.ct_key,
        }
    }

    fn tlog(&self) -> rekor::Log<'_> {
        rekor::Log {
            key: &self.tlog_key,
            tree_id: self.tree_id,
        }
    }

    fn log_index(&self, opts: &Signing) -> u64 {
        opts.log_index
            .unwrap_or_else(|| self.next_index.fetch_add(1, Ordering::Relaxed))
    }
}

/// A fresh ECDSA P-256 key pair as `wkg oci sign --key` and `--key`
/// verification take them: the private key as unencrypted PKCS#8 PEM
/// (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`), the
/// public key as SPKI PEM.
pub fn key_pair() -> (String, String) {
    use p256::pkcs8::EncodePublicKey as _;
    let key = ca::new_key();
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .expect("a P-256 key encodes")
        .to_string();
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("a P-256 key encodes");
    (private, public)
}
