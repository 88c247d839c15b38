//! Packages by name: from a package ref to the registry that serves it
//! (config.toml, registry resolution, well-known metadata, credentials),
//! its versions, and its content in the cache (wkg-behaviour §2, §4, §6, §7).

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use http::StatusCode;
use wkg_core::auth::Credential;
use wkg_core::config::{Backend, Config, Scope, registry_auth_env_var};
use wkg_core::digest::Digest;
use wkg_core::lock::LockedSignature;
use wkg_core::manifest::{Descriptor, ManifestError};
use wkg_core::metadata::{RegistryMetadata, oci_repository, well_known_url};
use wkg_core::package::{PackageRef, Registry, Version};
use wkg_core::urls::Scheme;

use crate::artifact::Artifact;
use crate::cache::{Cache, copy_atomic, write_atomic};
use crate::error::Kind;
use crate::http::{self as wasi_http, Body, Timeouts};
use crate::io::FileError;
use crate::oci::layout::Layout;
use crate::oci::remote::BlobSource;
use crate::oci::{self, Client, Store, credentials};
use crate::progress::Progress;
use crate::settings::{self, Settings, read_config};
use crate::signatures::{self, Verifier};
use wkg_core::sigstore::sign::SigningKey;

/// Why a package's source, versions or content cannot be had.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The settings, or a config file they name.
    #[error(transparent)]
    Settings(#[from] settings::Error),
    /// No registry for the namespace, or an unknown backend.
    #[error(transparent)]
    Registry(#[from] wkg_core::config::ResolveError),
    /// The package maps to an OCI repository with uppercase letters.
    #[error(
        "`{package}` maps to the OCI repository `{repository}` (namespacePrefix `{prefix}` of \
         registry `{registry}`), which has uppercase letters; OCI repository names \
         must be lowercase (wasm-pkg-tools#134)"
    )]
    Uppercase {
        package: PackageRef,
        repository: String,
        prefix: String,
        registry: Registry,
    },
    /// The package maps to something that is no OCI repository name.
    #[error("`{repository}` is not a valid OCI repository")]
    InvalidRepository {
        repository: String,
        #[source]
        source: wkg_core::reference::ReferenceError,
    },
    /// The docker config that names the registry's credentials.
    #[error(transparent)]
    Credentials(#[from] credentials::Error),
    /// The OCI registry's refusal, or a transport error.
    #[error(transparent)]
    Oci(#[from] oci::Error),
    /// A release missing from (or unreadable in) a local registry.
    #[error("package `{package}@{version}` not found in `{root}` ({cause})")]
    LocalRelease {
        package: PackageRef,
        version: Version,
        root: String,
        cause: std::io::Error,
    },
    /// A release whose manifest does not parse.
    #[error("invalid manifest for `{package}@{version}`")]
    InvalidManifest {
        package: PackageRef,
        version: Version,
        #[source]
        source: ManifestError,
    },
    /// A manifest that is no wasm artifact.
    #[error(transparent)]
    NotWasm(ManifestError),
    /// An image index with no entry to pull.
    #[error("image index of `{package}@{version}`")]
    Index {
        package: PackageRef,
        version: Version,
        #[source]
        source: wkg_core::index::IndexError,
    },
    /// An OCI release without its layer (a bug).
    #[error("release of `{0}` has no layer")]
    NoLayer(PackageRef),
    /// A local registry's file that cannot be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// A release that fails its `[sigstore]` policy, or a policy that
    /// cannot be used.
    #[error(transparent)]
    Signature(#[from] signatures::Error),
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::Settings(e) => e.kind(),
            Error::Registry(_)
            | Error::Uppercase { .. }
            | Error::InvalidRepository { .. }
            | Error::Credentials(_) => Kind::InvalidInput,
            Error::Oci(e) => e.kind(),
            Error::LocalRelease { cause, .. } => crate::error::io_kind(cause),
            Error::File(e) => e.kind(),
            Error::InvalidManifest { .. }
            | Error::NotWasm(_)
            | Error::Index { .. }
            | Error::NoLayer(_) => Kind::Other,
            Error::Signature(e) => e.kind(),
        }
    }
}

