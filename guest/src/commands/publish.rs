//! `wkg publish`: a component or WIT package, or a directory built into a
//! WIT package, published by name (wkg-behaviour §1.5, §4.6, §4.7).
//!
//! Where wkg goes wrong this does not: `--package` works for binaries
//! without a version (wasm-pkg-tools#250); an existing version is refused
//! (or, with `--skip-dupes`, skipped), and replaced only with
//! `--skip-semver-check`, with a warning naming the old content's digest;
//! `--dry-run` writes nothing anywhere, not even the cache; the layer
//! streams from the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wkg_core::manifest::DOCUMENTATION_ANNOTATION;
use wkg_core::package::{PackageRef, PackageSpec, Version};
use wkg_core::publish::{annotations, neighbours, waves};

use crate::artifact::{Artifact, Description};
use crate::cache::Cache;
use clap::Args;

use super::Common;
use crate::commands::oci::created_time;
use crate::commands::wit::build_package;
use crate::component::{self, Inspection};
use crate::deps::{Options, Project};
use crate::oci::remote::BlobSource;
use crate::packages::{Registries, Source};
use crate::progress::Progress;
use crate::settings::Settings;
use crate::wit::{self, Release};
use crate::workspace;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The files and directories to publish. If a directory is provided, the package is built
    /// to a tempfile before publishing
    pub paths: Vec<PathBuf>,
    /// The registry domain to use. Overrides configuration file(s)
    #[arg(long, env = "WKG_REGISTRY", value_parser = super::parse_registry)]
    pub registry: Option<wkg_core::package::Registry>,
    /// If not provided, the package name and version will be inferred from the Wasm file.
    /// Expected format: `<namespace>:<name>@<version>`
    #[arg(long, env = "WKG_PACKAGE", value_parser = super::get::parse_spec)]
    pub package: Option<wkg_core::package::PackageSpec>,
    /// Attempt package, version, and registry resolution without publishing
    #[arg(long)]
    pub dry_run: bool,
    /// Publish all packages in the workspace
    #[arg(long)]
    pub workspace: bool,
    /// Disable semver compatibility checks
    #[arg(long)]
    pub skip_semver_check: bool,
    /// Skip publishing any package whose `(name, version)` already exists in the registry
    #[arg(long)]
    pub skip_dupes: bool,
    #[command(flatten)]
    pub common: Common,
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

pub async fn run(args: PublishArgs) -> anyhow::Result<()> {
    if args.workspace || args.paths.len() > 1 {
        return run_many(args).await;
    }
    publish_one(args).await.map(|_| ())
}

/// `wkg publish <path>`: the package and version it published (or would
/// have, on a dry run or a skipped duplicate).
///
/// # Errors
/// No path; what [`check`] and the publish refuse.
pub async fn publish_one(args: PublishArgs) -> anyhow::Result<(PackageRef, Version)> {
    let Some(path) = args.paths.first() else {
        bail!(
            "no publish targets: pass one or more paths, or run from a workspace \
             (see `[workspace] members` in `wkg.toml`)"
        );
    };
    let registries = Registries::load(&args.common.settings())?;
    let candidate = if path.is_dir() {
        build(path, &registries, &args.common.settings(), args.dry_run).await?
    } else {
        read(path, &args.common.settings())?
    };
    let (package, version) = identity(&candidate.inspection, args.package.as_ref(), path)?;
    let identity = (package.clone(), version.clone());
    let Some(checked) = check(candidate, package, version, &registries, &args).await? else {
        return Ok(identity);
    };
    if args.dry_run {
        eprintln!(
            "warning: Aborting publish due to dry run: {}@{}",
            checked.package, checked.version
        );
        return Ok(identity);
    }
    checked.publish().await?;
    Ok(identity)
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
    args: &PublishArgs,
) -> anyhow::Result<Option<Checked>> {
    if !version.build.is_empty() {
        bail!(
            "version `{version}` has build metadata, which an OCI tag cannot hold; \
             publish `{}` instead",
            Version::new(version.major, version.minor, version.patch)
        );
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
            bail!(
                "{package}@{version} already exists in the registry; publish a new version, \
                 or pass `--skip-dupes` to skip it"
            );
        }
        // As upstream's `duplicate_version_with_skip_semver_check` asserts:
        // without the check, the release is published over the old one.
        let old = source
            .release(&package, &version)
            .await
            .with_context(|| format!("reading the existing release {package}@{version}"))?;
        eprintln!(
            "warning: replacing the existing release {package}@{version} (content {}): \
             `--skip-semver-check` publishes over it",
            old.digest
        );
        if !args.dry_run
            && let (Source::Oci { registry, .. }, Ok(cache)) =
                (&source, Cache::open(&args.common.settings()))
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
    async fn publish(self) -> anyhow::Result<()> {
        let Checked {
            candidate,
            package,
            version,
            source,
        } = self;
        let metadata = candidate
            .inspection
            .package_metadata()
            .context("reading the package's metadata")?;
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
            .publish(&package, &version, artifact)
            .await
            .with_context(|| format!("unable to publish {package}@{version}"))?;
        eprintln!("Published {package}@{version}");
        Ok(())
    }
}

