//! wasm package identifiers (reference behaviour §4.10, §1.4): kebab-case
//! [`Label`]s, `namespace:name` [`PackageRef`]s, `ref[@version]`
//! [`PackageSpec`]s, and the [`Registry`] authority a package lives on.
//!
//! * Label: non-empty, words separated by `-`, each word non-empty,
//!   starting with `[a-z]` and continuing with `[a-z0-9]`
//!   (wasm-pkg-common `label.rs`, the Component Model kebab-case rule).
//!   The grammar excludes `.`, `/` and `\`, so a label is always safe as a
//!   path component: `../x:y` and `acme:../../x` are rejected.
//! * PackageRef: `<label>:<label>`, split at the first `:`.
//! * PackageSpec: `<ref>[@<version>]`, split at the first `@`; the version is
//!   a SemVer 2.0.0 version (`semver::Version`, so `1.0` and `v1.0.0` are
//!   rejected).
//! * Registry: an HTTP authority `host[:port]` (RFC 3986 §3.2) with no
//!   scheme, path or userinfo.
//!
//! All four round-trip through [`FromStr`] and [`fmt::Display`], and serde
//! uses the same string form.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use semver::Version;

/// Longest accepted DNS host name, in characters (RFC 1035 §2.3.4).
pub const HOST_MAX_LEN: usize = 253;

/// Implement `Serialize`/`Deserialize` through `Display`/`FromStr`.
macro_rules! serde_as_string {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A Component Model kebab-case label, such as `wasi` or `my-pkg2`.
///
/// Invariant: matches the label grammar in the module docs. Ordering is the
/// string ordering, so [`Borrow<str>`] lookups in ordered maps agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

/// Why a string is not a valid [`Label`]. The messages are wkg's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelErrorKind {
    /// The input is empty.
    #[error("labels may not be empty")]
    Empty,
    /// Two dashes in a row, or a leading or trailing dash.
    #[error("dash-separated words may not be empty")]
    EmptyWord,
    /// A word starts with something other than `[a-z]`.
    #[error("dash-separated words must begin with an ASCII lowercase letter")]
    InvalidWordFirstChar,
    /// A word continues with something other than `[a-z0-9]`.
    #[error("dash-separated words may contain only lowercase alphanumeric ASCII characters")]
    InvalidChar,
}

/// A string that failed to parse as a [`Label`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label `{input}`: {kind}")]
#[non_exhaustive]
pub struct LabelError {
    input: String,
    kind: LabelErrorKind,
}

impl LabelError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &LabelErrorKind {
        &self.kind
    }
}

impl Label {
    /// The label text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Word by word, in order, as wkg checks: empty word, first character,
/// remaining characters.
fn validate_label(label: &str) -> Result<(), LabelErrorKind> {
    if label.is_empty() {
        return Err(LabelErrorKind::Empty);
    }
    for word in label.split('-') {
        let mut chars = word.chars();
        match chars.next() {
            None => return Err(LabelErrorKind::EmptyWord),
            Some(c) if !c.is_ascii_lowercase() => {
                return Err(LabelErrorKind::InvalidWordFirstChar);
            }
            Some(_) => {}
        }
        if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return Err(LabelErrorKind::InvalidChar);
        }
    }
    Ok(())
}

impl FromStr for Label {
    type Err = LabelError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        validate_label(input).map_err(|kind| LabelError {
            input: input.to_owned(),
            kind,
        })?;
        Ok(Label(input.to_owned()))
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        &self.0
    }
}

serde_as_string!(Label);

/// A package reference `namespace:name`, such as `wasi:http`.
///
/// Ordered by namespace, then name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageRef {
    namespace: Label,
    name: Label,
}

/// Why a string is not a valid [`PackageRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageRefErrorKind {
    /// There is no `:` between namespace and name.
    #[error("missing expected `:`")]
    MissingColon,
    /// The namespace or the name is not a [`Label`].
    #[error("{0}")]
    InvalidLabel(LabelError),
}

/// A string that failed to parse as a [`PackageRef`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package ref `{input}`: {kind}")]
#[non_exhaustive]
pub struct PackageRefError {
    input: String,
    kind: PackageRefErrorKind,
}

