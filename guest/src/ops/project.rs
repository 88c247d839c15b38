//! A project's dependencies: resolved into `wkg.lock` and written as
//! `deps` (`fetch`, `update`), or encoded with the package into a binary
//! WIT package (`build`) (wkg-behaviour §1.7, §3, §5).
//!
//! Nothing is written unless everything resolved: `deps` is replaced in one
//! rename, the lock and the output are written through temporary files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use wasm_metadata::{AddMetadata, AddMetadataField};
use wit_component::WitPrinter;
use wit_parser::{PackageName, UnresolvedPackageGroup};
use wkg_core::lock::LockFile;
use wkg_core::package::{PackageRef, Version};
use wkg_core::project::Metadata;
use wkg_core::resolve::Update;

use super::{Context, Error};
use crate::cache::{Cache, copy_atomic, write_atomic};
use crate::deps::{self, Assembled, Options, Project, Resolved};
use crate::io::FileError;
use crate::packages::Registries;
use crate::settings::Settings;
use crate::workspace;

/// How dependencies are laid out in `deps` (`-t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputType {
    /// Each package as `<ns>-<name>-<ver>/package.wit`.
    #[default]
    Wit,
    /// Each direct dependency as `<ns>-<name>-<ver>.wasm`.
    Wasm,
}

/// `wkg fetch`.
#[derive(Debug, Clone, Default)]
pub struct Fetch {
    /// The WIT directory; `None` is `wit`, or every member at a workspace
    /// root (into `wkg/deps`).
    pub dir: Option<PathBuf>,
    pub output: OutputType,
    /// `wkg.lock` must not change.
    pub locked: bool,
    /// Lock and cache only.
    pub offline: bool,
}

/// `wkg update`.
#[derive(Debug, Clone)]
pub struct UpdateDeps {
    /// Only these; every dependency when empty.
    pub packages: Vec<PackageRef>,
    pub dir: PathBuf,
    pub output: OutputType,
}

/// `wkg build`.
#[derive(Debug, Clone)]
pub struct Build {
    pub dir: PathBuf,
    /// The file to write; `None` is wkg's default name in the working
    /// directory.
    pub output: Option<PathBuf>,
    pub locked: bool,
    pub offline: bool,
}

/// A dependency `update` moved: its package, the version locked before
/// (`None`: newly locked) and the version now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub package: PackageRef,
    pub from: Option<Version>,
    pub to: Version,
}

/// wkg's message for a missing WIT directory.
fn read_root(dir: &Path) -> Result<UnresolvedPackageGroup, Error> {
    if !dir.is_dir() {
        return Err(Error::NotFound(format!(
            "unable to read wit directory: {}",
            dir.display()
        )))
        .context(|| {
            "This command should be run from the parent directory of the wit directory or a \
             directory can be overridden with the --wit-dir argument"
                .to_owned()
        });
    }
    Ok(deps::parse_wit(dir)?)
}

/// Checks `--locked`: the lock must not change.
fn check_locked(locked: bool, project: &Project, lock: &LockFile) -> Result<(), Error> {
    if locked && project.lock_changes(lock) {
        return Err(Error::Refused(format!(
            "`{}` would change, and `--locked` forbids that; run without `--locked` to update it",
            project.lock_path.display()
        )));
    }
    Ok(())
}

/// What a project command works with: the project, its workspace
/// members, the registries and the cache.
struct Session {
    project: Project,
    members: Vec<workspace::Member>,
    registries: Registries,
    cache: Cache,
}

impl Session {
    fn open(settings: &Settings, wit_dir: &Path) -> Result<Session, Error> {
        let project = Project::load_for(wit_dir)?;
        let members = workspace::members(&project)?;
        Ok(Session {
            project,
            members,
            registries: Registries::load(settings)?,
            cache: Cache::open(settings)?,
        })
    }

    fn options(&self, offline: bool, update: Update) -> Options {
        Options {
            offline,
            update,
            members: workspace::locals(&self.members),
        }
    }
}