/// Several WIT directories (the paths, or the workspace's members),
/// published in dependency waves once every one has been built and
/// checked: nothing is published if any of them fails.
async fn run_many(args: PublishArgs) -> anyhow::Result<()> {
    if args.package.is_some() {
        bail!("`--package` is currently only supported when providing one path argument");
    }
    if args.workspace && !args.paths.is_empty() {
        bail!(
            "`--workspace` selects every workspace member; do not also pass explicit path arguments"
        );
    }
    let project = Project::load()?;
    let members = if args.workspace {
        if project.manifest.workspace.is_none() {
            bail!(
                "`--workspace` called but unable to find workspace root from {}",
                std::env::var("PWD").unwrap_or_else(|_| ".".into())
            );
        }
        workspace::members(&project)?
    } else {
        args.paths
            .iter()
            .map(|path| workspace::member(path))
            .collect::<anyhow::Result<_>>()?
    };
    for member in &members {
        if member.name.version.is_none() {
            bail!(
                "`{}` defines `{}` without a version; every package published together needs one",
                member.dir.display(),
                member.name
            );
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

    let registries = Registries::load(&args.common.settings())?;
    let cache = Cache::open(&args.common.settings())?;
    let options = Options {
        members: workspace::locals(&members),
        ..Options::default()
    };
    let mut checked = Vec::new();
    for &i in waves.iter().flatten() {
        let member = &members[i];
        let built = build_package(&member.dir, &project, &registries, &cache, &options)
            .await
            .with_context(|| format!("building `{}`", member.dir.display()))?;
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
            &args,
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
        c.publish().await?;
    }
    Ok(())
}

/// A component or WIT package file, streamed (never held whole).
fn read(path: &Path, settings: &Settings) -> anyhow::Result<Candidate> {
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
) -> anyhow::Result<Candidate> {
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
            bail!(message);
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
) -> anyhow::Result<(PackageRef, Version)> {
    if let Some(spec) = package {
        let (package, version) = spec.clone().into_parts();
        let version =
            version.context("version is required when manually overriding the package ID")?;
        return Ok((package, version));
    }
    let Some(name) = &inspection.wit_package else {
        bail!(
            "`{}` is a component, which does not carry a package name and version; \
             pass them with `--package <namespace>:<name>@<version>`",
            path.display()
        );
    };
    let package: PackageRef = format!("{}:{}", name.namespace, name.name)
        .parse()
        .with_context(|| format!("`{name}` is not a valid package name"))?;
    let Some(version) = name.version.clone() else {
        bail!(
            "WIT package `{name}` in `{}` has no version; add one to its `package` statement \
             (e.g. `package {name}@1.0.0;`) or pass `--package {name}@<version>`",
            path.display()
        );
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
) -> anyhow::Result<()> {
    let (lower, higher) = neighbours(published, version);
    if lower.is_none() && higher.is_none() {
        return Ok(());
    }
    let bytes = match &candidate.content {
        BlobSource::Bytes(bytes) => bytes.clone(),
        BlobSource::File { path, .. } => {
            std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?
        }
    };
    let new = Release::decode(version.clone(), &bytes)?;
    drop(bytes);
    for neighbour in [lower, higher].into_iter().flatten() {
        let bytes = source
            .release_bytes(package, neighbour, MAX_COMPARED)
            .await
            .with_context(|| format!("fetching {package}@{neighbour} for the semver check"))?;
        let existing = Release::decode(neighbour.clone(), &bytes)
            .with_context(|| format!("decoding {package}@{neighbour} for the semver check"))?;
        let checked = if neighbour < version {
            wit::semver_check(&existing, &new)
        } else {
            wit::semver_check(&new, &existing)
        };
        checked.with_context(|| {
            let relation = if neighbour < version { "" } else { "later " };
            format!(
                "new version {version} is not semver-compatible with existing {relation}\
                 version {neighbour} (pass `--skip-semver-check` to publish anyway)"
            )
        })?;
    }
    Ok(())
}
