//! The small HTTP layer the credential providers share: one blocking ureq agent per
//! provider, no proxy, no redirects, short timeouts, bodies read whatever the status.

use std::path::PathBuf;
use std::time::Duration;

use ureq::http::Uri;

use crate::redact;
use crate::retry::{RetryPolicy, RetryStop, Shutdown};

/// A finished exchange: status and body text.
pub(crate) struct HttpReply {
    pub status: u16,
    pub body: String,
}

// Manual: the body of a successful reply holds credentials.
impl std::fmt::Debug for HttpReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpReply")
            .field("status", &self.status)
            .field("body", &redact::Body(self.body.len()))
            .finish()
    }
}

impl HttpReply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why an exchange did not produce a reply.
#[derive(Debug)]
pub(crate) enum HttpFailure {
    /// Nothing answered (refused, unreachable, timed out before a response, DNS failure).
    Unreachable(String),
    /// Something else went wrong (bad URL, protocol error, body too large).
    Other(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::Unreachable(s) | HttpFailure::Other(s) => f.write_str(s),
        }
    }
}

/// Timeouts and TLS settings of a provider's agent.
#[derive(Debug, Clone)]
pub(crate) struct HttpSettings {
    pub connect: Duration,
    pub overall: Duration,
    pub trust_all_certificates: bool,
    /// CA certificates (PEM) trusted instead of the bundled roots.
    pub ca_bundle: Option<PathBuf>,
}

