//! The one cache that wraps every provider [`super::from_spec`] builds.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{Credentials, CredentialsError, Provider};
use crate::clock::Clock;
use crate::retry::Shutdown;

/// How long before expiry credentials are refreshed, at most (the AWS SDKs use 5 minutes).
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

struct State {
    cached: Option<Credentials>,
    /// When to start refreshing `cached`; `None` means never (long-lived keys).
    refresh_at: Option<SystemTime>,
    /// Whether one thread is fetching right now.
    refreshing: bool,
    /// Counts finished fetches, so waiters can tell that "their" fetch ended.
    fetches_done: u64,
    /// The outcome of the last fetch when it failed, handed to the threads that waited on it.
    last_error: Option<CredentialsError>,
}

/// Caches the credentials of an inner provider.
///
/// Credentials are reused until `refresh_window` before they expire (or a quarter of their
/// lifetime before, whichever is shorter, so short-lived test credentials are not fetched on
/// every call). Then one caller refreshes while the others keep using the still-valid
/// credentials; once they have expired, the others wait for that one fetch instead of
/// starting their own. A failed refresh while the old credentials are still valid keeps the
/// old ones (and logs a warning). [`Provider::invalidate`] drops the cache;
/// [`Provider::invalidate_rejected`] drops it only if it still holds the rejected
/// credentials.
///
/// ```
/// use std::sync::Arc;
/// use kinesis_wire::credentials::{CachingProvider, Provider, StaticProvider};
/// use kinesis_wire::credentials::Credentials;
/// let inner = Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "BASIC")));
/// let cached = CachingProvider::new(inner);
/// assert_eq!(cached.credentials().unwrap().access_key_id, "AKID");
/// ```
pub struct CachingProvider {
    inner: Arc<dyn Provider>,
    refresh_window: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    changed: Condvar,
}

impl fmt::Debug for CachingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("inner", &self.inner)
            .field("refresh_window", &self.refresh_window)
            .finish_non_exhaustive()
    }
}

/// Clears `refreshing` even if the inner provider panics, so waiters are not stuck forever.
struct RefreshGuard<'a> {
    owner: &'a CachingProvider,
    done: bool,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut st = self.owner.lock();
            st.refreshing = false;
            st.fetches_done += 1;
            st.last_error = Some(CredentialsError::Failed {
                provider: "cache",
                reason: "the credentials provider panicked while fetching".into(),
            });
            self.owner.changed.notify_all();
        }
    }
}

impl CachingProvider {
    /// Wraps `inner` with the default refresh window (5 minutes).
    pub fn new(inner: Arc<dyn Provider>) -> Self {
        Self::with_refresh_window(inner, DEFAULT_REFRESH_WINDOW)
    }

    /// Wraps `inner`; credentials are refreshed `refresh_window` before they expire.
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// use kinesis_wire::credentials::{CachingProvider, StaticProvider};
    /// use kinesis_wire::credentials::Credentials;
    /// let inner = Arc::new(StaticProvider::new(Credentials::new("A", "s", None, None, "BASIC")));
    /// let _c = CachingProvider::with_refresh_window(inner, Duration::from_secs(60));
    /// ```
    pub fn with_refresh_window(inner: Arc<dyn Provider>, refresh_window: Duration) -> Self {
        CachingProvider {
            inner,
            refresh_window,
            clock: crate::clock::system(),
            state: Mutex::new(State {
                cached: None,
                refresh_at: None,
                refreshing: false,
                fetches_done: 0,
                last_error: None,
            }),
            changed: Condvar::new(),
        }
    }

    /// This cache reading the time from `clock` instead of the system clock (tests move a
    /// `test_util::ManualClock` past the refresh point instead of sleeping).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kinesis_wire::credentials::{CachingProvider, StaticProvider};
    /// use kinesis_wire::{SystemClock, credentials::Credentials};
    /// let inner = Arc::new(StaticProvider::new(Credentials::new("A", "s", None, None, "BASIC")));
    /// let _c = CachingProvider::new(inner).with_clock(Arc::new(SystemClock));
    /// ```
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the state consistent, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refresh_at(&self, creds: &Credentials, now: SystemTime) -> Option<SystemTime> {
        let expiry = creds.expiry?;
        let lifetime = expiry.duration_since(now).unwrap_or_default();
        let window = self.refresh_window.min(lifetime / 4);
        Some(expiry - window)
    }
}

