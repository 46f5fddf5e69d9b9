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
//! let Some(upstream) = kinesis_tests::endpoint("KINESALITE_ENDPOINT") else { return };
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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http1::{self, Message};

/// Client connections served at once; more are closed as soon as they are accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// Applied-but-unanswered requests whose bodies [`Stats`] keeps (the count goes on).
pub const MAX_KEPT_UNANSWERED: usize = 1024;
/// The environment variable [`Plan::from_env_or_random`] reads a seed from.
pub const SEED_VAR: &str = "FAULT_PROXY_SEED";

const CLIENT_IDLE: Duration = Duration::from_secs(30);
const UPSTREAM_CONNECT: Duration = Duration::from_secs(5);
const UPSTREAM_READ: Duration = Duration::from_secs(30);
const WATCH_SLICE: Duration = Duration::from_millis(20);
const FAILED_ENTRY_CODE: &str = "ProvisionedThroughputExceededException";

/// What the proxy does with one request. See the [module docs](self) for how each looks to
/// the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward it and relay the answer.
    Pass,
    /// Reset the connection without forwarding.
    ResetBeforeForward,
    /// Forward it, drop the answer, reset the connection.
    ResetAfterForward,
    /// Forward it, send half the answer, close.
    Truncate,
    /// Hold it this long (forward it afterwards if the client is still there).
    Delay(Duration),
    /// Answer this instead of forwarding.
    Reply(Reply),
    /// PutRecords: fail the entries at these positions (out-of-range ones are ignored).
    FailEntries(Vec<usize>),
    /// PutRecords: fail each entry with this probability (drawn from the plan's seeded RNG).
    FailRandomEntries(f64),
}

impl Fault {
    /// The kind, for [`Stats::faults`].
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::ResetBeforeForward => FaultKind::ResetBeforeForward,
            Fault::ResetAfterForward => FaultKind::ResetAfterForward,
            Fault::Truncate => FaultKind::Truncate,
            Fault::Delay(_) => FaultKind::Delay,
            Fault::Reply(_) => FaultKind::Reply,
            Fault::FailEntries(_) | Fault::FailRandomEntries(_) => FaultKind::FailEntries,
        }
    }
}

/// The kinds of [`Fault`], as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// [`Fault::Pass`].
    Pass,
    /// [`Fault::ResetBeforeForward`].
    ResetBeforeForward,
    /// [`Fault::ResetAfterForward`].
    ResetAfterForward,
    /// [`Fault::Truncate`].
    Truncate,
    /// [`Fault::Delay`].
    Delay,
    /// [`Fault::Reply`].
    Reply,
    /// [`Fault::FailEntries`] and [`Fault::FailRandomEntries`].
    FailEntries,
}

