//! The registry error envelope (distribution spec, "Error Codes"):
//! `{"errors": [{"code": "...", "message": "...", "detail": ...}]}`, and
//! helpers for quoting response bodies and OS errors in error messages.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An error code from the distribution spec; unknown codes are kept in
/// [`ErrorCode::Other`] verbatim so they round-trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`: blob unknown to registry.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: blob upload invalid.
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: blob upload unknown to registry.
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: provided digest did not match uploaded content.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: manifest references a manifest or blob unknown to registry.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: manifest invalid.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: manifest unknown to registry.
    ManifestUnknown,
    /// `NAME_INVALID`: invalid repository name.
    NameInvalid,
    /// `NAME_UNKNOWN`: repository name not known to registry.
    NameUnknown,
    /// `SIZE_INVALID`: provided length did not match content length.
    SizeInvalid,
    /// `UNAUTHORIZED`: authentication required.
    Unauthorized,
    /// `DENIED`: requested access to the resource is denied.
    Denied,
    /// `UNSUPPORTED`: the operation is unsupported.
    Unsupported,
    /// `TOOMANYREQUESTS`: too many requests.
    TooManyRequests,
    /// Any other code, verbatim.
    Other(String),
}

const KNOWN: [(ErrorCode, &str); 14] = [
    (ErrorCode::BlobUnknown, "BLOB_UNKNOWN"),
    (ErrorCode::BlobUploadInvalid, "BLOB_UPLOAD_INVALID"),
    (ErrorCode::BlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN"),
    (ErrorCode::DigestInvalid, "DIGEST_INVALID"),
    (ErrorCode::ManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN"),
    (ErrorCode::ManifestInvalid, "MANIFEST_INVALID"),
    (ErrorCode::ManifestUnknown, "MANIFEST_UNKNOWN"),
    (ErrorCode::NameInvalid, "NAME_INVALID"),
    (ErrorCode::NameUnknown, "NAME_UNKNOWN"),
    (ErrorCode::SizeInvalid, "SIZE_INVALID"),
    (ErrorCode::Unauthorized, "UNAUTHORIZED"),
    (ErrorCode::Denied, "DENIED"),
    (ErrorCode::Unsupported, "UNSUPPORTED"),
    (ErrorCode::TooManyRequests, "TOOMANYREQUESTS"),
];

impl ErrorCode {
    /// The wire form, e.g. `NAME_UNKNOWN`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(code) => code,
            known => KNOWN
                .iter()
                .find(|(code, _)| code == known)
                .map_or("", |(_, name)| name),
        }
    }
}

impl FromStr for ErrorCode {
    type Err = Infallible;

    /// Exact, case-sensitive match of the spec's codes; anything else is
    /// [`ErrorCode::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(KNOWN
            .iter()
            .find(|(_, name)| *name == s)
            .map_or_else(|| ErrorCode::Other(s.to_owned()), |(code, _)| code.clone()))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        let Ok(code) = s.parse();
        Ok(code)
    }
}

/// One entry of the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unstructured extra data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl fmt::Display for ErrorInfo {
    /// `CODE: message`, or just `CODE` without a message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message.as_deref().map(str::trim) {
            Some(message) if !message.is_empty() => write!(f, "{}: {message}", self.code),
            _ => write!(f, "{}", self.code),
        }
    }
}

/// The body of a failed registry response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// At least one error.
    pub errors: Vec<ErrorInfo>,
}

impl ErrorEnvelope {
    /// The envelope in `body`, or `None` if `body` is not JSON of that
    /// shape or lists no errors.
    pub fn parse(body: &[u8]) -> Option<ErrorEnvelope> {
        crate::json::from_object::<ErrorEnvelope>(body)
            .ok()
            .filter(|envelope| !envelope.errors.is_empty())
    }

    /// Whether any entry has `code`.
    pub fn has_code(&self, code: &ErrorCode) -> bool {
        self.errors.iter().any(|e| &e.code == code)
    }
}

