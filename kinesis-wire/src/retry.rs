//! Full-jitter backoff, bounded retries, and the shutdown token that interrupts them.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};
use crate::error::KinesisError;

/// Flink's full-jitter backoff (`FullJitterBackoff`):
/// `sleep = random[0,1) × min(max, base × exponent^attempt)`.
///
/// ```
/// use kinesis_wire::Backoff;
/// use std::time::Duration;
/// let b = Backoff::new(Duration::from_millis(300), Duration::from_millis(1000), 1.5);
/// assert_eq!(b.cap(0), Duration::from_millis(300));
/// assert_eq!(b.cap(1), Duration::from_millis(450));
/// assert_eq!(b.cap(5), Duration::from_millis(1000));
/// assert!(b.delay(2) <= Duration::from_millis(675));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// Base delay (attempt 0's cap).
    pub base: Duration,
    /// Upper bound of any delay.
    pub max: Duration,
    /// Growth factor per attempt.
    pub exponent: f64,
}

impl Backoff {
    /// A backoff with these parameters.
    pub fn new(base: Duration, max: Duration, exponent: f64) -> Self {
        Backoff {
            base,
            max,
            exponent,
        }
    }

    /// The upper bound of the delay after failed attempt number `attempt` (0-based):
    /// `min(max, base × exponent^attempt)`, computed in whole milliseconds as Flink does.
    pub fn cap(&self, attempt: u32) -> Duration {
        let base_ms = self.base.as_millis() as f64;
        let max_ms = self.max.as_millis() as f64;
        let grown = base_ms * self.exponent.powi(attempt.min(i32::MAX as u32) as i32);
        let ms = if grown.is_finite() {
            grown.min(max_ms)
        } else {
            max_ms
        };
        Duration::from_millis(ms.max(0.0) as u64)
    }

    /// A full-jitter delay for `attempt` (0-based): uniform in `[0, cap(attempt))`.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, fastrand::f64())
    }

    /// The delay for a given random draw `r` in `[0, 1)`; deterministic, for tests.
    pub fn delay_with(&self, attempt: u32, r: f64) -> Duration {
        let cap_ms = self.cap(attempt).as_millis() as f64;
        Duration::from_millis((r.clamp(0.0, 1.0) * cap_ms) as u64)
    }
}

impl Default for Backoff {
    /// Flink's GetRecords defaults: base 300 ms, max 1000 ms, exponent 1.5.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(300), Duration::from_millis(1000), 1.5)
    }
}

