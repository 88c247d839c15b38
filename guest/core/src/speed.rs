//! The low-speed deadline of a transfer (curl's `--speed-limit` and
//! `--speed-time`): a body whose rate stays below a floor for a whole
//! period fails, even when no single gap between its bytes is long enough
//! for the between-bytes timeout (a registry that drips 2 bytes a second
//! would otherwise keep a download alive for ever).

use std::time::Duration;

/// The default floor, in bytes per second.
pub const DEFAULT_LIMIT: u64 = 1024;
/// The default period the rate must stay below the floor to fail.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(30);

/// Counts the bytes of one transfer against the floor.
#[derive(Debug, Clone)]
pub struct SpeedFloor {
    limit: u64,
    period: Duration,
    window_start: Duration,
    window_bytes: u64,
    total: u64,
}

/// A transfer that stayed below the floor for a whole period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the transfer stayed below {limit} bytes/s for {period} s ({total} bytes in {elapsed:.1} s); \
     set WKG_HTTP_SPEED_LIMIT (bytes/s, 0 for no floor) or WKG_HTTP_SPEED_TIME (seconds) to \
     change the floor",
    period = .period.as_secs(),
    elapsed = .elapsed.as_secs_f64()
)]
#[non_exhaustive]
pub struct TooSlow {
    /// The floor, bytes per second.
    pub limit: u64,
    /// The period.
    pub period: Duration,
    /// Bytes received in all.
    pub total: u64,
    /// Time since the transfer began.
    pub elapsed: Duration,
}

impl SpeedFloor {
    /// A floor of `limit` bytes per second over `period`.
    pub fn new(limit: u64, period: Duration) -> SpeedFloor {
        SpeedFloor {
            limit,
            period: period.max(Duration::from_secs(1)),
            window_start: Duration::ZERO,
            window_bytes: 0,
            total: 0,
        }
    }

    /// The floor `WKG_HTTP_SPEED_LIMIT` and `WKG_HTTP_SPEED_TIME` ask for
    /// (defaults [`DEFAULT_LIMIT`] and [`DEFAULT_PERIOD`]); `None` for a
    /// limit of 0.
    pub fn from_settings(limit: Option<&str>, period: Option<&str>) -> Option<SpeedFloor> {
        let limit = limit
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_LIMIT);
        let period = period
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map_or(DEFAULT_PERIOD, Duration::from_secs);
        (limit > 0).then(|| SpeedFloor::new(limit, period))
    }

    /// Counts `bytes` arriving `now` after the transfer began.
    ///
    /// # Errors
    /// [`TooSlow`] when the period that just ended brought fewer than
    /// `limit × period` bytes.
    pub fn record(&mut self, bytes: u64, now: Duration) -> Result<(), TooSlow> {
        self.total = self.total.saturating_add(bytes);
        self.window_bytes = self.window_bytes.saturating_add(bytes);
        let window = now.saturating_sub(self.window_start);
        if window >= self.period {
            let wanted = self.limit.saturating_mul(window.as_secs());
            if self.window_bytes < wanted {
                return Err(TooSlow {
                    limit: self.limit,
                    period: self.period,
                    total: self.total,
                    elapsed: now,
                });
            }
            self.window_start = now;
            self.window_bytes = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_drip_fails_within_the_period() {
        let mut floor = SpeedFloor::new(1024, Duration::from_secs(2));
        let mut t = 0.0;
        let err = loop {
            t += 0.5;
            if let Err(e) = floor.record(2, secs(t)) {
                break e;
            }
        };
        assert_eq!(err.elapsed, secs(2.0));
        assert_eq!(err.total, 8);
        assert!(
            err.to_string().contains("below 1024 bytes/s for 2 s"),
            "{err}"
        );
        assert!(err.to_string().contains("WKG_HTTP_SPEED_LIMIT"), "{err}");
    }

    #[test]
    fn a_fast_or_bursty_transfer_passes() {
        let mut floor = SpeedFloor::new(1024, Duration::from_secs(2));
        for n in 1..100 {
            floor.record(64 * 1024, secs(f64::from(n) * 0.1)).unwrap();
        }
        // A slow start that catches up within the period.
        let mut floor = SpeedFloor::new(1024, Duration::from_secs(2));
        floor.record(10, secs(1.0)).unwrap();
        floor.record(4096, secs(2.5)).unwrap();
        floor.record(10, secs(3.0)).unwrap();
    }

    #[test]
    fn settings() {
        assert!(SpeedFloor::from_settings(Some("0"), None).is_none());
        let floor = SpeedFloor::from_settings(None, None).unwrap();
        assert_eq!((floor.limit, floor.period), (DEFAULT_LIMIT, DEFAULT_PERIOD));
        let floor = SpeedFloor::from_settings(Some("10"), Some("3")).unwrap();
        assert_eq!((floor.limit, floor.period), (10, Duration::from_secs(3)));
        let floor = SpeedFloor::from_settings(Some("x"), Some("0")).unwrap();
        assert_eq!((floor.limit, floor.period), (DEFAULT_LIMIT, DEFAULT_PERIOD));
    }
}