/// The registry configuration of a command.
#[derive(Debug)]
pub struct Registries {
    config: Config,
    /// wkg applies the `wasi`/`ba` fallbacks to the global config only.
    use_fallbacks: bool,
    timeouts: Timeouts,
    /// Registry metadata fetched so far, by registry.
    metadata: RefCell<HashMap<Registry, RegistryMetadata>>,
    /// The clients made so far, by registry, OCI host and whether they
    /// fall back to anonymous access: packages of one registry share one
    /// (its authentication, its tokens by scope).
    clients: RefCell<HashMap<(Registry, String, bool), Rc<Client>>>,
    /// The `[sigstore]` trusted root, read on first use.
    trusted_root: OnceCell<Rc<wkg_core::sigstore::trust::TrustedRoot>>,
    /// The verifiers made so far, by policy key.
    verifiers: RefCell<HashMap<Scope, Rc<Verifier>>>,
}

/// One release of a package, as its registry has it now.
#[derive(Debug, Clone)]
pub struct Release {
    pub version: Version,
    /// The digest of the content (the wasm layer).
    pub digest: Digest,
    /// The wasm layer, for OCI registries.
    layer: Option<Descriptor>,
    /// The manifest (digest, bytes) whose signature the package's
    /// `[sigstore]` policy requires, checked by [`Source::content`].
    to_verify: Option<(Digest, Vec<u8>)>,
}

/// A release's content, as [`Source::content`] gives it.
#[derive(Debug)]
pub struct Content {
    /// The verified content (in the cache, or a local registry's file).
    pub path: PathBuf,
    /// What `wkg.lock` records of the signature verified under the
    /// package's `[sigstore]` policy, if one applies.
    pub signature: Option<LockedSignature>,
}

/// Where a package's releases come from.
#[derive(Debug)]
pub enum Source {
    /// An OCI registry, or an OCI image layout per repository
    /// (`<root>/<repository>`, `[registry.X.oci-layout]`).
    Oci {
        registry: Registry,
        store: Store,
        repository: String,
        /// The package's `[sigstore]` policy, checked by
        /// [`Source::release`].
        verifier: Option<Rc<Verifier>>,
    },
    /// `<root>/<namespace>/<name>/<version>.wasm`.
    Local { root: PathBuf },
}

const PACKAGE_CREDENTIALS_HINT: &str = "set `auth` under `[registry.\"<name>\".oci]` in config.toml, \
     set WKG_REGISTRY_<HOST>_AUTH_BEARER, or log in with `docker login`";

impl Registries {
    /// Loads `--config` / `WKG_CONFIG_FILE` (which must exist; no
    /// fallbacks, as wkg), else the global config.toml if there is one;
    /// then the `[config]` table of the project's `wkg.toml` on top.
    ///
    /// # Errors
    /// An unreadable or invalid config file.
    pub fn load(settings: &Settings) -> Result<Registries, settings::Error> {
        let (config, use_fallbacks) = match settings.config_file().ok() {
            Some(file) if file.explicit => {
                let config = read_config(&file.path)?.ok_or_else(|| {
                    settings::Error::MissingConfig(file.path.display().to_string())
                })?;
                (config, false)
            }
            Some(global) => (read_config(&global.path)?.unwrap_or_default(), true),
            None => (Config::default(), true),
        };
        let config = match settings::read_project_config()? {
            Some(project) => config.merge(project),
            None => config,
        };
        Ok(Registries {
            config,
            use_fallbacks,
            timeouts: Timeouts::from_env(),
            metadata: RefCell::default(),
            clients: RefCell::default(),
            trusted_root: OnceCell::new(),
            verifiers: RefCell::default(),
        })
    }

    /// The verifier of `package`'s `[sigstore]` policy (its own, else its
    /// namespace's), if it has one. Keys and the trusted root are read
    /// once per run.
    ///
    /// # Errors
    /// A key or trusted root file that cannot be read or used.
    pub fn verifier(&self, package: &PackageRef) -> Result<Option<Rc<Verifier>>, Error> {
        let Some(sigstore) = self.config.sigstore() else {
            return Ok(None);
        };
        let Some((scope, policy)) = sigstore.policy(package) else {
            return Ok(None);
        };
        if let Some(known) = self.verifiers.borrow().get(scope) {
            return Ok(Some(known.clone()));
        }
        let root = match self.trusted_root.get() {
            Some(root) => root.clone(),
            None => {
                let path = sigstore.trusted_root.as_deref().map(Path::new);
                let root = Rc::new(signatures::trusted_root(path)?);
                self.trusted_root.get_or_init(|| root).clone()
            }
        };
        let origin = format!("the `[sigstore]` policy for `{scope}`");
        let verifier = Rc::new(Verifier::new(policy, root, origin)?);
        self.verifiers
            .borrow_mut()
            .insert(scope.clone(), verifier.clone());
        Ok(Some(verifier))
    }

