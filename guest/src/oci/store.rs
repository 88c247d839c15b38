//! Where OCI content lives: a registry, through the [`Client`], or an
//! image [`Layout`] on disk. Both take the same operations, so a pull, a
//! push, a package source and a mirror work on either.

use std::path::Path;
use std::rc::Rc;

use wkg_core::auth::Actions;
use wkg_core::digest::Digest;
use wkg_core::manifest::Descriptor;

use super::layout::Layout;
use super::remote::{BlobSource, PulledManifest, Pushed, Referrers};
use super::{Client, Error};
use crate::progress::Progress;

/// What [`Store::attach`] attaches: a blob and the artifact manifest's
/// artifact type and annotations.
#[derive(Debug)]
pub struct Attachment<'a> {
    pub artifact_type: &'a str,
    /// The blob's media type.
    pub media_type: &'a str,
    pub content: BlobSource,
    /// The blob's size in bytes.
    pub size: u64,
    /// Its file name (`org.opencontainers.image.title`).
    pub title: Option<String>,
    /// The manifest's annotations.
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// A registry or a layout. Operations take the repository; a layout holds
/// one repository and ignores it. A registry's client is shared, so the
/// repositories of one registry share its authentication and what it
/// learned of the registry.
#[derive(Debug)]
pub enum Store {
    Registry(Rc<Client>),
    Layout(Layout),
}

impl Store {
    /// Where `repository` is, for messages: `registry/repository` or
    /// `oci-layout:DIR`.
    pub fn describe(&self, repository: &str) -> String {
        match self {
            Store::Registry(c) => format!("{}/{repository}", c.registry()),
            Store::Layout(l) => format!("oci-layout:{}", l.root().display()),
        }
    }

    /// Authenticates to the registry for `actions` (nothing for a layout).
    ///
    /// # Errors
    /// [`Client::authenticate`].
    pub async fn authenticate(&self, repository: &str, actions: Actions) -> Result<(), Error> {
        match self {
            Store::Registry(c) => c.authenticate(repository, actions).await,
            Store::Layout(_) => Ok(()),
        }
    }

    /// [`Client::pull_manifest`], [`Layout::pull_manifest`].
    ///
    /// # Errors
    /// As those.
    pub async fn pull_manifest(
        &self,
        repository: &str,
        target: &str,
    ) -> Result<PulledManifest, Error> {
        match self {
            Store::Registry(c) => c.pull_manifest(repository, target).await,
            Store::Layout(l) => l.pull_manifest(target),
        }
    }

    /// [`Client::pull_blob`], [`Layout::pull_blob`].
    ///
    /// # Errors
    /// As those.
    pub async fn pull_blob(
        &self,
        repository: &str,
        blob: &Descriptor,
        dest: &Path,
        progress: &Progress,
    ) -> Result<(), Error> {
        match self {
            Store::Registry(c) => c.pull_blob(repository, blob, dest, progress).await,
            Store::Layout(l) => l.pull_blob(blob, dest, progress),
        }
    }

    /// [`Client::pull_blob_bytes`], [`Layout::pull_blob_bytes`].
    ///
    /// # Errors
    /// As those.
    pub async fn pull_blob_bytes(
        &self,
        repository: &str,
        blob: &Descriptor,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        match self {
            Store::Registry(c) => c.pull_blob_bytes(repository, blob, limit).await,
            Store::Layout(l) => l.pull_blob_bytes(blob, limit),
        }
    }

    /// Whether the blob is there.
    ///
    /// # Errors
    /// [`Client::blob_exists`].
    pub async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool, Error> {
        match self {
            Store::Registry(c) => c.blob_exists(repository, digest).await,
            Store::Layout(l) => Ok(l.blob_exists(digest)),
        }
    }

    /// [`Client::push_blob`], [`Layout::push_blob`].
    ///
    /// # Errors
    /// As those.
    pub async fn push_blob(
        &self,
        repository: &str,
        source: BlobSource,
        digest: Option<&Digest>,
        size: u64,
    ) -> Result<(Digest, Pushed), Error> {
        match self {
            Store::Registry(c) => c.push_blob(repository, source, digest, size).await,
            Store::Layout(l) => l.push_blob(&source, digest, size),
        }
    }

    /// Writes a blob known to be missing (the caller asked
    /// [`Store::blob_exists`]): [`Client::upload_blob`] without asking
    /// again.
    ///
    /// # Errors
    /// As [`Store::push_blob`].
    pub async fn upload_blob(
        &self,
        repository: &str,
        source: BlobSource,
        digest: &Digest,
        size: u64,
    ) -> Result<(), Error> {
        match self {
            Store::Registry(c) => c.upload_blob(repository, source, digest, size).await,
            Store::Layout(l) => l.push_blob(&source, Some(digest), size).map(|_| ()),
        }
    }