/// Resolves the dependencies of a WIT directory (or of every workspace
/// member) and writes `deps` and `wkg.lock`; returns the lock.
///
/// # Errors
/// [`Error`]; nothing is written then.
pub async fn fetch(args: &Fetch, settings: &Settings) -> Result<LockFile, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("wit"));
    let session = Session::open(settings, &dir)?;
    let options = session.options(args.offline, Update::Nothing);
    let Session {
        project,
        members,
        registries,
        cache,
    } = session;
    let output = args.output;
    let at_root = Path::new(wkg_core::project::PROJECT_FILE_NAME).is_file();
    if args.dir.is_none() && at_root && project.manifest.workspace.is_some() {
        return fetch_workspace(
            &project,
            &members,
            &registries,
            &cache,
            &options,
            output,
            args.locked,
        )
        .await;
    }
    let root = read_root(&dir)?;
    let resolved = deps::resolve(&root, &project, &registries, &cache, &options).await?;
    let lock = merged_lock(&project, &members, resolved.lock());
    check_locked(args.locked, &project, &lock)?;
    let assembled = deps::assemble(root, &resolved)?;
    let files = dep_files(&assembled, &resolved, output, &assembled.own)?;
    write_deps(&dir.join("deps"), files, &project, &lock)?;
    Ok(lock)
}

/// In a workspace the lock holds every member's dependencies: a lock from
/// one directory is added to the existing one rather than replacing it.
fn merged_lock(project: &Project, members: &[workspace::Member], lock: LockFile) -> LockFile {
    if members.is_empty() {
        return lock;
    }
    let mut merged = project.lock.clone();
    for package in lock.packages {
        for version in package.versions {
            merged.insert(package.name.clone(), package.registry.clone(), version);
        }
    }
    merged
}

/// `wkg fetch` at a workspace root: every member resolved (the others as
/// local packages), one lock for all, and the packages they use, members
/// aside, in `<root>/wkg/deps`.
async fn fetch_workspace(
    project: &Project,
    members: &[workspace::Member],
    registries: &Registries,
    cache: &Cache,
    options: &Options,
    output: OutputType,
    locked: bool,
) -> Result<LockFile, Error> {
    let own: HashSet<PackageName> = members.iter().map(|m| m.name.clone()).collect();
    let mut lock = LockFile::default();
    let mut files = Vec::new();
    for member in members {
        let root = read_root(&member.dir)?;
        let resolved = deps::resolve(&root, project, registries, cache, options)
            .await
            .context(|| format!("resolving workspace member `{}`", member.name))?;
        for package in resolved.lock().packages {
            for version in package.versions {
                lock.insert(package.name.clone(), package.registry.clone(), version);
            }
        }
        let assembled = deps::assemble(root, &resolved)?;
        for file in dep_files(&assembled, &resolved, output, &own)? {
            if !files.iter().any(|f: &DepFile| f.name == file.name) {
                files.push(file);
            }
        }
    }
    check_locked(locked, project, &lock)?;
    write_deps(&project.dir.join("wkg").join("deps"), files, project, &lock)?;
    Ok(lock)
}

/// Resolves again the dependencies `args` names (every one when it names
/// none) and writes `deps` and `wkg.lock`; returns what moved.
///
/// # Errors
/// [`Error`]; a named package that is no registry dependency.
pub async fn update(args: &UpdateDeps, settings: &Settings) -> Result<Vec<Moved>, Error> {
    let root = read_root(&args.dir)?;
    let session = Session::open(settings, &args.dir)?;
    let update = if args.packages.is_empty() {
        Update::All
    } else {
        Update::Only(args.packages.iter().cloned().collect())
    };
    let options = session.options(false, update);
    let Session {
        project,
        members,
        registries,
        cache,
    } = session;
    let resolved = deps::resolve(&root, &project, &registries, &cache, &options).await?;
    for package in &args.packages {
        if !resolved.registry.iter().any(|d| &d.package == package) {
            return Err(Error::Invalid(format!(
                "`{package}` is not a registry dependency of `{}`",
                args.dir.display()
            )));
        }
    }
    let lock = merged_lock(&project, &members, resolved.lock());
    let assembled = deps::assemble(root, &resolved)?;
    let files = dep_files(&assembled, &resolved, args.output, &assembled.own)?;
    write_deps(&args.dir.join("deps"), files, &project, &lock)?;
    let mut moved = Vec::new();
    for dep in &resolved.registry {
        let old = project
            .lock
            .get(&dep.package, Some(dep.registry.as_str()), &dep.requirement);
        let from = match old {
            Some(old) if old.version == dep.version => continue,
            old => old.map(|o| o.version.clone()),
        };
        moved.push(Moved {
            package: dep.package.clone(),
            from,
            to: dep.version.clone(),
        });
    }
    Ok(moved)
}

