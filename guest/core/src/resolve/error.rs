//! The errors of dependency resolution.

use std::path::PathBuf;

use semver::VersionReq;

use crate::digest::Digest;
use crate::package::{PackageRef, Registry, Version};

/// What kind of [`DependencyError`] it is, for the caller's error cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DependencyErrorKind {
    /// The registry has no release of the package at all.
    NotFound,
    /// The registry has releases, but none matches the requirement.
    NoMatch,
    /// A local dependency's path does not exist.
    MissingPath,
    /// Offline, and the lock or the cache lacks what is needed.
    Offline,
    /// The registry serves other content than the lock records.
    DigestMismatch,
}

/// Why a dependency cannot be resolved. Each names the package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DependencyError {
    /// A local dependency's path does not exist.
    #[error(
        "the override path `{}` of `{package}` does not exist (paths are relative to `{}`)",
        path.display(),
        manifest.display()
    )]
    MissingPath {
        /// The package.
        package: PackageRef,
        /// The path, as resolved.
        path: PathBuf,
        /// The `wkg.toml` override paths are relative to.
        manifest: PathBuf,
    },
    /// Offline, and the locked release's content is not in the cache.
    #[error(
        "offline: `{package}@{version}` ({digest}) is not in the cache; \
         run once without `--offline` to fetch it"
    )]
    OfflineNotCached {
        /// The package.
        package: PackageRef,
        /// The locked version.
        version: Version,
        /// The locked digest.
        digest: Digest,
    },
    /// Offline, and the lock has no release for the requirement.
    #[error(
        "offline: `{package}` ({requirement}) is not in `{}`; \
         run once without `--offline` to resolve it",
        lock_path.display()
    )]
    OfflineNotLocked {
        /// The package.
        package: PackageRef,
        /// The requirement.
        requirement: VersionReq,
        /// The lock file.
        lock_path: PathBuf,
    },
    /// The registry lists no version of the package.
    #[error("package `{package}` was not found in registry `{registry}`")]
    NotFound {
        /// The package.
        package: PackageRef,
        /// The registry.
        registry: Registry,
    },
    /// No version the registry lists matches the requirement.
    #[error(
        "no release of `{package}` in registry `{registry}` matches `{requirement}` (it has {})",
        join(versions)
    )]
    NoMatch {
        /// The package.
        package: PackageRef,
        /// The registry.
        registry: Registry,
        /// The requirement.
        requirement: VersionReq,
        /// Every version the registry lists, sorted ascending.
        versions: Vec<Version>,
    },
    /// The registry serves the locked version with another digest.
    #[error(
        "`{package}@{version}` in registry `{registry}` has digest {served}, but `{}` locks \
         digest {locked}; the tag was re-pushed with other content. If that is expected, \
         run `wkg update {package}`",
        lock_path.display()
    )]
    DigestMismatch {
        /// The package.
        package: PackageRef,
        /// The locked version.
        version: Version,
        /// The registry.
        registry: Registry,
        /// The digest the registry serves.
        served: Digest,
        /// The lock file.
        lock_path: PathBuf,
        /// The digest the lock records.
        locked: Digest,
    },
}

/// `versions` joined with `", "`.
fn join(versions: &[Version]) -> String {
    let versions: Vec<String> = versions.iter().map(ToString::to_string).collect();
    versions.join(", ")
}

impl DependencyError {
    /// What kind of error it is.
    pub fn kind(&self) -> DependencyErrorKind {
        match self {
            DependencyError::MissingPath { .. } => DependencyErrorKind::MissingPath,
            DependencyError::OfflineNotCached { .. } | DependencyError::OfflineNotLocked { .. } => {
                DependencyErrorKind::Offline
            }
            DependencyError::NotFound { .. } => DependencyErrorKind::NotFound,
            DependencyError::NoMatch { .. } => DependencyErrorKind::NoMatch,
            DependencyError::DigestMismatch { .. } => DependencyErrorKind::DigestMismatch,
        }
    }

    /// Whether the registry has no release of the package at all (the WIT
    /// `not-found` case).
    pub fn is_not_found(&self) -> bool {
        self.kind() == DependencyErrorKind::NotFound
    }

    /// The package the error is about.
    pub fn package(&self) -> &PackageRef {
        match self {
            DependencyError::MissingPath { package, .. }
            | DependencyError::OfflineNotCached { package, .. }
            | DependencyError::OfflineNotLocked { package, .. }
            | DependencyError::NotFound { package, .. }
            | DependencyError::NoMatch { package, .. }
            | DependencyError::DigestMismatch { package, .. } => package,
        }
    }
}