    /// The source of `package`, through `registry` when given.
    ///
    /// # Errors
    /// No registry for the namespace, an unknown backend, or a docker
    /// config that cannot be read.
    pub async fn source(
        &self,
        package: &PackageRef,
        registry: Option<&Registry>,
    ) -> Result<Source, Error> {
        let mut source = self.source_with(package, registry, true).await?;
        if let Source::Oci { verifier, .. } = &mut source {
            *verifier = self.verifier(package)?;
        }
        Ok(source)
    }

    /// The name of the registry `package` comes from (what `wkg.lock`
    /// records), from the config alone.
    ///
    /// # Errors
    /// No registry for the namespace.
    pub fn registry_name(&self, package: &PackageRef) -> Result<Registry, Error> {
        Ok(self
            .config
            .resolve(package, None, self.use_fallbacks)?
            .registry()
            .clone())
    }

    /// The source of `package` to publish to: as [`Registries::source`],
    /// but credentials the registry rejects are an error, not a fallback
    /// to anonymous access.
    ///
    /// # Errors
    /// As [`Registries::source`].
    pub async fn publish_source(
        &self,
        package: &PackageRef,
        registry: Option<&Registry>,
    ) -> Result<Source, Error> {
        self.source_with(package, registry, false).await
    }

    async fn source_with(
        &self,
        package: &PackageRef,
        registry: Option<&Registry>,
        anonymous_fallback: bool,
    ) -> Result<Source, Error> {
        let mut resolution = self.config.resolve(package, registry, self.use_fallbacks)?;
        if resolution.needs_metadata() {
            let registry = resolution.registry().clone();
            let known = self.metadata.borrow().get(&registry).cloned();
            let metadata = match known {
                Some(metadata) => metadata,
                None => {
                    let metadata = self.fetch_metadata(&registry).await;
                    self.metadata
                        .borrow_mut()
                        .insert(registry, metadata.clone());
                    metadata
                }
            };
            let warg_only = metadata.preferred_protocol() == Some("warg")
                && !metadata.configured_protocols().contains(&"oci");
            resolution = resolution.with_metadata(metadata)?;
            if warg_only {
                // config.toml chose OCI for it: say what its metadata says.
                let why = wkg_core::config::ResolveError::UnknownBackend {
                    registry: resolution.registry().clone(),
                    backend: "warg".into(),
                };
                eprintln!("warning: {why}; trying OCI at the registry's own host");
            }
        }
        let registry = resolution.registry().clone();
        let location = resolution.oci_location();
        match resolution.backend() {
            Backend::Local { root } => return Ok(Source::Local { root: root.into() }),
            Backend::Layout { root } => {
                let (_, repository) = oci_repository(&location, &registry, package);
                let layout = Layout::at(&Path::new(root).join(&repository));
                return Ok(Source::Oci {
                    registry,
                    store: Store::Layout(layout),
                    repository,
                    verifier: None,
                });
            }
            _ => {}
        }
        if let Some(prefix) = location.namespace_prefix.as_deref()
            && !prefix.is_empty()
            && !prefix.ends_with('/')
        {
            // Joined as is, as wkg does (wasmcloud.com#1044).
            eprintln!(
                "warning: the `namespacePrefix` `{prefix}` for registry `{registry}` does not end \
                 in `/`, so `{package}` is looked up as `{prefix}{}/{}`; write `{prefix}/` for \
                 `{prefix}/{}/{}`",
                package.namespace(),
                package.name(),
                package.namespace(),
                package.name()
            );
        }
        let (host, repository) = oci_repository(&location, &registry, package);
        if repository.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(Error::Uppercase {
                package: package.clone(),
                repository,
                prefix: location.namespace_prefix.clone().unwrap_or_default(),
                registry,
            });
        }
        let key = (registry.clone(), host.clone(), anonymous_fallback);
        let known = self.clients.borrow().get(&key).cloned();
        if let Some(client) = known {
            return Ok(Source::Oci {
                registry,
                store: Store::Registry(client),
                repository,
                verifier: None,
            });
        }
        let oci = self.config.registry_config(&registry).and_then(|c| c.oci());
        let scheme = oci
            .and_then(|o| o.protocol)
            .map_or(Scheme::Https, Scheme::from);
        let env_var = registry_auth_env_var(&host);
        let bearer = std::env::var(&env_var).ok().filter(|t| !t.is_empty());
        let credential: Option<Credential> = match (&bearer, oci.and_then(|o| o.auth.as_ref())) {
            (Some(_), _) => None,
            (None, Some(auth)) => Some(auth.credential().clone()),
            (None, None) => {
                let reference: wkg_core::Reference = format!("{host}/{repository}:latest")
                    .parse()
                    .map_err(|source| Error::InvalidRepository {
                        repository: format!("{host}/{repository}"),
                        source,
                    })?;
                credentials::for_reference(&reference, None, None).await?
            }
        };
        let mut client = Client::new(registry.as_str(), &host, scheme, credential, self.timeouts)
            .with_credentials_hint(PACKAGE_CREDENTIALS_HINT);
        if anonymous_fallback {
            client = client.with_anonymous_fallback();
        }
        if let Some(token) = bearer {
            client = client.with_bearer_token(token);
        }
        // Another package of this registry may have made one meanwhile.
        let client = self
            .clients
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| Rc::new(client))
            .clone();
        Ok(Source::Oci {
            registry,
            store: Store::Registry(client),
            repository,
            verifier: None,
        })
    }

    /// `/.well-known/wasm-pkg/registry.json`; defaults on a 404, and on any
    /// other failure after a warning (not fatal, as in wkg).
    async fn fetch_metadata(&self, registry: &Registry) -> RegistryMetadata {
        let url = well_known_url(registry);
        let fetched = async {
            let build = || {
                http::Request::get(&url)
                    .body(Body::Empty)
                    .map_err(|_| wasi_http::HttpError::InvalidUrl(url.clone()))
            };
            let said = |e: &(dyn std::error::Error + 'static)| crate::error::one_line(e);
            let mut res = wasi_http::send_idempotent(build, self.timeouts)
                .await
                .map_err(|e| said(&e))?;
            if res.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !res.status().is_success() {
                return Err(format!("status {}", res.status()));
            }
            let body = res
                .body_mut()
                .bytes(1024 * 1024)
                .await
                .map_err(|e| said(&e))?;
            RegistryMetadata::from_json(&body)
                .map(Some)
                .map_err(|e| said(&e))
        };
        match fetched.await {
            Ok(metadata) => metadata.unwrap_or_default(),
            Err(e) => {
                eprintln!(
                    "warning: error fetching registry metadata from {url}: {e}; using defaults"
                );
                RegistryMetadata::default()
            }
        }
    }
}

