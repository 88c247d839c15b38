//! The dependencies of a WIT directory (wkg-behaviour §5): found in its WIT
//! and in `wkg.toml`, resolved through `wkg.lock`, the cache and registries,
//! and assembled with their WIT into one resolve.
//!
//! Where wkg goes wrong this does not:
//! * a locked dependency keeps its version, and its digest is checked
//!   against the registry (wkg's `fetch` re-resolves and rewrites the lock);
//! * a locked dependency whose content is in the cache costs no request at
//!   all, so a complete lock and cache work offline;
//! * override paths are relative to the `wkg.toml` that names them;
//! * registry dependencies are resolved concurrently, each with its own
//!   requests in flight at once.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use futures_util::future::try_join_all;
use wit_component::DecodedWasm;
use wit_parser::{PackageId, PackageName, Resolve, UnresolvedPackageGroup};
use wkg_core::digest::Digest;
use wkg_core::lock::LockFile;
use wkg_core::package::PackageRef;
use wkg_core::project::ProjectManifest;
use wkg_core::resolve::{
    DependencyError, DependencyErrorKind, LockPolicy, Pending, Requirements, Step,
};

use crate::cache::Cache;
use crate::error::{BoxError, Kind};
use crate::io::FileError;
use crate::packages::{self, Registries};
use crate::signatures;

pub use semver::VersionReq;

/// A WIT directory or file that cannot be read or does not parse.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum WitError {
    /// A directory's WIT, as wit-parser reports it (file, line, column).
    #[error(transparent)]
    Dir(BoxError),
    /// A `.wit` file that cannot be read.
    #[error(transparent)]
    Read(#[from] FileError),
    /// A `.wit` file that does not parse, rendered with its snippet.
    #[error("{rendered}")]
    Parse {
        rendered: String,
        #[source]
        source: wit_parser::ParseError,
    },
}

crate::debug_as_message!(WitError);

impl WitError {
    pub fn kind(&self) -> Kind {
        match self {
            WitError::Read(e) => e.kind(),
            WitError::Dir(_) | WitError::Parse { .. } => Kind::InvalidInput,
        }
    }
}

/// Why a project's dependencies cannot be resolved or assembled.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `wkg.toml` or `wkg.lock` cannot be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// An invalid `wkg.toml` (file, line and column).
    #[error("{0}")]
    Manifest(wkg_core::config::ConfigError),
    /// An invalid `wkg.lock` (file, line and column).
    #[error("{0}")]
    Lock(wkg_core::lock::LockError),
    /// WIT that does not parse.
    #[error(transparent)]
    Wit(#[from] WitError),
    /// An override path outside the preopened directories.
    #[error(transparent)]
    Unreachable(#[from] crate::io::Unreachable),
    /// A local dependency's WIT.
    #[error("reading local dependency `{package}`")]
    Local {
        package: PackageRef,
        #[source]
        source: WitError,
    },
    /// No registry for a dependency.
    #[error("resolving dependency `{package}`")]
    Registry {
        package: PackageRef,
        #[source]
        source: packages::Error,
    },
    /// A release that cannot be had ([`Pending::release_context`]: the
    /// locked release is gone, or resolving it failed).
    #[error("{what}")]
    Release {
        what: String,
        #[source]
        source: packages::Error,
    },
    /// A package source's failure.
    #[error(transparent)]
    Source(#[from] packages::Error),
    /// A resolution step's refusal (no release, no match, a missing
    /// override path, offline, a changed digest).
    #[error(transparent)]
    Resolve(Box<DependencyError>),
    /// Two dependencies define one package.
    #[error("duplicate definitions of package `{name}`, by dependencies `{other}` and `{by}`")]
    Duplicate {
        name: PackageName,
        other: PackageRef,
        by: PackageRef,
    },
    /// A dependency's wasm that wit-component cannot decode.
    #[error("decoding dependency `{package}`")]
    Decode {
        package: PackageRef,
        #[source]
        source: BoxError,
    },
    /// A dependency's WIT that does not merge with the others.
    #[error("merging dependency `{package}`")]
    Merge {
        package: PackageRef,
        #[source]
        source: BoxError,
    },
    /// A dependency that is a component.
    #[error("dependency `{0}` is a component, not a WIT package")]
    Component(PackageRef),
    /// An override whose WIT defines another package.
    #[error("the override for `{package}` points at `{path}`, which defines package `{name}`")]
    WrongPackage {
        package: PackageRef,
        path: String,
        name: PackageName,
    },
    /// WIT that does not resolve, rendered with its snippet.
    #[error("{0}")]
    Unresolved(String),
}

impl From<DependencyError> for Error {
    fn from(e: DependencyError) -> Error {
        Error::Resolve(Box::new(e))
    }
}

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::File(e) => e.kind(),
            Error::Wit(e) | Error::Local { source: e, .. } => e.kind(),
            Error::Registry { source, .. }
            | Error::Release { source, .. }
            | Error::Source(source) => source.kind(),
            Error::Resolve(e) => match e.kind() {
                DependencyErrorKind::NotFound
                | DependencyErrorKind::NoMatch
                | DependencyErrorKind::MissingPath => Kind::NotFound,
                DependencyErrorKind::DigestMismatch => Kind::DigestMismatch,
                _ => Kind::Other,
            },
            Error::Manifest(_)
            | Error::Lock(_)
            | Error::Unreachable(_)
            | Error::Duplicate { .. }
            | Error::Decode { .. }
            | Error::Merge { .. }
            | Error::Component(_)
            | Error::WrongPackage { .. }
            | Error::Unresolved(_) => Kind::InvalidInput,
        }
    }
}

