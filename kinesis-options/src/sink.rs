//! Typed sink (`sink.*`) options and their validation (reference §1.4, §2.5, §8; D8).

use std::time::Duration;

use crate::error::{OptionsError, Problems};
use crate::registry::{
    FieldsPartitionKeyGenerator, FixedPartitionKeyGenerator, PartitionKeyGenerator,
    PartitionerContext, RandomPartitionKeyGenerator, Registry,
};
use crate::resolve::{flink_bool, Effective};
use crate::sink_config::{sink_rule_violations, SinkSizes};
use kinesis_wire::limits::MAX_RECORD_BYTES;

/// How the sink computes partition keys (reference §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partitioner {
    /// A random UUID per record (`sink.partitioner` unset or `random`).
    Random,
    /// The sink subtask index (`fixed`, decisions D1).
    Fixed,
    /// The PARTITIONED BY columns joined by `delimiter`, cut at 256 (§4.3).
    Fields {
        /// The PARTITIONED BY columns, in order.
        columns: Vec<String>,
        /// `sink.partitioner-field-delimiter`.
        delimiter: String,
    },
    /// A partitioner registered under this name (D15).
    Custom(String),
}

impl Partitioner {
    /// The generator for one sink subtask, a registered one looked up in `registry`
    /// ([`crate::TableDef::partition_key_generator`] passes the table's).
    pub(crate) fn build(
        &self,
        ctx: &PartitionerContext<'_>,
        registry: &Registry,
    ) -> Result<Box<dyn PartitionKeyGenerator>, OptionsError> {
        match self {
            Partitioner::Random => Ok(Box::new(RandomPartitionKeyGenerator)),
            Partitioner::Fixed => Ok(Box::new(FixedPartitionKeyGenerator::new(ctx.subtask_index))),
            Partitioner::Fields { columns, delimiter } => Ok(Box::new(
                FieldsPartitionKeyGenerator::new(ctx.row_type, columns, delimiter)?,
            )),
            Partitioner::Custom(name) => match registry.partitioner(name) {
                Some(factory) => Ok(factory(ctx)),
                None => Err(unknown_partitioner(name)),
            },
        }
    }
}

pub(crate) fn unknown_partitioner(name: &str) -> OptionsError {
    OptionsError::invalid(
        "sink.partitioner",
        format!("Could not find and instantiate partitioner class '{name}'"),
    )
}

/// `sink.http-client.protocol.version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpProtocol {
    /// HTTP/1.1.
    Http1_1,
    /// Accepted; served over HTTP/1.1 (decisions D17).
    Http2,
}

/// The sink's HTTP client settings (`sink.http-client.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpClientOptions {
    /// `sink.http-client.max-concurrency`: requests on the wire at once (0 = no cap).
    pub max_concurrency: u32,
    /// `sink.http-client.read-timeout`: the per-read timeout (0 = none).
    pub read_timeout: Duration,
    /// `sink.http-client.protocol.version`.
    pub protocol: HttpProtocol,
}

/// Retries of failed entries and requests (the options decisions.md adds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SinkRetryOptions {
    /// `sink.retry.backoff.base`: the first delay's cap.
    pub base: Duration,
    /// `sink.retry.backoff.max`: the longest delay.
    pub max: Duration,
    /// `sink.retry.backoff.expconst`: the growth factor per attempt.
    pub expconst: f64,
    /// 0 = unlimited (Flink's behaviour); else a record fails after this many attempts.
    pub max_attempts: u32,
}

impl SinkRetryOptions {
    /// Full-jitter sleep before retry `attempt` given a uniform random number in `[0, 1)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kinesis_options::SinkRetryOptions;
    /// let r = SinkRetryOptions { base: Duration::from_millis(100), max: Duration::from_millis(5000),
    ///                            expconst: 1.5, max_attempts: 0 };
    /// assert_eq!(r.full_jitter(2, 0.5), Duration::from_millis(112));
    /// ```
    pub fn full_jitter(&self, attempt: u32, unit_random: f64) -> Duration {
        crate::source::RetryOptions {
            base: self.base,
            max: self.max,
            expconst: self.expconst,
            max_retries: 0,
        }
        .full_jitter(attempt, unit_random)
    }
}

/// Everything the sink reads from the table options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SinkOptions {
    /// `sink.partitioner` / PARTITIONED BY: how partition keys are made.
    pub partitioner: Partitioner,
    /// `sink.fail-on-error`.
    pub fail_on_error: bool,
    /// `sink.batch.max-size`: records per PutRecords (≤ 500).
    pub batch_max_size: usize,
    /// `sink.requests.max-inflight`.
    pub max_in_flight_requests: usize,
    /// `sink.requests.max-buffered` (> `batch_max_size`).
    pub max_buffered_requests: usize,
    /// `sink.flush-buffer.size`: data bytes per request and size-flush threshold (≥ 1 MiB).
    pub flush_buffer_size: u64,
    /// `sink.flush-buffer.timeout`.
    pub flush_buffer_timeout: Duration,
    /// `sink.http-client.*`.
    pub http_client: HttpClientOptions,
    /// `sink.retry.*`.
    pub retry: SinkRetryOptions,
    /// `aws.kinesis.client.user-agent-prefix`.
    pub user_agent_prefix: Option<String>,
    /// `sink.aggregation.*` (decisions D23).
    pub aggregation: AggregationOptions,
}

