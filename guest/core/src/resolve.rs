//! Dependency resolution for a WIT directory (wkg-behaviour §5), as pure
//! steps around the I/O it needs: reading local WIT, listing a registry's
//! versions, fetching a release and looking in the cache. The caller does
//! the I/O and feeds the results back; nothing here reads a file, sends a
//! request or prints.
//!
//! 1. **Requirements.** [`Requirements::new`] takes `[overrides]` from
//!    `wkg.toml` and the workspace members (any [`Warning`]s are in
//!    [`Requirements::warnings`], for the caller to print). The caller
//!    queues the foreign requirements of the root WIT with
//!    [`Requirements::require`] and drains [`Requirements::next_local`]:
//!    each [`LocalDependency`] it yields, the caller checks (a path that
//!    does not exist is [`Requirements::missing_path`]), reads (unless it
//!    is a `.wasm` file) and queues that WIT's requirements in turn. Each
//!    local package is yielded once, so cycles between local packages end.
//!    [`Requirements::finish`] gives the [`Wanted`] dependencies.
//! 2. **Lock reuse.** For each registry requirement the caller picks the
//!    registry (`Config::resolve`) and calls [`LockPolicy::dependency`],
//!    which looks the requirement up in the lock unless the [`Update`]
//!    covers the package.
//! 3. **Per dependency.** The caller looks the locked digest up in the
//!    cache and calls [`Pending::step`], which says what to do
//!    ([`Step`]): use the cached content, fetch the locked version, or
//!    list the versions and [`Pending::choose`] one; offline, anything
//!    missing is an error instead.
//! 4. **Release.** The caller fetches the release (wrapping a failure in
//!    [`Pending::release_context`]), checks what the registry serves with
//!    [`Pending::check_digest`], stores the content and finishes with
//!    [`Pending::resolved`].
//! 5. **Lock.** [`lock`] builds `wkg.lock` from the resolved registry
//!    dependencies.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//! use wkg_core::lock::LockFile;
//! use wkg_core::resolve::{LockPolicy, Requirements, Step, Update};
//!
//! let (overrides, members) = (BTreeMap::new(), BTreeMap::new());
//! let mut requirements = Requirements::new(&overrides, Path::new("/app"), &members, None);
//! requirements.require([("wasi:io".parse()?, "=0.2.0".parse()?)]);
//! assert_eq!(requirements.next_local(), None); // no local WIT to read
//! let wanted = requirements.finish();
//!
//! let lock = LockFile::default();
//! let policy = LockPolicy {
//!     lock: &lock,
//!     lock_path: Path::new("/app/wkg.lock"),
//!     update: &Update::Nothing,
//!     offline: false,
//! };
//! let (package, requirement) = wanted.registry[0].clone();
//! let pending = policy.dependency(package, "wasi.dev".parse()?, requirement);
//! assert_eq!(pending.step(None)?, Step::ListVersions);
//! let versions = ["0.2.0".parse()?, "0.2.1".parse()?];
//! assert_eq!(pending.choose(&versions)?.to_string(), "0.2.0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use semver::VersionReq;

use crate::digest::Digest;
use crate::lock::{LockFile, LockedSignature, LockedVersion};
use crate::package::{PackageRef, Registry, Version};
use crate::project::{Override, PROJECT_FILE_NAME, normalize_path};

mod error;

pub use error::{DependencyError, DependencyErrorKind};

/// Where a package comes from, as first required.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A registry release matching the requirement.
    Registry(VersionReq),
    /// A local WIT directory, `.wit` file or `.wasm` file.
    Local(PathBuf),
}

/// Something worth telling the user that does not stop resolution. Renders
/// without the `warning: ` prefix, which the caller adds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// An override with both `path` and `version`: the path is used.
    OverrideVersionIgnored {
        /// The overridden package.
        package: PackageRef,
    },
    /// An override with neither `path` nor `version`: it is ignored.
    EmptyOverride {
        /// The overridden package.
        package: PackageRef,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::OverrideVersionIgnored { package } => {
                write!(
                    f,
                    "override for `{package}` has a path; its version is ignored"
                )
            }
            Warning::EmptyOverride { package } => write!(
                f,
                "override for `{package}` has neither `path` nor `version`; ignored"
            ),
        }
    }
}

/// A local dependency: an `[overrides]` path or a workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDependency {
    /// The package it provides.
    pub package: PackageRef,
    /// Its WIT directory, `.wit` file or `.wasm` file: an override's path
    /// joined to the project directory and normalized, or a member's
    /// directory as given.
    pub path: PathBuf,
}

/// The dependencies of a WIT directory, from [`Requirements::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The local dependencies, in the order [`Requirements::next_local`]
    /// yielded them.
    pub local: Vec<LocalDependency>,
    /// The registry dependencies and their requirements, sorted by package.
    pub registry: Vec<(PackageRef, VersionReq)>,
}

