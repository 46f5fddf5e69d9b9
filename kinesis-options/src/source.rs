//! Typed source (`scan.*`) options and their validation (reference §2.4, rules V5–V49).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{OptionsError, Problems};
use crate::registry::Registry;
use crate::resolve::Effective;
use crate::timestamp;

/// Where shards without restored state start reading (`scan.stream.initpos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    /// `LATEST`; Flink reads it as `AT_TIMESTAMP(now)` when the reader starts (§5.1).
    Latest,
    /// `TRIM_HORIZON`.
    TrimHorizon,
    /// `AT_TIMESTAMP` with the parsed `scan.stream.initpos-timestamp`.
    AtTimestamp(DateTime<Utc>),
}

/// `scan.stream.recordpublisher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordPublisher {
    /// GetRecords polling (the default).
    Polling,
    /// Enhanced fan-out (decisions D18).
    Efo,
}

/// `scan.stream.efo.registration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EfoRegistration {
    /// Register the consumer when a reader first needs it (the default).
    Lazy,
    /// Register the consumer when the source starts.
    Eager,
    /// Use `scan.stream.efo.consumerarn.<stream>`; register nothing.
    None,
}

/// One AWS call's retry policy: at most `max_retries` retries with full-jitter backoff
/// `random[0,1) × min(max, base × expconst^attempt)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryOptions {
    /// The first delay's cap (`*.backoff.base`).
    pub base: Duration,
    /// The longest delay (`*.backoff.max`).
    pub max: Duration,
    /// The growth factor per attempt (`*.backoff.expconst`).
    pub expconst: f64,
    /// Retries after the first call (`*.maxretries`).
    pub max_retries: u32,
}

impl RetryOptions {
    /// Flink's full-jitter sleep for `attempt` given a uniform random number in `[0, 1)`:
    /// `(long)(random × (long)min(max, base × expconst^attempt))` milliseconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kinesis_options::RetryOptions;
    /// let r = RetryOptions { base: Duration::from_millis(300), max: Duration::from_millis(1000),
    ///                        expconst: 1.5, max_retries: 3 };
    /// assert_eq!(r.full_jitter(1, 0.5), Duration::from_millis(225));
    /// assert_eq!(r.full_jitter(9, 0.5), Duration::from_millis(500));
    /// ```
    pub fn full_jitter(&self, attempt: u32, unit_random: f64) -> Duration {
        let base = self.base.as_millis() as f64;
        let max = self.max.as_millis() as f64;
        let exp = base * self.expconst.powi(attempt.min(i32::MAX as u32) as i32);
        let cap = exp.min(max) as i64;
        Duration::from_millis((unit_random.clamp(0.0, 1.0) * cap as f64) as u64)
    }
}

/// Enhanced fan-out settings.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EfoOptions {
    /// `scan.stream.efo.consumername`.
    pub consumer_name: Option<String>,
    /// `scan.stream.efo.registration`.
    pub registration: EfoRegistration,
    /// `scan.stream.efo.consumerarn.<stream>`, by stream name.
    pub consumer_arns: BTreeMap<String, String>,
    /// `scan.stream.efo.http-client.max-concurrency`.
    pub http_max_concurrency: u32,
    /// `scan.stream.efo.http-client.read-timeout`.
    pub http_read_timeout: Duration,
    /// `scan.stream.describestreamconsumer.*` retries.
    pub describe_stream_consumer: RetryOptions,
    /// `scan.stream.registerstreamconsumer.*` retries.
    pub register_stream_consumer: RetryOptions,
    /// `scan.stream.registerstreamconsumer.timeout`.
    pub register_timeout: Duration,
    /// `scan.stream.deregisterstreamconsumer.*` retries.
    pub deregister_stream_consumer: RetryOptions,
    /// `scan.stream.deregisterstreamconsumer.timeout`.
    pub deregister_timeout: Duration,
    /// `scan.shard.subscribetoshard.*` retries.
    pub subscribe_to_shard: RetryOptions,
    /// `scan.shard.subscribetoshard.timeout`.
    pub subscribe_timeout: Duration,
}

