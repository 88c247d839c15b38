//! Which TLS certificates the component's https requests trust: the Mozilla
//! roots compiled in (as wasmtime's default outgoing handler), plus roots
//! the embedder adds for every host or for one host, and hosts whose
//! certificates are not verified at all (wkg's `extra_root_certificates`
//! and `accept_invalid_certificates`, `SSL_CERT_FILE` in the `wkg` binary).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use wasmtime::error::Context as _;
use wasmtime::{Result, bail, format_err};
use wkg_core::config::{CertificateEncoding, Config, RegistryMapping};

/// The TLS trust of one run, beyond the Mozilla roots compiled in.
///
/// Host entries are `host` (any port) or `host:port`, as in URLs and as
/// wkg's `[registry."<name>"]` tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// Root certificates (DER) trusted for every host.
    pub roots: Vec<Vec<u8>>,
    /// PEM files whose certificates are roots for every host, read when
    /// the run makes its first https connection (so a large CA bundle
    /// costs nothing to runs that make none); a file that cannot be read
    /// is reported on stderr and skipped.
    pub root_files: Vec<PathBuf>,
    /// Root certificates (DER) trusted for one host.
    pub host_roots: Vec<(String, Vec<u8>)>,
    /// Hosts whose certificates are accepted without verification (the
    /// handshake's signatures are still checked).
    pub insecure_hosts: Vec<String>,
}

impl Trust {
    /// Every certificate in PEM `text`, as DER.
    ///
    /// # Errors
    /// Malformed PEM, or no `CERTIFICATE` block at all.
    pub fn pem_certificates(text: &[u8]) -> Result<Vec<Vec<u8>>> {
        let certs = CertificateDer::pem_slice_iter(text)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format_err!("malformed PEM: {e}"))?;
        if certs.is_empty() {
            bail!("no `-----BEGIN CERTIFICATE-----` block");
        }
        Ok(certs)
    }

    /// The trust wkg's `config.toml` asks for: each `[registry."<name>".oci]`
    /// table's `extra_root_certificates` (`pem` text, or `der` as base64) and
    /// `accept_invalid_certificates`, for the registry's host and for the
    /// OCI registry hosts that namespace or package mappings with inline
    /// metadata send it to. (A registry whose OCI host comes from its
    /// well-known metadata is known only to the component.)
    ///
    /// Returns the trust and one message per certificate that could not be
    /// read; the rest still applies.
    pub fn from_config(config: &Config) -> (Trust, Vec<String>) {
        let mut trust = Trust::default();
        let mut problems = Vec::new();
        for (registry, registry_config) in config.registry_configs() {
            let Some(oci) = registry_config.oci() else {
                continue;
            };
            let mut hosts = vec![registry.to_string()];
            let mappings = config
                .namespace_registries()
                .values()
                .chain(config.package_registry_overrides().values());
            for mapping in mappings {
                if let RegistryMapping::Custom(custom) = mapping
                    && &custom.registry == registry
                    && let Some(host) = custom.metadata.oci().registry
                    && !hosts.contains(&host)
                {
                    hosts.push(host);
                }
            }
            for (i, cert) in oci.extra_root_certificates.iter().enumerate() {
                let der = match cert.encoding {
                    CertificateEncoding::Pem => Trust::pem_certificates(cert.data.as_bytes()),
                    CertificateEncoding::Der => decode_base64(&cert.data).map(|der| vec![der]),
                };
                match der {
                    Ok(der) => {
                        for host in &hosts {
                            let each = der.iter().map(|d| (host.clone(), d.clone()));
                            trust.host_roots.extend(each);
                        }
                    }
                    Err(e) => problems.push(format!(
                        "ignoring `extra_root_certificates[{i}]` of registry `{registry}`: {e:#}"
                    )),
                }
            }
            if oci.accept_invalid_certificates {
                trust.insecure_hosts.extend(hosts);
            }
        }
        (trust, problems)
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: Trust) {
        self.roots.extend(other.roots);
        self.root_files.extend(other.root_files);
        self.host_roots.extend(other.host_roots);
        self.insecure_hosts.extend(other.insecure_hosts);
    }

    /// The certificates of [`Trust::root_files`], with a message for each
    /// file that cannot be read.
    pub(crate) fn read_root_files(&self) -> Vec<Vec<u8>> {
        let mut roots = Vec::new();
        for file in &self.root_files {
            let read = std::fs::read(file)
                .map_err(wasmtime::Error::from)
                .and_then(|pem| Trust::pem_certificates(&pem));
            match read {
                Ok(certs) => roots.extend(certs),
                Err(e) => eprintln!("warning: ignoring `{}`: {e}", file.display()),
            }
        }
        roots
    }

    /// The rustls configuration for connections to `authority`
    /// (`host:port`), trusting `file_roots` (from [`Trust::read_root_files`])
    /// too.
    ///
    /// # Errors
    /// A root that is not a usable certificate.
    pub(crate) fn client_config(
        &self,
        authority: &str,
        file_roots: &[Vec<u8>],
    ) -> Result<Arc<ClientConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("setting up TLS")?;
        let config = if self
            .insecure_hosts
            .iter()
            .any(|h| host_matches(h, authority))
        {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let own = self
                .host_roots
                .iter()
                .filter(|(h, _)| host_matches(h, authority));
            let everywhere = self.roots.iter().chain(file_roots);
            for der in everywhere.chain(own.map(|(_, der)| der)) {
                roots
                    .add(CertificateDer::from(der.clone()))
                    .map_err(|e| format_err!("an extra root certificate for `{authority}`: {e}"))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        Ok(Arc::new(config))
    }
}

