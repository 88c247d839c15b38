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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use futures_util::future::try_join_all;
use wit_component::DecodedWasm;
use wit_parser::{PackageId, PackageName, Resolve, UnresolvedPackageGroup};
use wkg_core::digest::Digest;
use wkg_core::lock::{LockFile, LockedVersion};
use wkg_core::package::{PackageRef, Registry, Version};
use wkg_core::project::{ProjectManifest, normalize_path};

use crate::cache::Cache;
use crate::packages::Registries;

pub use semver::VersionReq;

/// Where a dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// A registry release matching the requirement.
    Registry(VersionReq),
    /// A local WIT directory, `.wit` file or `.wasm` file.
    Local(PathBuf),
}

/// A registry dependency, resolved.
#[derive(Debug, Clone)]
pub struct RegistryDep {
    pub package: PackageRef,
    /// The registry's name, as `wkg.lock` records it.
    pub registry: Registry,
    pub requirement: VersionReq,
    pub version: Version,
    pub digest: Digest,
    /// The verified content (in the cache, or a local registry's file).
    pub path: PathBuf,
}

/// A local dependency (an `[overrides]` path).
#[derive(Debug, Clone)]
pub struct LocalDep {
    pub package: PackageRef,
    pub path: PathBuf,
}

/// Every dependency of a WIT directory.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Sorted by package.
    pub registry: Vec<RegistryDep>,
    pub local: Vec<LocalDep>,
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
    fn covers(&self, package: &PackageRef) -> bool {
        match self {
            Update::Nothing => false,
            Update::All => true,
            Update::Only(packages) => packages.contains(package),
        }
    }
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
    pub fn load() -> anyhow::Result<Project> {
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
    pub fn load_for(wit_dir: &Path) -> anyhow::Result<Project> {
        let dir = crate::settings::project_dir();
        let lock_path = dir.join(wkg_core::lock::LOCK_FILE_NAME);
        for deps in [wit_dir.join("deps"), dir.join("wkg").join("deps")] {
            commit_lock(&deps, &lock_path)?;
        }
        let manifest_path = dir.join(wkg_core::project::PROJECT_FILE_NAME);
        let manifest = match std::fs::read_to_string(&manifest_path) {
            Ok(text) => ProjectManifest::from_toml(&text, &manifest_path.display().to_string())
                .map_err(|e| anyhow!("{e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ProjectManifest::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("reading `{}`", manifest_path.display()));
            }
        };
        let lock = match std::fs::read_to_string(&lock_path) {
            Ok(text) => LockFile::from_toml(&text, &lock_path.display().to_string())
                .map_err(|e| anyhow!("{e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LockFile::default(),
            Err(e) => return Err(e).with_context(|| format!("reading `{}`", lock_path.display())),
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
    pub fn commit_lock(&self, deps: &Path) -> anyhow::Result<()> {
        commit_lock(deps, &self.lock_path)
    }

    /// Writes `lock` unless it is what the file already holds.
    ///
    /// # Errors
    /// I/O errors; the old lock stays whole.
    pub fn write_lock(&self, lock: &LockFile) -> anyhow::Result<()> {
        if lock == &self.lock && self.lock_path.is_file() {
            // Unchanged; what killed runs left beside it still goes.
            crate::io::sweep_leftovers(&self.lock_path, "tmp");
            return Ok(());
        }
        crate::cache::write_atomic(&self.lock_path, lock.to_toml().as_bytes())
            .with_context(|| format!("writing `{}`", self.lock_path.display()))
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

fn commit_lock(deps: &Path, lock_path: &Path) -> anyhow::Result<()> {
    match std::fs::rename(deps.join(PENDING_LOCK), lock_path) {
        // Nothing pending, or a concurrent run moved it first.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        moved => moved.with_context(|| format!("writing `{}`", lock_path.display())),
    }
}

/// The package group of a WIT directory (its `*.wit` files only; `deps/`
/// is not read, as in wkg) or of a single `.wit` file.
///
/// # Errors
/// A missing directory, WIT that does not parse (file, line and column).
pub fn parse_wit(path: &Path) -> anyhow::Result<UnresolvedPackageGroup> {
    if path.is_dir() {
        UnresolvedPackageGroup::parse_dir(path)
    } else {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading `{}`", path.display()))?;
        UnresolvedPackageGroup::parse(path, &text).map_err(|(map, e)| {
            let rendered = e.render(&map);
            anyhow::Error::from(e).context(rendered)
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

/// Resolves the dependencies of `root` (the group of the WIT directory).
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
) -> anyhow::Result<Resolved> {
    let mut wanted: BTreeMap<PackageRef, Wanted> = BTreeMap::new();
    for (package, o) in &project.manifest.overrides {
        match (&o.path, &o.version) {
            (Some(path), version) => {
                if version.is_some() {
                    eprintln!(
                        "warning: override for `{package}` has a path; its version is ignored"
                    );
                }
                let path = normalize_path(&project.dir.join(path));
                wanted.insert(package.clone(), Wanted::Local(path));
            }
            (None, Some(version)) => {
                wanted.insert(package.clone(), Wanted::Registry(version.clone()));
            }
            (None, None) => {
                eprintln!(
                    "warning: override for `{package}` has neither `path` nor `version`; ignored"
                );
            }
        }
    }
    let own = format!("{}:{}", root.main.name.namespace, root.main.name.name).parse::<PackageRef>();
    for (package, dir) in &options.members {
        if own.as_ref().is_ok_and(|own| own == package) {
            continue;
        }
        wanted
            .entry(package.clone())
            .or_insert_with(|| Wanted::Local(dir.clone()));
    }
    // The WIT's own requirements, then those of local dependencies.
    let mut queue = foreign_deps(root);
    let mut local = Vec::new();
    let mut visited = HashSet::new();
    // Every package the root and the local dependencies use; overrides
    // nothing uses are not dependencies.
    let mut used = HashSet::new();
    while let Some((package, requirement)) = queue.pop() {
        used.insert(package.clone());
        let entry = wanted
            .entry(package.clone())
            .or_insert(Wanted::Registry(requirement));
        if let Wanted::Local(path) = entry
            && visited.insert(package.clone())
        {
            let path = path.clone();
            let what = format!("the override path of `{package}`");
            crate::io::check_reachable(&path, &what, path.extension().is_none())?;
            if !path.exists() {
                bail!(
                    "the override path `{}` of `{package}` does not exist (paths are relative to `{}`)",
                    path.display(),
                    project
                        .dir
                        .join(wkg_core::project::PROJECT_FILE_NAME)
                        .display()
                );
            }
            if !is_wasm(&path) {
                let group = parse_wit(&path)
                    .with_context(|| format!("reading local dependency `{package}`"))?;
                queue.extend(foreign_deps(&group));
            }
            local.push(LocalDep { package, path });
        }
    }
    let registry_wanted: Vec<(PackageRef, VersionReq)> = wanted
        .into_iter()
        .filter(|(p, _)| used.contains(p))
        .filter_map(|(p, w)| match w {
            Wanted::Registry(r) => Some((p, r)),
            Wanted::Local(_) => None,
        })
        .collect();

    let registry = try_join_all(registry_wanted.into_iter().map(|(package, requirement)| {
        resolve_registry(package, requirement, project, registries, cache, options)
    }))
    .await?;
    Ok(Resolved { registry, local })
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
/// against the locked digest), else the highest matching release.
async fn resolve_registry(
    package: PackageRef,
    requirement: VersionReq,
    project: &Project,
    registries: &Registries,
    cache: &Cache,
    options: &Options,
) -> anyhow::Result<RegistryDep> {
    let registry = registries
        .registry_name(&package)
        .with_context(|| format!("resolving dependency `{package}`"))?;
    let locked = if options.update.covers(&package) {
        None
    } else {
        project
            .lock
            .get(&package, Some(registry.as_str()), &requirement)
    };
    let dep = |version: Version, digest: Digest, path: PathBuf| RegistryDep {
        package: package.clone(),
        registry: registry.clone(),
        requirement: requirement.clone(),
        version,
        digest,
        path,
    };
    if let Some(locked) = locked
        && let Some(path) = cache.blob(&locked.digest)
    {
        return Ok(dep(locked.version.clone(), locked.digest.clone(), path));
    }
    if options.offline {
        match locked {
            Some(locked) => bail!(
                "offline: `{package}@{}` ({}) is not in the cache; run once without `--offline` to fetch it",
                locked.version,
                locked.digest
            ),
            None => bail!(
                "offline: `{package}` ({requirement}) is not in `{}`; run once without `--offline` to resolve it",
                project.lock_path.display()
            ),
        }
    }
    let source = registries.source(&package, None).await?;
    let version = match locked {
        Some(locked) => locked.version.clone(),
        None => {
            let versions = source.versions(&package).await?;
            if versions.is_empty() {
                bail!("package `{package}` was not found in registry `{registry}`");
            }
            match versions.iter().filter(|v| requirement.matches(v)).max() {
                Some(v) => v.clone(),
                None => {
                    let mut all = versions;
                    all.sort();
                    let all: Vec<String> = all.iter().map(ToString::to_string).collect();
                    bail!(
                        "no release of `{package}` in registry `{registry}` matches `{requirement}` \
                         (it has {})",
                        all.join(", ")
                    );
                }
            }
        }
    };
    let release = source
        .release(&package, &version)
        .await
        .with_context(|| match locked {
            Some(_) => format!(
                "the locked release `{package}@{version}` is gone from registry `{registry}`; \
                 run `wkg update {package}` to choose another"
            ),
            None => format!("resolving `{package}@{version}`"),
        })?;
    if let Some(locked) = locked
        && release.digest != locked.digest
    {
        bail!(
            "`{package}@{version}` in registry `{registry}` has digest {}, but `{}` locks digest {}; \
             the tag was re-pushed with other content. If that is expected, run `wkg update {package}`",
            release.digest,
            project.lock_path.display(),
            locked.digest
        );
    }
    let path = source.content(&package, &release, cache).await?;
    Ok(dep(version, release.digest, path))
}

impl Resolved {
    /// The lock for this resolution: one entry per registry dependency.
    pub fn lock(&self) -> LockFile {
        let mut lock = LockFile::default();
        for d in &self.registry {
            lock.insert(
                d.package.clone(),
                Some(d.registry.to_string()),
                LockedVersion {
                    requirement: d.requirement.clone(),
                    version: d.version.clone(),
                    digest: d.digest.clone(),
                },
            );
        }
        lock
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
pub fn assemble(root: UnresolvedPackageGroup, resolved: &Resolved) -> anyhow::Result<Assembled> {
    let mut resolve = Resolve::new();
    resolve.all_features = true;
    let mut defined: HashMap<PackageName, PackageRef> = HashMap::new();
    let mut define = |name: &PackageName, by: &PackageRef| -> anyhow::Result<()> {
        match defined.insert(name.clone(), by.clone()) {
            Some(other) if &other != by => bail!(
                "duplicate definitions of package `{name}`, by dependencies `{other}` and `{by}`"
            ),
            _ => Ok(()),
        }
    };
    let merge_wasm = |resolve: &mut Resolve,
                      path: &Path,
                      package: &PackageRef,
                      define: &mut dyn FnMut(&PackageName, &PackageRef) -> anyhow::Result<()>|
     -> anyhow::Result<()> {
        let bytes = std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?;
        match wit_component::decode(&bytes)
            .with_context(|| format!("decoding dependency `{package}`"))?
        {
            DecodedWasm::WitPackage(decoded, id) => {
                define(&decoded.packages[id].name, package)?;
                resolve
                    .merge(decoded)
                    .with_context(|| format!("merging dependency `{package}`"))?;
                Ok(())
            }
            DecodedWasm::Component(..) => {
                bail!("dependency `{package}` is a component, not a WIT package")
            }
        }
    };
    for dep in &resolved.registry {
        merge_wasm(&mut resolve, &dep.path, &dep.package, &mut define)?;
    }
    let mut groups = Vec::new();
    for dep in &resolved.local {
        if is_wasm(&dep.path) {
            merge_wasm(&mut resolve, &dep.path, &dep.package, &mut define)?;
        } else {
            let group = parse_wit(&dep.path)?;
            let name = &group.main.name;
            if name.namespace != dep.package.namespace().as_str()
                || name.name != dep.package.name().as_str()
            {
                bail!(
                    "the override for `{}` points at `{}`, which defines package `{name}`",
                    dep.package,
                    dep.path.display()
                );
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
        Err(e) => {
            let e = anyhow::Error::from(e);
            bail!("{}", resolve.render_error(&e))
        }
    };
    Ok(Assembled { resolve, root, own })
}