pub use wkg_core::resolve::{
    LocalDependency as LocalDep, ResolvedDependency as RegistryDep, Update,
};

/// Every dependency of a WIT directory.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Sorted by package.
    pub registry: Vec<RegistryDep>,
    pub local: Vec<LocalDep>,
    /// Registry packages already decoded, while their downloads' signatures
    /// were still being verified; [`assemble`] takes them.
    decoded: Decoded,
}

/// Decoded WIT packages by content digest.
#[derive(Default)]
struct Decoded(RefCell<HashMap<Digest, DecodedWasm>>);

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} decoded", self.0.borrow().len())
    }
}

/// The WIT package (or component) in the wasm file `path`; `None` when it
/// cannot be read or decoded ([`assemble`] then says why).
fn decode_file(path: &Path) -> Option<DecodedWasm> {
    let bytes = std::fs::read(path).ok()?;
    wit_component::decode(&bytes).ok()
}

/// How to resolve.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lock and cache only: no request at all.
    pub offline: bool,
    pub update: Update,
    /// Workspace members, used as local packages (after `[overrides]`).
    pub members: BTreeMap<PackageRef, PathBuf>,
}

/// A project: the directory of its `wkg.toml` (or the working directory),
/// the manifest, and the lock beside it.
#[derive(Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub manifest: ProjectManifest,
    pub lock_path: PathBuf,
    pub lock: LockFile,
}

impl Project {
    /// The project of the working directory: the nearest `wkg.toml` in it
    /// or above it (as far as the directories are reachable), else the
    /// working directory with an empty manifest.
    ///
    /// # Errors
    /// An invalid `wkg.toml` or `wkg.lock`, with file, line and column.
    pub fn load() -> Result<Project, Error> {
        Project::load_for(Path::new("wit"))
    }

    /// [`Project::load`] for a command on the WIT directory `wit_dir`:
    /// first the lock of a `deps` tree a killed run put in place is moved
    /// over `wkg.lock` ([`Project::commit_lock`]), in `wit_dir/deps` and in
    /// the workspace's `wkg/deps`, so the lock read is the one that goes
    /// with the tree.
    ///
    /// # Errors
    /// As [`Project::load`].
    pub fn load_for(wit_dir: &Path) -> Result<Project, Error> {
        let dir = crate::settings::project_dir();
        let lock_path = dir.join(wkg_core::lock::LOCK_FILE_NAME);
        for deps in [wit_dir.join("deps"), dir.join("wkg").join("deps")] {
            commit_lock(&deps, &lock_path)?;
        }
        let manifest_path = dir.join(wkg_core::project::PROJECT_FILE_NAME);
        let manifest = match crate::settings::read_optional(&manifest_path, "reading")? {
            Some(text) => ProjectManifest::from_toml(&text, &manifest_path.display().to_string())
                .map_err(Error::Manifest)?,
            None => ProjectManifest::default(),
        };
        let lock = match crate::settings::read_optional(&lock_path, "reading")? {
            Some(text) => {
                LockFile::from_toml(&text, &lock_path.display().to_string()).map_err(Error::Lock)?
            }
            None => LockFile::default(),
        };
        Ok(Project {
            dir,
            manifest,
            lock_path,
            lock,
        })
    }

