//! The one error type of the client, [`KinesisError`], and its classification into
//! retryable / throttling errors.
//!
//! Classification follows Flink's `KinesisProxy#isRecoverableException` (reference §5.3):
//! service-side faults (HTTP 5xx, `InternalFailure`, `ServiceUnavailable`) and
//! `ProvisionedThroughputExceededException` are recoverable; other client errors
//! (`ExpiredIteratorException`, `ResourceNotFoundException`, validation errors) are not; socket
//! timeouts, resets and early EOFs are recoverable. Decision D6 adds `LimitExceededException`
//! (and the generic AWS throttling codes) as retryable throttling everywhere.

use std::fmt;
use std::time::Duration;

use crate::credentials::CredentialsError;

/// Service error codes (`__type`) the client knows by name.
pub mod codes {
    /// Per-shard read or write throughput exceeded (throttling).
    pub const PROVISIONED_THROUGHPUT_EXCEEDED: &str = "ProvisionedThroughputExceededException";
    /// Too many control-plane calls, or a shard/consumer limit (throttling per D6).
    pub const LIMIT_EXCEEDED: &str = "LimitExceededException";
    /// A shard iterator older than 300 s.
    pub const EXPIRED_ITERATOR: &str = "ExpiredIteratorException";
    /// A `NextToken` of ListShards/ListStreamConsumers that has expired.
    pub const EXPIRED_NEXT_TOKEN: &str = "ExpiredNextTokenException";
    /// The stream, shard or consumer does not exist.
    pub const RESOURCE_NOT_FOUND: &str = "ResourceNotFoundException";
    /// The resource is not in a state that allows the call (e.g. stream not ACTIVE).
    pub const RESOURCE_IN_USE: &str = "ResourceInUseException";
    /// A request parameter is invalid.
    pub const INVALID_ARGUMENT: &str = "InvalidArgumentException";
    /// A request failed model validation (kinesalite, some AWS front ends).
    pub const VALIDATION: &str = "ValidationException";
    /// The request body could not be parsed by the service.
    pub const SERIALIZATION: &str = "SerializationException";
    /// Not authorized.
    pub const ACCESS_DENIED: &str = "AccessDeniedException";
    /// Temporary credentials have expired.
    pub const EXPIRED_TOKEN: &str = "ExpiredTokenException";
    /// Temporary credentials have expired (query-protocol spelling, e.g. from STS).
    pub const EXPIRED_TOKEN_SHORT: &str = "ExpiredToken";
    /// The signature does not match (or, with "expired" in the message, the credentials expired).
    pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";
    /// The access key id is not known (or, with "expired" in the message, has expired).
    pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";
    /// The `Authorization` header lacks a part of the signature.
    pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
    /// The request carried no `Authorization` header at all.
    pub const MISSING_AUTHENTICATION_TOKEN: &str = "MissingAuthenticationTokenException";
    /// An internal service fault.
    pub const INTERNAL_FAILURE: &str = "InternalFailure";
    /// The service is temporarily unavailable.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// Generic AWS throttling code.
    pub const THROTTLING: &str = "ThrottlingException";
    /// KMS key disabled.
    pub const KMS_DISABLED: &str = "KMSDisabledException";
    /// KMS key in an invalid state.
    pub const KMS_INVALID_STATE: &str = "KMSInvalidStateException";
    /// KMS access denied.
    pub const KMS_ACCESS_DENIED: &str = "KMSAccessDeniedException";
    /// KMS key not found.
    pub const KMS_NOT_FOUND: &str = "KMSNotFoundException";
    /// KMS opt-in required.
    pub const KMS_OPT_IN_REQUIRED: &str = "KMSOptInRequired";
    /// KMS throttled the request.
    pub const KMS_THROTTLING: &str = "KMSThrottlingException";