/// The requirements of a WIT directory, collected as its WIT and the WIT
/// of its local dependencies are read.
///
/// The first requirement of a package wins: `[overrides]` first, then the
/// workspace members, then the requirements in the order
/// [`Requirements::next_local`] considers them. Overrides and members
/// nothing requires are dropped.
#[derive(Debug, Clone)]
pub struct Requirements {
    /// The directory of `wkg.toml`, for [`Requirements::missing_path`].
    project_dir: PathBuf,
    /// Per package, its first requirement.
    wanted: BTreeMap<PackageRef, Source>,
    /// Requirements not yet considered; a stack.
    queue: Vec<(PackageRef, VersionReq)>,
    /// Every package required by the root or a local dependency.
    used: BTreeSet<PackageRef>,
    /// The local dependencies yielded so far, in order.
    local: Vec<LocalDependency>,
    warnings: Vec<Warning>,
}

impl Requirements {
    /// Starts from `[overrides]` and the workspace members.
    ///
    /// * An override with a `path` makes a local dependency at `path`
    ///   joined to `project_dir` (the directory of `wkg.toml`) and
    ///   [normalized](normalize_path); a `version` beside it is ignored
    ///   with [`Warning::OverrideVersionIgnored`].
    /// * An override with only a `version` replaces the requirement the
    ///   WIT has.
    /// * An override with neither is ignored with [`Warning::EmptyOverride`].
    /// * Each member (package → directory) is a local dependency, unless an
    ///   override names the package or it is `own`, the root's own package.
    pub fn new(
        overrides: &BTreeMap<PackageRef, Override>,
        project_dir: &Path,
        members: &BTreeMap<PackageRef, PathBuf>,
        own: Option<&PackageRef>,
    ) -> Requirements {
        let mut wanted = BTreeMap::new();
        let mut warnings = Vec::new();
        for (package, o) in overrides {
            match (&o.path, &o.version) {
                (Some(path), version) => {
                    if version.is_some() {
                        warnings.push(Warning::OverrideVersionIgnored {
                            package: package.clone(),
                        });
                    }
                    let path = normalize_path(&project_dir.join(path));
                    wanted.insert(package.clone(), Source::Local(path));
                }
                (None, Some(version)) => {
                    wanted.insert(package.clone(), Source::Registry(version.clone()));
                }
                (None, None) => warnings.push(Warning::EmptyOverride {
                    package: package.clone(),
                }),
            }
        }
        for (package, dir) in members {
            if own == Some(package) {
                continue;
            }
            wanted
                .entry(package.clone())
                .or_insert_with(|| Source::Local(dir.clone()));
        }
        Requirements {
            project_dir: project_dir.to_owned(),
            wanted,
            queue: Vec::new(),
            used: BTreeSet::new(),
            local: Vec::new(),
            warnings,
        }
    }

    /// The warnings about `[overrides]`, in package order.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Queues requirements: the foreign requirements of the root WIT, or of
    /// a local dependency just read. The queue is a stack, so the last
    /// requirement queued is the first considered, and a local
    /// dependency's requirements are considered before the rest of the
    /// requirements of whatever required it.
    pub fn require(&mut self, requirements: impl IntoIterator<Item = (PackageRef, VersionReq)>) {
        self.queue.extend(requirements);
    }

    /// Considers queued requirements until one names a local dependency not
    /// yielded before, and yields it: the caller must now check that its
    /// path exists, read its WIT (unless it is a `.wasm` file) and
    /// [`require`](Requirements::require) what that WIT uses. `None` when
    /// the queue is empty.
    pub fn next_local(&mut self) -> Option<LocalDependency> {
        while let Some((package, requirement)) = self.queue.pop() {
            self.used.insert(package.clone());
            let source = self
                .wanted
                .entry(package.clone())
                .or_insert(Source::Registry(requirement));
            if let Source::Local(path) = source
                && !self.local.iter().any(|local| local.package == package)
            {
                let local = LocalDependency {
                    package,
                    path: path.clone(),
                };
                self.local.push(local.clone());
                return Some(local);
            }
        }
        None
    }

    /// The error for a local dependency whose path does not exist; it
    /// names the `wkg.toml` the paths are relative to.
    pub fn missing_path(&self, local: &LocalDependency) -> DependencyError {
        DependencyError::MissingPath {
            package: local.package.clone(),
            path: local.path.clone(),
            manifest: self.project_dir.join(PROJECT_FILE_NAME),
        }
    }

