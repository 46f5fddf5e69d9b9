//! The sink's settings as plain data ([`SinkConfig`]) and the subtask it runs as
//! ([`SinkContext`]).

use std::time::Duration;

use kinesis_options::{AggregationOptions, SinkOptions, TableDef};
use kinesis_wire::{Backoff, ClientConfig};

use crate::error::SinkError;
use crate::record::MAX_RECORD_DATA_BYTES;
use kinesis_wire::limits::MAX_PUT_RECORDS_BYTES;
/// Kinesis' limit on entries per PutRecords request (decisions D8 makes more an error).
pub use kinesis_wire::limits::MAX_PUT_RECORDS_ENTRIES as MAX_RECORDS_PER_REQUEST;

/// Which sink subtask this is, as Flink's `indexOfThisSubtask` / parallelism. The `fixed`
/// partitioner sends the subtask index as the partition key (decisions D1).
///
/// ```
/// use kinesis_sink::SinkContext;
/// let ctx = SinkContext::default();
/// assert_eq!((ctx.subtask_index, ctx.parallelism), (0, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkContext {
    /// 0-based index of this subtask.
    pub subtask_index: usize,
    /// Number of subtasks writing the table.
    pub parallelism: usize,
}

impl Default for SinkContext {
    fn default() -> Self {
        SinkContext {
            subtask_index: 0,
            parallelism: 1,
        }
    }
}

/// How the sink buffers, batches and retries (reference §7.1–7.2 and the retry options of
/// decisions.md). [`SinkConfig::default`] holds Flink's effective defaults;
/// [`SinkConfig::from_options`] reads a table's `sink.*` options.
///
/// ```
/// use std::time::Duration;
/// use kinesis_sink::SinkConfig;
/// let cfg = SinkConfig { batch_max_size: 100, max_in_flight_requests: 4, ..SinkConfig::default() };
/// cfg.validate().unwrap();
/// assert_eq!(cfg.flush_buffer_timeout, Duration::from_millis(5000));
/// let bad = SinkConfig { max_buffered_requests: 100, ..cfg };
/// assert!(bad.validate().unwrap_err().to_string().contains("strictly greater"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinkConfig {
    /// `sink.batch.max-size`: records per PutRecords (1..=500).
    pub batch_max_size: usize,
    /// `sink.requests.max-inflight`: PutRecords requests in flight at once.
    pub max_in_flight_requests: usize,
    /// `sink.http-client.max-concurrency`: requests on the wire at once (Netty's connection
    /// limit); batches beyond it stay in flight, waiting for a connection, as in Flink.
    /// 0 = no limit beyond `max_in_flight_requests`.
    pub http_max_concurrency: usize,
    /// `sink.requests.max-buffered`: records waiting to be sent; `write` blocks beyond it.
    pub max_buffered_requests: usize,
    /// Data bytes held by the sink (buffered plus in flight); `write` blocks beyond it. Not a
    /// Flink option: it bounds memory when records are large. At least
    /// `flush_buffer_size + 1 MiB`.
    pub max_buffered_bytes: u64,
    /// `sink.flush-buffer.size`: data bytes per PutRecords and the size-flush threshold.
    pub flush_buffer_size: u64,
    /// `sink.flush-buffer.timeout`: the longest a record waits in the buffer.
    pub flush_buffer_timeout: Duration,
    /// `sink.fail-on-error`: any failed record or request stops the sink.
    pub fail_on_error: bool,
    /// `sink.retry.backoff.*`: full-jitter delay before failed entries are resent.
    pub retry_backoff: Backoff,
    /// `sink.retry.max-attempts`: sends of one record before it fails; 0 = unlimited.
    pub max_attempts: u32,
    /// How long dropping an unclosed sink waits to send what it holds.
    pub drop_timeout: Duration,
    /// `sink.aggregation.*` (decisions D23): KPL aggregation, off by default.
    pub aggregation: AggregationOptions,
}

/// The Kinesis client settings of `table`'s sink: [`TableDef::sink_client_config`], with
/// `sink.http-client.read-timeout = 0` meaning no per-read timeout (as for Flink's Netty
/// client), so that only the whole call's timeout applies.
///
/// ```
/// use kinesis_formats::DataType;
/// use kinesis_options::{Column, TableDef};
/// let t = TableDef::from_options("t", vec![Column::physical("v", DataType::string())],
///     [("stream", "s"), ("format", "raw"), ("aws.region", "us-east-1"),
///      ("sink.http-client.read-timeout", "0")]).unwrap();
/// let c = kinesis_sink::config::sink_client_config(&t);
/// assert_eq!(c.timeouts.read, c.timeouts.overall);
/// ```
pub fn sink_client_config(table: &TableDef) -> ClientConfig {
    let mut c = table.sink_client_config();
    if table.sink_options().http_client.read_timeout.is_zero() {
        c.timeouts.read = c.timeouts.overall;
    }
    c
}

