//! The `config.toml` model (reference behaviour §2.1–§2.3, checklist items
//! 11–21 and 94): parsing with positioned errors, writing back, merging,
//! and registry resolution for a package.
//!
//! ```toml
//! default_registry = "acme.registry.com"
//!
//! [namespace_registries]
//! wasi = "wasi.dev"
//! another = { registry = "another", metadata = { preferredProtocol = "oci", oci = { registry = "ghcr.io", namespacePrefix = "webassembly/" } } }
//!
//! [package_registry_overrides]
//! "example:foo" = "example.com"
//!
//! [registry."acme.registry.com"]
//! default = "oci"          # alias `type`
//! [registry."acme.registry.com".oci]
//! auth = { username = "open", password = "sesame" }   # or base64 of `user:pass`
//! protocol = "https"       # `http` or `https`
//! [registry."acme.registry.com".local]
//! root = "/a/path"
//! ```
//!
//! Unknown top-level keys are errors, as in wkg. Unknown keys inside the
//! `oci` and `local` tables and inside a `{ registry, metadata }` mapping
//! are errors too, unlike wkg, which silently ignores them (so a typo such
//! as `protocl = "http"` went unnoticed there). Tables of other backends
//! (`[registry.X.warg]`) are kept verbatim and only fail when the registry
//! is used (§2.2).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::metadata::RegistryMetadata;
use crate::package::{Label, PackageRef, Registry};

mod de;
mod registry;
mod resolve;
mod sigstore;

pub use registry::{
    Certificate, CertificateEncoding, LocalConfig, OciAuth, OciAuthError, OciConfig, Protocol,
    ProtocolError, RegistryConfig,
};
pub use resolve::{Backend, Resolution, ResolveError};
pub use sigstore::{Pattern, Scope, SignerPolicy, SigstoreConfig};

/// The built-in namespace fallbacks (wasm-pkg-common
/// `DEFAULT_FALLBACK_NAMESPACE_REGISTRIES`); see [`Config::fallbacks`].
pub const FALLBACK_NAMESPACE_REGISTRIES: [(&str, &str); 2] =
    [("wasi", "wasi.dev"), ("ba", "bytecodealliance.org")];

/// A parsed `config.toml`.
///
/// Maps are ordered, so [`Config::to_toml`] is deterministic (wkg's hash
/// maps write keys in random order). The built-in fallbacks are not part
/// of the value: they are never written, and resolution applies them only
/// when asked to (see [`Config::resolve`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_registry: Option<Registry>,
    #[serde(default)]
    namespace_registries: BTreeMap<Label, RegistryMapping>,
    #[serde(default)]
    package_registry_overrides: BTreeMap<PackageRef, RegistryMapping>,
    #[serde(default, rename = "registry", deserialize_with = "de::registries")]
    registries: BTreeMap<Registry, RegistryConfig>,
    /// This tool's signer policies (wkg 0.16.1 has none, and rejects the
    /// key).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "sigstore::deserialize",
        serialize_with = "sigstore::serialize"
    )]
    sigstore: Option<SigstoreConfig>,
}

/// Where a namespace or package goes: a registry name (its well-known
/// metadata is fetched) or a registry name with inline metadata (no fetch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RegistryMapping {
    /// `wasi = "wasi.dev"`.
    Registry(Registry),
    /// `ns = { registry = "…", metadata = { … } }`.
    Custom(CustomMapping),
}

/// The `{ registry, metadata }` form of a [`RegistryMapping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomMapping {
    /// The registry name: the key of its `[registry."…"]` table and of the
    /// lock file entries.
    pub registry: Registry,
    /// Used instead of the registry's well-known metadata.
    pub metadata: RegistryMetadata,
}

impl RegistryMapping {
    /// The registry name of either form.
    pub fn registry(&self) -> &Registry {
        match self {
            RegistryMapping::Registry(registry) => registry,
            RegistryMapping::Custom(custom) => &custom.registry,
        }
    }

    /// The inline metadata of the `Custom` form.
    pub fn metadata(&self) -> Option<&RegistryMetadata> {
        match self {
            RegistryMapping::Registry(_) => None,
            RegistryMapping::Custom(custom) => Some(&custom.metadata),
        }
    }
}

