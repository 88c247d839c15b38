//! OCI image manifests (image spec "Image Manifest", "Descriptors") and the
//! wasm artifact config (CNCF TAG Runtime "Wasm OCI Artifact" layout, as
//! written by wkg through oci-wasm).
//!
//! A wasm artifact is an image manifest whose config has media type
//! [`WASM_CONFIG_MEDIA_TYPE`] and which has exactly one layer of media type
//! [`WASM_LAYER_MEDIA_TYPE`] holding the component bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// OCI image manifest media type.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest (schema 2) media type; same shape as the OCI one.
pub const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type; the Docker counterpart of an index.
pub const DOCKER_MANIFEST_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Config media type of a wasm artifact.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// Layer media type of a wasm artifact.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// Pre-defined annotation holding a human-readable title (file name).
/// The wasm layer type wasmCloud pushed (with its
/// `application/vnd.wasmcloud.actor.archive.config` config), still in
/// registries.
pub const LEGACY_MODULE_LAYER_MEDIA_TYPE: &str =
    "application/vnd.module.wasm.content.layer.v1+wasm";
/// The wasm layer type of the earlier `wasm-to-oci` tool.
pub const LEGACY_WASM_LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// The config of a Spin application: several layers, which Spin reads.
pub const SPIN_APPLICATION_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.fermyon.spin.application.v1+config";
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";
/// Pre-defined annotation: the version of the packaged software.
pub const VERSION_ANNOTATION: &str = "org.opencontainers.image.version";
/// Pre-defined annotation: a human-readable description.
pub const DESCRIPTION_ANNOTATION: &str = "org.opencontainers.image.description";
/// Pre-defined annotation: an SPDX license expression.
pub const LICENSES_ANNOTATION: &str = "org.opencontainers.image.licenses";
/// Pre-defined annotation: the URL of the source code.
pub const SOURCE_ANNOTATION: &str = "org.opencontainers.image.source";
/// Pre-defined annotation: the URL of more information (the homepage).
pub const URL_ANNOTATION: &str = "org.opencontainers.image.url";
/// Pre-defined annotation: the authors, free-form.
pub const AUTHORS_ANNOTATION: &str = "org.opencontainers.image.authors";
/// Pre-defined annotation: the URL of the documentation.
pub const DOCUMENTATION_ANNOTATION: &str = "org.opencontainers.image.documentation";
/// `Accept` header value for manifest requests: the manifest types this
/// crate reads, plus the index type so registries answer with it and
/// [`ImageManifest::from_json`] can name it in the error.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json";

/// Content descriptor (image spec "Descriptors"); `size` is in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size of the referenced content in bytes.
    pub size: u64,
    /// Alternate download locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    /// Arbitrary metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Artifact type, for descriptors of artifact manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    /// A descriptor with no optional fields.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: None,
            annotations: None,
            artifact_type: None,
        }
    }

    /// A descriptor for `content`, computing its `sha256` digest and size.
    pub fn for_content(media_type: impl Into<String>, content: &[u8]) -> Self {
        Self::new(media_type, Digest::sha256_of(content), content.len() as u64)
    }
}