/// Builds the WIT package of a directory, its dependencies resolved, and
/// writes it and `wkg.lock`; returns the path written.
///
/// # Errors
/// [`Error`]; nothing is written then.
pub async fn build(args: &Build, settings: &Settings) -> Result<PathBuf, Error> {
    let session = Session::open(settings, &args.dir)?;
    let options = session.options(args.offline, Update::Nothing);
    let Session {
        project,
        members,
        registries,
        cache,
    } = session;
    let mut built = build_package(&args.dir, &project, &registries, &cache, &options).await?;
    built.lock = merged_lock(&project, &members, built.lock);
    check_locked(args.locked, &project, &built.lock)?;
    let output = match &args.output {
        Some(output) => {
            write_atomic(output, &built.bytes).map_err(FileError::on("writing", output))?;
            output.clone()
        }
        None => write_default_output(&built.name, &built.bytes)?,
    };
    project.write_lock(&built.lock)?;
    Ok(output)
}

/// Writes `bytes` under wkg's default name, `<namespace>:<name>[@<version>].wasm`
/// in the working directory. Where the file system refuses the `:` (NTFS,
/// wasm-pkg-tools#211) it falls back to `<namespace>_<name>[@<version>].wasm`
/// and says so on stderr. Returns the path written.
///
/// # Errors
/// I/O errors other than a refused name.
fn write_default_output(name: &PackageName, bytes: &[u8]) -> Result<PathBuf, FileError> {
    let file = |separator: char| {
        let version = name.version.as_ref().map(|v| format!("@{v}"));
        let version = version.unwrap_or_default();
        PathBuf::from(format!(
            "{}{separator}{}{version}.wasm",
            name.namespace, name.name
        ))
    };
    let wkg_name = file(':');
    let refused = match write_atomic(&wkg_name, bytes) {
        Ok(()) => return Ok(wkg_name),
        Err(e) if name_refused(&e) => e,
        Err(e) => return Err(FileError::new("writing", &wkg_name, e)),
    };
    let fallback = file('_');
    write_atomic(&fallback, bytes).map_err(FileError::on("writing", &fallback))?;
    eprintln!(
        "warning: the file system refused the name `{}` ({}); wrote `{}` instead",
        wkg_name.display(),
        crate::io::describe(&refused),
        fallback.display()
    );
    Ok(fallback)
}

/// Whether an error creating a file says its name is not allowed, rather
/// than that the directory is missing or not writable.
fn name_refused(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    !matches!(
        e.kind(),
        ErrorKind::NotFound
            | ErrorKind::PermissionDenied
            | ErrorKind::StorageFull
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::QuotaExceeded
            | ErrorKind::Interrupted
    )
}

/// A WIT package built from a directory.
#[derive(Debug)]
pub struct Built {
    pub name: PackageName,
    pub bytes: Vec<u8>,
    /// The `documentation` URL of `[metadata]`, which no wasm-metadata
    /// section holds: the publish of this build annotates the manifest.
    pub documentation: Option<String>,
    /// The lock the build resolved with.
    pub lock: LockFile,
}

