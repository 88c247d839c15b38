//! Referrers (distribution-spec 1.1 "Listing Referrers" and "Referrers Tag
//! Schema"; image-spec `manifest.md` `subject` and `artifactType`): the
//! artifact manifest that refers to another one, the list of referrers,
//! and the fallback index a registry without the referrers API keeps
//! under the `sha256-<hex>` tag.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::digest::Digest;
use crate::manifest::{Descriptor, ImageManifest, MANIFEST_MEDIA_TYPE, TITLE_ANNOTATION};

/// The empty descriptor's media type (image-spec "Guidance for an Empty
/// Descriptor"): the config of an artifact manifest.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The empty descriptor's content, `{}`.
pub const EMPTY_CONTENT: &[u8] = b"{}";
/// The `OCI-Subject` response header: a registry that sets it on a
/// manifest `PUT` keeps the referrers list itself.
pub const SUBJECT_HEADER: &str = "oci-subject";
/// `org.opencontainers.image.created`.
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

/// The referrers fallback tag of `subject`: `<algorithm>-<encoded>`, the
/// encoded part cut to 64 characters (distribution-spec "Referrers Tag
/// Schema").
pub fn fallback_tag(subject: &Digest) -> String {
    let encoded = subject.encoded();
    let cut = &encoded[..encoded.len().min(64)];
    format!("{}-{cut}", subject.algorithm())
}

/// A referrers list or fallback index that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid referrers index: {reason}")]
#[non_exhaustive]
pub struct ReferrersError {
    /// What is wrong with it.
    pub reason: String,
}

fn invalid(reason: impl Into<String>) -> ReferrersError {
    ReferrersError {
        reason: reason.into(),
    }
}

/// The descriptors of a referrers list (the image index the API returns,
/// or the fallback tag's), keeping those of `artifact_type` only when one
/// is given. An entry's artifact type is its `artifactType`, as the spec
/// asks registries and clients to write it.
///
/// # Errors
/// [`ReferrersError`] for anything but an object with a `manifests` array
/// of descriptors.
pub fn parse_list(
    bytes: &[u8],
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>, ReferrersError> {
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        manifests: Vec<Descriptor>,
    }
    let list: List = crate::json::from_object(bytes).map_err(|e| invalid(e.to_string()))?;
    Ok(list
        .manifests
        .into_iter()
        .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
        .collect())
}

/// The fallback index with `entry` added: a new index when there is none
/// (`existing` is `None`), else `existing` with `entry` appended to its
/// `manifests`, every other field and entry kept as it was (other tools'
/// entries and annotations). `None` when the index already lists `entry`'s
/// digest, so there is nothing to write.
///
/// # Errors
/// [`ReferrersError`] when `existing` is not a JSON object whose
/// `manifests` is an array.
pub fn add_to_fallback(
    existing: Option<&[u8]>,
    entry: &Descriptor,
) -> Result<Option<Vec<u8>>, ReferrersError> {
    let mut index = match existing {
        None => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": crate::manifest::INDEX_MEDIA_TYPE,
            "manifests": [],
        }),
        Some(bytes) => {
            serde_json::from_slice::<Value>(bytes).map_err(|e| invalid(e.to_string()))?
        }
    };
    let object = index
        .as_object_mut()
        .ok_or_else(|| invalid("not a JSON object"))?;
    let manifests = object
        .entry("manifests")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(|| invalid("`manifests` is not an array"))?;
    let digest = entry.digest.to_string();
    if manifests
        .iter()
        .any(|m| m.get("digest").and_then(Value::as_str) == Some(&digest))
    {
        return Ok(None);
    }
    manifests.push(serde_json::to_value(entry).map_err(|e| invalid(e.to_string()))?);
    serde_json::to_vec(&index)
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

/// An artifact manifest that refers to `subject`: the empty config,
/// `layer` as its only layer, `artifact_type`, and `annotations`
/// (image-spec "Guidelines for Artifact Usage", the second case).
pub fn artifact_manifest(
    artifact_type: &str,
    layer: Descriptor,
    subject: Descriptor,
    annotations: BTreeMap<String, String>,
) -> ImageManifest {
    ImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: Descriptor::for_content(EMPTY_MEDIA_TYPE, EMPTY_CONTENT),
        layers: vec![layer],
        subject: Some(subject),
        artifact_type: Some(artifact_type.to_owned()),
        annotations: (!annotations.is_empty()).then_some(annotations),
    }
}

/// The descriptor a referrers list gives `manifest` (whose bytes have
/// `digest` and `size`): its media type, artifact type (else its config's
/// media type, as the spec says) and annotations.
pub fn list_entry(manifest: &ImageManifest, digest: Digest, size: u64) -> Descriptor {
    let media_type = manifest
        .media_type
        .clone()
        .unwrap_or_else(|| MANIFEST_MEDIA_TYPE.to_owned());
    let mut entry = Descriptor::new(media_type, digest, size);
    entry.artifact_type = Some(
        manifest
            .artifact_type
            .clone()
            .unwrap_or_else(|| manifest.config.media_type.clone()),
    );
    entry.annotations = manifest.annotations.clone();
    entry
}

