//! Mirroring what a lock pins: every locked release's manifest, config,
//! layers and referrers copied to another registry (under a prefix) or
//! into OCI image layouts, digests unchanged, so that a config mapping the
//! namespaces to the mirror makes `fetch --locked` produce the same `deps`
//! and lock without the source registries.

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures_util::StreamExt;
use wkg_core::digest::Digest;
use wkg_core::lock::LockFile;
use wkg_core::package::{PackageRef, Registry, Version};

use super::{Context, Error};
use crate::cache::Cache;
use crate::oci::Store;
use crate::oci::copy::{Copied, Copy};
use crate::oci::layout::Layout;
use crate::packages::{Registries, Source};
use crate::settings::Settings;

/// Releases copied at once.
pub const CONCURRENCY: usize = 8;

/// Where a mirror goes.
#[derive(Debug)]
pub enum Destination {
    /// A registry: each repository at `<prefix>/<repository>` (or the same
    /// name without a prefix).
    Registry {
        store: Store,
        /// The registry's host, as the config is to name it.
        host: String,
        prefix: String,
    },
    /// One OCI image layout per repository, at `<root>/<repository>`.
    Layout { root: PathBuf },
}

/// A mirror to make.
#[derive(Debug)]
pub struct Mirror {
    pub lock: LockFile,
    pub to: Destination,
}

/// One release mirrored.
#[derive(Debug)]
pub struct Mirrored {
    pub package: PackageRef,
    pub version: Version,
    /// Its registry in the lock.
    pub registry: Registry,
    /// Where it was read and written (`registry/repository`, or the layout).
    pub from: String,
    pub to: String,
    /// The manifest's digest.
    pub manifest: Digest,
}

/// What a mirror did.
#[derive(Debug, Default)]
pub struct Report {
    pub releases: Vec<Mirrored>,
    pub copied: Copied,
    /// Per (lock registry, namespace): the repository prefix the mirror
    /// holds its packages under (`namespacePrefix` for the config).
    pub prefixes: BTreeMap<(Registry, String), String>,
    /// Locked packages that come from local registries (files, nothing to
    /// mirror).
    pub local: Vec<PackageRef>,
}

/// One locked release.
struct Job {
    package: PackageRef,
    registry: Option<Registry>,
    version: Version,
    digest: Digest,
}

/// Mirrors every release `request.lock` pins, [`CONCURRENCY`] at a time;
/// the referrers of one release one after the other.
///
/// # Errors
/// The first release that fails: its registry unreachable, a release that
/// changed since it was locked (its manifest no longer holds the locked
/// digest), the destination's refusal.
pub async fn run(request: Mirror, settings: &Settings) -> Result<Report, Error> {
    let registries = Registries::load(settings)?;
    let cache = Cache::open(settings)?;
    let mut jobs = Vec::new();
    for package in &request.lock.packages {
        let registry = match &package.registry {
            Some(r) => Some(r.parse::<Registry>().map_err(|e| {
                Error::Invalid(format!(
                    "the lock's registry `{r}` for `{}` is not a registry: {e}",
                    package.name
                ))
            })?),
            None => None,
        };
        for locked in &package.versions {
            jobs.push(Job {
                package: package.name.clone(),
                registry: registry.clone(),
                version: locked.version.clone(),
                digest: locked.digest.clone(),
            });
        }
    }
    let to = &request.to;
    let outcomes: Vec<_> = futures_util::stream::iter(jobs)
        .map(|job| {
            let (registries, cache) = (&registries, &cache);
            async move {
                let what = format!("{}@{}", job.package, job.version);
                mirror_one(job, registries, cache, to)
                    .await
                    .context(|| format!("unable to mirror `{what}`"))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = Report::default();
    for outcome in outcomes {
        match outcome? {
            Outcome::Local(package) => report.local.push(package),
            Outcome::Copied {
                mirrored,
                copied,
                prefix,
            } => {
                report.copied += copied;
                let key = (
                    mirrored.registry.clone(),
                    mirrored.package.namespace().to_string(),
                );
                report.prefixes.insert(key, prefix);
                report.releases.push(mirrored);
            }
        }
    }
    report
        .releases
        .sort_unstable_by(|a, b| (&a.package, &a.version).cmp(&(&b.package, &b.version)));
    report.local.sort();
    report.local.dedup();
    Ok(report)
}

enum Outcome {
    Local(PackageRef),
    Copied {
        mirrored: Mirrored,
        copied: Copied,
        prefix: String,
    },
}

async fn mirror_one(
    job: Job,
    registries: &Registries,
    cache: &Cache,
    to: &Destination,
) -> Result<Outcome, Error> {
    let registry = match job.registry {
        Some(r) => r,
        None => registries.registry_name(&job.package)?,
    };
    let source = registries.source(&job.package, Some(&registry)).await?;
    let Source::Oci {
        store, repository, ..
    } = &source
    else {
        return Ok(Outcome::Local(job.package));
    };
    let (target, target_repository, prefix) = destination(to, repository)?;
    let target_store = match &target {
        Some(layout) => layout,
        None => match to {
            Destination::Registry { store, .. } => store,
            Destination::Layout { .. } => unreachable!("a layout destination has its store"),
        },
    };
    store
        .authenticate(repository, wkg_core::auth::Actions::Pull)
        .await?;
    target_store
        .authenticate(&target_repository, wkg_core::auth::Actions::PullPush)
        .await?;
    let copy = Copy::new(
        (store, repository),
        (target_store, &target_repository),
        cache,
    );
    let version = job.version.to_string();
    let manifest = copy.tagged(&version, Some(&job.digest)).await?;
    let mirrored = Mirrored {
        from: format!("{}:{version}", store.describe(repository)),
        to: format!("{}:{version}", target_store.describe(&target_repository)),
        package: job.package,
        version: job.version,
        registry,
        manifest,
    };
    crate::progress::status("Mirrored", format!("{} to {}", mirrored.from, mirrored.to));
    // The repository prefix before `<namespace>/<name>`, for the config.
    let suffix = format!(
        "{}/{}",
        mirrored.package.namespace(),
        mirrored.package.name()
    );
    let source_prefix = repository.strip_suffix(&suffix).unwrap_or_default();
    let prefix = match to {
        Destination::Registry { .. } if !prefix.is_empty() => format!("{prefix}/{source_prefix}"),
        _ => source_prefix.to_owned(),
    };
    Ok(Outcome::Copied {
        copied: copy.copied(),
        mirrored,
        prefix,
    })
}

/// The destination store when it is per repository (a layout), the
/// repository name there, and the registry prefix.
fn destination(
    to: &Destination,
    repository: &str,
) -> Result<(Option<Store>, String, String), Error> {
    match to {
        Destination::Registry { host, prefix, .. } => {
            let target = if prefix.is_empty() {
                repository.to_owned()
            } else {
                format!("{prefix}/{repository}")
            };
            // The distribution-spec grammar, before any request.
            format!("{host}/{target}:x")
                .parse::<wkg_core::Reference>()
                .map_err(|e| {
                    Error::Invalid(format!(
                        "`{host}/{target}` is not a valid OCI repository: {e}"
                    ))
                })?;
            Ok((None, target, prefix.clone()))
        }
        Destination::Layout { root } => Ok((
            Some(Store::Layout(Layout::at(&root.join(repository)))),
            repository.to_owned(),
            String::new(),
        )),
    }
}