/// Resolves the directory's dependencies, encodes its package with them
/// (wit-component), and adds wasm-metadata: `name`, `version`,
/// `processed-by`, and the `[metadata]` of `wkg.toml`.
///
/// # Errors
/// Resolution errors; WIT errors (file, line and column); an invalid SPDX
/// licence expression or URL in `[metadata]`.
pub async fn build_package(
    dir: &Path,
    project: &Project,
    registries: &Registries,
    cache: &Cache,
    options: &Options,
) -> Result<Built, Error> {
    let root = read_root(dir)?;
    let resolved = deps::resolve(&root, project, registries, cache, options).await?;
    let lock = resolved.lock();
    let assembled = deps::assemble(root, &resolved)?;
    let name = assembled.resolve.packages[assembled.root].name.clone();
    let encoded =
        wit_component::encode(&assembled.resolve, assembled.root, false).map_err(|e| {
            Error::Encode {
                what: format!("encoding WIT package `{name}`"),
                source: e.into(),
            }
        })?;
    let metadata = project.manifest.metadata.as_ref().or_else(|| {
        project
            .manifest
            .workspace
            .as_ref()
            .and_then(|w| w.metadata.as_ref())
    });
    let bytes = add_metadata(&encoded, &name, metadata)?;
    let documentation = metadata.and_then(|m| m.documentation.clone());
    Ok(Built {
        name,
        bytes,
        documentation,
        lock,
    })
}

fn add_metadata(
    encoded: &[u8],
    name: &PackageName,
    metadata: Option<&Metadata>,
) -> Result<Vec<u8>, Error> {
    let mut add = AddMetadata::default();
    add.name = AddMetadataField::Set(format!("{}:{}", name.namespace, name.name));
    add.processed_by = vec![("wkg".to_owned(), env!("CARGO_PKG_VERSION").to_owned())];
    if let Some(version) = &name.version {
        add.version = AddMetadataField::Set(wasm_metadata::Version::new(version.to_string()));
    }
    if let Some(m) = metadata {
        fn bad<E: Into<crate::error::BoxError>>(field: &str) -> impl FnOnce(E) -> Error {
            let what = format!("invalid `{field}` in the `[metadata]` of wkg.toml");
            move |e| Error::Encode {
                what,
                source: e.into(),
            }
        }
        if let Some(v) = &m.authors {
            add.authors = AddMetadataField::Set(wasm_metadata::Authors::new(v.clone()));
        }
        if let Some(v) = &m.description {
            add.description = AddMetadataField::Set(wasm_metadata::Description::new(v.clone()));
        }
        if let Some(v) = &m.licenses {
            let licenses = wasm_metadata::Licenses::new(v).map_err(bad("license"))?;
            add.licenses = AddMetadataField::Set(licenses);
        }
        if let Some(v) = &m.source {
            let source = wasm_metadata::Source::new(v).map_err(bad("repository"))?;
            add.source = AddMetadataField::Set(source);
        }
        if let Some(v) = &m.homepage {
            let homepage = wasm_metadata::Homepage::new(v).map_err(bad("homepage"))?;
            add.homepage = AddMetadataField::Set(homepage);
        }
        if let Some(v) = &m.revision {
            add.revision = AddMetadataField::Set(wasm_metadata::Revision::new(v.clone()));
        }
        if let Some(v) = &m.documentation {
            // Not a wasm-metadata section; checked as a URL all the same.
            wasm_metadata::Homepage::new(v).map_err(bad("documentation"))?;
        }
    }
    add.to_wasm(encoded).map_err(|e| Error::Encode {
        what: format!("adding metadata to WIT package `{name}`"),
        source: e.into(),
    })
}

/// `<ns>-<name>[-<version>]`, wkg's name for a dependency in `deps`.
fn dep_name(name: &PackageName) -> String {
    match &name.version {
        Some(v) => format!("{}-{}-{v}", name.namespace, name.name),
        None => format!("{}-{}", name.namespace, name.name),
    }
}

/// One entry of a `deps` directory.
#[derive(Debug)]
struct DepFile {
    /// The entry's name in `deps`.
    name: String,
    content: DepContent,
}

