//! Docker CLI `config.json` credentials (the `auths`, `credsStore` and
//! `credHelpers` keys), as read by wkg through `docker_credential`.
//!
//! Keys are matched the way the Docker CLI does: exactly, then after
//! normalizing both sides to a bare `host[:port]` (scheme and path
//! stripped). The Docker Hub spellings `index.docker.io`, `docker.io` and
//! `registry-1.docker.io` are treated as one registry.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;

use super::Credential;

/// Standard alphabet, padding optional (some tools omit it).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One `auths` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: Option<BTreeMap<String, Option<AuthEntry>>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
}

/// The credential-related parts of a Docker `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    auths: BTreeMap<String, AuthEntry>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
}

/// A `config.json` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DockerConfigError {
    /// The file is not JSON of the expected shape.
    #[error("invalid docker config: {reason}")]
    Json {
        /// The JSON parser's explanation.
        reason: String,
    },
    /// An `auth` value is not base64 of `username:password`.
    #[error("invalid `auth` for `{key}` in docker config: {reason}")]
    InvalidAuth {
        /// The `auths` key.
        key: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// The entry holds an OAuth identity token, which wkg cannot use.
    #[error("docker config entry `{key}` holds an identity token: identity tokens not supported")]
    IdentityTokenUnsupported {
        /// The `auths` key.
        key: String,
    },
}

/// Reduce a config key or registry to `host[:port]`: strip `http://` or
/// `https://` and anything from the first `/`, fold Docker Hub aliases.
fn normalize(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key);
    match host {
        "docker.io" | "registry-1.docker.io" => "index.docker.io",
        other => other,
    }
}

