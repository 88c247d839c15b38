//! Well-known registry metadata (reference behaviour §2.4, §2.5):
//! `/.well-known/wasm-pkg/registry.json` (an RFC 8615 well-known URI), and
//! where a package lives in an OCI registry.
//!
//! Two formats exist and both must be understood:
//!
//! * New: `{"preferredProtocol":"oci","oci":{"registry":"ghcr.io","namespacePrefix":"webassembly/"}}`.
//!   Every top-level key other than `preferredProtocol` and the legacy keys
//!   whose value is an object is a protocol configuration.
//! * Legacy, still served by `wasi.dev` and `bytecodealliance.org`:
//!   `{"ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/"}`.
//!
//! The same shape is the `metadata` of a `{ registry, metadata }` mapping in
//! `config.toml`, so [`RegistryMetadata`] also (de)serializes with serde.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::package::{PackageRef, Registry};

/// Well-known path of the registry metadata document.
pub const REGISTRY_METADATA_PATH: &str = "/.well-known/wasm-pkg/registry.json";
/// Protocol name of the OCI backend.
pub const OCI_PROTOCOL: &str = "oci";
/// Protocol name of the local filesystem backend (config only).
pub const LOCAL_PROTOCOL: &str = "local";
/// Protocol name of the OCI image layout backend (config only): packages
/// in `<root>/<repository>`, one image layout per repository, named as in
/// an OCI registry.
pub const LAYOUT_PROTOCOL: &str = "oci-layout";

const PREFERRED_PROTOCOL: &str = "preferredProtocol";
const OCI_REGISTRY: &str = "ociRegistry";
const OCI_NAMESPACE_PREFIX: &str = "ociNamespacePrefix";
const WARG_URL: &str = "wargUrl";

/// A registry's metadata document; [`Default`] is what a registry without
/// one (HTTP 404, or any fetch failure) gets.
///
/// Differences from wkg, on purpose:
///
/// * A top-level value that is neither an object nor one of the known
///   string keys (for example a leftover `"wargUrl": "…"`, or a `$schema`
///   string) is ignored. wkg rejects the whole document, which then
///   silently falls back to the default metadata.
/// * `oci.registry` and `oci.namespacePrefix` are type-checked here, at
///   parse time; wkg fails only when the OCI backend is created.
/// * `null` means absent, at the top level and inside protocol
///   configurations (where it is removed, as TOML has no `null`).
/// * Serializing keeps the legacy keys; wkg drops them, so rewriting a
///   `config.toml` with a legacy-format `metadata` lost its OCI location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryMetadata {
    preferred_protocol: Option<String>,
    protocols: BTreeMap<String, Map<String, Value>>,
    oci_registry: Option<String>,
    oci_namespace_prefix: Option<String>,
    /// The legacy `wargUrl`, which names a warg registry (kept so that a
    /// rewritten config keeps it).
    warg_url: Option<Value>,
}

/// Where packages live in an OCI registry, from the `oci` protocol
/// configuration with the legacy keys folded in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OciLocation {
    /// The OCI registry host (`registry`, or legacy `ociRegistry`); `None`
    /// means the wkg registry name itself.
    pub registry: Option<String>,
    /// Prepended as-is to `<namespace>/<name>` (`namespacePrefix`, or
    /// legacy `ociNamespacePrefix`).
    pub namespace_prefix: Option<String>,
}

/// A metadata document that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry metadata: {reason}")]
#[non_exhaustive]
pub struct MetadataError {
    reason: String,
}

impl MetadataError {
    fn new(reason: impl Into<String>) -> Self {
        MetadataError {
            reason: reason.into(),
        }
    }
}

/// Remove `null` object entries and array elements, recursively: `null`
/// means absent, and TOML has no `null`.
fn strip_nulls(object: &mut Map<String, Value>) {
    object.retain(|_, v| !v.is_null());
    object.values_mut().for_each(strip_value);
}

fn strip_value(value: &mut Value) {
    match value {
        Value::Object(object) => strip_nulls(object),
        Value::Array(items) => {
            items.retain(|v| !v.is_null());
            items.iter_mut().for_each(strip_value);
        }
        _ => {}
    }
}

/// A string or `null` (absent); anything else is an error naming `key`.
fn optional_string(key: &str, value: Value) -> Result<Option<String>, MetadataError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(MetadataError::new(format!("`{key}` must be a string"))),
    }
}

impl RegistryMetadata {
    /// Parse a `registry.json` body (a JSON object).
    pub fn from_json(body: &[u8]) -> Result<Self, MetadataError> {
        let object: Map<String, Value> =
            crate::json::from_object(body).map_err(|e| MetadataError::new(e.to_string()))?;
        Self::from_object(object)
    }

    fn from_object(object: Map<String, Value>) -> Result<Self, MetadataError> {
        let mut metadata = RegistryMetadata::default();
        for (key, value) in object {
            match key.as_str() {
                PREFERRED_PROTOCOL => metadata.preferred_protocol = optional_string(&key, value)?,
                OCI_REGISTRY => metadata.oci_registry = optional_string(&key, value)?,
                OCI_NAMESPACE_PREFIX => {
                    metadata.oci_namespace_prefix = optional_string(&key, value)?;
                }
                WARG_URL => metadata.warg_url = Some(value).filter(|v| !v.is_null()),
                _ => match value {
                    Value::Object(mut config) => {
                        strip_nulls(&mut config);
                        if key == OCI_PROTOCOL {
                            for field in ["registry", "namespacePrefix"] {
                                if let Some(v) = config.get(field) {
                                    optional_string(&format!("oci.{field}"), v.clone())?;
                                }
                            }
                        }
                        metadata.protocols.insert(key, config);
                    }
                    _ if key == OCI_PROTOCOL => {
                        return Err(MetadataError::new("`oci` must be an object"));
                    }
                    _ => {}
                },
            }
        }
        Ok(metadata)
    }