    /// Whether `lock` differs from what `wkg.lock` holds (or it is missing).
    pub fn lock_changes(&self, lock: &LockFile) -> bool {
        lock != &self.lock || !self.lock_path.is_file()
    }

    /// Moves the lock staged in the `deps` tree now in place over
    /// `wkg.lock` (see [`PENDING_LOCK`]).
    ///
    /// # Errors
    /// A rename that fails, naming the lock.
    pub fn commit_lock(&self, deps: &Path) -> Result<(), FileError> {
        commit_lock(deps, &self.lock_path)
    }

    /// Writes `lock` unless it is what the file already holds.
    ///
    /// # Errors
    /// I/O errors; the old lock stays whole.
    pub fn write_lock(&self, lock: &LockFile) -> Result<(), FileError> {
        if lock == &self.lock && self.lock_path.is_file() {
            // Unchanged; what killed runs left beside it still goes.
            crate::io::sweep_leftovers(&self.lock_path, "tmp");
            return Ok(());
        }
        crate::cache::write_atomic(&self.lock_path, lock.to_toml().as_bytes())
            .map_err(FileError::on("writing", &self.lock_path))
    }
}

/// The name, inside a staged `deps` tree, of the lock that goes with it.
/// `deps` and `wkg.lock` change together: the new lock is written into the
/// new tree, the tree is swapped in (one rename, the commit point), then the
/// lock is moved over `wkg.lock`. A run killed between the two finds the
/// lock still in the tree and moves it on ([`Project::load_for`]), so a
/// command never reads the new tree with the old lock. wit-parser skips the
/// file (it reads only directories and `.wit`/`.wasm` files in `deps`).
pub const PENDING_LOCK: &str = ".wkg.lock.pending";

fn commit_lock(deps: &Path, lock_path: &Path) -> Result<(), FileError> {
    match std::fs::rename(deps.join(PENDING_LOCK), lock_path) {
        // Nothing pending, or a concurrent run moved it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        moved => moved.map_err(FileError::on("writing", lock_path)),
    }
}

/// The package group of a WIT directory (its `*.wit` files only; `deps/`
/// is not read, as in wkg) or of a single `.wit` file.
///
/// # Errors
/// A missing directory, WIT that does not parse (file, line and column).
pub fn parse_wit(path: &Path) -> Result<UnresolvedPackageGroup, WitError> {
    if path.is_dir() {
        UnresolvedPackageGroup::parse_dir(path).map_err(|e| WitError::Dir(e.into()))
    } else {
        let text = std::fs::read_to_string(path).map_err(FileError::on("reading", path))?;
        UnresolvedPackageGroup::parse(path, &text).map_err(|(map, source)| WitError::Parse {
            rendered: source.render(&map),
            source,
        })
    }
}

/// The packages a group uses but does not define, with the requirement
/// wkg derives: `=X.Y.Z` for a versioned use, `*` for an unversioned one.
pub fn foreign_deps(group: &UnresolvedPackageGroup) -> Vec<(PackageRef, VersionReq)> {
    let packages = || std::iter::once(&group.main).chain(&group.nested);
    let defined: HashSet<&PackageName> = packages().map(|p| &p.name).collect();
    let mut out = Vec::new();
    for name in packages().flat_map(|p| p.foreign_deps.keys()) {
        if defined.contains(name) {
            continue;
        }
        let Ok(package) = format!("{}:{}", name.namespace, name.name).parse::<PackageRef>() else {
            eprintln!("warning: skipping dependency `{name}`: not a valid package name");
            continue;
        };
        let requirement = match &name.version {
            Some(v) => VersionReq::parse(&format!("={v}")).expect("a version makes a requirement"),
            None => VersionReq::STAR,
        };
        if !out.iter().any(|(p, r)| p == &package && r == &requirement) {
            out.push((package, requirement));
        }
    }
    out
}

