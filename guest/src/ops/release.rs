//! Releases by name, as the export's `resolve`, `list-versions` and
//! `fetch-*` ask for them: the release a package and optional version name
//! (the highest version without one), every version, the verified content.

use std::path::PathBuf;

use wkg_core::package::{PackageRef, Registry, Version};

use super::Error;
use crate::cache::Cache;
use crate::packages::{Registries, Release, Source};
use crate::settings::Settings;

/// A release, with the source it came from.
#[derive(Debug)]
pub struct Found {
    pub source: Source,
    pub package: PackageRef,
    pub release: Release,
    /// The registry's name, as `config.toml` names registries.
    pub registry: Registry,
}

/// The release of `package` at `version`, the highest one without a
/// version, through `registry` when given (else the config's choice).
///
/// # Errors
/// [`Error::NotFound`] for a package without releases; the source's
/// errors (a missing release is not-found there too).
pub async fn find(
    package: PackageRef,
    version: Option<Version>,
    registry: Option<&Registry>,
    settings: &Settings,
) -> Result<Found, Error> {
    let registries = Registries::load(settings)?;
    let source = registries.source(&package, registry).await?;
    let version = match version {
        Some(v) => v,
        None => source
            .versions(&package)
            .await?
            .into_iter()
            .max()
            .ok_or_else(|| Error::NotFound(format!("package `{package}` has no releases")))?,
    };
    let release = source.release(&package, &version).await?;
    let registry = match registry {
        Some(r) => r.clone(),
        None => registries.registry_name(&package)?,
    };
    Ok(Found {
        source,
        package,
        release,
        registry,
    })
}

/// Every version of `package`, lowest first (pre-releases included).
///
/// # Errors
/// The source's errors; an unknown package has none.
pub async fn versions(
    package: &PackageRef,
    registry: Option<&Registry>,
    settings: &Settings,
) -> Result<Vec<Version>, Error> {
    let registries = Registries::load(settings)?;
    let source = registries.source(package, registry).await?;
    let mut versions = source.versions(package).await?;
    versions.sort();
    Ok(versions)
}

impl Found {
    /// A file holding the verified content (in the cache for OCI
    /// registries, the registry's own file for local ones).
    ///
    /// # Errors
    /// The cache cannot be named; the source's errors.
    pub async fn content(&self, settings: &Settings) -> Result<PathBuf, Error> {
        let cache = Cache::open(settings)?;
        Ok(self
            .source
            .content(&self.package, &self.release, &cache)
            .await?
            .path)
    }
}
