//! [`Clock`]: where the crate reads the time and waits, so that expiry, refresh and retry
//! logic can be tested by moving a clock instead of sleeping.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use crate::retry::Shutdown;

/// A source of time. Every place in this crate that reads the time or waits goes through
/// one: the credentials cache (expiry and refresh), signatures, the instance-metadata
/// session token's lifetime, an SSO token's expiry, the credential providers' retry
/// waits and the `wait_for_*_active` polls. [`SystemClock`] is the real one; tests inject
/// `test_util::ManualClock` (feature `test-util`) through
/// [`crate::credentials::ProviderContext::with_clock`] and [`crate::ClientBuilder::clock`].
///
/// ```
/// use kinesis_wire::{Clock, Shutdown, SystemClock};
/// use std::time::{Duration, SystemTime};
/// let clock = SystemClock;
/// assert!(clock.now() > SystemTime::UNIX_EPOCH);
/// assert!(clock.sleep(Duration::from_millis(1), &Shutdown::new()));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Wall-clock time: credential expiry, signatures.
    fn now(&self) -> SystemTime;

    /// Monotonic time: lifetimes and deadlines.
    fn instant(&self) -> Instant;

    /// Waits `d` unless `shutdown` triggers first; `true` when the whole time passed,
    /// `false` when interrupted (or already triggered). The default waits on `shutdown`
    /// ([`Shutdown::sleep`]).
    fn sleep(&self, d: Duration, shutdown: &Shutdown) -> bool {
        shutdown.sleep(d)
    }
}

/// The real clock: [`SystemTime::now`], [`Instant::now`], and waits that a [`Shutdown`]
/// interrupts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// The shared [`SystemClock`], for defaults.
pub(crate) fn system() -> std::sync::Arc<dyn Clock> {
    std::sync::Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_sleep_is_interrupted_by_a_triggered_shutdown() {
        let s = Shutdown::new();
        s.trigger();
        let start = Instant::now();
        assert!(!SystemClock.sleep(Duration::from_secs(30), &s));
        assert!(start.elapsed() < Duration::from_secs(5));
        let before = SystemClock.instant();
        assert!(SystemClock.sleep(Duration::from_millis(5), &Shutdown::new()));
        assert!(SystemClock.instant() >= before + Duration::from_millis(5));
    }
}
