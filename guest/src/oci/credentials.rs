//! The credential a command starts from, as wkg picks it: `-u`/`-p` (or
//! `WKG_OCI_USERNAME`/`WKG_OCI_PASSWORD`), else the docker `config.json`
//! entry for the registry, else its credential helper (run by the host,
//! through `wkg:host/credentials`), else anonymous.

use std::path::PathBuf;

use wkg_core::auth::{Credential, DockerConfig};

/// A docker `config.json` that cannot be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// It does not parse.
    #[error("invalid docker config `{path}`: {message}")]
    Invalid { path: String, message: String },
    /// Its entry for the registry cannot be used (an identity token).
    #[error("docker config `{path}`: {message}")]
    Entry { path: String, message: String },
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> crate::error::Kind {
        crate::error::Kind::InvalidInput
    }
}
use wkg_core::reference::Reference;

/// The docker `config.json` path ([`wkg_core::paths::docker_config_file`]).
pub fn docker_config_path() -> Option<PathBuf> {
    wkg_core::paths::docker_config_file(crate::settings::var)
}

/// Picks the credential for `reference`'s registry.
///
/// # Errors
/// A docker config that cannot be parsed, or whose entry for the registry
/// is an identity token (wkg: "identity tokens not supported"). A
/// credential helper that fails is a warning, and the command goes on
/// without credentials.
pub async fn for_reference(
    reference: &Reference,
    username: Option<String>,
    password: Option<String>,
) -> Result<Option<Credential>, Error> {
    if let (Some(u), Some(p)) = (username, password) {
        return Ok(Some(Credential::new(u, p)));
    }
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        // Missing or unreadable (not preopened): anonymous, as wkg.
        Err(_) => return Ok(None),
    };
    let config = DockerConfig::from_json(&bytes).map_err(|e| Error::Invalid {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let key = reference.docker_credential_key();
    let credential = config.credential(&key).map_err(|e| Error::Entry {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let Some(helper) = config.helper_for(&key).filter(|_| credential.is_none()) else {
        return Ok(credential);
    };
    let helper = format!("docker-credential-{helper}");
    use crate::bindings::wkg::host::credentials::{self as host, HelperError};
    match host::get(&key) {
        Ok(Some(c)) => Ok(Some(Credential::new(c.username, c.secret))),
        Ok(None) => Ok(None),
        Err(HelperError::Unavailable(why)) => {
            eprintln!(
                "warning: `{}` sends `{key}` to the credential helper `{helper}`, {why}; \
                 continuing without credentials",
                path.display()
            );
            Ok(None)
        }
        Err(HelperError::Failed(reason)) => {
            eprintln!(
                "warning: `{helper} get` for `{key}`: {reason}; continuing without credentials"
            );
            Ok(None)
        }
    }
}