/// Resolves the dependencies of `root` (the group of the WIT directory):
/// the I/O around [`wkg_core::resolve`]'s steps.
///
/// `[overrides]` come first (a `path` makes a local dependency, relative to
/// the project directory; a `version` a registry requirement), then the
/// requirements of the WIT; the first requirement of a package wins, as in
/// wkg. Local dependencies bring their own foreign dependencies. Registry
/// dependencies are resolved concurrently.
///
/// # Errors
/// A dependency that does not exist, no matching release, a locked digest
/// the registry no longer serves, anything missing when offline; each names
/// the package.
pub async fn resolve(
    root: &UnresolvedPackageGroup,
    project: &Project,
    registries: &Registries,
    cache: &Cache,
    options: &Options,
) -> Result<Resolved, Error> {
    let own = format!("{}:{}", root.main.name.namespace, root.main.name.name)
        .parse::<PackageRef>()
        .ok();
    let mut requirements = Requirements::new(
        &project.manifest.overrides,
        &project.dir,
        &options.members,
        own.as_ref(),
    );
    for warning in requirements.warnings() {
        eprintln!("warning: {warning}");
    }
    requirements.require(foreign_deps(root));
    while let Some(local) = requirements.next_local() {
        let what = format!("the override path of `{}`", local.package);
        crate::io::check_reachable(&local.path, &what, local.path.extension().is_none())?;
        if !local.path.exists() {
            return Err(requirements.missing_path(&local).into());
        }
        if !is_wasm(&local.path) {
            let group = parse_wit(&local.path).map_err(|source| Error::Local {
                package: local.package.clone(),
                source,
            })?;
            requirements.require(foreign_deps(&group));
        }
    }
    let wanted = requirements.finish();
    let policy = LockPolicy {
        lock: &project.lock,
        lock_path: &project.lock_path,
        update: &options.update,
        offline: options.offline,
    };
    let found = try_join_all(wanted.registry.into_iter().map(|(package, requirement)| {
        resolve_registry(package, requirement, &policy, registries, cache)
    }))
    .await?;
    let mut decoded = HashMap::new();
    let mut registry = Vec::with_capacity(found.len());
    for (dep, wasm) in found {
        if let Some(wasm) = wasm {
            decoded.insert(dep.digest.clone(), wasm);
        }
        registry.push(dep);
    }
    Ok(Resolved {
        registry,
        local: wanted.local,
        decoded: Decoded(RefCell::new(decoded)),
    })
}

/// Whether `path` is a file starting with the wasm magic number.
pub fn is_wasm(path: &Path) -> bool {
    if path.is_dir() {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| &magic == b"\0asm")
}

/// One registry dependency: the locked release when the lock has one (its
/// content from the cache without a request, else fetched and checked
/// against the locked digest), else the highest matching release. A
/// release fetched now comes with its decoded package, decoded during the
/// round trips of its signature check.
async fn resolve_registry(
    package: PackageRef,
    requirement: VersionReq,
    policy: &LockPolicy<'_>,
    registries: &Registries,
    cache: &Cache,
) -> Result<(RegistryDep, Option<DecodedWasm>), Error> {
    let registry = registries
        .registry_name(&package)
        .map_err(|source| Error::Registry {
            package: package.clone(),
            source,
        })?;
    let pending: Pending = policy.dependency(package, registry, requirement);
    let verifier = registries
        .verifier(pending.package())
        .map_err(|source| Error::Registry {
            package: pending.package().clone(),
            source,
        })?;
    let cached = pending.locked().and_then(|l| cache.blob(&l.digest));
    let mut step = pending.step(cached)?;
    if let Step::Cached(dep) = step {
        let Some(verifier) = &verifier else {
            return Ok((*dep, None));
        };
        // Under a policy, the lock's signature record is checked again
        // from the cache; without one (locked before the policy, or a
        // cache cleared since) the release is verified online.
        let subject = format!("package `{}@{}`", dep.package, dep.version);
        let checked = match &dep.signature {
            Some(record) => {
                signatures::verify_cached(record, &dep.digest, &subject, verifier, cache)
                    .map_err(packages::Error::from)?
            }
            None => false,
        };
        if checked {
            return Ok((*dep, None));
        }
        if policy.offline {
            let missing = match &dep.signature {
                Some(record) => signatures::Error::NotCached {
                    subject,
                    bundle: record.bundle.clone(),
                },
                None => signatures::Error::NotLocked { subject },
            };
            return Err(Error::Source(missing.into()));
        }
        step = Step::FetchLocked(dep.version);
    }
    let source = registries.source(pending.package(), None).await?;
    let version = match step {
        Step::FetchLocked(version) => version,
        Step::ListVersions => pending.choose(&source.versions(pending.package()).await?)?,
        Step::Cached(_) => unreachable!("returned above"),
    };
    let release = source
        .release(pending.package(), &version)
        .await
        .map_err(|source| Error::Release {
            what: pending.release_context(&version),
            source,
        })?;
    pending.check_digest(&release.digest)?;
    let (content, decoded) = source
        .content_with(pending.package(), &release, cache, decode_file)
        .await?;
    let mut dep = pending.resolved(version, release.digest, content.path);
    dep.signature = content.signature;
    Ok((dep, decoded))
}