/// Everything the source reads from the table options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SourceOptions {
    /// `scan.stream.initpos` (with its timestamp).
    pub start_position: StartPosition,
    /// The pattern in force for `scan.stream.initpos-timestamp`.
    pub timestamp_format: String,
    /// `scan.stream.recordpublisher`.
    pub record_publisher: RecordPublisher,
    /// Enhanced fan-out settings (`scan.stream.efo.*`).
    pub efo: EfoOptions,
    /// GetRecords retries and `scan.shard.getrecords.maxrecordcount` (the `Limit`).
    pub get_records: RetryOptions,
    /// `scan.shard.getrecords.maxrecordcount`: GetRecords' `Limit`.
    pub get_records_max_record_count: u32,
    /// `scan.shard.getrecords.idle-intervalmillis` (decisions D22): the longest period of an
    /// idle shard's loop; `None` keeps Flink's fixed period.
    pub get_records_idle_interval: Option<Duration>,
    /// `scan.shard.getrecords.intervalmillis`.
    pub get_records_interval: Duration,
    /// `scan.shard.getiterator.*` retries.
    pub get_shard_iterator: RetryOptions,
    /// `scan.list.shards.*` retries.
    pub list_shards: RetryOptions,
    /// DescribeStream(Summary): `scan.stream.describe.*` (only its own call, D4).
    pub describe_stream: RetryOptions,
    /// `scan.shard.discovery.intervalmillis`.
    pub discovery_interval: Duration,
    /// `scan.shard.adaptivereads`.
    pub adaptive_reads: bool,
    /// `scan.shard-assigner`: `default`, `uniform` or a registered name.
    pub shard_assigner: String,
    /// `scan.shard.consumer.error.recoverable[N].exception`, in index order (D16).
    pub recoverable_error_codes: Vec<String>,
    /// `scan.lease.*` (decisions D24): the consumer group this source reads in, if any.
    pub lease: Option<crate::lease::LeaseOptions>,
}

fn int_nonneg(o: &Effective, key: &str, msg: &str) -> Result<u32, OptionsError> {
    let v = o.value_or_default(key);
    match v.parse::<i32>() {
        Ok(n) if n >= 0 => Ok(n as u32),
        _ => Err(OptionsError::invalid(key, msg)),
    }
}

fn long_nonneg(o: &Effective, key: &str, msg: &str) -> Result<u64, OptionsError> {
    let v = o.value_or_default(key);
    match v.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n as u64),
        _ => Err(OptionsError::invalid(key, msg)),
    }
}

fn double_nonneg(o: &Effective, key: &str, msg: &str) -> Result<f64, OptionsError> {
    match crate::java::parse_double(o.value_or_default(key)) {
        Some(d) if d >= 0.0 => Ok(d),
        _ => Err(OptionsError::invalid(key, msg)),
    }
}

/// An option Flink never validates: a bad value is still refused, with the generic
/// "Could not parse" message, since we must build a typed value from it.
fn int_unchecked(o: &Effective, key: &str) -> Result<i64, OptionsError> {
    let v = o.value_or_default(key);
    v.trim()
        .parse::<i64>()
        .map_err(|_| OptionsError::invalid(key, crate::resolve::could_not_parse(key, v)))
}

fn nonneg_int_msg(what: &str) -> String {
    format!("Invalid value given for {what}. Must be a valid non-negative integer value.")
}
fn nonneg_long_msg(what: &str) -> String {
    format!("Invalid value given for {what}. Must be a valid non-negative long value.")
}
fn nonneg_double_msg(what: &str) -> String {
    format!("Invalid value given for {what}. Must be a valid non-negative double value.")
}

/// The V12 message with the pattern in force (decisions D2).
pub(crate) fn v12_message(pattern: &str) -> String {
    format!(
        "Invalid value given for initial timestamp for AT_TIMESTAMP initial position in stream. \
         Must be a valid format: {pattern} or non-negative double value. For example, \
         2016-04-04T19:58:46.480-00:00 or 1459799926.480 ."
    )
}

