//! Copying manifests from one [`Store`] to another, digests unchanged:
//! the blobs first (config and layers, or for an image index its entries),
//! then the manifest's exact bytes, then its referrers. What the target
//! has already is not sent again.

use std::cell::RefCell;

use wkg_core::digest::Digest;
use wkg_core::index::ImageIndex;
use wkg_core::manifest::{Descriptor, ImageManifest, ManifestError};

use super::remote::{BlobSource, PulledManifest};
use super::{Error, Store};
use crate::cache::Cache;
use crate::progress::Progress;
use wkg_core::referrers::EMPTY_CONTENT;

/// Blobs up to this size travel in memory; larger ones through the cache.
const IN_MEMORY: u64 = 4 * 1024 * 1024;
/// An image index nested deeper than this is refused.
const MAX_DEPTH: usize = 4;

/// What a copy did, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Manifests (and indexes) written to the target.
    pub manifests: usize,
    /// Manifests the target had already under the same tag or digest.
    pub manifests_skipped: usize,
    /// Blobs written to the target, and their bytes.
    pub blobs: usize,
    pub bytes: u64,
    /// Blobs the target had already.
    pub blobs_skipped: usize,
    /// Referrers written to the target.
    pub referrers: usize,
}

impl std::ops::AddAssign for Copied {
    fn add_assign(&mut self, o: Copied) {
        self.manifests += o.manifests;
        self.manifests_skipped += o.manifests_skipped;
        self.blobs += o.blobs;
        self.bytes += o.bytes;
        self.blobs_skipped += o.blobs_skipped;
        self.referrers += o.referrers;
    }
}

/// One repository copied into another.
#[derive(Debug)]
pub struct Copy<'a> {
    pub from: &'a Store,
    pub from_repository: &'a str,
    pub to: &'a Store,
    pub to_repository: &'a str,
    /// Where large blobs are downloaded on their way (content-addressed,
    /// so one a killed run left is reused, not garbage).
    pub cache: &'a Cache,
    copied: RefCell<Copied>,
}

