//! The operations `wkg.wasm` exports as `wasm-pkg:client/registry`
//! (`wit/client.wit`), in plain Rust types; `src/main.rs` binds them to the
//! WIT. They run the same code as the commands, with the same config,
//! credentials and cache.

use std::path::PathBuf;

use wkg_core::package::{PackageRef, PackageSpec, Registry};

use crate::cache::copy_atomic;
use crate::error::Kind;
use crate::io::FileError;
use crate::ops;
use crate::ops::release::Found;
use crate::settings::Settings;

/// Why an operation failed: the WIT `error` case ([`Kind`], from the typed
/// error of the layer that failed) and the message for people (the error
/// and its causes on one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: Kind,
    pub message: String,
}

impl ApiError {
    fn new(kind: Kind, e: &(dyn std::error::Error + 'static)) -> ApiError {
        ApiError {
            kind,
            message: crate::error::one_line(e),
        }
    }
}

/// `From` each layer's typed error, keeping its kind.
macro_rules! from_layer {
    ($($error:ty),*) => {$(
        impl From<$error> for ApiError {
            fn from(e: $error) -> Self {
                ApiError::new(e.kind(), &e)
            }
        }
    )*};
}

from_layer!(
    crate::settings::Error,
    crate::packages::Error,
    crate::deps::Error,
    FileError,
    ops::Error
);

/// One release; mirrors the WIT `release` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRelease {
    pub package: String,
    pub version: String,
    pub registry: String,
    pub digest: String,
}

/// `--config`, `--cache` and `--registry`; mirrors the WIT `options`.
#[derive(Debug, Clone, Default)]
pub struct ApiOptions {
    pub config: Option<String>,
    pub cache: Option<String>,
    pub registry: Option<String>,
}

impl ApiOptions {
    fn settings(&self) -> Settings {
        Settings {
            config: self.config.as_ref().map(PathBuf::from),
            cache: self.cache.as_ref().map(PathBuf::from),
        }
    }

    fn registry(&self) -> Result<Option<Registry>, ApiError> {
        self.registry
            .as_deref()
            .map(|r| r.parse().map_err(|e| invalid(&e)))
            .transpose()
    }
}

