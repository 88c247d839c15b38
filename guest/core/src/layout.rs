//! The OCI image layout (image-spec `image-layout.md`): a directory with an
//! `oci-layout` file, an `index.json` image index whose entries carry
//! their tag in `org.opencontainers.image.ref.name`, and content under
//! `blobs/<algorithm>/<encoded>`; and the `oci-layout:DIR[:tag|@digest]`
//! location the `oci` commands take in place of a registry reference.

use serde_json::Value;

use crate::digest::Digest;
use crate::manifest::{Descriptor, INDEX_MEDIA_TYPE};

/// The file that marks a directory as a layout.
pub const LAYOUT_FILE: &str = "oci-layout";
/// Its content, version 1.0.0.
pub const LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
/// The index of the layout's manifests.
pub const INDEX_FILE: &str = "index.json";
/// The annotation holding an entry's tag.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// The scheme of a layout location.
pub const LOCATION_PREFIX: &str = "oci-layout:";

/// Where a blob lives in a layout, relative to its root.
pub fn blob_path(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm(), digest.encoded())
}

/// What a location names in its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `:tag`: the entry whose ref name it is.
    Tag(String),
    /// `@digest`: the manifest with that digest.
    Digest(Digest),
    /// Nothing: the layout's only entry (pull), an untagged entry (push).
    Only,
}

/// `oci-layout:DIR[:tag|@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The layout's directory, as typed.
    pub dir: String,
    pub target: Target,
}

/// Why a location or a layout does not read. Its `Debug` is its message:
/// a derived one stays in wkg.wasm (errors are `dyn Error` sources there)
/// without ever being printed.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// `oci-layout:` with no directory.
    #[error("`{input}` names no directory: write `oci-layout:DIR[:tag]`")]
    NoDirectory { input: String },
    /// A malformed `oci-layout`, or a version this crate does not read.
    #[error("`oci-layout` is not an OCI image layout 1.x marker: {reason}")]
    Marker { reason: String },
    /// A malformed `index.json`.
    #[error("invalid `index.json`: {reason}")]
    Index { reason: String },
    /// No entry has the tag.
    #[error("no manifest is tagged `{tag}`{}", known(tags))]
    UnknownTag { tag: String, tags: Vec<String> },
    /// No tag given, and the layout does not have exactly one entry.
    #[error(
        "the layout holds {count} manifests; name one with `:tag` or `@digest`{}",
        known(tags)
    )]
    Ambiguous { count: usize, tags: Vec<String> },
}

impl std::fmt::Debug for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn known(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" (its tags: {})", tags.join(", "))
    }
}

/// Whether `s` is a tag by the distribution-spec grammar
/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Location {
    /// Parses `oci-layout:DIR[:tag|@digest]`; `None` when `input` does not
    /// start with `oci-layout:` (it is a registry reference then). The tag
    /// is what follows the last `:` when that is a tag by the grammar (so
    /// `oci-layout:a:b/c` is the directory `a:b/c`).
    ///
    /// # Errors
    /// [`LayoutError::NoDirectory`].
    pub fn parse(input: &str) -> Option<Result<Location, LayoutError>> {
        let rest = input.strip_prefix(LOCATION_PREFIX)?;
        let (dir, target) = if let Some((dir, digest)) = rest.rsplit_once('@')
            && let Ok(digest) = digest.parse::<Digest>()
        {
            (dir, Target::Digest(digest))
        } else if let Some((dir, tag)) = rest.rsplit_once(':')
            && is_tag(tag)
        {
            (dir, Target::Tag(tag.to_owned()))
        } else {
            (rest, Target::Only)
        };
        if dir.is_empty() {
            return Some(Err(LayoutError::NoDirectory {
                input: input.to_owned(),
            }));
        }
        Some(Ok(Location {
            dir: dir.to_owned(),
            target,
        }))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{LOCATION_PREFIX}{}", self.dir)?;
        match &self.target {
            Target::Tag(t) => write!(f, ":{t}"),
            Target::Digest(d) => write!(f, "@{d}"),
            Target::Only => Ok(()),
        }
    }
}

/// Checks an `oci-layout` file.
///
/// # Errors
/// [`LayoutError::Marker`] unless it is an object whose
/// `imageLayoutVersion` is `1.x`.
pub fn check_marker(bytes: &[u8]) -> Result<(), LayoutError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| LayoutError::Marker {
        reason: e.to_string(),
    })?;
    match value.get("imageLayoutVersion").and_then(Value::as_str) {
        Some(v) if v == "1" || v.starts_with("1.") => Ok(()),
        Some(v) => Err(LayoutError::Marker {
            reason: format!("version `{v}`"),
        }),
        None => Err(LayoutError::Marker {
            reason: "no `imageLayoutVersion`".into(),
        }),
    }
}

