//! Image indexes and Docker manifest lists (image-spec `image-index.md`):
//! which entry a wasm pull takes, and the referrers tag schema
//! (distribution-spec 1.1, "Referrers Tag Schema"), whose tags point at
//! indexes of referrers rather than at packages.

use serde::Deserialize;

use crate::digest::Digest;

/// An image index or Docker manifest list, as far as a pull needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// The media type, when the index names it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The entries.
    pub manifests: Vec<IndexEntry>,
}

/// One entry of an [`ImageIndex`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    /// The entry manifest's media type.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// The platform it is for, if the index says.
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// An entry's platform (`os`, `architecture`, optional `variant`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// The `os` values of wasm entries, in the order a pull prefers them.
pub const WASM_OSES: [&str; 3] = ["wasip2", "wasip1", "wasi"];

impl Platform {
    /// `os/architecture[/variant]`, as Docker writes platforms.
    pub fn display(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{v}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// Why an index gives no entry to pull.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("invalid image index: {reason}")]
    Json {
        /// The JSON parser's explanation.
        reason: String,
    },
    /// No entries at all.
    #[error("the image index has no entries")]
    Empty,
    /// Several entries, none for wasm.
    #[error(
        "the image index has no wasm entry (`os` `wasip2`, `wasip1` or `wasi`, `architecture` \
         `wasm`); its platforms: {}",
        platforms.join(", ")
    )]
    NoWasmEntry {
        /// Each entry's platform (`os/architecture`, or `unknown`).
        platforms: Vec<String>,
    },
}

impl ImageIndex {
    /// Parses an index or manifest list.
    ///
    /// # Errors
    /// [`IndexError::Json`].
    pub fn from_json(bytes: &[u8]) -> Result<ImageIndex, IndexError> {
        crate::json::from_object(bytes).map_err(|e| IndexError::Json {
            reason: e.to_string(),
        })
    }

    /// The entry a wasm pull takes: the one whose platform is wasm
    /// (`architecture` `wasm`, `os` in [`WASM_OSES`], in that order of
    /// preference), else the only entry.
    ///
    /// # Errors
    /// [`IndexError::Empty`]; [`IndexError::NoWasmEntry`] listing the
    /// platforms present.
    pub fn wasm_entry(&self) -> Result<&IndexEntry, IndexError> {
        for os in WASM_OSES {
            let wasm = self.manifests.iter().find(|e| {
                e.platform
                    .as_ref()
                    .is_some_and(|p| p.architecture == "wasm" && p.os == os)
            });
            if let Some(entry) = wasm {
                return Ok(entry);
            }
        }
        match self.manifests.as_slice() {
            [] => Err(IndexError::Empty),
            [only] => Ok(only),
            all => Err(IndexError::NoWasmEntry {
                platforms: all
                    .iter()
                    .map(|e| {
                        e.platform
                            .as_ref()
                            .map_or("unknown".into(), Platform::display)
                    })
                    .collect(),
            }),
        }
    }
}

/// The subject digest a referrers fallback tag (`sha256-<64 hex>`) stands
/// for, or `None` for any other tag.
pub fn referrers_tag_subject(tag: &str) -> Option<Digest> {
    let hex = tag.strip_prefix("sha256-")?;
    format!("sha256:{hex}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn entry(digest: &str, platform: Option<(&str, &str)>) -> serde_json::Value {
        let mut e = serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": 100,
        });
        if let Some((os, architecture)) = platform {
            e["platform"] = serde_json::json!({"os": os, "architecture": architecture});
        }
        e
    }

    fn index(entries: Vec<serde_json::Value>) -> ImageIndex {
        let json = serde_json::json!({"schemaVersion": 2, "manifests": entries});
        ImageIndex::from_json(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_pull_takes_the_wasm_entry_else_the_only_one() {
        let cases: Vec<(Vec<serde_json::Value>, &str)> = vec![
            (
                vec![
                    entry(A, Some(("linux", "amd64"))),
                    entry(B, Some(("wasip2", "wasm"))),
                ],
                B,
            ),
            (
                vec![
                    entry(A, Some(("wasi", "wasm"))),
                    entry(B, Some(("wasip1", "wasm"))),
                    entry(C, Some(("wasip2", "wasm"))),
                ],
                C,
            ),
            (
                vec![
                    entry(A, Some(("wasi", "wasm"))),
                    entry(B, Some(("wasip1", "wasm"))),
                ],
                B,
            ),
            (vec![entry(A, None)], A),
            (vec![entry(A, Some(("linux", "amd64")))], A),
        ];
        for (entries, expected) in cases {
            let index = index(entries);
            assert_eq!(index.wasm_entry().unwrap().digest.to_string(), expected);
        }
    }

    #[test]
    fn an_index_without_a_wasm_entry_names_its_platforms() {
        let e = index(vec![
            entry(A, Some(("linux", "amd64"))),
            entry(B, None),
            entry(C, Some(("wasip2", "x86_64"))),
        ])
        .wasm_entry()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the image index has no wasm entry (`os` `wasip2`, `wasip1` or `wasi`, \
             `architecture` `wasm`); its platforms: linux/amd64, unknown, wasip2/x86_64"
        );
        assert_eq!(index(vec![]).wasm_entry().unwrap_err(), IndexError::Empty);
        assert!(matches!(
            ImageIndex::from_json(b"{\"manifests\": 3}"),
            Err(IndexError::Json { .. })
        ));
    }

    #[test]
    fn referrers_tags_are_told_from_versions() {
        let hex = &A["sha256:".len()..];
        assert_eq!(
            referrers_tag_subject(&format!("sha256-{hex}")).map(|d| d.to_string()),
            Some(A.to_owned())
        );
        for tag in ["1.0.0", "sha256-abc", "latest", &format!("sha512-{hex}")] {
            assert_eq!(referrers_tag_subject(tag), None, "{tag}");
        }
    }
}