/// An answer the proxy sends itself.
///
/// ```
/// use kinesis_tests::fault_proxy::Reply;
/// let r = Reply::xml_error(403, "SignatureDoesNotMatch", "wrong signature");
/// assert_eq!(r.status, 403);
/// assert!(String::from_utf8(r.body).unwrap().contains("<Code>SignatureDoesNotMatch</Code>"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers besides `Content-Length` (always added) and `x-amzn-RequestId` (added when
    /// absent).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Any status, headers and body.
    pub fn raw(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// A status with an empty body and no error type (e.g. a bare 500 or 503).
    pub fn empty(status: u16) -> Reply {
        Reply::raw(status, &[], Vec::new())
    }

    /// A Kinesis JSON error: `{"__type": error_type, "message": message}`.
    pub fn json_error(status: u16, error_type: &str, message: &str) -> Reply {
        Reply::raw(
            status,
            &[("content-type", "application/x-amz-json-1.1")],
            json!({"__type": error_type, "message": message}).to_string(),
        )
    }

    /// An AWS Query-style XML error, as moto sends for signature and IAM failures:
    /// `<ErrorResponse><Errors><Error><Code>…`.
    pub fn xml_error(status: u16, code: &str, message: &str) -> Reply {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>{}</Code><Message>{}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
            xml_escape(code),
            xml_escape(message)
        );
        Reply::raw(status, &[("content-type", "text/xml")], body)
    }

    /// An error named only by the `x-amzn-ErrorType` header, with an empty body.
    pub fn header_only(status: u16, error_type: &str) -> Reply {
        Reply::raw(status, &[("x-amzn-ErrorType", error_type)], Vec::new())
    }

    /// 400 `ProvisionedThroughputExceededException`, as Kinesis throttles a shard.
    pub fn throughput_exceeded() -> Reply {
        Reply::json_error(
            400,
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard shardId-000000000000 (fault proxy)",
        )
    }

    /// 400 `ThrottlingException`, as AWS throttles a control-plane call.
    pub fn throttling() -> Reply {
        Reply::json_error(400, "ThrottlingException", "Rate exceeded (fault proxy)")
    }

    fn to_bytes(&self, close: bool) -> Vec<u8> {
        let mut head = Message {
            start_line: format!("HTTP/1.1 {} {}", self.status, reason(self.status)),
            headers: self.headers.clone(),
            body: Vec::new(),
        };
        if head.header("x-amzn-requestid").is_none() {
            head.headers
                .push(("x-amzn-RequestId".into(), "fault-proxy".into()));
        }
        let extra: &[(&str, &str)] = if close {
            &[("connection", "close")]
        } else {
            &[]
        };
        head.to_bytes_with_body(&self.body, true, extra)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "X",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Which fault each request gets: first the scripted faults of its action (one per request,
/// in order), then the first random rule naming its action, else [`Fault::Pass`]. Actions are
/// the `X-Amz-Target` operation (`PutRecords`, `ListShards`, …); `"*"` names every action.
/// Random choices come from one RNG seeded with [`Plan::seed`], so a seed replays the same
/// choices for the same sequence of requests.
///
/// ```
/// use kinesis_tests::fault_proxy::{Fault, Plan};
/// let plan = Plan::seeded(7)
///     .script("PutRecords", [Fault::ResetBeforeForward])
///     .random("*", 0.25, [Fault::Truncate]);
/// assert_eq!(plan.seed(), 7);
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    seed: u64,
    rng: fastrand::Rng,
    scripts: Vec<(String, VecDeque<Fault>)>,
    random: Vec<RandomRule>,
}

#[derive(Debug, Clone)]
struct RandomRule {
    action: String,
    probability: f64,
    faults: Vec<Fault>,
}

impl Plan {
    /// Every request passes (a counting proxy).
    pub fn pass_through() -> Plan {
        Plan::seeded(0)
    }

    /// No rules yet; random choices seeded with `seed`.
    pub fn seeded(seed: u64) -> Plan {
        Plan {
            seed,
            rng: fastrand::Rng::with_seed(seed),
            scripts: Vec::new(),
            random: Vec::new(),
        }
    }

    /// Seeded from `FAULT_PROXY_SEED` when set (to replay a failure), else randomly. The
    /// proxy prints the seed when it starts, so a failing test's output names it.
    pub fn from_env_or_random() -> Plan {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        Plan::seeded(seed)
    }

    /// The seed of the random choices.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next requests of `action` (`"*"`: of any action) get `faults`, one each, in order.
    pub fn script(mut self, action: &str, faults: impl IntoIterator<Item = Fault>) -> Plan {
        self.scripts
            .push((action.to_string(), faults.into_iter().collect()));
        self
    }

    /// Unscripted requests of `action` (`"*"`: of any action) get, with `probability`, one
    /// of `faults` picked uniformly (list one several times to weight it).
    pub fn random(
        mut self,
        action: &str,
        probability: f64,
        faults: impl IntoIterator<Item = Fault>,
    ) -> Plan {
        let faults: Vec<Fault> = faults.into_iter().collect();
        assert!(!faults.is_empty(), "Plan::random needs at least one fault");
        self.random.push(RandomRule {
            action: action.to_string(),
            probability,
            faults,
        });
        self
    }

    /// The fault for the next request of `action` with `body`; random entry failures are
    /// resolved to positions here.
    pub(crate) fn decide(&mut self, action: &str, body: &[u8]) -> Fault {
        let matches = |a: &str| a == "*" || a == action;
        let scripted = self
            .scripts
            .iter_mut()
            .find(|(a, faults)| matches(a) && !faults.is_empty())
            .and_then(|(_, faults)| faults.pop_front());
        let fault = match scripted {
            Some(f) => f,
            None => match self.random.iter().find(|r| matches(&r.action)) {
                Some(rule) if self.rng.f64() < rule.probability => {
                    rule.faults[self.rng.usize(..rule.faults.len())].clone()
                }
                _ => Fault::Pass,
            },
        };
        match fault {
            Fault::FailRandomEntries(p) => {
                let n = put_records_entries(body).map_or(0, |e| e.len());
                Fault::FailEntries((0..n).filter(|_| self.rng.f64() < p).collect())
            }
            f => f,
        }
    }
}

/// A request the server applied (answered 2xx) whose answer the client never got complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    /// The action, e.g. `PutRecords`.
    pub action: String,
    /// The body as forwarded.
    pub body: Vec<u8>,
}