    /// Every error code Kinesis Data Streams documents (its actions' errors and the AWS
    /// common errors, in the JSON protocol's spellings and the query protocol's), for
    /// validating names users write (e.g. `scan.shard.consumer.error.recoverable`).
    pub const ALL: &[&str] = &[
        PROVISIONED_THROUGHPUT_EXCEEDED,
        LIMIT_EXCEEDED,
        EXPIRED_ITERATOR,
        EXPIRED_NEXT_TOKEN,
        RESOURCE_NOT_FOUND,
        RESOURCE_IN_USE,
        INVALID_ARGUMENT,
        VALIDATION,
        SERIALIZATION,
        ACCESS_DENIED,
        EXPIRED_TOKEN,
        EXPIRED_TOKEN_SHORT,
        INVALID_SIGNATURE,
        UNRECOGNIZED_CLIENT,
        INCOMPLETE_SIGNATURE,
        MISSING_AUTHENTICATION_TOKEN,
        INTERNAL_FAILURE,
        SERVICE_UNAVAILABLE,
        THROTTLING,
        KMS_DISABLED,
        KMS_INVALID_STATE,
        KMS_ACCESS_DENIED,
        KMS_NOT_FOUND,
        KMS_OPT_IN_REQUIRED,
        KMS_THROTTLING,
        "InternalFailureException",
        "InternalServerError",
        "IncompleteSignature",
        "InvalidAction",
        "InvalidClientTokenId",
        "InvalidParameterCombination",
        "InvalidParameterValue",
        "InvalidQueryParameter",
        "MalformedQueryString",
        "MissingAction",
        "MissingAuthenticationToken",
        "MissingParameter",
        "NotAuthorized",
        "OptInRequired",
        "RequestExpired",
        "ValidationError",
        "UnknownOperationException",
    ];
}

/// What went wrong below HTTP: the cases callers and retry rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The TCP connection was refused (nothing listens on the port).
    ConnectRefused,
    /// Connecting (including TLS handshake and DNS) took longer than the connect timeout.
    ConnectTimeout,
    /// A read, write or the whole call took longer than its timeout.
    Timeout,
    /// The connection was reset or closed early (EOF before a complete response).
    Reset,
    /// The host name could not be resolved.
    Dns,
    /// TLS failed (bad certificate, handshake error, unreadable CA bundle).
    Tls,
    /// The peer spoke broken HTTP.
    Protocol,
    /// The response body exceeded the client's size limit.
    BodyTooLarge,
    /// Anything else (bad URL, proxy settings, other I/O errors).
    Other,
}

