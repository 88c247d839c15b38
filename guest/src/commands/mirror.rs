//! `wkg mirror`: the releases a lock pins, copied to another registry or
//! into OCI image layouts for air-gapped use ([`crate::ops::mirror`]).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use wkg_core::lock::{LOCK_FILE_NAME, LockFile};

use super::Common;
use super::oci::Connection;
use crate::ops::mirror::{Destination, Mirror, Report};

#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// The lock whose releases to copy; defaults to the project's `wkg.lock`
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Where to copy them: a registry with an optional repository prefix,
    /// `host[:port][/prefix]`, or `oci-layout:DIR` (one image layout per repository)
    #[arg(long, value_name = "DESTINATION")]
    pub to: String,
    #[command(flatten)]
    pub connection: Connection,
    #[command(flatten)]
    pub common: Common,
}

/// The `--to` directory of a layout mirror.
pub fn layout_dir(to: &str) -> Option<&str> {
    to.strip_prefix(wkg_core::layout::LOCATION_PREFIX)
        .filter(|d| !d.is_empty())
}

pub async fn run(args: MirrorArgs) -> anyhow::Result<()> {
    let settings = args.common.settings();
    let lock_path = args
        .lock
        .clone()
        .unwrap_or_else(|| crate::settings::project_dir().join(LOCK_FILE_NAME));
    let Some(text) = crate::settings::read_optional(&lock_path, "reading")? else {
        bail!(
            "no lock file at `{}`; run `wkg fetch` to write one, or name one with `--lock`",
            lock_path.display()
        );
    };
    let lock = LockFile::from_toml(&text, &lock_path.display().to_string())?;
    let to = destination(&args.to, args.connection).await?;
    let shown = args.to.clone();
    let host = match &to {
        Destination::Registry { host, .. } => Some(host.clone()),
        Destination::Layout { .. } => None,
    };
    let report = crate::ops::mirror::run(Mirror { lock, to }, &settings)
        .await
        .with_context(|| format!("unable to mirror `{}` to `{shown}`", lock_path.display()))?;
    print_report(&report, &shown, host.as_deref());
    Ok(())
}

async fn destination(to: &str, connection: Connection) -> anyhow::Result<Destination> {
    if let Some(dir) = layout_dir(to) {
        return Ok(Destination::Layout {
            root: PathBuf::from(dir),
        });
    }
    if to.starts_with(wkg_core::layout::LOCATION_PREFIX) {
        bail!("`--to {to}` names no directory: write `oci-layout:DIR`");
    }
    let (host, prefix) = to.split_once('/').unwrap_or((to, ""));
    let prefix = prefix.trim_end_matches('/');
    // Checked as a reference: host, and the prefix as repository components.
    let probe = if prefix.is_empty() {
        format!("{host}/x:x")
    } else {
        format!("{host}/{prefix}:x")
    };
    let reference: wkg_core::Reference = probe.parse().map_err(|e| {
        anyhow::anyhow!("`--to {to}` is neither `host[:port][/prefix]` nor `oci-layout:DIR`: {e}")
    })?;
    let client = super::oci::client(&reference, connection).await?;
    Ok(Destination::Registry {
        store: crate::oci::Store::Registry(std::rc::Rc::new(client)),
        host: reference.registry().to_owned(),
        prefix: prefix.to_owned(),
    })
}

fn print_report(report: &Report, to: &str, host: Option<&str>) {
    let c = &report.copied;
    let s = |n: usize| if n == 1 { "" } else { "s" };
    println!(
        "Mirrored {} release{} to {to}: {} blob{} copied ({} bytes), {} already there; {} \
         manifest{} written, {} already there; {} referrer{} copied",
        report.releases.len(),
        s(report.releases.len()),
        c.blobs,
        s(c.blobs),
        c.bytes,
        c.blobs_skipped,
        c.manifests,
        s(c.manifests),
        c.manifests_skipped,
        c.referrers,
        s(c.referrers),
    );
    for package in &report.local {
        eprintln!("note: `{package}` comes from a local registry; nothing to mirror");
    }
    if report.prefixes.is_empty() {
        return;
    }
    println!();
    println!(
        "To fetch from the mirror with the same lock, map the namespaces in config.toml \
         (the registry names stay those of the lock):"
    );
    println!("[namespace_registries]");
    for ((registry, namespace), prefix) in &report.prefixes {
        match host {
            Some(host) => println!(
                "{namespace} = {{ registry = \"{registry}\", metadata = {{ preferredProtocol = \
                 \"oci\", oci = {{ registry = \"{host}\", namespacePrefix = \"{prefix}\" }} }} }}"
            ),
            None => println!(
                "{namespace} = {{ registry = \"{registry}\", metadata = {{ oci = {{ \
                 namespacePrefix = \"{prefix}\" }} }} }}"
            ),
        }
    }
    if let Some(dir) = layout_dir(to) {
        let registries: std::collections::BTreeSet<_> =
            report.prefixes.keys().map(|(r, _)| r).collect();
        for registry in registries {
            println!();
            println!("[registry.\"{registry}\"]");
            println!("oci-layout = {{ root = \"{dir}\" }}");
        }
    }
}
