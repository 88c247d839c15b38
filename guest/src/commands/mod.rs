//! One module per command group; each turns parsed arguments into calls to
//! the OCI client and the core, and reports in wkg's words.

pub mod config;
pub mod get;
pub mod oci;
