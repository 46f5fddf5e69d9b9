//! A batching, backpressured Kinesis `PutRecords` sink that never loses a record silently:
//! Flink's Kinesis table sink (reference §4 and §7) with the per-record error handling of
//! decisions D7.
//!
//! - [`KinesisSink`] writes rows of a [`kinesis_options::TableDef`]: the table's format
//!   encodes them, its partitioner keys them.
//! - [`RecordSink`] is the same engine for records already encoded and keyed
//!   ([`SinkRecord`]): the CLI and the `raw` path use it.
//!
//! Behaviour, in short (see the module docs of [`engine`] for the threads):
//! - Buffering as Flink's async sink (reference §7.2): at most `sink.requests.max-buffered`
//!   records and [`SinkConfig::max_buffered_bytes`] data bytes are held (buffered plus in
//!   flight); `write` blocks beyond that. Batches hold at most `sink.batch.max-size` records
//!   and `sink.flush-buffer.size` data bytes and leave when full, after
//!   `sink.flush-buffer.timeout`, on `flush` and on `close`; at most
//!   `sink.requests.max-inflight` PutRecords are in flight, further limited by Flink's AIMD
//!   limiter ([`limiter::AimdLimiter`]).
//! - Per-record results (decisions D7): entries failing with
//!   `ProvisionedThroughputExceededException` or `InternalFailure` go back to the head of the
//!   buffer in their original order and are resent after a full-jitter backoff
//!   (`sink.retry.backoff.*`), at most `sink.retry.max-attempts` times (0 = forever); any
//!   other code, any failure under `sink.fail-on-error`, and the fatal request errors of
//!   reference §7.3 (`ResourceNotFoundException`, credentials, connection refused, unknown
//!   host, TLS) stop the sink. Other request errors (throttling, 5xx, timeouts, resets) are
//!   retried for the whole batch.
//! - Nothing is dropped silently: the next `write`/`flush`/`close` after a fatal error
//!   returns [`SinkError::Failed`] carrying every record not acknowledged, each with its
//!   last error code; [`SinkMetrics`] counts written, retried and failed records by code.
//! - `sink.http-client.*` (reference §7.5): `max-concurrency` caps the PutRecords requests
//!   on the wire at once (batches beyond it stay in flight waiting for a connection, as
//!   with Netty's connection limit) and sizes the connection pool; `read-timeout` is the
//!   per-read timeout, 0 meaning none (only the whole call's timeout applies);
//!   `protocol.version = HTTP2` is accepted and served over HTTP/1.1 (decisions D17).
//! - With `sink.requests.max-inflight = 1` the writer whose record fills a batch sends it
//!   itself, which keeps each record on one core (less CPU per record than a hand-off to a
//!   sender thread; `cargo bench -p kinesis-sink` measures it).
//!
//! ```no_run
//! use std::time::Duration;
//! use kinesis_formats::{Row, Value};
//! use kinesis_options::TableDef;
//! use kinesis_sink::{KinesisSink, SinkContext, SinkError};
//! let table = TableDef::from_ddl("
//!     CREATE TABLE clicks (user_id BIGINT, url STRING)
//!     WITH ('connector' = 'kinesis', 'stream' = 'clicks', 'format' = 'json',
//!           'aws.region' = 'us-east-1', 'sink.partitioner' = 'fixed')")?;
//! let sink = KinesisSink::open(&table, SinkContext { subtask_index: 2, parallelism: 4 })?;
//! for i in 0..1000 {
//!     let row = Row::new(vec![Value::BigInt(i), Value::String(format!("/p/{i}"))]);
//!     match sink.write(&row) {
//!         Ok(()) => {}
//!         Err(e) if e.is_row_error() => eprintln!("skipped: {e}"),
//!         Err(e) => {
//!             // Fatal: every record not acknowledged comes back with its last error code.
//!             for r in e.failed_records() {
//!                 eprintln!("not written ({:?}): {} bytes", r.error_code, r.record.data.len());
//!             }
//!             return Err(e.into());
//!         }
//!     }
//! }
//! sink.close(Duration::from_secs(30))?;
//! println!("{:?}", sink.metrics());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aggregate;
mod aggregating;
mod config;
mod engine;
mod error;
mod limiter;
mod metrics;
mod pacing;
mod record;
mod shard_map;
mod sink;
mod state;

pub use config::{SinkConfig, SinkContext};
pub use engine::RecordSink;
pub use error::{FailedRecord, SinkError, SinkFailure};
pub use metrics::SinkMetrics;
pub use record::{RecordProblem, SinkRecord};
pub use sink::KinesisSink;
pub use state::NOT_SENT;

#[cfg(test)]
mod tests {
    #[test]
    fn handles_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::KinesisSink>();
        assert_send_sync::<crate::RecordSink>();
        assert_send_sync::<crate::SinkError>();
    }
}
