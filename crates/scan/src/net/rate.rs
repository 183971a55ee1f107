//! A token bucket shared by every probe of a scan, so the configured packets-per-second rate
//! holds across all concurrent workers.
//!
//! Tokens may go negative: an acquirer that finds the bucket empty reserves the next token and
//! sleeps until it is due, so waiters are served in order without spinning.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket; `acquire` returns when the caller may send one probe.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_sec: f64,
    burst: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// A bucket refilling at `rate` per second, holding at most a 50 ms burst (at least one).
    pub(crate) fn new(rate: NonZeroU32) -> Self {
        let per_sec = f64::from(rate.get());
        let burst = (per_sec / 20.0).max(1.0);
        Self {
            per_sec,
            burst,
            state: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// Waits until one more probe fits the rate.
    pub(crate) async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token (possibly owing it) and says how long until it is due.
    fn reserve(&self, now: Instant) -> Duration {
        // A poisoned lock only means another worker panicked mid-update of two plain numbers;
        // the bucket is still usable, so recover it instead of failing every later probe.
        let mut b = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refill = now.saturating_duration_since(b.last).as_secs_f64() * self.per_sec;
        b.tokens = (b.tokens + refill).min(self.burst);
        b.last = now;
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / self.per_sec)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_space_out_at_the_rate() {
        let limiter = RateLimiter::new(NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN));
        let now = Instant::now();
        // Burst of 5 (50 ms at 100/s) is free, then each probe is 10 ms later than the last.
        let waits: Vec<u128> = (0..8).map(|_| limiter.reserve(now).as_millis()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 10, 20, 30]);
        let later = now + Duration::from_millis(100);
        assert_eq!(limiter.reserve(later), Duration::ZERO);
    }

    #[tokio::test]
    async fn acquire_holds_the_rate() {
        let limiter = RateLimiter::new(NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN));
        let start = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        // 10 burst tokens, then 20 more at 5 ms each: about 100 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "{:?}",
            start.elapsed()
        );
    }
}