impl TransportErrorKind {
    /// The simple names of the Java exceptions the AWS Java SDK raises for this failure
    /// (Flink's `scan.shard.consumer.error.recoverable` values name them, e.g.
    /// `java.net.UnknownHostException`).
    ///
    /// ```
    /// use kinesis_wire::TransportErrorKind;
    /// assert!(TransportErrorKind::Dns.java_exceptions().contains(&"UnknownHostException"));
    /// ```
    pub fn java_exceptions(self) -> &'static [&'static str] {
        match self {
            TransportErrorKind::ConnectRefused => &["ConnectException", "NoRouteToHostException"],
            TransportErrorKind::ConnectTimeout => &[
                "SocketTimeoutException",
                "ConnectTimeoutException",
                "ConnectException",
            ],
            TransportErrorKind::Timeout => &[
                "SocketTimeoutException",
                "ApiCallAttemptTimeoutException",
                "ApiCallTimeoutException",
            ],
            TransportErrorKind::Reset => {
                &["SocketException", "EOFException", "NoHttpResponseException"]
            }
            TransportErrorKind::Dns => &["UnknownHostException"],
            TransportErrorKind::Tls => &[
                "SSLException",
                "SSLHandshakeException",
                "SSLPeerUnverifiedException",
            ],
            TransportErrorKind::Protocol => &["ProtocolException", "MalformedChunkCodingException"],
            TransportErrorKind::BodyTooLarge | TransportErrorKind::Other => &["SdkClientException"],
        }
    }

    /// Every kind, for tables and validation.
    pub const ALL: [TransportErrorKind; 9] = [
        TransportErrorKind::ConnectRefused,
        TransportErrorKind::ConnectTimeout,
        TransportErrorKind::Timeout,
        TransportErrorKind::Reset,
        TransportErrorKind::Dns,
        TransportErrorKind::Tls,
        TransportErrorKind::Protocol,
        TransportErrorKind::BodyTooLarge,
        TransportErrorKind::Other,
    ];

    fn as_str(self) -> &'static str {
        match self {
            TransportErrorKind::ConnectRefused => "connection refused",
            TransportErrorKind::ConnectTimeout => "connect timed out",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Reset => "connection reset",
            TransportErrorKind::Dns => "host not found",
            TransportErrorKind::Tls => "tls error",
            TransportErrorKind::Protocol => "http protocol error",
            TransportErrorKind::BodyTooLarge => "response body too large",
            TransportErrorKind::Other => "transport error",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of the HTTP transport: no HTTP response was received (or it was unreadable).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportError {
    /// Which kind of failure.
    pub kind: TransportErrorKind,
    /// Detail from the underlying library.
    pub message: String,
}

impl TransportError {
    /// A new transport error.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {}

/// Every error the Kinesis client returns.
///
/// ```
/// use kinesis_wire::{KinesisError, codes};
/// let e = KinesisError::Service {
///     action: "GetRecords",
///     code: codes::PROVISIONED_THROUGHPUT_EXCEEDED.into(),
///     message: "Rate exceeded for shard".into(),
///     status: 400,
///     request_id: None,
/// };
/// assert!(e.is_retryable() && e.is_throttling());
/// assert_eq!(e.code(), Some("ProvisionedThroughputExceededException"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KinesisError {
    /// The service answered with an error (any non-2xx HTTP status).
    Service {
        /// The Kinesis action, e.g. `"GetRecords"`.
        action: &'static str,
        /// The error code (`__type` without namespace), e.g. `ResourceNotFoundException`;
        /// empty when the response carried none (e.g. a bare HTTP 500).
        code: String,
        /// The service's message (may be empty).
        message: String,
        /// HTTP status.
        status: u16,
        /// `x-amzn-RequestId`, when sent.
        request_id: Option<String>,
    },
    /// No (complete) HTTP response: connect refused, timeout, reset, TLS, ...
    Transport {
        /// The Kinesis action.
        action: &'static str,
        /// What failed.
        error: TransportError,
    },
    /// Credentials could not be obtained.
    Credentials(CredentialsError),
    /// A request could not be encoded, or a response could not be decoded.
    Protocol {
        /// The Kinesis action.
        action: &'static str,
        /// What was wrong, naming the field or byte at fault.
        message: String,
    },
    /// The client could not be built (bad endpoint, unreadable CA bundle, ...).
    Config {
        /// What was wrong, naming the setting.
        message: String,
    },
    /// A retryable error persisted through every attempt a [`crate::RetryPolicy`] allows.
    RetriesExhausted {
        /// How many calls were made.
        attempts: u32,
        /// The error of the last call.
        last: Box<KinesisError>,
    },
    /// A [`crate::Shutdown`] was triggered while a call was being retried or waited for.
    Interrupted {
        /// How many calls were made before stopping.
        attempts: u32,
        /// The error of the last call, if one was made.
        last: Option<Box<KinesisError>>,
    },
    /// A wait helper (e.g. `wait_for_stream_active`) gave up.
    WaitTimedOut {
        /// What was waited for.
        what: String,
        /// How long it waited.
        waited: Duration,
        /// The last state seen.
        last_state: String,
    },
}

/// Throttling codes of the AWS SDKs (botocore's and aws-smithy's lists) plus KMS throttling.
fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        codes::PROVISIONED_THROUGHPUT_EXCEEDED
            | codes::LIMIT_EXCEEDED
            | codes::THROTTLING
            | "Throttling"
            | "ThrottledException"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded"
            | "TransactionInProgressException"
            | "PriorRequestNotComplete"
            | "EC2ThrottledException"
            | "SlowDown"
            | codes::KMS_THROTTLING
    )
}

/// Transient service-side codes the AWS SDKs retry besides throttling and 5xx.
fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        codes::INTERNAL_FAILURE
            | codes::SERVICE_UNAVAILABLE
            | "InternalError"
            | "InternalServerError"
            | "RequestTimeout"
            | "RequestTimeoutException"
    )
}

/// Codes that mean the request's signature or credentials were refused: retrying with the
/// same credentials cannot help.
fn is_auth_code(code: &str) -> bool {
    matches!(
        code,
        codes::INVALID_SIGNATURE
            | codes::UNRECOGNIZED_CLIENT
            | codes::INCOMPLETE_SIGNATURE
            | codes::MISSING_AUTHENTICATION_TOKEN
            | "MissingAuthenticationToken"
            | "SignatureDoesNotMatch"
            | "InvalidClientTokenId"
            | "AuthFailure"
            | "InvalidAccessKeyId"
            | "IncompleteSignature"
            | codes::EXPIRED_TOKEN
            | codes::EXPIRED_TOKEN_SHORT
            | "RequestExpired"
    )
}