/// Builds an agent; fails only when the CA bundle cannot be read. Proxies from the
/// environment are ignored on purpose: credential endpoints are link-local or loopback
/// (IMDS, containers), and STS/SSO go the same direct way as the Kinesis traffic. TLS is
/// set up exactly as for Kinesis ([`crate::transport::tls_config`]).
pub(crate) fn agent(s: &HttpSettings) -> Result<ureq::Agent, String> {
    let tls = crate::transport::tls_config(s.trust_all_certificates, s.ca_bundle.as_deref())
        .map_err(|e| e.message)?;
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .timeout_connect(Some(s.connect))
        .timeout_global(Some(s.overall))
        .tls_config(tls)
        .user_agent(concat!("kinesis-rs/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}

/// Largest credential response we accept; real ones are a few KiB.
const BODY_LIMIT: u64 = 1 << 20;

fn finish(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<HttpReply, HttpFailure> {
    let mut resp = result.map_err(|e| classify(e, url))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_string()
        .map_err(|e| HttpFailure::Other(format!("reading the response of {url}: {e}")))?;
    Ok(HttpReply { status, body })
}

fn classify(e: ureq::Error, url: &str) -> HttpFailure {
    let text = format!("request to {url} failed: {e}");
    match e {
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed => HttpFailure::Unreachable(text),
        _ => HttpFailure::Other(text),
    }
}

/// `GET url` with extra headers.
pub(crate) fn get(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<HttpReply, HttpFailure> {
    let uri: Uri = url
        .parse()
        .map_err(|e| HttpFailure::Other(format!("bad URL {url}: {e}")))?;
    get_uri(agent, &uri, headers)
}

/// `GET uri` with extra headers: for a URI already parsed (and checked) by the caller, so
/// the request goes exactly where the check looked.
pub(crate) fn get_uri(
    agent: &ureq::Agent,
    uri: &Uri,
    headers: &[(&str, &str)],
) -> Result<HttpReply, HttpFailure> {
    let mut rb = agent.get(uri.clone());
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    finish(rb.call(), &uri.to_string())
}

/// `PUT url` with an empty body and extra headers.
pub(crate) fn put_empty(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<HttpReply, HttpFailure> {
    let mut rb = agent.put(url);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    finish(rb.send_empty(), url)
}

/// `POST url` with a body and headers.
pub(crate) fn post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpReply, HttpFailure> {
    let mut rb = agent.post(url);
    for (k, v) in headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    finish(rb.send(body), url)
}

/// An attempt of [`send_retrying`] that may be retried: a server error (5xx, 429) or a
/// failure to exchange at all.
#[derive(Debug)]
enum Attempt {
    Status(HttpReply),
    Failed(HttpFailure),
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Only the status: this goes to debug logs, and bodies are not for logs.
            Attempt::Status(r) => write!(f, "HTTP {}", r.status),
            Attempt::Failed(e) => e.fmt(f),
        }
    }
}

/// The caller's shutdown stopped [`send_retrying`].
#[derive(Debug)]
pub(crate) struct Interrupted;

/// Calls `send` until it gives a reply that is not a server error (5xx or 429), retrying
/// server errors and (when `retry_unreachable`) unreachable endpoints as `policy` allows,
/// and stopping when `shutdown` triggers. Returns the last reply (any status) or failure.
pub(crate) fn send_retrying(
    policy: &RetryPolicy,
    shutdown: &Shutdown,
    retry_unreachable: bool,
    mut send: impl FnMut() -> Result<HttpReply, HttpFailure>,
) -> Result<Result<HttpReply, HttpFailure>, Interrupted> {
    let retryable = |a: &Attempt| match a {
        Attempt::Status(_) => true,
        Attempt::Failed(HttpFailure::Unreachable(_)) => retry_unreachable,
        Attempt::Failed(HttpFailure::Other(_)) => false,
    };
    let out = policy.retry(shutdown, retryable, |_| match send() {
        Ok(r) if r.status >= 500 || r.status == 429 => Err(Attempt::Status(r)),
        Ok(r) => Ok(r),
        Err(f) => Err(Attempt::Failed(f)),
    });
    match out {
        Ok(r) => Ok(Ok(r)),
        Err(RetryStop::Fatal(a) | RetryStop::Exhausted { last: a, .. }) => Ok(match a {
            Attempt::Status(r) => Ok(r),
            Attempt::Failed(f) => Err(f),
        }),
        Err(RetryStop::Interrupted { .. }) => Err(Interrupted),
    }
}

/// Percent-encodes a form value (RFC 3986 unreserved characters stay as they are).
pub(crate) fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Joins `(key, value)` pairs as an `application/x-www-form-urlencoded` body.
pub(crate) fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The first `max` characters of a response body (or a process's stderr), for error
/// messages about responses that did not carry credentials (error pages). Secret-looking
/// fields are masked anyway, and so is each of `known` (the secrets the request carried):
/// an error page or a proxy may echo the request, a process may print credentials to the
/// wrong stream.
pub(crate) fn snippet(body: &str, max: usize, known: &[&str]) -> String {
    let masked = redact::mask_known(&redact::mask_secret_fields(body), known);
    let trimmed = masked.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_string()
    } else {
        let cut: String = trimmed.chars().take(max).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode("arn:aws:iam::1:role/a b+c"),
            "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc"
        );
        assert_eq!(form_body(&[("A", "1"), ("B", "x&y")]), "A=1&B=x%26y");
        assert_eq!(snippet("  abcdef ", 3, &[]), "abc...");
        assert_eq!(
            snippet(
                "echo: tokenvalue1 {\"Token\":\"t2\"}",
                200,
                &["tokenvalue1"]
            ),
            "echo: ****** {\"Token\":\"******\"}"
        );
        let r = HttpReply {
            status: 200,
            body: r#"{"SecretAccessKey":"s3cr3t"}"#.into(),
        };
        assert!(!format!("{r:?}").contains("s3cr3t"));
    }

    #[test]
    fn unreadable_ca_bundle_is_an_error_naming_the_file() {
        let s = HttpSettings {
            connect: Duration::from_secs(1),
            overall: Duration::from_secs(1),
            trust_all_certificates: false,
            ca_bundle: Some(PathBuf::from("/nonexistent/ca.pem")),
        };
        let e = agent(&s).unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