/// An image manifest (schema version 2). Serializes in the field order wkg
/// writes: `schemaVersion`, `mediaType`, `config`, `layers`, then optional
/// `subject`, `artifactType`, `annotations` (absent when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`MANIFEST_MEDIA_TYPE`] for manifests wkg writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layer blobs, in order.
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (referrers API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Artifact type, when the config is the empty descriptor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Arbitrary metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// A manifest that cannot be read, or is not a wasm artifact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("invalid manifest: {reason}")]
    Json {
        /// The JSON parser's explanation.
        reason: String,
    },
    /// `schemaVersion` is not 2.
    #[error("manifest schemaVersion is `{version}`, expected `2`")]
    UnsupportedSchemaVersion {
        /// The version found.
        version: u32,
    },
    /// The document is an image index or Docker manifest list.
    #[error("`{media_type}` is an image index, not a wasm artifact manifest")]
    ImageIndex {
        /// Its media type.
        media_type: String,
    },
    /// The layer count is not exactly one.
    #[error(
        "manifest has {count} layers; a wasm artifact has exactly one `application/wasm` layer"
    )]
    NotWasmLayerCount {
        /// Number of layers found.
        count: usize,
    },
    /// The single layer is not `application/wasm`.
    #[error("layer media type is `{media_type}`, expected `application/wasm`")]
    NotWasmLayer {
        /// The layer's media type.
        media_type: String,
    },
    /// The config is not a wasm config.
    #[error("config media type is `{media_type}`, expected `application/vnd.wasm.config.v0+json`")]
    NotWasmConfig {
        /// The config's media type.
        media_type: String,
    },
    /// An application of several layers that another tool reads.
    #[error("this is {what} (config `{media_type}`), not a single wasm component; {tool} reads it")]
    Application {
        /// What the artifact is.
        what: &'static str,
        /// Its config media type.
        media_type: String,
        /// The tool that reads it.
        tool: &'static str,
    },
}

/// How a pulled manifest carries its wasm ([`ImageManifest::wasm_content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flavour {
    /// The CNCF wasm artifact format: one `application/wasm` layer and the
    /// wasm config (what wkg pushes).
    Cncf,
    /// One `application/wasm` layer with another config (an empty one, as
    /// `oras push x.wasm:application/wasm` writes, or an image config).
    PlainWasm {
        /// The config's media type.
        config: String,
    },
    /// One layer of a legacy wasm type ([`LEGACY_MODULE_LAYER_MEDIA_TYPE`],
    /// [`LEGACY_WASM_LAYER_MEDIA_TYPE`]).
    Legacy {
        /// The layer's media type.
        layer: String,
    },
}

impl Flavour {
    /// A one-line note for people when the artifact is not in the CNCF
    /// format (what it is, and that its wasm layer was taken).
    pub fn note(&self) -> Option<String> {
        match self {
            Flavour::Cncf => None,
            Flavour::PlainWasm { config } => Some(format!(
                "not a CNCF wasm artifact (config `{config}`, not `{WASM_CONFIG_MEDIA_TYPE}`); \
                 read its one `{WASM_LAYER_MEDIA_TYPE}` layer"
            )),
            Flavour::Legacy { layer } => Some(format!(
                "a legacy wasm artifact (layer `{layer}`); read its wasm layer"
            )),
        }
    }
}

/// The wasm layer of a pulled manifest, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmContent<'a> {
    pub layer: &'a Descriptor,
    pub flavour: Flavour,
}

fn is_wasm_layer_type(media_type: &str) -> bool {
    [
        WASM_LAYER_MEDIA_TYPE,
        LEGACY_MODULE_LAYER_MEDIA_TYPE,
        LEGACY_WASM_LAYER_MEDIA_TYPE,
    ]
    .contains(&media_type)
}

fn is_index_type(media_type: &str) -> bool {
    media_type == INDEX_MEDIA_TYPE || media_type == DOCKER_MANIFEST_LIST_MEDIA_TYPE
}

fn json_error(error: &serde_json::Error) -> ManifestError {
    ManifestError::Json {
        reason: error.to_string(),
    }
}

impl ImageManifest {
    /// The manifest wkg pushes for a wasm component: OCI media type, the
    /// wasm config, one layer, and optional manifest annotations.
    pub fn wasm(
        config: Descriptor,
        layer: Descriptor,
        annotations: Option<BTreeMap<String, String>>,
    ) -> Self {
        ImageManifest {
            schema_version: 2,
            media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
            config,
            layers: vec![layer],
            subject: None,
            artifact_type: None,
            annotations,
        }
    }

