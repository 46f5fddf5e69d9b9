//! [`SourceError`]: everything that can stop the source.

use std::fmt;

use kinesis_formats::FormatError;
use kinesis_wire::KinesisError;

/// Why the source could not open, or why it stopped. `recv` hands an error out once it
/// happens and the source stops: the checkpoint then covers exactly the records handed out
/// before it.
///
/// ```
/// use kinesis_source::SourceError;
/// let e = SourceError::Closed;
/// assert_eq!(e.to_string(), "the source is closed");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SourceError {
    /// The table cannot be read as a source (e.g. a metadata column of an unknown key).
    Config {
        /// What is wrong, naming the column or option.
        message: String,
    },
    /// A Kinesis call failed for good (after the retries its options allow).
    Kinesis {
        /// What was being done, e.g. `GetRecords on shard shardId-000000000001 of stream orders`.
        context: String,
        /// The last error.
        error: Box<KinesisError>,
    },
    /// ListShards found no shard in the stream at start (Flink's
    /// `No shards can be found for all subscribed streams`).
    NoShards {
        /// The stream.
        stream: String,
    },
    /// A record's payload could not be decoded and the format does not ignore parse errors.
    /// The checkpoint stays before this record.
    Decode {
        /// The stream.
        stream: String,
        /// The shard.
        shard_id: String,
        /// The record's sequence number.
        sequence_number: String,
        /// Its sub-sequence number, for a record taken out of a KPL aggregate.
        sub_sequence_number: Option<i64>,
        /// The format's error (names the column and the byte offset).
        error: Box<FormatError>,
    },
    /// Enhanced fan-out consumer registration or deregistration failed (reference §6.2/6.3).
    Efo {
        /// The stream.
        stream: String,
        /// Flink's wording, e.g. `Error registering stream: orders`.
        message: String,
        /// The underlying call error, if any.
        cause: Option<Box<KinesisError>>,
    },
    /// The parent links of these shards form a cycle (never on real Kinesis): each waits
    /// for another to end, so none can be read (parents before children, D5).
    ParentCycle {
        /// The stream.
        stream: String,
        /// The shards on the cycle, sorted.
        shards: Vec<String>,
    },
    /// The lease table of a consumer group (decisions D24) could not be used: a DynamoDB
    /// call failed for good (access denied, the table was deleted), the table is not a
    /// lease table, or one of its items is not a lease. Throttling and other transient
    /// failures are retried at the next renewal and are not errors; leases whose renewals
    /// keep failing expire and their shards stop.
    Lease {
        /// The lease table (the group's name).
        table: String,
        /// What went wrong, naming the call or the item and attribute.
        message: String,
        /// The DynamoDB error, if a call failed.
        cause: Option<Box<KinesisError>>,
    },
    /// A thread could not be started.
    Thread {
        /// The thread's name.
        name: String,
        /// The OS error.
        message: String,
    },
    /// `close(timeout)` returned before these threads ended (they stop on their own once
    /// their current HTTP call returns).
    CloseTimedOut {
        /// Names of the threads still running.
        threads: Vec<String>,
    },
    /// The source was closed (by `close`, or by another thread).
    Closed,
    /// Not a failure: every shard this source reads is closed and was read to its end, and
    /// the stream has no open shard left, so no record will ever come (see
    /// [`crate::KinesisSource::recv`]). Every record was handed out before it.
    Ended {
        /// The stream.
        stream: String,
    },
}

impl SourceError {
    /// Whether this is [`SourceError::Ended`]: the source ended normally.
    ///
    /// ```
    /// use kinesis_source::SourceError;
    /// assert!(SourceError::Ended { stream: "s".into() }.is_end());
    /// assert!(!SourceError::Closed.is_end());
    /// ```
    pub fn is_end(&self) -> bool {
        matches!(self, SourceError::Ended { .. })
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Config { message } => write!(f, "invalid source table: {message}"),
            SourceError::ParentCycle { stream, shards } => write!(
                f,
                "the parent links of shards {} of stream {stream} form a cycle (each waits for another to end), so none of them can be read",
                shards.join(", ")
            ),
            SourceError::Kinesis { context, error } => write!(f, "{context}: {error}"),
            SourceError::NoShards { stream } => write!(
                f,
                "No shards can be found for all subscribed streams: [{stream}]"
            ),
            SourceError::Decode {
                stream,
                shard_id,
                sequence_number,
                sub_sequence_number,
                error,
            } => {
                write!(
                    f,
                    "cannot decode the record with sequence number {sequence_number}"
                )?;
                if let Some(sub) = sub_sequence_number {
                    write!(f, " (sub-sequence number {sub})")?;
                }
                write!(f, " of shard {shard_id} in stream {stream}: {error}")
            }
            SourceError::Efo { message, cause, .. } => {
                f.write_str(message)?;
                if let Some(c) = cause {
                    write!(f, ": {c}")?;
                }
                Ok(())
            }
            SourceError::Lease { table, message, .. } => {
                // The message names the call and carries the DynamoDB error's text.
                write!(f, "consumer group {table}: {message}")
            }
            SourceError::Thread { name, message } => {
                write!(f, "cannot start thread {name}: {message}")
            }
            SourceError::CloseTimedOut { threads } => write!(
                f,
                "close timed out; threads still running: {}",
                threads.join(", ")
            ),
            SourceError::Closed => f.write_str("the source is closed"),
            SourceError::Ended { stream } => write!(
                f,
                "every shard of stream {stream} was read to its end and none is open"
            ),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Kinesis { error, .. } => Some(error.as_ref()),
            SourceError::Decode { error, .. } => Some(error.as_ref()),
            SourceError::Efo { cause: Some(c), .. } => Some(c.as_ref()),
            SourceError::Lease { cause: Some(c), .. } => Some(c.as_ref()),
            _ => None,
        }
    }
}