    /// The protocol to use, by wkg's rules: `preferredProtocol` if present;
    /// else the only protocol key if there is exactly one; else `oci` if
    /// there are no protocol keys but the legacy `ociRegistry` is set;
    /// else none (and the caller uses `oci`).
    ///
    /// A legacy `ociNamespacePrefix` alone does not imply `oci`, as in wkg.
    pub fn preferred_protocol(&self) -> Option<&str> {
        if let Some(protocol) = &self.preferred_protocol {
            return Some(protocol);
        }
        let mut keys = self.protocols.keys();
        match (keys.next(), keys.next()) {
            (Some(only), None) => Some(only),
            (None, _) if self.oci_registry.is_some() => Some(OCI_PROTOCOL),
            // Only the legacy warg key: a warg registry (wkg ignores the key
            // and then fails to find the package over OCI).
            (None, _) if self.warg_url.is_some() && self.oci_namespace_prefix.is_none() => {
                Some("warg")
            }
            _ => None,
        }
    }

    /// The protocols the document configures, sorted: the protocol keys,
    /// plus `oci` when a legacy OCI key is set.
    pub fn configured_protocols(&self) -> Vec<&str> {
        let mut protocols: Vec<&str> = self.protocols.keys().map(String::as_str).collect();
        let legacy = self.oci_registry.is_some() || self.oci_namespace_prefix.is_some();
        if legacy && !self.protocols.contains_key(OCI_PROTOCOL) {
            protocols.push(OCI_PROTOCOL);
            protocols.sort_unstable();
        }
        protocols
    }

    /// The OCI location: the `oci` object's `registry` and
    /// `namespacePrefix`, each replaced by the legacy `ociRegistry` and
    /// `ociNamespacePrefix` when those are set (wkg inserts the legacy
    /// values over the object's).
    pub fn oci(&self) -> OciLocation {
        let field = |name: &str| {
            self.protocols
                .get(OCI_PROTOCOL)
                .and_then(|config| config.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        OciLocation {
            registry: self.oci_registry.clone().or_else(|| field("registry")),
            namespace_prefix: self
                .oci_namespace_prefix
                .clone()
                .or_else(|| field("namespacePrefix")),
        }
    }
}

/// `{scheme}://{registry}/.well-known/wasm-pkg/registry.json`; the scheme is
/// `http` only when the host is exactly `localhost` or `127.0.0.1` (any
/// port), else `https`.
pub fn well_known_url(registry: &Registry) -> String {
    let scheme = match registry.host() {
        "localhost" | "127.0.0.1" => "http",
        _ => "https",
    };
    format!("{scheme}://{registry}{REGISTRY_METADATA_PATH}")
}

/// The OCI host and repository of `package` (§2.5, wkg's
/// `OciBackend::make_reference`): the host is `oci.registry`, else the
/// registry name; the repository is `<namespacePrefix><namespace>/<name>`
/// with the prefix concatenated as-is (so it must end in `/`).
///
/// An empty `oci.registry` counts as absent (wkg would use an empty host).
pub fn oci_repository(
    metadata_oci: &OciLocation,
    registry: &Registry,
    package: &PackageRef,
) -> (String, String) {
    let host = metadata_oci
        .registry
        .as_deref()
        .filter(|r| !r.is_empty())
        .map_or_else(|| registry.to_string(), str::to_owned);
    let prefix = metadata_oci.namespace_prefix.as_deref().unwrap_or_default();
    let repository = format!("{prefix}{}/{}", package.namespace(), package.name());
    (host, repository)
}

/// Serializes a JSON value for TOML: `null` object entries and array
/// elements are left out (parsing already removes them), and integers
/// outside `i64` become floats.
struct WithoutNulls<'a>(&'a Value);

impl Serialize for WithoutNulls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(None)?;
                for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                    out.serialize_entry(key, &WithoutNulls(value))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(None)?;
                for item in items.iter().filter(|v| !v.is_null()) {
                    out.serialize_element(&WithoutNulls(item))?;
                }
                out.end()
            }
            Value::Number(n) => match n.as_i64() {
                Some(i) => serializer.serialize_i64(i),
                None => serializer.serialize_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => other.serialize(serializer),
        }
    }
}

impl Serialize for RegistryMetadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(protocol) = &self.preferred_protocol {
            map.serialize_entry(PREFERRED_PROTOCOL, protocol)?;
        }
        if let Some(registry) = &self.oci_registry {
            map.serialize_entry(OCI_REGISTRY, registry)?;
        }
        if let Some(prefix) = &self.oci_namespace_prefix {
            map.serialize_entry(OCI_NAMESPACE_PREFIX, prefix)?;
        }
        if let Some(url) = &self.warg_url {
            map.serialize_entry(WARG_URL, url)?;
        }
        for (protocol, config) in &self.protocols {
            let config = Value::Object(config.clone());
            map.serialize_entry(protocol, &WithoutNulls(&config))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RegistryMetadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_object(object).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests;