#[derive(Debug)]
enum DepContent {
    /// `<name>/package.wit` with this text.
    Wit(String),
    /// A copy of this file.
    File(PathBuf),
    /// A copy of this directory's top-level files.
    Dir(PathBuf),
}

/// What `deps` holds, as wkg lays it out: with `-t wit` every package but
/// those in `own`, printed as `<ns>-<name>-<ver>/package.wit`; with
/// `-t wasm` each direct dependency as `<ns>-<name>-<ver>.wasm` (a local
/// WIT directory is copied, top-level files only).
fn dep_files(
    assembled: &Assembled,
    resolved: &Resolved,
    output: OutputType,
    own: &HashSet<PackageName>,
) -> Result<Vec<DepFile>, Error> {
    let mut files = Vec::new();
    let resolve = &assembled.resolve;
    match output {
        OutputType::Wit => {
            for (id, package) in resolve.packages.iter() {
                if id == assembled.root || own.contains(&package.name) {
                    continue;
                }
                let mut printer = WitPrinter::default();
                printer.print(resolve, id, &[]).map_err(|e| Error::Encode {
                    what: format!("printing `{}`", package.name),
                    source: e.into(),
                })?;
                files.push(DepFile {
                    name: dep_name(&package.name),
                    content: DepContent::Wit(printer.output.to_string()),
                });
            }
        }
        OutputType::Wasm => {
            for dep in &resolved.registry {
                files.push(DepFile {
                    name: format!(
                        "{}-{}-{}.wasm",
                        dep.package.namespace(),
                        dep.package.name(),
                        dep.version
                    ),
                    content: DepContent::File(dep.path.clone()),
                });
            }
            for dep in &resolved.local {
                if deps::is_wasm(&dep.path) {
                    let bytes =
                        std::fs::read(&dep.path).map_err(FileError::on("reading", &dep.path))?;
                    let decoded = wit_component::decode(&bytes).map_err(|e| Error::Encode {
                        what: format!("decoding dependency `{}`", dep.package),
                        source: e.into(),
                    })?;
                    let name = match decoded {
                        wit_component::DecodedWasm::WitPackage(r, id) => {
                            r.packages[id].name.clone()
                        }
                        wit_component::DecodedWasm::Component(..) => {
                            return Err(deps::Error::Component(dep.package.clone()).into());
                        }
                    };
                    files.push(DepFile {
                        name: format!("{}.wasm", dep_name(&name)),
                        content: DepContent::File(dep.path.clone()),
                    });
                } else {
                    let name = dep_name(&deps::parse_wit(&dep.path)?.main.name);
                    let content = if dep.path.is_dir() {
                        DepContent::Dir(dep.path.clone())
                    } else {
                        DepContent::Wit(
                            std::fs::read_to_string(&dep.path)
                                .map_err(FileError::on("reading", &dep.path))?,
                        )
                    };
                    files.push(DepFile { name, content });
                }
            }
        }
    }
    Ok(files)
}

/// Replaces the directory `deps` with `files` and the project's lock with
/// `lock`, together: the new tree, with the new lock in it
/// ([`deps::PENDING_LOCK`]), is staged beside `deps`, swapped in with
/// [`crate::io::replace_dir`], then the lock is moved out of it over
/// `wkg.lock`. A failure or a kill at any moment leaves the old tree and
/// lock, or the new tree with its lock (moved on by the next run), and the
/// next run cleans up after a killed one.
fn write_deps(
    deps: &Path,
    files: Vec<DepFile>,
    project: &Project,
    lock: &LockFile,
) -> Result<(), FileError> {
    crate::io::repair_dir(deps);
    let staging = crate::io::temporary_beside(deps, "tmp");
    let changes = project.lock_changes(lock);
    let written = stage_deps(&staging, files)
        .and_then(|()| {
            if changes {
                let pending = staging.join(deps::PENDING_LOCK);
                std::fs::write(&pending, lock.to_toml())
                    .map_err(FileError::on("writing", &pending))?;
            }
            Ok(())
        })
        .and_then(|()| {
            crate::io::replace_dir(deps, &staging).map_err(FileError::on("writing", deps))
        });
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        return written;
    }
    if changes {
        project.commit_lock(deps)
    } else {
        project.write_lock(lock)
    }
}