impl Unanswered {
    /// For PutRecords: each entry's `(PartitionKey, Data)` (`Data` base64, as on the wire).
    ///
    /// ```
    /// let u = kinesis_tests::fault_proxy::Unanswered {
    ///     action: "PutRecords".into(),
    ///     body: br#"{"StreamName":"s","Records":[{"Data":"YQ==","PartitionKey":"k"}]}"#.to_vec(),
    /// };
    /// assert_eq!(u.put_records_entries(), vec![("k".to_string(), "YQ==".to_string())]);
    /// ```
    pub fn put_records_entries(&self) -> Vec<(String, String)> {
        let field = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        put_records_entries(&self.body)
            .unwrap_or_default()
            .iter()
            .map(|e| (field(e, "PartitionKey"), field(e, "Data")))
            .collect()
    }
}

/// What a [`FaultProxy`] saw and did so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Client connections accepted.
    pub connections: u64,
    /// Requests read, by action.
    pub requests: BTreeMap<String, u64>,
    /// Faults chosen, by kind ([`FaultKind::Pass`] included).
    pub faults: BTreeMap<FaultKind, u64>,
    /// PutRecords entries failed by [`Fault::FailEntries`] / [`Fault::FailRandomEntries`]
    /// (never forwarded).
    pub entries_failed: u64,
    /// Requests applied by the server (2xx) whose answer the client did not get complete:
    /// [`Fault::ResetAfterForward`], [`Fault::Truncate`], and answers the client was no
    /// longer there to read.
    pub applied_unanswered_count: u64,
    /// The first [`MAX_KEPT_UNANSWERED`] of those.
    pub applied_unanswered: Vec<Unanswered>,
    /// [`Fault::Delay`]s the client gave up on (those requests were not forwarded).
    pub delays_abandoned: u64,
    /// Requests the server could not be reached or answered unreadably for (answered 502).
    pub upstream_errors: u64,
}

impl Stats {
    /// Requests read for `action`.
    pub fn requests_for(&self, action: &str) -> u64 {
        self.requests.get(action).copied().unwrap_or(0)
    }

    /// Every request read.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// How often `kind` was chosen.
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    fn record_unanswered(&mut self, action: &str, body: &[u8]) {
        self.applied_unanswered_count += 1;
        if self.applied_unanswered.len() < MAX_KEPT_UNANSWERED {
            self.applied_unanswered.push(Unanswered {
                action: action.to_string(),
                body: body.to_vec(),
            });
        }
    }
}

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
/// let Some(upstream) = kinesis_tests::endpoint("KINESALITE_ENDPOINT") else { return };
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
            serve(&shared, conn);
        });
    }
}