/// Exact match first, then the first key (in sorted order) that
/// normalizes to the same host.
fn lookup<'m, V>(map: &'m BTreeMap<String, V>, registry: &str) -> Option<(&'m str, &'m V)> {
    if let Some((key, value)) = map.get_key_value(registry) {
        return Some((key, value));
    }
    let wanted = normalize(registry);
    map.iter()
        .find(|(key, _)| normalize(key) == wanted)
        .map(|(key, value)| (key.as_str(), value))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn decode_auth(key: &str, auth: &str) -> Result<Credential, DockerConfigError> {
    let invalid = |reason| DockerConfigError::InvalidAuth {
        key: key.to_owned(),
        reason,
    };
    let bytes = LENIENT_BASE64
        .decode(auth.trim())
        .map_err(|_| invalid("not valid base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("not valid UTF-8"))?;
    let (username, password) = text
        .split_once(':')
        .ok_or_else(|| invalid("expected base64 of `username:password`"))?;
    // The Docker CLI trims NUL padding some tools leave on the password.
    Ok(Credential::new(username, password.trim_end_matches('\0')))
}

impl DockerConfig {
    /// Parse `config.json`. Missing or `null` sections are empty; unknown
    /// keys are ignored; an empty `credsStore` counts as absent.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DockerConfigError> {
        let raw: RawConfig =
            crate::json::from_object(bytes).map_err(|e| DockerConfigError::Json {
                reason: e.to_string(),
            })?;
        Ok(DockerConfig {
            auths: raw
                .auths
                .unwrap_or_default()
                .into_iter()
                .map(|(key, entry)| (key, entry.unwrap_or_default()))
                .collect(),
            creds_store: raw.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: raw.cred_helpers.unwrap_or_default(),
        })
    }

    /// The stored credential for `registry` (pass
    /// [`crate::reference::Reference::docker_credential_key`]).
    ///
    /// `Ok(None)` when there is no entry or the entry is empty (as when a
    /// credential helper holds the secret; see [`DockerConfig::helper_for`]).
    /// A non-empty `auth` wins over `username`/`password`.
    ///
    /// # Errors
    /// [`DockerConfigError::IdentityTokenUnsupported`] for entries with an
    /// `identitytoken`, [`DockerConfigError::InvalidAuth`] for an `auth`
    /// that is not base64 of `username:password`.
    pub fn credential(&self, registry: &str) -> Result<Option<Credential>, DockerConfigError> {
        let Some((key, entry)) = lookup(&self.auths, registry) else {
            return Ok(None);
        };
        if non_empty(&entry.identitytoken).is_some() {
            return Err(DockerConfigError::IdentityTokenUnsupported {
                key: key.to_owned(),
            });
        }
        if let Some(auth) = non_empty(&entry.auth) {
            return decode_auth(key, auth).map(Some);
        }
        match (non_empty(&entry.username), &entry.password) {
            (Some(username), Some(password)) => {
                Ok(Some(Credential::new(username, password.as_str())))
            }
            _ => Ok(None),
        }
    }

    /// The credential helper configured for `registry`: `credHelpers` (same
    /// key matching as [`DockerConfig::credential`]), else `credsStore`.
    /// Helpers are external programs, which a component cannot run.
    pub fn helper_for(&self, registry: &str) -> Option<&str> {
        lookup(&self.cred_helpers, registry)
            .map(|(_, helper)| helper.as_str())
            .or(self.creds_store.as_deref())
    }

    /// Keys of all `auths` entries, sorted.
    pub fn registries(&self) -> impl Iterator<Item = &str> {
        self.auths.keys().map(String::as_str)
    }
}

/// What `docker-credential-<helper> get` prints.
#[derive(Debug, Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// The credential in the JSON a credential helper's `get` prints
/// (`{"ServerURL", "Username", "Secret"}`; docker-credential-helpers
/// protocol). A `<token>` username is an identity token, which, as wkg, is
/// not supported.
///
/// # Errors
/// Output that is not such JSON, or an identity token.
pub fn helper_credential(output: &[u8], registry: &str) -> Result<Credential, DockerConfigError> {
    let parsed: HelperOutput =
        crate::json::from_object(output).map_err(|e| DockerConfigError::Json {
            reason: format!("credential helper output: {e}"),
        })?;
    if parsed.username == "<token>" {
        return Err(DockerConfigError::IdentityTokenUnsupported {
            key: registry.to_owned(),
        });
    }
    Ok(Credential::new(parsed.username, parsed.secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "auths": {
            "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
            "ghcr.io": {"auth": "Z2g6dG9rZW4"},
            "https://quay.io": {"username": "q", "password": "qp"},
            "localhost:5000": {"auth": "bm9jb2xvbg=="},
            "bad.example.com": {"auth": "!!!"},
            "latin.example.com": {"auth": "/w=="},
            "id.example.com": {"auth": "dTpw", "identitytoken": "tok"},
            "helper.example.com": {},
            "null.example.com": null,
            "user-only.example.com": {"username": "u"},
            "nul.example.com": {"auth": "dTpwAAA="},
            "exact.example.com": {"auth": "ZXhhY3Q6MQ=="},
            "https://exact.example.com/v2/": {"auth": "bm9ybWFsaXplZDoy"}
        },
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud", "https://ecr.example.com": "ecr-login"},
        "currentContext": "default"
    }"#;

    #[test]
    fn credentials_by_key() {
        let config = DockerConfig::from_json(CONFIG.as_bytes()).unwrap();
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("https://index.docker.io/v1/", Some(("hub", "hubpass"))),
            ("index.docker.io", Some(("hub", "hubpass"))),
            ("docker.io", Some(("hub", "hubpass"))),
            ("ghcr.io", Some(("gh", "token"))),
            ("https://ghcr.io/", Some(("gh", "token"))),
            ("quay.io", Some(("q", "qp"))),
            ("localhost", None),
            ("helper.example.com", None),
            ("null.example.com", None),
            ("user-only.example.com", None),
            ("nul.example.com", Some(("u", "p"))),
            ("exact.example.com", Some(("exact", "1"))),
            ("https://exact.example.com/v2/", Some(("normalized", "2"))),
            ("http://exact.example.com", Some(("exact", "1"))),
            ("missing.example.com", None),
        ];
        for (registry, expected) in cases {
            let credential = config
                .credential(registry)
                .unwrap_or_else(|e| panic!("{registry}: {e}"));
            let actual = credential.as_ref().map(|c| (c.username(), c.password()));
            assert_eq!(actual, *expected, "{registry}");
        }
    }

    #[test]
    fn credential_errors() {
        let config = DockerConfig::from_json(CONFIG.as_bytes()).unwrap();
        let cases = [
            (
                "localhost:5000",
                "invalid `auth` for `localhost:5000` in docker config: expected base64 of `username:password`",
            ),
            (
                "bad.example.com",
                "invalid `auth` for `bad.example.com` in docker config: not valid base64",
            ),
            (
                "latin.example.com",
                "invalid `auth` for `latin.example.com` in docker config: not valid UTF-8",
            ),
            (
                "id.example.com",
                "docker config entry `id.example.com` holds an identity token: identity tokens not supported",
            ),
        ];
        for (registry, message) in cases {
            let err = config.credential(registry).expect_err(registry);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn helpers() {
        let config = DockerConfig::from_json(CONFIG.as_bytes()).unwrap();
        let cases = [
            ("gcr.io", Some("gcloud")),
            ("ecr.example.com", Some("ecr-login")),
            ("ghcr.io", Some("desktop")),
        ];
        for (registry, expected) in cases {
            assert_eq!(config.helper_for(registry), expected, "{registry}");
        }
        let plain = DockerConfig::from_json(br#"{"credsStore": "", "credHelpers": null}"#).unwrap();
        assert_eq!(plain.helper_for("ghcr.io"), None);
        assert_eq!(config.registries().count(), 13);
    }

    #[test]
    fn parses_sparse_and_rejects_bad_files() {
        for sparse in ["{}", r#"{"auths": null}"#, r#"{"auths": {}}"#] {
            let config = DockerConfig::from_json(sparse.as_bytes()).unwrap();
            assert_eq!(config, DockerConfig::default());
            assert_eq!(config.credential("ghcr.io").unwrap(), None);
        }
        for bad in [
            "",
            "[]",
            r#"{"auths": []}"#,
            r#"{"auths": {"h": {"auth": 1}}}"#,
        ] {
            let err = DockerConfig::from_json(bad.as_bytes()).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid docker config: "),
                "{err}"
            );
        }
    }

    #[test]
    fn normalization() {
        let cases = [
            ("https://index.docker.io/v1/", "index.docker.io"),
            ("http://localhost:5000", "localhost:5000"),
            ("ghcr.io", "ghcr.io"),
            ("docker.io", "index.docker.io"),
            ("registry-1.docker.io", "index.docker.io"),
            ("example.com/path/x", "example.com"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected);
        }
    }

    #[test]
    fn helper_output_is_a_credential() {
        let c = helper_credential(
            br#"{"ServerURL":"ghcr.io","Username":"octocat","Secret":"pat"}"#,
            "ghcr.io",
        )
        .unwrap();
        assert_eq!(c, Credential::new("octocat", "pat"));
        let token = helper_credential(br#"{"Username":"<token>","Secret":"x"}"#, "ghcr.io");
        assert!(matches!(
            token,
            Err(DockerConfigError::IdentityTokenUnsupported { .. })
        ));
        assert!(helper_credential(b"nope", "ghcr.io").is_err());
    }
}