    /// [`Client::push_manifest`], [`Layout::push_manifest`]; `target` is a
    /// tag or the manifest's digest.
    ///
    /// # Errors
    /// As those.
    pub async fn push_manifest(
        &self,
        repository: &str,
        target: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Digest, Error> {
        match self {
            Store::Registry(c) => c.push_manifest(repository, target, media_type, bytes).await,
            Store::Layout(l) => l.push_manifest(target, media_type, bytes),
        }
    }

    /// Every tag: the registry's tag list, the layout's ref names.
    ///
    /// # Errors
    /// [`Client::list_tags`]; a layout index that does not read.
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>, Error> {
        match self {
            Store::Registry(c) => c.list_tags(repository).await,
            Store::Layout(l) => Ok(l.index()?.tags()),
        }
    }

    /// The referrers of `subject`: [`Client::referrers`]; in a layout, the
    /// manifests of its index whose `subject` is `subject`.
    ///
    /// # Errors
    /// As [`Client::referrers`]; a layout manifest that does not read.
    pub async fn referrers(
        &self,
        repository: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let layout = match self {
            Store::Registry(c) => return c.referrers(repository, subject, artifact_type).await,
            Store::Layout(l) => l,
        };
        let mut list = Vec::new();
        for entry in layout.entries()? {
            let Ok(bytes) = layout.pull_blob_bytes(&entry, 4 * 1024 * 1024) else {
                continue;
            };
            let Ok(manifest) = wkg_core::manifest::ImageManifest::from_json(&bytes) else {
                continue;
            };
            if manifest
                .subject
                .as_ref()
                .is_some_and(|s| &s.digest == subject)
            {
                let listed = wkg_core::referrers::list_entry(&manifest, entry.digest, entry.size);
                if artifact_type.is_none_or(|t| listed.artifact_type.as_deref() == Some(t)) {
                    list.push(listed);
                }
            }
        }
        Ok(Referrers {
            list,
            through_fallback: false,
        })
    }

    /// Pushes a referrer manifest (by digest) and makes it listed among
    /// `subject`'s referrers: by the registry's referrers API when it
    /// answers with `OCI-Subject`, else in the fallback tag's index
    /// ([`Client::add_fallback_referrer`]); in a layout, as an untagged
    /// entry of the index. Returns the manifest's digest.
    ///
    /// # Errors
    /// As [`Store::push_manifest`] and [`Client::add_fallback_referrer`].
    pub async fn push_referrer(
        &self,
        repository: &str,
        subject: &Digest,
        entry: &Descriptor,
        bytes: Vec<u8>,
    ) -> Result<Digest, Error> {
        match self {
            Store::Registry(c) => {
                let (digest, keeps) = c
                    .push_referrer(repository, &entry.media_type, bytes)
                    .await?;
                if !keeps {
                    c.add_fallback_referrer(repository, subject, entry).await?;
                }
                Ok(digest)
            }
            Store::Layout(l) => l.push_manifest("", &entry.media_type, bytes),
        }
    }

    /// Attaches `attachment` to `subject`: its content as the one blob of
    /// an artifact manifest with the empty config (image-spec "Guidelines
    /// for Artifact Usage"), listed among the subject's referrers
    /// ([`Store::push_referrer`]). Returns the manifest's digest.
    ///
    /// # Errors
    /// As [`Store::push_blob`] and [`Store::push_referrer`].
    pub async fn attach(
        &self,
        repository: &str,
        subject: &Descriptor,
        attachment: Attachment<'_>,
    ) -> Result<Digest, Error> {
        use wkg_core::referrers::{EMPTY_CONTENT, artifact_manifest, list_entry};
        let Attachment {
            artifact_type,
            media_type,
            content,
            size,
            title,
            annotations,
        } = attachment;
        let (digest, _) = self.push_blob(repository, content, None, size).await?;
        let mut layer = Descriptor::new(media_type, digest, size);
        layer.annotations = title.map(|t| {
            std::collections::BTreeMap::from([(wkg_core::manifest::TITLE_ANNOTATION.to_owned(), t)])
        });
        self.push_blob(
            repository,
            BlobSource::Bytes(EMPTY_CONTENT.to_vec()),
            None,
            EMPTY_CONTENT.len() as u64,
        )
        .await?;
        let manifest = artifact_manifest(artifact_type, layer, subject.clone(), annotations);
        let bytes = manifest.to_json();
        let entry = list_entry(&manifest, Digest::sha256_of(&bytes), bytes.len() as u64);
        self.push_referrer(repository, &subject.digest, &entry, bytes)
            .await
    }
}