/// Sends a TCP RST instead of a FIN when the socket closes.
fn set_reset_on_close(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

fn action_of(req: &Message) -> String {
    req.header("x-amz-target")
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// Serves one client connection until it closes, breaks, idles out or a fault ends it.
fn serve(shared: &Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(CLIENT_IDLE));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let req = match http1::read_message(&mut reader, false) {
            Ok(Some(req)) => req,
            _ => return,
        };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let action = action_of(&req);
        let fault = lock(&shared.plan).decide(&action, &req.body);
        {
            let mut stats = shared.stats();
            *stats.requests.entry(action.clone()).or_default() += 1;
            *stats.faults.entry(fault.kind()).or_default() += 1;
        }
        let close = req.wants_close();
        let keep_open = match fault {
            Fault::Pass => pass(shared, &req, &action, &mut writer, close),
            Fault::ResetBeforeForward => {
                set_reset_on_close(&writer);
                false
            }
            Fault::ResetAfterForward => {
                if let Ok(resp) = forward(shared, &req, &req.body) {
                    if is_success(&resp) {
                        shared.stats().record_unanswered(&action, &req.body);
                    }
                }
                set_reset_on_close(&writer);
                false
            }
            Fault::Truncate => {
                match forward(shared, &req, &req.body) {
                    Ok(resp) => {
                        let bytes = resp.to_bytes_with_body(&resp.body, true, &[]);
                        let cut = if resp.body.len() >= 2 {
                            bytes.len() - resp.body.len() / 2
                        } else {
                            (bytes.len() - resp.body.len()) / 2
                        };
                        let _ = writer.write_all(&bytes[..cut]);
                        if is_success(&resp) {
                            shared.stats().record_unanswered(&action, &req.body);
                        }
                    }
                    Err(_) => shared.stats().upstream_errors += 1,
                }
                let _ = writer.shutdown(Shutdown::Write);
                false
            }
            Fault::Delay(d) => {
                if client_stays(&mut reader, d, &shared.stop) {
                    pass(shared, &req, &action, &mut writer, close)
                } else {
                    shared.stats().delays_abandoned += 1;
                    false
                }
            }
            Fault::Reply(reply) => writer.write_all(&reply.to_bytes(close)).is_ok(),
            Fault::FailEntries(failed) => {
                fail_entries(shared, &req, &action, &failed, &mut writer, close)
            }
            Fault::FailRandomEntries(_) => unreachable!("Plan::decide resolves it"),
        };
        if !keep_open || close {
            return;
        }
    }
}

fn is_success(resp: &Message) -> bool {
    (200..300).contains(&resp.status())
}

/// Forwards `req` (with `body`) and relays the answer; `false` when the connection must end.
fn pass(
    shared: &Arc<Shared>,
    req: &Message,
    action: &str,
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    match forward(shared, req, &req.body) {
        Ok(resp) => relay(shared, action, &req.body, &resp, &resp.body, writer, close),
        Err(e) => bad_gateway(shared, &e, writer, close),
    }
}

/// Writes the upstream answer `resp` with `body` to the client; records the request as
/// applied-unanswered if that fails after a 2xx.
fn relay(
    shared: &Arc<Shared>,
    action: &str,
    forwarded: &[u8],
    resp: &Message,
    body: &[u8],
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    let extra: &[(&str, &str)] = if close {
        &[("connection", "close")]
    } else {
        &[]
    };
    let written = writer
        .write_all(&resp.to_bytes_with_body(body, true, extra))
        .is_ok();
    if !written && is_success(resp) {
        shared.stats().record_unanswered(action, forwarded);
    }
    written
}

fn bad_gateway(shared: &Arc<Shared>, e: &io::Error, writer: &mut TcpStream, close: bool) -> bool {
    shared.stats().upstream_errors += 1;
    let reply = Reply::json_error(
        502,
        "FaultProxyUpstreamError",
        &format!("fault proxy: upstream {}: {e}", shared.upstream_url),
    );
    writer.write_all(&reply.to_bytes(close)).is_ok()
}

/// Sends `req` with `body` to the upstream on a fresh connection and reads its answer.
fn forward(shared: &Arc<Shared>, req: &Message, body: &[u8]) -> io::Result<Message> {
    let stream = TcpStream::connect_timeout(&shared.upstream, UPSTREAM_CONNECT)?;
    let _registered = shared.register(&stream);
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(UPSTREAM_READ))?;
    (&stream).write_all(&req.to_bytes_with_body(body, false, &[]))?;
    http1::read_message(&mut BufReader::new(&stream), true)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "upstream closed the connection without an answer",
        )
    })
}

/// Holds the request for `d`, watching whether the client closes meanwhile; `true` when it
/// is still there (and the proxy is not stopping).
fn client_stays(reader: &mut BufReader<TcpStream>, d: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + d;
    let mut alive = true;
    while alive && !stop.load(Ordering::SeqCst) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let slice = left.min(WATCH_SLICE);
        if !reader.buffer().is_empty() {
            // The client sent more (it should not before an answer); keep it for later.
            std::thread::sleep(slice);
            continue;
        }
        let _ = reader.get_ref().set_read_timeout(Some(slice));
        alive = match reader.fill_buf() {
            Ok(buf) => !buf.is_empty(),
            Err(e) => matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ),
        };
    }
    let _ = reader.get_ref().set_read_timeout(Some(CLIENT_IDLE));
    alive && !stop.load(Ordering::SeqCst)
}

