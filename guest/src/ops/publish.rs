//! Publishing a component or WIT package, or a directory built into a WIT
//! package, by name (wkg-behaviour §1.5, §4.6, §4.7).
//!
//! Where wkg goes wrong this does not: `--package` works for binaries
//! without a version (wasm-pkg-tools#250); an existing version is refused
//! (or, with `--skip-dupes`, skipped), and replaced only with
//! `--skip-semver-check`, with a warning naming the old content's digest;
//! `--dry-run` writes nothing anywhere, not even the cache; the layer
//! streams from the file.

use std::path::{Path, PathBuf};

use wkg_core::manifest::DOCUMENTATION_ANNOTATION;
use wkg_core::package::{PackageRef, PackageSpec, Registry, Version};
use wkg_core::publish::{annotations, neighbours, waves};
use wkg_core::sigstore::sign::SigningKey;

use super::project::build_package;
use super::{Context, Error};
use crate::artifact::{Artifact, Description, created_time};
use crate::cache::Cache;
use crate::component::{self, Inspection};
use crate::deps::{Options, Project};
use crate::io::FileError;
use crate::oci::remote::BlobSource;
use crate::packages::{Registries, Source};
use crate::progress::Progress;
use crate::settings::Settings;
use crate::wit::{self, Release};
use crate::workspace;

/// What to publish, and how (`wkg publish`'s flags).
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// Files and directories; a directory is built into a WIT package.
    pub paths: Vec<PathBuf>,
    /// The registry to publish to, over the config's choice.
    pub registry: Option<Registry>,
    /// The package and version, over what the file names.
    pub package: Option<PackageSpec>,
    /// Resolve and check, publish nothing.
    pub dry_run: bool,
    /// Every workspace member.
    pub workspace: bool,
    pub skip_semver_check: bool,
    /// Skip releases that exist.
    pub skip_dupes: bool,
    /// Sign each release with this PEM private key (a Sigstore bundle
    /// attached as the manifest's referrer).
    pub sign_key: Option<PathBuf>,
}

/// Releases compared by the semver check are read into memory up to this
/// size.
const MAX_COMPARED: u64 = 256 * 1024 * 1024;

/// What is published: the content and what it is.
struct Candidate {
    content: BlobSource,
    inspection: Inspection,
    /// The `[metadata]` documentation URL of a package built here.
    documentation: Option<String>,
}

/// Publishes what `args` names: one path, or several (or the workspace)
/// in dependency waves.
///
/// # Errors
/// [`Error`]; with several packages nothing is published if any fails
/// its checks.
pub async fn run(args: &Publish, settings: &Settings) -> Result<(), Error> {
    if args.workspace || args.paths.len() > 1 {
        return run_many(args, settings).await;
    }
    publish_one(args, settings).await.map(|_| ())
}

/// `wkg publish <path>`: the package and version it published (or would
/// have, on a dry run or a skipped duplicate).
///
/// # Errors
/// No path; what [`check`] and the publish refuse.
pub async fn publish_one(
    args: &Publish,
    settings: &Settings,
) -> Result<(PackageRef, Version), Error> {
    let Some(path) = args.paths.first() else {
        return Err(Error::Invalid(
            "no publish targets: pass one or more paths, or run from a workspace \
             (see `[workspace] members` in `wkg.toml`)"
                .to_owned(),
        ));
    };
    let key = sign_key(args)?;
    let registries = Registries::load(settings)?;
    let candidate = if path.is_dir() {
        build(path, &registries, settings, args.dry_run).await?
    } else {
        read(path, settings)?
    };
    let (package, version) = identity(&candidate.inspection, args.package.as_ref(), path)?;
    let identity = (package.clone(), version.clone());
    let Some(checked) = check(candidate, package, version, &registries, args, settings).await?
    else {
        return Ok(identity);
    };
    if args.dry_run {
        eprintln!(
            "warning: Aborting publish due to dry run: {}@{}",
            checked.package, checked.version
        );
        return Ok(identity);
    }
    checked.publish(key.as_ref()).await?;
    Ok(identity)
}

/// The `--sign-key`, read before anything is built or published.
fn sign_key(args: &Publish) -> Result<Option<SigningKey>, Error> {
    let Some(path) = &args.sign_key else {
        return Ok(None);
    };
    let key = crate::signatures::signing_key(path).map_err(crate::packages::Error::from)?;
    Ok(Some(key))
}

/// A release that passed the checks and can be published.
struct Checked {
    candidate: Candidate,
    package: PackageRef,
    version: Version,
    source: Source,
}