fn still_valid(c: &Credentials, now: SystemTime) -> bool {
    c.expiry.is_none_or(|e| now < e)
}

/// How often a caller waiting for another thread's fetch looks at its own shutdown.
const SHUTDOWN_POLL: Duration = Duration::from_millis(50);

impl Provider for CachingProvider {
    fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.credentials_with_shutdown(&Shutdown::new())
    }

    fn credentials_with_shutdown(
        &self,
        shutdown: &Shutdown,
    ) -> Result<Credentials, CredentialsError> {
        let mut st = self.lock();
        loop {
            let now = self.clock.now();
            if let Some(c) = &st.cached {
                let fresh = st.refresh_at.is_none_or(|at| now < at) && still_valid(c, now);
                if fresh || (st.refreshing && still_valid(c, now)) {
                    return Ok(c.clone());
                }
            }
            if !st.refreshing {
                break;
            }
            // Someone else is fetching and we have nothing valid: wait for that fetch.
            let seen = st.fetches_done;
            while st.refreshing && st.fetches_done == seen {
                if shutdown.is_triggered() {
                    return Err(CredentialsError::Interrupted { provider: "cache" });
                }
                st = self
                    .changed
                    .wait_timeout(st, SHUTDOWN_POLL)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            if let Some(err) = &st.last_error {
                if st.fetches_done == seen + 1 && st.cached.is_none() {
                    return Err(err.clone());
                }
            }
        }
        st.refreshing = true;
        drop(st);
        let mut guard = RefreshGuard {
            owner: self,
            done: false,
        };
        let fetched = self.inner.credentials_with_shutdown(shutdown);
        let mut st = self.lock();
        guard.done = true;
        st.refreshing = false;
        st.fetches_done += 1;
        let now = self.clock.now();
        let result = match fetched {
            Ok(c) => {
                st.refresh_at = self.refresh_at(&c, now);
                st.cached = Some(c.clone());
                st.last_error = None;
                Ok(c)
            }
            // This caller is shutting down; the fetch did not fail. Callers waiting for it
            // fetch themselves (no error handed on), the next refresh is not postponed.
            Err(e @ CredentialsError::Interrupted { .. }) => {
                st.last_error = None;
                match st.cached.clone() {
                    Some(old) if still_valid(&old, now) => Ok(old),
                    _ => Err(e),
                }
            }
            Err(e) => match st.cached.clone() {
                Some(old) if still_valid(&old, now) => {
                    log::warn!(
                        "refreshing credentials failed, using the current ones until they \
                         expire: {e}"
                    );
                    // Try again after a short pause rather than on every call.
                    st.refresh_at = Some(now + Duration::from_secs(1));
                    st.last_error = None;
                    Ok(old)
                }
                _ => {
                    st.cached = None;
                    st.last_error = Some(e.clone());
                    Err(e)
                }
            },
        };
        self.changed.notify_all();
        drop(st);
        drop(guard);
        result
    }

    fn invalidate(&self) {
        let mut st = self.lock();
        st.cached = None;
        st.refresh_at = None;
        drop(st);
        self.inner.invalidate();
    }

    fn invalidate_rejected(&self, rejected: &Credentials) {
        let mut st = self.lock();
        // Only the rejected credentials are dropped: when the cache already holds others,
        // a refresh happened since they were handed out, and fetching again would only
        // multiply the calls to STS (one per failed request).
        let same = |c: &Credentials| {
            c.access_key_id == rejected.access_key_id
                && c.secret_access_key == rejected.secret_access_key
                && c.session_token == rejected.session_token
        };
        if st.cached.as_ref().is_some_and(|c| !same(c)) {
            return;
        }
        if st.cached.is_none() && st.refreshing {
            // Already being replaced: callers wait for that fetch.
            return;
        }
        st.cached = None;
        st.refresh_at = None;
        drop(st);
        self.inner.invalidate();
    }
}
