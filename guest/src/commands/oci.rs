//! `wkg oci pull` and `wkg oci push`: raw OCI references, no config.toml,
//! no cache (wkg-behaviour §1.6).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use wkg_core::auth::Actions;
use wkg_core::reference::Reference;

use crate::artifact::{Artifact, Description, pull_wasm_manifest};
use crate::cache::Cache;
use crate::component::{self, HASH_FIRST};
use crate::http::Timeouts;
use crate::oci::remote::BlobSource;
use crate::oci::transport::scheme_for;
use crate::oci::{Client, credentials};
use crate::progress::Progress;

/// How to reach the registry: credentials and plain-http hosts.
#[derive(Debug, Args)]
pub struct Connection {
    /// The username to use for authentication. Without credentials, the docker config is
    /// consulted, then the registry is used anonymously
    #[arg(
        short = 'u',
        id = "username",
        env = "WKG_OCI_USERNAME",
        requires = "password"
    )]
    pub username: Option<String>,
    /// The password to use for authentication
    #[arg(
        short = 'p',
        id = "password",
        env = "WKG_OCI_PASSWORD",
        requires = "username"
    )]
    pub password: Option<String>,
    /// A comma delimited list of registries (`host[:port]`) to use plain http with
    #[arg(
        long,
        env = "WKG_OCI_INSECURE",
        value_delimiter = ',',
        default_value = ""
    )]
    pub insecure: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The OCI reference to pull, e.g. `ghcr.io/webassembly/wasi/http:0.2.1`
    #[arg(value_parser = parse_reference)]
    pub reference: Reference,
    /// The output path; defaults to the repository with `/` replaced by `_`, plus `.wasm`
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The OCI reference to push to
    #[arg(value_parser = parse_reference)]
    pub reference: Reference,
    /// The component or WIT package to push
    pub file: PathBuf,
    /// An optional author to set for the pushed component
    #[arg(short, long)]
    pub author: Option<String>,
    /// Add an OCI annotation to the image manifest (repeatable)
    #[arg(long = "annotation", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub annotations: Vec<(String, String)>,
    #[command(flatten)]
    pub connection: Connection,
}

fn parse_reference(s: &str) -> Result<Reference, String> {
    s.parse().map_err(|e| format!("{e}"))
}

fn parse_annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("invalid KEY=value: no `=` found in `{s}`")),
    }
}

async fn client(reference: &Reference, connection: Connection) -> anyhow::Result<Client> {
    let credential =
        credentials::for_reference(reference, connection.username, connection.password).await?;
    let host = reference.api_host();
    Ok(Client::new(
        reference.registry(),
        host,
        scheme_for(reference.registry(), &connection.insecure),
        credential,
        Timeouts::from_env(),
    ))
}

/// `wkg oci pull`: the single `application/wasm` layer of `reference`,
/// verified, written to `--output` or `<repository with / → _>.wasm`.
pub async fn pull(args: PullArgs) -> anyhow::Result<()> {
    let reference = args.reference;
    if let Some(subject) = reference
        .tag()
        .and_then(wkg_core::index::referrers_tag_subject)
    {
        let (registry, repository) = (reference.registry(), reference.repository());
        bail!(
            "`{reference}` is a referrers tag: the OCI 1.1 fallback index of what is attached \
             to `{subject}` (signatures, attestations), not a release; pull \
             `{registry}/{repository}@{subject}` for the artifact itself"
        );
    }
    let repository = reference.repository().to_owned();
    let client = client(&reference, args.connection).await?;
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("{}.wasm", reference.file_stem())));
    check_output(&output)?;

    let pulled = async {
        client.authenticate(&repository, Actions::Pull).await?;
        let pulled = pull_wasm_manifest(&client, &repository, &reference.target()).await?;
        if let Some(platform) = &pulled.through_index {
            eprintln!(
                "note: `{reference}` is an image index; pulling its `{platform}` entry {}",
                pulled.pulled.digest
            );
        }
        let manifest = pulled.manifest;
        let content = manifest.wasm_content()?;
        if let Some(note) = content.flavour.note() {
            eprintln!("note: `{reference}` is {note}");
        }
        let layer = content.layer.clone();
        let progress = Progress::new("Downloading", layer.size);
        client
            .pull_blob(&repository, &layer, &output, &progress)
            .await?;
        // Pushing this file again will ask the registry first.
        if layer.size > HASH_FIRST
            && let Some(cache) = Cache::from_env()
        {
            cache.file_hints().remember(&output, &layer.digest);
        }
        anyhow::Ok(())
    };
    pulled
        .await
        .with_context(|| format!("unable to pull `{reference}`"))?;
    println!("Successfully wrote {reference} to {}", output.display());
    Ok(())
}