/// A file name to save a referrer's layer under: its
/// `org.opencontainers.image.title`, when that is a plain file name (no
/// separator, not `.` or `..`, no control character).
pub fn safe_title(layer: &Descriptor) -> Option<&str> {
    let title = layer.annotations.as_ref()?.get(TITLE_ANNOTATION)?;
    let plain = !title.is_empty()
        && title != "."
        && title != ".."
        && !title.contains(['/', '\\'])
        && !title.chars().any(char::is_control);
    plain.then_some(title.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn entry(digest: &str, artifact_type: &str) -> Descriptor {
        let mut d = Descriptor::new(MANIFEST_MEDIA_TYPE, digest.parse().unwrap(), 10);
        d.artifact_type = Some(artifact_type.to_owned());
        d
    }

    #[test]
    fn the_fallback_tag_is_the_digest_with_a_dash() {
        let digest: Digest = A.parse().unwrap();
        assert_eq!(fallback_tag(&digest), format!("sha256-{}", &A[7..]));
        assert_eq!(
            crate::index::referrers_tag_subject(&fallback_tag(&digest)),
            Some(digest)
        );
    }

    #[test]
    fn the_fallback_index_keeps_what_others_wrote() {
        let first = add_to_fallback(None, &entry(A, "x/sig")).unwrap().unwrap();
        assert_eq!(parse_list(&first, None).unwrap(), [entry(A, "x/sig")]);
        // Another tool's entry, with a field this crate does not know.
        let theirs = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "annotations": {"by": "oras"},
            "manifests": [{
                "mediaType": MANIFEST_MEDIA_TYPE, "digest": A, "size": 10,
                "artifactType": "x/sbom", "data": "e30=",
            }],
        })
        .to_string();
        let both = add_to_fallback(Some(theirs.as_bytes()), &entry(B, "x/sig"))
            .unwrap()
            .unwrap();
        let value: Value = serde_json::from_slice(&both).unwrap();
        assert_eq!(value["annotations"]["by"], "oras");
        assert_eq!(value["manifests"][0]["data"], "e30=");
        assert_eq!(value["manifests"][1]["digest"], B);
        assert_eq!(
            parse_list(&both, Some("x/sig")).unwrap(),
            [entry(B, "x/sig")]
        );
        // Adding what is there writes nothing.
        assert_eq!(add_to_fallback(Some(&both), &entry(B, "x/sig")), Ok(None));
        for bad in ["[]", "{\"manifests\": 1}", "not json"] {
            assert!(
                add_to_fallback(Some(bad.as_bytes()), &entry(A, "t")).is_err(),
                "{bad}"
            );
            assert!(parse_list(bad.as_bytes(), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_artifact_manifest_names_its_subject() {
        let subject = Descriptor::new(MANIFEST_MEDIA_TYPE, A.parse().unwrap(), 500);
        let layer = Descriptor::new("x/sig", B.parse().unwrap(), 7);
        let annotations = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
        let manifest = artifact_manifest("x/sig", layer, subject.clone(), annotations.clone());
        let json: Value = serde_json::from_slice(&manifest.to_json()).unwrap();
        assert_eq!(json["config"]["mediaType"], EMPTY_MEDIA_TYPE);
        assert_eq!(
            json["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(json["subject"]["digest"], A);
        assert_eq!(json["artifactType"], "x/sig");
        let listed = list_entry(&manifest, B.parse().unwrap(), 300);
        assert_eq!(listed.artifact_type.as_deref(), Some("x/sig"));
        assert_eq!(listed.annotations, Some(annotations));
        // Without artifactType, the config's media type stands for it.
        let mut plain = manifest;
        plain.artifact_type = None;
        let listed = list_entry(&plain, B.parse().unwrap(), 300);
        assert_eq!(listed.artifact_type.as_deref(), Some(EMPTY_MEDIA_TYPE));
    }

    #[test]
    fn only_plain_titles_name_files() {
        let layer = |title: &str| {
            let mut d = Descriptor::new("x", A.parse().unwrap(), 1);
            d.annotations = Some(BTreeMap::from([(
                TITLE_ANNOTATION.to_owned(),
                title.to_owned(),
            )]));
            d
        };
        assert_eq!(safe_title(&layer("sig.json")), Some("sig.json"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\nb"] {
            assert_eq!(safe_title(&layer(bad)), None, "{bad:?}");
        }
        assert_eq!(
            safe_title(&Descriptor::new("x", A.parse().unwrap(), 1)),
            None
        );
    }
}