    /// Compact JSON, the exact bytes to push (and to digest).
    pub fn to_json(&self) -> Vec<u8> {
        // Only strings, integers and string-keyed maps: cannot fail.
        serde_json::to_vec(self).expect("manifest serialization is infallible")
    }

    /// Parse a manifest. An image index or Docker manifest list (by
    /// `mediaType`, or by having `manifests`) yields
    /// [`ManifestError::ImageIndex`]; a `schemaVersion` other than 2 yields
    /// [`ManifestError::UnsupportedSchemaVersion`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        let value: serde_json::Value =
            crate::json::from_object(bytes).map_err(|e| json_error(&e))?;
        match value.get("mediaType").and_then(serde_json::Value::as_str) {
            Some(media_type) if is_index_type(media_type) => {
                return Err(ManifestError::ImageIndex {
                    media_type: media_type.to_owned(),
                });
            }
            None if value.get("manifests").is_some() => {
                return Err(ManifestError::ImageIndex {
                    media_type: INDEX_MEDIA_TYPE.to_owned(),
                });
            }
            _ => {}
        }
        let manifest: ImageManifest = serde_json::from_value(value).map_err(|e| json_error(&e))?;
        if manifest.schema_version != 2 {
            return Err(ManifestError::UnsupportedSchemaVersion {
                version: manifest.schema_version,
            });
        }
        Ok(manifest)
    }

    /// The component layer, if this is a wasm artifact by wkg's pull rules,
    /// checked in this order: not an index, exactly one layer, layer media
    /// type [`WASM_LAYER_MEDIA_TYPE`], config media type
    /// [`WASM_CONFIG_MEDIA_TYPE`].
    pub fn wasm_layer(&self) -> Result<&Descriptor, ManifestError> {
        if let Some(media_type) = &self.media_type
            && is_index_type(media_type)
        {
            return Err(ManifestError::ImageIndex {
                media_type: media_type.clone(),
            });
        }
        let [layer] = self.layers.as_slice() else {
            return Err(ManifestError::NotWasmLayerCount {
                count: self.layers.len(),
            });
        };
        if layer.media_type != WASM_LAYER_MEDIA_TYPE {
            return Err(ManifestError::NotWasmLayer {
                media_type: layer.media_type.clone(),
            });
        }
        if self.config.media_type != WASM_CONFIG_MEDIA_TYPE {
            return Err(ManifestError::NotWasmConfig {
                media_type: self.config.media_type.clone(),
            });
        }
        Ok(layer)
    }

    /// The wasm layer to pull, read tolerantly (pushing stays strict,
    /// [`ImageManifest::wasm`]): one layer of a wasm type
    /// (`application/wasm` or a legacy one) with any config, or the CNCF
    /// format. wkg 0.16.1 accepts only the CNCF format
    /// ([`ImageManifest::wasm_layer`]).
    ///
    /// # Errors
    /// [`ManifestError::ImageIndex`]; [`ManifestError::Application`] for a
    /// Spin application; [`ManifestError::NotWasmLayerCount`] for no layer
    /// or several; [`ManifestError::NotWasmLayer`] for one layer of
    /// another type.
    pub fn wasm_content(&self) -> Result<WasmContent<'_>, ManifestError> {
        if let Some(media_type) = &self.media_type
            && is_index_type(media_type)
        {
            return Err(ManifestError::ImageIndex {
                media_type: media_type.clone(),
            });
        }
        if self.config.media_type == SPIN_APPLICATION_CONFIG_MEDIA_TYPE {
            return Err(ManifestError::Application {
                what: "a Spin application",
                media_type: self.config.media_type.clone(),
                tool: "Spin (`spin registry pull`)",
            });
        }
        let [layer] = self.layers.as_slice() else {
            return Err(ManifestError::NotWasmLayerCount {
                count: self.layers.len(),
            });
        };
        if !is_wasm_layer_type(&layer.media_type) {
            return Err(ManifestError::NotWasmLayer {
                media_type: layer.media_type.clone(),
            });
        }
        let flavour = if layer.media_type != WASM_LAYER_MEDIA_TYPE {
            Flavour::Legacy {
                layer: layer.media_type.clone(),
            }
        } else if self.config.media_type == WASM_CONFIG_MEDIA_TYPE {
            Flavour::Cncf
        } else {
            Flavour::PlainWasm {
                config: self.config.media_type.clone(),
            }
        };
        Ok(WasmContent { layer, flavour })
    }

    /// The title annotation of the wasm layer, if any (wkg names pulled
    /// files after it when present).
    pub fn layer_title(&self) -> Option<&str> {
        self.layers
            .first()?
            .annotations
            .as_ref()?
            .get(TITLE_ANNOTATION)
            .map(String::as_str)
    }
}