/// How often a call is retried and how long to wait in between. Each call site has its own.
///
/// ```
/// use kinesis_wire::{Backoff, KinesisError, RetryPolicy, Shutdown};
/// use std::time::Duration;
/// let policy = RetryPolicy::new(3, Backoff::new(Duration::ZERO, Duration::ZERO, 1.5));
/// let mut calls = 0;
/// let out: Result<u32, KinesisError> = policy.run(&Shutdown::new(), |_attempt| {
///     calls += 1;
///     Ok(7)
/// });
/// assert_eq!(out.unwrap(), 7);
/// assert_eq!(calls, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Total calls allowed, first one included (Flink's `maxretries + 1`). At least 1; 0 is
    /// treated as 1.
    pub max_attempts: u32,
    /// Delay between calls.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    /// 4 attempts with the default [`Backoff`] (Flink's GetRecords defaults).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            backoff: Backoff::default(),
        }
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` calls separated by `backoff`.
    pub fn new(max_attempts: u32, backoff: Backoff) -> Self {
        RetryPolicy {
            max_attempts,
            backoff,
        }
    }

    /// One call, no retries.
    pub fn no_retry() -> Self {
        RetryPolicy::new(1, Backoff::new(Duration::ZERO, Duration::ZERO, 1.0))
    }

    /// Calls `op(attempt)` (attempt is 0-based) until it succeeds, fails with an error that
    /// is not [`KinesisError::is_retryable`], or `max_attempts` calls have been made; sleeps
    /// `backoff.delay(attempt)` between calls. Exhaustion gives
    /// [`KinesisError::RetriesExhausted`] with the attempt count and last error; a triggered
    /// `shutdown` ends the wait at once with [`KinesisError::Interrupted`].
    pub fn run<T>(
        &self,
        shutdown: &Shutdown,
        op: impl FnMut(u32) -> Result<T, KinesisError>,
    ) -> Result<T, KinesisError> {
        self.run_if(shutdown, KinesisError::is_retryable, op)
    }

    /// Like [`RetryPolicy::run`], with the caller's own rule for which errors to retry
    /// (e.g. Flink's recoverable-error list, or retrying `ResourceInUseException`).
    pub fn run_if<T>(
        &self,
        shutdown: &Shutdown,
        retryable: impl Fn(&KinesisError) -> bool,
        op: impl FnMut(u32) -> Result<T, KinesisError>,
    ) -> Result<T, KinesisError> {
        self.retry(shutdown, retryable, op)
            .map_err(|stop| match stop {
                RetryStop::Fatal(e) => e,
                RetryStop::Exhausted { attempts, last } => KinesisError::RetriesExhausted {
                    attempts,
                    last: Box::new(last),
                },
                RetryStop::Interrupted { attempts, last } => KinesisError::Interrupted {
                    attempts,
                    last: last.map(Box::new),
                },
            })
    }

    /// The retry loop for any error type: calls `op(attempt)` (0-based) until it succeeds,
    /// fails with an error `retryable` refuses ([`RetryStop::Fatal`]), or `max_attempts`
    /// calls have failed ([`RetryStop::Exhausted`]); sleeps `backoff.delay(attempt)` between
    /// calls. A triggered `shutdown` stops before the next call and ends a sleep at once
    /// ([`RetryStop::Interrupted`]). The credential providers retry through this.
    ///
    /// ```
    /// use kinesis_wire::{Backoff, RetryPolicy, Shutdown};
    /// use kinesis_wire::RetryStop;
    /// use std::time::Duration;
    /// let policy = RetryPolicy::new(3, Backoff::new(Duration::ZERO, Duration::ZERO, 2.0));
    /// let mut calls = 0;
    /// let out: Result<(), _> = policy.retry(&Shutdown::new(), |e: &&str| *e == "busy", |_| {
    ///     calls += 1;
    ///     Err("busy")
    /// });
    /// assert!(matches!(out, Err(RetryStop::Exhausted { attempts: 3, last: "busy" })));
    /// ```
    pub fn retry<T, E: fmt::Display>(
        &self,
        shutdown: &Shutdown,
        retryable: impl Fn(&E) -> bool,
        op: impl FnMut(u32) -> Result<T, E>,
    ) -> Result<T, RetryStop<E>> {
        self.retry_on(&SystemClock, shutdown, retryable, op)
    }

    /// [`RetryPolicy::retry`], waiting on `clock` ([`Clock::sleep`]) instead of the real
    /// time: with a manual clock, a test of the retries does not wait.
    ///
    /// ```
    /// use kinesis_wire::{Backoff, RetryPolicy, Shutdown, SystemClock};
    /// use std::time::Duration;
    /// let policy = RetryPolicy::new(2, Backoff::new(Duration::from_millis(1), Duration::from_millis(1), 1.0));
    /// let out: Result<(), _> = policy.retry_on(&SystemClock, &Shutdown::new(), |_: &&str| true, |_| Err("busy"));
    /// assert!(out.is_err());
    /// ```
    pub fn retry_on<T, E: fmt::Display>(
        &self,
        clock: &dyn Clock,
        shutdown: &Shutdown,
        retryable: impl Fn(&E) -> bool,
        mut op: impl FnMut(u32) -> Result<T, E>,
    ) -> Result<T, RetryStop<E>> {
        let max = self.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            if shutdown.is_triggered() {
                return Err(RetryStop::Interrupted {
                    attempts: attempt,
                    last: None,
                });
            }
            let err = match op(attempt) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            if !retryable(&err) {
                return Err(RetryStop::Fatal(err));
            }
            if attempt >= max {
                return Err(RetryStop::Exhausted {
                    attempts: attempt,
                    last: err,
                });
            }
            let delay = self.backoff.delay(attempt - 1);
            log::debug!("attempt {attempt}/{max} failed, retrying in {delay:?}: {err}");
            if !clock.sleep(delay, shutdown) {
                return Err(RetryStop::Interrupted {
                    attempts: attempt,
                    last: Some(err),
                });
            }
        }
    }
}

/// Why [`RetryPolicy::retry`] gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryStop<E> {
    /// A call failed with an error that is not retried.
    Fatal(E),
    /// Every allowed call failed with a retryable error.
    Exhausted {
        /// How many calls were made.
        attempts: u32,
        /// The error of the last call.
        last: E,
    },
    /// The shutdown was triggered.
    Interrupted {
        /// How many calls were made before stopping.
        attempts: u32,
        /// The error of the last call, if one was made.
        last: Option<E>,
    },
}