    /// The dependencies: the local ones yielded, and a registry requirement
    /// for every other package required, sorted by package.
    ///
    /// # Panics
    /// If requirements are still queued: drain
    /// [`next_local`](Requirements::next_local) to `None` first.
    pub fn finish(self) -> Wanted {
        assert!(
            self.queue.is_empty(),
            "Requirements::finish before next_local returned None"
        );
        let used = self.used;
        let registry = self
            .wanted
            .into_iter()
            .filter(|(package, _)| used.contains(package))
            .filter_map(|(package, source)| match source {
                Source::Registry(requirement) => Some((package, requirement)),
                Source::Local(_) => None,
            })
            .collect();
        Wanted {
            local: self.local,
            registry,
        }
    }
}

/// Which locked dependencies may move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Update {
    /// None: the lock holds.
    #[default]
    Nothing,
    /// Every one (`wkg update`).
    All,
    /// These (`wkg update <package>...`).
    Only(BTreeSet<PackageRef>),
}

impl Update {
    /// Whether `package` may move away from its locked version.
    pub fn covers(&self, package: &PackageRef) -> bool {
        match self {
            Update::Nothing => false,
            Update::All => true,
            Update::Only(packages) => packages.contains(package),
        }
    }
}

/// How one resolution uses `wkg.lock`; shared by all its registry
/// dependencies.
#[derive(Debug, Clone, Copy)]
pub struct LockPolicy<'a> {
    /// The lock read beside `wkg.toml` (empty when there is none).
    pub lock: &'a LockFile,
    /// Its path, which messages name.
    pub lock_path: &'a Path,
    /// Which locked dependencies may move.
    pub update: &'a Update,
    /// Lock and cache only: no request at all.
    pub offline: bool,
}

impl<'a> LockPolicy<'a> {
    /// The locked release to reuse for `requirement` of `package` from
    /// `registry`: none if the update covers the package, else the lock's
    /// entry for exactly this requirement ([`LockFile::get`]).
    pub fn locked(
        &self,
        package: &PackageRef,
        registry: &Registry,
        requirement: &VersionReq,
    ) -> Option<&'a LockedVersion> {
        if self.update.covers(package) {
            return None;
        }
        self.lock.get(package, Some(registry.as_str()), requirement)
    }

    /// Starts resolving one registry dependency, with the locked release
    /// [`LockPolicy::locked`] finds.
    pub fn dependency(
        &self,
        package: PackageRef,
        registry: Registry,
        requirement: VersionReq,
    ) -> Pending {
        let locked = self.locked(&package, &registry, &requirement).cloned();
        Pending {
            package,
            registry,
            requirement,
            locked,
            lock_path: self.lock_path.to_owned(),
            offline: self.offline,
        }
    }
}

/// What to do next for a [`Pending`] dependency ([`Pending::step`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The locked release's content is in the cache: done, no request.
    Cached(Box<ResolvedDependency>),
    /// Fetch the release of this locked version, then
    /// [`check_digest`](Pending::check_digest) it.
    FetchLocked(Version),
    /// List the registry's versions and [`choose`](Pending::choose) one.
    ListVersions,
}

/// One registry dependency being resolved: its requirement and the locked
/// release it may reuse. From [`LockPolicy::dependency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    package: PackageRef,
    registry: Registry,
    requirement: VersionReq,
    locked: Option<LockedVersion>,
    lock_path: PathBuf,
    offline: bool,
}

#[expect(
    clippy::result_large_err,
    reason = "a DependencyError (up to 240 bytes of package, registry, version and digests) \
              ends one dependency's resolution, once; boxing it would cost its callers the \
              plain match on its structured variants"
)]
impl Pending {
    /// The package.
    pub fn package(&self) -> &PackageRef {
        &self.package
    }

    /// The registry's name, as `wkg.lock` records it.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The requirement.
    pub fn requirement(&self) -> &VersionReq {
        &self.requirement
    }

    /// The locked release to reuse, if any: look its digest up in the
    /// cache before [`Pending::step`].
    pub fn locked(&self) -> Option<&LockedVersion> {
        self.locked.as_ref()
    }

    /// What to do, given `cached`, the cache's path of the locked digest's
    /// content (`None` when it is not in the cache or nothing is locked;
    /// ignored when nothing is locked):
    ///
    /// | locked | cached | offline | step |
    /// |---|---|---|---|
    /// | yes | yes | either | [`Step::Cached`] |
    /// | yes | no | no | [`Step::FetchLocked`] |
    /// | yes | no | yes | [`DependencyError::OfflineNotCached`] |
    /// | no | – | no | [`Step::ListVersions`] |
    /// | no | – | yes | [`DependencyError::OfflineNotLocked`] |
    ///
    /// # Errors
    /// Offline, [`DependencyError::OfflineNotCached`] for a locked release
    /// not in the cache, [`DependencyError::OfflineNotLocked`] for a
    /// requirement not in the lock.
    pub fn step(&self, cached: Option<PathBuf>) -> Result<Step, DependencyError> {
        match (&self.locked, cached) {
            (Some(locked), Some(path)) => {
                let mut dep =
                    self.clone()
                        .resolved(locked.version.clone(), locked.digest.clone(), path);
                dep.signature = locked.signature.clone();
                Ok(Step::Cached(Box::new(dep)))
            }
            (Some(locked), None) if self.offline => Err(DependencyError::OfflineNotCached {
                package: self.package.clone(),
                version: locked.version.clone(),
                digest: locked.digest.clone(),
            }),
            (Some(locked), None) => Ok(Step::FetchLocked(locked.version.clone())),
            (None, _) if self.offline => Err(DependencyError::OfflineNotLocked {
                package: self.package.clone(),
                requirement: self.requirement.clone(),
                lock_path: self.lock_path.clone(),
            }),
            (None, _) => Ok(Step::ListVersions),
        }
    }