/// Component metadata in a [`WasmConfig`]: the world's import and export
/// names (`wasi:http/incoming-handler@0.2.1`, or plain names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInfo {
    /// Exported interface or function names.
    pub exports: Vec<String>,
    /// Imported interface or function names.
    pub imports: Vec<String>,
    /// Optional target world; serialized as `null` when absent.
    #[serde(default)]
    pub target: Option<String>,
}

/// The `application/vnd.wasm.config.v0+json` config blob. Serializes every
/// field in this order, with absent options as `null`, as wkg does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    /// RFC 3339 creation time; see [`format_rfc3339_utc`].
    pub created: String,
    /// Author, if given.
    #[serde(default)]
    pub author: Option<String>,
    /// Always `wasm`.
    pub architecture: String,
    /// `wasip2` for components, `wasip1` for core modules.
    pub os: String,
    /// Digests of the manifest's layers, in order.
    pub layer_digests: Vec<Digest>,
    /// Component metadata; `None` for core modules.
    #[serde(default)]
    pub component: Option<ComponentInfo>,
}

/// A config blob that is not a valid [`WasmConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid wasm config: {reason}")]
#[non_exhaustive]
pub struct WasmConfigError {
    reason: String,
}

impl WasmConfig {
    /// The config for a component with one layer: architecture `wasm`, os
    /// `wasip2`, no target world.
    pub fn new(
        created: String,
        author: Option<String>,
        layer_digest: Digest,
        exports: Vec<String>,
        imports: Vec<String>,
    ) -> Self {
        WasmConfig {
            created,
            author,
            architecture: "wasm".to_owned(),
            os: "wasip2".to_owned(),
            layer_digests: vec![layer_digest],
            component: Some(ComponentInfo {
                exports,
                imports,
                target: None,
            }),
        }
    }

    /// Compact JSON, the exact config blob bytes.
    pub fn to_json(&self) -> Vec<u8> {
        // Only strings and arrays of strings: cannot fail.
        serde_json::to_vec(self).expect("config serialization is infallible")
    }

    /// Parse a config blob.
    pub fn from_json(bytes: &[u8]) -> Result<Self, WasmConfigError> {
        crate::json::from_object(bytes).map_err(|e| WasmConfigError {
            reason: e.to_string(),
        })
    }
}

/// Format a Unix time as RFC 3339 in UTC with microsecond precision:
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`. `nanos` is truncated to microseconds and
/// clamped to `999_999_999`. Years past 9999 print with more digits.
pub fn format_rfc3339_utc(unix_seconds: u64, nanos: u32) -> String {
    let days = unix_seconds / 86_400;
    let secs_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let micros = nanos.min(999_999_999) / 1_000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        secs_of_day / 3_600,
        secs_of_day % 3_600 / 60,
        secs_of_day % 60,
    )
}

/// Proleptic Gregorian (year, month 1-12, day 1-31) of the day `days` after
/// 1970-01-01. Counts in 400-year eras starting on March 1st, so the leap
/// day is the last day of its shifted year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Days from 0000-03-01 to 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
