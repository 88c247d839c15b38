//! `[registry."<name>"]` tables (reference behaviour §2.2, checklist items
//! 16–21): the default backend, the validated `oci` and `local` backend
//! tables, and other backends' tables kept verbatim.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::auth::Credential;
use crate::metadata::{LOCAL_PROTOCOL, OCI_PROTOCOL};
use crate::urls::Scheme;

/// One `[registry."<name>"]` table: the default backend and the backend
/// tables. `oci` and `local` are parsed and validated; other backend
/// tables are kept verbatim. `Debug` hides the other tables' contents
/// (they may hold secrets), as wkg does.
#[derive(Clone, Default, PartialEq)]
pub struct RegistryConfig {
    // Filled in by `super::de`.
    pub(super) default: Option<String>,
    pub(super) oci: Option<OciConfig>,
    pub(super) local: Option<LocalConfig>,
    pub(super) other: BTreeMap<String, toml::Table>,
}

/// The `oci` backend table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OciConfig {
    /// Basic credentials for this registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<OciAuth>,
    /// `http` or `https`; absent means `https`, including for localhost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Skip TLS certificate verification.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub accept_invalid_certificates: bool,
    /// Extra trusted root certificates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_root_certificates: Vec<Certificate>,
}

/// The `oci.protocol` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

/// An `oci.protocol` other than `http` or `https`. The reference docs say
/// such values fall back to the default; wkg's code rejects them, and so
/// does this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OCI protocol `{value}`: expected `http` or `https`")]
#[non_exhaustive]
pub struct ProtocolError {
    value: String,
}

/// One `oci.extra_root_certificates` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// How `data` is encoded.
    pub encoding: CertificateEncoding,
    /// The certificate text, as written.
    pub data: String,
}

/// [`Certificate::encoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertificateEncoding {
    /// `pem`.
    Pem,
    /// `der`.
    Der,
}

/// The `local` backend table: packages live at
/// `<root>/<namespace>/<name>/<version>.wasm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// The registry's root directory.
    pub root: String,
}

/// `oci.auth`: either `{ username, password }` or the base64 of
/// `username:password` (padding optional), decoded when parsed. The form
/// it was written in is kept so that writing the file back preserves it.
/// `Debug` shows neither the password nor the base64 text.
#[derive(Clone, PartialEq, Eq)]
pub struct OciAuth {
    credential: Credential,
    base64: Option<String>,
}

/// A base64 `oci.auth` string that does not decode to `username:password`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64-encoded credentials: {reason}")]
#[non_exhaustive]
pub struct OciAuthError {
    reason: &'static str,
}

impl OciAuthError {
    /// What was wrong.
    pub fn reason(&self) -> &str {
        self.reason
    }
}

/// Standard alphabet, padding optional (wkg's `OCI_AUTH_BASE64`).
const AUTH_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl OciAuth {
    /// The `{ username, password }` form.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        OciAuth {
            credential: Credential::new(username, password),
            base64: None,
        }
    }

    /// The string form: base64 of `username:password`, split at the first
    /// `:`, as wkg decodes it (no trimming).
    pub fn from_base64(encoded: &str) -> Result<Self, OciAuthError> {
        let invalid = |reason| OciAuthError { reason };
        let bytes = AUTH_BASE64
            .decode(encoded)
            .map_err(|_| invalid("not valid base64"))?;
        let text = String::from_utf8(bytes).map_err(|_| invalid("not valid UTF-8"))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| invalid("expected `<username>:<password>` but no `:` found"))?;
        Ok(OciAuth {
            credential: Credential::new(username, password),
            base64: Some(encoded.to_owned()),
        })
    }

    /// The decoded credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The base64 text, when written in the string form.
    pub fn base64(&self) -> Option<&str> {
        self.base64.as_deref()
    }
}

impl fmt::Debug for OciAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OciAuth")
            .field("credential", &self.credential)
            .field("base64", &self.base64.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Serialize for OciAuth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(encoded) = &self.base64 {
            return serializer.serialize_str(encoded);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("username", self.credential.username())?;
        map.serialize_entry("password", self.credential.password())?;
        map.end()
    }
}

impl Protocol {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }
}

impl From<Protocol> for Scheme {
    fn from(protocol: Protocol) -> Scheme {
        match protocol {
            Protocol::Http => Scheme::Http,
            Protocol::Https => Scheme::Https,
        }
    }
}