impl PackageRefError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &PackageRefErrorKind {
        &self.kind
    }
}

impl PackageRef {
    /// A reference from its parts.
    pub fn new(namespace: Label, name: Label) -> Self {
        PackageRef { namespace, name }
    }

    /// The namespace, e.g. `wasi`.
    pub fn namespace(&self) -> &Label {
        &self.namespace
    }

    /// The name, e.g. `http`.
    pub fn name(&self) -> &Label {
        &self.name
    }
}

fn parse_package_ref(input: &str) -> Result<PackageRef, PackageRefErrorKind> {
    let (namespace, name) = input
        .split_once(':')
        .ok_or(PackageRefErrorKind::MissingColon)?;
    let label = |s: &str| {
        s.parse::<Label>()
            .map_err(PackageRefErrorKind::InvalidLabel)
    };
    Ok(PackageRef {
        namespace: label(namespace)?,
        name: label(name)?,
    })
}

impl FromStr for PackageRef {
    type Err = PackageRefError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_package_ref(input).map_err(|kind| PackageRefError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for PackageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

serde_as_string!(PackageRef);

/// A package reference with an optional exact version: `wasi:http` or
/// `wasi:http@0.2.0`, as `wkg get` takes it.
///
/// Ordered by package, then version (no version first).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageSpec {
    package: PackageRef,
    version: Option<Version>,
}

/// Why a string is not a valid [`PackageSpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageSpecErrorKind {
    /// The part before `@` is not a [`PackageRef`].
    #[error("{0}")]
    InvalidRef(PackageRefErrorKind),
    /// Nothing follows the `@`.
    #[error("missing version after `@`")]
    EmptyVersion,
    /// The part after `@` is not a SemVer version.
    #[error("invalid version `{version}`: {reason}")]
    InvalidVersion {
        /// The rejected version text.
        version: String,
        /// The SemVer parser's explanation.
        reason: String,
    },
}

/// A string that failed to parse as a [`PackageSpec`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package spec `{input}`: {kind}")]
#[non_exhaustive]
pub struct PackageSpecError {
    input: String,
    kind: PackageSpecErrorKind,
}

impl PackageSpecError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &PackageSpecErrorKind {
        &self.kind
    }
}

impl PackageSpec {
    /// A spec from its parts.
    pub fn new(package: PackageRef, version: Option<Version>) -> Self {
        PackageSpec { package, version }
    }

    /// The package.
    pub fn package(&self) -> &PackageRef {
        &self.package
    }

    /// The version, if one was given.
    pub fn version(&self) -> Option<&Version> {
        self.version.as_ref()
    }

    /// The package and the version.
    pub fn into_parts(self) -> (PackageRef, Option<Version>) {
        (self.package, self.version)
    }
}

fn parse_package_spec(input: &str) -> Result<PackageSpec, PackageSpecErrorKind> {
    let (package, version) = match input.split_once('@') {
        Some((package, version)) => (package, Some(version)),
        None => (input, None),
    };
    let package = parse_package_ref(package).map_err(PackageSpecErrorKind::InvalidRef)?;
    let version =
        match version {
            None => None,
            Some("") => return Err(PackageSpecErrorKind::EmptyVersion),
            Some(version) => Some(version.parse::<Version>().map_err(|e| {
                PackageSpecErrorKind::InvalidVersion {
                    version: version.to_owned(),
                    reason: e.to_string(),
                }
            })?),
        };
    Ok(PackageSpec { package, version })
}

impl FromStr for PackageSpec {
    type Err = PackageSpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_package_spec(input).map_err(|kind| PackageSpecError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for PackageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.package)?;
        if let Some(version) = &self.version {
            write!(f, "@{version}")?;
        }
        Ok(())
    }
}

serde_as_string!(PackageSpec);

