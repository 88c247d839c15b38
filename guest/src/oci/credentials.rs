//! The credential a `wkg oci` command starts from, as wkg picks it:
//! `-u`/`-p` (or `WKG_OCI_USERNAME`/`WKG_OCI_PASSWORD`), else the docker
//! `config.json` entry for the registry, else anonymous.

use std::path::PathBuf;

use wkg_core::auth::{
    Credential, DockerConfig, HELPER_REGISTRY_ENV, HELPER_SECRET_ENV, HELPER_USERNAME_ENV,
};
use wkg_core::reference::Reference;

/// The docker `config.json` path: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`; `None` without either variable.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".docker").join("config.json"))
}

/// Picks the credential for `reference`'s registry.
///
/// # Errors
/// A docker config that cannot be parsed, or whose entry for the registry
/// is an identity token (wkg: "identity tokens not supported").
pub fn for_reference(
    reference: &Reference,
    username: Option<String>,
    password: Option<String>,
) -> anyhow::Result<Option<Credential>> {
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
    let config = DockerConfig::from_json(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid docker config `{}`: {e}", path.display()))?;
    let key = reference.docker_credential_key();
    let credential = config
        .credential(&key)
        .map_err(|e| anyhow::anyhow!("docker config `{}`: {e}", path.display()))?;
    if credential.is_none()
        && let Some(helper) = config.helper_for(&key)
    {
        // The native host runs the helper and hands the result over.
        let var = |name| std::env::var(name).ok();
        if var(HELPER_REGISTRY_ENV).as_deref() == Some(key.as_str()) {
            // The host ran it; without a result it has said why.
            return Ok(match (var(HELPER_USERNAME_ENV), var(HELPER_SECRET_ENV)) {
                (Some(user), Some(secret)) => Some(Credential::new(user, secret)),
                _ => None,
            });
        }
        eprintln!(
            "warning: `{}` uses the credential helper `docker-credential-{helper}` for `{key}`; \
             a component cannot run it (the native `wkg` does, for `wkg oci`), \
             continuing without credentials (pass -u and -p)",
            path.display()
        );
    }
    Ok(credential)
}