impl<'a> Copy<'a> {
    pub fn new(from: (&'a Store, &'a str), to: (&'a Store, &'a str), cache: &'a Cache) -> Copy<'a> {
        Copy {
            from: from.0,
            from_repository: from.1,
            to: to.0,
            to_repository: to.1,
            cache,
            copied: RefCell::default(),
        }
    }

    /// What was done so far.
    pub fn copied(&self) -> Copied {
        *self.copied.borrow()
    }

    /// Copies the manifest `tag` names, tagged `tag` at the target, and
    /// its referrers (not theirs). When `layer` is given, the manifest (or
    /// an image index's wasm entry) must have a layer with that digest,
    /// else nothing is written: a release that changed since it was
    /// locked is not mirrored. Returns the manifest's digest.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a layer that does not match, a manifest
    /// that does not parse; the stores' errors.
    pub async fn tagged(&self, tag: &str, layer: Option<&Digest>) -> Result<Digest, Error> {
        let pulled = self.from.pull_manifest(self.from_repository, tag).await?;
        if let Some(expected) = layer {
            self.check_layer(&pulled, tag, expected).await?;
        }
        let existing = match self.to.pull_manifest(self.to_repository, tag).await {
            Ok(there) => Some(there.digest),
            Err(Error::NotFound { .. }) => None,
            Err(Error::Layout {
                source: wkg_core::layout::LayoutError::UnknownTag { .. },
                ..
            }) => None,
            Err(e) => return Err(e),
        };
        let digest = pulled.digest.clone();
        if existing.as_ref() == Some(&digest) {
            self.copied.borrow_mut().manifests_skipped += 1;
        } else {
            self.manifest(pulled, Some(tag), 0).await?;
        }
        self.referrers(&digest).await?;
        Ok(digest)
    }

    /// Whether `pulled` (or its wasm entry) has the layer `expected`.
    async fn check_layer(
        &self,
        pulled: &PulledManifest,
        tag: &str,
        expected: &Digest,
    ) -> Result<(), Error> {
        let invalid = |e: &dyn std::fmt::Display| Error::Protocol(format!("{e}"));
        let manifest = match ImageManifest::from_json(&pulled.bytes) {
            Ok(m) => m,
            Err(ManifestError::ImageIndex { .. }) => {
                let index = ImageIndex::from_json(&pulled.bytes).map_err(|e| invalid(&e))?;
                let entry = index.wasm_entry().map_err(|e| invalid(&e))?;
                let bytes = self
                    .from
                    .pull_manifest(self.from_repository, &entry.digest.to_string())
                    .await?
                    .bytes;
                ImageManifest::from_json(&bytes).map_err(|e| invalid(&e))?
            }
            Err(e) => return Err(invalid(&e)),
        };
        if manifest.layers.iter().any(|l| &l.digest == expected) {
            return Ok(());
        }
        Err(Error::Protocol(format!(
            "`{}:{tag}` is `{}` now, which does not hold the locked content `{expected}`: the \
             release changed since it was locked (run `wkg update` to lock what it is now)",
            self.from.describe(self.from_repository),
            pulled.digest,
        )))
    }

    /// Writes `pulled` and what it references to the target, under `tag`
    /// (by digest without one).
    async fn manifest(
        &self,
        pulled: PulledManifest,
        tag: Option<&str>,
        depth: usize,
    ) -> Result<(), Error> {
        let media_type = pulled.declared_media_type();
        match ImageManifest::from_json(&pulled.bytes) {
            Ok(manifest) => {
                self.blobs_of(&manifest).await?;
            }
            Err(ManifestError::ImageIndex { .. }) if depth < MAX_DEPTH => {
                let index = ImageIndex::from_json(&pulled.bytes)
                    .map_err(|e| Error::Protocol(e.to_string()))?;
                for entry in &index.manifests {
                    let digest = entry.digest.to_string();
                    if self
                        .to
                        .pull_manifest(self.to_repository, &digest)
                        .await
                        .is_ok()
                    {
                        self.copied.borrow_mut().manifests_skipped += 1;
                        continue;
                    }
                    let child = self
                        .from
                        .pull_manifest(self.from_repository, &digest)
                        .await?;
                    Box::pin(self.manifest(child, None, depth + 1)).await?;
                }
            }
            Err(e) => return Err(Error::Protocol(e.to_string())),
        }
        let target = tag.map_or_else(|| pulled.digest.to_string(), str::to_owned);
        self.to
            .push_manifest(self.to_repository, &target, &media_type, pulled.bytes)
            .await?;
        self.copied.borrow_mut().manifests += 1;
        Ok(())
    }

    /// The referrers of `subject` the target lacks, one after the other
    /// (a registry without the referrers API keeps them in one index per
    /// subject, which concurrent writes would race on).
    async fn referrers(&self, subject: &Digest) -> Result<(), Error> {
        let listed = self
            .from
            .referrers(self.from_repository, subject, None)
            .await?;
        for entry in listed.list {
            let digest = entry.digest.to_string();
            if self
                .to
                .pull_manifest(self.to_repository, &digest)
                .await
                .is_ok()
            {
                self.copied.borrow_mut().manifests_skipped += 1;
                continue;
            }
            let pulled = self
                .from
                .pull_manifest(self.from_repository, &digest)
                .await?;
            let manifest = ImageManifest::from_json(&pulled.bytes)
                .map_err(|e| Error::Protocol(format!("referrer `{digest}`: {e}")))?;
            self.blobs_of(&manifest).await?;
            let mut listed_as = wkg_core::referrers::list_entry(
                &manifest,
                pulled.digest.clone(),
                pulled.bytes.len() as u64,
            );
            listed_as.media_type = pulled.declared_media_type();
            self.to
                .push_referrer(self.to_repository, subject, &listed_as, pulled.bytes)
                .await?;
            self.copied.borrow_mut().referrers += 1;
        }
        Ok(())
    }

    /// The config and layers of `manifest`.
    async fn blobs_of(&self, manifest: &ImageManifest) -> Result<(), Error> {
        self.blob(&manifest.config).await?;
        for layer in &manifest.layers {
            self.blob(layer).await?;
        }
        Ok(())
    }

    /// One blob, unless the target has it: in memory when small, else
    /// through the cache (where it may be already).
    async fn blob(&self, blob: &Descriptor) -> Result<(), Error> {
        let (to, repository) = (self.to, self.to_repository);
        if to.blob_exists(repository, &blob.digest).await? {
            self.copied.borrow_mut().blobs_skipped += 1;
            return Ok(());
        }
        let empty = Digest::sha256_of(EMPTY_CONTENT);
        let source = if blob.digest == empty && blob.size == EMPTY_CONTENT.len() as u64 {
            // The empty descriptor's `{}`: nothing to fetch.
            BlobSource::Bytes(EMPTY_CONTENT.to_vec())
        } else if blob.size <= IN_MEMORY {
            BlobSource::Bytes(
                self.from
                    .pull_blob_bytes(self.from_repository, blob, IN_MEMORY)
                    .await?,
            )
        } else {
            let path = match self.cache.blob(&blob.digest) {
                Some(path) => path,
                None => {
                    let path = self.cache.blob_path(&blob.digest)?;
                    let progress = Progress::new("Downloading", blob.size);
                    self.from
                        .pull_blob(self.from_repository, blob, &path, &progress)
                        .await?;
                    path
                }
            };
            BlobSource::File {
                path,
                progress: Progress::new("Uploading", blob.size),
                hints: None,
            }
        };
        to.upload_blob(repository, source, &blob.digest, blob.size)
            .await?;
        let mut copied = self.copied.borrow_mut();
        copied.blobs += 1;
        copied.bytes += blob.size;
        Ok(())
    }
}
