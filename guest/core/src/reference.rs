//! OCI image references, parsed the way wkg (through oci-client) does.
//!
//! Grammar (docker/distribution `reference` package):
//! `[registry "/"] repository [":" tag] ["@" digest]`.
//!
//! * The first `/`-separated segment is a registry when it contains `.` or
//!   `:` or is exactly `localhost`; otherwise the registry is `docker.io`.
//!   `index.docker.io` is normalized to `docker.io`.
//! * On `docker.io` a single-segment repository gets the `library/` prefix.
//! * With neither tag nor digest the tag is `latest`; with a digest and no
//!   tag there is no tag.
//! * Repository: components matching `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
//!   joined by `/`, at most 255 characters in total.
//! * Tag: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
//! * Registry: `host[:port]`, host being dot-separated labels of letters,
//!   digits and inner `-`, or a bracketed IPv6 address.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::{Digest, DigestErrorKind};

/// Registry assumed when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// Host actually contacted for [`DEFAULT_REGISTRY`] (oci-client's mapping).
pub const DOCKER_HUB_API_HOST: &str = "index.docker.io";
/// Key Docker Hub credentials are stored under in `config.json`.
pub const DOCKER_HUB_CREDENTIAL_KEY: &str = "https://index.docker.io/v1/";
/// Tag assumed when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
/// Maximum repository length in characters.
pub const REPOSITORY_MAX_LEN: usize = 255;
/// Maximum tag length in characters.
pub const TAG_MAX_LEN: usize = 128;

/// A fully resolved OCI reference; see the module docs for the rules.
///
/// Invariant: at least one of `tag` and `digest` is present. [`FromStr`] and
/// [`fmt::Display`] round-trip on the normalized form
/// (`busybox` displays as `docker.io/library/busybox:latest`, which parses
/// back to the same value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not a valid [`Reference`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceErrorKind {
    /// The input is empty.
    #[error("reference is empty")]
    Empty,
    /// Nothing names the repository.
    #[error("repository is empty")]
    EmptyRepository,
    /// The registry is not `host[:port]`.
    #[error("registry `{registry}` must be `host[:port]`")]
    InvalidRegistry {
        /// The rejected registry segment.
        registry: String,
    },
    /// The repository contains uppercase letters.
    #[error(
        "repository must be lowercase (wasm-pkg-tools#134): the OCI distribution spec allows \
         only `a-z`, `0-9` and the separators `.`, `_`, `__`, `-` and `/` in repository names"
    )]
    RepositoryNotLowercase,
    /// A repository path component is empty or badly formed.
    #[error("repository component `{component}` must match `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*`")]
    InvalidRepositoryComponent {
        /// The rejected component (may be empty, as in `a//b`).
        component: String,
    },
    /// The repository is longer than [`REPOSITORY_MAX_LEN`].
    #[error("repository is {length} characters long, at most 255 allowed")]
    RepositoryTooLong {
        /// Actual length.
        length: usize,
    },
    /// A `:` is not followed by a tag.
    #[error("missing tag after `:`")]
    EmptyTag,
    /// The tag has a bad character or starts with `.` or `-`.
    #[error("tag `{tag}` must match `[A-Za-z0-9_][A-Za-z0-9._-]*`")]
    InvalidTag {
        /// The rejected tag.
        tag: String,
    },
    /// The tag is longer than [`TAG_MAX_LEN`].
    #[error("tag is {length} characters long, at most 128 allowed")]
    TagTooLong {
        /// Actual length.
        length: usize,
    },
    /// An `@` is not followed by a digest.
    #[error("missing digest after `@`")]
    EmptyDigest,
    /// The part after `@` is not a valid digest.
    #[error("{0}")]
    InvalidDigest(DigestErrorKind),
}

/// A string that failed to parse as a [`Reference`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid reference `{input}`: {kind}")]
#[non_exhaustive]
pub struct ReferenceError {
    input: String,
    kind: ReferenceErrorKind,
}

impl ReferenceError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &ReferenceErrorKind {
        &self.kind
    }
}

