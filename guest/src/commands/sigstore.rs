//! `wkg sigstore verify-bundle`: a Sigstore bundle checked against a file
//! (or its SHA-256) inside the sandbox, offline, with the shipped
//! public-good trusted root or `--trusted-root`; its options are those of
//! the Sigstore conformance suite's client protocol, so the suite drives
//! wkg through a wrapper that only execs it.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use wkg_core::digest::Digest;
use wkg_core::sigstore::bundle::Bundle;
use wkg_core::sigstore::crypto::VerifyingKey;
use wkg_core::sigstore::trust::{PUBLIC_GOOD, TrustedRoot};
use wkg_core::sigstore::verify::{Artifact, Matcher, Policy, verify};

#[derive(Debug, Subcommand)]
pub enum SigstoreCommand {
    /// Verify a Sigstore bundle for a file or a SHA-256 digest
    VerifyBundle(VerifyBundleArgs),
}

#[derive(Debug, Args)]
pub struct VerifyBundleArgs {
    /// Unused: the staging instance has no shipped root; pass `--trusted-root`
    #[arg(long, hide = true)]
    pub staging: bool,
    /// The bundle (`.sigstore.json`)
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The identity the signing certificate must name (a SAN URI or email)
    #[arg(long, value_name = "IDENTITY")]
    pub certificate_identity: Option<String>,
    /// A regular expression the certificate's identity must match (Go RE2 syntax, unanchored)
    #[arg(long, value_name = "REGEXP", conflicts_with = "certificate_identity")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the signing certificate must name
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// A regular expression the certificate's OIDC issuer must match
    #[arg(
        long,
        value_name = "REGEXP",
        conflicts_with = "certificate_oidc_issuer"
    )]
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// A PEM public key that must have made the signature (instead of an identity)
    #[arg(long, value_name = "FILE", conflicts_with = "certificate_identity")]
    pub key: Option<PathBuf>,
    /// The trusted root (a Sigstore `TrustedRoot` JSON); defaults to the public-good instance's
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The signed file, or its digest as `sha256:<64 hex>`
    pub artifact: String,
}

/// The digest a `sha256:<hex>` argument names, unless a file has that name.
pub fn digest_argument(artifact: &str) -> Option<[u8; 32]> {
    let digest: Digest = artifact.parse().ok()?;
    if !digest.is_sha256() || std::path::Path::new(artifact).exists() {
        return None;
    }
    digest.sha256_bytes()
}

fn read(path: &std::path::Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(crate::io::FileError::on("reading", path))
        .with_context(|| format!("unable to read the {what}"))
}

pub fn run(command: SigstoreCommand) -> anyhow::Result<()> {
    let SigstoreCommand::VerifyBundle(args) = command;
    crate::signatures::use_host_arithmetic();
    let bundle = Bundle::from_json(&read(&args.bundle, "bundle")?)
        .with_context(|| format!("`{}`", args.bundle.display()))?;
    let root = match &args.trusted_root {
        Some(path) => TrustedRoot::from_json(&read(path, "trusted root")?)
            .with_context(|| format!("`{}`", path.display()))?,
        None => TrustedRoot::from_json(PUBLIC_GOOD)?,
    };
    let matcher = |exact: Option<String>, regexp: Option<String>| -> anyhow::Result<_> {
        Ok(match (exact, regexp) {
            (Some(value), _) => Some(Matcher::Exact(value)),
            (None, Some(pattern)) => Some(Matcher::regex(&pattern)?),
            (None, None) => None,
        })
    };
    let identity = matcher(args.certificate_identity, args.certificate_identity_regexp)?;
    let issuer = matcher(
        args.certificate_oidc_issuer,
        args.certificate_oidc_issuer_regexp,
    )?;
    let policy = match (&args.key, identity, issuer) {
        (Some(key), None, None) => {
            let pem = read(key, "key")?;
            Policy::key(
                VerifyingKey::from_pem(&String::from_utf8_lossy(&pem))
                    .with_context(|| format!("`{}`", key.display()))?,
            )
        }
        (None, Some(identity), Some(issuer)) => Policy::Identity { identity, issuer },
        _ => bail!(
            "name who must have signed: `--certificate-identity` (or \
             `--certificate-identity-regexp`) and `--certificate-oidc-issuer` (or \
             `--certificate-oidc-issuer-regexp`), or `--key`"
        ),
    };
    let bytes;
    let digest;
    let artifact = match digest_argument(&args.artifact) {
        Some(d) => {
            digest = d;
            Artifact::Sha256(&digest)
        }
        None => {
            bytes = read(std::path::Path::new(&args.artifact), "artifact")?;
            Artifact::Bytes(&bytes)
        }
    };
    let now = crate::signatures::now();
    let verified = verify(&bundle, &artifact, &policy, &root, now).with_context(|| {
        format!(
            "`{}` does not verify `{}`",
            args.bundle.display(),
            args.artifact
        )
    })?;
    let entry = match verified.log_index {
        Some(index) => format!("log entry {index}"),
        None => "no transparency-log entry".to_owned(),
    };
    match (&verified.identity, &verified.issuer) {
        (Some(identity), Some(issuer)) => {
            println!("Verified: signed by `{identity}` (issuer `{issuer}`), {entry}")
        }
        _ => println!("Verified: signed with the key, {entry}"),
    }
    Ok(())
}