/// A layout's `index.json`, kept as read so that a write changes only the
/// entry it sets (other tools' entries, platforms and annotations stay).
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutIndex {
    value: Value,
}

impl Default for LayoutIndex {
    fn default() -> Self {
        LayoutIndex {
            value: serde_json::json!({
                "schemaVersion": 2,
                "mediaType": INDEX_MEDIA_TYPE,
                "manifests": [],
            }),
        }
    }
}

impl LayoutIndex {
    /// Parses `index.json`.
    ///
    /// # Errors
    /// [`LayoutError::Index`] unless it is an object whose `manifests` is
    /// an array of descriptors.
    pub fn from_json(bytes: &[u8]) -> Result<LayoutIndex, LayoutError> {
        let index = LayoutIndex {
            value: serde_json::from_slice(bytes).map_err(|e| LayoutError::Index {
                reason: e.to_string(),
            })?,
        };
        index.entries()?;
        Ok(index)
    }

    /// The bytes to write.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.value).expect("a JSON value serializes");
        bytes.push(b'\n');
        bytes
    }

    fn manifests(&self) -> Result<&Vec<Value>, LayoutError> {
        self.value
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| LayoutError::Index {
                reason: "no `manifests` array".into(),
            })
    }

    /// Every entry, as a descriptor.
    ///
    /// # Errors
    /// [`LayoutError::Index`] for an entry that is no descriptor.
    pub fn entries(&self) -> Result<Vec<Descriptor>, LayoutError> {
        self.manifests()?
            .iter()
            .map(|m| {
                serde_json::from_value(m.clone()).map_err(|e| LayoutError::Index {
                    reason: format!("an entry of `manifests`: {e}"),
                })
            })
            .collect()
    }

    /// The tags of the entries, in order.
    pub fn tags(&self) -> Vec<String> {
        self.entries()
            .unwrap_or_default()
            .iter()
            .filter_map(ref_name)
            .map(str::to_owned)
            .collect()
    }

    /// The entry `target` names; for a digest, the entry with that digest,
    /// else a bare descriptor of it (a manifest the index does not list,
    /// such as an entry of a nested index; its media type is unknown).
    ///
    /// # Errors
    /// [`LayoutError::UnknownTag`], [`LayoutError::Ambiguous`].
    pub fn find(&self, target: &Target) -> Result<Descriptor, LayoutError> {
        let entries = self.entries()?;
        match target {
            Target::Tag(tag) => entries
                .into_iter()
                .find(|e| ref_name(e) == Some(tag))
                .ok_or_else(|| LayoutError::UnknownTag {
                    tag: tag.clone(),
                    tags: self.tags(),
                }),
            Target::Digest(digest) => Ok(entries
                .into_iter()
                .find(|e| &e.digest == digest)
                .unwrap_or_else(|| Descriptor::new("", digest.clone(), 0))),
            Target::Only => match <[Descriptor; 1]>::try_from(entries) {
                Ok([only]) => Ok(only),
                Err(all) => Err(LayoutError::Ambiguous {
                    count: all.len(),
                    tags: self.tags(),
                }),
            },
        }
    }

    /// Adds `entry` under `tag` (which moves to it from any other entry),
    /// or, untagged, unless an untagged entry has its digest already.
    ///
    /// # Errors
    /// [`LayoutError::Index`] when the index has no `manifests` array.
    pub fn set(&mut self, tag: Option<&str>, mut entry: Descriptor) -> Result<(), LayoutError> {
        let digest = entry.digest.to_string();
        let manifests = self
            .value
            .get_mut("manifests")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| LayoutError::Index {
                reason: "no `manifests` array".into(),
            })?;
        let name = |m: &Value| {
            m.pointer("/annotations/org.opencontainers.image.ref.name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match tag {
            Some(tag) => {
                manifests.retain(|m| name(m).as_deref() != Some(tag));
                entry
                    .annotations
                    .get_or_insert_with(Default::default)
                    .insert(REF_NAME_ANNOTATION.to_owned(), tag.to_owned());
            }
            None => {
                let listed = manifests.iter().any(|m| {
                    m.get("digest").and_then(Value::as_str) == Some(&digest) && name(m).is_none()
                });
                if listed {
                    return Ok(());
                }
            }
        }
        manifests.push(serde_json::to_value(entry).expect("a descriptor serializes"));
        Ok(())
    }
}