impl Reference {
    /// The registry as written (after `index.docker.io` → `docker.io`), e.g.
    /// `ghcr.io` or `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path, e.g. `webassembly/wasi/http` or `library/busybox`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any (always present when there is no digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What goes in `/v2/<repository>/manifests/<target>`: the digest when
    /// present (it pins the content), else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => DEFAULT_TAG.to_owned(),
        }
    }

    /// The host (and port) actually contacted: `docker.io` maps to
    /// `index.docker.io` as in oci-client; everything else is unchanged.
    pub fn api_host(&self) -> &str {
        if self.registry == DEFAULT_REGISTRY {
            DOCKER_HUB_API_HOST
        } else {
            &self.registry
        }
    }

    /// The key for Docker `config.json` lookups:
    /// `https://index.docker.io/v1/` for Docker Hub, else the registry.
    pub fn docker_credential_key(&self) -> String {
        if self.registry == DEFAULT_REGISTRY {
            DOCKER_HUB_CREDENTIAL_KEY.to_owned()
        } else {
            self.registry.clone()
        }
    }

    /// The repository with `/` replaced by `_`; wkg's default `oci pull`
    /// output file is `<file_stem>.wasm`.
    pub fn file_stem(&self) -> String {
        self.repository.replace('/', "_")
    }

    /// The same repository pinned to `digest`, keeping the tag if any.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

fn valid_domain_label(label: &str) -> bool {
    let b = label.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// `host[:port]` with host a DNS-ish name or `[ipv6]`.
fn valid_registry(s: &str) -> bool {
    let (host_ok, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((addr, after)) = rest.split_once(']') else {
            return false;
        };
        let addr_ok = !addr.is_empty() && addr.bytes().all(|c| c.is_ascii_hexdigit() || c == b':');
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (addr_ok, port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        };
        (host.split('.').all(valid_domain_label), port)
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

fn validate_tag(tag: &str) -> Result<(), ReferenceErrorKind> {
    if tag.is_empty() {
        return Err(ReferenceErrorKind::EmptyTag);
    }
    let b = tag.as_bytes();
    let first_ok = b[0].is_ascii_alphanumeric() || b[0] == b'_';
    let rest_ok = b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if !(first_ok && rest_ok) {
        return Err(ReferenceErrorKind::InvalidTag {
            tag: tag.to_owned(),
        });
    }
    if tag.len() > TAG_MAX_LEN {
        return Err(ReferenceErrorKind::TagTooLong { length: tag.len() });
    }
    Ok(())
}

fn validate_repository(repository: &str) -> Result<(), ReferenceErrorKind> {
    if repository.is_empty() {
        return Err(ReferenceErrorKind::EmptyRepository);
    }
    if repository.bytes().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceErrorKind::RepositoryNotLowercase);
    }
    if let Some(bad) = repository.split('/').find(|c| !valid_path_component(c)) {
        return Err(ReferenceErrorKind::InvalidRepositoryComponent {
            component: bad.to_owned(),
        });
    }
    if repository.len() > REPOSITORY_MAX_LEN {
        return Err(ReferenceErrorKind::RepositoryTooLong {
            length: repository.len(),
        });
    }
    Ok(())
}

fn parse(input: &str) -> Result<Reference, ReferenceErrorKind> {
    if input.is_empty() {
        return Err(ReferenceErrorKind::Empty);
    }
    let (rest, digest) = match input.split_once('@') {
        Some((_, "")) => return Err(ReferenceErrorKind::EmptyDigest),
        Some((rest, digest)) => {
            let digest = digest
                .parse::<Digest>()
                .map_err(|e| ReferenceErrorKind::InvalidDigest(e.kind().clone()))?;
            (rest, Some(digest))
        }
        None => (input, None),
    };
    // A tag follows the last `:` that comes after the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let colon = last_slash + i;
            (&rest[..colon], Some(&rest[colon + 1..]))
        }
        None => (rest, None),
    };
    if let Some(tag) = tag {
        validate_tag(tag)?;
    }
    let (registry, repository) = match name.split_once('/') {
        Some((first, remainder))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, remainder)
        }
        _ => (DEFAULT_REGISTRY, name),
    };
    if !valid_registry(registry) {
        return Err(ReferenceErrorKind::InvalidRegistry {
            registry: registry.to_owned(),
        });
    }
    let registry = if registry == DOCKER_HUB_API_HOST {
        DEFAULT_REGISTRY
    } else {
        registry
    };
    validate_repository(repository)?;
    let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_owned()
    };
    if repository.len() > REPOSITORY_MAX_LEN {
        return Err(ReferenceErrorKind::RepositoryTooLong {
            length: repository.len(),
        });
    }
    let tag = match (tag, &digest) {
        (Some(tag), _) => Some(tag.to_owned()),
        (None, Some(_)) => None,
        (None, None) => Some(DEFAULT_TAG.to_owned()),
    };
    Ok(Reference {
        registry: registry.to_owned(),
        repository,
        tag,
        digest,
    })
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input).map_err(|kind| ReferenceError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