/// Codes that mean the identity is known but not allowed to make the call.
fn is_denied_code(code: &str) -> bool {
    matches!(
        code,
        codes::ACCESS_DENIED | "AccessDenied" | "UnauthorizedOperation"
    )
}

/// The IAM service prefix of an action, for the "lacks permission" hint.
fn iam_service(action: &str) -> &'static str {
    match action {
        "AssumeRole" | "AssumeRoleWithWebIdentity" | "GetCallerIdentity" => "sts",
        "GetRoleCredentials" => "sso",
        "CreateTable" | "DescribeTable" | "DeleteTable" | "GetItem" | "PutItem" | "UpdateItem"
        | "DeleteItem" | "Scan" | "Query" => "dynamodb",
        _ => "kinesis",
    }
}

impl KinesisError {
    /// The service error code, for `Service` errors (and the last error of retry wrappers).
    pub fn code(&self) -> Option<&str> {
        match self {
            KinesisError::Service { code, .. } if !code.is_empty() => Some(code),
            KinesisError::RetriesExhausted { last, .. } => last.code(),
            KinesisError::Interrupted { last: Some(l), .. } => l.code(),
            _ => None,
        }
    }

    /// The HTTP status, for `Service` errors (and the last error of retry wrappers).
    pub fn status(&self) -> Option<u16> {
        match self {
            KinesisError::Service { status, .. } => Some(*status),
            KinesisError::RetriesExhausted { last, .. } => last.status(),
            KinesisError::Interrupted { last: Some(l), .. } => l.status(),
            _ => None,
        }
    }

    /// The transport failure kind, for `Transport` errors.
    pub fn transport_kind(&self) -> Option<TransportErrorKind> {
        match self {
            KinesisError::Transport { error, .. } => Some(error.kind),
            KinesisError::RetriesExhausted { last, .. } => last.transport_kind(),
            _ => None,
        }
    }

