//! How credential fetches retry: every loop goes through [`RetryPolicy::retry`]
//! (full-jitter [`Backoff`]) and stops when the caller's shutdown triggers.

use std::time::Duration;

use crate::retry::{Backoff, RetryPolicy};

const fn policy(max_attempts: u32, base_ms: u64, max_ms: u64) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        backoff: Backoff {
            base: Duration::from_millis(base_ms),
            max: Duration::from_millis(max_ms),
            exponent: 2.0,
        },
    }
}

/// STS and the SSO portal: 3 calls (aws-config's standard retry), waits below 200 ms then
/// 400 ms.
pub(crate) const REMOTE: RetryPolicy = policy(3, 200, 1000);

/// The container credentials agent (local: answers at once or is down): 3 calls, waits
/// below 50 ms then 100 ms.
pub(crate) const CONTAINER: RetryPolicy = policy(3, 50, 1000);

/// The instance metadata service's session token: 3 calls, waits below 200 ms then 400 ms.
pub(crate) const IMDS_TOKEN: RetryPolicy = policy(3, 200, 1000);
