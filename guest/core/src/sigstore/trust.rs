//! The trusted root (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`,
//! JSON): the transparency logs, certificate authorities, CT logs and
//! timestamp authorities a verification trusts, each with the window in
//! which it is trusted (both bounds included).

use serde::Deserialize;

use super::Error;
use super::crypto::VerifyingKey;
use super::x509::Certificate;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    tlogs: Vec<LogDocument>,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityDocument>,
    #[serde(default)]
    ctlogs: Vec<LogDocument>,
    #[serde(default)]
    timestamp_authorities: Vec<AuthorityDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogDocument {
    #[serde(default)]
    base_url: String,
    public_key: KeyDocument,
    log_id: super::bundle::LogId,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyDocument {
    #[serde(default)]
    raw_bytes: Option<String>,
    #[serde(default)]
    key_details: Option<String>,
    #[serde(default)]
    valid_for: Option<ValidFor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct ValidFor {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityDocument {
    #[serde(default)]
    uri: String,
    cert_chain: super::bundle::CertificateChain,
    #[serde(default)]
    valid_for: Option<ValidFor>,
}

/// A window of trust, in Unix seconds; `None` bounds are open. A trusted
/// root without a start where one is required is refused when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub start: Option<u64>,
    pub end: Option<u64>,
}

impl Window {
    /// Whether `time` lies within, bounds included.
    pub fn contains(&self, time: u64) -> bool {
        self.start.is_none_or(|s| s <= time) && self.end.is_none_or(|e| time <= e)
    }
}

/// A transparency log or CT log: its key, its id, its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    pub base_url: String,
    /// The log id (for Rekor v1 and CT: the SHA-256 of the key's DER).
    pub id: Vec<u8>,
    pub key: VerifyingKey,
    /// The key's DER `SubjectPublicKeyInfo`.
    pub key_der: Vec<u8>,
    pub window: Window,
}

/// A certificate or timestamp authority: its chain (issuer-most last)
/// and its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub uri: String,
    pub chain: Vec<Certificate>,
    pub window: Window,
}

/// A trusted root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedRoot {
    pub tlogs: Vec<Log>,
    pub certificate_authorities: Vec<Authority>,
    pub ctlogs: Vec<Log>,
    pub timestamp_authorities: Vec<Authority>,
}

fn malformed(reason: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: "trusted root",
        reason: reason.to_string(),
    }
}

/// An RFC 3339 time (`2021-01-12T11:53:27Z`, fractions and offsets
/// allowed) in Unix seconds (fractions dropped).
///
/// # Errors
/// [`Error::Malformed`].
pub fn parse_rfc3339(text: &str) -> Result<u64, Error> {
    let bad = || malformed(format!("`{text}` is not an RFC 3339 time"));
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, Error> {
        text.get(r).and_then(|s| s.parse().ok()).ok_or_else(bad)
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(rest.as_bytes()[0], b'+' | b'-') => {
            let h: i64 = rest[1..3].parse().map_err(|_| bad())?;
            let m: i64 = rest[4..6].parse().map_err(|_| bad())?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).map_err(|_| bad())
}

fn window(valid: Option<&ValidFor>, start_required: bool, what: &str) -> Result<Window, Error> {
    let start = valid
        .and_then(|v| v.start.as_deref())
        .map(parse_rfc3339)
        .transpose()?;
    if start_required && start.is_none() {
        return Err(malformed(format!("{what} has no `validFor.start`")));
    }
    let end = valid
        .and_then(|v| v.end.as_deref())
        .map(parse_rfc3339)
        .transpose()?;
    Ok(Window { start, end })
}

fn log(doc: &LogDocument, what: &str) -> Result<Log, Error> {
    let raw = doc
        .public_key
        .raw_bytes
        .as_deref()
        .ok_or_else(|| malformed(format!("{what} `{}` has no key", doc.base_url)))?;
    let key_der = super::base64("trusted root key", raw)?;
    Ok(Log {
        base_url: doc.base_url.clone(),
        id: super::base64("trusted root log id", &doc.log_id.key_id)?,
        key: VerifyingKey::from_spki_der(&key_der)?,
        key_der,
        window: window(doc.public_key.valid_for.as_ref(), true, what)?,
    })
}

fn authority(doc: &AuthorityDocument, what: &str) -> Result<Authority, Error> {
    let chain = doc
        .cert_chain
        .certificates
        .iter()
        .map(|c| Certificate::from_der(&super::base64("certificate", &c.raw_bytes)?))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Authority {
        uri: doc.uri.clone(),
        chain,
        window: window(doc.valid_for.as_ref(), false, what)?,
    })
}

/// The trusted root of Sigstore's public-good instance shipped with wkg
/// (provenance in `data/README.md`): what verification trusts unless a
/// trusted root is given.
pub const PUBLIC_GOOD: &[u8] = include_bytes!("data/trusted_root.public-good.json");

impl TrustedRoot {
    /// Parses a trusted root.
    ///
    /// # Errors
    /// [`Error::Malformed`] for JSON of another shape, keys or
    /// certificates that do not parse, a log without `validFor.start`.
    pub fn from_json(bytes: &[u8]) -> Result<TrustedRoot, Error> {
        let doc: Document = crate::json::from_object(bytes).map_err(malformed)?;
        // A key that this crate cannot read (say, a newer algorithm) makes
        // only its log unusable, not the root.
        let logs = |docs: &[LogDocument], what: &str| -> Result<Vec<Log>, Error> {
            let mut out = Vec::new();
            for d in docs {
                match log(d, what) {
                    Ok(l) => out.push(l),
                    Err(
                        e @ Error::Malformed {
                            what: "trusted root",
                            ..
                        },
                    ) => return Err(e),
                    Err(_) => {}
                }
            }
            Ok(out)
        };
        Ok(TrustedRoot {
            tlogs: logs(&doc.tlogs, "transparency log")?,
            certificate_authorities: doc
                .certificate_authorities
                .iter()
                .map(|a| authority(a, "certificate authority"))
                .collect::<Result<_, _>>()?,
            ctlogs: logs(&doc.ctlogs, "CT log")?,
            timestamp_authorities: doc
                .timestamp_authorities
                .iter()
                .map(|a| authority(a, "timestamp authority"))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The transparency log with `id`.
    pub fn tlog(&self, id: &[u8]) -> Option<&Log> {
        self.tlogs.iter().find(|l| l.id == id)
    }

    /// The CT log with `id`.
    pub fn ctlog(&self, id: &[u8]) -> Option<&Log> {
        self.ctlogs.iter().find(|l| l.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_root_reads() {
        let root = TrustedRoot::from_json(PUBLIC_GOOD).unwrap();
        assert!(!root.tlogs.is_empty() && !root.certificate_authorities.is_empty());
        assert!(!root.ctlogs.is_empty() && !root.timestamp_authorities.is_empty());
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27Z"), Ok(1_610_452_407));
        assert_eq!(parse_rfc3339("2022-12-31T23:59:59.999Z"), Ok(1_672_531_199));
        assert_eq!(
            parse_rfc3339("2021-01-12T12:53:27+01:00"),
            Ok(1_610_452_407)
        );
        for bad in [
            "2021-01-12",
            "2021-13-01T00:00:00Z",
            "2021-01-12T11:53:27",
            "x",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_include_their_bounds() {
        let w = Window {
            start: Some(10),
            end: Some(20),
        };
        assert!(w.contains(10) && w.contains(20) && !w.contains(9) && !w.contains(21));
        assert!(Window::default().contains(0));
    }
}