impl Resolved {
    /// The lock for this resolution: one entry per registry dependency.
    pub fn lock(&self) -> LockFile {
        wkg_core::resolve::lock(&self.registry)
    }
}

/// The package name each registry dependency resolved to, by `ns:name`.
fn registry_names(resolve: &Resolve, resolved: &Resolved) -> HashMap<PackageRef, PackageName> {
    resolved
        .registry
        .iter()
        .filter_map(|dep| {
            let name = resolve.package_names.keys().find(|n| {
                n.namespace == dep.package.namespace().as_str()
                    && n.name == dep.package.name().as_str()
                    && n.version.as_ref() == Some(&dep.version)
            })?;
            Some((dep.package.clone(), name.clone()))
        })
        .collect()
}

/// Points a group's uses of a registry dependency at the release that was
/// resolved for it. wit-parser matches package names exactly, so without
/// this an unversioned use (`import test:dep/api;`, requirement `*`) or a
/// `version` override never finds the versioned package it resolved to
/// (wkg fails there).
fn retarget(group: &mut UnresolvedPackageGroup, resolved: &HashMap<PackageRef, PackageName>) {
    for package in std::iter::once(&mut group.main).chain(&mut group.nested) {
        let deps = std::mem::take(&mut package.foreign_deps);
        for (name, items) in deps {
            let target = format!("{}:{}", name.namespace, name.name)
                .parse::<PackageRef>()
                .ok()
                .and_then(|p| resolved.get(&p))
                .cloned()
                .unwrap_or(name);
            package
                .foreign_deps
                .entry(target)
                .or_default()
                .extend(items);
        }
    }
}

/// The root package with its dependencies, resolved into one [`Resolve`].
#[derive(Debug)]
pub struct Assembled {
    pub resolve: Resolve,
    pub root: PackageId,
    /// The packages the root directory defines (its main and nested ones).
    pub own: HashSet<PackageName>,
}

