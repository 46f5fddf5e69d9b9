//! The sink's settings as plain data ([`SinkConfig`]) and the one copy of the rules they
//! obey (reference §2.5 K4–K8, K13, K14 and the 500-record cap of decisions D8).
//!
//! Both ways of setting up a sink go through [`sink_rule_violations`]: a table's `sink.*`
//! options when the table is defined (each problem reported with the key the user wrote),
//! and a [`SinkConfig`] built by hand when a sink opens ([`SinkConfig::validate`]). So the
//! two can never disagree on a limit or its wording.

use std::time::Duration;

use kinesis_wire::limits::{MAX_PUT_RECORDS_BYTES, MAX_PUT_RECORDS_ENTRIES, MAX_RECORD_BYTES};
use kinesis_wire::Backoff;

use crate::error::OptionsError;
use crate::sink::{aggregation_limit_violation, AggregationOptions, SinkOptions};

/// How the sink buffers, batches and retries (reference §7.1–7.2 and the retry options of
/// decisions.md). [`SinkConfig::default`] holds Flink's effective defaults (those of a
/// table that sets no `sink.*` option); [`crate::TableDef::sink_config`] gives a table's.
///
/// ```
/// use std::time::Duration;
/// use kinesis_options::SinkConfig;
/// let cfg = SinkConfig::default().with_batch_max_size(100).with_max_in_flight_requests(4);
/// cfg.validate().unwrap();
/// assert_eq!(cfg.flush_buffer_timeout, Duration::from_millis(5000));
/// let bad = cfg.with_max_buffered_requests(100);
/// let err = bad.validate().unwrap_err();
/// assert_eq!(err.key(), Some("sink.requests.max-buffered"));
/// assert!(err.to_string().contains("strictly greater"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SinkConfig {
    /// `sink.batch.max-size`: records per PutRecords (1 to
    /// [`kinesis_wire::limits::MAX_PUT_RECORDS_ENTRIES`]).
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