/// KPL aggregation in the sink (`sink.aggregation.*`, decisions D23).
///
/// ```
/// let a = kinesis_options::AggregationOptions::default();
/// assert_eq!((a.enabled, a.max_records, a.max_bytes), (false, 4_294_967_295, 51_200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregationOptions {
    /// `sink.aggregation.enabled`.
    pub enabled: bool,
    /// `sink.aggregation.max-records`: user records per aggregate.
    pub max_records: u64,
    /// `sink.aggregation.max-bytes`: bytes of an aggregate with its partition key.
    pub max_bytes: u64,
}

/// The KPL's default `AggregationMaxCount`.
pub const DEFAULT_AGGREGATION_MAX_RECORDS: u64 = 4_294_967_295;
/// The KPL's default `AggregationMaxSize`.
pub const DEFAULT_AGGREGATION_MAX_BYTES: u64 = 51_200;
/// The most an aggregate (data and partition key) may weigh: Kinesis' record limit.
pub const MAX_AGGREGATION_BYTES: u64 = MAX_RECORD_BYTES as u64;

/// The one copy of the `sink.aggregation.*` limits, for a table's options and for a
/// [`crate::SinkConfig`] built by hand: `written` is the key as the user wrote it (a
/// deprecated `sink.producer.aggregation-*` key reports under that name).
pub(crate) fn aggregation_limit_violation(
    written: &str,
    key: &str,
    v: i64,
) -> Option<OptionsError> {
    let (max, what) = match key {
        "sink.aggregation.max-records" => (
            DEFAULT_AGGREGATION_MAX_RECORDS as i64,
            "user records per aggregated record",
        ),
        _ => (
            MAX_AGGREGATION_BYTES as i64,
            "bytes of an aggregated record including its partition key (the Kinesis record limit)",
        ),
    };
    (v < 1 || v > max).then(|| {
        OptionsError::invalid(
            written,
            format!("Invalid value given for {written}: {v}. Must be from 1 to {max} ({what})."),
        )
    })
}

impl Default for AggregationOptions {
    fn default() -> Self {
        AggregationOptions {
            enabled: false,
            max_records: DEFAULT_AGGREGATION_MAX_RECORDS,
            max_bytes: DEFAULT_AGGREGATION_MAX_BYTES,
        }
    }
}

/// The typed values read while mapping deprecated options (Flink's sink step 2).
pub(crate) struct Parsed {
    fail_on_error: bool,
    batch: i64,
    inflight: i64,
    buffered: i64,
    flush_size: i64,
    flush_timeout: i64,
    retry: SinkRetryOptions,
    aggregation: AggregationOptions,
}

fn parse_int(o: &Effective, key: &str, max: i64) -> Result<i64, OptionsError> {
    let v = o.value_or_default(key);
    match v.trim().parse::<i64>() {
        Ok(n) if n >= -max - 1 && n <= max => Ok(n),
        _ => Err(o.bad_value(key)),
    }
}

/// Step 2 of the sink factory: typed parsing (C-033). Problems go to `p`; `None` when
/// there was one (the ranges are then not checked).
pub(crate) fn parse(o: &Effective, p: &mut Problems) -> Result<Option<Parsed>, OptionsError> {
    let before = p.any();
    let int = i32::MAX as i64;
    let long = i64::MAX;
    let fail_key = "sink.fail-on-error";
    let fail_on_error = p.or(
        flink_bool(o.value_or_default(fail_key)).ok_or_else(|| o.bad_value(fail_key)),
        false,
    )?;
    let mut parsed = |key: &str, max: i64| p.or(parse_int(o, key, max), 0);
    let flush_size = parsed("sink.flush-buffer.size", long)?;
    let buffered = parsed("sink.requests.max-buffered", int)?;
    let flush_timeout = parsed("sink.flush-buffer.timeout", long)?;
    let batch = parsed("sink.batch.max-size", int)?;
    let inflight = parsed("sink.requests.max-inflight", int)?;
    let base = parsed("sink.retry.backoff.base", long)?;
    let max = parsed("sink.retry.backoff.max", long)?;
    let exp_key = "sink.retry.backoff.expconst";
    let expconst = p.or(
        crate::java::parse_double(o.value_or_default(exp_key)).ok_or_else(|| o.bad_value(exp_key)),
        0.0,
    )?;
    let attempts = p.or(parse_int(o, "sink.retry.max-attempts", int), 0)?;
    let agg_key = "sink.aggregation.enabled";
    let agg_enabled = p.or(
        flink_bool(o.value_or_default(agg_key)).ok_or_else(|| o.bad_value(agg_key)),
        false,
    )?;
    let agg_records = p.or(parse_int(o, "sink.aggregation.max-records", long), 1)?;
    let agg_bytes = p.or(parse_int(o, "sink.aggregation.max-bytes", long), 1)?;
    for (key, v) in [
        ("sink.aggregation.max-records", agg_records),
        ("sink.aggregation.max-bytes", agg_bytes),
    ] {
        if let Some(e) = aggregation_limit_violation(o.written(key), key, v) {
            p.report(e)?;
        }
    }
    for (key, v) in [
        ("sink.retry.backoff.base", base as f64),
        ("sink.retry.backoff.max", max as f64),
        (exp_key, expconst),
        ("sink.retry.max-attempts", attempts as f64),
    ] {
        if v < 0.0 {
            p.report(OptionsError::invalid(
                key,
                format!("Invalid value given for {key}. Must be a valid non-negative value."),
            ))?;
        }
    }
    if p.any() && !before {
        return Ok(None);
    }
    Ok(Some(Parsed {
        fail_on_error,
        batch,
        inflight,
        buffered,
        flush_size,
        flush_timeout,
        retry: SinkRetryOptions {
            base: Duration::from_millis(base as u64),
            max: Duration::from_millis(max as u64),
            expconst,
            max_attempts: attempts as u32,
        },
        aggregation: AggregationOptions {
            enabled: agg_enabled,
            max_records: agg_records.max(1) as u64,
            max_bytes: agg_bytes.max(1) as u64,
        },
    }))
}