fn stage_deps(staging: &Path, files: Vec<DepFile>) -> Result<(), FileError> {
    std::fs::create_dir_all(staging).map_err(FileError::on("creating", staging))?;
    for file in files {
        let out = staging.join(&file.name);
        match file.content {
            DepContent::Wit(text) => {
                std::fs::create_dir_all(&out).map_err(FileError::on("creating", &out))?;
                std::fs::write(out.join("package.wit"), text)
                    .map_err(FileError::on("writing", &out))?;
            }
            DepContent::File(from) => {
                copy_atomic(&from, &out).map_err(FileError::on("writing", &out))?;
            }
            DepContent::Dir(from) => {
                std::fs::create_dir_all(&out).map_err(FileError::on("creating", &out))?;
                let entries = std::fs::read_dir(&from).map_err(FileError::on("reading", &from))?;
                for entry in entries.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_file()) {
                        let to = out.join(entry.file_name());
                        std::fs::copy(entry.path(), &to).map_err(FileError::on("writing", &to))?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Error as IoError, ErrorKind};

    use super::*;

    fn name(text: &str, version: Option<&str>) -> PackageName {
        let (namespace, name) = text.split_once(':').unwrap();
        PackageName {
            namespace: namespace.into(),
            name: name.into(),
            version: version.map(|v| v.parse().unwrap()),
        }
    }

    #[test]
    fn deps_entries_are_named_as_wkg_names_them() {
        assert_eq!(dep_name(&name("wasi:io", Some("0.2.3"))), "wasi-io-0.2.3");
        assert_eq!(dep_name(&name("test:dep", None)), "test-dep");
        assert_eq!(
            dep_name(&name("a:b", Some("1.0.0-rc.1+build"))),
            "a-b-1.0.0-rc.1+build"
        );
    }

    #[test]
    fn only_a_refused_name_falls_back_to_the_underscore_name() {
        for kind in [
            ErrorKind::InvalidInput,
            ErrorKind::InvalidFilename,
            ErrorKind::Other,
        ] {
            assert!(name_refused(&IoError::from(kind)), "{kind:?}");
        }
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::PermissionDenied,
            ErrorKind::StorageFull,
            ErrorKind::ReadOnlyFilesystem,
        ] {
            assert!(!name_refused(&IoError::from(kind)), "{kind:?}");
        }
    }

    #[test]
    fn a_workspace_lock_adds_to_the_lock_and_a_plain_one_replaces_it() {
        use wkg_core::lock::LockedVersion;
        let entry = |package: &str, version: &str| {
            let mut lock = LockFile::default();
            lock.insert(
                package.parse().unwrap(),
                Some("example.com".into()),
                LockedVersion {
                    requirement: format!("={version}").parse().unwrap(),
                    version: version.parse().unwrap(),
                    digest: wkg_core::digest::Digest::sha256_of(version.as_bytes()),
                    signature: None,
                },
            );
            lock
        };
        let project = Project {
            dir: PathBuf::from("."),
            manifest: wkg_core::project::ProjectManifest::default(),
            lock_path: PathBuf::from("wkg.lock"),
            lock: entry("test:a", "1.0.0"),
        };
        let fresh = entry("test:b", "2.0.0");
        assert_eq!(merged_lock(&project, &[], fresh.clone()), fresh);
        let member = workspace::Member {
            dir: PathBuf::from("m"),
            name: name("test:m", Some("0.1.0")),
            package: "test:m".parse().unwrap(),
            uses: Vec::new(),
        };
        let merged = merged_lock(&project, &[member], fresh);
        let names: Vec<String> = merged.packages.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(names, ["test:a", "test:b"]);
    }
}
