//! The package cache on disk: content by digest, release lookups by
//! (registry, package, version) and digest hints of large local files
//! ([`FileHints`]), laid out by [`wkg_core::cache`].
//!
//! Content gets its cache name only after its digest checked
//! ([`crate::oci::Client::pull_blob`] writes beside and renames), and is
//! checked again whenever it is read, so a damaged or planted file is
//! dropped and fetched again, never served.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use wkg_core::cache::{FileHint, Release, blob_key, file_hint_key, release_key};
use wkg_core::digest::{Digest, Verifier};
use wkg_core::package::{PackageRef, Registry, Version};

use crate::io::FileError;
use crate::settings::{self, Settings};

#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache of a run ([`Settings::cache_dir`]); created on the first
    /// write.
    ///
    /// # Errors
    /// No directory can be named (no `--cache`, `HOME` or `XDG_CACHE_HOME`).
    pub fn open(settings: &Settings) -> Result<Cache, settings::Error> {
        Ok(Cache {
            dir: settings.cache_dir()?,
        })
    }

    /// The cache of the `oci` commands, which have no `--cache`:
    /// `WKG_CACHE_DIR`, else the default; `None` when none can be named.
    pub fn from_env() -> Option<Cache> {
        Cache::open(&Settings::default()).ok()
    }

    /// The cache's digest hints of local files.
    pub fn file_hints(&self) -> FileHints {
        FileHints {
            dir: self.dir.clone(),
        }
    }

    /// Where the content with `digest` lives (its directory is created).
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn blob_path(&self, digest: &Digest) -> Result<PathBuf, FileError> {
        let path = self.dir.join(blob_key(digest));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(FileError::on("creating cache directory", parent))?;
        }
        Ok(path)
    }

    /// The cached content with `digest`, if it is there and still matches
    /// its digest; a file that does not match is removed.
    pub fn blob(&self, digest: &Digest) -> Option<PathBuf> {
        let path = self.dir.join(blob_key(digest));
        if !path.is_file() {
            return None;
        }
        if verify_file(&path, digest) {
            Some(path)
        } else {
            eprintln!(
                "warning: cached content `{}` does not match its digest; fetching it again",
                path.display()
            );
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Stores small content (a manifest, a signature) under its digest.
    ///
    /// # Errors
    /// The cache cannot be written.
    pub fn put(&self, digest: &Digest, bytes: &[u8]) -> Result<(), FileError> {
        let path = self.blob_path(digest)?;
        write_atomic(&path, bytes).map_err(FileError::on("writing", &path))
    }

    /// The cached content with `digest`, read whole ([`Cache::blob`]).
    pub fn read(&self, digest: &Digest) -> Option<Vec<u8>> {
        std::fs::read(self.blob(digest)?).ok()
    }

    /// The content digest remembered for a release.
    pub fn release(
        &self,
        registry: &Registry,
        package: &PackageRef,
        version: &Version,
    ) -> Option<Digest> {
        let bytes = std::fs::read(self.dir.join(release_key(registry, package, version))).ok()?;
        Release::from_json(&bytes)
            .filter(|r| &r.version == version)
            .map(|r| r.content_digest)
    }

    /// Remembers a release's content digest (best effort: a cache that
    /// cannot be written only costs the next run a request).
    pub fn remember_release(
        &self,
        registry: &Registry,
        package: &PackageRef,
        version: &Version,
        digest: &Digest,
    ) {
        let path = self.dir.join(release_key(registry, package, version));
        let record = Release {
            version: version.clone(),
            content_digest: digest.clone(),
        };
        let _ = write_atomic(&path, &record.to_json());
    }
}

impl Cache {
    /// Forgets what was remembered for a release (after it was published
    /// over), so the next lookup asks the registry. Best effort.
    pub fn forget_release(&self, registry: &Registry, package: &PackageRef, version: &Version) {
        let _ = std::fs::remove_file(self.dir.join(release_key(registry, package, version)));
    }
}

/// Digests of large local files as last pushed or pulled ([`FileHint`]),
/// so that pushing the same file again asks the registry first instead of
/// uploading it. Best effort: a cache that cannot be read or written only
/// means no hint.
#[derive(Debug, Clone)]
pub struct FileHints {
    dir: PathBuf,
}

impl FileHints {
    /// The digest `file` had when it was last pushed or pulled, if it
    /// still has the size and modification time it had then. A hint only:
    /// hash the file before relying on it.
    pub fn get(&self, file: &Path) -> Option<Digest> {
        let (key, size, modified_ns) = identity(file)?;
        let bytes = std::fs::read(self.dir.join(key)).ok()?;
        FileHint::from_json(&bytes)
            .filter(|h| h.size == size && h.modified_ns == modified_ns)
            .map(|h| h.digest)
    }

    /// Remembers that `file`, as it is now, has `digest`.
    pub fn remember(&self, file: &Path, digest: &Digest) {
        if let Some((key, size, modified_ns)) = identity(file) {
            let hint = FileHint {
                size,
                modified_ns,
                digest: digest.clone(),
            };
            let _ = write_atomic(&self.dir.join(key), &hint.to_json());
        }
    }
}

/// The hint key, size and modification time (ns) of `file`.
fn identity(file: &Path) -> Option<(String, u64, u64)> {
    let meta = std::fs::metadata(file).ok().filter(|m| m.is_file())?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    // The host sets `PWD` to the real working directory.
    let path = match std::env::var_os("PWD") {
        Some(pwd) if file.is_relative() => Path::new(&pwd).join(file),
        _ => std::path::absolute(file).ok()?,
    };
    Some((
        file_hint_key(&path.to_string_lossy()),
        meta.len(),
        u64::try_from(modified.as_nanos()).ok()?,
    ))
}

/// Whether the file's bytes hash to `digest`.
fn verify_file(path: &Path, digest: &Digest) -> bool {
    crate::hash::file(path)
        .is_ok_and(|(actual, bytes)| Verifier::check(actual, bytes, digest, None).is_ok())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it.
///
/// # Errors
/// Any I/O error; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    crate::io::sweep_leftovers(path, "tmp");
    let temp = crate::io::temporary_beside(path, "tmp");
    let written = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Copies `from` to a temporary file beside `to`, then renames it, so `to`
/// is either untouched or complete.
pub fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let temp = crate::io::TempFile::beside(to).map_err(std::io::Error::other)?;
    std::fs::copy(from, temp.path())?;
    temp.persist(to).map_err(std::io::Error::other)
}
