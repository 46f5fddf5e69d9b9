//! [`SinkMetrics`]: counters and gauges of one sink.

use std::collections::BTreeMap;

/// A snapshot of the sink's counters (since open) and gauges (now). Record counts are of
/// user records (the records given to the sink), except `kinesis_records_written`.
///
/// ```
/// let m = kinesis_sink::SinkMetrics::default();
/// assert_eq!(m.records_written + m.records_failed, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkMetrics {
    /// Records acknowledged by Kinesis.
    pub records_written: u64,
    /// Data bytes of the acknowledged records.
    pub bytes_written: u64,
    /// PutRecords requests completed (with any outcome).
    pub requests: u64,
    /// PutRecords requests that failed as a whole (no per-record results).
    pub requests_failed: u64,
    /// Records sent again after a failure.
    pub records_retried: u64,
    /// `records_retried` by error code.
    pub retried_by_code: BTreeMap<String, u64>,
    /// Records that could not be written: handed back in an error, by fatal code or
    /// exhausted retries, or unsent at close.
    pub records_failed: u64,
    /// `records_failed` by last error code (`NotSent` for records never sent).
    pub failed_by_code: BTreeMap<String, u64>,
    /// Records refused before buffering (client-side checks, encoding errors).
    pub records_rejected: u64,
    /// Records in the buffer now.
    pub buffered_records: usize,
    /// Data bytes in the buffer now.
    pub buffered_bytes: u64,
    /// PutRecords requests in flight now.
    pub in_flight_requests: usize,
    /// Records in flight now.
    pub in_flight_records: usize,
    /// Data bytes in flight now.
    pub in_flight_bytes: u64,
    /// The AIMD limiter's current limit on records in flight.
    pub in_flight_records_limit: usize,
    /// Kinesis records acknowledged: `records_written` without aggregation; with it, the
    /// aggregates and plain records that carried them (decisions D23).
    pub kinesis_records_written: u64,
    /// User records sent again because their aggregate landed in a shard that does not own
    /// them (a stale shard map; filtering readers drop such an aggregate, a reader that does
    /// not filter sees these records twice).
    pub records_resent: u64,
}
