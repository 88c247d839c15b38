//! Pure URL builders for the OCI distribution API (distribution spec,
//! "Endpoints"), `Location` resolution, and redaction for error messages.
//!
//! URLs here are plain strings: `scheme "://" authority path ["?" query]`.
//! Repository names and digests never need escaping in paths (their
//! grammars exclude reserved characters); query values are percent-encoded
//! with [`percent_encode`].

use std::fmt;

use crate::digest::Digest;

/// Transport scheme for a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP, only for hosts listed in `--insecure`.
    Http,
    /// HTTPS, the default.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// [`Scheme::Http`] when `host` is listed in `insecure` (see
    /// [`insecure_matches`]), else [`Scheme::Https`].
    pub fn for_host(insecure: &[String], host: &str) -> Scheme {
        if insecure_matches(insecure, host) {
            Scheme::Http
        } else {
            Scheme::Https
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Endpoint URLs of one registry, all under `<scheme>://<host>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryUrls {
    base: String,
}

impl RegistryUrls {
    /// URLs for `host` (`host[:port]`, e.g. [`crate::reference::Reference::api_host`]).
    pub fn new(scheme: Scheme, host: &str) -> Self {
        RegistryUrls {
            base: format!("{scheme}://{host}"),
        }
    }

    /// `<scheme>://<host>`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /v2/`: API version check, and where auth challenges come from.
    pub fn ping(&self) -> String {
        format!("{}/v2/", self.base)
    }

    /// `/v2/<repository>/manifests/<target>`; `target` is a tag or digest.
    pub fn manifest(&self, repository: &str, target: &str) -> String {
        format!("{}/v2/{repository}/manifests/{target}", self.base)
    }

    /// `/v2/<repository>/blobs/<digest>`.
    pub fn blob(&self, repository: &str, digest: &Digest) -> String {
        format!("{}/v2/{repository}/blobs/{digest}", self.base)
    }

    /// `POST /v2/<repository>/blobs/uploads/` starts an upload session.
    pub fn upload_start(&self, repository: &str) -> String {
        format!("{}/v2/{repository}/blobs/uploads/", self.base)
    }

    /// `POST /v2/<repository>/blobs/uploads/?mount=<digest>&from=<other>`
    /// mounts a blob from another repository of the same registry.
    pub fn upload_mount(&self, repository: &str, digest: &Digest, from: &str) -> String {
        format!(
            "{}?mount={}&from={}",
            self.upload_start(repository),
            percent_encode(&digest.to_string()),
            percent_encode(from)
        )
    }

    /// `/v2/<repository>/referrers/<subject>`, with `?artifactType=` when
    /// asking the registry to filter (distribution-spec 1.1 "Listing
    /// Referrers").
    pub fn referrers(
        &self,
        repository: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> String {
        let mut url = format!("{}/v2/{repository}/referrers/{subject}", self.base);
        if let Some(t) = artifact_type {
            url.push_str("?artifactType=");
            url.push_str(&percent_encode(t));
        }
        url
    }

    /// `/v2/<repository>/tags/list` with optional `n` (page size) and
    /// `last` (last tag of the previous page), in that order.
    pub fn tags(&self, repository: &str, n: Option<u32>, last: Option<&str>) -> String {
        let mut url = format!("{}/v2/{repository}/tags/list", self.base);
        let mut separator = '?';
        if let Some(n) = n {
            url.push(separator);
            url.push_str(&format!("n={n}"));
            separator = '&';
        }
        if let Some(last) = last {
            url.push(separator);
            url.push_str("last=");
            url.push_str(&percent_encode(last));
        }
        url
    }
}

/// Percent-encode everything except RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), with uppercase hex: `sha256:ab` → `sha256%3Aab`.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Split an absolute URL into (scheme, authority, rest); `rest` starts with
/// `/`, `?`, `#` or is empty. `None` if there is no `scheme://`.
fn split_absolute(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// The authority (`host[:port]`, without any `userinfo@`) of an absolute
/// URL; `None` for relative URLs or an empty authority.
pub fn host_port(url: &str) -> Option<&str> {
    let (_, authority, _) = split_absolute(url)?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty()).then_some(host)
}

/// Resolve a `Location` (or `Link`) header value against the URL of the
/// request that returned it (RFC 3986 section 5.2, for the forms registries
/// send): absolute URLs are returned unchanged, `//authority/path` takes the
/// base's scheme, `/path` takes the base's scheme and authority, and other
/// relative paths replace the last path segment of the base. A `base_url`
/// that is not absolute is used as a plain prefix.
pub fn resolve_location(base_url: &str, location: &str) -> String {
    if split_absolute(location).is_some() {
        return location.to_owned();
    }
    let Some((scheme, authority, rest)) = split_absolute(base_url) else {
        return format!("{}{location}", base_url.trim_end_matches('/'));
    };
    if location.starts_with("//") {
        return format!("{scheme}:{location}");
    }
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if location.is_empty() {
        return base_url.to_owned();
    }
    if location.starts_with('?') {
        return format!("{scheme}://{authority}{path}{location}");
    }
    let directory = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{scheme}://{authority}{directory}{location}")
}

/// Append `digest=<digest>` (percent-encoded) to an upload URL, with `?` or
/// `&` as appropriate; used to complete a blob upload with `PUT`.
pub fn with_digest_param(upload_url: &str, digest: &Digest) -> String {
    let separator = match upload_url.rfind('?') {
        None => "?",
        Some(_) if upload_url.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    format!(
        "{upload_url}{separator}digest={}",
        percent_encode(&digest.to_string())
    )
}

fn is_sensitive_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("token")
        || name.contains("signature")
        || name.contains("secret")
        || name.contains("password")
        || name.contains("credential")
        || name == "sig"
        || name == "_state"
        || name.starts_with("x-amz-")
        || name.starts_with("x-goog-")
}

/// A URL fit for error messages: drops any `userinfo@` and replaces the
/// values of secret-bearing query parameters (names containing `token`,
/// `signature`, `secret`, `password` or `credential`; `sig`; `_state`;
/// `x-amz-*`; `x-goog-*`, all case-insensitive) with `REDACTED`.
pub fn redact(url: &str) -> String {
    let (prefix, rest) = match split_absolute(url) {
        Some((scheme, authority, rest)) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            (format!("{scheme}://{host}"), rest)
        }
        None => (String::new(), url),
    };
    let (before_fragment, fragment) = match rest.find('#') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((path, query)) = before_fragment.split_once('?') else {
        return format!("{prefix}{rest}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_sensitive_param(name) => format!("{name}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{prefix}{path}?{}{fragment}", query.join("&"))
}

/// wkg's `--insecure a,b` semantics: `host` (`host[:port]` as in the
/// reference) uses plain HTTP when it exactly equals one of the entries.
pub fn insecure_matches(insecure: &[String], host: &str) -> bool {
    insecure.iter().any(|entry| entry == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const D_ENC: &str = "sha256%3Ae3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn digest() -> Digest {
        D.parse().unwrap()
    }

    #[test]
    fn endpoint_urls() {
        let u = RegistryUrls::new(Scheme::Https, "ghcr.io");
        let l = RegistryUrls::new(Scheme::Http, "localhost:5000");
        let cases = [
            (u.base().to_owned(), "https://ghcr.io".to_owned()),
            (l.ping(), "http://localhost:5000/v2/".to_owned()),
            (
                u.manifest("webassembly/wasi/http", "0.2.1"),
                "https://ghcr.io/v2/webassembly/wasi/http/manifests/0.2.1".to_owned(),
            ),
            (
                u.manifest("a", D),
                format!("https://ghcr.io/v2/a/manifests/{D}"),
            ),
            (
                u.blob("a/b", &digest()),
                format!("https://ghcr.io/v2/a/b/blobs/{D}"),
            ),
            (
                u.upload_start("a/b"),
                "https://ghcr.io/v2/a/b/blobs/uploads/".to_owned(),
            ),
            (
                u.upload_mount("a/b", &digest(), "c/d"),
                format!("https://ghcr.io/v2/a/b/blobs/uploads/?mount={D_ENC}&from=c%2Fd"),
            ),
            (
                u.tags("a", None, None),
                "https://ghcr.io/v2/a/tags/list".to_owned(),
            ),
            (
                u.tags("a", Some(50), None),
                "https://ghcr.io/v2/a/tags/list?n=50".to_owned(),
            ),
            (
                u.tags("a", None, Some("v1")),
                "https://ghcr.io/v2/a/tags/list?last=v1".to_owned(),
            ),
            (
                u.tags("a", Some(2), Some("1.0_b")),
                "https://ghcr.io/v2/a/tags/list?n=2&last=1.0_b".to_owned(),
            ),
        ];
        for (actual, expected) in cases {
            assert_eq!(actual, expected);
        }
    }

    #[test]
    fn scheme_selection() {
        let insecure = vec!["localhost:5000".to_owned(), "10.0.0.1".to_owned()];
        let cases = [
            ("localhost:5000", true),
            ("10.0.0.1", true),
            ("localhost", false),
            ("10.0.0.1:80", false),
            ("LOCALHOST:5000", false),
            ("ghcr.io", false),
        ];
        for (host, expected) in cases {
            assert_eq!(insecure_matches(&insecure, host), expected, "{host}");
            let scheme = if expected {
                Scheme::Http
            } else {
                Scheme::Https
            };
            assert_eq!(Scheme::for_host(&insecure, host), scheme);
        }
        assert!(!insecure_matches(&[], "localhost"));
        assert_eq!(Scheme::Http.to_string(), "http");
        assert_eq!(Scheme::Https.to_string(), "https");
    }

    #[test]
    fn percent_encoding() {
        let cases = [
            ("", ""),
            ("AZaz09-._~", "AZaz09-._~"),
            (
                "repository:a/b:pull,push",
                "repository%3Aa%2Fb%3Apull%2Cpush",
            ),
            ("a b+c&d=e?f#g%", "a%20b%2Bc%26d%3De%3Ff%23g%25"),
            ("é", "%C3%A9"),
        ];
        for (input, expected) in cases {
            assert_eq!(percent_encode(input), expected);
        }
    }

    #[test]
    fn resolves_locations() {
        let base = "https://reg.example.com:5000/v2/a/blobs/uploads/?x=1";
        let cases = [
            ("http://other/v2/up?s=1", "http://other/v2/up?s=1"),
            ("HTTPS://Other/x", "HTTPS://Other/x"),
            ("//cdn.example.com/blob", "https://cdn.example.com/blob"),
            (
                "/v2/a/blobs/uploads/123?_state=s",
                "https://reg.example.com:5000/v2/a/blobs/uploads/123?_state=s",
            ),
            (
                "123?_state=s",
                "https://reg.example.com:5000/v2/a/blobs/uploads/123?_state=s",
            ),
            (
                "?last=b",
                "https://reg.example.com:5000/v2/a/blobs/uploads/?last=b",
            ),
            ("", base),
        ];
        for (location, expected) in cases {
            assert_eq!(resolve_location(base, location), expected, "{location}");
        }
        assert_eq!(resolve_location("https://h", "x"), "https://h/x");
        assert_eq!(resolve_location("https://h?q", "/v2/"), "https://h/v2/");
        assert_eq!(resolve_location("https://u:p@h/a", "/b"), "https://u:p@h/b");
        assert_eq!(resolve_location("not-a-url/", "/v2/x"), "not-a-url/v2/x");
    }

    #[test]
    fn digest_param() {
        let cases = [
            ("https://h/up/1", format!("https://h/up/1?digest={D_ENC}")),
            (
                "https://h/up/1?_state=abc",
                format!("https://h/up/1?_state=abc&digest={D_ENC}"),
            ),
            ("https://h/up/1?", format!("https://h/up/1?digest={D_ENC}")),
            (
                "https://h/up/1?a=b&",
                format!("https://h/up/1?a=b&digest={D_ENC}"),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_digest_param(url, &digest()), expected);
        }
    }

    #[test]
    fn host_ports() {
        let cases = [
            ("https://ghcr.io/v2/", Some("ghcr.io")),
            ("http://localhost:5000", Some("localhost:5000")),
            ("https://user:pw@h:1/x?y", Some("h:1")),
            ("https://[::1]:5000/v2/", Some("[::1]:5000")),
            ("https://h?q=1", Some("h")),
            ("https:///path", None),
            ("/v2/", None),
            ("ghcr.io", None),
            ("1http://x/", None),
        ];
        for (url, expected) in cases {
            assert_eq!(host_port(url), expected, "{url}");
        }
    }

    #[test]
    fn redaction() {
        let cases = [
            ("https://ghcr.io/v2/", "https://ghcr.io/v2/"),
            ("https://user:secret@h/v2/x", "https://h/v2/x"),
            (
                "https://auth.example.com/token?service=reg&scope=repo&access_token=abc",
                "https://auth.example.com/token?service=reg&scope=repo&access_token=REDACTED",
            ),
            (
                "https://h/up/1?_state=xyz&digest=sha256%3Aab",
                "https://h/up/1?_state=REDACTED&digest=sha256%3Aab",
            ),
            (
                "https://s3.example.com/b?X-Amz-Signature=1&X-Amz-Credential=2&other=3#frag",
                "https://s3.example.com/b?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&other=3#frag",
            ),
            (
                "https://cdn/b?sig=1&se=2&Token=3",
                "https://cdn/b?sig=REDACTED&se=2&Token=REDACTED",
            ),
            ("https://h/a?flag&x=1", "https://h/a?flag&x=1"),
            ("/v2/x?token=t", "/v2/x?token=REDACTED"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact(url), expected, "{url}");
        }
    }
}
