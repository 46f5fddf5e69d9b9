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
            | "SlowDown"
            | codes::KMS_THROTTLING
    )
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

    /// Whether the call may succeed if made again (after a backoff).
    ///
    /// True for: HTTP 5xx and 429; throttling codes (see [`KinesisError::is_throttling`]);
    /// `InternalFailure`, `ServiceUnavailable`; transport failures except TLS errors, an
    /// oversized body and unclassified errors. False for every other 4xx (e.g.
    /// `ExpiredIteratorException`, `ResourceNotFoundException`, validation errors),
    /// credentials, protocol and configuration errors, and for `RetriesExhausted` itself.
    pub fn is_retryable(&self) -> bool {
        match self {
            KinesisError::Service { code, status, .. } => {
                *status >= 500
                    || *status == 429
                    || is_throttling_code(code)
                    || code == codes::INTERNAL_FAILURE
                    || code == codes::SERVICE_UNAVAILABLE
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
                Ok(())
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
