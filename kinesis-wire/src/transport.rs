//! The HTTP transport under the client: a small trait, so request building, signing, parsing
//! and retries are tested without sockets, and its real implementation on ureq 3.

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Duration;

use crate::error::{TransportError, TransportErrorKind};
use crate::redact;

/// Largest response body read by default (GetRecords returns up to 10 MiB of data,
/// ~13.5 MB base64'd).
pub const MAX_RESPONSE_BYTES: u64 = 32 << 20;

/// The HTTP method of a request: Kinesis and DynamoDB calls and STS are `POST`; the
/// credential endpoints use `GET` (container, SSO, instance metadata) and `PUT` (the
/// instance-metadata session token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: no body.
    Get,
    /// `PUT`.
    Put,
    /// `POST`.
    #[default]
    Post,
}

impl Method {
    /// The method's name as sent, e.g. `"POST"`.
    ///
    /// ```
    /// assert_eq!(kinesis_wire::transport::Method::Put.as_str(), "PUT");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HTTP request, ready to send (signed when the service wants signatures). Its `Debug`
/// output masks the credential headers (`Authorization`, `X-Amz-Security-Token`, the SSO
/// and instance-metadata tokens) and shows the body's length only.
///
/// ```
/// use kinesis_wire::transport::{HttpRequest, Method};
/// let req = HttpRequest::post("http://127.0.0.1:4567/", b"{\"Data\":\"c2VjcmV0\"}".to_vec())
///     .with_header("x-amz-security-token", "hunter2");
/// assert_eq!(req.method, Method::Post);
/// let shown = format!("{req:?}");
/// assert!(!shown.contains("hunter2") && !shown.contains("c2VjcmV0"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// Full URL, e.g. `https://kinesis.us-east-1.amazonaws.com/`.
    pub url: String,
    /// Header names (lowercase) and values, signature headers included.
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no header and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` of `body`.
    pub fn post(url: impl Into<String>, body: Vec<u8>) -> Self {
        HttpRequest {
            body,
            ..HttpRequest::new(Method::Post, url)
        }
    }

    /// A `GET`.
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest::new(Method::Get, url)
    }

    /// This request with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP response, any status. Its `Debug` output shows the body's length only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &redact::Headers(&self.headers))
            .field("body", &redact::Body(self.body.len()))
            .finish()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &redact::Headers(&self.headers))
            .field("body", &redact::Body(self.body.len()))
            .finish()
    }
}

impl HttpResponse {
    /// A response with `status` and `body` and no header.
    ///
    /// ```
    /// let r = kinesis_wire::transport::HttpResponse::new(200, b"{}".to_vec());
    /// assert_eq!((r.status, r.headers.len()), (200, 0));
    /// ```
    pub fn new(status: u16, body: Vec<u8>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP request and returns the response of any status; errors only when no
/// complete response arrived. Implementations are shared by many threads.
///
/// ```
/// use kinesis_wire::transport::{HttpRequest, HttpResponse, Transport};
/// use kinesis_wire::TransportError;
/// #[derive(Debug)]
/// struct AlwaysEmpty;
/// impl Transport for AlwaysEmpty {
///     fn send(&self, _req: &HttpRequest) -> Result<HttpResponse, TransportError> {
///         Ok(HttpResponse::new(200, b"{}".to_vec()))
///     }
/// }
/// ```
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `req`.
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Settings for [`UreqTransport`]; start from [`UreqSettings::default`] and set fields.
///
/// ```
/// use kinesis_wire::transport::{UreqSettings, UreqTransport};
/// let mut s = UreqSettings::default();
/// s.max_connections = 4;
/// let _t = UreqTransport::new(&s).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UreqSettings {
    /// Connect timeout (includes TLS handshake).
    pub connect_timeout: Duration,
    /// Timeout for any single socket read.
    pub read_timeout: Duration,
    /// Timeout for the whole call.
    pub overall_timeout: Duration,
    /// Pool size: idle connections kept per host (≥ threads sharing the client), split
    /// into stripes of at most [`POOL_STRIPE`], one per group of threads.
    pub max_connections: usize,
    /// Skip certificate verification (`aws.trust.all.certificates`).
    pub trust_all_certificates: bool,
    /// CA certificates (PEM) trusted instead of the bundled Mozilla roots.
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Ignore `HTTP(S)_PROXY`/`ALL_PROXY` (always done for loopback endpoints).
    pub no_proxy: bool,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Largest response body read; a larger one fails with
    /// [`TransportErrorKind::BodyTooLarge`].
    pub max_response_bytes: u64,
}

impl Default for UreqSettings {
    /// The timeouts of [`crate::Timeouts::default`], 16 pooled connections, verified TLS
    /// against the bundled roots, proxies from the environment, a 32 MiB body limit.
    fn default() -> Self {
        let t = crate::config::Timeouts::default();
        UreqSettings {
            connect_timeout: t.connect,
            read_timeout: t.read,
            overall_timeout: t.overall,
            max_connections: crate::builder::DEFAULT_MAX_CONNECTIONS,
            trust_all_certificates: false,
            ca_bundle: None,
            no_proxy: false,
            user_agent: USER_AGENT.to_string(),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// The `User-Agent` of every request this crate sends.
pub(crate) const USER_AGENT: &str = concat!("kinesis-rs/", env!("CARGO_PKG_VERSION"));

/// Idle connections per host one stripe (ureq agent) keeps at most. ureq's pool scans all
/// its idle connections, twice, on every request and every return (under one lock): with
/// a thousand reader threads sharing one agent that scan cost more than the request
/// itself, so the pool is split into stripes of this size (see [`UreqTransport`]).
pub const POOL_STRIPE: usize = 8;

/// The real transport: ureq 3 [`ureq::Agent`]s sharing the settings and the host cache.
///
/// The connection pool of `max_connections` is split into stripes of at most
/// [`POOL_STRIPE`] idle connections, one agent each; a thread always uses the same stripe
/// (threads are dealt out to stripes in turn on their first request), so a reader thread
/// finds its own connection in a short list.
#[derive(Clone)]
pub struct UreqTransport {
    agents: std::sync::Arc<[ureq::Agent]>,
    /// For messages that say which timeout ran out.
    read_timeout: Duration,
    overall_timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: u64,
    /// For Debug: the pool size the agent was built with.
    max_connections: usize,
}

/// The settings the agent was built with (so two clients can be compared in tests).
impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("read_timeout", &self.read_timeout)
            .field("overall_timeout", &self.overall_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Reads the certificates of a PEM CA bundle; errors name the file.
fn load_ca_bundle(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, TransportError> {
    let pem = std::fs::read(path).map_err(|e| {
        TransportError::new(
            TransportErrorKind::Tls,
            format!("cannot read CA bundle {}: {e}", path.display()),
        )
    })?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(TransportError::new(
                    TransportErrorKind::Tls,
                    format!("bad PEM in CA bundle {}: {e}", path.display()),
                ))
            }
        }
    }
    if certs.is_empty() {
        return Err(TransportError::new(
            TransportErrorKind::Tls,
            format!("CA bundle {} holds no certificate", path.display()),
        ));
    }
    Ok(certs)
}

/// The TLS settings of every connection this crate makes (Kinesis, STS, SSO, container):
/// certificates checked against the bundled Mozilla roots, or, with a CA bundle, against
/// the bundle's certificates **only** (the bundle replaces the roots, as `AWS_CA_BUNDLE`
/// does in botocore and the AWS CLI; aws-config does not read `AWS_CA_BUNDLE`); not
/// checked at all with `trust_all_certificates`. Fails only when the bundle cannot be read.
pub(crate) fn tls_config(
    trust_all_certificates: bool,
    ca_bundle: Option<&Path>,
) -> Result<ureq::tls::TlsConfig, TransportError> {
    let mut tls = ureq::tls::TlsConfig::builder().disable_verification(trust_all_certificates);
    if let Some(path) = ca_bundle {
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&load_ca_bundle(path)?));
    }
    Ok(tls.build())
}

impl UreqTransport {
    /// Builds the agent. Fails only when the CA bundle cannot be read.
    pub fn new(s: &UreqSettings) -> Result<Self, TransportError> {
        let tls = tls_config(s.trust_all_certificates, s.ca_bundle.as_deref())?;
        let pool = s.max_connections.max(1);
        let stripes = pool.div_ceil(POOL_STRIPE);
        let per_stripe = pool.div_ceil(stripes);
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(s.connect_timeout))
            // A zero read timeout means none (as Flink's `read-timeout = 0`); ureq would
            // read it as "time out at once".
            .timeout_per_read((!s.read_timeout.is_zero()).then_some(s.read_timeout))
            // Writes get the same bound: a constant per-write timeout is set on a connection
            // once, where the remaining global timeout alone differs on every request and
            // ureq sets the socket's write timeout (a system call) each time. The global
            // timeout still caps both when it is the nearer.
            .timeout_per_write((!s.read_timeout.is_zero()).then_some(s.read_timeout))
            .timeout_global(Some(s.overall_timeout))
            .max_idle_connections(per_stripe.max(10))
            .max_idle_connections_per_host(per_stripe)
            .max_idle_age(Duration::from_secs(50))
            .max_redirects(0)
            .user_agent(s.user_agent.as_str())
            .tls_config(tls);
        if s.no_proxy {
            cfg = cfg.proxy(None);
        }
        // ureq resolves the host on every request; its default resolver does so on a new
        // thread whenever a timeout is set (always, here): see `crate::resolver`.
        let config = cfg.build();
        let resolver = crate::resolver::SharedResolver::default();
        let agents: Vec<ureq::Agent> = (0..stripes)
            .map(|_| {
                ureq::Agent::with_parts(
                    config.clone(),
                    ureq::unversioned::transport::DefaultConnector::new(),
                    resolver.clone(),
                )
            })
            .collect();
        Ok(UreqTransport {
            agents: agents.into(),
            read_timeout: s.read_timeout,
            overall_timeout: s.overall_timeout,
            connect_timeout: s.connect_timeout,
            max_response_bytes: s.max_response_bytes,
            max_connections: pool,
        })
    }
}

