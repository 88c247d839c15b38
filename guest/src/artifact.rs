//! A wasm OCI artifact as wkg writes it (wkg-behaviour §4.1, §4.2): one
//! `application/wasm` layer, the `application/vnd.wasm.config.v0+json`
//! config with the component's imports and exports, and the image
//! manifest; and its push, layer first, manifest last.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use wkg_core::auth::Actions;
use wkg_core::digest::Digest;
use wkg_core::manifest::{
    Descriptor, ImageManifest, MANIFEST_MEDIA_TYPE, TITLE_ANNOTATION, WASM_CONFIG_MEDIA_TYPE,
    WASM_LAYER_MEDIA_TYPE, WasmConfig,
};

use crate::component::Inspection;
use crate::oci::remote::{BlobSource, Pushed};
use crate::oci::{self, Store};

/// An artifact ready to push.
#[derive(Debug)]
pub struct Artifact {
    content: BlobSource,
    /// The layer's digest, when known before the push.
    digest: Option<Digest>,
    size: u64,
    imports: Vec<String>,
    exports: Vec<String>,
    description: Description,
}

/// What describes an artifact beside its content.
#[derive(Debug, Default)]
pub struct Description {
    /// The config's `created`, RFC 3339.
    pub created: String,
    /// The config's `author`.
    pub author: Option<String>,
    /// The layer's `org.opencontainers.image.title` (a file name).
    pub title: String,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Artifact {
    /// The artifact of `content`, whose size, imports, exports and maybe
    /// digest `inspection` holds.
    pub fn new(content: BlobSource, inspection: &Inspection, description: Description) -> Self {
        Artifact {
            content,
            digest: inspection.digest.clone(),
            size: inspection.size,
            imports: inspection.imports.clone(),
            exports: inspection.exports.clone(),
            description,
        }
    }

    /// The layer's content.
    pub fn content(&self) -> &BlobSource {
        &self.content
    }

    /// Pushes the layer (unless the registry has it), the config and the
    /// manifest, tagged `tag`; returns the manifest's descriptor.
    ///
    /// The config names the layer's digest, so it is made once the layer
    /// is up (a large file is hashed on its way up).
    ///
    /// # Errors
    /// The registry's refusal, transport and I/O errors.
    pub async fn push(
        self,
        store: &Store,
        repository: &str,
        tag: &str,
    ) -> Result<Descriptor, oci::Error> {
        store.authenticate(repository, Actions::PullPush).await?;
        let (digest, pushed) = store
            .push_blob(repository, self.content, self.digest.as_ref(), self.size)
            .await?;
        if pushed == Pushed::Existed {
            crate::progress::status(
                "Skipped",
                format!("blob {digest} (already in {})", store.describe(repository)),
            );
        }
        let description = self.description;
        let config = WasmConfig::new(
            description.created,
            description.author,
            digest.clone(),
            self.exports,
            self.imports,
        )
        .to_json();
        let config_descriptor = Descriptor::new(
            WASM_CONFIG_MEDIA_TYPE,
            Digest::sha256_of(&config),
            config.len() as u64,
        );
        let mut layer = Descriptor::new(WASM_LAYER_MEDIA_TYPE, digest, self.size);
        layer.annotations = Some(BTreeMap::from([(
            TITLE_ANNOTATION.to_owned(),
            description.title,
        )]));
        let annotations = description.annotations;
        let manifest = ImageManifest::wasm(
            config_descriptor.clone(),
            layer,
            (!annotations.is_empty()).then_some(annotations),
        );
        store
            .push_blob(
                repository,
                BlobSource::Bytes(config),
                Some(&config_descriptor.digest),
                config_descriptor.size,
            )
            .await?;
        let bytes = manifest.to_json();
        let size = bytes.len() as u64;
        let digest = store
            .push_manifest(repository, tag, MANIFEST_MEDIA_TYPE, bytes)
            .await?;
        Ok(Descriptor::new(MANIFEST_MEDIA_TYPE, digest, size))
    }
}

/// Why the creation time of an artifact cannot be had.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum CreatedError {
    /// `SOURCE_DATE_EPOCH` is no number of seconds.
    #[error("SOURCE_DATE_EPOCH `{value}` is not a number of seconds")]
    Epoch {
        value: String,
        #[source]
        source: std::num::ParseIntError,
    },
    /// The file's modification time cannot be read.
    #[error(transparent)]
    File(#[from] crate::io::FileError),
}

crate::debug_as_message!(CreatedError);

/// The `org.opencontainers.image.created` time: `SOURCE_DATE_EPOCH` if
/// set, else the modification time of `file` (now, without a file), as
/// RFC 3339 UTC.
///
/// # Errors
/// [`CreatedError`].
pub fn created_time(file: Option<&Path>) -> Result<String, CreatedError> {
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs = epoch
            .trim()
            .parse::<u64>()
            .map_err(|source| CreatedError::Epoch {
                value: epoch.clone(),
                source,
            })?;
        return Ok(wkg_core::manifest::format_rfc3339_utc(secs, 0));
    }
    let time = match file {
        Some(file) => std::fs::metadata(file)
            .and_then(|m| m.modified())
            .map_err(crate::io::FileError::on("reading", file))?,
        None => SystemTime::now(),
    };
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    Ok(wkg_core::manifest::format_rfc3339_utc(
        since.as_secs(),
        since.subsec_nanos(),
    ))
}

/// Why no wasm manifest could be pulled.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum PullError {
    /// The registry's refusal, or a transport error.
    #[error(transparent)]
    Oci(#[from] oci::Error),
    /// A manifest that does not parse.
    #[error(transparent)]
    Manifest(#[from] wkg_core::manifest::ManifestError),
    /// An image index with no entry to pull.
    #[error(transparent)]
    Index(#[from] wkg_core::index::IndexError),
}

crate::debug_as_message!(PullError);

/// A pulled manifest to read a wasm layer from.
#[derive(Debug)]
pub struct WasmManifest {
    pub manifest: ImageManifest,
    /// The bytes as pulled (of the entry, through an index).
    pub pulled: oci::remote::PulledManifest,
    /// The index entry's platform when `target` named an image index or a
    /// Docker manifest list (`os/architecture`, or `unknown`).
    pub through_index: Option<String>,
}

/// `target`'s manifest in `repository`, or, when that is an image index or
/// a Docker manifest list, the manifest of its wasm entry (else of its only
/// entry; [`wkg_core::index::ImageIndex::wasm_entry`]).
///
/// # Errors
/// [`PullError`].
pub async fn pull_wasm_manifest(
    store: &Store,
    repository: &str,
    target: &str,
) -> Result<WasmManifest, PullError> {
    let pulled = store.pull_manifest(repository, target).await?;
    match ImageManifest::from_json(&pulled.bytes) {
        Ok(manifest) => Ok(WasmManifest {
            manifest,
            pulled,
            through_index: None,
        }),
        Err(wkg_core::manifest::ManifestError::ImageIndex { .. }) => {
            let index = wkg_core::index::ImageIndex::from_json(&pulled.bytes)?;
            let entry = index.wasm_entry()?;
            let platform = entry
                .platform
                .as_ref()
                .map_or("unknown".into(), wkg_core::index::Platform::display);
            let pulled = store
                .pull_manifest(repository, &entry.digest.to_string())
                .await?;
            Ok(WasmManifest {
                manifest: ImageManifest::from_json(&pulled.bytes)?,
                pulled,
                through_index: Some(platform),
            })
        }
        Err(e) => Err(e.into()),
    }
}
