//! Content digests (OCI image spec, "Digests") and streaming verification.
//!
//! A digest is `algorithm ":" encoded` where
//! `algorithm` matches `[a-z0-9]+([+._-][a-z0-9]+)*` and
//! `encoded` matches `[a-zA-Z0-9=_-]+`. The registered algorithms are held
//! to their stricter form: `sha256` needs exactly 64 and `sha512` exactly
//! 128 lowercase hex characters. Only `sha256` can be computed and verified
//! here; that is the only algorithm wkg produces.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A validated OCI content digest such as `sha256:e3b0c442…`.
///
/// Invariant: `algorithm` and `encoded` satisfy the grammar in the module
/// docs. [`FromStr`] and [`fmt::Display`] round-trip exactly, and serde uses
/// the same string form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: String,
    hex: String,
}

/// Why a string is not a valid [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestErrorKind {
    /// No `:` separates algorithm and encoded part, or one side is empty.
    #[error("digest must be `algorithm:hex`")]
    MissingSeparator,
    /// The algorithm does not match `[a-z0-9]+([+._-][a-z0-9]+)*`.
    #[error("digest algorithm `{algorithm}` must match `[a-z0-9]+([+._-][a-z0-9]+)*`")]
    InvalidAlgorithm {
        /// The rejected algorithm component.
        algorithm: String,
    },
    /// The encoded part does not match `[a-zA-Z0-9=_-]+`.
    #[error("digest encoding must match `[a-zA-Z0-9=_-]+`")]
    InvalidEncoded,
    /// A registered algorithm with the wrong length or non-lowercase-hex.
    #[error("a `{algorithm}` digest must be exactly {length} lowercase hex characters")]
    InvalidHex {
        /// `sha256` or `sha512`.
        algorithm: String,
        /// Required number of hex characters.
        length: usize,
    },
}

/// A string that failed to parse as a [`Digest`]; carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid digest `{input}`: {kind}")]
#[non_exhaustive]
pub struct DigestError {
    input: String,
    kind: DigestErrorKind,
}

impl DigestError {
    /// The rejected input, verbatim.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it.
    pub fn kind(&self) -> &DigestErrorKind {
        &self.kind
    }
}

impl Digest {
    /// The algorithm component, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The encoded component (lowercase hex for `sha256`/`sha512`).
    pub fn encoded(&self) -> &str {
        &self.hex
    }

    /// Whether this is a `sha256` digest, the only kind [`Verifier`] checks.
    pub fn is_sha256(&self) -> bool {
        self.algorithm == "sha256"
    }

    /// The `sha256` digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        let mut verifier = Verifier::new();
        verifier.update(bytes);
        verifier.finish().0
    }

    /// The raw 32-byte hash value of a `sha256` digest (the inverse of
    /// [`Digest::from_sha256_bytes`]); `None` for other algorithms.
    pub fn sha256_bytes(&self) -> Option<[u8; 32]> {
        if !self.is_sha256() {
            return None;
        }
        let hex = self.encoded().as_bytes();
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = std::str::from_utf8(hex.get(2 * i..2 * i + 2)?).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(out)
    }

    /// A `sha256` digest from a raw 32-byte hash value.
    pub fn from_sha256_bytes(bytes: &[u8; 32]) -> Digest {
        let mut hex = String::with_capacity(64);
        for byte in bytes {
            hex.push(hex_char(byte >> 4));
            hex.push(hex_char(byte & 0x0f));
        }
        Digest {
            algorithm: "sha256".to_owned(),
            hex,
        }
    }
}

