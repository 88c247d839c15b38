//! When to retry an idempotent request (GET and HEAD of `/v2/`, manifests,
//! blobs, tag lists, tokens, `registry.json`), and how long to wait first.
//!
//! Public registries answer `429` and `5xx` routinely; docker, containerd
//! and crane retry with backoff, wkg 0.16.1 retries a reset connection once.
//! The rule here:
//!
//! * retried: a connection that failed before any byte of the response
//!   (refused, reset, closed), and the statuses `429`, `502`, `503` and
//!   `504`; never `401`, `403`, `404` or any other status;
//! * at most [`DEFAULT_ATTEMPTS`] attempts in all (`WKG_HTTP_RETRIES`, the
//!   number of attempts, `1` for none);
//! * the wait before attempt `n + 1` is `Retry-After` when the response has
//!   one (seconds, or an HTTP-date), else exponential backoff from
//!   [`BASE_DELAY`] with ±25 % jitter; never more than [`MAX_DELAY`].

use std::time::Duration;

/// Attempts in all, the first included.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// The wait before the second attempt, before jitter; it doubles for each
/// attempt after.
pub const BASE_DELAY: Duration = Duration::from_millis(250);
/// The longest wait, `Retry-After` included.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// Whether a response with `status` is worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The number of attempts `WKG_HTTP_RETRIES` asks for: a positive integer,
/// else [`DEFAULT_ATTEMPTS`]; capped at 10.
pub fn attempts(setting: Option<&str>) -> u32 {
    setting
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|n| *n >= 1)
        .map_or(DEFAULT_ATTEMPTS, |n| n.min(10))
}

/// The wait before attempt `attempt + 1` after attempt `attempt` (from 1)
/// failed: [`BASE_DELAY`] doubled per attempt, times `0.75 + jitter / 2`
/// for `jitter` in `[0, 1]`, capped at [`MAX_DELAY`].
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let doubled = BASE_DELAY.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let factor = 0.75 + jitter.clamp(0.0, 1.0) / 2.0;
    doubled.mul_f64(factor).min(MAX_DELAY)
}

/// The wait a `Retry-After` value asks for (RFC 9110 §10.2.3): delay
/// seconds, or an HTTP-date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`)
/// compared with `now` (Unix seconds); capped at [`MAX_DELAY`]. `None` for
/// a value that is neither.
pub fn retry_after(value: &str, now: u64) -> Option<Duration> {
    let value = value.trim();
    let wait = if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        Duration::from_secs(http_date(value)?.saturating_sub(now))
    };
    Some(wait.min(MAX_DELAY))
}

/// The Unix time of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    let weekday = parts.next()?;
    if !weekday.ends_with(',') {
        return None;
    }
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || parts.next().is_some() || clock.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || year < 1970 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3_600 + m * 60 + s)
}

/// Days from 1970-01-01 to the proleptic Gregorian date (year >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12; // 0 = March
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for status in [429, 502, 503, 504] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 500, 501, 505] {
            assert!(!retryable_status(status), "{status}");
        }
    }

    #[test]
    fn attempts_setting() {
        assert_eq!(attempts(None), 3);
        assert_eq!(attempts(Some("1")), 1);
        assert_eq!(attempts(Some(" 5 ")), 5);
        assert_eq!(attempts(Some("0")), 3);
        assert_eq!(attempts(Some("x")), 3);
        assert_eq!(attempts(Some("99")), 10);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        assert_eq!(backoff(1, 0.5), Duration::from_millis(250));
        assert_eq!(backoff(2, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(1, 0.0), Duration::from_micros(187_500));
        assert_eq!(backoff(1, 1.0), Duration::from_micros(312_500));
        assert_eq!(backoff(40, 1.0), MAX_DELAY);
    }

    #[test]
    fn retry_after_values() {
        let now = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
        let cases = [
            ("1", Some(1)),
            (" 2 ", Some(2)),
            ("3600", Some(30)),
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(0)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10)),
            ("Sun, 06 Nov 1994 08:49:27 GMT", Some(0)),
            ("Tue, 01 Dec 2026 10:00:00 GMT", Some(30)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", None),
            ("Sun Nov  6 08:49:37 1994", None),
            ("-1", None),
            ("", None),
            ("soon", None),
        ];
        for (value, secs) in cases {
            assert_eq!(
                retry_after(value, now),
                secs.map(Duration::from_secs),
                "{value}"
            );
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 12, 1), 20_788);
        // The example of RFC 9110.
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
    }
}