fn map_io(e: &io::Error) -> TransportErrorKind {
    use io::ErrorKind::*;
    // rustls reports handshake and certificate failures as io errors wrapping its own.
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return TransportErrorKind::Tls;
    }
    match e.kind() {
        // No route: as Java's NoRouteToHostException, a kind of connect failure.
        ConnectionRefused | NetworkUnreachable | HostUnreachable | AddrNotAvailable
        | NetworkDown => TransportErrorKind::ConnectRefused,
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof | NotConnected => {
            TransportErrorKind::Reset
        }
        TimedOut | WouldBlock => TransportErrorKind::Timeout,
        _ => TransportErrorKind::Other,
    }
}

fn map_ureq(e: &ureq::Error) -> TransportError {
    use ureq::Error as E;
    let kind = match e {
        E::Io(io) => map_io(io),
        E::Timeout(t) => match t {
            ureq::Timeout::Connect | ureq::Timeout::Resolve => TransportErrorKind::ConnectTimeout,
            _ => TransportErrorKind::Timeout,
        },
        E::HostNotFound => TransportErrorKind::Dns,
        E::ConnectionFailed => TransportErrorKind::ConnectRefused,
        E::Tls(_) | E::Pem(_) | E::Rustls(_) => TransportErrorKind::Tls,
        E::Protocol(_) => TransportErrorKind::Protocol,
        E::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, e.to_string())
}