fn hex_char(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// `[a-z0-9]+([+._-][a-z0-9]+)*`
fn valid_algorithm(s: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut prev_separator = true; // start behaves like "after a separator"
    for b in s.bytes() {
        if alnum(b) {
            prev_separator = false;
        } else if matches!(b, b'+' | b'.' | b'_' | b'-') && !prev_separator {
            prev_separator = true;
        } else {
            return false;
        }
    }
    !prev_separator
}

/// `[a-zA-Z0-9=_-]+`
fn valid_encoded(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

fn lower_hex_of_len(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |kind| DigestError {
            input: input.to_owned(),
            kind,
        };
        let Some((algorithm, hex)) = input.split_once(':') else {
            return Err(fail(DigestErrorKind::MissingSeparator));
        };
        if algorithm.is_empty() || hex.is_empty() {
            return Err(fail(DigestErrorKind::MissingSeparator));
        }
        if !valid_algorithm(algorithm) {
            return Err(fail(DigestErrorKind::InvalidAlgorithm {
                algorithm: algorithm.to_owned(),
            }));
        }
        if !valid_encoded(hex) {
            return Err(fail(DigestErrorKind::InvalidEncoded));
        }
        let required = match algorithm {
            "sha256" => Some(64),
            "sha512" => Some(128),
            _ => None,
        };
        if let Some(length) = required
            && !lower_hex_of_len(hex, length)
        {
            return Err(fail(DigestErrorKind::InvalidHex {
                algorithm: algorithm.to_owned(),
                length,
            }));
        }
        Ok(Digest {
            algorithm: algorithm.to_owned(),
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Content that failed verification against its descriptor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The expected digest uses an algorithm other than `sha256`.
    #[error("cannot verify `{algorithm}` digests: only `sha256` is supported")]
    UnsupportedAlgorithm {
        /// The expected digest's algorithm.
        algorithm: String,
    },
    /// The content hashed to something else.
    #[error(
        "content does not match its digest: expected `{expected}`, got `{actual}` after {bytes} bytes"
    )]
    DigestMismatch {
        /// Digest from the descriptor or reference.
        expected: Digest,
        /// Digest of the bytes actually received.
        actual: Digest,
        /// Number of bytes received.
        bytes: u64,
    },
    /// The content length differs from the descriptor's `size`.
    #[error("content size does not match its descriptor: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// Size from the descriptor, in bytes.
        expected: u64,
        /// Bytes actually received.
        actual: u64,
    },
}

/// Streaming `sha256` hasher with a byte counter.
///
/// Feed chunks with [`Verifier::update`] as they arrive, then either take the
/// result with [`Verifier::finish`] or check it with [`Verifier::verify`].
#[derive(Clone, Default)]
pub struct Verifier {
    hasher: Sha256,
    bytes: u64,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &"sha256")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier that has seen no bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hash another chunk of content.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        // usize fits in u64 on every supported target.
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
    }

    /// Total bytes seen so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The `sha256` digest of everything seen, and the byte count.
    pub fn finish(self) -> (Digest, u64) {
        let hex = format!("{:x}", self.hasher.finalize());
        (
            Digest {
                algorithm: "sha256".to_owned(),
                hex,
            },
            self.bytes,
        )
    }

    /// Check the content against `expected` (and `expected_size` in bytes,
    /// when known). The size is checked first since it is the more precise
    /// diagnosis; returns the actual digest on success.
    pub fn verify(
        self,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<Digest, VerifyError> {
        let (actual, bytes) = self.finish();
        Verifier::check(actual, bytes, expected, expected_size)
    }

    /// [`Verifier::verify`] for a digest computed elsewhere: `actual` of
    /// `bytes` bytes (for example by the host the component runs in).
    pub fn check(
        actual: Digest,
        bytes: u64,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<Digest, VerifyError> {
        if !expected.is_sha256() {
            return Err(VerifyError::UnsupportedAlgorithm {
                algorithm: expected.algorithm.clone(),
            });
        }
        if let Some(size) = expected_size
            && size != bytes
        {
            return Err(VerifyError::SizeMismatch {
                expected: size,
                actual: bytes,
            });
        }
        if actual != *expected {
            return Err(VerifyError::DigestMismatch {
                expected: expected.clone(),
                actual,
                bytes,
            });
        }
        Ok(actual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const HELLO: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn parses_good_digests_and_round_trips() {
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        let good = [
            EMPTY,
            HELLO,
            sha512.as_str(),
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
            "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
            "blake3:Ab=_-",
            "a.b_c-d+e:x",
        ];
        for input in good {
            let digest: Digest = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(digest.to_string(), input);
            assert_eq!(digest.to_string().parse::<Digest>().unwrap(), digest);
            let (alg, enc) = input.split_once(':').unwrap();
            assert_eq!(digest.algorithm(), alg);
            assert_eq!(digest.encoded(), enc);
        }
    }

    #[test]
    fn rejects_bad_digests() {
        let upper = format!("sha256:{}", "A".repeat(64));
        let short512 = format!("sha512:{}", "a".repeat(64));
        let bad: &[(&str, &str)] = &[
            ("", "digest must be `algorithm:hex`"),
            ("sha256", "digest must be `algorithm:hex`"),
            (":abc", "digest must be `algorithm:hex`"),
            ("sha256:", "digest must be `algorithm:hex`"),
            ("SHA256:abc", "digest algorithm `SHA256` must match"),
            ("sha256+:abc", "digest algorithm `sha256+` must match"),
            ("a..b:abc", "digest algorithm `a..b` must match"),
            ("foo:ab/c", "digest encoding must match"),
            ("foo:ab:c", "digest encoding must match"),
            (
                "sha256:short",
                "a `sha256` digest must be exactly 64 lowercase hex characters",
            ),
            (
                &upper,
                "a `sha256` digest must be exactly 64 lowercase hex characters",
            ),
            (
                &short512,
                "a `sha512` digest must be exactly 128 lowercase hex characters",
            ),
        ];
        for (input, message) in bad {
            let err = input.parse::<Digest>().expect_err(input);
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("invalid digest `{input}`: ")),
                "{text}"
            );
            assert!(text.contains(message), "{input}: {text}");
            assert_eq!(err.input(), *input);
        }
    }

    #[test]
    fn sha256_helpers_agree() {
        assert_eq!(Digest::sha256_of(b"").to_string(), EMPTY);
        assert_eq!(Digest::sha256_of(b"hello").to_string(), HELLO);
        let raw: [u8; 32] = Sha256::digest(b"hello").into();
        assert_eq!(Digest::from_sha256_bytes(&raw).to_string(), HELLO);
        assert_eq!(Digest::from_sha256_bytes(&raw).sha256_bytes(), Some(raw));
        let other: Digest = format!("sha512:{}", "ab".repeat(64)).parse().unwrap();
        assert_eq!(other.sha256_bytes(), None);
    }

    #[test]
    fn serde_uses_string_form() {
        let digest: Digest = HELLO.parse().unwrap();
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"{HELLO}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
        let err = serde_json::from_str::<Digest>("\"sha256:nope\"").unwrap_err();
        assert!(
            err.to_string().contains("invalid digest `sha256:nope`"),
            "{err}"
        );
    }

    #[test]
    fn verifier_streams_and_counts() {
        let mut v = Verifier::new();
        v.update(b"hel");
        v.update(b"");
        v.update(b"lo");
        assert_eq!(v.bytes(), 5);
        let (digest, bytes) = v.clone().finish();
        assert_eq!((digest.to_string().as_str(), bytes), (HELLO, 5));
        let expected: Digest = HELLO.parse().unwrap();
        assert_eq!(v.clone().verify(&expected, Some(5)).unwrap(), expected);
        assert_eq!(v.verify(&expected, None).unwrap(), expected);
    }

    #[test]
    fn verifier_reports_failures() {
        let hello: Digest = HELLO.parse().unwrap();
        let empty: Digest = EMPTY.parse().unwrap();
        let mut v = Verifier::new();
        v.update(b"hello");

        let err = v.clone().verify(&empty, Some(5)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::DigestMismatch {
                expected: empty.clone(),
                actual: hello.clone(),
                bytes: 5
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "content does not match its digest: expected `{EMPTY}`, got `{HELLO}` after 5 bytes"
            )
        );

        let err = v.clone().verify(&hello, Some(6)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::SizeMismatch {
                expected: 6,
                actual: 5
            }
        );
        assert_eq!(
            err.to_string(),
            "content size does not match its descriptor: expected 6 bytes, got 5"
        );

        let other: Digest = format!("sha512:{}", "0".repeat(128)).parse().unwrap();
        let err = v.verify(&other, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot verify `sha512` digests: only `sha256` is supported"
        );
    }
}