impl FromStr for Protocol {
    type Err = ProtocolError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "http" => Ok(Protocol::Http),
            "https" => Ok(Protocol::Https),
            _ => Err(ProtocolError {
                value: value.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl OciConfig {
    /// `overlay` wins key by key, like wkg's table `extend`: `auth` and
    /// `protocol` when set, `extra_root_certificates` when non-empty.
    /// `accept_invalid_certificates` is true if either side sets it: an
    /// absent key and `false` cannot be told apart after parsing.
    pub fn merge(self, overlay: OciConfig) -> OciConfig {
        OciConfig {
            auth: overlay.auth.or(self.auth),
            protocol: overlay.protocol.or(self.protocol),
            accept_invalid_certificates: self.accept_invalid_certificates
                || overlay.accept_invalid_certificates,
            extra_root_certificates: if overlay.extra_root_certificates.is_empty() {
                self.extra_root_certificates
            } else {
                overlay.extra_root_certificates
            },
        }
    }
}

impl RegistryConfig {
    /// The backend to use: `default` (or `type`) when set, else the only
    /// backend table when there is exactly one (wkg's
    /// `RegistryConfig::default_backend`), else none.
    pub fn default_backend(&self) -> Option<&str> {
        if let Some(default) = &self.default {
            return Some(default);
        }
        let backends = self.configured_backends();
        match backends.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The `default` (or `type`) key itself.
    pub fn default_setting(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Set or clear the `default` key.
    pub fn set_default_backend(&mut self, backend: Option<String>) {
        self.default = backend;
    }

    /// The names of the backend tables, sorted.
    pub fn configured_backends(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.other.keys().map(String::as_str).collect();
        names.extend(self.oci.as_ref().map(|_| OCI_PROTOCOL));
        names.extend(self.local.as_ref().map(|_| LOCAL_PROTOCOL));
        names.sort_unstable();
        names
    }

    /// The `oci` table.
    pub fn oci(&self) -> Option<&OciConfig> {
        self.oci.as_ref()
    }

    /// Set or remove the `oci` table.
    pub fn set_oci(&mut self, oci: Option<OciConfig>) {
        self.oci = oci;
    }

    /// The `local` table.
    pub fn local(&self) -> Option<&LocalConfig> {
        self.local.as_ref()
    }

    /// Set or remove the `local` table.
    pub fn set_local(&mut self, local: Option<LocalConfig>) {
        self.local = local;
    }

    /// The `oci-layout` table's `root`: the directory holding one OCI image
    /// layout per repository.
    pub fn layout_root(&self) -> Option<&str> {
        self.other
            .get(crate::metadata::LAYOUT_PROTOCOL)?
            .get("root")?
            .as_str()
    }

    /// The verbatim table of a backend other than `oci` and `local`.
    pub fn other_backend(&self, name: &str) -> Option<&toml::Table> {
        self.other.get(name)
    }

    /// `overlay` wins key by key: `default` when set, `oci` merged with
    /// [`OciConfig::merge`], `local` when set, other tables extended key by
    /// key (wkg's `RegistryConfig::merge`).
    pub fn merge(self, overlay: RegistryConfig) -> RegistryConfig {
        let mut other = self.other;
        for (name, table) in overlay.other {
            other.entry(name).or_default().extend(table);
        }
        RegistryConfig {
            default: overlay.default.or(self.default),
            oci: match (self.oci, overlay.oci) {
                (Some(base), Some(top)) => Some(base.merge(top)),
                (base, top) => top.or(base),
            },
            local: overlay.local.or(self.local),
            other,
        }
    }
}

impl fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden: BTreeMap<&str, &str> = self
            .other
            .keys()
            .map(|name| (name.as_str(), "<hidden>"))
            .collect();
        f.debug_struct("RegistryConfig")
            .field("default", &self.default)
            .field("oci", &self.oci)
            .field("local", &self.local)
            .field("other", &hidden)
            .finish()
    }
}

impl Serialize for RegistryConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(default) = &self.default {
            map.serialize_entry("default", default)?;
        }
        for name in self.configured_backends() {
            match (name, &self.oci, &self.local) {
                (OCI_PROTOCOL, Some(oci), _) => map.serialize_entry(name, oci)?,
                (LOCAL_PROTOCOL, _, Some(local)) => map.serialize_entry(name, local)?,
                _ => map.serialize_entry(name, &self.other[name])?,
            }
        }
        map.end()
    }
}