impl fmt::Display for ErrorEnvelope {
    /// Entries joined by `; `, each as [`ErrorInfo`] displays.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// A body excerpt fit for a one-line error message: lossy UTF-8, control
/// characters dropped (whitespace ones become spaces), runs of whitespace
/// collapsed, trimmed, and cut to at most `max` characters followed by `…`
/// when longer.
pub fn body_excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut cleaned = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut pending_space = false;
    let mut count = 0;
    for ch in text.chars() {
        if ch.is_whitespace() {
            pending_space = true;
            continue;
        }
        if ch.is_control() {
            continue;
        }
        let needed = usize::from(pending_space && count > 0) + 1;
        if count + needed > max {
            cleaned.push('…');
            return cleaned;
        }
        if pending_space && count > 0 {
            cleaned.push(' ');
            count += 1;
        }
        pending_space = false;
        cleaned.push(ch);
        count += 1;
    }
    cleaned
}

/// `message` without the `(os error N)` that `std` appends to an OS error:
/// inside a component N is a WASI errno (`44` for "No such file or
/// directory"), which means nothing to a person and differs from the
/// native OS's number.
pub fn without_errno(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" (os error ") {
        let tail = &rest[at + " (os error ".len()..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(')') {
            out.push_str(&rest[..at]);
            rest = &tail[digits + 1..];
        } else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wasi_errnos_are_dropped() {
        use super::without_errno;
        let cases = [
            (
                "reading `x.toml`: No such file or directory (os error 44)",
                "reading `x.toml`: No such file or directory",
            ),
            ("a (os error 63) b (os error 8)", "a b"),
            ("not one (os error x)", "not one (os error x)"),
            ("(os error 2)", "(os error 2)"),
            (" (os error ", " (os error "),
            ("plain", "plain"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(without_errno(input), expected, "{input}");
        }
    }

    use super::*;

    #[test]
    fn error_codes_round_trip() {
        for (code, name) in KNOWN.iter() {
            assert_eq!(code.to_string(), *name);
            assert_eq!(name.parse::<ErrorCode>(), Ok(code.clone()));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
        let cases = [
            ("SOMETHING_NEW", "SOMETHING_NEW"),
            ("name_unknown", "name_unknown"),
            ("", ""),
        ];
        for (input, display) in cases {
            let code: ErrorCode = input.parse().unwrap();
            assert_eq!(code, ErrorCode::Other(input.to_owned()));
            assert_eq!(code.to_string(), display);
        }
    }

    #[test]
    fn parses_envelopes() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"x"}},
                              {"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                Some(
                    "NAME_UNKNOWN: repository name not known to registry; MANIFEST_UNKNOWN: manifest unknown",
                ),
            ),
            (r#"{"errors":[{"code":"DENIED"}]}"#, Some("DENIED")),
            (
                r#"{"errors":[{"code":"X_CUSTOM","message":"  "}]}"#,
                Some("X_CUSTOM"),
            ),
            (
                r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down","detail":null}],"extra":1}"#,
                Some("TOOMANYREQUESTS: slow down"),
            ),
            (r#"{"errors":[]}"#, None),
            (r#"{"errors":[{"message":"no code"}]}"#, None),
            (r#"{"error":"x"}"#, None),
            ("<html>502 Bad Gateway</html>", None),
            ("", None),
        ];
        for (body, expected) in cases {
            let envelope = ErrorEnvelope::parse(body.as_bytes());
            assert_eq!(
                envelope.as_ref().map(ToString::to_string).as_deref(),
                *expected,
                "{body}"
            );
        }
        let envelope = ErrorEnvelope::parse(cases[0].0.as_bytes()).unwrap();
        assert!(envelope.has_code(&ErrorCode::ManifestUnknown));
        assert!(!envelope.has_code(&ErrorCode::Denied));
        assert_eq!(
            envelope.errors[0].detail,
            Some(serde_json::json!({"name": "x"}))
        );
        let again = serde_json::to_vec(&envelope).unwrap();
        assert_eq!(ErrorEnvelope::parse(&again), Some(envelope));
    }

    #[test]
    fn excerpts() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"short", 10, "short"),
            (b"exactly10!", 10, "exactly10!"),
            (b"this is too long", 7, "this is…"),
            (b"this is too long", 8, "this is…"),
            (
                b"  <html>\r\n\t<body>bad\x1b[0m gateway</body>\n</html>  ",
                100,
                "<html> <body>bad[0m gateway</body> </html>",
            ),
            (b"\xff\xfebytes", 20, "\u{fffd}\u{fffd}bytes"),
            ("héllo wörld".as_bytes(), 5, "héllo…"),
            (b"", 5, ""),
            (b"abc", 0, "…"),
        ];
        for (body, max, expected) in cases {
            assert_eq!(body_excerpt(body, *max), *expected, "{body:?} {max}");
        }
    }
}