/// `wkg oci push`: `file` as the one `application/wasm` layer of a wasm
/// OCI artifact, with its imports and exports in the config.
///
/// The file is read twice, once to inspect it (and hash it, up to 16 MiB)
/// and once to stream it up (hashed on the way when larger); blobs the
/// registry already has are not sent again (see
/// [`Client::push_blob`](crate::oci::Client::push_blob)). The config's
/// `created` is `SOURCE_DATE_EPOCH` or the file's modification time, so
/// pushing the same file twice yields the same manifest.
pub async fn push(args: PushArgs) -> anyhow::Result<()> {
    let reference = args.reference;
    let repository = reference.repository().to_owned();
    let inspection = component::inspect(&args.file)?;
    let title = match args.file.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => format!("{}.wasm", reference.file_stem()),
    };
    let description = Description {
        created: crate::artifact::created_time(Some(&args.file))?,
        author: args.author,
        title,
        annotations: args.annotations.into_iter().collect(),
    };
    let content = BlobSource::File {
        path: args.file.clone(),
        progress: Progress::new("Uploading", inspection.size),
        hints: Cache::from_env().map(|c| c.file_hints()),
    };
    let artifact = Artifact::new(content, &inspection, description);
    let client = client(&reference, args.connection).await?;
    let digest = artifact
        .push(&client, &repository, &reference.target())
        .await
        .with_context(|| format!("unable to push `{}` to `{reference}`", args.file.display()))?;
    println!("pushed: {reference}");
    println!("digest: {digest}");
    if let Some(tag) = reference.tag() {
        warn_if_invisible_to_get(&client, &repository, tag).await;
    }
    Ok(())
}

/// A tag that is not a semver version, pushed into a repository whose other
/// tags are (a package's releases): `wkg get` and dependency resolution
/// read only semver tags, so they will not see it (wasm-pkg-tools#69).
/// Costs a tag list for non-semver tags only; best effort.
async fn warn_if_invisible_to_get(client: &Client, repository: &str, tag: &str) {
    if tag.parse::<wkg_core::package::Version>().is_ok() {
        return;
    }
    let Ok(tags) = client.list_tags(repository).await else {
        return;
    };
    if let Some(release) = tags
        .iter()
        .find(|t| t.parse::<wkg_core::package::Version>().is_ok())
    {
        eprintln!(
            "warning: `{tag}` is not a semver version, and `{repository}` holds package \
             releases (such as `{release}`); `wkg get` and dependency resolution read only \
             semver tags, so they will not see this push"
        );
    }
}

/// Refuses an output path that cannot be written before anything is
/// downloaded: a directory, or a file in a directory that does not exist.
fn check_output(output: &Path) -> anyhow::Result<()> {
    if output.is_dir() {
        bail!(
            "output `{}` is a directory; pass a file path with `-o`",
            output.display()
        );
    }
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent
        && !parent.is_dir()
    {
        bail!(
            "output directory `{}` does not exist; create it first or choose a different path",
            parent.display()
        );
    }
    Ok(())
}