/// `scheme://host[:port]` of a URL, for messages.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

fn too_large(size: Option<u64>, max: u64) -> TransportError {
    let limit = if max >= 1 << 20 && max.is_multiple_of(1 << 20) {
        format!("{} MiB", max >> 20)
    } else {
        format!("{max} bytes")
    };
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        match size {
            Some(n) => format!("response of {n} bytes exceeds the {limit} limit"),
            None => format!("response of more than {max} bytes exceeds the {limit} limit"),
        },
    )
}

/// `rb` with `headers` added.
fn with_headers<B>(
    mut rb: ureq::RequestBuilder<B>,
    headers: &[(String, String)],
) -> ureq::RequestBuilder<B> {
    for (k, v) in headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    rb
}

impl UreqTransport {
    /// A ureq error with a message that says what happened where (D19): which endpoint gave
    /// no answer within which timeout, or how large an answer was.
    fn describe(&self, url: &str, e: ureq::Error) -> TransportError {
        let mut err = map_ureq(&e);
        let at = origin(url);
        match &e {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                err.message = format!(
                    "cannot connect to {at} within {} s",
                    secs(self.connect_timeout)
                );
            }
            ureq::Error::Timeout(ureq::Timeout::Global) => {
                err.message = format!(
                    "no answer from {at} within {} s",
                    secs(self.overall_timeout)
                );
            }
            ureq::Error::Timeout(ureq::Timeout::PerWrite) => {
                err.message = format!(
                    "cannot send the request to {at} within {} s",
                    secs(self.read_timeout)
                );
            }
            ureq::Error::Timeout(_) => {
                err.message = format!("no answer from {at} within {} s", secs(self.read_timeout));
            }
            ureq::Error::Io(io) if err.kind == TransportErrorKind::Timeout => {
                err.message = format!(
                    "no answer from {at} within {} s ({io})",
                    secs(self.read_timeout)
                );
            }
            ureq::Error::BodyExceedsLimit(_) => err = too_large(None, self.max_response_bytes),
            _ => {}
        }
        err
    }
}

