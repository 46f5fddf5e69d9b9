//! A loopback HTTP/1.1 fault proxy: it sits between a client and a real test server
//! (kinesis-mock, kinesalite or moto) and, per request, passes it through or injects a fault
//! chosen by a [`Plan`]: a reset before or after forwarding, a cut answer, a delay, an error
//! answer of any shape ([`Reply`]), or failed PutRecords entries that are really not written.
//! [`Stats`] count what it saw and did, including the requests the server applied but whose
//! answer the client never got (the only ones that may legitimately cause duplicates).
//!
//! ```no_run
//! use kinesis_tests::fault_proxy::{Fault, FaultProxy, Plan, Reply};
//!
//! let upstream = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
//! // The first PutRecords is throttled, the second reset after the server applied it; then
//! // 30 % of every action's requests get a 500 or a reset, reproducibly from the seed.
//! let plan = Plan::from_env_or_random()
//!     .script("PutRecords", [Fault::Reply(Reply::throughput_exceeded()), Fault::ResetAfterForward])
//!     .random("*", 0.3, [Fault::Reply(Reply::empty(500)), Fault::ResetBeforeForward]);
//! let proxy = FaultProxy::start(&upstream, plan);
//! let client = kinesis_tests::client(&proxy.url);
//! // ... use the client ...
//! let stats = proxy.stats();
//! assert!(stats.requests_for("PutRecords") >= 2);
//! ```
//!
//! How each fault looks to the client:
//! - [`Fault::ResetBeforeForward`]: the connection is reset (TCP RST) after the request was
//!   read; the server never sees it.
//! - [`Fault::ResetAfterForward`]: the server answers, the proxy drops the answer and resets
//!   the connection. Recorded in [`Stats::applied_unanswered`] when the server said 2xx.
//! - [`Fault::Truncate`]: the server's answer is sent with its full `Content-Length` but only
//!   half its body (half its head when the body is shorter than 2 bytes), then the connection
//!   closes. Recorded as applied-unanswered when the server said 2xx.
//! - [`Fault::Delay`]: the proxy holds the request for the duration, watching the client; if
//!   the client gives up (closes) meanwhile, the request is never forwarded
//!   ([`Stats::delays_abandoned`]); otherwise it is then forwarded and answered normally.
//! - [`Fault::Reply`]: the proxy answers itself; the server never sees the request.
//! - [`Fault::FailEntries`] / [`Fault::FailRandomEntries`] (PutRecords): the chosen entries
//!   are removed from the request before it is forwarded, so they are really not written,
//!   and merged back into the answer at their positions as
//!   `ProvisionedThroughputExceededException` entries, with `FailedRecordCount` raised to
//!   match. When every entry fails the server is not called. The modified body is forwarded
//!   with the client's original headers (only `Content-Length` corrected), so its signature
//!   no longer matches: this works against kinesis-mock and kinesalite, which do not check
//!   signatures, and is refused by moto, which does.
//!
//! Every other fault passes signed requests through byte for byte (the `Host` header
//! included), so moto verifies them as if the client had called it directly.
//!
//! Limits: one thread per client connection (at most [`MAX_CONNECTIONS`] at once, more are
//! closed at once), a fresh upstream connection per forwarded request, bodies up to
//! [`crate::http1::MAX_BODY_BYTES`], idle client connections closed after 30 s, upstream
//! answers awaited at most 30 s. Not for event streams (SubscribeToShard).

mod entries;
mod plan;
mod reply;
mod serve;
mod stats;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

pub use plan::{Fault, FaultKind, Plan};
pub use reply::Reply;
pub use stats::{Stats, Unanswered};

use crate::http1;

/// Client connections served at once; more are closed as soon as they are accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// Applied-but-unanswered requests whose bodies [`Stats`] keeps (the count goes on).
pub const MAX_KEPT_UNANSWERED: usize = 1024;
/// The environment variable [`Plan::from_env_or_random`] reads a seed from.
pub const SEED_VAR: &str = "FAULT_PROXY_SEED";

struct Shared {
    upstream_url: String,
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    stats: Mutex<Stats>,
    stop: AtomicBool,
    /// Clones of every open socket (client and upstream), to shut them down on stop.
    sockets: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }

    /// Registers a clone of `stream` until the guard drops.
    fn register(self: &Arc<Self>, stream: &TcpStream) -> Option<Registered> {
        let clone = stream.try_clone().ok()?;
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.sockets).insert(id, clone);
        Some(Registered {
            shared: self.clone(),
            id,
        })
    }
}

struct Registered {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        lock(&self.shared.sockets).remove(&self.id);
    }
}

/// The proxy: listens on `127.0.0.1:<free port>` and forwards to one upstream. Stops (closing
/// its connections) on [`FaultProxy::stop`] or drop.
///
/// ```
/// use kinesis_tests::fault_proxy::{FaultProxy, Plan};
/// let upstream = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
/// let proxy = FaultProxy::start(&upstream, Plan::pass_through());
/// kinesis_tests::client(&proxy.url).list_streams(&Default::default()).unwrap();
/// assert_eq!(proxy.stats().requests_for("ListStreams"), 1);
/// ```
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`: the endpoint to give the client.
    pub url: String,
    port: u16,
    seed: u64,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("url", &self.url)
            .field("upstream", &self.shared.upstream_url)
            .field("seed", &self.seed)
            .finish()
    }
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`) following `plan`, and
    /// prints its seed (to stderr, which a failing test shows).
    pub fn start(upstream: &str, plan: Plan) -> FaultProxy {
        let upstream_addr = http1::host_port(upstream)
            .and_then(|h| {
                h.to_socket_addrs()?.next().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, "resolves to no address")
                })
            })
            .unwrap_or_else(|e| panic!("fault proxy upstream '{upstream}': {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let port = listener.local_addr().expect("local address").port();
        let seed = plan.seed();
        let shared = Arc::new(Shared {
            upstream_url: upstream.to_string(),
            upstream: upstream_addr,
            plan: Mutex::new(plan),
            stats: Mutex::new(Stats::default()),
            stop: AtomicBool::new(false),
            sockets: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let url = format!("http://127.0.0.1:{port}");
        eprintln!("fault proxy {url} -> {upstream}: seed {seed} ({SEED_VAR}={seed} replays its random choices)");
        let accept = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(listener, shared))
        };
        FaultProxy {
            url,
            port,
            seed,
            shared,
            accept: Some(accept),
        }
    }

    /// The seed of the plan's random choices.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.stats().clone()
    }

    /// Replaces the plan for the requests from now on (e.g. faults while writing, then
    /// pass-through to verify). The new plan's seed is printed.
    pub fn set_plan(&mut self, plan: Plan) {
        self.seed = plan.seed();
        eprintln!(
            "fault proxy {}: new plan, seed {} ({SEED_VAR}={} replays its random choices)",
            self.url, self.seed, self.seed
        );
        *lock(&self.shared.plan) = plan;
    }

    /// Stops accepting and closes every open connection. Idempotent.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            // Wake the accept loop so it sees the flag.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = accept.join();
        }
        for s in lock(&self.shared.sockets).values() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        if lock(&shared.sockets).len() >= MAX_CONNECTIONS {
            continue; // dropped: closed at once
        }
        shared.stats().connections += 1;
        let Some(registered) = shared.register(&conn) else {
            continue;
        };
        let shared = shared.clone();
        std::thread::spawn(move || {
            let _registered = registered;
            serve::serve(&shared, conn);
        });
    }
}
