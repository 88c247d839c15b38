//! `wkg oci pull`, `push`, `build`, `discover` and `attach`: raw OCI
//! references or image layouts, no config.toml, no cache (wkg-behaviour
//! §1.6).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use wkg_core::auth::Actions;
use wkg_core::digest::Digest;
use wkg_core::layout::{LOCATION_PREFIX, Target};
use wkg_core::manifest::{Descriptor, ImageManifest, TITLE_ANNOTATION};
use wkg_core::reference::Reference;
use wkg_core::referrers::{CREATED_ANNOTATION, safe_title};

use crate::artifact::{Artifact, Description, pull_wasm_manifest};
use crate::cache::Cache;
use crate::component::{self, HASH_FIRST};
use crate::http::Timeouts;
use crate::oci::layout::Layout;
use crate::oci::remote::BlobSource;
use crate::oci::transport::scheme_for;
use crate::oci::{Client, Store, credentials};
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

impl Connection {
    /// No credentials, no plain-http hosts (for layouts).
    fn none() -> Connection {
        Connection {
            username: None,
            password: None,
            insecure: Vec::new(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The OCI reference to pull, e.g. `ghcr.io/webassembly/wasi/http:0.2.1`, or an image
    /// layout, `oci-layout:DIR[:tag|@digest]`. A referrer's digest pulls its one blob
    #[arg(value_parser = parse_location)]
    pub reference: Location,
    /// The output path; defaults to the repository with `/` replaced by `_`, plus `.wasm`
    /// (for a referrer, its blob's title)
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub verify: super::VerifyArgs,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The manifest to sign: an OCI reference or `oci-layout:DIR[:tag|@digest]`
    #[arg(value_parser = parse_location)]
    pub reference: Location,
    /// The PEM private key to sign with (ECDSA P-256 or Ed25519, unencrypted PKCS#8 or SEC1)
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The OCI reference to push to, or an image layout, `oci-layout:DIR[:tag]`
    #[arg(value_parser = parse_location)]
    pub reference: Location,
    /// The component or WIT package to push
    pub file: PathBuf,
    #[command(flatten)]
    pub describe: DescribeArgs,
    #[command(flatten)]
    pub connection: Connection,
}

/// What `push` and `build` write beside the content.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// An optional author to set for the pushed component
    #[arg(short, long)]
    pub author: Option<String>,
    /// Add an OCI annotation to the image manifest (repeatable)
    #[arg(long = "annotation", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub annotations: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The component or WIT package
    pub file: PathBuf,
    /// The OCI image layout directory to write the artifact to (created when missing)
    #[arg(long, value_name = "DIR")]
    pub layout: PathBuf,
    /// The tag to give it in the layout's index
    #[arg(long, value_parser = parse_tag)]
    pub tag: Option<String>,
    #[command(flatten)]
    pub describe: DescribeArgs,
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The manifest whose referrers to list: an OCI reference or `oci-layout:DIR[:tag|@digest]`
    #[arg(value_parser = parse_location)]
    pub reference: Location,
    /// List only referrers of this artifact type
    #[arg(long, value_name = "TYPE")]
    pub artifact_type: Option<String>,
    /// The output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub connection: Connection,
}

/// `discover`'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The manifest to attach to (the subject): an OCI reference or `oci-layout:DIR[:tag|@digest]`
    #[arg(value_parser = parse_location)]
    pub reference: Location,
    /// The file to attach, as the referrer's one blob
    pub file: PathBuf,
    /// The referrer's artifact type, e.g. `application/vnd.dev.sigstore.bundle.v0.3+json`
    #[arg(long, value_name = "TYPE")]
    pub artifact_type: String,
    /// The blob's media type; defaults to the artifact type
    #[arg(long, value_name = "TYPE")]
    pub media_type: Option<String>,
    /// Add an annotation to the referrer's manifest (repeatable)
    #[arg(long = "annotation", value_name = "KEY=VALUE", value_parser = parse_annotation)]
    pub annotations: Vec<(String, String)>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Where an `oci` command reads or writes: a registry reference, or an
/// OCI image layout on disk.
#[derive(Debug, Clone)]
pub enum Location {
    Registry(Reference),
    Layout(wkg_core::layout::Location),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Registry(r) => r.fmt(f),
            Location::Layout(l) => l.fmt(f),
        }
    }
}