/// An entry's tag.
pub fn ref_name(entry: &Descriptor) -> Option<&str> {
    entry
        .annotations
        .as_ref()?
        .get(REF_NAME_ANNOTATION)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::MANIFEST_MEDIA_TYPE;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn manifest(digest: &str) -> Descriptor {
        Descriptor::new(MANIFEST_MEDIA_TYPE, digest.parse().unwrap(), 10)
    }

    #[test]
    fn locations() {
        let parse = |s: &str| Location::parse(s).map(|r| r.map(|l| (l.dir, l.target)));
        let tag = |t: &str| Target::Tag(t.into());
        let cases = [
            ("oci-layout:out", ("out", Target::Only)),
            ("oci-layout:out:1.0.0", ("out", tag("1.0.0"))),
            ("oci-layout:./a/b:latest", ("./a/b", tag("latest"))),
            ("oci-layout:a:b/c", ("a:b/c", Target::Only)),
            ("oci-layout:/abs/dir:v1", ("/abs/dir", tag("v1"))),
            (
                &format!("oci-layout:out@{A}"),
                ("out", Target::Digest(A.parse().unwrap())),
            ),
        ];
        for (input, (dir, target)) in cases {
            assert_eq!(parse(input), Some(Ok((dir.to_owned(), target))), "{input}");
        }
        assert_eq!(parse("ghcr.io/a/b:1"), None);
        assert!(matches!(
            parse("oci-layout::1"),
            Some(Err(LayoutError::NoDirectory { .. }))
        ));
        let shown = Location::parse("oci-layout:out:v1").unwrap().unwrap();
        assert_eq!(shown.to_string(), "oci-layout:out:v1");
    }

    #[test]
    fn the_index_finds_and_sets_entries() {
        let mut index = LayoutIndex::default();
        assert!(matches!(
            index.find(&Target::Only),
            Err(LayoutError::Ambiguous { count: 0, .. })
        ));
        index.set(Some("1.0.0"), manifest(A)).unwrap();
        assert_eq!(index.find(&Target::Only).unwrap().digest.to_string(), A);
        index.set(Some("2.0.0"), manifest(B)).unwrap();
        // A tag moves.
        index.set(Some("1.0.0"), manifest(B)).unwrap();
        assert_eq!(index.tags(), ["2.0.0", "1.0.0"]);
        let found = index.find(&Target::Tag("1.0.0".into())).unwrap();
        assert_eq!(found.digest.to_string(), B);
        let e = index.find(&Target::Tag("3".into())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no manifest is tagged `3` (its tags: 2.0.0, 1.0.0)"
        );
        let e = index.find(&Target::Only).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the layout holds 2 manifests; name one with `:tag` or `@digest` (its tags: 2.0.0, 1.0.0)"
        );
        // Untagged entries are added once.
        index.set(None, manifest(A)).unwrap();
        index.set(None, manifest(A)).unwrap();
        assert_eq!(index.entries().unwrap().len(), 3);
        let again = LayoutIndex::from_json(&index.to_json()).unwrap();
        assert_eq!(again, index);
        assert_eq!(
            again
                .find(&Target::Digest(A.parse().unwrap()))
                .unwrap()
                .media_type,
            MANIFEST_MEDIA_TYPE
        );
    }

    #[test]
    fn other_tools_entries_are_kept() {
        let theirs = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": MANIFEST_MEDIA_TYPE, "digest": A, "size": 3,
                "platform": {"os": "linux", "architecture": "amd64"},
                "annotations": {REF_NAME_ANNOTATION: "theirs"},
            }],
        })
        .to_string();
        let mut index = LayoutIndex::from_json(theirs.as_bytes()).unwrap();
        index.set(Some("ours"), manifest(B)).unwrap();
        let value: Value = serde_json::from_slice(&index.to_json()).unwrap();
        assert_eq!(value["manifests"][0]["platform"]["os"], "linux");
        assert_eq!(index.tags(), ["theirs", "ours"]);
        for bad in ["[]", "{}", "{\"manifests\": [1]}", "nope"] {
            assert!(LayoutIndex::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn markers() {
        assert_eq!(check_marker(LAYOUT_CONTENT), Ok(()));
        for bad in ["{}", "{\"imageLayoutVersion\": \"2.0.0\"}", "x"] {
            assert!(check_marker(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(
            blob_path(&A.parse().unwrap()),
            format!("blobs/sha256/{}", &A[7..])
        );
    }
}