/// Builds and validates the source options in Flink's order (V5 onwards; V1–V4 ran before).
/// Problems go to `p` (a value at fault is replaced by a fallback to check the rest).
pub(crate) fn build(
    o: &Effective,
    stream: &str,
    p: &mut Problems,
    registry: &Registry,
) -> Result<SourceOptions, OptionsError> {
    // V5.
    let publisher = match o.value_or_default("scan.stream.recordpublisher") {
        "POLLING" => RecordPublisher::Polling,
        "EFO" => RecordPublisher::Efo,
        _ => {
            p.report(OptionsError::invalid(
                "scan.stream.recordpublisher",
                "Invalid record publisher type in stream set in config. Valid values are: EFO, POLLING",
            ))?;
            RecordPublisher::Polling
        }
    };
    // V6-V8 (EFO only). Flink: LAZY ⇔ neither EAGER nor NONE.
    let registration_text = o.value_or_default("scan.stream.efo.registration");
    let registration = match registration_text {
        "EAGER" => EfoRegistration::Eager,
        "NONE" => EfoRegistration::None,
        _ => EfoRegistration::Lazy,
    };
    let consumer_arns: BTreeMap<String, String> = o
        .map
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("scan.stream.efo.consumerarn.")
                .map(|s| (s.to_string(), v.clone()))
        })
        .collect();
    let consumer_name = o.get("scan.stream.efo.consumername").map(str::to_string);
    if publisher == RecordPublisher::Efo {
        if !matches!(registration_text, "LAZY" | "EAGER" | "NONE") {
            p.report(OptionsError::invalid(
                "scan.stream.efo.registration",
                "Invalid efo registration type in stream set in config. Valid values are: LAZY, EAGER, NONE",
            ))?;
        }
        if registration == EfoRegistration::None {
            if !consumer_arns.contains_key(stream) {
                let key = format!("scan.stream.efo.consumerarn.{stream}");
                p.report(OptionsError::invalid(
                    key.clone(),
                    format!(
                        "Invalid efo consumer arn settings for not providing consumer arns: {key}"
                    ),
                ))?;
            }
        } else if consumer_name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            p.report(OptionsError::invalid(
                "scan.stream.efo.consumername",
                "No valid enhanced fan-out consumer name is set through scan.stream.efo.consumername",
            ))?;
        }
    }
    // V9.
    if o.get("aws.region").is_none() && o.get("aws.endpoint").is_none() {
        p.report(OptionsError::invalid(
            "aws.region",
            "For FlinkKinesisConsumer AWS region ('aws.region') and/or AWS endpoint ('aws.endpoint') must be set in the config.",
        ))?;
    }
    // V10-V12.
    let timestamp_format = o
        .value_or_default("scan.stream.initpos-timestamp-format")
        .to_string();
    let start_position = match o.value_or_default("scan.stream.initpos") {
        "LATEST" => StartPosition::Latest,
        "TRIM_HORIZON" => StartPosition::TrimHorizon,
        "AT_TIMESTAMP" => match o.get("scan.stream.initpos-timestamp") {
            None => {
                p.report(OptionsError::invalid(
                    "scan.stream.initpos-timestamp",
                    "Please set value for initial timestamp ('scan.stream.initpos-timestamp') when using AT_TIMESTAMP initial position.",
                ))?;
                StartPosition::Latest
            }
            Some(text) => {
                let t = timestamp::parse_start_timestamp(text, &timestamp_format).map_err(|_| {
                    OptionsError::invalid(
                        "scan.stream.initpos-timestamp",
                        v12_message(&timestamp_format),
                    )
                });
                p.check(t)?
                    .map(StartPosition::AtTimestamp)
                    .unwrap_or(StartPosition::Latest)
            }
        },
        _ => {
            p.report(OptionsError::invalid(
                "scan.stream.initpos",
                "Invalid initial position in stream set in config. Valid values are: TRIM_HORIZON, LATEST, AT_TIMESTAMP",
            ))?;
            StartPosition::Latest
        }
    };
    // V13-V44, in Flink's order.
    let ms = Duration::from_millis;
    let max_record_count = p.or(
        int_nonneg(
            o,
            "scan.shard.getrecords.maxrecordcount",
            &nonneg_int_msg("maximum records per getRecords shard operation"),
        ),
        Default::default(),
    )?;
    let gr_retries = p.or(
        int_nonneg(
            o,
            "scan.shard.getrecords.maxretries",
            &nonneg_int_msg("maximum retry attempts for getRecords shard operation"),
        ),
        Default::default(),
    )?;
    let gr_base = p.or(
        long_nonneg(
            o,
            "scan.shard.getrecords.backoff.base",
            &nonneg_long_msg("get records operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let gr_max = p.or(
        long_nonneg(
            o,
            "scan.shard.getrecords.backoff.max",
            &nonneg_long_msg("get records operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let gr_exp = p.or(
        double_nonneg(
            o,
            "scan.shard.getrecords.backoff.expconst",
            &nonneg_double_msg("get records operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let gr_interval = p.or(
        long_nonneg(
            o,
            "scan.shard.getrecords.intervalmillis",
            &nonneg_long_msg("getRecords sleep interval in milliseconds"),
        ),
        Default::default(),
    )?;
    let gi_retries = p.or(
        int_nonneg(
            o,
            "scan.shard.getiterator.maxretries",
            &nonneg_int_msg("maximum retry attempts for getShardIterator shard operation"),
        ),
        Default::default(),
    )?;
    let gi_base = p.or(
        long_nonneg(
            o,
            "scan.shard.getiterator.backoff.base",
            &nonneg_long_msg("get shard iterator operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let gi_max = p.or(
        long_nonneg(
            o,
            "scan.shard.getiterator.backoff.max",
            &nonneg_long_msg("get shard iterator operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let gi_exp = p.or(
        double_nonneg(
            o,
            "scan.shard.getiterator.backoff.expconst",
            &nonneg_double_msg("get shard iterator operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let discovery = p.or(
        long_nonneg(
            o,
            "scan.shard.discovery.intervalmillis",
            &nonneg_long_msg("shard discovery sleep interval in milliseconds"),
        ),
        Default::default(),
    )?;
    let ls_base = p.or(
        long_nonneg(
            o,
            "scan.list.shards.backoff.base",
            &nonneg_long_msg("list shards operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let ls_max = p.or(
        long_nonneg(
            o,
            "scan.list.shards.backoff.max",
            &nonneg_long_msg("list shards operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let ls_exp = p.or(
        double_nonneg(
            o,
            "scan.list.shards.backoff.expconst",
            &nonneg_double_msg("list shards operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let dsc_retries = p.or(int_nonneg(
        o,
        "scan.stream.describestreamconsumer.maxretries",
        "Invalid value given for maximum retry attempts for describe stream consumer operation. Must be a valid non-negative int value.",
    ), Default::default())?;
    let dsc_max = p.or(
        long_nonneg(
            o,
            "scan.stream.describestreamconsumer.backoff.max",
            &nonneg_long_msg("describe stream consumer operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let dsc_exp = p.or(
        double_nonneg(
            o,
            "scan.stream.describestreamconsumer.backoff.expconst",
            &nonneg_double_msg("describe stream consumer operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let dsc_base = p.or(
        long_nonneg(
            o,
            "scan.stream.describestreamconsumer.backoff.base",
            &nonneg_long_msg("describe stream consumer operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let reg_retries = p.or(
        int_nonneg(
            o,
            "scan.stream.registerstreamconsumer.maxretries",
            &nonneg_int_msg("maximum retry attempts for register stream operation"),
        ),
        Default::default(),
    )?;
    let reg_timeout = p.or(
        int_nonneg(
            o,
            "scan.stream.registerstreamconsumer.timeout",
            &nonneg_int_msg("maximum timeout for register stream consumer"),
        ),
        Default::default(),
    )?;
    let reg_max = p.or(
        long_nonneg(
            o,
            "scan.stream.registerstreamconsumer.backoff.max",
            &nonneg_long_msg("register stream operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let reg_base = p.or(
        long_nonneg(
            o,
            "scan.stream.registerstreamconsumer.backoff.base",
            &nonneg_long_msg("register stream operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let reg_exp = p.or(
        double_nonneg(
            o,
            "scan.stream.registerstreamconsumer.backoff.expconst",
            &nonneg_double_msg("register stream operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let dereg_retries = p.or(
        int_nonneg(
            o,
            "scan.stream.deregisterstreamconsumer.maxretries",
            &nonneg_int_msg("maximum retry attempts for deregister stream operation"),
        ),
        Default::default(),
    )?;
    let dereg_timeout = p.or(
        int_nonneg(
            o,
            "scan.stream.deregisterstreamconsumer.timeout",
            &nonneg_int_msg("maximum timeout for deregister stream consumer"),
        ),
        Default::default(),
    )?;
    let dereg_base = p.or(
        long_nonneg(
            o,
            "scan.stream.deregisterstreamconsumer.backoff.base",
            &nonneg_long_msg("deregister stream operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let dereg_max = p.or(
        long_nonneg(
            o,
            "scan.stream.deregisterstreamconsumer.backoff.max",
            &nonneg_long_msg("deregister stream operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let dereg_exp = p.or(
        double_nonneg(
            o,
            "scan.stream.deregisterstreamconsumer.backoff.expconst",
            &nonneg_double_msg("deregister stream operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    let sub_retries = p.or(
        int_nonneg(
            o,
            "scan.shard.subscribetoshard.maxretries",
            &nonneg_int_msg("maximum retry attempts for subscribe to shard operation"),
        ),
        Default::default(),
    )?;
    let sub_base = p.or(
        long_nonneg(
            o,
            "scan.shard.subscribetoshard.backoff.base",
            &nonneg_long_msg("subscribe to shard operation base backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let sub_max = p.or(
        long_nonneg(
            o,
            "scan.shard.subscribetoshard.backoff.max",
            &nonneg_long_msg("subscribe to shard operation max backoff milliseconds"),
        ),
        Default::default(),
    )?;
    let sub_exp = p.or(
        double_nonneg(
            o,
            "scan.shard.subscribetoshard.backoff.expconst",
            &nonneg_double_msg("subscribe to shard operation backoff exponential constant"),
        ),
        Default::default(),
    )?;
    // V45.
    if gr_interval >= 300_000 {
        p.report(OptionsError::invalid(
            "scan.shard.getrecords.intervalmillis",
            "Invalid value given for getRecords sleep interval in milliseconds. Must be lower than 300000 milliseconds.",
        ))?;
    }
    // D22: checked like V45, and never below the normal period.
    let gr_idle_interval = match o.get("scan.shard.getrecords.idle-intervalmillis") {
        None => None,
        Some(_) => {
            let idle = long_nonneg(
                o,
                "scan.shard.getrecords.idle-intervalmillis",
                &nonneg_long_msg("getRecords idle sleep interval in milliseconds"),
            )?;
            if idle >= 300_000 || idle < gr_interval {
                return Err(OptionsError::invalid(
                    "scan.shard.getrecords.idle-intervalmillis",
                    format!(
                        "Invalid value given for getRecords idle sleep interval in milliseconds. Must be at least scan.shard.getrecords.intervalmillis ({gr_interval}) and lower than 300000 milliseconds."
                    ),
                ));
            }
            Some(Duration::from_millis(idle))
        }
    };
    // V46.
    let efo_max_concurrency = p.or(
        int_nonneg(
            o,
            "scan.stream.efo.http-client.max-concurrency",
            "Invalid value given for EFO HTTP client max concurrency. Must be positive.",
        ),
        Default::default(),
    )?;
    // V47-V49 (D16: Kinesis error codes).
    let recoverable_error_codes = p.or(recoverable_codes(o), Vec::new())?;

    // Options Flink does not validate; still typed here.
    let ls_retries = p.or(int_unchecked(o, "scan.list.shards.maxretries"), 0)?;
    let ds_retries = p.or(int_unchecked(o, "scan.stream.describe.maxretries"), 0)?;
    let ds_base = p.or(int_unchecked(o, "scan.stream.describe.backoff.base"), 0)?;
    let ds_max = p.or(int_unchecked(o, "scan.stream.describe.backoff.max"), 0)?;
    let ds_exp =
        crate::java::parse_double(o.value_or_default("scan.stream.describe.backoff.expconst"))
            .filter(|d| *d >= 0.0)
            .ok_or_else(|| {
                let k = "scan.stream.describe.backoff.expconst";
                OptionsError::invalid(k, crate::resolve::could_not_parse(k, o.value_or_default(k)))
            });
    let ds_exp = p.or(ds_exp, 0.0)?;
    let efo_read_timeout = p.or(
        int_unchecked(o, "scan.stream.efo.http-client.read-timeout"),
        0,
    )?;
    let sub_timeout = p.or(int_unchecked(o, "scan.shard.subscribetoshard.timeout"), 0)?;
    for k in [
        "scan.shard.idle.interval",
        "scan.watermark.sync.interval",
        "scan.watermark.lookahead.millis",
        "scan.watermark.sync.queue.capacity",
    ] {
        p.or(int_unchecked(o, k), 0)?;
    }
    let nonneg = |v: i64| v.max(0) as u64;

    // Shard assigner (D15: an unknown name is an error, not a silent fallback).
    let assigner = o.value_or_default("scan.shard-assigner").to_string();
    if registry.shard_assigner(&assigner).is_none() {
        p.report(OptionsError::invalid(
            "scan.shard-assigner",
            format!(
                "Unable to locate shard assigner factory for identifier: '{assigner}'. Use 'default', 'uniform' or a name registered with kinesis_options::register_shard_assigner."
            ),
        ))?;
    }

    // D24: consumer groups.
    let lease = crate::lease::build(o, p)?;

    let retry = |base: u64, max: u64, expconst: f64, max_retries: u32| RetryOptions {
        base: ms(base),
        max: ms(max),
        expconst,
        max_retries,
    };
    Ok(SourceOptions {
        start_position,
        timestamp_format,
        record_publisher: publisher,
        efo: EfoOptions {
            consumer_name,
            registration,
            consumer_arns,
            http_max_concurrency: efo_max_concurrency,
            http_read_timeout: ms(nonneg(efo_read_timeout)),
            describe_stream_consumer: retry(dsc_base, dsc_max, dsc_exp, dsc_retries),
            register_stream_consumer: retry(reg_base, reg_max, reg_exp, reg_retries),
            register_timeout: Duration::from_secs(reg_timeout as u64),
            deregister_stream_consumer: retry(dereg_base, dereg_max, dereg_exp, dereg_retries),
            deregister_timeout: Duration::from_secs(dereg_timeout as u64),
            subscribe_to_shard: retry(sub_base, sub_max, sub_exp, sub_retries),
            subscribe_timeout: Duration::from_secs(nonneg(sub_timeout)),
        },
        get_records: retry(gr_base, gr_max, gr_exp, gr_retries),
        get_records_max_record_count: max_record_count,
        get_records_interval: ms(gr_interval),
        get_records_idle_interval: gr_idle_interval,
        get_shard_iterator: retry(gi_base, gi_max, gi_exp, gi_retries),
        list_shards: retry(
            ls_base,
            ls_max,
            ls_exp,
            nonneg(ls_retries).min(u32::MAX as u64) as u32,
        ),
        describe_stream: retry(
            nonneg(ds_base),
            nonneg(ds_max),
            ds_exp,
            nonneg(ds_retries).min(u32::MAX as u64) as u32,
        ),
        discovery_interval: ms(discovery),
        adaptive_reads: o
            .value_or_default("scan.shard.adaptivereads")
            .eq_ignore_ascii_case("true"),
        shard_assigner: assigner,
        recoverable_error_codes,
        lease,
    })
}

const RECOVERABLE_PREFIX: &str = "scan.shard.consumer.error.recoverable";

fn recoverable_codes(o: &Effective) -> Result<Vec<String>, OptionsError> {
    let entries: BTreeMap<u64, &str> = o
        .map
        .iter()
        .filter_map(|(k, v)| {
            let n = k
                .strip_prefix("scan.shard.consumer.error.recoverable[")?
                .strip_suffix("].exception")?;
            Some((n.parse::<u64>().ok()?, v.as_str()))
        })
        .collect();
    let any = o.map.keys().any(|k| k.starts_with(RECOVERABLE_PREFIX));
    // V49: zero-based and, unlike Flink (which stops at the first gap), contiguous.
    let contiguous = entries.keys().enumerate().all(|(i, n)| i as u64 == *n);
    if any && (entries.is_empty() || !contiguous) {
        return Err(OptionsError::invalid(
            "scan.shard.consumer.error.recoverable[0].exception",
            "Invalid config for recoverable consumer exceptions. Valid config example: \
             `scan.shard.consumer.error.recoverable[0].exception=ResourceInUseException`. \
             Your config array must use zero-based indexing as shown in the example.",
        ));
    }
    let known = recoverable_names();
    let mut codes = Vec::new();
    for (n, value) in entries {
        // A Java class name is accepted for its simple name (`...model.ResourceInUseException`,
        // `java.net.UnknownHostException`), which must be a Kinesis error code or a Java
        // exception the SDK raises for a transport failure: anything else never matches.
        let code = value.trim().rsplit('.').next().unwrap_or("");
        if !known.contains(&code) {
            let mut message =
                format!("Provided recoverable exception class could not be found: {value}");
            if let Some(s) = crate::resolve::did_you_mean(code, &known) {
                message.push_str(&format!(" (did you mean '{s}'?)"));
            }
            return Err(OptionsError::invalid(
                format!("{RECOVERABLE_PREFIX}[{n}].exception"),
                message,
            ));
        }
        codes.push(code.to_string());
    }
    Ok(codes)
}

/// The names `scan.shard.consumer.error.recoverable[N].exception` accepts: Kinesis error
/// codes, and the Java exceptions of transport failures.
fn recoverable_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = kinesis_wire::codes::ALL.to_vec();
    for kind in kinesis_wire::TransportErrorKind::ALL {
        names.extend_from_slice(kind.java_exceptions());
    }
    names.sort_unstable();
    names.dedup();
    names
}