/// Whether the entry `allowed` (`host` or `host:port`) covers `authority`
/// (`host[:port]`); hosts compare case-insensitively.
pub(crate) fn host_matches(allowed: &str, authority: &str) -> bool {
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    allowed.eq_ignore_ascii_case(authority) || allowed.eq_ignore_ascii_case(host)
}

/// Standard base64, whitespace and line breaks ignored.
fn decode_base64(text: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| format_err!("`der` data must be base64: {e}"))
}

/// `accept_invalid_certificates`: any certificate chain is accepted; the
/// handshake signatures are verified with the provider's algorithms.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_entries() {
        for (allowed, authority, expected) in [
            ("127.0.0.1", "127.0.0.1:5000", true),
            ("127.0.0.1:5000", "127.0.0.1:5000", true),
            ("127.0.0.1:5001", "127.0.0.1:5000", false),
            ("Ghcr.IO", "ghcr.io:443", true),
            ("ghcr.io", "example.com:443", false),
        ] {
            assert_eq!(
                host_matches(allowed, authority),
                expected,
                "{allowed} {authority}"
            );
        }
    }

    #[test]
    fn config_trust() {
        let config = Config::from_toml(
            r#"
[namespace_registries]
acme = { registry = "acme.dev", metadata = { oci = { registry = "oci.acme.dev" } } }

[registry."acme.dev".oci]
accept_invalid_certificates = true

[registry."private.dev:8443".oci]
extra_root_certificates = [
  { encoding = "der", data = "MAA=" },
  { encoding = "pem", data = "not pem" },
]
"#,
            "config.toml",
        )
        .unwrap();
        let (trust, problems) = Trust::from_config(&config);
        assert_eq!(trust.insecure_hosts, ["acme.dev", "oci.acme.dev"]);
        assert_eq!(
            trust.host_roots,
            [("private.dev:8443".to_owned(), vec![0x30, 0])]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("extra_root_certificates[1]"),
            "{problems:?}"
        );
        assert!(problems[0].contains("private.dev:8443"), "{problems:?}");
    }

    #[test]
    fn malformed_roots_are_errors() {
        assert!(Trust::pem_certificates(b"").is_err());
        let trust = Trust {
            roots: vec![vec![1, 2, 3]],
            ..Trust::default()
        };
        let e = trust.client_config("example.com:443", &[]).unwrap_err();
        assert!(format!("{e}").contains("example.com:443"), "{e}");
        assert!(
            Trust::default()
                .client_config("example.com:443", &[])
                .is_ok()
        );
    }
}
