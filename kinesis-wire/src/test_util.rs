//! Fakes for tests (feature `test-util`): a [`ScriptedTransport`] that answers from a
//! script or a function and records every request, and a [`ManualClock`] that only moves
//! when told to. With them, request shapes, signing, error handling, credential expiry and
//! retries are tested without sockets and without sleeping. Use them where a socket or the
//! passing of real time is not the point of the test; the end-to-end tests keep running
//! against real servers.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kinesis_wire::test_util::{ok, ManualClock, ScriptedTransport};
//! use kinesis_wire::credentials::StaticProvider;
//! use kinesis_wire::model::ListStreamsInput;
//! use kinesis_wire::{KinesisClient, credentials::Credentials};
//!
//! let transport = ScriptedTransport::new([ok(r#"{"StreamNames":["a"],"HasMoreStreams":false}"#)]);
//! let clock = ManualClock::new();
//! let client = KinesisClient::builder()
//!     .endpoint("http://127.0.0.1:1")
//!     .credentials(Arc::new(StaticProvider::new(Credentials::new("AKID", "s", None, None, "BASIC"))))
//!     .transport(transport.clone())
//!     .clock(clock.clone())
//!     .build()
//!     .unwrap();
//! let out = client.list_streams(&ListStreamsInput::default()).unwrap();
//! assert_eq!(out.stream_names, ["a"]);
//! let sent = transport.requests();
//! assert_eq!(sent[0].header("x-amz-target"), Some("Kinesis_20131202.ListStreams"));
//! // Signed at the manual clock's time.
//! clock.advance(Duration::from_secs(3600));
//! # let _ = sent;
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::clock::Clock;
use crate::error::TransportError;
use crate::retry::Shutdown;
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// What a [`ScriptedTransport`] answers.
type Answer = Result<HttpResponse, TransportError>;

/// A function that answers a request.
type Handler = dyn Fn(&HttpRequest) -> Answer + Send + Sync;

enum Script {
    /// Answers in order, one per request.
    Queue(VecDeque<Answer>),
    /// Answers computed from the request.
    Handler(Arc<Handler>),
}

/// A [`Transport`] that answers from a script (in order, one answer per request) or from a
/// function of the request, and records every request it was sent. A request beyond the
/// script panics: the test sent more than it expected.
///
/// ```
/// use kinesis_wire::test_util::{answer, ScriptedTransport};
/// use kinesis_wire::transport::{HttpRequest, Method, Transport};
/// let t = ScriptedTransport::with_handler(|req| match req.method {
///     Method::Put => answer(200, "token"),
///     _ => answer(404, ""),
/// });
/// let reply = t.send(&HttpRequest::new(Method::Put, "http://169.254.169.254/latest/api/token")).unwrap();
/// assert_eq!(reply.body, b"token");
/// assert_eq!(t.requests().len(), 1);
/// ```
pub struct ScriptedTransport {
    script: Mutex<Script>,
    requests: Mutex<Vec<HttpRequest>>,
}

impl fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedTransport")
            .field("requests", &lock(&self.requests).len())
            .finish_non_exhaustive()
    }
}

/// Locks `m`, poisoned or not: a test that panicked holding it leaves usable data.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ScriptedTransport {
    /// A transport giving these answers, in order.
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Arc<Self> {
        Arc::new(ScriptedTransport {
            script: Mutex::new(Script::Queue(answers.into_iter().collect())),
            requests: Mutex::default(),
        })
    }

    /// A transport answering each request with `handler(request)`. The handler runs on the
    /// sending thread, without a lock held, so concurrent requests stay concurrent.
    pub fn with_handler(
        handler: impl Fn(&HttpRequest) -> Answer + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(ScriptedTransport {
            script: Mutex::new(Script::Handler(Arc::new(handler))),
            requests: Mutex::default(),
        })
    }

    /// Appends an answer to the script (of a transport made by [`ScriptedTransport::new`]).
    pub fn push(&self, answer: Answer) {
        match &mut *lock(&self.script) {
            Script::Queue(q) => q.push_back(answer),
            Script::Handler(_) => panic!("push on a ScriptedTransport that has a handler"),
        }
    }

    /// Every request sent so far, in order.
    pub fn requests(&self) -> Vec<HttpRequest> {
        lock(&self.requests).clone()
    }

    /// How many requests were sent so far.
    pub fn request_count(&self) -> usize {
        lock(&self.requests).len()
    }
}

impl Transport for ScriptedTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        lock(&self.requests).push(req.clone());
        let handler = match &mut *lock(&self.script) {
            Script::Queue(q) => {
                return q.pop_front().unwrap_or_else(|| {
                    panic!(
                        "more requests than scripted answers: {} {}",
                        req.method, req.url
                    )
                })
            }
            Script::Handler(h) => h.clone(),
        };
        handler(req)
    }
}

/// A 200 answer with `body`.
pub fn ok(body: &str) -> Answer {
    answer(200, body)
}

/// An answer with `status` and `body`, no header.
pub fn answer(status: u16, body: &str) -> Answer {
    Ok(HttpResponse::new(status, body.as_bytes().to_vec()))
}

/// An error answer with `status` and `body`, carrying request id `req-1`.
pub fn err(status: u16, body: &str) -> Answer {
    Ok(HttpResponse {
        status,
        headers: vec![("x-amzn-RequestId".into(), "req-1".into())],
        body: body.as_bytes().to_vec(),
    })
}

/// A [`Clock`] that stands still until [`ManualClock::advance`] moves it; its
/// [`Clock::sleep`] returns at once, moving the clock by the time slept (unless the
/// shutdown is triggered) and recording it. Starts at the real time of its creation.
///
/// ```
/// use kinesis_wire::test_util::ManualClock;
/// use kinesis_wire::{Clock, Shutdown};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// assert!(clock.sleep(Duration::from_secs(30), &Shutdown::new()));
/// clock.advance(Duration::from_secs(10));
/// assert_eq!(clock.now().duration_since(t0).unwrap(), Duration::from_secs(40));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(30)]);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    wall: SystemTime,
    mono: Instant,
    state: Mutex<ClockState>,
}

#[derive(Debug, Default)]
struct ClockState {
    moved: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock at the current real time.
    pub fn new() -> Arc<Self> {
        Self::starting_at(SystemTime::now())
    }

    /// A clock whose [`Clock::now`] starts at `wall`.
    pub fn starting_at(wall: SystemTime) -> Arc<Self> {
        Arc::new(ManualClock {
            wall,
            mono: Instant::now(),
            state: Mutex::default(),
        })
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        lock(&self.state).moved += d;
    }

    /// How far the clock has moved since it was made (advances and sleeps).
    pub fn elapsed(&self) -> Duration {
        lock(&self.state).moved
    }

    /// The durations of every completed [`Clock::sleep`], in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        lock(&self.state).sleeps.clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.wall + self.elapsed()
    }

    fn instant(&self) -> Instant {
        self.mono + self.elapsed()
    }

    fn sleep(&self, d: Duration, shutdown: &Shutdown) -> bool {
        if shutdown.is_triggered() {
            return false;
        }
        let mut st = lock(&self.state);
        st.moved += d;
        st.sleeps.push(d);
        true
    }
}
