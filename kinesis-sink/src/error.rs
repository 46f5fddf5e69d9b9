//! [`SinkError`]: every error of the sink. Like crossbeam's `SendError<T>(T)`, errors that
//! leave records unwritten carry those records back to the caller.

use std::fmt;
use std::time::Duration;

use kinesis_formats::FormatError;
use kinesis_options::OptionsError;
use kinesis_wire::KinesisError;

use crate::record::{RecordProblem, SinkRecord};

/// A record the sink could not write, handed back with what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecord {
    /// The record as it would have been sent.
    pub record: SinkRecord,
    /// The last error code it got: a per-record `ErrorCode` (e.g.
    /// `ProvisionedThroughputExceededException`), a request-level code, or a transport
    /// label such as `Transport(timed out)`. `None` when it was never sent.
    pub error_code: Option<String>,
    /// The message that came with `error_code`.
    pub error_message: Option<String>,
    /// How many times it was sent.
    pub attempts: u32,
}

/// What stopped the sink, and every record it did not get acknowledged.
///
/// ```
/// use kinesis_sink::SinkFailure;
/// use kinesis_wire::{KinesisError, TransportError, TransportErrorKind};
/// let failure = SinkFailure {
///     cause: "PutRecords to stream s failed with a non-recoverable error".into(),
///     code: Some("Transport(connection refused)".into()),
///     request_error: Some(KinesisError::Transport {
///         action: "PutRecords",
///         error: TransportError::new(TransportErrorKind::ConnectRefused, "refused"),
///     }),
///     records: vec![],
///     records_handed_back_earlier: false,
/// };
/// assert!(failure.is_transport());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinkFailure {
    /// What went wrong, naming the stream, the code and the option that made it fatal.
    pub cause: String,
    /// The error code of the cause, when it had one.
    pub code: Option<String>,
    /// The request-level error that stopped the sink (the whole PutRecords call failed: no
    /// answer, an error status, an unreadable response). `None` when the sink stopped on a
    /// per-record `ErrorCode` inside a successful response.
    pub request_error: Option<KinesisError>,
    /// Every record not acknowledged by Kinesis, in buffer order. Only the first call that
    /// reports the failure carries them; later calls get an empty list and
    /// `records_handed_back_earlier = true`.
    pub records: Vec<FailedRecord>,
    /// Whether an earlier call already returned the records.
    pub records_handed_back_earlier: bool,
}

// `KinesisError` is only `PartialEq` but holds no floating-point values, so equality is
// reflexive.
impl Eq for SinkFailure {}

impl SinkFailure {
    /// The request-level error that stopped the sink, if it was one (see
    /// [`SinkFailure::request_error`]).
    pub fn cause_error(&self) -> Option<&KinesisError> {
        self.request_error.as_ref()
    }

    /// Whether the sink stopped because a request got no (complete) HTTP answer: connection
    /// refused, host not found, timeout, reset, TLS. Callers use it to point at the endpoint.
    pub fn is_transport(&self) -> bool {
        fn transport(e: &KinesisError) -> bool {
            match e {
                KinesisError::Transport { .. } => true,
                KinesisError::RetriesExhausted { last, .. } => transport(last),
                KinesisError::Interrupted { last: Some(l), .. } => transport(l),
                _ => false,
            }
        }
        self.request_error.as_ref().is_some_and(transport)
    }
}

/// Every error of the sink.
///
/// ```
/// use kinesis_sink::{RecordProblem, SinkError, SinkRecord};
/// let e = SinkError::InvalidRecord {
///     row: 3,
///     problem: RecordProblem::EmptyPartitionKey,
///     record: SinkRecord::new(b"x".to_vec(), ""),
///     unsent: vec![],
/// };
/// assert_eq!(e.to_string(),
///     "row 3: the partition key is empty (Kinesis needs 1 to 256 characters); nothing was sent");
/// assert_eq!(e.into_records().len(), 1);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SinkError {
    /// A record failed the client-side checks (decisions D7) and was not buffered. `row` is
    /// the 1-based number of the row (or record) among all those given to this sink.
    InvalidRecord {
        /// The record's 1-based number among all given to this sink.
        row: u64,
        /// Which check it failed.
        problem: RecordProblem,
        /// The record, handed back.
        record: SinkRecord,
        /// Records of the same `send_all`/`write_all` call after it, not buffered.
        unsent: Vec<SinkRecord>,
    },
    /// The table's format could not encode row `row` (1-based, among all rows given to this
    /// sink); nothing was buffered for it.
    Encode {
        /// The row's 1-based number among all given to this sink.
        row: u64,
        /// What the format said.
        error: Box<FormatError>,
    },
    /// Row `row` does not have one value per physical column.
    RowArity {
        /// The row's 1-based number among all given to this sink.
        row: u64,
        /// The table's physical columns.
        expected: usize,
        /// The row's values.
        found: usize,
    },
    /// The sink stopped on a fatal error (a non-retryable code, `sink.fail-on-error`,
    /// `sink.retry.max-attempts`, or a fatal request error of reference §7.3). Returned by
    /// every later call; the first one hands back the unwritten records.
    Failed(Box<SinkFailure>),
    /// `close` gave up after `waited`; the records it could not get acknowledged are handed
    /// back (those still in flight may yet have been written: at-least-once).
    CloseTimedOut {
        /// How long `close` waited.
        waited: Duration,
        /// The records not acknowledged, with their last error codes.
        records: Vec<FailedRecord>,
    },
    /// [`crate::RecordSink::abort`] stopped the sink: every record not acknowledged is
    /// handed back (those that were on the wire may have been written: at-least-once).
    /// A `close` waiting at the time gets this error with no records
    /// (`handed_back_earlier`): the `abort` call returned them.
    Aborted {
        /// The records not acknowledged, with their last error codes.
        records: Vec<FailedRecord>,
        /// The records were handed back by another call (the `abort` itself).
        handed_back_earlier: bool,
    },
    /// The sink was closed; the records of this call that were not buffered are handed back.
    Closed {
        /// The records of the call that were not buffered.
        records: Vec<SinkRecord>,
    },
    /// A sink setting is invalid; `key` names the option.
    Config {
        /// The setting at fault.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The table cannot be written (missing `aws.region`, bad partitioner, ...) or the
    /// [`crate::SinkConfig`] given breaks a rule ([`crate::SinkConfig::validate`]).
    Options(OptionsError),
    /// The Kinesis client could not be built or its credentials not resolved.
    Client(KinesisError),
}