/// The default of [`SinkConfig::max_buffered_bytes`] for a flush size.
pub fn default_max_buffered_bytes(flush_buffer_size: u64) -> u64 {
    (64u64 << 20).max(2 * flush_buffer_size + MAX_RECORD_DATA_BYTES as u64)
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            batch_max_size: MAX_RECORDS_PER_REQUEST,
            max_in_flight_requests: 50,
            http_max_concurrency: 10_000,
            max_buffered_requests: 10_000,
            max_buffered_bytes: default_max_buffered_bytes(MAX_PUT_RECORDS_BYTES as u64),
            flush_buffer_size: MAX_PUT_RECORDS_BYTES as u64,
            flush_buffer_timeout: Duration::from_millis(5000),
            fail_on_error: false,
            retry_backoff: Backoff::new(
                Duration::from_millis(100),
                Duration::from_millis(5000),
                1.5,
            ),
            max_attempts: 0,
            drop_timeout: Duration::from_secs(10),
            aggregation: AggregationOptions::default(),
        }
    }
}

impl SinkConfig {
    /// The settings a table's validated [`SinkOptions`] ask for.
    ///
    /// ```
    /// use kinesis_formats::DataType;
    /// use kinesis_options::{Column, TableDef};
    /// use kinesis_sink::SinkConfig;
    /// let t = TableDef::from_options("t", vec![Column::physical("v", DataType::string())],
    ///     [("stream", "s"), ("format", "raw"),
    ///     ("aws.region", "us-east-1"), ("sink.batch.max-size", "100"),
    ///     ("sink.retry.max-attempts", "3")]).unwrap();
    /// let cfg = SinkConfig::from_options(t.sink_options());
    /// assert_eq!((cfg.batch_max_size, cfg.max_attempts), (100, 3));
    /// ```
    pub fn from_options(o: &SinkOptions) -> SinkConfig {
        SinkConfig {
            batch_max_size: o.batch_max_size,
            max_in_flight_requests: o.max_in_flight_requests,
            http_max_concurrency: o.http_client.max_concurrency as usize,
            max_buffered_requests: o.max_buffered_requests,
            max_buffered_bytes: default_max_buffered_bytes(o.flush_buffer_size),
            flush_buffer_size: o.flush_buffer_size,
            flush_buffer_timeout: o.flush_buffer_timeout,
            fail_on_error: o.fail_on_error,
            retry_backoff: Backoff::new(o.retry.base, o.retry.max, o.retry.expconst),
            max_attempts: o.retry.max_attempts,
            drop_timeout: SinkConfig::default().drop_timeout,
            aggregation: o.aggregation,
        }
    }

    /// PutRecords requests that may be on the wire at once: `max_in_flight_requests`, capped
    /// by `http_max_concurrency` when that is set.
    pub fn concurrent_requests(&self) -> usize {
        match self.http_max_concurrency {
            0 => self.max_in_flight_requests,
            cap => self.max_in_flight_requests.min(cap),
        }
    }