/// A registry name: an HTTP authority `host[:port]`, such as `wasi.dev`,
/// `localhost:5000` or `[::1]:5000`.
///
/// The host is a DNS-style name (dot-separated labels of ASCII letters,
/// digits, `-` and `_`, no label starting or ending with `-`, at most
/// [`HOST_MAX_LEN`] characters; this covers IPv4 addresses) or a bracketed
/// IPv6 address. The port, when present, is 1 to 65535.
///
/// Invariant: the host is stored lowercase. wkg keeps an
/// `http::uri::Authority`, whose equality and hashing ignore ASCII case;
/// lowercasing at parse time gives the same equality with a plain string,
/// so `Example.COM` displays (and is written back) as `example.com`.
///
/// Stricter than wkg on purpose: `Authority` also accepts userinfo
/// (`user@host`) and characters such as `!` or `$` in the host, which are
/// never useful registry names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Registry {
    authority: String,
    host_len: usize,
}

/// Why a string is not a valid [`Registry`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryErrorKind {
    /// The input is empty.
    #[error("registry is empty")]
    Empty,
    /// The input has a `scheme://` prefix.
    #[error("a registry is a `host[:port]` without scheme")]
    Scheme,
    /// The input has a path, query or fragment.
    #[error("a registry is a `host[:port]` without path, query or fragment")]
    Path,
    /// The input has `user@` userinfo.
    #[error("a registry is a `host[:port]` without userinfo")]
    Userinfo,
    /// The host is not a DNS-style name or a bracketed IPv6 address.
    #[error("host `{host}` must be a DNS name, an IPv4 address or a bracketed IPv6 address")]
    InvalidHost {
        /// The rejected host.
        host: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("port `{port}` must be a number from 1 to 65535")]
    InvalidPort {
        /// The rejected port text (may be empty, as in `host:`).
        port: String,
    },
}

/// A string that failed to parse as a [`Registry`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry `{input}`: {kind}")]
#[non_exhaustive]
pub struct RegistryError {
    input: String,
    kind: RegistryErrorKind,
}

impl RegistryError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &RegistryErrorKind {
        &self.kind
    }
}

impl Registry {
    /// The whole authority, `host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.authority
    }

    /// The host without the port; IPv6 addresses keep their brackets.
    pub fn host(&self) -> &str {
        &self.authority[..self.host_len]
    }

    /// The port, if one was given.
    pub fn port(&self) -> Option<u16> {
        self.authority[self.host_len..]
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
    }
}

fn valid_dns_host(host: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    host.len() <= HOST_MAX_LEN && host.split('.').all(label_ok)
}

fn valid_ipv6_literal(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .is_some_and(|addr| {
            addr.contains(':')
                && addr
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        })
}

fn parse_registry(input: &str) -> Result<Registry, RegistryErrorKind> {
    if input.is_empty() {
        return Err(RegistryErrorKind::Empty);
    }
    if input.contains("://") {
        return Err(RegistryErrorKind::Scheme);
    }
    if input.contains(['/', '?', '#']) {
        return Err(RegistryErrorKind::Path);
    }
    if input.contains('@') {
        return Err(RegistryErrorKind::Userinfo);
    }
    let (host, port) = if input.starts_with('[') {
        match input.find(']') {
            Some(end) => {
                let (host, rest) = input.split_at(end + 1);
                match rest {
                    "" => (host, None),
                    _ => match rest.strip_prefix(':') {
                        Some(port) => (host, Some(port)),
                        None => {
                            return Err(RegistryErrorKind::InvalidHost {
                                host: input.to_owned(),
                            });
                        }
                    },
                }
            }
            None => (input, None),
        }
    } else {
        match input.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (input, None),
        }
    };
    if !(valid_dns_host(host) || valid_ipv6_literal(host)) {
        return Err(RegistryErrorKind::InvalidHost {
            host: host.to_owned(),
        });
    }
    if let Some(port) = port {
        let ok = port.len() <= 5
            && port.bytes().all(|c| c.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !ok {
            return Err(RegistryErrorKind::InvalidPort {
                port: port.to_owned(),
            });
        }
    }
    Ok(Registry {
        authority: input.to_ascii_lowercase(),
        host_len: host.len(),
    })
}

impl FromStr for Registry {
    type Err = RegistryError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse_registry(input).map_err(|kind| RegistryError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.authority)
    }
}

impl AsRef<str> for Registry {
    fn as_ref(&self) -> &str {
        &self.authority
    }
}

serde_as_string!(Registry);

#[cfg(test)]
mod tests;
