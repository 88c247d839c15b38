//! `wkg publish`: the command line of [`crate::ops::publish`].

use std::path::PathBuf;

use clap::Args;

use super::Common;
use crate::ops::publish::{self, Publish};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The files and directories to publish. If a directory is provided, the package is built
    /// to a tempfile before publishing
    pub paths: Vec<PathBuf>,
    /// The registry domain to use. Overrides configuration file(s)
    #[arg(long, env = "WKG_REGISTRY", value_parser = super::parse_registry)]
    pub registry: Option<wkg_core::package::Registry>,
    /// If not provided, the package name and version will be inferred from the Wasm file.
    /// Expected format: `<namespace>:<name>@<version>`
    #[arg(long, env = "WKG_PACKAGE", value_parser = super::get::parse_spec)]
    pub package: Option<wkg_core::package::PackageSpec>,
    /// Attempt package, version, and registry resolution without publishing
    #[arg(long)]
    pub dry_run: bool,
    /// Publish all packages in the workspace
    #[arg(long)]
    pub workspace: bool,
    /// Disable semver compatibility checks
    #[arg(long)]
    pub skip_semver_check: bool,
    /// Skip publishing any package whose `(name, version)` already exists in the registry
    #[arg(long)]
    pub skip_dupes: bool,
    /// Sign each published release with this PEM private key (ECDSA P-256 or Ed25519): a
    /// Sigstore bundle attached as its manifest's referrer
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(args: PublishArgs) -> anyhow::Result<()> {
    let publish = Publish {
        paths: args.paths,
        registry: args.registry,
        package: args.package,
        dry_run: args.dry_run,
        workspace: args.workspace,
        skip_semver_check: args.skip_semver_check,
        skip_dupes: args.skip_dupes,
        sign_key: args.sign_key,
    };
    Ok(publish::run(&publish, &args.common.settings()).await?)
}