/// K4–K8, then decisions D8 (K13, K14 and the 500-record limit) at definition time, by
/// the rules [`SinkConfig::validate`](crate::SinkConfig::validate) also applies. Each problem
/// goes to `problems`.
pub(crate) fn check_ranges(
    p: &Parsed,
    o: &Effective,
    problems: &mut Problems,
) -> Result<(), OptionsError> {
    let sizes = SinkSizes {
        batch: p.batch,
        flush_size: p.flush_size,
        buffered: p.buffered,
        inflight: p.inflight,
        flush_timeout_positive: p.flush_timeout > 0,
        max_buffered_bytes: None,
    };
    for rule in sink_rule_violations(&sizes) {
        let key = if rule.names_written_key() {
            o.written(rule.key())
        } else {
            rule.key()
        };
        problems.report(rule.error(key))?;
    }
    Ok(())
}

/// K10–K12; problems go to `p`.
pub(crate) fn check_http(
    o: &Effective,
    p: &mut Problems,
) -> Result<HttpClientOptions, OptionsError> {
    let int = |key: &str, msg: &str| -> Result<u32, OptionsError> {
        match o.value_or_default(key).parse::<i32>() {
            Ok(n) if n >= 0 => Ok(n as u32),
            _ => Err(OptionsError::invalid(o.written(key), msg)),
        }
    };
    let max_concurrency = p.or(
        int(
            "sink.http-client.max-concurrency",
            "Invalid value given for HTTP client max concurrency. Must be positive integer.",
        ),
        0,
    )?;
    let read_timeout = p.or(
        int(
            "sink.http-client.read-timeout",
            "Invalid value given for HTTP read timeout. Must be positive integer.",
        ),
        0,
    )?;
    let protocol = match o.value_or_default("sink.http-client.protocol.version") {
        "HTTP1_1" => HttpProtocol::Http1_1,
        "HTTP2" => HttpProtocol::Http2,
        _ => {
            p.report(OptionsError::invalid(
                "sink.http-client.protocol.version",
                "Invalid value given for HTTP protocol. Must be HTTP1_1 or HTTP2.",
            ))?;
            HttpProtocol::Http1_1
        }
    };
    Ok(HttpClientOptions {
        max_concurrency,
        read_timeout: Duration::from_millis(read_timeout as u64),
        protocol,
    })
}

/// The partitioner the options and PARTITIONED BY select (§4 precedence; K1 is checked
/// separately, after the required-option checks, as Flink does).
pub(crate) fn select_partitioner(o: &Effective, partition_keys: &[String]) -> Partitioner {
    if !partition_keys.is_empty() {
        return Partitioner::Fields {
            columns: partition_keys.to_vec(),
            delimiter: o
                .value_or_default("sink.partitioner-field-delimiter")
                .to_string(),
        };
    }
    match o.get("sink.partitioner") {
        None | Some("random") => Partitioner::Random,
        Some("fixed") => Partitioner::Fixed,
        Some(name) => Partitioner::Custom(name.to_string()),
    }
}

pub(crate) fn assemble(
    p: Parsed,
    partitioner: Partitioner,
    http_client: HttpClientOptions,
    o: &Effective,
) -> SinkOptions {
    SinkOptions {
        partitioner,
        fail_on_error: p.fail_on_error,
        batch_max_size: p.batch as usize,
        max_in_flight_requests: p.inflight as usize,
        max_buffered_requests: p.buffered as usize,
        flush_buffer_size: p.flush_size as u64,
        flush_buffer_timeout: Duration::from_millis(p.flush_timeout as u64),
        http_client,
        retry: p.retry,
        aggregation: p.aggregation,
        user_agent_prefix: o
            .get("aws.kinesis.client.user-agent-prefix")
            .map(str::to_string),
    }
}
