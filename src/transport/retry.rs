//! The retry policy: what an attempt's outcome means for the next one ([`decide`], a pure
//! function of the outcome, the request's replay class and the retries so far), the
//! jittered exponential backoff, and the server's `Retry-After`.

use super::Replay;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest `Retry-After` the transport waits for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// An attempt's outcome, as the retry policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered `status`, with its `Retry-After` when it sent one.
    Answered { status: u16, retry_after: Option<Duration> },
    /// No answer: `retryable` for connection and timeout failures; `unsent` when the request
    /// surely never reached the server.
    Failed { retryable: bool, unsent: bool },
}

/// What the transport does after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send again after this wait (the caller still checks it against the deadline).
    Retry(Duration),
    Stop,
}

/// The retry policy (the `transport` module's rules), as a pure function: after an attempt with
/// `outcome`, of a request that may be replayed as `replay`, having retried `retries` of
/// `max_retries` times, with `backoff` the jittered wait for this retry: retry after the
/// longer of `backoff` and the server's `Retry-After` (up to [`MAX_RETRY_AFTER`]), or stop.
pub fn decide(outcome: Outcome, replay: Replay, retries: u32, max_retries: u32, backoff: Duration) -> Decision {
    let again = match outcome {
        Outcome::Answered { status, .. } => replay == Replay::Safe && matches!(status, 409 | 429 | 500..),
        Outcome::Failed { retryable, unsent } => retryable && (unsent || replay == Replay::Safe),
    };
    match outcome {
        _ if !again || retries >= max_retries => Decision::Stop,
        Outcome::Answered { retry_after: Some(after), .. } if after > MAX_RETRY_AFTER => Decision::Stop,
        Outcome::Answered { retry_after: Some(after), .. } => Decision::Retry(backoff.max(after)),
        _ => Decision::Retry(backoff),
    }
}

/// The wait before retry `n` (0-based): `min(0.5 s · 2^n, 5 s)` times a factor in [0.5, 1).
pub fn backoff(n: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << n.min(4)).min(Duration::from_secs(5));
    base.mul_f64(0.5 + jitter() * 0.5)
}

/// A random number in [0, 1) for jitter. The generator is seeded per use from a process-wide
/// counter and the clock, never from fastrand's thread-local one: that one calls
/// `std::thread::current()`, which registers a thread-exit destructor inside this library on
/// the host's thread, and a host whose threads outlive the loaded library (Node unloads it
/// before koffi's worker threads exit) then crashes at exit.
fn jitter() -> f64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::from(d.subsec_nanos()));
    fastrand::Rng::with_seed(SEQUENCE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos).f64()
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delay seconds, or an HTTP-date, as a wait from
/// `now` (zero for a date already past).
pub(super) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value.trim()).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn the_retry_decision_table() {
        use Decision::{Retry, Stop};
        use Replay::{OnlyIfUnsent, Safe};
        let b = Duration::from_millis(300);
        let answered = |status| Outcome::Answered { status, retry_after: None };
        let after = |secs| Outcome::Answered { status: 429, retry_after: Some(Duration::from_secs(secs)) };
        let failed = |retryable, unsent| Outcome::Failed { retryable, unsent };
        let table = [
            // (outcome, replay, retries so far, expected)
            (answered(200), Safe, 0, Stop),
            (answered(400), Safe, 0, Stop),
            (answered(404), Safe, 0, Stop),
            (answered(409), Safe, 0, Retry(b)),
            (answered(429), Safe, 0, Retry(b)),
            (answered(500), Safe, 0, Retry(b)),
            (answered(503), Safe, 1, Retry(b)),
            (answered(503), Safe, 2, Stop),
            (answered(409), OnlyIfUnsent, 0, Stop),
            (answered(429), OnlyIfUnsent, 0, Stop),
            (answered(502), OnlyIfUnsent, 0, Stop),
            (after(2), Safe, 0, Retry(Duration::from_secs(2))),
            (after(0), Safe, 0, Retry(b)),
            (after(11), Safe, 0, Stop),
            (after(2), OnlyIfUnsent, 0, Stop),
            (failed(true, true), OnlyIfUnsent, 0, Retry(b)),
            (failed(true, false), OnlyIfUnsent, 0, Stop),
            (failed(true, false), Safe, 0, Retry(b)),
            (failed(false, true), Safe, 0, Stop),
            (failed(true, true), Safe, 2, Stop),
        ];
        for (outcome, replay, retries, expected) in table {
            assert_eq!(decide(outcome, replay, retries, 2, b), expected, "{outcome:?} {replay:?} after {retries}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_five_seconds_with_jitter() {
        for _ in 0..100 {
            let b0 = backoff(0);
            assert!(b0 >= Duration::from_millis(250) && b0 < Duration::from_millis(500), "{b0:?}");
            let b1 = backoff(1);
            assert!(b1 >= Duration::from_millis(500) && b1 < Duration::from_millis(1000), "{b1:?}");
            let b9 = backoff(9);
            assert!(b9 >= Duration::from_millis(2500) && b9 < Duration::from_secs(5), "{b9:?}");
        }
    }
}
