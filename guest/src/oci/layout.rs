//! An OCI image layout on disk (image-spec `image-layout.md`) as a place
//! to read manifests and blobs from and write them to, with the same
//! guarantees as the registry client: every byte read is verified against
//! its digest and size before it reaches its final path, and every file
//! written (blob, `index.json`) appears whole or not at all.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use wkg_core::digest::{Digest, Verifier};
use wkg_core::layout::{
    INDEX_FILE, LAYOUT_CONTENT, LAYOUT_FILE, LayoutIndex, Target, blob_path, check_marker,
};
use wkg_core::manifest::Descriptor;

use super::Error;
use super::remote::{BlobSource, PulledManifest, Pushed};
use crate::cache::write_atomic;
use crate::progress::Progress;

/// Largest manifest read, as from registries.
const MAX_MANIFEST: u64 = 4 * 1024 * 1024;

/// An image layout directory.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout at `root`, which must have an `oci-layout` marker of
    /// version 1.x and a readable `index.json`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when `root` is no layout, [`Error::Layout`] for
    /// a marker or index that does not read.
    pub fn open(root: &Path) -> Result<Layout, Error> {
        let layout = Layout {
            root: root.to_owned(),
        };
        let marker = root.join(LAYOUT_FILE);
        let bytes = match std::fs::read(&marker) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    what: format!("OCI image layout `{}`", root.display()),
                    detail: format!(" (it has no `{LAYOUT_FILE}` file)"),
                });
            }
            Err(e) => return Err(Error::io("reading", &marker, e)),
        };
        check_marker(&bytes).map_err(|e| layout.error(e))?;
        layout.index()?;
        Ok(layout)
    }

    /// The layout at `root`, read when used (a missing layout is
    /// [`Error::NotFound`] then).
    pub fn at(root: &Path) -> Layout {
        Layout {
            root: root.to_owned(),
        }
    }

    /// The layout at `root`, created (directory, marker, empty index) when
    /// `root` does not exist or is an empty directory.
    ///
    /// # Errors
    /// As [`Layout::open`]; a directory that is neither empty nor a
    /// layout; I/O errors.
    pub fn open_or_create(root: &Path) -> Result<Layout, Error> {
        let empty = match std::fs::read_dir(root) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(Error::io("reading", root, e)),
        };
        if !empty {
            return Layout::open(root);
        }
        std::fs::create_dir_all(root.join("blobs")).map_err(|e| Error::io("creating", root, e))?;
        let index = root.join(INDEX_FILE);
        write_atomic(&index, &LayoutIndex::default().to_json())
            .map_err(|e| Error::io("writing", &index, e))?;
        // The marker last: a layout is one once it has an index.
        let marker = root.join(LAYOUT_FILE);
        write_atomic(&marker, LAYOUT_CONTENT).map_err(|e| Error::io("writing", &marker, e))?;
        Ok(Layout {
            root: root.to_owned(),
        })
    }

    /// Makes the layout (as [`Layout::open_or_create`]) unless it has its
    /// marker already: the first write into a layout registry's
    /// repository creates it.
    fn create_if_missing(&self) -> Result<(), Error> {
        if !self.root.join(LAYOUT_FILE).is_file() {
            Layout::open_or_create(&self.root)?;
        }
        Ok(())
    }

    /// The layout's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn error(&self, source: wkg_core::layout::LayoutError) -> Error {
        Error::Layout {
            dir: self.root.display().to_string(),
            source,
        }
    }

    /// The `index.json`, read now.
    ///
    /// # Errors
    /// [`Error::Layout`] when it does not parse; I/O errors.
    pub fn index(&self) -> Result<LayoutIndex, Error> {
        let path = self.root.join(INDEX_FILE);
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                what: format!("OCI image layout `{}`", self.root.display()),
                detail: format!(" (it has no `{INDEX_FILE}`)"),
            },
            _ => Error::io("reading", &path, e),
        })?;
        LayoutIndex::from_json(&bytes).map_err(|e| self.error(e))
    }

    /// Every entry of the index.
    ///
    /// # Errors
    /// As [`Layout::index`].
    pub fn entries(&self) -> Result<Vec<Descriptor>, Error> {
        self.index()?.entries().map_err(|e| self.error(e))
    }

    /// The entry `target` names ([`LayoutIndex::find`]).
    ///
    /// # Errors
    /// [`Error::Layout`] for an unknown tag, several entries and no tag.
    pub fn resolve(&self, target: &Target) -> Result<Descriptor, Error> {
        self.index()?.find(target).map_err(|e| self.error(e))
    }

    fn blob_file(&self, digest: &Digest) -> PathBuf {
        self.root.join(blob_path(digest))
    }

    /// Whether the layout has the blob.
    pub fn blob_exists(&self, digest: &Digest) -> bool {
        self.blob_file(digest).is_file()
    }

    /// The manifest `target` names (a tag, a digest, or `""` for the only
    /// entry), verified against its digest.
    ///
    /// # Errors
    /// [`Error::Layout`], [`Error::NotFound`] for a blob the index names
    /// but the layout lacks, [`Error::Verify`].
    pub fn pull_manifest(&self, target: &str) -> Result<PulledManifest, Error> {
        let target = match target {
            "" => Target::Only,
            t => match t.parse::<Digest>() {
                Ok(d) => Target::Digest(d),
                Err(_) => Target::Tag(t.to_owned()),
            },
        };
        let mut entry = self.resolve(&target)?;
        if entry.size == 0 {
            // A digest the index does not list: any manifest in the blobs.
            entry.size = std::fs::metadata(self.blob_file(&entry.digest)).map_or(0, |m| m.len());
        }
        let bytes = self.pull_blob_bytes(&entry, MAX_MANIFEST)?;
        Ok(PulledManifest {
            bytes,
            digest: entry.digest,
            media_type: (!entry.media_type.is_empty()).then_some(entry.media_type),
        })
    }

    fn open_blob(&self, blob: &Descriptor) -> Result<std::fs::File, Error> {
        let path = self.blob_file(&blob.digest);
        std::fs::File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                what: format!("blob `{}`", blob.digest),
                detail: format!(" in the OCI image layout `{}`", self.root.display()),
            },
            _ => Error::io("reading", &path, e),
        })
    }

    /// Reads `blob`, each chunk to `sink`, and verifies digest and size.
    fn read_blob(
        &self,
        blob: &Descriptor,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut file = self.open_blob(blob)?;
        let path = self.blob_file(&blob.digest);
        let mut sha = crate::hash::Sha256::new();
        let mut buf = vec![0u8; 1024 * 1024];
        let mut read = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("reading", &path, e)),
            };
            read += n as u64;
            if read > blob.size {
                break;
            }
            sha.update(&buf[..n]);
            sink(&buf[..n])?;
        }
        let (actual, bytes) = sha.finish();
        let bytes = bytes.max(read);
        Verifier::check(actual, bytes, &blob.digest, Some(blob.size)).map_err(|source| {
            Error::Verify {
                what: format!(
                    "blob `{}` in the OCI image layout `{}`",
                    blob.digest,
                    self.root.display()
                ),
                source,
            }
        })?;
        Ok(())
    }

    /// `blob` copied to `dest`, through a temporary file renamed once
    /// digest and size match.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Verify`], I/O errors.
    pub fn pull_blob(
        &self,
        blob: &Descriptor,
        dest: &Path,
        progress: &Progress,
    ) -> Result<(), Error> {
        let temp = crate::io::TempFile::beside(dest)?;
        let mut out = BufWriter::with_capacity(1024 * 1024, temp.file()?);
        self.read_blob(blob, &mut |chunk| {
            progress.advance(chunk.len() as u64);
            out.write_all(chunk)
                .map_err(|e| Error::io("writing", temp.path(), e))
        })?;
        progress.finish();
        out.into_inner()
            .map_err(|e| Error::io("writing", temp.path(), e.into_error()))?;
        Ok(temp.persist(dest)?)
    }

    /// `blob` in memory, verified.
    ///
    /// # Errors
    /// As [`Layout::pull_blob`]; [`Error::Protocol`] past `limit` bytes.
    pub fn pull_blob_bytes(&self, blob: &Descriptor, limit: u64) -> Result<Vec<u8>, Error> {
        if blob.size > limit {
            return Err(Error::Protocol(format!(
                "blob `{}` has {} bytes, more than the {limit} this operation reads into memory",
                blob.digest, blob.size
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
        self.read_blob(blob, &mut |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(bytes)
    }

    /// Writes a blob unless the layout has it; returns its digest. The
    /// bytes are hashed on their way to a temporary file in the blobs
    /// directory, which gets the digest's name once it matches `digest`
    /// (when given) and `size`.
    ///
    /// # Errors
    /// [`Error::Verify`] when the content is not what `digest` says; I/O
    /// errors.
    pub fn push_blob(
        &self,
        source: &BlobSource,
        digest: Option<&Digest>,
        size: u64,
    ) -> Result<(Digest, Pushed), Error> {
        if let Some(d) = digest
            && self.blob_exists(d)
        {
            return Ok((d.clone(), Pushed::Existed));
        }
        self.create_if_missing()?;
        let dir = self.root.join("blobs").join("sha256");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        let temp = crate::io::TempFile::beside(&dir.join("incoming"))?;
        let mut sha = crate::hash::Sha256::new();
        {
            let mut out = BufWriter::with_capacity(1024 * 1024, temp.file()?);
            let mut put = |chunk: &[u8]| {
                sha.update(chunk);
                out.write_all(chunk)
                    .map_err(|e| Error::io("writing", temp.path(), e))
            };
            match source {
                BlobSource::Bytes(bytes) => put(bytes)?,
                BlobSource::File { path, progress, .. } => {
                    let mut file =
                        std::fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
                    let mut buf = vec![0u8; 1024 * 1024];
                    loop {
                        let n = match file.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => n,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            Err(e) => return Err(Error::io("reading", path, e)),
                        };
                        progress.advance(n as u64);
                        put(&buf[..n])?;
                    }
                    progress.finish();
                }
            }
            out.into_inner()
                .map_err(|e| Error::io("writing", temp.path(), e.into_error()))?;
        }
        let (actual, bytes) = sha.finish();
        let expected = digest.cloned().unwrap_or_else(|| actual.clone());
        Verifier::check(actual, bytes, &expected, Some(size)).map_err(|source| Error::Verify {
            what: format!(
                "content written to the OCI image layout `{}`",
                self.root.display()
            ),
            source,
        })?;
        temp.persist(&self.blob_file(&expected))?;
        Ok((expected, Pushed::Uploaded))
    }

    /// Writes a manifest's blob, then lists it in `index.json`: under
    /// `target` when it is a tag (moving the tag), untagged when it is a
    /// digest or empty. Returns its digest.
    ///
    /// # Errors
    /// [`Error::Layout`] for an index that does not read; I/O errors.
    pub fn push_manifest(
        &self,
        target: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Digest, Error> {
        let entry = Descriptor::for_content(media_type, &bytes);
        let size = entry.size;
        self.push_blob(&BlobSource::Bytes(bytes), Some(&entry.digest), size)?;
        let tag = (!target.is_empty() && target.parse::<Digest>().is_err()).then_some(target);
        let digest = entry.digest.clone();
        let mut index = self.index()?;
        index.set(tag, entry).map_err(|e| self.error(e))?;
        let path = self.root.join(INDEX_FILE);
        write_atomic(&path, &index.to_json()).map_err(|e| Error::io("writing", &path, e))?;
        Ok(digest)
    }
}