/// Builds one resolve: registry packages (each embeds the packages it uses)
/// are merged, local WIT is pushed in dependency order, then the root.
/// `@unstable` items are kept.
///
/// # Errors
/// A dependency that is a component rather than a WIT package, two
/// dependencies defining one package, a cycle, or WIT that does not
/// resolve (file, line and column).
pub fn assemble(root: UnresolvedPackageGroup, resolved: &Resolved) -> Result<Assembled, Error> {
    let mut resolve = Resolve::new();
    resolve.all_features = true;
    let mut defined: HashMap<PackageName, PackageRef> = HashMap::new();
    let mut define = |name: &PackageName, by: &PackageRef| -> Result<(), Error> {
        match defined.insert(name.clone(), by.clone()) {
            Some(other) if &other != by => Err(Error::Duplicate {
                name: name.clone(),
                other,
                by: by.clone(),
            }),
            _ => Ok(()),
        }
    };
    let merge_wasm = |resolve: &mut Resolve,
                      path: &Path,
                      decoded: Option<DecodedWasm>,
                      package: &PackageRef,
                      define: &mut dyn FnMut(&PackageName, &PackageRef) -> Result<(), Error>|
     -> Result<(), Error> {
        let decoded = match decoded {
            Some(decoded) => decoded,
            None => {
                let bytes = std::fs::read(path).map_err(FileError::on("reading", path))?;
                wit_component::decode(&bytes).map_err(|e| Error::Decode {
                    package: package.clone(),
                    source: e.into(),
                })?
            }
        };
        match decoded {
            DecodedWasm::WitPackage(decoded, id) => {
                define(&decoded.packages[id].name, package)?;
                resolve.merge(decoded).map_err(|e| Error::Merge {
                    package: package.clone(),
                    source: e.into(),
                })?;
                Ok(())
            }
            DecodedWasm::Component(..) => Err(Error::Component(package.clone())),
        }
    };
    for dep in &resolved.registry {
        let decoded = resolved.decoded.0.borrow_mut().remove(&dep.digest);
        merge_wasm(&mut resolve, &dep.path, decoded, &dep.package, &mut define)?;
    }
    let mut groups = Vec::new();
    for dep in &resolved.local {
        if is_wasm(&dep.path) {
            merge_wasm(&mut resolve, &dep.path, None, &dep.package, &mut define)?;
        } else {
            let group = parse_wit(&dep.path)?;
            let name = &group.main.name;
            if name.namespace != dep.package.namespace().as_str()
                || name.name != dep.package.name().as_str()
            {
                return Err(Error::WrongPackage {
                    package: dep.package.clone(),
                    path: dep.path.display().to_string(),
                    name: name.clone(),
                });
            }
            define(name, &dep.package)?;
            groups.push(group);
        }
    }
    let own: HashSet<PackageName> = std::iter::once(&root.main)
        .chain(&root.nested)
        .map(|p| p.name.clone())
        .collect();
    let mut root = root;
    let resolved_names = registry_names(&resolve, resolved);
    for group in std::iter::once(&mut root).chain(&mut groups) {
        retarget(group, &resolved_names);
    }
    let root = match resolve.push_groups(root, groups) {
        Ok(id) => id,
        Err(e) => return Err(Error::Unresolved(e.render(&resolve.source_map))),
    };
    Ok(Assembled { resolve, root, own })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(wit: &str) -> UnresolvedPackageGroup {
        UnresolvedPackageGroup::parse("test.wit", wit).unwrap_or_else(|(map, e)| {
            panic!("{}", e.render(&map));
        })
    }

    fn requirements(wit: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = foreign_deps(&group(wit))
            .into_iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_versioned_use_requires_that_version_and_an_unversioned_one_any() {
        let wit = "package test:app;
            world app {
                import wasi:http/types@0.2.3;
                import wasi:io/streams@0.2.3;
                import test:dep/api;
            }";
        assert_eq!(
            requirements(wit),
            [
                ("test:dep".to_owned(), "*".to_owned()),
                ("wasi:http".to_owned(), "=0.2.3".to_owned()),
                ("wasi:io".to_owned(), "=0.2.3".to_owned()),
            ]
        );
    }

    #[test]
    fn packages_the_group_defines_are_not_dependencies() {
        let wit = "package test:app;
            package test:inner { interface api {} }
            world app { import test:inner/api; import wasi:cli/stdout@0.2.0; }";
        assert_eq!(
            requirements(wit),
            [("wasi:cli".to_owned(), "=0.2.0".to_owned())]
        );
    }

    #[test]
    fn two_versions_of_a_package_are_two_requirements_and_a_repeat_is_one() {
        let wit = "package test:app;
            interface a { use wasi:io/streams@0.2.0.{input-stream}; }
            interface b { use wasi:io/streams@0.2.3.{input-stream}; }
            interface c { use wasi:io/streams@0.2.3.{output-stream}; }";
        assert_eq!(
            requirements(wit),
            [
                ("wasi:io".to_owned(), "=0.2.0".to_owned()),
                ("wasi:io".to_owned(), "=0.2.3".to_owned()),
            ]
        );
    }

    #[test]
    fn an_unversioned_use_is_pointed_at_the_release_it_resolved_to() {
        let mut g = group("package test:app; world app { import test:dep/api; }");
        let resolved = HashMap::from([(
            "test:dep".parse::<PackageRef>().unwrap(),
            PackageName {
                namespace: "test".into(),
                name: "dep".into(),
                version: Some(semver::Version::new(1, 2, 0)),
            },
        )]);
        retarget(&mut g, &resolved);
        let names: Vec<String> = g
            .main
            .foreign_deps
            .keys()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["test:dep@1.2.0"]);
    }
}
crate::debug_as_message!(Error);
