//! One module per command group; each turns parsed arguments into calls to
//! the OCI client and the core, and reports in wkg's words.

pub mod config;
pub mod get;
pub mod oci;
pub mod publish;
pub mod wit;

/// Parses a registry argument (`--default-registry`, `--registry`): a
/// `host[:port]`.
pub fn parse_registry(s: &str) -> Result<wkg_core::package::Registry, String> {
    s.parse().map_err(|e| format!("{e}"))
}