    /// Checks the rules Flink applies to the async sink (reference §2.5 K4–K8, K13, K14) and
    /// the 500-record cap of decisions D8, with Flink's messages.
    pub fn validate(&self) -> Result<(), SinkError> {
        let bad = |key: &'static str, message: &str| {
            Err(SinkError::Config {
                key,
                message: message.to_string(),
            })
        };
        if self.batch_max_size == 0 {
            return bad(
                "sink.batch.max-size",
                "Invalid option batch size. Must be a positive integer",
            );
        }
        if self.batch_max_size > MAX_RECORDS_PER_REQUEST {
            return bad(
                "sink.batch.max-size",
                "Invalid option batch size. Must be at most 500, the most records Kinesis accepts in one PutRecords request",
            );
        }
        if self.flush_buffer_size == 0 {
            return bad(
                "sink.flush-buffer.size",
                "Invalid option flush buffer size. Must be a positive integer",
            );
        }
        if self.max_buffered_requests == 0 {
            return bad(
                "sink.requests.max-buffered",
                "Invalid option maximum buffered requests. Must be a positive integer",
            );
        }
        if self.max_in_flight_requests == 0 {
            return bad(
                "sink.requests.max-inflight",
                "Invalid option maximum inflight requests. Must be a positive integer",
            );
        }
        if self.flush_buffer_timeout.is_zero() {
            return bad(
                "sink.flush-buffer.timeout",
                "Invalid option buffer timeout. Must be a positive integer",
            );
        }
        if self.max_buffered_requests <= self.batch_max_size {
            return bad(
                "sink.requests.max-buffered",
                "The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch.",
            );
        }
        if self.flush_buffer_size < MAX_RECORD_DATA_BYTES as u64 {
            return bad(
                "sink.flush-buffer.size",
                "The maximum allowed size in bytes per flush must be greater than or equal to the maximum allowed size in bytes of a single record.",
            );
        }
        let agg = &self.aggregation;
        if agg.max_records == 0
            || agg.max_records > kinesis_options::sink::DEFAULT_AGGREGATION_MAX_RECORDS
        {
            return bad(
                "sink.aggregation.max-records",
                "Invalid value given for sink.aggregation.max-records. Must be from 1 to 4294967295.",
            );
        }
        if agg.max_bytes == 0 || agg.max_bytes > MAX_RECORD_DATA_BYTES as u64 {
            return bad(
                "sink.aggregation.max-bytes",
                "Invalid value given for sink.aggregation.max-bytes. Must be from 1 to 1048576 (the Kinesis record limit, partition key included).",
            );
        }
        if self.max_buffered_bytes < self.flush_buffer_size + MAX_RECORD_DATA_BYTES as u64 {
            return bad(
                "max_buffered_bytes",
                "The memory bound of the sink must be at least sink.flush-buffer.size plus 1 MiB, so that a full batch can be buffered.",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(cfg: SinkConfig) -> String {
        cfg.validate().unwrap_err().to_string()
    }

    #[test]
    fn validation_names_the_option_with_flinks_wording() {
        let ok = SinkConfig::default();
        ok.validate().unwrap();
        let cases = [
            (
                SinkConfig { batch_max_size: 0, ..ok.clone() },
                "sink.batch.max-size: Invalid option batch size. Must be a positive integer",
            ),
            (
                SinkConfig { batch_max_size: 501, ..ok.clone() },
                "sink.batch.max-size: Invalid option batch size. Must be at most 500",
            ),
            (
                SinkConfig { flush_buffer_size: 0, ..ok.clone() },
                "sink.flush-buffer.size: Invalid option flush buffer size. Must be a positive integer",
            ),
            (
                SinkConfig { max_buffered_requests: 0, ..ok.clone() },
                "sink.requests.max-buffered: Invalid option maximum buffered requests. Must be a positive integer",
            ),
            (
                SinkConfig { max_in_flight_requests: 0, ..ok.clone() },
                "sink.requests.max-inflight: Invalid option maximum inflight requests. Must be a positive integer",
            ),
            (
                SinkConfig { flush_buffer_timeout: Duration::ZERO, ..ok.clone() },
                "sink.flush-buffer.timeout: Invalid option buffer timeout. Must be a positive integer",
            ),
            (
                SinkConfig { max_buffered_requests: 500, ..ok.clone() },
                "sink.requests.max-buffered: The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch.",
            ),
            (
                SinkConfig { flush_buffer_size: 1_048_575, ..ok.clone() },
                "sink.flush-buffer.size: The maximum allowed size in bytes per flush must be greater than or equal to the maximum allowed size in bytes of a single record.",
            ),
            (
                SinkConfig { max_buffered_bytes: 5 << 20, ..ok.clone() },
                "max_buffered_bytes: The memory bound of the sink must be at least",
            ),
        ];
        for (cfg, want) in cases {
            let got = rejected(cfg);
            assert!(got.starts_with(want), "{got}");
        }
        // The smallest settings Flink accepts pass.
        SinkConfig {
            batch_max_size: 1,
            max_buffered_requests: 2,
            flush_buffer_size: 1 << 20,
            max_buffered_bytes: 2 << 20,
            ..ok
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn http_max_concurrency_caps_concurrent_requests() {
        let cfg = SinkConfig {
            max_in_flight_requests: 50,
            http_max_concurrency: 8,
            ..SinkConfig::default()
        };
        assert_eq!(cfg.concurrent_requests(), 8);
        assert_eq!(
            SinkConfig {
                http_max_concurrency: 0,
                ..cfg.clone()
            }
            .concurrent_requests(),
            50
        );
        assert_eq!(
            SinkConfig {
                http_max_concurrency: 10_000,
                ..cfg
            }
            .concurrent_requests(),
            50
        );
    }
}