impl Source {
    /// Every release version, pre-releases included; tags that are not
    /// semver are ignored; an unknown package has none.
    ///
    /// # Errors
    /// The registry's refusal or a transport error.
    pub async fn versions(&self, package: &PackageRef) -> Result<Vec<Version>, Error> {
        match self {
            Source::Oci {
                store, repository, ..
            } => {
                let tags = match store.list_tags(repository).await {
                    Ok(tags) => tags,
                    Err(oci::Error::NotFound { .. }) => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
                Ok(tags.iter().filter_map(|t| t.parse().ok()).collect())
            }
            Source::Local { root } => {
                let dir = root
                    .join(package.namespace().as_str())
                    .join(package.name().as_str());
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    return Ok(Vec::new());
                };
                Ok(entries
                    .flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_suffix(".wasm")?.parse().ok()
                    })
                    .collect())
            }
        }
    }

    /// A file holding the verified content of `package@version`: in the
    /// cache for OCI registries, the registry's own file for local ones.
    /// A release already in the cache is served without a request.
    ///
    /// # Errors
    /// As [`Source::release`] and [`Source::content`].
    pub async fn fetch(
        &self,
        package: &PackageRef,
        version: &Version,
        cache: &Cache,
    ) -> Result<PathBuf, Error> {
        if let Source::Oci {
            registry,
            verifier: None,
            ..
        } = self
            && let Some(digest) = cache.release(registry, package, version)
            && let Some(path) = cache.blob(&digest)
        {
            return Ok(path);
        }
        let release = self.release(package, version).await?;
        Ok(self.content(package, &release, cache).await?.path)
    }

    /// What `package@version` is now: its content digest (the manifest's
    /// one layer, read from the registry; the sha256 of a local file).
    ///
    /// # Errors
    /// [`oci::Error::NotFound`] naming the package when the release does
    /// not exist; a manifest that is not a wasm artifact; transport errors.
    pub async fn release(&self, package: &PackageRef, version: &Version) -> Result<Release, Error> {
        let (client, repository, verifier) = match self {
            Source::Local { root } => {
                let path = Source::local_path(root, package, version);
                let bytes = std::fs::read(&path).map_err(|cause| Error::LocalRelease {
                    package: package.clone(),
                    version: version.clone(),
                    root: root.display().to_string(),
                    cause,
                })?;
                return Ok(Release {
                    version: version.clone(),
                    digest: Digest::sha256_of(&bytes),
                    layer: None,
                    to_verify: None,
                });
            }
            Source::Oci {
                store,
                repository,
                verifier,
                ..
            } => (store, repository, verifier),
        };
        let pulled = release_manifest(client, repository, package, version).await?;
        let layer = wasm_layer(&pulled.manifest, package, version)?.clone();
        Ok(Release {
            version: version.clone(),
            digest: layer.digest.clone(),
            layer: Some(layer),
            to_verify: verifier
                .is_some()
                .then_some((pulled.pulled.digest, pulled.pulled.bytes)),
        })
    }

    /// The verified content of `release`: from the cache when it has the
    /// digest, else downloaded into it (OCI); the registry's own file
    /// (local). Under a `[sigstore]` policy the manifest's signature is
    /// verified while the layer downloads (into a temporary file), and the
    /// layer enters the cache only once both checked, with the signature
    /// documents beside it. The release lookup is remembered.
    ///
    /// # Errors
    /// A signature that fails the policy, digest verification, transport
    /// and I/O errors.
    pub async fn content(
        &self,
        package: &PackageRef,
        release: &Release,
        cache: &Cache,
    ) -> Result<Content, Error> {
        Ok(self.content_with(package, release, cache, |_| ()).await?.0)
    }

    /// [`Source::content`], with `inspect` run on the content's file as
    /// soon as it is there and its digest checked, while the signature may
    /// still be on its way: a caller that decodes the content does so
    /// during those round trips instead of after them. What `inspect`
    /// returns is handed back only once the signature has passed too; it
    /// must not write anything the user sees.
    ///
    /// # Errors
    /// As [`Source::content`].
    pub async fn content_with<T>(
        &self,
        package: &PackageRef,
        release: &Release,
        cache: &Cache,
        inspect: impl FnOnce(&Path) -> T,
    ) -> Result<(Content, T), Error> {
        let (registry, client, repository, verifier, layer) = match (self, &release.layer) {
            (
                Source::Oci {
                    registry,
                    store,
                    repository,
                    verifier,
                },
                Some(layer),
            ) => (registry, store, repository, verifier, layer),
            (Source::Local { root }, _) => {
                let path = Source::local_path(root, package, &release.version);
                let inspected = inspect(&path);
                let content = Content {
                    path,
                    signature: None,
                };
                return Ok((content, inspected));
            }
            (Source::Oci { .. }, None) => return Err(Error::NoLayer(package.clone())),
        };
        // `inspect` waits for a lull in the signature check, if there is one.
        let lull = signatures::Lull::default();
        let verify = async {
            let signed = match (verifier, &release.to_verify) {
                (Some(verifier), Some((digest, bytes))) => {
                    let version = &release.version;
                    let subject = format!("package `{package}@{version}` (manifest {digest})");
                    let signed = signatures::verify_manifest(
                        client, repository, digest, bytes, &subject, verifier, &lull,
                    )
                    .await?;
                    Some(signed)
                }
                _ => None,
            };
            lull.open();
            Ok::<_, Error>(signed)
        };
        let (path, signed, inspected) = match cache.blob(&layer.digest) {
            Some(path) => {
                let look = async {
                    lull.wait().await;
                    Ok(inspect(&path))
                };
                let (signed, inspected) = futures_util::future::try_join(verify, look).await?;
                (path, signed, inspected)
            }
            None => {
                let path = cache.blob_path(&layer.digest)?;
                let progress = Progress::new("Downloading", layer.size);
                let temp = crate::io::TempFile::beside(&path)?;
                let download = async {
                    client
                        .pull_blob(repository, layer, temp.path(), &progress)
                        .await?;
                    lull.wait().await;
                    Ok(inspect(temp.path()))
                };
                let (signed, inspected) = futures_util::future::try_join(verify, download).await?;
                temp.persist(&path)?;
                (path, signed, inspected)
            }
        };
        if let Some(signed) = &signed {
            signed.keep(cache)?;
        }
        cache.remember_release(registry, package, &release.version, &layer.digest);
        let content = Content {
            path,
            signature: signed.map(|s| s.record),
        };
        Ok((content, inspected))
    }

    /// Where `package@version` lives in a local registry.
    fn local_path(root: &Path, package: &PackageRef, version: &Version) -> PathBuf {
        root.join(package.namespace().as_str())
            .join(package.name().as_str())
            .join(format!("{version}.wasm"))
    }

    /// The verified content of `package@version` in memory, without
    /// touching the cache: for the releases a publish is checked against,
    /// which are decoded whole anyway.
    ///
    /// # Errors
    /// As [`Source::fetch`]; content larger than `limit` bytes.
    pub async fn release_bytes(
        &self,
        package: &PackageRef,
        version: &Version,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let (client, repository) = match self {
            Source::Local { root } => {
                let path = Source::local_path(root, package, version);
                return Ok(std::fs::read(&path).map_err(FileError::on("reading", &path))?);
            }
            Source::Oci {
                store, repository, ..
            } => (store, repository),
        };
        let pulled = release_manifest(client, repository, package, version).await?;
        let layer = wasm_layer(&pulled.manifest, package, version)?;
        Ok(client.pull_blob_bytes(repository, layer, limit).await?)
    }

    /// Publishes `artifact` as `package@version`: an OCI push tagged with
    /// the version, or `<root>/<namespace>/<name>/<version>.wasm` written
    /// atomically.
    ///
    /// # Errors
    /// The registry's refusal, transport and I/O errors.
    pub async fn publish(
        &self,
        package: &PackageRef,
        version: &Version,
        artifact: Artifact,
        sign: Option<&SigningKey>,
    ) -> Result<(), Error> {
        match self {
            Source::Oci {
                store, repository, ..
            } => {
                let manifest = artifact
                    .push(store, repository, &version.to_string())
                    .await?;
                if let Some(key) = sign {
                    let bundle =
                        signatures::attach_signature(store, repository, &manifest, key).await?;
                    eprintln!("Signed {package}@{version}: bundle {bundle}");
                }
            }
            Source::Local { root } => {
                if sign.is_some() {
                    eprintln!(
                        "warning: `{package}@{version}` goes to a local registry, which keeps \
                         no signatures; it is not signed"
                    );
                }
                let path = Source::local_path(root, package, version);
                let written = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| match artifact.content() {
                        BlobSource::File { path: file, .. } => copy_atomic(file, &path),
                        BlobSource::Bytes(bytes) => write_atomic(&path, bytes),
                    });
                written.map_err(FileError::on("writing", &path))?;
            }
        }
        Ok(())
    }
}