/// A `config.toml` that cannot be used, positioned at the offending key or
/// value. Renders as `<origin>:<line>:<column>: <message>`, followed by
/// ` (hint: …)` when there is one. Lines and columns are 1-based; columns
/// count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct ConfigError {
    origin: String,
    position: Option<(usize, usize)>,
    message: String,
    hint: Option<&'static str>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The error of parsing `text` (from `origin`): `syntax` when the text
    /// is not TOML at all, else a value that does not fit the model.
    pub(crate) fn from_toml(
        origin: &str,
        text: &str,
        error: &toml::de::Error,
        syntax: bool,
    ) -> Self {
        let message = error.message().trim().replace('\n', "; ");
        let hint = if syntax {
            Some("the file is not valid TOML")
        } else if message.starts_with("unknown field") {
            Some("unknown keys are rejected; check the spelling")
        } else if message.starts_with("invalid base64-encoded credentials") {
            Some("`auth` is base64 of `username:password` or a `{ username, password }` table")
        } else {
            None
        };
        ConfigError {
            origin: origin.to_owned(),
            position: error.span().map(|span| line_column(text, span.start)),
            message,
            hint,
        }
    }

    /// An error found after parsing, positioned at byte `offset` of `text`
    /// when there is one.
    pub(crate) fn at(origin: &str, text: &str, offset: Option<usize>, message: String) -> Self {
        ConfigError {
            origin: origin.to_owned(),
            position: offset.map(|offset| line_column(text, offset)),
            message,
            hint: None,
        }
    }

    /// Where the file came from, as given to [`Config::from_toml`].
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// 1-based line of the offending key or value.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// 1-based column (in characters) of the offending key or value.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }

    /// The parser's explanation, without position or hint.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A short suggestion, when there is one.
    pub fn hint(&self) -> Option<&str> {
        self.hint
    }
}

/// Takes the `config` table of a manifest, skipping every other key, so
/// that the table's values keep their positions in error messages.
struct ProjectConfigVisitor;

impl<'de> serde::de::Visitor<'de> for ProjectConfigVisitor {
    type Value = Option<Config>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a wkg.toml manifest")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut config = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "config" {
                config = Some(map.next_value::<Config>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(config)
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

impl Config {
    /// An empty config (what a missing file means).
    pub fn empty() -> Self {
        Config::default()
    }

    /// Parse `config.toml` text; `origin` (usually the path) prefixes error
    /// messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let deserializer = toml::de::Deserializer::parse(text)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, true))?;
        Config::deserialize(deserializer)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, false))
    }

    /// The project's registry config: the `[config]` table of a `wkg.toml`,
    /// which holds config.toml's keys and takes precedence over the global
    /// file for that project (see [`Config::merge`]; wkg has no project-local
    /// registry config, wasm-pkg-tools#203). `None` when the manifest has no
    /// such table. Other tables of the manifest are not looked at here.
    ///
    /// # Errors
    /// Invalid TOML, or an invalid `[config]` table, positioned in `text`.
    pub fn from_project_manifest(text: &str, origin: &str) -> Result<Option<Config>, ConfigError> {
        let deserializer = toml::de::Deserializer::parse(text)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, true))?;
        deserializer
            .deserialize_map(ProjectConfigVisitor)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, false))
    }

    /// The file wkg writes: `toml::to_string` of the config, so an empty
    /// config is `[namespace_registries]\n\n[package_registry_overrides]\n\n[registry]\n`.
    /// Passwords are written in clear, as wkg does; base64 `auth` strings
    /// stay base64. `Config::from_toml(&c.to_toml(), _) == Ok(c)`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("every config value is representable in TOML")
    }

    /// This config with `overlay` on top, key by key: `default_registry`
    /// when set, mapping entries replacing same-key entries, registry
    /// tables merged with [`RegistryConfig::merge`]. Used for a project's
    /// registry config over the global file.
    pub fn merge(self, overlay: Config) -> Config {
        let mut merged = self;
        if overlay.default_registry.is_some() {
            merged.default_registry = overlay.default_registry;
        }
        merged
            .namespace_registries
            .extend(overlay.namespace_registries);
        merged
            .package_registry_overrides
            .extend(overlay.package_registry_overrides);
        for (registry, config) in overlay.registries {
            let merged_config = match merged.registries.remove(&registry) {
                Some(base) => base.merge(config),
                None => config,
            };
            merged.registries.insert(registry, merged_config);
        }
        merged.sigstore = match (merged.sigstore, overlay.sigstore) {
            (Some(base), Some(overlay)) => Some(base.merge(overlay)),
            (base, overlay) => overlay.or(base),
        };
        merged
    }

    /// The `[sigstore]` table.
    pub fn sigstore(&self) -> Option<&SigstoreConfig> {
        self.sigstore.as_ref()
    }

    /// The built-in fallbacks `wasi` → `wasi.dev` and `ba` →
    /// `bytecodealliance.org`, which [`Config::resolve`] consults last, and
    /// only when asked to.
    pub fn fallbacks() -> BTreeMap<Label, Registry> {
        FALLBACK_NAMESPACE_REGISTRIES
            .iter()
            .map(|(namespace, registry)| {
                (
                    namespace.parse().expect("built-in label"),
                    registry.parse().expect("built-in registry"),
                )
            })
            .collect()
    }

    /// `default_registry`.
    pub fn default_registry(&self) -> Option<&Registry> {
        self.default_registry.as_ref()
    }

    /// Set or clear `default_registry` (`wkg config --default-registry`).
    pub fn set_default_registry(&mut self, registry: Option<Registry>) {
        self.default_registry = registry;
    }

    /// `namespace_registries`.
    pub fn namespace_registries(&self) -> &BTreeMap<Label, RegistryMapping> {
        &self.namespace_registries
    }

    /// Map a namespace to a registry.
    pub fn set_namespace_registry(&mut self, namespace: Label, mapping: RegistryMapping) {
        self.namespace_registries.insert(namespace, mapping);
    }

    /// `package_registry_overrides`.
    pub fn package_registry_overrides(&self) -> &BTreeMap<PackageRef, RegistryMapping> {
        &self.package_registry_overrides
    }

    /// Map one package to a registry.
    pub fn set_package_registry_override(&mut self, package: PackageRef, mapping: RegistryMapping) {
        self.package_registry_overrides.insert(package, mapping);
    }

    /// The `[registry."<name>"]` table.
    pub fn registry_config(&self, registry: &Registry) -> Option<&RegistryConfig> {
        self.registries.get(registry)
    }

    /// The `[registry."<name>"]` table, inserted empty if missing.
    pub fn registry_config_mut(&mut self, registry: &Registry) -> &mut RegistryConfig {
        self.registries.entry(registry.clone()).or_default()
    }

    /// All `[registry."<name>"]` tables.
    pub fn registry_configs(&self) -> &BTreeMap<Registry, RegistryConfig> {
        &self.registries
    }
}