/// The checks before anything is written: a version an OCI tag can hold,
/// not already published (`None`, after a warning, with `--skip-dupes`;
/// replaced, after a warning, with `--skip-semver-check`), and
/// semver-compatible with its neighbours unless `--skip-semver-check`.
async fn check(
    candidate: Candidate,
    package: PackageRef,
    version: Version,
    registries: &Registries,
    args: &Publish,
    settings: &Settings,
) -> Result<Option<Checked>, Error> {
    if !version.build.is_empty() {
        return Err(Error::Invalid(format!(
            "version `{version}` has build metadata, which an OCI tag cannot hold; \
             publish `{}` instead",
            Version::new(version.major, version.minor, version.patch)
        )));
    }
    let source = registries
        .publish_source(&package, args.registry.as_ref())
        .await?;
    let published = source.versions(&package).await?;
    if published.contains(&version) {
        if args.skip_dupes {
            eprintln!(
                "warning: Skipping publish: {package}@{version} already exists in the registry"
            );
            return Ok(None);
        }
        if !args.skip_semver_check {
            return Err(Error::Refused(format!(
                "{package}@{version} already exists in the registry; publish a new version, \
                 or pass `--skip-dupes` to skip it"
            )));
        }
        // As upstream's `duplicate_version_with_skip_semver_check` asserts:
        // without the check, the release is published over the old one.
        let old = source
            .release(&package, &version)
            .await
            .context(|| format!("reading the existing release {package}@{version}"))?;
        eprintln!(
            "warning: replacing the existing release {package}@{version} (content {}): \
             `--skip-semver-check` publishes over it",
            old.digest
        );
        if !args.dry_run
            && let (Source::Oci { registry, .. }, Ok(cache)) = (&source, Cache::open(settings))
        {
            cache.forget_release(registry, &package, &version);
        }
    }
    if !args.skip_semver_check {
        check_compatibility(&source, &package, &version, &published, &candidate).await?;
    }
    Ok(Some(Checked {
        candidate,
        package,
        version,
        source,
    }))
}

impl Checked {
    /// Pushes the artifact (or writes the local registry's file).
    async fn publish(self, sign: Option<&SigningKey>) -> Result<(), Error> {
        let Checked {
            candidate,
            package,
            version,
            source,
        } = self;
        let metadata = candidate
            .inspection
            .package_metadata()
            .map_err(|source| Error::Encode {
                what: "reading the package's metadata".to_owned(),
                source,
            })?;
        let description = Description {
            created: created_time(match &candidate.content {
                BlobSource::File { path, .. } => Some(path),
                BlobSource::Bytes(_) => None,
            })?,
            author: None,
            title: format!("{}.wasm", package.name()),
            annotations: {
                let mut all = annotations(&version, &metadata);
                if let Some(url) = candidate.documentation.clone() {
                    all.insert(DOCUMENTATION_ANNOTATION.to_owned(), url);
                }
                all
            },
        };
        let artifact = Artifact::new(candidate.content, &candidate.inspection, description);
        source
            .publish(&package, &version, artifact, sign)
            .await
            .context(|| format!("unable to publish {package}@{version}"))?;
        eprintln!("Published {package}@{version}");
        Ok(())
    }
}

/// Several WIT directories (the paths, or the workspace's members),
/// published in dependency waves once every one has been built and
/// checked: nothing is published if any of them fails.
async fn run_many(args: &Publish, settings: &Settings) -> Result<(), Error> {
    if args.package.is_some() {
        return Err(Error::Invalid(
            "`--package` is currently only supported when providing one path argument".to_owned(),
        ));
    }
    if args.workspace && !args.paths.is_empty() {
        return Err(Error::Invalid(
            "`--workspace` selects every workspace member; do not also pass explicit path arguments"
                .to_owned(),
        ));
    }
    let key = sign_key(args)?;
    let project = Project::load()?;
    let members = if args.workspace {
        if project.manifest.workspace.is_none() {
            return Err(Error::NotFound(format!(
                "`--workspace` called but unable to find workspace root from {}",
                std::env::var("PWD").unwrap_or_else(|_| ".".into())
            )));
        }
        workspace::members(&project)?
    } else {
        args.paths
            .iter()
            .map(|path| workspace::member(path))
            .collect::<Result<_, _>>()?
    };
    for member in &members {
        if member.name.version.is_none() {
            return Err(Error::Invalid(format!(
                "`{}` defines `{}` without a version; every package published together needs one",
                member.dir.display(),
                member.name
            )));
        }
    }
    let graph: Vec<(PackageRef, Vec<PackageRef>)> = members
        .iter()
        .map(|m| (m.package.clone(), m.uses.clone()))
        .collect();
    let waves = waves(&graph)?;
    for (n, wave) in waves.iter().enumerate() {
        let names: Vec<String> = wave.iter().map(|&i| members[i].name.to_string()).collect();
        eprintln!("wave {}: {}", n + 1, names.join(", "));
    }

    let registries = Registries::load(settings)?;
    let cache = Cache::open(settings)?;
    let options = Options {
        members: workspace::locals(&members),
        ..Options::default()
    };
    let mut checked = Vec::new();
    for &i in waves.iter().flatten() {
        let member = &members[i];
        let built = build_package(&member.dir, &project, &registries, &cache, &options)
            .await
            .context(|| format!("building `{}`", member.dir.display()))?;
        let inspection = component::inspect_bytes(&built.bytes, &built.name.to_string())?;
        let candidate = Candidate {
            content: BlobSource::Bytes(built.bytes),
            inspection,
            documentation: built.documentation,
        };
        let version = member.name.version.clone().expect("checked above");
        if let Some(c) = check(
            candidate,
            member.package.clone(),
            version,
            &registries,
            args,
            settings,
        )
        .await?
        {
            checked.push(c);
        }
    }
    if args.dry_run {
        for c in &checked {
            eprintln!(
                "warning: Aborting publish due to dry run: {}@{}",
                c.package, c.version
            );
        }
        return Ok(());
    }
    for c in checked {
        c.publish(key.as_ref()).await?;
    }
    Ok(())
}