/// The `Records` array of a PutRecords body.
fn put_records_entries(body: &[u8]) -> Option<Vec<Value>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    match v.get_mut("Records")?.take() {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

/// Splits a PutRecords body: the body without the entries at `failed`, and the positions
/// actually removed (in range, sorted, unique) out of how many entries. `None` when the body
/// is not a PutRecords request.
fn remove_entries(body: &[u8], failed: &[usize]) -> Option<(Vec<u8>, Vec<usize>, usize)> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let Value::Array(entries) = request.get_mut("Records")?.take() else {
        return None;
    };
    let total = entries.len();
    let mut removed: Vec<usize> = failed.iter().copied().filter(|&i| i < total).collect();
    removed.sort_unstable();
    removed.dedup();
    let kept: Vec<Value> = entries
        .into_iter()
        .enumerate()
        .filter(|(i, _)| removed.binary_search(i).is_err())
        .map(|(_, e)| e)
        .collect();
    request["Records"] = Value::Array(kept);
    Some((serde_json::to_vec(&request).ok()?, removed, total))
}

fn failed_entry() -> Value {
    json!({
        "ErrorCode": FAILED_ENTRY_CODE,
        "ErrorMessage": "Rate exceeded for shard (fault proxy: entry not written)",
    })
}

/// The answer to the whole request, from the upstream answer to the request without the
/// `removed` entries: failure entries merged back at their positions, `FailedRecordCount`
/// raised. `None` when the upstream answer does not fit (then it is relayed as it is).
fn merge_failures(upstream_body: &[u8], removed: &[usize], total: usize) -> Option<Vec<u8>> {
    let mut answer: Value = serde_json::from_slice(upstream_body).ok()?;
    let Value::Array(written) = answer.get_mut("Records")?.take() else {
        return None;
    };
    if written.len() + removed.len() != total {
        return None;
    }
    let mut written = written.into_iter();
    let merged: Vec<Value> = (0..total)
        .map(|i| {
            if removed.binary_search(&i).is_ok() {
                Some(failed_entry())
            } else {
                written.next()
            }
        })
        .collect::<Option<_>>()?;
    let upstream_failed = answer
        .get("FailedRecordCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    answer["Records"] = Value::Array(merged);
    answer["FailedRecordCount"] = json!(upstream_failed + removed.len() as u64);
    serde_json::to_vec(&answer).ok()
}

fn fail_entries(
    shared: &Arc<Shared>,
    req: &Message,
    action: &str,
    failed: &[usize],
    writer: &mut TcpStream,
    close: bool,
) -> bool {
    let Some((body, removed, total)) = remove_entries(&req.body, failed) else {
        return pass(shared, req, action, writer, close);
    };
    if removed.is_empty() {
        return pass(shared, req, action, writer, close);
    }
    shared.stats().entries_failed += removed.len() as u64;
    if removed.len() == total {
        let all_failed = json!({
            "FailedRecordCount": total,
            "Records": vec![failed_entry(); total],
        });
        let reply = Reply::raw(
            200,
            &[("content-type", "application/x-amz-json-1.1")],
            all_failed.to_string(),
        );
        return writer.write_all(&reply.to_bytes(close)).is_ok();
    }
    match forward(shared, req, &body) {
        Ok(resp) => {
            let merged = if is_success(&resp) {
                merge_failures(&resp.body, &removed, total)
            } else {
                None
            };
            let answer = merged.as_deref().unwrap_or(&resp.body);
            relay(shared, action, &body, &resp, answer, writer, close)
        }
        Err(e) => bad_gateway(shared, &e, writer, close),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"StreamName":"s","Records":[{"Data":"MA==","PartitionKey":"0"},{"Data":"MQ==","PartitionKey":"1"},{"Data":"Mg==","PartitionKey":"2"},{"Data":"Mw==","PartitionKey":"3"}]}"#;

    #[test]
    fn removes_entries_and_merges_failures_back_in_place() {
        let (body, removed, total) = remove_entries(BODY.as_bytes(), &[3, 1, 9, 1]).unwrap();
        assert_eq!((removed.as_slice(), total), (&[1, 3][..], 4));
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(sent["StreamName"], "s");
        let keys: Vec<&str> = sent["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["PartitionKey"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["0", "2"]);

        let upstream = br#"{"FailedRecordCount":0,"Records":[{"SequenceNumber":"10","ShardId":"shardId-0"},{"SequenceNumber":"12","ShardId":"shardId-0"}]}"#;
        let merged: Value =
            serde_json::from_slice(&merge_failures(upstream, &removed, total).unwrap()).unwrap();
        assert_eq!(merged["FailedRecordCount"], 2);
        let records = merged["Records"].as_array().unwrap();
        assert_eq!(records[0]["SequenceNumber"], "10");
        assert_eq!(records[1]["ErrorCode"], FAILED_ENTRY_CODE);
        assert_eq!(records[2]["SequenceNumber"], "12");
        assert_eq!(records[3]["ErrorCode"], FAILED_ENTRY_CODE);
        // An answer with the wrong number of entries is not merged.
        assert_eq!(merge_failures(upstream, &[1], 4), None);
        assert_eq!(remove_entries(b"{\"StreamName\":\"s\"}", &[0]), None);
    }

    fn decisions(plan: &mut Plan, n: usize) -> Vec<Fault> {
        (0..n)
            .map(|_| plan.decide("PutRecords", BODY.as_bytes()))
            .collect()
    }

    #[test]
    fn scripts_come_first_then_seeded_random_choices_repeat() {
        let plan = || {
            Plan::seeded(42)
                .script("PutRecords", [Fault::Truncate, Fault::ResetBeforeForward])
                .random(
                    "*",
                    0.5,
                    [Fault::ResetAfterForward, Fault::FailRandomEntries(0.5)],
                )
        };
        let (mut a, mut b) = (plan(), plan());
        let first = decisions(&mut a, 40);
        assert_eq!(first, decisions(&mut b, 40));
        assert_eq!(&first[..2], &[Fault::Truncate, Fault::ResetBeforeForward]);
        let kinds: Vec<FaultKind> = first[2..].iter().map(Fault::kind).collect();
        for kind in [
            FaultKind::Pass,
            FaultKind::ResetAfterForward,
            FaultKind::FailEntries,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} never chosen in {kinds:?}");
        }
        // Random entry failures are resolved to positions among the body's 4 entries.
        assert!(first.iter().all(|f| match f {
            Fault::FailEntries(e) => e.iter().all(|&i| i < 4),
            _ => true,
        }));
        // Another action is not scripted, and another seed chooses differently.
        assert_eq!(
            Plan::seeded(1)
                .script("PutRecords", [Fault::Truncate])
                .decide("ListShards", b"{}"),
            Fault::Pass
        );
        let mut c = Plan::seeded(43).random("*", 0.5, [Fault::ResetAfterForward]);
        let mut d = Plan::seeded(42).random("*", 0.5, [Fault::ResetAfterForward]);
        assert_ne!(decisions(&mut c, 40), decisions(&mut d, 40));
    }

    #[test]
    fn replies_have_the_three_error_shapes() {
        let text = |r: &Reply| String::from_utf8(r.to_bytes(false)).unwrap();
        let json = text(&Reply::json_error(403, "AccessDeniedException", "no"));
        assert!(json.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{json}");
        assert!(
            json.ends_with(r#"{"__type":"AccessDeniedException","message":"no"}"#),
            "{json}"
        );
        let xml = text(&Reply::xml_error(403, "AccessDenied", "a<b"));
        assert!(
            xml.contains("<Code>AccessDenied</Code><Message>a&lt;b</Message>"),
            "{xml}"
        );
        let bare = text(&Reply::header_only(403, "AccessDeniedException"));
        assert!(
            bare.contains("x-amzn-ErrorType: AccessDeniedException\r\n"),
            "{bare}"
        );
        assert!(bare.ends_with("content-length: 0\r\n\r\n"), "{bare}");
        assert!(text(&Reply::empty(503)).contains("x-amzn-RequestId: fault-proxy\r\n"));
        assert!(String::from_utf8(Reply::empty(500).to_bytes(true))
            .unwrap()
            .contains("connection: close\r\n"));
    }
}
