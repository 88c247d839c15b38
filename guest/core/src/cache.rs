//! The layout of the package cache (reference behaviour §6, fixed): pure
//! names, no I/O.
//!
//! ```text
//! <cache>/blobs/<algorithm>/<encoded>                       content, by digest
//! <cache>/releases/<registry>/<namespace>/<name>/<version>.json   release lookups
//! <cache>/files/<sha256 of the file's path>.json             digest hints of local files
//! ```
//!
//! No name contains `:` (the registry's port separator becomes `_`), so the
//! layout works on every filesystem. Every segment comes from a validated
//! value (digest, registry, label, semver), so no key can leave the cache.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::package::{PackageRef, Registry, Version};

/// The cache-relative path of the content with `digest`.
pub fn blob_key(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm(), digest.encoded())
}

/// The cache-relative path of the release record of `package@version`
/// from `registry`.
pub fn release_key(registry: &Registry, package: &PackageRef, version: &Version) -> String {
    format!(
        "releases/{}/{}/{}/{version}.json",
        registry.as_str().replace(':', "_"),
        package.namespace(),
        package.name()
    )
}

/// The cache-relative path of the [`FileHint`] of the local file at
/// `path` (absolute, as the component sees it).
pub fn file_hint_key(path: &str) -> String {
    format!(
        "files/{}.json",
        Digest::sha256_of(path.as_bytes()).encoded()
    )
}

/// The digest a local file had when it was last pushed or pulled, with the
/// size and modification time it had then.
///
/// A hint, never a fact: a file can change and keep both. It only says
/// that asking the registry for this digest first is likely to pay, and
/// the file is hashed before the registry's copy stands in for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHint {
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub modified_ns: u64,
    pub digest: Digest,
}

impl FileHint {
    /// The record as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A stored record; `None` when it does not parse.
    pub fn from_json(bytes: &[u8]) -> Option<FileHint> {
        serde_json::from_slice(bytes).ok()
    }
}

/// What the cache remembers of a release: which content it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub version: Version,
    pub content_digest: Digest,
}

impl Release {
    /// The record as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A stored record; `None` when it does not parse (a damaged record is
    /// a cache miss, never an error).
    pub fn from_json(bytes: &[u8]) -> Option<Release> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_no_colons_and_round_trip_records() {
        let digest = Digest::sha256_of(b"x");
        assert_eq!(
            blob_key(&digest),
            format!("blobs/sha256/{}", digest.encoded())
        );
        let registry: Registry = "127.0.0.1:5000".parse().unwrap();
        let package: PackageRef = "wasi:http".parse().unwrap();
        let version: Version = "0.2.3-rc.1".parse().unwrap();
        let key = release_key(&registry, &package, &version);
        assert_eq!(key, "releases/127.0.0.1_5000/wasi/http/0.2.3-rc.1.json");
        assert!(!key.contains(':'));
        let record = Release {
            version,
            content_digest: digest,
        };
        assert_eq!(Release::from_json(&record.to_json()), Some(record));
        assert_eq!(Release::from_json(b"{not json"), None);
    }

    #[test]
    fn file_hints_are_keyed_by_identity_and_round_trip() {
        let key = file_hint_key("/work/app.wasm");
        assert!(key.starts_with("files/") && key.ends_with(".json"));
        assert_ne!(key, file_hint_key("/work/other.wasm"));
        let hint = FileHint {
            size: 7,
            modified_ns: 1_700_000_000_000_000_001,
            digest: Digest::sha256_of(b"x"),
        };
        assert_eq!(FileHint::from_json(&hint.to_json()), Some(hint));
        assert_eq!(FileHint::from_json(b"{}"), None);
    }
}
