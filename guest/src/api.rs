//! The operations `wkg.wasm` exports as `wasm-pkg:client/registry`
//! (`wit/client.wit`), in plain Rust types; `src/main.rs` binds them to the
//! WIT. They run the same code as the commands, with the same config,
//! credentials and cache.

use std::path::PathBuf;

use anyhow::Context;
use wkg_core::package::{PackageRef, PackageSpec, Registry, Version};

use crate::cache::{Cache, copy_atomic};
use crate::commands;
use crate::commands::publish::PublishArgs;
use crate::commands::wit::FetchArgs;
use crate::commands::{Common, LockArgs};
use crate::deps::Project;
use crate::http::HttpError;
use crate::oci;
use crate::packages::{Registries, Source};

/// Why an operation failed; mirrors the WIT `error` variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    NotFound(String),
    Unauthorized(String),
    InvalidInput(String),
    DigestMismatch(String),
    Network(String),
    Other(String),
}

impl ApiError {
    /// Classifies `e` by the first typed error in its chain.
    fn from_anyhow(e: &anyhow::Error) -> ApiError {
        let message = wkg_core::error::without_errno(&format!("{e:#}"));
        for cause in e.chain() {
            if let Some(oci) = cause.downcast_ref::<oci::Error>() {
                return match oci {
                    oci::Error::NotFound { .. } => ApiError::NotFound(message),
                    oci::Error::Unauthorized { .. } | oci::Error::Denied { .. } => {
                        ApiError::Unauthorized(message)
                    }
                    oci::Error::Verify { .. } => ApiError::DigestMismatch(message),
                    oci::Error::Io { .. } => ApiError::Other(message),
                    _ => ApiError::Network(message),
                };
            }
            if cause.downcast_ref::<HttpError>().is_some() {
                return ApiError::Network(message);
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::NotFound
            {
                return ApiError::NotFound(message);
            }
        }
        ApiError::Other(message)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::from_anyhow(&e)
    }
}

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
    fn settings(&self) -> crate::settings::Settings {
        crate::settings::Settings {
            config: self.config.as_ref().map(PathBuf::from),
            cache: self.cache.as_ref().map(PathBuf::from),
        }
    }

    fn common(&self) -> Common {
        Common {
            config: self.config.as_ref().map(PathBuf::from),
            cache: self.cache.as_ref().map(PathBuf::from),
        }
    }

    fn registry(&self) -> Result<Option<Registry>, ApiError> {
        self.registry
            .as_deref()
            .map(|r| {
                r.parse()
                    .map_err(|e| ApiError::InvalidInput(format!("{e}")))
            })
            .transpose()
    }
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidInput(e.to_string())
}

/// A resolved release, with the source it came from.
struct Found {
    source: Source,
    package: PackageRef,
    release: crate::packages::Release,
    registry: String,
}

impl Found {
    fn api(&self) -> ApiRelease {
        ApiRelease {
            package: self.package.to_string(),
            version: self.release.version.to_string(),
            registry: self.registry.clone(),
            digest: self.release.digest.to_string(),
        }
    }
}

async fn find(spec: &str, opts: &ApiOptions) -> Result<Found, ApiError> {
    let spec: PackageSpec = spec.parse().map_err(invalid)?;
    let (package, version) = spec.into_parts();
    let registries = Registries::load(&opts.settings())
        .map_err(|e| invalid(wkg_core::error::without_errno(&format!("{e:#}"))))?;
    let registry = opts.registry()?;
    let source = registries.source(&package, registry.as_ref()).await?;
    let version = match version {
        Some(v) => v,
        None => source
            .versions(&package)
            .await?
            .into_iter()
            .max()
            .ok_or_else(|| ApiError::NotFound(format!("package `{package}` has no releases")))?,
    };
    let release = source.release(&package, &version).await?;
    let registry = match registry {
        Some(r) => r.to_string(),
        None => registries.registry_name(&package)?.to_string(),
    };
    Ok(Found {
        source,
        package,
        release,
        registry,
    })
}

/// `resolve`: the release `spec` names, the highest version without one.
///
/// # Errors
/// [`ApiError`], classified from the underlying failure.
pub async fn resolve(spec: &str, opts: &ApiOptions) -> Result<ApiRelease, ApiError> {
    Ok(find(spec, opts).await?.api())
}

/// `list-versions`: every version, lowest first.
///
/// # Errors
/// [`ApiError`].
pub async fn list_versions(package: &str, opts: &ApiOptions) -> Result<Vec<String>, ApiError> {
    let package: PackageRef = package.parse().map_err(invalid)?;
    let registries = Registries::load(&opts.settings())
        .map_err(|e| invalid(wkg_core::error::without_errno(&format!("{e:#}"))))?;
    let source = registries
        .source(&package, opts.registry()?.as_ref())
        .await?;
    let mut versions: Vec<Version> = source.versions(&package).await?;
    versions.sort();
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
    let cache = Cache::open(&opts.settings())?;
    let content = found
        .source
        .content(&found.package, &found.release, &cache)
        .await?;
    copy_atomic(&content, path.as_ref())
        .with_context(|| format!("writing `{path}`"))
        .map_err(ApiError::from)?;
    Ok(found.api())
}

/// `fetch-bytes`: the verified content in memory.
///
/// # Errors
/// [`ApiError`].
pub async fn fetch_bytes(spec: &str, opts: &ApiOptions) -> Result<(ApiRelease, Vec<u8>), ApiError> {
    let found = find(spec, opts).await?;
    let cache = Cache::open(&opts.settings())?;
    let content = found
        .source
        .content(&found.package, &found.release, &cache)
        .await?;
    let bytes = std::fs::read(&content)
        .with_context(|| format!("reading `{}`", content.display()))
        .map_err(ApiError::from)?;
    Ok((found.api(), bytes))
}

/// `publish`: as `wkg publish <path> [--package <package>]`.
///
/// # Errors
/// [`ApiError`]; an existing release is [`ApiError::Other`].
pub async fn publish(
    path: &str,
    package: Option<&str>,
    opts: &ApiOptions,
) -> Result<ApiRelease, ApiError> {
    let package = package
        .map(|p| p.parse::<PackageSpec>().map_err(invalid))
        .transpose()?;
    let args = PublishArgs {
        paths: vec![PathBuf::from(path)],
        registry: opts.registry()?,
        package,
        dry_run: false,
        workspace: false,
        skip_semver_check: false,
        skip_dupes: false,
        common: opts.common(),
    };
    let (package, version) = commands::publish::publish_one(args).await?;
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
    let args = FetchArgs {
        dir: Some(PathBuf::from(wit_dir)),
        output_type: None,
        lock: LockArgs {
            locked: false,
            offline: false,
        },
        common: opts.common(),
    };
    commands::wit::fetch(args).await?;
    let project = Project::load()?;
    let mut out = Vec::new();
    for package in &project.lock.packages {
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