impl SinkError {
    /// The records this error hands back (empty for errors that carry none).
    pub fn records(&self) -> Vec<&SinkRecord> {
        match self {
            SinkError::InvalidRecord { record, unsent, .. } => {
                std::iter::once(record).chain(unsent).collect()
            }
            SinkError::Closed { records } => records.iter().collect(),
            SinkError::Failed(f) => f.records.iter().map(|r| &r.record).collect(),
            SinkError::CloseTimedOut { records, .. } | SinkError::Aborted { records, .. } => {
                records.iter().map(|r| &r.record).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Takes the records this error hands back.
    pub fn into_records(self) -> Vec<SinkRecord> {
        match self {
            SinkError::InvalidRecord {
                record, mut unsent, ..
            } => {
                unsent.insert(0, record);
                unsent
            }
            SinkError::Closed { records } => records,
            SinkError::Failed(f) => f.records.into_iter().map(|r| r.record).collect(),
            SinkError::CloseTimedOut { records, .. } | SinkError::Aborted { records, .. } => {
                records.into_iter().map(|r| r.record).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The failed records with their last error codes, for `Failed`, `CloseTimedOut` and
    /// `Aborted`.
    pub fn failed_records(&self) -> &[FailedRecord] {
        match self {
            SinkError::Failed(f) => &f.records,
            SinkError::CloseTimedOut { records, .. } | SinkError::Aborted { records, .. } => {
                records
            }
            _ => &[],
        }
    }

    /// Whether the sink can take more writes after this error (only row-level errors).
    pub fn is_row_error(&self) -> bool {
        matches!(
            self,
            SinkError::InvalidRecord { .. } | SinkError::Encode { .. } | SinkError::RowArity { .. }
        )
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::InvalidRecord { row, problem, .. } => {
                write!(f, "row {row}: {problem}; nothing was sent")
            }
            SinkError::Encode { row, error } => write!(f, "row {row}: cannot encode: {error}"),
            SinkError::RowArity {
                row,
                expected,
                found,
            } => write!(
                f,
                "row {row}: has {found} values but the table has {expected} physical columns"
            ),
            SinkError::Failed(failure) => {
                write!(f, "{}", failure.cause)?;
                if failure.records_handed_back_earlier {
                    write!(f, " (the unwritten records were handed back earlier)")
                } else {
                    write!(
                        f,
                        "; {} records not written are handed back",
                        failure.records.len()
                    )
                }
            }
            SinkError::CloseTimedOut { waited, records } => write!(
                f,
                "close gave up after {waited:?} with {} records not acknowledged; they are handed back",
                records.len()
            ),
            SinkError::Aborted {
                handed_back_earlier: true,
                ..
            } => f.write_str("the sink was aborted (the unacknowledged records were handed back by abort)"),
            SinkError::Aborted { records, .. } => write!(
                f,
                "the sink was aborted with {} records not acknowledged; they are handed back",
                records.len()
            ),
            SinkError::Closed { .. } => f.write_str("the sink is closed"),
            SinkError::Config { key, message } => write!(f, "{key}: {message}"),
            SinkError::Options(e) => write!(f, "{e}"),
            SinkError::Client(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SinkError::Encode { error, .. } => Some(error.as_ref()),
            SinkError::Options(e) => Some(e),
            SinkError::Client(e) => Some(e),
            _ => None,
        }
    }
}

impl From<OptionsError> for SinkError {
    fn from(e: OptionsError) -> Self {
        SinkError::Options(e)
    }
}