/// Deals threads out to pool stripes in turn.
static NEXT_STRIPE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe number (modulo a transport's stripe count).
    static STRIPE: usize = NEXT_STRIPE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

impl UreqTransport {
    /// The calling thread's agent.
    fn agent(&self) -> &ureq::Agent {
        let i = STRIPE.with(|s| *s) % self.agents.len();
        &self.agents[i]
    }

    /// How many agents (pool stripes) this transport has.
    pub fn stripes(&self) -> usize {
        self.agents.len()
    }
}

impl Transport for UreqTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let agent = self.agent();
        let sent = match req.method {
            Method::Post => with_headers(agent.post(&req.url), &req.headers).send(&req.body[..]),
            Method::Put if req.body.is_empty() => {
                with_headers(agent.put(&req.url), &req.headers).send_empty()
            }
            Method::Put => with_headers(agent.put(&req.url), &req.headers).send(&req.body[..]),
            Method::Get => with_headers(agent.get(&req.url), &req.headers).call(),
        };
        let mut resp = sent.map_err(|e| self.describe(&req.url, e))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // An announced size over the limit is refused before reading any of it.
        if let Some(n) = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<u64>().ok())
            .filter(|n| *n > self.max_response_bytes)
        {
            return Err(too_large(Some(n), self.max_response_bytes));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| self.describe(&req.url, e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Whether `endpoint`'s host is a loopback address (`127.x`, `localhost`, `[::1]`).
pub(crate) fn is_loopback_endpoint(endpoint: &str) -> bool {
    let rest = endpoint.split("://").nth(1).unwrap_or(endpoint);
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(stripped) = authority.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_credential_headers_and_bodies() {
        let resp = HttpResponse {
            status: 200,
            headers: vec![("x-amzn-requestid".into(), "r-1".into())],
            body: br#"{"Records":[{"Data":"c2VjcmV0"}]}"#.to_vec(),
        };
        let shown = format!("{resp:?}");
        assert!(
            shown.contains("r-1") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
        let req = HttpRequest {
            method: Method::Post,
            url: "https://kinesis.us-east-1.amazonaws.com/".into(),
            headers: vec![
                (
                    "authorization".into(),
                    "AWS4-HMAC-SHA256 Signature=abc".into(),
                ),
                ("X-Amz-Security-Token".into(), "tok3n".into()),
                ("x-amz-target".into(), "Kinesis_20131202.PutRecords".into()),
            ],
            body: b"{}".to_vec(),
        };
        let shown = format!("{req:?}");
        assert!(
            !shown.contains("Signature=abc") && !shown.contains("tok3n"),
            "{shown}"
        );
        assert!(shown.contains("PutRecords"), "{shown}");
    }

    fn with_pool(n: usize) -> UreqTransport {
        UreqTransport::new(&UreqSettings {
            max_connections: n,
            ..UreqSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn the_pool_is_split_into_short_stripes() {
        assert_eq!(with_pool(0).stripes(), 1);
        assert_eq!(with_pool(POOL_STRIPE).stripes(), 1);
        assert_eq!(with_pool(16).stripes(), 2);
        assert_eq!(with_pool(1000).stripes(), 125);
    }

    #[test]
    fn a_thread_keeps_its_stripe_and_threads_are_dealt_out_in_turn() {
        let t = with_pool(4 * POOL_STRIPE);
        let index = |t: &UreqTransport| {
            let a: *const ureq::Agent = t.agent();
            t.agents.iter().position(|b| std::ptr::eq(a, b)).unwrap()
        };
        let mine = index(&t);
        assert_eq!(index(&t), mine, "the same thread, the same stripe");
        let others: std::collections::BTreeSet<usize> = (0..4)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || index(&t)).join().unwrap()
            })
            .collect();
        // Four threads started one after another: consecutive stripe numbers, unless other
        // tests' threads took numbers in between; at least two distinct stripes either way.
        assert!(others.len() >= 2, "{others:?}");
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback_endpoint("http://127.0.0.1:4567"));
        assert!(is_loopback_endpoint("http://localhost:4567/"));
        assert!(is_loopback_endpoint("https://[::1]:443"));
        assert!(!is_loopback_endpoint(
            "https://kinesis.us-east-1.amazonaws.com"
        ));
    }

    #[test]
    fn io_error_kinds_map() {
        assert_eq!(
            map_io(&io::Error::from(io::ErrorKind::ConnectionRefused)),
            TransportErrorKind::ConnectRefused
        );
        assert_eq!(
            map_io(&io::Error::from(io::ErrorKind::ConnectionReset)),
            TransportErrorKind::Reset
        );
        assert_eq!(
            map_io(&io::Error::from(io::ErrorKind::TimedOut)),
            TransportErrorKind::Timeout
        );
    }

    #[test]
    fn a_ca_bundle_replaces_the_bundled_roots() {
        let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ca.pem");
        let with_bundle = tls_config(false, Some(&ca)).unwrap();
        match with_bundle.root_certs() {
            ureq::tls::RootCerts::Specific(certs) => assert_eq!(certs.len(), 1),
            other => panic!("expected the bundle's certificate only, got {other:?}"),
        }
        let without = tls_config(false, None).unwrap();
        assert!(matches!(without.root_certs(), ureq::tls::RootCerts::WebPki));
        assert!(tls_config(true, None).unwrap().disable_verification());
    }

    #[test]
    fn ca_bundle_errors_name_the_file() {
        let e = load_ca_bundle(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert_eq!(e.kind, TransportErrorKind::Tls);
        assert!(e.message.contains("/nonexistent/ca.pem"));
        let dir = std::env::temp_dir().join(format!("kw-ca-{}", fastrand::u64(..)));
        std::fs::write(&dir, b"not a pem").unwrap();
        let e = load_ca_bundle(&dir).unwrap_err();
        assert!(e.message.contains("no certificate"), "{e}");
        let _ = std::fs::remove_file(&dir);
    }
}
