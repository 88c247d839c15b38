//! One module per command group, each with its clap arguments: each turns
//! them into calls to the layers below and reports in wkg's words. The
//! flags every package command shares ([`Common`], [`LockArgs`]) are here;
//! `crate::cli` only assembles the command tree.

pub mod config;
pub mod get;
pub mod mirror;
pub mod oci;
pub mod publish;
pub mod sigstore;
pub mod wit;

use std::path::PathBuf;

use clap::Args;

/// What a command returns: the typed errors of the layers below, with
/// the context the command adds.
pub type Result<T = (), E = anyhow::Error> = std::result::Result<T, E>;

/// `--config` and `--cache`, on every package command.
#[derive(Debug, Args)]
pub struct Common {
    /// The path to the configuration file
    #[arg(long, env = "WKG_CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// The path to the cache directory. Defaults to the system cache directory
    #[arg(long, env = "WKG_CACHE_DIR")]
    pub cache: Option<PathBuf>,
}
impl Common {
    /// The settings the layers below the command line take.
    pub fn settings(&self) -> crate::settings::Settings {
        crate::settings::Settings {
            config: self.config.clone(),
            cache: self.cache.clone(),
        }
    }
}
/// How the lock file constrains `build` and `fetch`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Fail if `wkg.lock` would change
    #[arg(long)]
    pub locked: bool,
    /// Use only `wkg.lock` and the cache; make no network request
    #[arg(long)]
    pub offline: bool,
}

/// Parses a registry argument (`--default-registry`, `--registry`): a
/// `host[:port]`.
pub fn parse_registry(s: &str) -> Result<wkg_core::package::Registry, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// Who must have signed what `oci pull --verify` pulls (cosign's flags).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Verify the manifest's Sigstore signature (a bundle among its referrers, or cosign's
    /// `.sig` tag) before writing anything
    #[arg(long)]
    pub verify: bool,
    /// The identity (SAN URI or email) the signing certificate must have
    #[arg(long, value_name = "IDENTITY", requires = "verify")]
    pub certificate_identity: Option<String>,
    /// A regular expression the certificate's identity must match (Go RE2 syntax)
    #[arg(
        long,
        value_name = "REGEXP",
        requires = "verify",
        conflicts_with = "certificate_identity"
    )]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the signing certificate must name
    #[arg(long, value_name = "ISSUER", requires = "verify")]
    pub certificate_oidc_issuer: Option<String>,
    /// A regular expression the certificate's OIDC issuer must match
    #[arg(
        long,
        value_name = "REGEXP",
        requires = "verify",
        conflicts_with = "certificate_oidc_issuer"
    )]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// A PEM public key that must have made the signature (instead of an identity)
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub key: Option<PathBuf>,
    /// The trusted root JSON; defaults to the Sigstore public-good instance's
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub trusted_root: Option<PathBuf>,
}

impl VerifyArgs {
    /// The verifier these flags ask for; `None` without `--verify`.
    ///
    /// # Errors
    /// `--verify` without an identity and issuer or a key, or with both; a
    /// key or trusted root that cannot be read.
    pub fn verifier(&self) -> Result<Option<crate::signatures::Verifier>> {
        use wkg_core::config::Pattern;
        if !self.verify {
            return Ok(None);
        }
        let pattern = |exact: &Option<String>, regexp: &Option<String>| match (exact, regexp) {
            (Some(e), _) => Some(Pattern::Exact(e.clone())),
            (None, Some(r)) => Some(Pattern::Regexp(r.clone())),
            (None, None) => None,
        };
        let identity = pattern(
            &self.certificate_identity,
            &self.certificate_identity_regexp,
        );
        let issuer = pattern(
            &self.certificate_oidc_issuer,
            &self.certificate_oidc_issuer_regexp,
        );
        let root = std::rc::Rc::new(crate::signatures::trusted_root(
            self.trusted_root.as_deref(),
        )?);
        let verifier = match (&self.key, identity, issuer) {
            (Some(key), None, None) => crate::signatures::Verifier::with_key(
                key,
                root,
                format!("`--key {}`", key.display()),
            )?,
            (None, Some(identity), Some(issuer)) => crate::signatures::Verifier::with_identity(
                &identity,
                &issuer,
                root,
                "`--certificate-identity` and `--certificate-oidc-issuer`".into(),
            )?,
            (Some(_), _, _) => anyhow::bail!(
                "`--key` and `--certificate-identity` exclude each other: verify with a key or \
                 with a certificate identity"
            ),
            _ => anyhow::bail!(
                "`--verify` needs who must have signed: `--certificate-identity` (or \
                 `--certificate-identity-regexp`) and `--certificate-oidc-issuer` (or \
                 `--certificate-oidc-issuer-regexp`), or `--key FILE`"
            ),
        };
        Ok(Some(verifier))
    }
}