    /// The highest of the registry's `versions` that matches the
    /// requirement ([`highest_match`]).
    ///
    /// # Errors
    /// [`DependencyError::NotFound`] when there are no versions at all,
    /// [`DependencyError::NoMatch`] when none matches.
    pub fn choose(&self, versions: &[Version]) -> Result<Version, DependencyError> {
        if versions.is_empty() {
            return Err(DependencyError::NotFound {
                package: self.package.clone(),
                registry: self.registry.clone(),
            });
        }
        match highest_match(&self.requirement, versions) {
            Some(version) => Ok(version.clone()),
            None => {
                let mut versions = versions.to_vec();
                versions.sort();
                Err(DependencyError::NoMatch {
                    package: self.package.clone(),
                    registry: self.registry.clone(),
                    requirement: self.requirement.clone(),
                    versions,
                })
            }
        }
    }

    /// The context for a failure to fetch the release of `version`: for a
    /// locked release, that it is gone from the registry and how to choose
    /// another; else which release was being resolved. Wrap the cause in
    /// it, so the cause (a not-found, say) stays visible.
    pub fn release_context(&self, version: &Version) -> String {
        let package = &self.package;
        match &self.locked {
            Some(_) => format!(
                "the locked release `{package}@{version}` is gone from registry `{}`; \
                 run `wkg update {package}` to choose another",
                self.registry
            ),
            None => format!("resolving `{package}@{version}`"),
        }
    }

    /// Checks the digest of the release the registry serves against the
    /// locked one; anything goes when nothing is locked.
    ///
    /// # Errors
    /// [`DependencyError::DigestMismatch`] when the digests differ: the tag
    /// was re-pushed with other content.
    pub fn check_digest(&self, served: &Digest) -> Result<(), DependencyError> {
        match &self.locked {
            Some(locked) if &locked.digest != served => Err(DependencyError::DigestMismatch {
                package: self.package.clone(),
                version: locked.version.clone(),
                registry: self.registry.clone(),
                served: served.clone(),
                lock_path: self.lock_path.clone(),
                locked: locked.digest.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The dependency, resolved to `version` with content `digest`, stored
    /// (verified) at `path`.
    pub fn resolved(self, version: Version, digest: Digest, path: PathBuf) -> ResolvedDependency {
        ResolvedDependency {
            package: self.package,
            registry: self.registry,
            requirement: self.requirement,
            version,
            digest,
            path,
            signature: None,
        }
    }
}

/// The highest of `versions` that `requirement` matches, as
/// [`VersionReq::matches`] has it (so a pre-release matches only a
/// requirement naming a pre-release of the same `major.minor.patch`).
pub fn highest_match<'v>(requirement: &VersionReq, versions: &'v [Version]) -> Option<&'v Version> {
    versions.iter().filter(|v| requirement.matches(v)).max()
}

/// A registry dependency, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDependency {
    /// The package.
    pub package: PackageRef,
    /// The registry's name, as `wkg.lock` records it.
    pub registry: Registry,
    /// The requirement it was resolved for.
    pub requirement: VersionReq,
    /// The version chosen or locked.
    pub version: Version,
    /// The digest of its content.
    pub digest: Digest,
    /// The verified content (in the cache, or a local registry's file).
    pub path: PathBuf,
    /// The signature verified under a `[sigstore]` policy, if one applies;
    /// for a [`Step::Cached`] dependency, the lock's record, still to be
    /// checked against the cache.
    pub signature: Option<LockedSignature>,
}

/// The lock for resolved registry dependencies: one entry per dependency,
/// under its registry's name.
pub fn lock<'a>(dependencies: impl IntoIterator<Item = &'a ResolvedDependency>) -> LockFile {
    let mut lock = LockFile::default();
    for d in dependencies {
        lock.insert(
            d.package.clone(),
            Some(d.registry.to_string()),
            LockedVersion {
                requirement: d.requirement.clone(),
                version: d.version.clone(),
                digest: d.digest.clone(),
                signature: d.signature.clone(),
            },
        );
    }
    lock
}

#[cfg(test)]
mod tests;
