//! [`poll_until`]: the polling loop of the `wait_for_*_active` helpers (a stream, a
//! consumer, a DynamoDB table becoming usable).

use std::time::{Duration, Instant};

use crate::error::KinesisError;

/// What one poll saw.
pub(crate) enum Poll<T> {
    /// Done: the value to return.
    Ready(T),
    /// Not yet: the state seen, for the timeout error.
    Pending(String),
}

/// Calls `poll` until it is [`Poll::Ready`] or fails, or `timeout` passes (then
/// [`KinesisError::WaitTimedOut`] names `what` and the last state seen). Waits 20 ms between
/// polls at first, doubling up to 1 s, never past the deadline.
pub(crate) fn poll_until<T>(
    what: impl FnOnce() -> String,
    timeout: Duration,
    mut poll: impl FnMut() -> Result<Poll<T>, KinesisError>,
) -> Result<T, KinesisError> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(20);
    loop {
        let state = match poll()? {
            Poll::Ready(v) => return Ok(v),
            Poll::Pending(state) => state,
        };
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            return Err(KinesisError::WaitTimedOut {
                what: what(),
                waited: elapsed,
                last_state: state,
            });
        }
        std::thread::sleep(delay.min(timeout - elapsed));
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_ready_value_and_passes_errors_through() {
        let mut n = 0;
        let v = poll_until(String::new, Duration::from_secs(5), || {
            n += 1;
            Ok(if n < 3 {
                Poll::Pending(format!("poll {n}"))
            } else {
                Poll::Ready(n)
            })
        })
        .unwrap();
        assert_eq!(v, 3);
        let e = poll_until::<()>(String::new, Duration::from_secs(5), || {
            Err(KinesisError::Config {
                message: "boom".into(),
            })
        })
        .unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
    }

    #[test]
    fn times_out_naming_what_and_the_last_state() {
        let mut n = 0;
        let e = poll_until::<()>(
            || "table t to become ACTIVE".into(),
            Duration::from_millis(30),
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
    }
}