impl Location {
    /// The default output file's stem.
    fn file_stem(&self) -> String {
        match self {
            Location::Registry(r) => r.file_stem(),
            Location::Layout(l) => Path::new(&l.dir)
                .file_name()
                .map_or("layout".into(), |n| n.to_string_lossy().into_owned()),
        }
    }

    /// The tag, if the location names one.
    fn tag(&self) -> Option<&str> {
        match self {
            Location::Registry(r) => r.tag(),
            Location::Layout(l) => match &l.target {
                Target::Tag(t) => Some(t),
                _ => None,
            },
        }
    }

    /// The same location at `digest`, for messages.
    fn at(&self, digest: &Digest) -> String {
        match self {
            Location::Registry(r) => format!("{}/{}@{digest}", r.registry(), r.repository()),
            Location::Layout(l) => format!("{LOCATION_PREFIX}{}@{digest}", l.dir),
        }
    }
}

fn parse_location(s: &str) -> Result<Location, String> {
    match wkg_core::layout::Location::parse(s) {
        Some(layout) => layout.map(Location::Layout).map_err(|e| e.to_string()),
        None => parse_reference(s).map(Location::Registry),
    }
}

fn parse_reference(s: &str) -> Result<Reference, String> {
    s.parse().map_err(|e| format!("{e}"))
}

fn parse_tag(s: &str) -> Result<String, String> {
    match wkg_core::layout::Location::parse(&format!("{LOCATION_PREFIX}.:{s}")) {
        Some(Ok(l)) if l.target == Target::Tag(s.to_owned()) => Ok(s.to_owned()),
        _ => Err(format!(
            "`{s}` is not a tag: up to 128 letters, digits, `_`, `.` and `-`, not starting \
             with `.` or `-`"
        )),
    }
}

fn parse_annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("invalid KEY=value: no `=` found in `{s}`")),
    }
}