/// A component or WIT package file, streamed (never held whole).
fn read(path: &Path, settings: &Settings) -> Result<Candidate, Error> {
    let inspection = component::inspect(path)?;
    let progress = Progress::new("Uploading", inspection.size);
    Ok(Candidate {
        content: BlobSource::File {
            path: path.to_owned(),
            progress,
            hints: Cache::open(settings).ok().map(|c| c.file_hints()),
        },
        inspection,
        documentation: None,
    })
}

/// The WIT package built from the directory `dir`, its dependencies
/// resolved like `wkg build`. An existing `wkg.lock` must already hold
/// them (a dry run only warns).
async fn build(
    dir: &Path,
    registries: &Registries,
    settings: &Settings,
    dry_run: bool,
) -> Result<Candidate, Error> {
    let project = Project::load()?;
    let members = workspace::members(&project)?;
    let cache = Cache::open(settings)?;
    let options = Options {
        members: workspace::locals(&members),
        ..Options::default()
    };
    let built = build_package(dir, &project, registries, &cache, &options).await?;
    if project.lock_path.is_file() && built.lock != project.lock {
        let message = format!(
            "`{}` would change; run `wkg build -d {}` before publishing",
            project.lock_path.display(),
            dir.display()
        );
        if !dry_run {
            return Err(Error::Refused(message));
        }
        eprintln!("warning: {message}");
    }
    let inspection = component::inspect_bytes(&built.bytes, &built.name.to_string())?;
    Ok(Candidate {
        content: BlobSource::Bytes(built.bytes),
        inspection,
        documentation: built.documentation,
    })
}

/// `--package`, else the WIT package's own name and version. A component
/// names no package of its own, so it needs `--package`.
fn identity(
    inspection: &Inspection,
    package: Option<&PackageSpec>,
    path: &Path,
) -> Result<(PackageRef, Version), Error> {
    if let Some(spec) = package {
        let (package, version) = spec.clone().into_parts();
        let version = version.ok_or_else(|| {
            Error::Invalid("version is required when manually overriding the package ID".into())
        })?;
        return Ok((package, version));
    }
    let Some(name) = &inspection.wit_package else {
        return Err(Error::Invalid(format!(
            "`{}` is a component, which does not carry a package name and version; \
             pass them with `--package <namespace>:<name>@<version>`",
            path.display()
        )));
    };
    let package: PackageRef = format!("{}:{}", name.namespace, name.name)
        .parse::<PackageRef>()
        .map_err(crate::workspace::Error::from)
        .context(|| format!("`{name}` is not a valid package name"))?;
    let Some(version) = name.version.clone() else {
        return Err(Error::Invalid(format!(
            "WIT package `{name}` in `{}` has no version; add one to its `package` statement \
             (e.g. `package {name}@1.0.0;`) or pass `--package {name}@<version>`",
            path.display()
        )));
    };
    Ok((package, version))
}

/// The semver pre-flight: the new release must stay compatible with the
/// nearest lower and higher releases of its series.
async fn check_compatibility(
    source: &Source,
    package: &PackageRef,
    version: &Version,
    published: &[Version],
    candidate: &Candidate,
) -> Result<(), Error> {
    let (lower, higher) = neighbours(published, version);
    if lower.is_none() && higher.is_none() {
        return Ok(());
    }
    let bytes = match &candidate.content {
        BlobSource::Bytes(bytes) => bytes.clone(),
        BlobSource::File { path, .. } => {
            std::fs::read(path).map_err(FileError::on("reading", path))?
        }
    };
    let new = Release::decode(version.clone(), &bytes)?;
    drop(bytes);
    for neighbour in [lower, higher].into_iter().flatten() {
        let bytes = source
            .release_bytes(package, neighbour, MAX_COMPARED)
            .await
            .context(|| format!("fetching {package}@{neighbour} for the semver check"))?;
        let existing = Release::decode(neighbour.clone(), &bytes)
            .context(|| format!("decoding {package}@{neighbour} for the semver check"))?;
        let checked = if neighbour < version {
            wit::semver_check(&existing, &new)
        } else {
            wit::semver_check(&new, &existing)
        };
        checked.context(|| {
            let relation = if neighbour < version { "" } else { "later " };
            format!(
                "new version {version} is not semver-compatible with existing {relation}\
                 version {neighbour} (pass `--skip-semver-check` to publish anyway)"
            )
        })?;
    }
    Ok(())
}
