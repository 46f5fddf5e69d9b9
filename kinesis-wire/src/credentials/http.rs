//! The credential providers' view of HTTP: requests go through the crate's one
//! [`Transport`] (a [`UreqTransport`] with the credential endpoints' settings unless the
//! [`ProviderContext`] brings its own), answers come back as status and text, and failures
//! are sorted into "nothing answered" and the rest.

use std::sync::Arc;
use std::time::Duration;

use super::ProviderContext;
use crate::clock::Clock;
use crate::error::{TransportError, TransportErrorKind};
use crate::redact;
use crate::retry::{RetryPolicy, RetryStop, Shutdown};
use crate::transport::{HttpRequest, Transport, UreqSettings, UreqTransport};

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
    /// Nothing answered (refused, unreachable, timed out, reset, DNS failure).
    Unreachable(String),
    /// Something else went wrong (TLS, protocol error, body too large, bad URL).
    Other(String),
}

impl HttpFailure {
    /// The failure of a request to `url`.
    fn of(url: &str, e: &TransportError) -> Self {
        let text = format!("request to {url} failed: {e}");
        match e.kind {
            TransportErrorKind::ConnectRefused
            | TransportErrorKind::ConnectTimeout
            | TransportErrorKind::Timeout
            | TransportErrorKind::Reset
            | TransportErrorKind::Dns => HttpFailure::Unreachable(text),
            _ => HttpFailure::Other(text),
        }
    }
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::Unreachable(s) | HttpFailure::Other(s) => f.write_str(s),
        }
    }
}

/// Largest credential response we accept; real ones are a few KiB.
const BODY_LIMIT: u64 = 1 << 20;

/// The transport a provider sends through: `ctx`'s when it has one, else a
/// [`UreqTransport`] with these timeouts and TLS as for Kinesis
/// ([`crate::transport::tls_config`]); fails only when the CA bundle cannot be read.
/// Proxies from the environment are ignored on purpose: credential endpoints are
/// link-local or loopback (IMDS, containers), and STS/SSO go the same direct way as the
/// Kinesis traffic. No redirects, a 1 MiB body limit, no per-read timeout (the overall one
/// bounds the call). `tls` false leaves the TLS settings out (the instance metadata
/// service is plain http on a link-local address).
pub(crate) fn transport(
    ctx: &ProviderContext,
    connect: Duration,
    overall: Duration,
    tls: bool,
) -> Result<Arc<dyn Transport>, String> {
    if let Some(t) = &ctx.transport {
        return Ok(t.clone());
    }
    let mut s = UreqSettings {
        connect_timeout: connect,
        read_timeout: Duration::ZERO,
        overall_timeout: overall,
        max_connections: 2,
        no_proxy: true,
        max_response_bytes: BODY_LIMIT,
        ..UreqSettings::default()
    };
    if tls {
        s.trust_all_certificates = ctx.trust_all_certificates;
        s.ca_bundle = ctx.ca_bundle.clone();
    }
    let t = UreqTransport::new(&s).map_err(|e| e.message)?;
    Ok(Arc::new(t))
}

/// Sends `req` through `transport`; the body is read as text.
pub(crate) fn send(transport: &dyn Transport, req: &HttpRequest) -> Result<HttpReply, HttpFailure> {
    let resp = transport
        .send(req)
        .map_err(|e| HttpFailure::of(&req.url, &e))?;
    Ok(HttpReply {
        status: resp.status,
        body: String::from_utf8_lossy(&resp.body).into_owned(),
    })
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
/// waiting on `clock`, and stopping when `shutdown` triggers. Returns the last reply (any
/// status) or failure.
pub(crate) fn send_retrying(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    shutdown: &Shutdown,
    retry_unreachable: bool,
    mut send: impl FnMut() -> Result<HttpReply, HttpFailure>,
) -> Result<Result<HttpReply, HttpFailure>, Interrupted> {
    let retryable = |a: &Attempt| match a {
        Attempt::Status(_) => true,
        Attempt::Failed(HttpFailure::Unreachable(_)) => retry_unreachable,
        Attempt::Failed(HttpFailure::Other(_)) => false,
    };
    let out = policy.retry_on(clock, shutdown, retryable, |_| match send() {
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
        let ctx = ProviderContext::default().with_ca_bundle("/nonexistent/ca.pem");
        let second = Duration::from_secs(1);
        let e = transport(&ctx, second, second, true).unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        // The instance metadata service's transport takes no TLS settings.
        assert!(transport(&ctx, second, second, false).is_ok());
    }

    #[test]
    fn failures_are_sorted_by_kind() {
        let unreachable = [
            TransportErrorKind::ConnectRefused,
            TransportErrorKind::ConnectTimeout,
            TransportErrorKind::Timeout,
            TransportErrorKind::Reset,
            TransportErrorKind::Dns,
        ];
        for kind in TransportErrorKind::ALL {
            let f = HttpFailure::of("http://x/", &TransportError::new(kind, "m"));
            assert_eq!(
                matches!(f, HttpFailure::Unreachable(_)),
                unreachable.contains(&kind),
                "{kind:?}"
            );
            assert!(
                f.to_string().starts_with("request to http://x/ failed: "),
                "{f}"
            );
        }
    }
}
