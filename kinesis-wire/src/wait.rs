//! [`poll_until`]: the polling loop of the `wait_for_*_active` helpers (a stream, a
//! consumer, a DynamoDB table becoming usable).

use std::time::Duration;

use crate::clock::Clock;
use crate::error::KinesisError;
use crate::retry::Shutdown;

/// What one poll saw.
pub(crate) enum Poll<T> {
    /// Done: the value to return.
    Ready(T),
    /// Not yet: the state seen, for the timeout error.
    Pending(String),
}

/// Calls `poll` until it is [`Poll::Ready`] or fails, or `timeout` passes (then
/// [`KinesisError::WaitTimedOut`] names `what` and the last state seen), or `shutdown`
/// triggers ([`KinesisError::Interrupted`]). Waits 20 ms between polls at first, doubling up
/// to 1 s, never past the deadline; time is `clock`'s.
pub(crate) fn poll_until<T>(
    clock: &dyn Clock,
    shutdown: &Shutdown,
    what: impl FnOnce() -> String,
    timeout: Duration,
    mut poll: impl FnMut() -> Result<Poll<T>, KinesisError>,
) -> Result<T, KinesisError> {
    let start = clock.instant();
    let mut delay = Duration::from_millis(20);
    let mut polls = 0u32;
    loop {
        polls += 1;
        let state = match poll()? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(state) => state,
        };
        let elapsed = clock.instant().saturating_duration_since(start);
        if elapsed >= timeout {
            return Err(KinesisError::WaitTimedOut {
                what: what(),
                waited: elapsed,
                last_state: state,
            });
        }
        if !clock.sleep(delay.min(timeout - elapsed), shutdown) {
            return Err(KinesisError::Interrupted {
                attempts: polls,
                last: None,
            });
        }
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::test_util::ManualClock;

    #[test]
    fn returns_the_ready_value_and_passes_errors_through() {
        let mut n = 0;
        let v = poll_until(
            &SystemClock,
            &Shutdown::new(),
            String::new,
            Duration::from_secs(5),
            || {
                n += 1;
                Ok(if n < 3 {
                    Poll::Pending(format!("poll {n}"))
                } else {
                    Poll::Ready(n)
                })
            },
        )
        .unwrap();
        assert_eq!(v, 3);
        let e = poll_until::<()>(
            &SystemClock,
            &Shutdown::new(),
            String::new,
            Duration::from_secs(5),
            || {
                Err(KinesisError::Config {
                    message: "boom".into(),
                })
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
    }

    #[test]
    fn times_out_naming_what_and_the_last_state() {
        let mut n = 0;
        let clock = ManualClock::new();
        let e = poll_until::<()>(
            &*clock,
            &Shutdown::new(),
            || "table t to become ACTIVE".into(),
            Duration::from_secs(30),
            || {
                n += 1;
                assert!(n < 100, "the deadline must end the loop");
                Ok(Poll::Pending(format!("CREATING {n}")))
            },
        )
        .unwrap_err();
        match e {
            KinesisError::WaitTimedOut {
                what, last_state, ..
            } => {
                assert_eq!(what, "table t to become ACTIVE");
                assert_eq!(last_state, format!("CREATING {n}"));
            }
            other => panic!("{other}"),
        }
        // 20, 40, ... 640 ms, then 1 s waits until the 30 s deadline, never past it.
        let sleeps = clock.sleeps();
        assert_eq!(sleeps[..3], [20, 40, 80].map(Duration::from_millis));
        assert_eq!(sleeps.iter().sum::<Duration>(), Duration::from_secs(30));
        assert_eq!(n as usize, sleeps.len() + 1);
    }

    #[test]
    fn a_triggered_shutdown_stops_the_wait() {
        let s = Shutdown::new();
        s.trigger();
        let e = poll_until::<()>(
            &SystemClock,
            &s,
            String::new,
            Duration::from_secs(60),
            || Ok(Poll::Pending("CREATING".into())),
        )
        .unwrap_err();
        assert!(
            matches!(e, KinesisError::Interrupted { attempts: 1, .. }),
            "{e}"
        );
    }
}