pub(crate) async fn client(
    reference: &Reference,
    connection: Connection,
) -> anyhow::Result<Client> {
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

/// A location opened: the store, the repository and the target (a tag, a
/// digest, or `""` for a layout's only entry). A layout to write to is
/// created when missing; one to read must exist.
struct Opened {
    store: Store,
    repository: String,
    target: String,
}

async fn open(location: &Location, connection: Connection, write: bool) -> anyhow::Result<Opened> {
    match location {
        Location::Registry(reference) => {
            refuse_referrers_tag(reference)?;
            Ok(Opened {
                store: Store::Registry(std::rc::Rc::new(client(reference, connection).await?)),
                repository: reference.repository().to_owned(),
                target: reference.target(),
            })
        }
        Location::Layout(l) => {
            let dir = Path::new(&l.dir);
            let layout = if write {
                Layout::open_or_create(dir)?
            } else {
                Layout::open(dir)?
            };
            let target = match &l.target {
                Target::Tag(t) => t.clone(),
                Target::Digest(d) => d.to_string(),
                Target::Only => String::new(),
            };
            Ok(Opened {
                store: Store::Layout(layout),
                repository: String::new(),
                target,
            })
        }
    }
}

/// A `sha256-<hex>` tag is the referrers fallback index, not a release.
fn refuse_referrers_tag(reference: &Reference) -> anyhow::Result<()> {
    if let Some(subject) = reference
        .tag()
        .and_then(wkg_core::index::referrers_tag_subject)
    {
        let (registry, repository) = (reference.registry(), reference.repository());
        bail!(
            "`{reference}` is a referrers tag: the OCI 1.1 fallback index of what is attached \
             to `{subject}` (signatures, attestations), not a release; pull \
             `{registry}/{repository}@{subject}` for the artifact itself, or list what is \
             attached with `wkg oci discover {registry}/{repository}@{subject}`"
        );
    }
    Ok(())
}

/// `wkg oci pull`: the wasm layer of `reference` (through an image index
/// to its wasm entry), or the one blob of a referrer, verified, written to
/// `--output` or its default.
pub async fn pull(args: PullArgs) -> anyhow::Result<()> {
    let location = args.reference;
    if let Some(output) = &args.output {
        check_output(output)?;
    }
    let verifier = args.verify.verifier()?;
    let Opened {
        store,
        repository,
        target,
    } = open(&location, args.connection, false).await?;

    let written = async {
        store.authenticate(&repository, Actions::Pull).await?;
        let pulled = pull_wasm_manifest(&store, &repository, &target).await?;
        if let Some(platform) = &pulled.through_index {
            eprintln!(
                "note: `{location}` is an image index; pulling its `{platform}` entry {}",
                pulled.pulled.digest
            );
        }
        if let Some(verifier) = &verifier {
            let digest = &pulled.pulled.digest;
            let subject = format!("`{location}` (manifest {digest})");
            let signed = crate::signatures::verify_manifest(
                &store,
                &repository,
                digest,
                &pulled.pulled.bytes,
                &subject,
                verifier,
                &crate::signatures::Lull::default(),
            )
            .await?;
            eprintln!("Verified: {}", signer(&signed.record));
        }
        let manifest = pulled.manifest;
        let (layer, output) = match &manifest.subject {
            Some(subject) => {
                let layer = referrer_layer(&manifest, &location)?;
                eprintln!(
                    "note: `{location}` is a referrer of `{}` (artifact type `{}`); pulling its blob",
                    subject.digest,
                    manifest
                        .artifact_type
                        .as_deref()
                        .unwrap_or(&manifest.config.media_type)
                );
                let output = match (&args.output, safe_title(layer)) {
                    (Some(o), _) => o.clone(),
                    (None, Some(title)) => PathBuf::from(title),
                    (None, None) => bail!(
                        "the referrer's blob has no file name (`{TITLE_ANNOTATION}`); \
                         choose one with `-o`"
                    ),
                };
                (layer.clone(), output)
            }
            None => {
                let content = manifest.wasm_content()?;
                if let Some(note) = content.flavour.note() {
                    eprintln!("note: `{location}` is {note}");
                }
                let output = args
                    .output
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(format!("{}.wasm", location.file_stem())));
                (content.layer.clone(), output)
            }
        };
        check_output(&output)?;
        let progress = Progress::new("Downloading", layer.size);
        store
            .pull_blob(&repository, &layer, &output, &progress)
            .await?;
        // Pushing this file again will ask the registry first.
        if layer.size > HASH_FIRST
            && let Some(cache) = Cache::from_env()
        {
            cache.file_hints().remember(&output, &layer.digest);
        }
        anyhow::Ok(output)
    };
    let output = written
        .await
        .with_context(|| format!("unable to pull `{location}`"))?;
    println!("Successfully wrote {location} to {}", output.display());
    Ok(())
}

/// Who signed, as `Verified:` lines say it.
pub(crate) fn signer(record: &wkg_core::lock::LockedSignature) -> String {
    match (&record.identity, &record.issuer, &record.key) {
        (Some(identity), Some(issuer), _) => {
            format!(
                "signed by `{identity}` (issuer `{issuer}`), bundle {}",
                record.bundle
            )
        }
        (_, _, Some(key)) => format!("signed with the key {key}, bundle {}", record.bundle),
        _ => format!("bundle {}", record.bundle),
    }
}

