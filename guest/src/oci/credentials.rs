//! The credential a command starts from, as wkg picks it: `-u`/`-p` (or
//! `WKG_OCI_USERNAME`/`WKG_OCI_PASSWORD`), else the docker `config.json`
//! entry for the registry, else its credential helper (run by the native
//! host, see [`HOST_HELPERS_ENV`]), else anonymous.

use std::path::PathBuf;

use wkg_core::auth::{
    Credential, DockerConfig, HELPER_SERVICE_HOST, HOST_HELPERS_ENV, helper_credential,
};
use wkg_core::reference::Reference;

use crate::http::{self as wasi_http, Body, Timeouts};

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
    let Some(helper) = config.helper_for(&key).filter(|_| credential.is_none()) else {
        return Ok(credential);
    };
    let helper = format!("docker-credential-{helper}");
    if std::env::var_os(HOST_HELPERS_ENV).is_none() {
        eprintln!(
            "warning: `{}` sends `{key}` to the credential helper `{helper}`, which a \
             component cannot run (the native `wkg` runs it); continuing without credentials",
            path.display()
        );
        return Ok(None);
    }
    match from_host(&key).await {
        Ok(credential) => Ok(Some(credential)),
        Err(reason) => {
            eprintln!(
                "warning: `{helper} get` for `{key}`: {reason}; continuing without credentials"
            );
            Ok(None)
        }
    }
}

/// Asks the host to run the helper for `key` (see [`HELPER_SERVICE_HOST`]).
async fn from_host(key: &str) -> Result<Credential, String> {
    let request = http::Request::post(format!("http://{HELPER_SERVICE_HOST}/get"))
        .body(Body::Bytes(key.as_bytes().to_vec()))
        .map_err(|e| e.to_string())?;
    let response = wasi_http::send(request, Timeouts::from_env())
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .bytes(64 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(String::from_utf8_lossy(&body).trim().to_owned());
    }
    helper_credential(&body, key).map_err(|e| e.to_string())
}