/// The default of [`SinkConfig::max_buffered_bytes`] for a flush size: 64 MiB, or two
/// full batches and a record when that is more.
///
/// ```
/// assert_eq!(kinesis_options::default_max_buffered_bytes(1 << 20), 64 << 20);
/// ```
pub fn default_max_buffered_bytes(flush_buffer_size: u64) -> u64 {
    (64u64 << 20).max(2 * flush_buffer_size + MAX_RECORD_BYTES as u64)
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            batch_max_size: MAX_PUT_RECORDS_ENTRIES,
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

/// `with_<field>` setters: [`SinkConfig`] is `#[non_exhaustive]`, so code outside this crate
/// changes a default with these instead of a struct literal.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $field:ident: $ty:ty;)*) => {
        impl SinkConfig {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> SinkConfig {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`SinkConfig::batch_max_size`].
    with_batch_max_size: batch_max_size: usize;
    /// Sets [`SinkConfig::max_in_flight_requests`].
    with_max_in_flight_requests: max_in_flight_requests: usize;
    /// Sets [`SinkConfig::http_max_concurrency`].
    with_http_max_concurrency: http_max_concurrency: usize;
    /// Sets [`SinkConfig::max_buffered_requests`].
    with_max_buffered_requests: max_buffered_requests: usize;
    /// Sets [`SinkConfig::max_buffered_bytes`].
    with_max_buffered_bytes: max_buffered_bytes: u64;
    /// Sets [`SinkConfig::flush_buffer_size`].
    with_flush_buffer_size: flush_buffer_size: u64;
    /// Sets [`SinkConfig::flush_buffer_timeout`].
    with_flush_buffer_timeout: flush_buffer_timeout: Duration;
    /// Sets [`SinkConfig::fail_on_error`].
    with_fail_on_error: fail_on_error: bool;
    /// Sets [`SinkConfig::retry_backoff`].
    with_retry_backoff: retry_backoff: Backoff;
    /// Sets [`SinkConfig::max_attempts`].
    with_max_attempts: max_attempts: u32;
    /// Sets [`SinkConfig::drop_timeout`].
    with_drop_timeout: drop_timeout: Duration;
    /// Sets [`SinkConfig::aggregation`].
    with_aggregation: aggregation: AggregationOptions;
}

impl SinkConfig {
    /// The settings a table's validated [`SinkOptions`] ask for (what
    /// [`crate::TableDef::sink_config`] returns).
    pub(crate) fn from_options(o: &SinkOptions) -> SinkConfig {
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
    ///
    /// ```
    /// use kinesis_options::SinkConfig;
    /// let cfg = SinkConfig::default().with_max_in_flight_requests(50);
    /// assert_eq!(cfg.clone().with_http_max_concurrency(8).concurrent_requests(), 8);
    /// assert_eq!(cfg.with_http_max_concurrency(0).concurrent_requests(), 50);
    /// ```
    pub fn concurrent_requests(&self) -> usize {
        match self.http_max_concurrency {
            0 => self.max_in_flight_requests,
            cap => self.max_in_flight_requests.min(cap),
        }
    }

    /// Checks the rules Flink applies to the async sink (reference §2.5 K4–K8, K13, K14),
    /// the 500-record cap of decisions D8 and the memory bound; the first rule broken comes
    /// back as [`OptionsError::Invalid`] naming the option, with the message a table
    /// setting the same value gets.
    pub fn validate(&self) -> Result<(), OptionsError> {
        let sizes = SinkSizes {
            batch: saturating_i64(self.batch_max_size as u64),
            flush_size: saturating_i64(self.flush_buffer_size),
            buffered: saturating_i64(self.max_buffered_requests as u64),
            inflight: saturating_i64(self.max_in_flight_requests as u64),
            flush_timeout_positive: !self.flush_buffer_timeout.is_zero(),
            max_buffered_bytes: Some(self.max_buffered_bytes),
        };
        if let Some(rule) = sink_rule_violations(&sizes).first() {
            return Err(rule.error(rule.key()));
        }
        let agg = &self.aggregation;
        for (key, v) in [
            ("sink.aggregation.max-records", agg.max_records),
            ("sink.aggregation.max-bytes", agg.max_bytes),
        ] {
            if let Some(e) = aggregation_limit_violation(key, key, saturating_i64(v)) {
                return Err(e);
            }
        }
        Ok(())
    }
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The sizes the sink rules compare, as parsed from options (which may be negative) or
/// taken from a [`SinkConfig`].
pub(crate) struct SinkSizes {
    pub batch: i64,
    pub flush_size: i64,
    pub buffered: i64,
    pub inflight: i64,
    pub flush_timeout_positive: bool,
    /// The memory bound, which only a [`SinkConfig`] has.
    pub max_buffered_bytes: Option<u64>,
}

/// One rule of the sink's settings, with its option and Flink's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SinkRule {
    BatchSizePositive,
    FlushSizePositive,
    MaxBufferedPositive,
    MaxInflightPositive,
    FlushTimeoutPositive,
    BatchSizeWithinPutRecords,
    BufferedAboveBatch,
    FlushSizeHoldsRecord,
    MemoryHoldsBatch,
}

impl SinkRule {
    /// The option the rule is about.
    pub(crate) fn key(self) -> &'static str {
        match self {
            SinkRule::BatchSizePositive | SinkRule::BatchSizeWithinPutRecords => {
                "sink.batch.max-size"
            }
            SinkRule::FlushSizePositive | SinkRule::FlushSizeHoldsRecord => {
                "sink.flush-buffer.size"
            }
            SinkRule::MaxBufferedPositive | SinkRule::BufferedAboveBatch => {
                "sink.requests.max-buffered"
            }
            SinkRule::MaxInflightPositive => "sink.requests.max-inflight",
            SinkRule::FlushTimeoutPositive => "sink.flush-buffer.timeout",
            SinkRule::MemoryHoldsBatch => "max_buffered_bytes",
        }
    }

    /// Whether Flink names the key as the user wrote it (a deprecated key included): the
    /// rules about one value do; the rules comparing two values name the table key.
    pub(crate) fn names_written_key(self) -> bool {
        !matches!(
            self,
            SinkRule::BufferedAboveBatch | SinkRule::FlushSizeHoldsRecord
        )
    }

    /// The error for this rule, naming `key`.
    pub(crate) fn error(self, key: &str) -> OptionsError {
        let message = match self {
            SinkRule::BatchSizePositive => {
                "Invalid option batch size. Must be a positive integer".to_string()
            }
            SinkRule::FlushSizePositive => {
                "Invalid option flush buffer size. Must be a positive integer".to_string()
            }
            SinkRule::MaxBufferedPositive => {
                "Invalid option maximum buffered requests. Must be a positive integer".to_string()
            }
            SinkRule::MaxInflightPositive => {
                "Invalid option maximum inflight requests. Must be a positive integer".to_string()
            }
            SinkRule::FlushTimeoutPositive => {
                "Invalid option buffer timeout. Must be a positive integer".to_string()
            }
            SinkRule::BatchSizeWithinPutRecords => format!(
                "Invalid option batch size. Must be a positive integer not greater than \
                 {MAX_PUT_RECORDS_ENTRIES} (the PutRecords limit)"
            ),
            SinkRule::BufferedAboveBatch => "The maximum number of requests that may be buffered \
                 should be strictly greater than the maximum number of requests per batch."
                .to_string(),
            SinkRule::FlushSizeHoldsRecord => "The maximum allowed size in bytes per flush must \
                 be greater than or equal to the maximum allowed size in bytes of a single record."
                .to_string(),
            SinkRule::MemoryHoldsBatch => "The memory bound of the sink must be at least \
                 sink.flush-buffer.size plus 1 MiB, so that a full batch can be buffered."
                .to_string(),
        };
        OptionsError::invalid(key, message)
    }
}

/// Every rule `s` breaks, in Flink's order: K4–K8 (each value positive); then, only when
/// those hold, the 500-record cap (alone when broken), K13, K14 and the memory bound.
pub(crate) fn sink_rule_violations(s: &SinkSizes) -> Vec<SinkRule> {
    let positive = [
        (SinkRule::BatchSizePositive, s.batch > 0),
        (SinkRule::FlushSizePositive, s.flush_size > 0),
        (SinkRule::MaxBufferedPositive, s.buffered > 0),
        (SinkRule::MaxInflightPositive, s.inflight > 0),
        (SinkRule::FlushTimeoutPositive, s.flush_timeout_positive),
    ];
    let broken: Vec<SinkRule> = positive
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(rule, _)| *rule)
        .collect();
    if !broken.is_empty() {
        return broken;
    }
    if s.batch > MAX_PUT_RECORDS_ENTRIES as i64 {
        return vec![SinkRule::BatchSizeWithinPutRecords];
    }
    let mut broken = Vec::new();
    if s.buffered <= s.batch {
        broken.push(SinkRule::BufferedAboveBatch);
    }
    if s.flush_size < MAX_RECORD_BYTES as i64 {
        broken.push(SinkRule::FlushSizeHoldsRecord);
    }
    if let Some(bound) = s.max_buffered_bytes {
        if bound < (s.flush_size as u64).saturating_add(MAX_RECORD_BYTES as u64) {
            broken.push(SinkRule::MemoryHoldsBatch);
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(cfg: SinkConfig) -> (String, String) {
        let e = cfg.validate().unwrap_err();
        (e.key().unwrap().to_string(), e.to_string())
    }

    #[test]
    fn validation_names_the_option_with_flinks_wording() {
        let ok = SinkConfig::default();
        ok.validate().unwrap();
        let cases = [
            (
                ok.clone().with_batch_max_size(0),
                "sink.batch.max-size",
                "Invalid option batch size. Must be a positive integer",
            ),
            (
                ok.clone().with_batch_max_size(501),
                "sink.batch.max-size",
                "Invalid option batch size. Must be a positive integer not greater than 500",
            ),
            (
                ok.clone().with_flush_buffer_size(0),
                "sink.flush-buffer.size",
                "Invalid option flush buffer size. Must be a positive integer",
            ),
            (
                ok.clone().with_max_buffered_requests(0),
                "sink.requests.max-buffered",
                "Invalid option maximum buffered requests. Must be a positive integer",
            ),
            (
                ok.clone().with_max_in_flight_requests(0),
                "sink.requests.max-inflight",
                "Invalid option maximum inflight requests. Must be a positive integer",
            ),
            (
                ok.clone().with_flush_buffer_timeout(Duration::ZERO),
                "sink.flush-buffer.timeout",
                "Invalid option buffer timeout. Must be a positive integer",
            ),
            (
                ok.clone().with_max_buffered_requests(500),
                "sink.requests.max-buffered",
                "The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch.",
            ),
            (
                ok.clone().with_flush_buffer_size(1_048_575),
                "sink.flush-buffer.size",
                "The maximum allowed size in bytes per flush must be greater than or equal to the maximum allowed size in bytes of a single record.",
            ),
            (
                ok.clone().with_max_buffered_bytes(5 << 20),
                "max_buffered_bytes",
                "The memory bound of the sink must be at least",
            ),
        ];
        for (cfg, key, want) in cases {
            let (got_key, got) = rejected(cfg);
            assert_eq!(got_key, key);
            assert!(got.starts_with(want), "{got}");
        }
        // The smallest settings Flink accepts pass.
        ok.with_batch_max_size(1)
            .with_max_buffered_requests(2)
            .with_flush_buffer_size(1 << 20)
            .with_max_buffered_bytes(2 << 20)
            .validate()
            .unwrap();
    }

    #[test]
    fn huge_values_are_compared_without_overflow() {
        let cfg = SinkConfig::default()
            .with_flush_buffer_size(u64::MAX)
            .with_max_buffered_bytes(u64::MAX);
        // u64::MAX + 1 MiB saturates: the bound holds exactly at the top.
        cfg.validate().unwrap();
    }

    fn table(sink_options: &[(&str, &str)]) -> Result<crate::TableDef, OptionsError> {
        let mut options = vec![
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
        ];
        options.extend_from_slice(sink_options);
        crate::TableDef::from_options("t", vec![], options)
    }

    /// The defaults are owned once: a table that sets no `sink.*` option gets exactly
    /// `SinkConfig::default()`, whose batch size is the PutRecords limit.
    #[test]
    fn default_is_the_config_of_a_table_without_sink_options() {
        assert_eq!(table(&[]).unwrap().sink_config(), SinkConfig::default());
        assert_eq!(
            SinkConfig::default().batch_max_size,
            MAX_PUT_RECORDS_ENTRIES
        );
    }

    /// Each rule has one message: a table setting a value and a `SinkConfig` holding the
    /// same value are rejected with the same error.
    #[test]
    fn a_table_and_a_config_are_rejected_with_the_same_error() {
        let base = SinkConfig::default();
        let cases: [(&str, &str, SinkConfig); 8] = [
            (
                "sink.batch.max-size",
                "0",
                base.clone().with_batch_max_size(0),
            ),
            (
                "sink.batch.max-size",
                "501",
                base.clone().with_batch_max_size(501),
            ),
            (
                "sink.flush-buffer.size",
                "0",
                base.clone().with_flush_buffer_size(0),
            ),
            (
                "sink.requests.max-buffered",
                "0",
                base.clone().with_max_buffered_requests(0),
            ),
            (
                "sink.requests.max-inflight",
                "0",
                base.clone().with_max_in_flight_requests(0),
            ),
            (
                "sink.flush-buffer.timeout",
                "0",
                base.clone().with_flush_buffer_timeout(Duration::ZERO),
            ),
            (
                "sink.requests.max-buffered",
                "500",
                base.clone().with_max_buffered_requests(500),
            ),
            (
                "sink.flush-buffer.size",
                "1048575",
                base.clone()
                    .with_flush_buffer_size(1_048_575)
                    .with_max_buffered_bytes(64 << 20),
            ),
        ];
        for (key, value, cfg) in cases {
            let from_table = table(&[(key, value)]).unwrap_err();
            let from_config = cfg.validate().unwrap_err();
            assert_eq!(from_table, from_config, "{key} = {value}");
            assert_eq!(from_config.key(), Some(key));
        }
    }
}