    /// How many calls were made, for `RetriesExhausted` / `Interrupted`; 1 otherwise.
    pub fn attempts(&self) -> u32 {
        match self {
            KinesisError::RetriesExhausted { attempts, .. }
            | KinesisError::Interrupted { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// True for a `Service` error with this code (looking through retry wrappers).
    ///
    /// ```
    /// # use kinesis_wire::{KinesisError, codes};
    /// let e = KinesisError::Service { action: "DescribeStreamSummary",
    ///     code: codes::RESOURCE_NOT_FOUND.into(), message: String::new(), status: 400, request_id: None };
    /// assert!(e.is_code(codes::RESOURCE_NOT_FOUND));
    /// ```
    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// Whether the call may succeed if made again (after a backoff), as the AWS SDKs
    /// classify errors (decisions D19).
    ///
    /// True for: throttling codes (see [`KinesisError::is_throttling`]), HTTP 429 and 5xx,
    /// `InternalFailure`, `ServiceUnavailable` and the SDKs' other transient codes; transport
    /// failures except TLS errors, an oversized body and unclassified errors (connection
    /// refused and unknown host count as retryable here: the source retries them within its
    /// options, the sink treats them as fatal). False for every HTTP 401 and 403 whatever
    /// its code, for every other 4xx (e.g. `AccessDeniedException`,
    /// `UnrecognizedClientException`, `ExpiredIteratorException`,
    /// `ResourceNotFoundException`, validation errors), for credentials, protocol and
    /// configuration errors, and for `RetriesExhausted` itself.
    ///
    /// ```
    /// # use kinesis_wire::{KinesisError, codes};
    /// let denied = KinesisError::Service { action: "PutRecords", code: "SignatureDoesNotMatch".into(),
    ///     message: String::new(), status: 403, request_id: None };
    /// assert!(!denied.is_retryable());
    /// assert!(denied.to_string().contains("check the credentials provider and the clock"));
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            KinesisError::Service { code, status, .. } => {
                if matches!(*status, 401 | 403) || is_auth_code(code) || is_denied_code(code) {
                    return false;
                }
                *status >= 500
                    || *status == 429
                    || is_throttling_code(code)
                    || is_transient_code(code)
            }
            KinesisError::Transport { error, .. } => !matches!(
                error.kind,
                TransportErrorKind::Tls
                    | TransportErrorKind::BodyTooLarge
                    | TransportErrorKind::Other
            ),
            _ => false,
        }
    }

    /// Whether this error is named by `name`: its service code, or for a transport failure
    /// one of [`TransportErrorKind::java_exceptions`] (looking through retry wrappers). The
    /// rule of `scan.shard.consumer.error.recoverable` (decisions D16).
    ///
    /// ```
    /// # use kinesis_wire::{KinesisError, TransportError, TransportErrorKind};
    /// let e = KinesisError::Transport { action: "GetRecords",
    ///     error: TransportError::new(TransportErrorKind::Dns, "no such host") };
    /// assert!(e.is_named("UnknownHostException"));
    /// assert!(!e.is_named("ResourceInUseException"));
    /// ```
    pub fn is_named(&self, name: &str) -> bool {
        match self {
            KinesisError::Transport { error, .. } => error.kind.java_exceptions().contains(&name),
            KinesisError::RetriesExhausted { last, .. } => last.is_named(name),
            KinesisError::Interrupted { last: Some(l), .. } => l.is_named(name),
            other => other.code() == Some(name),
        }
    }

    /// Whether no connection could be made: refused, unknown host, or the connect timeout
    /// ran out (looking through retry wrappers). A timeout waiting for an answer, a reset or
    /// an oversized answer is not a connect failure: the endpoint was reached.
    pub fn is_connect_failure(&self) -> bool {
        match self {
            KinesisError::Transport { error, .. } => matches!(
                error.kind,
                TransportErrorKind::ConnectRefused
                    | TransportErrorKind::ConnectTimeout
                    | TransportErrorKind::Dns
            ),
            KinesisError::RetriesExhausted { last, .. } => last.is_connect_failure(),
            KinesisError::Interrupted { last: Some(l), .. } => l.is_connect_failure(),
            _ => false,
        }
    }

    /// Whether the service refused the caller's identity or permissions: HTTP 401/403, or an
    /// authentication / authorisation code (`AccessDeniedException`,
    /// `UnrecognizedClientException`, `InvalidSignatureException`, ...). Never retryable.
    pub fn is_auth_failure(&self) -> bool {
        match self {
            KinesisError::Service { code, status, .. } => {
                matches!(*status, 401 | 403) || is_auth_code(code) || is_denied_code(code)
            }
            KinesisError::RetriesExhausted { last, .. } => last.is_auth_failure(),
            KinesisError::Interrupted { last: Some(l), .. } => l.is_auth_failure(),
            _ => false,
        }
    }

    /// What a person should check for an authentication or authorisation failure, e.g.
    /// "check the credentials provider and the clock" or "the identity lacks
    /// kinesis:PutRecords"; `None` for other errors.
    pub fn hint(&self) -> Option<String> {
        match self {
            KinesisError::Service {
                action,
                code,
                status,
                ..
            } => {
                let service = iam_service(action);
                if is_denied_code(code) {
                    Some(format!("the identity lacks {service}:{action}"))
                } else if is_auth_code(code) {
                    Some("check the credentials provider and the clock".to_string())
                } else if matches!(*status, 401 | 403) {
                    Some(format!(
                        "check the credentials provider and the clock, and that the identity may call {service}:{action}"
                    ))
                } else {
                    None
                }
            }
            KinesisError::RetriesExhausted { last, .. } => last.hint(),
            KinesisError::Interrupted { last: Some(l), .. } => l.hint(),
            _ => None,
        }
    }

    /// Whether the service asked us to slow down: `ProvisionedThroughputExceededException`,
    /// `LimitExceededException` (decisions D6), the generic AWS throttling codes, or HTTP 429.
    pub fn is_throttling(&self) -> bool {
        match self {
            KinesisError::Service { code, status, .. } => {
                *status == 429 || is_throttling_code(code)
            }
            KinesisError::RetriesExhausted { last, .. } => last.is_throttling(),
            _ => false,
        }
    }

    /// Whether the credentials used have expired: `ExpiredTokenException`, `ExpiredToken`,
    /// `RequestExpired`... or a signature/client-token error whose message says "expired".
    /// The client then invalidates its provider and retries the call once.
    pub fn is_expired_credentials(&self) -> bool {
        match self {
            KinesisError::Service { code, message, .. } => match code.as_str() {
                codes::EXPIRED_TOKEN | codes::EXPIRED_TOKEN_SHORT | "TokenRefreshRequired" => true,
                codes::INVALID_SIGNATURE
                | codes::UNRECOGNIZED_CLIENT
                | "InvalidClientTokenId"
                | "AccessDeniedException" => {
                    let m = message.to_ascii_lowercase();
                    m.contains("token") && m.contains("expired")
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// Longest service message kept in an error: a server answer of any size gives a bounded
/// error (and a log line of bounded length).
const MAX_MESSAGE_CHARS: usize = 1024;

/// The error code of an error response, as the AWS SDKs find it (decisions D19): the
/// `x-amzn-ErrorType` header (the text before `:`), else the JSON body's `__type` (the text
/// after `#`) or `code`, else an XML body's `<Code>`. Empty when none says.
pub(crate) fn error_code(headers: &[(String, String)], body: &[u8]) -> String {
    let clean = |s: &str| {
        let s = s.split(':').next().unwrap_or(s);
        let s = s.rsplit('#').next().unwrap_or(s);
        s.trim().to_string()
    };
    if let Some((_, v)) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
    {
        let c = clean(v);
        if !c.is_empty() {
            return c;
        }
    }
    let json = json_error_fields(body);
    if let Some(c) = json.code.as_deref().map(clean).filter(|c| !c.is_empty()) {
        return c;
    }
    xml_element(body, "Code")
        .map(|c| clean(&c))
        .unwrap_or_default()
}

#[derive(Default)]
struct JsonErrorFields {
    code: Option<String>,
    message: Option<String>,
}

/// `__type` (or `code`) and `message` (or `Message`) of a JSON error body; nothing when the
/// body is not a JSON object.
fn json_error_fields(body: &[u8]) -> JsonErrorFields {
    #[derive(serde::Deserialize, Default)]
    struct Body {
        #[serde(rename = "__type", default)]
        kind: Option<String>,
        #[serde(default)]
        code: Option<String>,
        #[serde(rename = "Code", default)]
        code_upper: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(rename = "Message", default)]
        message_upper: Option<String>,
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return JsonErrorFields::default();
    }
    let b: Body = serde_json::from_slice(body).unwrap_or_default();
    JsonErrorFields {
        code: b.kind.or(b.code).or(b.code_upper),
        message: b.message.or(b.message_upper),
    }
}

/// The text of the first `<name>...</name>` element of an XML body, entities decoded.
fn xml_element(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(
        text[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

fn bounded(mut s: String) -> String {
    if let Some((i, _)) = s.char_indices().nth(MAX_MESSAGE_CHARS) {
        s.truncate(i);
        s.push('…');
    }
    s
}

impl KinesisError {
    /// The error of a non-2xx answer to `action`: its code (the `x-amzn-ErrorType` header, else the body's `__type`, `code` or `<Code>`), the service's
    /// message (JSON `message`/`Message` or XML `<Message>`, at most 1,024 characters; the
    /// first 200 bytes of the body when there is neither code nor message), the status and
    /// the request id. Secret-looking fields in the quoted text (`"SessionToken": ...`,
    /// `Authorization: ...`, `Signature=...`) are masked.
    ///
    /// ```
    /// use kinesis_wire::{KinesisError, transport::HttpResponse};
    /// let resp = HttpResponse { status: 403, headers: vec![],
    ///     body: b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></ErrorResponse>".to_vec() };
    /// let e = KinesisError::from_response("PutRecords", &resp);
    /// assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
    /// assert!(!e.is_retryable());
    /// ```
    pub fn from_response(action: &'static str, resp: &crate::transport::HttpResponse) -> Self {
        let code = error_code(&resp.headers, &resp.body);
        let message = json_error_fields(&resp.body)
            .message
            .or_else(|| xml_element(&resp.body, "Message"))
            .unwrap_or_else(|| {
                if code.is_empty() {
                    // No code at all: the start of whatever the body is, so the person
                    // reading the error sees what the endpoint answered.
                    String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)]).into_owned()
                } else {
                    String::new()
                }
            });
        // Whatever answered may echo the request (a proxy's error page, a broken service):
        // secret-looking fields never reach the error (and the logs it goes to).
        let message = crate::redact::mask_secret_fields(&message);
        let request_id = resp
            .header("x-amzn-requestid")
            .or_else(|| resp.header("x-amz-request-id"))
            .map(str::to_string);
        KinesisError::Service {
            action,
            code,
            message: bounded(message),
            status: resp.status,
            request_id,
        }
    }
}

impl fmt::Display for KinesisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KinesisError::Service {
                action,
                code,
                message,
                status,
                request_id,
            } => {
                let code = if code.is_empty() {
                    "(no error code)"
                } else {
                    code
                };
                write!(f, "{action} failed: {code} (HTTP {status}")?;
                if let Some(id) = request_id {
                    write!(f, ", request id {id}")?;
                }
                f.write_str(")")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                if let Some(hint) = self.hint() {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            // These say what happened in their own words (D19: a timeout or an oversized
            // answer is not "cannot reach").
            KinesisError::Transport { action, error }
                if matches!(
                    error.kind,
                    TransportErrorKind::Timeout | TransportErrorKind::BodyTooLarge
                ) =>
            {
                write!(f, "{} ({action})", error.message)
            }
            KinesisError::Transport { action, error } => write!(f, "{action} failed: {error}"),
            KinesisError::Credentials(e) => write!(f, "credentials: {e}"),
            KinesisError::Protocol { action, message } => {
                write!(f, "{action}: protocol error: {message}")
            }
            KinesisError::Config { message } => {
                write!(f, "invalid client configuration: {message}")
            }
            KinesisError::RetriesExhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts: {last}")
            }
            KinesisError::Interrupted { attempts, last } => {
                write!(f, "interrupted by shutdown after {attempts} attempts")?;
                if let Some(l) = last {
                    write!(f, "; last error: {l}")?;
                }
                Ok(())
            }
            KinesisError::WaitTimedOut {
                what,
                waited,
                last_state,
            } => write!(
                f,
                "timed out after {:.1} s waiting for {what} (last state: {last_state})",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for KinesisError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KinesisError::Transport { error, .. } => Some(error),
            KinesisError::Credentials(e) => Some(e),
            KinesisError::RetriesExhausted { last, .. } => Some(last.as_ref()),
            KinesisError::Interrupted { last: Some(l), .. } => Some(l.as_ref()),
            _ => None,
        }
    }
}

impl From<CredentialsError> for KinesisError {
    fn from(e: CredentialsError) -> Self {
        KinesisError::Credentials(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16) -> KinesisError {
        KinesisError::Service {
            action: "GetRecords",
            code: code.into(),
            message: "m".into(),
            status,
            request_id: Some("rid".into()),
        }
    }

    #[test]
    fn error_codes_are_found_where_the_sdks_look() {
        let header = [(
            "x-amzn-ErrorType".to_string(),
            "ThrottlingException:http://internal/".to_string(),
        )];
        assert_eq!(error_code(&header, b""), "ThrottlingException");
        assert_eq!(
            error_code(
                &[],
                br#"{"__type":"com.amazonaws.kinesis#ResourceNotFoundException"}"#
            ),
            "ResourceNotFoundException"
        );
        assert_eq!(
            error_code(
                &[],
                b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
            ),
            "SignatureDoesNotMatch"
        );
        assert_eq!(error_code(&[], b"oops"), "");
    }

    #[test]
    fn quoted_answers_never_carry_secret_fields() {
        use crate::transport::HttpResponse;
        // A proxy's error page echoing the signed request: no code, so the body's start is
        // quoted.
        let echo = HttpResponse::new(
            502,
            b"Bad gateway for POST / Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, \
              Signature=5ecret5ig\nX-Amz-Security-Token: t0ken-echo\n"
                .to_vec(),
        );
        let e = KinesisError::from_response("PutRecords", &echo);
        let text = e.to_string();
        assert!(text.contains("Bad gateway for POST"), "{text}");
        for secret in ["5ecret5ig", "t0ken-echo"] {
            assert!(!text.contains(secret), "{secret} in {text}");
            assert!(!format!("{e:?}").contains(secret), "{secret} in {e:?}");
        }
        // A service message quoting credentials.
        let json = HttpResponse::new(
            400,
            br#"{"__type":"ValidationException","message":"bad {"SessionToken":"t0ken-json"}"}"#
                .to_vec(),
        );
        let text = KinesisError::from_response("PutRecords", &json).to_string();
        assert!(
            text.contains("ValidationException") && !text.contains("t0ken-json"),
            "{text}"
        );
        // An ordinary message is kept as it is.
        let plain = HttpResponse::new(
            400,
            br#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#.to_vec(),
        );
        let text = KinesisError::from_response("PutRecords", &plain).to_string();
        assert!(
            text.contains("The security token included in the request is invalid."),
            "{text}"
        );
    }

    #[test]
    fn classification_table() {
        // (code, status, retryable, throttling)
        let cases = [
            (codes::PROVISIONED_THROUGHPUT_EXCEEDED, 400, true, true),
            (codes::LIMIT_EXCEEDED, 400, true, true),
            (codes::THROTTLING, 400, true, true),
            ("", 429, true, true),
            (codes::INTERNAL_FAILURE, 500, true, false),
            ("", 500, true, false),
            ("", 503, true, false),
            (codes::SERVICE_UNAVAILABLE, 503, true, false),
            (codes::EXPIRED_ITERATOR, 400, false, false),
            (codes::RESOURCE_NOT_FOUND, 400, false, false),
            (codes::RESOURCE_IN_USE, 400, false, false),
            (codes::INVALID_ARGUMENT, 400, false, false),
            (codes::VALIDATION, 400, false, false),
            (codes::ACCESS_DENIED, 400, false, false),
            (codes::KMS_DISABLED, 400, false, false),
            (codes::KMS_THROTTLING, 400, true, true),
            (codes::EXPIRED_TOKEN, 400, false, false),
        ];
        for (code, status, retry, throttle) in cases {
            let e = service(code, status);
            assert_eq!(e.is_retryable(), retry, "{code} {status} retryable");
            assert_eq!(e.is_throttling(), throttle, "{code} {status} throttling");
        }
    }

    #[test]
    fn transport_classification() {
        use TransportErrorKind::*;
        for (kind, retry) in [
            (ConnectRefused, true),
            (ConnectTimeout, true),
            (Timeout, true),
            (Reset, true),
            (Dns, true),
            (Protocol, true),
            (Tls, false),
            (BodyTooLarge, false),
            (Other, false),
        ] {
            let e = KinesisError::Transport {
                action: "ListShards",
                error: TransportError::new(kind, "x"),
            };
            assert_eq!(e.is_retryable(), retry, "{kind:?}");
            assert!(!e.is_throttling());
        }
    }

    #[test]
    fn expired_credentials_detection() {
        assert!(service(codes::EXPIRED_TOKEN, 400).is_expired_credentials());
        assert!(service(codes::EXPIRED_TOKEN_SHORT, 403).is_expired_credentials());
        let sig = KinesisError::Service {
            action: "PutRecords",
            code: codes::UNRECOGNIZED_CLIENT.into(),
            message: "The security token included in the request is expired".into(),
            status: 400,
            request_id: None,
        };
        assert!(sig.is_expired_credentials());
        assert!(!service(codes::UNRECOGNIZED_CLIENT, 400).is_expired_credentials());
        assert!(!service(codes::RESOURCE_NOT_FOUND, 400).is_expired_credentials());
    }

    #[test]
    fn display_names_action_code_status_and_attempts() {
        let e = KinesisError::RetriesExhausted {
            attempts: 3,
            last: Box::new(service(codes::PROVISIONED_THROUGHPUT_EXCEEDED, 400)),
        };
        let s = e.to_string();
        assert_eq!(
            s,
            "gave up after 3 attempts: GetRecords failed: ProvisionedThroughputExceededException \
             (HTTP 400, request id rid): m"
        );
        assert_eq!(e.attempts(), 3);
        assert!(e.is_throttling());
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some(codes::PROVISIONED_THROUGHPUT_EXCEEDED));
        assert_eq!(
            service("", 500).to_string(),
            "GetRecords failed: (no error code) (HTTP 500, request id rid): m"
        );
    }
}
