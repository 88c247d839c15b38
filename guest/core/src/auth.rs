//! Registry authentication pieces: `WWW-Authenticate` challenges (RFC 7235
//! section 4.1), Docker token auth (distribution "Token Authentication
//! Specification"), Basic credentials (RFC 7617) and Docker's
//! `config.json` credential store.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::urls::percent_encode;

mod challenge;
mod docker_config;

pub use challenge::{Challenge, ChallengeError, parse_challenges};
pub use docker_config::{DockerConfig, DockerConfigError, helper_credential};

/// Access requested on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actions {
    /// Read only.
    Pull,
    /// Read and write.
    PullPush,
}

impl Actions {
    /// `pull` or `pull,push`.
    pub fn as_str(self) -> &'static str {
        match self {
            Actions::Pull => "pull",
            Actions::PullPush => "pull,push",
        }
    }
}

impl fmt::Display for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token scope: `repository:<repository>:pull` or `…:pull,push`.
pub fn repository_scope(repository: &str, actions: Actions) -> String {
    format!("repository:{repository}:{actions}")
}

/// The token request URL: `realm`, then `?` (or `&` when `realm` already has
/// a query) and `service=<service>` followed by one `scope=<scope>` per
/// scope, all values percent-encoded (`:` → `%3A`, `,` → `%2C`, as form
/// encoding does). Returns `realm` unchanged when there is nothing to add.
pub fn token_url(realm: &str, service: Option<&str>, scopes: &[String]) -> String {
    let mut url = realm.to_owned();
    let mut separator = if !realm.contains('?') {
        "?"
    } else if realm.ends_with(['?', '&']) {
        ""
    } else {
        "&"
    };
    let params = service
        .map(|s| ("service", s))
        .into_iter()
        .chain(scopes.iter().map(|s| ("scope", s.as_str())));
    for (name, value) in params {
        url.push_str(separator);
        url.push_str(name);
        url.push('=');
        url.push_str(&percent_encode(value));
        separator = "&";
    }
    url
}

/// A token endpoint's JSON answer. Distribution's servers send `token`;
/// OAuth2-style servers send `access_token`; either may come alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct TokenResponse {
    /// Bearer token (Docker token spec).
    #[serde(default)]
    pub token: Option<String>,
    /// Bearer token (OAuth2 compatible name).
    #[serde(default)]
    pub access_token: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// RFC 3339 issue time.
    #[serde(default)]
    pub issued_at: Option<String>,
}

/// A token endpoint answer that is not a JSON object of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid token response: {reason}")]
#[non_exhaustive]
pub struct TokenResponseError {
    reason: String,
}

impl TokenResponse {
    /// Parse a token endpoint response body.
    pub fn from_json(body: &[u8]) -> Result<Self, TokenResponseError> {
        crate::json::from_object(body).map_err(|e| TokenResponseError {
            reason: e.to_string(),
        })
    }

    /// The non-empty `token`, else the non-empty `access_token`.
    pub fn token(&self) -> Option<&str> {
        [&self.token, &self.access_token]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|t| !t.is_empty())
    }
}

/// A username and password. `Debug` redacts the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    username: String,
    password: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credential {
    /// A credential from its parts.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password (or personal access token).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// `Authorization` header value: `Basic base64(username ":" password)`.
    pub fn basic_header_value(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", STANDARD.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let cases = [
            (
                "library/busybox",
                Actions::Pull,
                "repository:library/busybox:pull",
            ),
            ("a/b/c", Actions::PullPush, "repository:a/b/c:pull,push"),
        ];
        for (repo, actions, expected) in cases {
            assert_eq!(repository_scope(repo, actions), expected);
        }
    }

    #[test]
    fn token_urls() {
        let pull = vec![repository_scope("library/busybox", Actions::Pull)];
        let two = vec![
            "repository:a:pull".to_owned(),
            "repository:b:pull,push".to_owned(),
        ];
        let cases: &[(&str, Option<&str>, &[String], &str)] = &[
            (
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                &pull,
                "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull",
            ),
            (
                "https://ghcr.io/token",
                Some("ghcr.io"),
                &two,
                "https://ghcr.io/token?service=ghcr.io&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush",
            ),
            (
                "https://h/token?x=1",
                None,
                &pull,
                "https://h/token?x=1&scope=repository%3Alibrary%2Fbusybox%3Apull",
            ),
            (
                "https://h/token?",
                Some("my service"),
                &[],
                "https://h/token?service=my%20service",
            ),
            ("https://h/token", None, &[], "https://h/token"),
        ];
        for (realm, service, scopes, expected) in cases {
            assert_eq!(token_url(realm, *service, scopes), *expected);
        }
    }

    #[test]
    fn token_responses() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"token":"t1","access_token":"t2","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}"#,
                Some("t1"),
            ),
            (r#"{"access_token":"t2"}"#, Some("t2")),
            (r#"{"token":"","access_token":"t2"}"#, Some("t2")),
            (r#"{"token":null}"#, None),
            (r#"{}"#, None),
        ];
        for (body, expected) in cases {
            let response = TokenResponse::from_json(body.as_bytes()).unwrap();
            assert_eq!(response.token(), *expected, "{body}");
        }
        let full = TokenResponse::from_json(cases[0].0.as_bytes()).unwrap();
        assert_eq!(full.expires_in, Some(300));
        assert_eq!(full.issued_at.as_deref(), Some("2024-01-01T00:00:00Z"));
        for bad in ["", "[]", "<html>", r#"{"expires_in":"soon"}"#] {
            let err = TokenResponse::from_json(bad.as_bytes()).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid token response: "),
                "{err}"
            );
        }
    }

    #[test]
    fn credentials() {
        let c = Credential::new("user", "p:ss");
        assert_eq!(c.basic_header_value(), "Basic dXNlcjpwOnNz");
        assert_eq!((c.username(), c.password()), ("user", "p:ss"));
        let debug = format!("{c:?}");
        assert!(!debug.contains("p:ss"), "{debug}");
        assert!(
            debug.contains("user") && debug.contains("<redacted>"),
            "{debug}"
        );
        // RFC 7617 example.
        let example = Credential::new("Aladdin", "open sesame");
        assert_eq!(
            example.basic_header_value(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