/// A shared stop signal: `trigger()` once, every clone sees it, and every
/// [`Shutdown::sleep`] in progress returns at once. The source and sink use one per
/// instance so that `close()` interrupts backoff sleeps.
///
/// ```
/// use kinesis_wire::Shutdown;
/// use std::time::{Duration, Instant};
/// let s = Shutdown::new();
/// let s2 = s.clone();
/// let t = std::thread::spawn(move || s2.sleep(Duration::from_secs(30)));
/// std::thread::sleep(Duration::from_millis(20));
/// let start = Instant::now();
/// s.trigger();
/// assert_eq!(t.join().unwrap(), false); // interrupted
/// assert!(start.elapsed() < Duration::from_secs(5));
/// assert!(s.is_triggered());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl Shutdown {
    /// A fresh, untriggered token.
    pub fn new() -> Self {
        Shutdown::default()
    }

    /// Signals shutdown and wakes every sleeper. Idempotent.
    pub fn trigger(&self) {
        let (lock, cv) = &*self.inner;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }

    /// Whether [`Shutdown::trigger`] has been called.
    pub fn is_triggered(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps for `d` unless shutdown is triggered first. Returns `true` when the full time
    /// elapsed, `false` when interrupted (or already triggered).
    pub fn sleep(&self, d: Duration) -> bool {
        let (lock, cv) = &*self.inner;
        let deadline = Instant::now() + d;
        let mut triggered = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if *triggered {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            triggered = cv
                .wait_timeout(triggered, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{codes, TransportError, TransportErrorKind};

    fn throttled() -> KinesisError {
        KinesisError::Service {
            action: "GetRecords",
            code: codes::PROVISIONED_THROUGHPUT_EXCEEDED.into(),
            message: String::new(),
            status: 400,
            request_id: None,
        }
    }

    #[test]
    fn backoff_matches_flink_formula() {
        let b = Backoff::new(
            Duration::from_millis(1000),
            Duration::from_millis(5000),
            1.5,
        );
        assert_eq!(b.cap(0), Duration::from_millis(1000));
        assert_eq!(b.cap(2), Duration::from_millis(2250));
        assert_eq!(b.cap(4), Duration::from_millis(5000));
        assert_eq!(b.cap(u32::MAX), Duration::from_millis(5000));
        assert_eq!(b.delay_with(2, 0.5), Duration::from_millis(1125));
        assert_eq!(b.delay_with(2, 0.0), Duration::ZERO);
        for a in 0..20 {
            assert!(b.delay(a) < b.cap(a).max(Duration::from_millis(1)));
        }
    }

    #[test]
    fn run_retries_then_succeeds_and_counts_attempts() {
        let p = RetryPolicy::new(
            5,
            Backoff::new(Duration::from_millis(1), Duration::from_millis(2), 2.0),
        );
        let mut seen = vec![];
        let out = p.run(&Shutdown::new(), |a| {
            seen.push(a);
            if a < 2 {
                Err(throttled())
            } else {
                Ok("ok")
            }
        });
        assert_eq!(out.unwrap(), "ok");
        assert_eq!(seen, vec![0, 1, 2]);
    }

    #[test]
    fn run_stops_at_max_attempts() {
        let p = RetryPolicy::new(3, Backoff::new(Duration::ZERO, Duration::ZERO, 1.5));
        let mut n = 0;
        let err = p
            .run(&Shutdown::new(), |_| -> Result<(), _> {
                n += 1;
                Err(throttled())
            })
            .unwrap_err();
        assert_eq!(n, 3);
        assert!(matches!(
            err,
            KinesisError::RetriesExhausted { attempts: 3, .. }
        ));
        assert!(err.to_string().contains("after 3 attempts"), "{err}");
    }

    #[test]
    fn run_does_not_retry_fatal_errors() {
        let p = RetryPolicy::default();
        let mut n = 0;
        let err = p
            .run(&Shutdown::new(), |_| -> Result<(), _> {
                n += 1;
                Err(KinesisError::Transport {
                    action: "GetRecords",
                    error: TransportError::new(TransportErrorKind::Tls, "bad cert"),
                })
            })
            .unwrap_err();
        assert_eq!(n, 1);
        assert!(matches!(err, KinesisError::Transport { .. }));
    }

    #[test]
    fn shutdown_interrupts_backoff_promptly() {
        let p = RetryPolicy::new(
            100,
            Backoff::new(Duration::from_secs(60), Duration::from_secs(60), 1.0),
        );
        let s = Shutdown::new();
        let s2 = s.clone();
        let (first_call, called) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            p.run(&s2, |_| -> Result<(), _> {
                let _ = first_call.send(());
                Err(throttled())
            })
        });
        // The first call failed; the loop is (about to be) in its 60 s backoff.
        called.recv_timeout(Duration::from_secs(30)).unwrap();
        let start = Instant::now();
        s.trigger();
        let err = t.join().unwrap().unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        match err {
            KinesisError::Interrupted { attempts, last } => {
                assert_eq!(attempts, 1);
                assert!(last.is_some());
            }
            other => panic!("expected Interrupted, got {other}"),
        }
        // Once triggered, no call is made at all.
        let mut called = false;
        let err = p.run(&s, |_| -> Result<(), _> {
            called = true;
            Ok(())
        });
        assert!(!called && matches!(err, Err(KinesisError::Interrupted { attempts: 0, .. })));
    }

    #[test]
    fn sleep_runs_full_time_when_not_triggered() {
        let s = Shutdown::new();
        let start = Instant::now();
        assert!(s.sleep(Duration::from_millis(30)));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