/// `wkg oci sign`: a Sigstore bundle of `reference`'s manifest signed with
/// a local key (no certificate, no transparency log), attached as a
/// referrer of artifact type `application/vnd.dev.sigstore.bundle.v0.3+json`;
/// `oci pull --verify --key` and `[sigstore]` key policies accept it.
pub async fn sign(args: SignArgs) -> anyhow::Result<()> {
    let location = args.reference;
    let key = crate::signatures::signing_key(&args.key)?;
    let Opened {
        store,
        repository,
        target,
    } = open(&location, args.connection, false).await?;
    let signed = async {
        store.authenticate(&repository, Actions::PullPush).await?;
        let subject = subject(&store, &repository, &target).await?;
        let digest =
            crate::signatures::attach_signature(&store, &repository, &subject, &key).await?;
        anyhow::Ok((subject, digest))
    };
    let (subject, digest) = signed
        .await
        .with_context(|| format!("unable to sign `{location}`"))?;
    println!("signed: {}", subject.digest);
    println!("bundle: {}", location.at(&digest));
    Ok(())
}

/// A referrer's one layer.
fn referrer_layer<'m>(
    manifest: &'m ImageManifest,
    location: &Location,
) -> anyhow::Result<&'m Descriptor> {
    match manifest.layers.as_slice() {
        [one] => Ok(one),
        layers => bail!(
            "`{location}` is a referrer with {} blobs; `wkg oci pull` takes a referrer's one \
             blob (use `oras pull` for the others)",
            layers.len()
        ),
    }
}

/// The artifact of `file` for `push` and `build`.
fn artifact(file: &Path, describe: DescribeArgs, stem: &str) -> anyhow::Result<Artifact> {
    let inspection = component::inspect(file)?;
    let title = match file.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => format!("{stem}.wasm"),
    };
    let description = Description {
        created: crate::artifact::created_time(Some(file))?,
        author: describe.author,
        title,
        annotations: describe.annotations.into_iter().collect(),
    };
    let content = BlobSource::File {
        path: file.to_owned(),
        progress: Progress::new("Uploading", inspection.size),
        hints: Cache::from_env().map(|c| c.file_hints()),
    };
    Ok(Artifact::new(content, &inspection, description))
}

/// `wkg oci push`: `file` as the one `application/wasm` layer of a wasm
/// OCI artifact, with its imports and exports in the config; to a registry
/// or into an image layout.
///
/// The file is read twice, once to inspect it (and hash it, up to 16 MiB)
/// and once to stream it up (hashed on the way when larger); blobs the
/// registry already has are not sent again (see
/// [`Client::push_blob`](crate::oci::Client::push_blob)). The config's
/// `created` is `SOURCE_DATE_EPOCH` or the file's modification time, so
/// pushing the same file twice yields the same manifest.
pub async fn push(args: PushArgs) -> anyhow::Result<()> {
    let location = args.reference;
    if let Location::Registry(reference) = &location {
        refuse_referrers_tag(reference)?;
    }
    let artifact = artifact(&args.file, args.describe, &location.file_stem())?;
    let Opened {
        store,
        repository,
        target,
    } = open(&location, args.connection, true).await?;
    let pushed = artifact
        .push(&store, &repository, &target)
        .await
        .with_context(|| format!("unable to push `{}` to `{location}`", args.file.display()))?;
    println!("pushed: {location}");
    println!("digest: {}", pushed.digest);
    if let (Some(tag), Store::Registry(client)) = (location.tag(), &store) {
        warn_if_invisible_to_get(client, &repository, tag).await;
    }
    Ok(())
}

/// `wkg oci build`: the artifact `oci push` would push, written into an
/// OCI image layout instead (wasm-pkg-tools#56).
pub async fn build(args: BuildArgs) -> anyhow::Result<()> {
    let layout = wkg_core::layout::Location {
        dir: args.layout.to_string_lossy().into_owned(),
        target: args.tag.map_or(Target::Only, Target::Tag),
    };
    push(PushArgs {
        reference: Location::Layout(layout),
        file: args.file,
        describe: args.describe,
        connection: Connection::none(),
    })
    .await
}