/// A malformed argument.
fn invalid(e: &(dyn std::error::Error + 'static)) -> ApiError {
    ApiError::new(Kind::InvalidInput, e)
}

/// The WIT `release` of what [`ops::release::find`] found.
fn release(found: &Found) -> ApiRelease {
    ApiRelease {
        package: found.package.to_string(),
        version: found.release.version.to_string(),
        registry: found.registry.to_string(),
        digest: found.release.digest.to_string(),
    }
}

async fn find(spec: &str, opts: &ApiOptions) -> Result<Found, ApiError> {
    let spec: PackageSpec = spec.parse().map_err(|e| invalid(&e))?;
    let (package, version) = spec.into_parts();
    let registry = opts.registry()?;
    Ok(ops::release::find(package, version, registry.as_ref(), &opts.settings()).await?)
}

/// `resolve`: the release `spec` names, the highest version without one.
///
/// # Errors
/// [`ApiError`], classified from the underlying failure.
pub async fn resolve(spec: &str, opts: &ApiOptions) -> Result<ApiRelease, ApiError> {
    Ok(release(&find(spec, opts).await?))
}

/// `list-versions`: every version, lowest first.
///
/// # Errors
/// [`ApiError`].
pub async fn list_versions(package: &str, opts: &ApiOptions) -> Result<Vec<String>, ApiError> {
    let package: PackageRef = package.parse().map_err(|e| invalid(&e))?;
    let registry = opts.registry()?;
    let versions = ops::release::versions(&package, registry.as_ref(), &opts.settings()).await?;
    Ok(versions.iter().map(ToString::to_string).collect())
}

/// `fetch-to-file`: the verified content, written to `path` atomically.
///
/// # Errors
/// [`ApiError`].
pub async fn fetch_to_file(
    spec: &str,
    path: &str,
    opts: &ApiOptions,
) -> Result<ApiRelease, ApiError> {
    let found = find(spec, opts).await?;
    let content = found.content(&opts.settings()).await?;
    copy_atomic(&content, path.as_ref()).map_err(FileError::on("writing", path.as_ref()))?;
    Ok(release(&found))
}

/// `fetch-bytes`: the verified content in memory.
///
/// # Errors
/// [`ApiError`].
pub async fn fetch_bytes(spec: &str, opts: &ApiOptions) -> Result<(ApiRelease, Vec<u8>), ApiError> {
    let found = find(spec, opts).await?;
    let content = found.content(&opts.settings()).await?;
    let bytes = std::fs::read(&content).map_err(FileError::on("reading", &content))?;
    Ok((release(&found), bytes))
}

/// `publish`: as `wkg publish <path> [--package <package>]`.
///
/// # Errors
/// [`ApiError`]; an existing release is [`Kind::Other`].
pub async fn publish(
    path: &str,
    package: Option<&str>,
    opts: &ApiOptions,
) -> Result<ApiRelease, ApiError> {
    let package = package
        .map(|p| p.parse::<PackageSpec>().map_err(|e| invalid(&e)))
        .transpose()?;
    let publish = ops::publish::Publish {
        paths: vec![PathBuf::from(path)],
        registry: opts.registry()?,
        package,
        ..ops::publish::Publish::default()
    };
    let (package, version) = ops::publish::publish_one(&publish, &opts.settings()).await?;
    resolve(&format!("{package}@{version}"), opts).await
}

/// `fetch-dependencies`: as `wkg fetch <wit-dir>`; the locked releases.
///
/// # Errors
/// [`ApiError`].
pub async fn fetch_dependencies(
    wit_dir: &str,
    opts: &ApiOptions,
) -> Result<Vec<ApiRelease>, ApiError> {
    let fetch = ops::project::Fetch {
        dir: Some(PathBuf::from(wit_dir)),
        ..ops::project::Fetch::default()
    };
    let lock = ops::project::fetch(&fetch, &opts.settings()).await?;
    let mut out = Vec::new();
    for package in &lock.packages {
        for v in &package.versions {
            out.push(ApiRelease {
                package: package.name.to_string(),
                version: v.version.to_string(),
                registry: package.registry.clone().unwrap_or_default(),
                digest: v.digest.to_string(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use wkg_core::package::Version;

    use super::*;
    use crate::{deps, packages, settings};

    fn kind(e: impl Into<ApiError>) -> Kind {
        e.into().kind
    }

    fn io(kind: ErrorKind) -> std::io::Error {
        std::io::Error::from(kind)
    }

    #[test]
    fn each_layer_keeps_its_kind_up_to_the_export() {
        let package: PackageRef = "test:pkg".parse().unwrap();
        let version: Version = "1.0.0".parse().unwrap();
        let registry: Registry = "example.com".parse().unwrap();
        let oci_missing = crate::oci::Error::NotFound {
            what: "manifest".into(),
            detail: String::new(),
        };
        let local_missing = packages::Error::LocalRelease {
            package: package.clone(),
            version: version.clone(),
            root: "/registry".into(),
            cause: io(ErrorKind::NotFound),
        };
        let no_release = wkg_core::resolve::DependencyError::NotFound {
            package: package.clone(),
            registry: registry.clone(),
        };
        let cases: Vec<(ApiError, Kind)> = vec![
            (packages::Error::from(oci_missing).into(), Kind::NotFound),
            (local_missing.into(), Kind::NotFound),
            (deps::Error::from(no_release).into(), Kind::NotFound),
            (
                settings::Error::MissingConfig("c.toml".into()).into(),
                Kind::NotFound,
            ),
            (settings::Error::NoCacheDir.into(), Kind::Other),
            (
                FileError::new("reading", "x".as_ref(), io(ErrorKind::PermissionDenied)).into(),
                Kind::Other,
            ),
            (
                FileError::new("reading", "x".as_ref(), io(ErrorKind::NotFound)).into(),
                Kind::NotFound,
            ),
            (
                packages::Error::Oci(crate::oci::Error::Unauthorized {
                    registry: "r".into(),
                    detail: String::new(),
                })
                .into(),
                Kind::Unauthorized,
            ),
            (
                packages::Error::Oci(crate::oci::Error::Protocol("bad".into())).into(),
                Kind::Network,
            ),
            (
                ops::Error::Context {
                    what: "building `wit`".into(),
                    source: Box::new(
                        deps::Error::from(packages::Error::LocalRelease {
                            package,
                            version,
                            root: "/registry".into(),
                            cause: io(ErrorKind::NotFound),
                        })
                        .into(),
                    ),
                }
                .into(),
                Kind::NotFound,
            ),
            (ops::Error::Refused("exists".into()).into(), Kind::Other),
            (
                ops::Error::Invalid("no version".into()).into(),
                Kind::InvalidInput,
            ),
        ];
        for (n, (error, expected)) in cases.into_iter().enumerate() {
            assert_eq!(error.kind, expected, "case {n}: {}", error.message);
        }
    }

    #[test]
    fn the_message_is_the_whole_chain_without_errno() {
        let e = ops::Error::Context {
            what: "building `wit`".into(),
            source: Box::new(
                FileError::new(
                    "reading",
                    "wit/a.wit".as_ref(),
                    std::io::Error::other("denied (os error 2)"),
                )
                .into(),
            ),
        };
        assert_eq!(
            ApiError::from(e).message,
            "building `wit`: reading `wit/a.wit`: denied"
        );
        assert_eq!(kind(settings::Error::NoConfigFile), Kind::Other);
    }
}
