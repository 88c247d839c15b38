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