/// The subject a location names: its manifest's descriptor (which must
/// exist).
async fn subject(store: &Store, repository: &str, target: &str) -> anyhow::Result<Descriptor> {
    let pulled = store.pull_manifest(repository, target).await?;
    Ok(Descriptor::new(
        pulled.declared_media_type(),
        pulled.digest,
        pulled.bytes.len() as u64,
    ))
}

/// `wkg oci discover`: the referrers of a manifest (distribution-spec 1.1
/// referrers API, else the `sha256-<hex>` fallback tag).
pub async fn discover(args: DiscoverArgs) -> anyhow::Result<()> {
    let location = args.reference;
    let Opened {
        store,
        repository,
        target,
    } = open(&location, args.connection, false).await?;
    let listed = async {
        store.authenticate(&repository, Actions::Pull).await?;
        let subject = subject(&store, &repository, &target).await?;
        let referrers = store
            .referrers(&repository, &subject.digest, args.artifact_type.as_deref())
            .await?;
        anyhow::Ok((subject, referrers))
    };
    let (subject, referrers) = listed
        .await
        .with_context(|| format!("unable to list the referrers of `{location}`"))?;
    match args.format {
        Format::Json => {
            let json = serde_json::json!({
                "subject": subject,
                "referrers": referrers.list,
            });
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Text => {
            let count = referrers.list.len();
            let how = if referrers.through_fallback {
                format!(
                    ", from the tag `{}`",
                    wkg_core::referrers::fallback_tag(&subject.digest)
                )
            } else {
                String::new()
            };
            let s = if count == 1 { "" } else { "s" };
            println!(
                "{} ({count} referrer{s}{how})",
                location.at(&subject.digest)
            );
            for r in &referrers.list {
                let kind = r.artifact_type.as_deref().unwrap_or("(no artifact type)");
                println!("  {kind}  {}  {} bytes", r.digest, r.size);
                for (k, v) in r.annotations.iter().flatten() {
                    println!("      {k}: {v}");
                }
            }
        }
    }
    Ok(())
}

/// `wkg oci attach`: `file` as the one blob of an artifact manifest whose
/// `subject` is `reference`'s manifest, listed among its referrers by the
/// registry, or in the fallback tag's index when the registry has no
/// referrers API (keeping what other tools listed there).
pub async fn attach(args: AttachArgs) -> anyhow::Result<()> {
    let location = args.reference;
    let size = std::fs::metadata(&args.file)
        .map_err(crate::io::FileError::on("reading", &args.file))?
        .len();
    let title = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let mut annotations: BTreeMap<String, String> = args.annotations.into_iter().collect();
    annotations
        .entry(CREATED_ANNOTATION.to_owned())
        .or_insert(crate::artifact::created_time(Some(&args.file))?);
    let Opened {
        store,
        repository,
        target,
    } = open(&location, args.connection, false).await?;
    let attached = async {
        store.authenticate(&repository, Actions::PullPush).await?;
        let subject = subject(&store, &repository, &target).await?;
        let content = BlobSource::File {
            path: args.file.clone(),
            progress: Progress::new("Uploading", size),
            hints: None,
        };
        let attachment = crate::oci::Attachment {
            artifact_type: &args.artifact_type,
            media_type: args.media_type.as_deref().unwrap_or(&args.artifact_type),
            content,
            size,
            title,
            annotations,
        };
        let digest = store.attach(&repository, &subject, attachment).await?;
        anyhow::Ok((subject, digest))
    };
    let (subject, digest) = attached
        .await
        .with_context(|| format!("unable to attach `{}` to `{location}`", args.file.display()))?;
    println!("attached: {}", location.at(&digest));
    println!("subject: {}", subject.digest);
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