/// The manifest of `package@version`, through an image index when the
/// tag names one (its wasm entry, with a note on stderr).
async fn release_manifest(
    client: &Store,
    repository: &str,
    package: &PackageRef,
    version: &Version,
) -> Result<crate::artifact::WasmManifest, Error> {
    use crate::artifact::PullError;
    let pulled = crate::artifact::pull_wasm_manifest(client, repository, &version.to_string())
        .await
        .map_err(|e| match e {
            PullError::Oci(oci::Error::NotFound { detail, .. }) => {
                Error::Oci(oci::Error::NotFound {
                    what: format!("package `{package}@{version}`"),
                    detail,
                })
            }
            PullError::Oci(other) => Error::Oci(other),
            PullError::Manifest(source) => Error::InvalidManifest {
                package: package.clone(),
                version: version.clone(),
                source,
            },
            PullError::Index(source) => Error::Index {
                package: package.clone(),
                version: version.clone(),
                source,
            },
        })?;
    if let Some(platform) = &pulled.through_index {
        eprintln!(
            "note: `{package}@{version}` is an image index; using its `{platform}` entry {}",
            pulled.pulled.digest
        );
    }
    Ok(pulled)
}

/// The wasm layer of `package@version`'s manifest, read tolerantly
/// ([`ImageManifest::wasm_content`](wkg_core::manifest::ImageManifest::wasm_content));
/// a note on stderr when it is not the CNCF format.
fn wasm_layer<'m>(
    manifest: &'m wkg_core::manifest::ImageManifest,
    package: &PackageRef,
    version: &Version,
) -> Result<&'m Descriptor, Error> {
    let content = manifest.wasm_content().map_err(Error::NotWasm)?;
    if let Some(note) = content.flavour.note() {
        eprintln!("note: `{package}@{version}` is {note}");
    }
    Ok(content.layer)
}