/// `WKG_REGISTRY_<HOST>_AUTH_BEARER` (§4.8): `oci_host` (the OCI host after
/// metadata, e.g. `ghcr.io` for `wasi.dev` packages) with every character
/// that is not ASCII alphanumeric replaced by `_`, upper-cased.
pub fn registry_auth_env_var(oci_host: &str) -> String {
    let host: String = oci_host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("WKG_REGISTRY_{host}_AUTH_BEARER")
}

/// The XDG base directory: `xdg` if set and absolute (relative values are
/// ignored, as etcetera does), else `$HOME/<fallback>`.
fn xdg_base(xdg: Option<&str>, home: Option<&str>, fallback: &str) -> Option<String> {
    if let Some(dir) = xdg.filter(|d| d.starts_with('/')) {
        return Some(dir.trim_end_matches('/').to_owned());
    }
    let home = home.filter(|h| !h.is_empty())?;
    Some(format!("{}/{fallback}", home.trim_end_matches('/')))
}

/// The global config file (§2.1): `$XDG_CONFIG_HOME/wasm-pkg/config.toml`,
/// else `$HOME/.config/wasm-pkg/config.toml`; `None` without either. Pass
/// the environment values in. The XDG layout is what wkg uses on Linux
/// and macOS; Windows' `%APPDATA%` does not apply to a WASI guest.
pub fn global_config_path(xdg_config_home: Option<&str>, home: Option<&str>) -> Option<String> {
    xdg_base(xdg_config_home, home, ".config").map(|base| format!("{base}/wasm-pkg/config.toml"))
}

/// The default cache directory (§6): `$XDG_CACHE_HOME/wasm-pkg`, else
/// `$HOME/.cache/wasm-pkg`; `None` without either.
pub fn global_cache_dir(xdg_cache_home: Option<&str>, home: Option<&str>) -> Option<String> {
    xdg_base(xdg_cache_home, home, ".cache").map(|base| format!("{base}/wasm-pkg"))
}

#[cfg(test)]
mod tests;
