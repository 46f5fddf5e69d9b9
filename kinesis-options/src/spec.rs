//! The one declarative table of every connector option.
//!
//! Parsing, validation, [`crate::TableDef::resolved_options`], the did-you-mean of unknown
//! keys and the README's option table are all driven by [`OPTIONS`], so they cannot drift.

use std::borrow::Cow;

/// Which side of the connector reads an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Read by the source only.
    Source,
    /// Read by the sink only.
    Sink,
    /// Read by both.
    Both,
}

impl Side {
    /// `source`, `sink` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Sink => "sink",
            Side::Both => "both",
        }
    }
}

/// The value type of an option, as Flink declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Text.
    String,
    /// `true` / `false`.
    Boolean,
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer.
    Long,
    /// A double.
    Double,
}

impl ValueType {
    /// Flink's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "String",
            ValueType::Boolean => "Boolean",
            ValueType::Integer => "Integer",
            ValueType::Long => "Long",
            ValueType::Double => "Double",
        }
    }
}

/// How a spec's key matches table keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyShape {
    /// The key exactly.
    Exact,
    /// `prefix` followed by any non-empty text (`scan.stream.efo.consumerarn.<stream>`).
    Prefix(&'static str),
    /// `prefix[N]suffix` with a decimal index N.
    Indexed(&'static str, &'static str),
}

/// One row of the option table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionSpec {
    /// The key as documented (pattern keys show a placeholder, e.g. `<stream>`).
    pub key: &'static str,
    /// How the key is matched (exactly, or as a family with a placeholder).
    pub shape: KeyShape,
    /// The value's type.
    pub value_type: ValueType,
    /// Unit of numeric values (`ms`, `s`, `bytes`), if any.
    pub unit: Option<&'static str>,
    /// Default as Flink's text form; `None` = no default (unset).
    pub default: Option<&'static str>,
    /// Which side reads the option.
    pub side: Side,
    /// The accepted values, when the option is an enumeration (case-sensitive unless noted).
    pub allowed: &'static [&'static str],
    /// Older keys read when this key is absent (reference §8); the new key wins.
    pub fallback_keys: &'static [&'static str],
    /// The whole key is deprecated.
    pub deprecated: bool,
    /// What the option does (the README's description column).
    pub description: &'static str,
}

impl OptionSpec {
    /// Whether `key` is this option (pattern specs match their family).
    ///
    /// ```
    /// use kinesis_options::OptionSpec;
    /// let spec = OptionSpec::find("scan.stream.efo.consumerarn.orders").unwrap();
    /// assert_eq!(spec.key, "scan.stream.efo.consumerarn.<stream>");
    /// assert!(spec.matches("scan.stream.efo.consumerarn.clicks"));
    /// ```
    pub fn matches(&self, key: &str) -> bool {
        match self.shape {
            KeyShape::Exact => self.key == key,
            KeyShape::Prefix(p) => key.len() > p.len() && key.starts_with(p),
            KeyShape::Indexed(p, s) => key
                .strip_prefix(p)
                .and_then(|r| r.strip_suffix(s))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        }
    }
}

impl OptionSpec {
    /// The spec of `key` (exact keys first, then patterns; fallback keys are not matched
    /// here).
    ///
    /// ```
    /// use kinesis_options::{OptionSpec, Side};
    /// assert_eq!(OptionSpec::find("sink.batch.max-size").unwrap().side, Side::Sink);
    /// assert!(OptionSpec::find("sink.batch.max-sise").is_none());
    /// ```
    pub fn find(key: &str) -> Option<&'static OptionSpec> {
        find(key)
    }

    /// The spec whose fallback (deprecated) keys include `key`.
    ///
    /// ```
    /// let s = kinesis_options::OptionSpec::find_by_fallback("sink.producer.collection-max-size");
    /// assert_eq!(s.unwrap().key, "sink.batch.max-size");
    /// ```
    pub fn find_by_fallback(key: &str) -> Option<&'static OptionSpec> {
        find_by_fallback(key)
    }
}

/// The spec of `key` ([`OptionSpec::find`]).
pub(crate) fn find(key: &str) -> Option<&'static OptionSpec> {
    OPTIONS
        .iter()
        .find(|s| s.shape == KeyShape::Exact && s.key == key)
        .or_else(|| {
            OPTIONS
                .iter()
                .find(|s| s.shape != KeyShape::Exact && s.matches(key))
        })
}

/// The spec whose fallback keys include `key` ([`OptionSpec::find_by_fallback`]).
pub(crate) fn find_by_fallback(key: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|s| s.fallback_keys.contains(&key))
}

/// Flink's rule for sensitive keys (`GlobalConfiguration.isSensitive`): the lower-cased key
/// contains one of these words. Their values are shown as `******`.
const SENSITIVE_WORDS: &[&str] = &[
    "password",
    "secret",
    "fs.azure.account.key",
    "apikey",
    "auth-params",
    "service-key",
    "token",
    "basic-auth",
    "jaas.config",
    "http-headers",
];

/// The text shown instead of a sensitive value.
pub(crate) const MASK: &str = "******";

/// Whether the value of `key` is a secret, by Flink's rule.
///
/// ```
/// assert!(kinesis_options::is_sensitive("aws.credentials.basic.secretkey"));
/// assert!(!kinesis_options::is_sensitive("aws.region"));
/// ```
pub fn is_sensitive(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SENSITIVE_WORDS.iter().any(|w| lower.contains(w))
}

/// The first sensitive word in `key`: its byte range in `key`.
fn first_sensitive_word(key: &str) -> Option<(usize, usize)> {
    let lower = key.to_ascii_lowercase();
    SENSITIVE_WORDS
        .iter()
        .filter_map(|w| lower.find(w).map(|start| (start, start + w.len())))
        .min()
}

/// How an option key is named in a message. A key whose sensitive word is followed by text
/// that no known sensitive key has there (a secret glued to the key, as in
/// `…secretkeyS3CR`, `…secretkey'S3CR` or `-X …secretkeyS3CR`) is shown up to the end of
/// that word, then [`MASK`]; every other key is shown as written.
pub(crate) fn display_key(key: &str) -> Cow<'_, str> {
    let Some((_, end)) = first_sensitive_word(key) else {
        return Cow::Borrowed(key);
    };
    let rest = key[end..].to_ascii_lowercase();
    let nested = CREDENTIAL_SUBKEYS
        .iter()
        .map(|s| format!("aws.credentials.{s}"));
    let known = OPTIONS
        .iter()
        .filter(|s| s.shape == KeyShape::Exact)
        .map(|s| s.key.to_string())
        .chain(
            OPTIONS
                .iter()
                .flat_map(|s| s.fallback_keys.iter().map(|k| k.to_string())),
        )
        .chain(nested);
    let mut known_rests = known.filter_map(|k| {
        let (_, end) = first_sensitive_word(&k)?;
        Some(k[end..].to_ascii_lowercase())
    });
    if rest.is_empty() || known_rests.any(|r| r == rest) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(format!("{}{MASK}", &key[..end]))
    }
}

/// `value`, or [`MASK`] when `key` is sensitive.
///
/// ```
/// use kinesis_options::display_value;
/// assert_eq!(display_value("aws.credentials.basic.secretkey", "s3cr3t"), "******");
/// ```
pub fn display_value<'a>(key: &str, value: &'a str) -> &'a str {
    if is_sensitive(key) {
        MASK
    } else {
        value
    }
}

pub(crate) const PROVIDER_TYPES: &[&str] = &[
    "ENV_VAR",
    "SYS_PROP",
    "PROFILE",
    "BASIC",
    "ASSUME_ROLE",
    "WEB_IDENTITY_TOKEN",
    "CUSTOM",
    "AUTO",
];

/// Credential sub-keys below `aws.credentials` (and below each nested `…role.provider`).
pub(crate) const CREDENTIAL_SUBKEYS: &[&str] = &[
    "basic.accesskeyid",
    "basic.secretkey",
    "basic.sessiontoken",
    "profile.path",
    "profile.name",
    "role.arn",
    "role.sessionName",
    "role.externalId",
    "role.stsEndpoint",
    "role.provider",
    "webIdentityToken.file",
    "custom.class",
];

macro_rules! opt {
    ($key:expr, $ty:ident, $unit:expr, $default:expr, $side:ident, $allowed:expr, $fallback:expr, $desc:expr) => {
        OptionSpec {
            key: $key,
            shape: KeyShape::Exact,
            value_type: ValueType::$ty,
            unit: $unit,
            default: $default,
            side: Side::$side,
            allowed: $allowed,
            fallback_keys: $fallback,
            deprecated: false,
            description: $desc,
        }
    };
}

macro_rules! retry_group {
    ($p:literal, $side:ident, $retries:expr, $base:expr, $max:expr, $what:literal) => {
        [
            opt!(
                concat!($p, ".maxretries"),
                Integer,
                None,
                Some($retries),
                $side,
                &[],
                &[],
                concat!("Maximum retries of ", $what, ".")
            ),
            opt!(
                concat!($p, ".backoff.base"),
                Long,
                Some("ms"),
                Some($base),
                $side,
                &[],
                &[],
                concat!("Full-jitter backoff base of ", $what, ".")
            ),
            opt!(
                concat!($p, ".backoff.max"),
                Long,
                Some("ms"),
                Some($max),
                $side,
                &[],
                &[],
                concat!("Full-jitter backoff cap of ", $what, ".")
            ),
            opt!(
                concat!($p, ".backoff.expconst"),
                Double,
                None,
                Some("1.5"),
                $side,
                &[],
                &[],
                concat!("Full-jitter backoff growth of ", $what, ".")
            ),
        ]
    };
}

const fn cat<const A: usize, const B: usize, const C: usize>(
    a: [OptionSpec; A],
    b: [OptionSpec; B],
) -> [OptionSpec; C] {
    // Concatenation in a const context, so the whole table is one static array.
    let filler = a[0];
    let mut out = [filler; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

const COMMON: [OptionSpec; 24] = [
    opt!("connector", String, None, Some("kinesis"), Both, &["kinesis"], &[],
        "Connector identifier. Optional in option maps; when given it must be `kinesis`."),
    opt!("stream", String, None, None, Both, &[], &[],
        "Name of the Kinesis data stream backing the table. Required."),
    opt!("format", String, None, None, Both, &[], &[],
        "Record format (`csv`, `json`, `avro`, `raw`); its options are `<format>.<option>`. Required."),
    opt!("aws.region", String, None, None, Both, &[], &[],
        "AWS region of the stream. Required when a sink opens; a source needs `aws.region` or `aws.endpoint`."),
    opt!("aws.endpoint", String, None, None, Both, &[], &[],
        "Endpoint URL overriding the region's endpoint (e.g. `http://127.0.0.1:4567`)."),
    opt!("aws.trust.all.certificates", Boolean, None, Some("false"), Both, &["true", "false"], &[],
        "Accept any TLS certificate (test servers only). Honoured by every connection (D11)."),
    opt!("aws.credentials.provider", String, None, Some("AUTO"), Both, PROVIDER_TYPES, &[],
        "Credential provider. Default `AUTO`, or `BASIC` when access key id and secret key are both set."),
    opt!("aws.credentials.basic.accesskeyid", String, None, None, Both, &[], &[],
        "Access key id for `BASIC`."),
    opt!("aws.credentials.basic.secretkey", String, None, None, Both, &[], &[],
        "Secret key for `BASIC` (masked in every output)."),
    opt!("aws.credentials.basic.sessiontoken", String, None, None, Both, &[], &[],
        "Session token for `BASIC` temporary credentials (masked in every output)."),
    opt!("aws.credentials.profile.path", String, None, None, Both, &[], &[],
        "Credentials file for `PROFILE` (default: the SDK's locations)."),
    opt!("aws.credentials.profile.name", String, None, None, Both, &[], &[],
        "Profile name for `PROFILE` (default: `AWS_PROFILE` or `default`)."),
    opt!("aws.credentials.role.arn", String, None, None, Both, &[], &[],
        "Role to assume (`ASSUME_ROLE`, `WEB_IDENTITY_TOKEN`)."),
    opt!("aws.credentials.role.sessionName", String, None, None, Both, &[], &[],
        "Role session name (`ASSUME_ROLE`, `WEB_IDENTITY_TOKEN`)."),
    opt!("aws.credentials.role.externalId", String, None, None, Both, &[], &[],
        "External id for `ASSUME_ROLE`."),
    opt!("aws.credentials.role.stsEndpoint", String, None, None, Both, &[], &[],
        "STS endpoint for `ASSUME_ROLE` (default: derived from the region)."),
    opt!("aws.credentials.role.provider", String, None, None, Both, PROVIDER_TYPES, &[],
        "Provider of the credentials that call STS for `ASSUME_ROLE`; nests (`aws.credentials.role.provider.basic.accesskeyid`, ...). Default `AUTO`."),
    opt!("aws.credentials.webIdentityToken.file", String, None, None, Both, &[], &[],
        "Web identity token file for `WEB_IDENTITY_TOKEN` (default: `AWS_WEB_IDENTITY_TOKEN_FILE`)."),
    opt!("aws.credentials.custom.class", String, None, None, Both, &[], &[],
        "Name of a provider registered with `kinesis_options::register_credentials_provider` (`CUSTOM`, D15)."),
    OptionSpec {
        key: "aws.credentials.role.provider.<credential option>",
        shape: KeyShape::Prefix("aws.credentials.role.provider."),
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Both,
        allowed: &[],
        fallback_keys: &[],
        deprecated: false,
        description: "Credential options of the nested STS provider, same names as above (`...role.provider.basic.secretkey`, `...role.provider.role.provider`, ...).",
    },
    OptionSpec {
        key: "aws.clientconfig.<property>",
        shape: KeyShape::Prefix("aws.clientconfig."),
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Source,
        allowed: &[],
        fallback_keys: &[],
        deprecated: false,
        description: "Java SDK v1 `ClientConfiguration` properties: accepted with a warning, no effect (D3).",
    },
    opt!("aws.kinesis.client.user-agent-prefix", String, None, None, Sink, &[], &[],
        "User-agent prefix of the sink's requests."),
    opt!("scan.shard-assigner", String, None, Some("default"), Source, &[], &[],
        "Shard-to-subtask assigner: `default`, `uniform`, or a name registered with `kinesis_options::register_shard_assigner` (D15)."),
    opt!("sink.partitioner", String, None, None, Sink, &[], &[],
        "Partition key: `random` (default), `fixed` (the subtask index, D1), or a name registered with `kinesis_options::register_partitioner`. Not allowed with PARTITIONED BY."),
];

const SCAN_MAIN: [OptionSpec; 15] = [
    opt!("scan.stream.initpos", String, None, Some("LATEST"), Source, &["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"], &[],
        "Start position of shards without restored state."),
    opt!("scan.stream.initpos-timestamp", String, None, None, Source, &[], &[],
        "Start time for `AT_TIMESTAMP`: a date in the format below, or non-negative decimal seconds since the epoch."),
    opt!("scan.stream.initpos-timestamp-format", String, None, Some("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), Source, &[], &[],
        "SimpleDateFormat-style pattern (`yyyy MM dd HH mm ss SSS X XX XXX Z 'literal'`), strict; no zone means UTC (D10)."),
    opt!("scan.stream.recordpublisher", String, None, Some("POLLING"), Source, &["POLLING", "EFO"], &[],
        "Read with GetRecords (`POLLING`) or through an enhanced fan-out consumer (`EFO`, D18)."),
    opt!("scan.stream.efo.consumername", String, None, None, Source, &[], &[],
        "EFO consumer name; required for `LAZY` and `EAGER` registration."),
    opt!("scan.stream.efo.registration", String, None, Some("LAZY"), Source, &["LAZY", "EAGER", "NONE"], &[],
        "EFO consumer registration strategy."),
    OptionSpec {
        key: "scan.stream.efo.consumerarn.<stream>",
        shape: KeyShape::Prefix("scan.stream.efo.consumerarn."),
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Source,
        allowed: &[],
        fallback_keys: &[],
        deprecated: false,
        description: "Consumer ARN of `<stream>`; required for registration `NONE`.",
    },
    opt!("scan.stream.efo.http-client.max-concurrency", Integer, None, Some("10000"), Source, &[], &[],
        "EFO HTTP client max connections."),
    opt!("scan.stream.efo.http-client.read-timeout", Long, Some("ms"), Some("360000"), Source, &[], &[],
        "EFO HTTP client read timeout."),
    opt!("scan.shard.getrecords.maxrecordcount", Integer, None, Some("10000"), Source, &[], &[],
        "GetRecords `Limit`."),
    opt!("scan.shard.getrecords.intervalmillis", Long, Some("ms"), Some("200"), Source, &[], &[],
        "Target period of the GetRecords loop (below 300000)."),
    opt!("scan.shard.getrecords.idle-intervalmillis", Long, Some("ms"), None, Source, &[], &[],
        "Our addition (D22): while a shard returns no records at `MillisBehindLatest` 0, its period doubles up to this (at least `scan.shard.getrecords.intervalmillis`, below 300000); back to the normal period on the first record. Unset: Flink's fixed period."),
    opt!("scan.shard.discovery.intervalmillis", Long, Some("ms"), Some("10000"), Source, &[], &[],
        "Shard discovery interval (0 = no pause)."),
    opt!("scan.shard.adaptivereads", Boolean, None, Some("false"), Source, &[], &[],
        "Adapt the GetRecords limit to the 2 MiB/s shard read rate."),
    OptionSpec {
        key: "scan.shard.consumer.error.recoverable[N].exception",
        shape: KeyShape::Indexed("scan.shard.consumer.error.recoverable[", "].exception"),
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Source,
        allowed: &[],
        fallback_keys: &[],
        deprecated: false,
        description: "Kinesis error codes (e.g. `ResourceInUseException`) retried without limit; zero-based contiguous N; every entry honoured (D16).",
    },
];

const SCAN_RETRY_A: [OptionSpec; 16] = cat::<8, 8, 16>(
    cat::<4, 4, 8>(
        retry_group!(
            "scan.shard.getrecords",
            Source,
            "3",
            "300",
            "1000",
            "GetRecords"
        ),
        retry_group!(
            "scan.shard.getiterator",
            Source,
            "3",
            "300",
            "1000",
            "GetShardIterator"
        ),
    ),
    cat::<4, 4, 8>(
        retry_group!(
            "scan.list.shards",
            Source,
            "10",
            "1000",
            "5000",
            "ListShards"
        ),
        retry_group!(
            "scan.stream.describe",
            Source,
            "50",
            "2000",
            "5000",
            "DescribeStream(Summary) (only its own call, D4)"
        ),
    ),
);

const SCAN_RETRY_B: [OptionSpec; 16] = cat::<8, 8, 16>(
    cat::<4, 4, 8>(
        retry_group!(
            "scan.stream.describestreamconsumer",
            Source,
            "50",
            "2000",
            "5000",
            "DescribeStreamConsumer"
        ),
        retry_group!(
            "scan.stream.registerstreamconsumer",
            Source,
            "10",
            "500",
            "2000",
            "RegisterStreamConsumer"
        ),
    ),
    cat::<4, 4, 8>(
        retry_group!(
            "scan.stream.deregisterstreamconsumer",
            Source,
            "10",
            "500",
            "2000",
            "DeregisterStreamConsumer"
        ),
        retry_group!(
            "scan.shard.subscribetoshard",
            Source,
            "10",
            "1000",
            "2000",
            "SubscribeToShard"
        ),
    ),
);

const SCAN_TAIL: [OptionSpec; 7] = [
    opt!(
        "scan.stream.registerstreamconsumer.timeout",
        Integer,
        Some("s"),
        Some("60"),
        Source,
        &[],
        &[],
        "Maximum wait for a registered EFO consumer to become ACTIVE."
    ),
    opt!(
        "scan.stream.deregisterstreamconsumer.timeout",
        Integer,
        Some("s"),
        Some("60"),
        Source,
        &[],
        &[],
        "Maximum wait for an EFO consumer to be deleted."
    ),
    opt!(
        "scan.shard.subscribetoshard.timeout",
        Integer,
        Some("s"),
        Some("60"),
        Source,
        &[],
        &[],
        "Maximum wait for an EFO subscription to be established."
    ),
    opt!(
        "scan.shard.idle.interval",
        Long,
        Some("ms"),
        Some("-1"),
        Source,
        &[],
        &[],
        "Accepted and inert: no watermarks in a Rust library (D9)."
    ),
    opt!(
        "scan.watermark.sync.interval",
        Long,
        Some("ms"),
        Some("30000"),
        Source,
        &[],
        &[],
        "Accepted and inert (D9)."
    ),
    opt!(
        "scan.watermark.lookahead.millis",
        Long,
        Some("ms"),
        Some("0"),
        Source,
        &[],
        &[],
        "Accepted and inert (D9)."
    ),
    opt!(
        "scan.watermark.sync.queue.capacity",
        Integer,
        None,
        Some("100"),
        Source,
        &[],
        &[],
        "Accepted and inert (D9)."
    ),
];

const SINK: [OptionSpec; 21] = [
    opt!("sink.partitioner-field-delimiter", String, None, Some("|"), Sink, &[], &[],
        "Delimiter between PARTITIONED BY field values in the partition key (may be empty)."),
    opt!("sink.fail-on-error", Boolean, None, Some("false"), Sink, &[], &["sink.producer.fail-on-error"],
        "Fail on the first failed record instead of retrying it."),
    opt!("sink.batch.max-size", Integer, None, Some("500"), Sink, &[], &["sink.producer.collection-max-size"],
        "Records per PutRecords request (1..=500, D8)."),
    opt!("sink.requests.max-inflight", Integer, None, Some("50"), Sink, &[], &["sink.producer.collection-max-count"],
        "Maximum concurrent PutRecords requests."),
    opt!("sink.requests.max-buffered", Integer, None, Some("10000"), Sink, &[], &[],
        "Maximum buffered records before `write` blocks; must exceed `sink.batch.max-size` (D8)."),
    opt!("sink.flush-buffer.size", Long, Some("bytes"), Some("5242880"), Sink, &[], &[],
        "Data bytes per PutRecords request and size-flush threshold; at least 1048576 (D8)."),
    opt!("sink.flush-buffer.timeout", Long, Some("ms"), Some("5000"), Sink, &[], &["sink.producer.record-max-buffered-time"],
        "Maximum time a record waits in the buffer."),
    opt!("sink.http-client.max-concurrency", Integer, None, Some("10000"), Sink, &[], &["aws.http-client.max-concurrency"],
        "Sink HTTP client max connections."),
    opt!("sink.http-client.read-timeout", Integer, Some("ms"), Some("360000"), Sink, &[], &["aws.http-client.read-timeout"],
        "Sink HTTP client read timeout."),
    opt!("sink.http-client.protocol.version", String, None, Some("HTTP2"), Sink, &["HTTP1_1", "HTTP2"], &["aws.http.protocol.version"],
        "HTTP protocol; `HTTP2` is accepted and served over HTTP/1.1 (D17)."),
    opt!("sink.retry.backoff.base", Long, Some("ms"), Some("100"), Sink, &[], &[],
        "Full-jitter backoff base of retried entries and requests."),
    opt!("sink.retry.backoff.max", Long, Some("ms"), Some("5000"), Sink, &[], &[],
        "Full-jitter backoff cap of retried entries and requests."),
    opt!("sink.retry.backoff.expconst", Double, None, Some("1.5"), Sink, &[], &[],
        "Full-jitter backoff growth of retried entries and requests."),
    opt!("sink.retry.max-attempts", Integer, None, Some("0"), Sink, &[], &[],
        "Attempts after which a record fails with its last error code (0 = unlimited, Flink's behaviour)."),
    opt!("sink.aggregation.enabled", Boolean, None, Some("false"), Sink, &[], &["sink.producer.aggregation-enabled"],
        "Pack user records into KPL aggregated records, grouped by shard (D23)."),
    opt!("sink.aggregation.max-records", Long, None, Some("4294967295"), Sink, &[], &["sink.producer.aggregation-max-count"],
        "User records per aggregated record (1..=4294967295, D23)."),
    opt!("sink.aggregation.max-bytes", Long, Some("bytes"), Some("51200"), Sink, &[], &["sink.producer.aggregation-max-size"],
        "Bytes of an aggregated record, its partition key included (at most 1048576, D23)."),
    OptionSpec {
        key: "sink.producer.kinesis-endpoint",
        shape: KeyShape::Exact,
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Sink,
        allowed: &[],
        fallback_keys: &[],
        deprecated: true,
        description: "Deprecated: sets `aws.endpoint` to `https://<value>[:<port>]` unless `aws.endpoint` is set.",
    },
    OptionSpec {
        key: "sink.producer.kinesis-port",
        shape: KeyShape::Exact,
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Sink,
        allowed: &[],
        fallback_keys: &[],
        deprecated: true,
        description: "Deprecated: port of `sink.producer.kinesis-endpoint` (ignored alone).",
    },
    OptionSpec {
        key: "sink.producer.verify-certificate",
        shape: KeyShape::Exact,
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Sink,
        allowed: &[],
        fallback_keys: &[],
        deprecated: true,
        description: "Deprecated: `true` sets `aws.trust.all.certificates=false`, `false` sets it `true`, unless that is set.",
    },
    OptionSpec {
        key: "sink.producer.<kpl option>",
        shape: KeyShape::Prefix("sink.producer."),
        value_type: ValueType::String,
        unit: None,
        default: None,
        side: Side::Sink,
        allowed: &[],
        fallback_keys: &[],
        deprecated: true,
        description: "Deprecated KPL options (`rate-limit`, ...): ignored with a warning; `aggregation-enabled`, `-max-count`, `-max-size` are read as `sink.aggregation.*`.",
    },
];

/// Consumer groups (decisions D24), our addition.
const SCAN_LEASE: [OptionSpec; 8] = [
    opt!("scan.lease.table", String, None, None, Source, &[], &[],
        "Our addition (D24): turns consumer groups on. The DynamoDB lease table (KCL 2.x schema), which is the group's name; created (on-demand) when missing. Processes with the same table share the stream's shards; `scan.shard-assigner` is refused with it."),
    opt!("scan.lease.worker-id", String, None, None, Source, &[], &[],
        "Our addition (D24): this process's name in the lease table (default: host name, process id and a random suffix)."),
    opt!("scan.lease.failover-millis", Long, Some("ms"), Some("10000"), Source, &[], &[],
        "Our addition (D24): a lease not renewed for this long is expired and taken by another process."),
    opt!("scan.lease.renew-millis", Long, Some("ms"), None, Source, &[], &[],
        "Our addition (D24): how often leases are renewed and the table is scanned for leases to take (default: a third of the failover time; below it)."),
    opt!("scan.lease.max-leases-per-worker", Integer, None, None, Source, &[], &[],
        "Our addition (D24): the most leases this process holds (default: unlimited)."),
    opt!("scan.lease.endpoint", String, None, None, Source, &[], &[],
        "Our addition (D24): DynamoDB endpoint URL of the lease table (default: the region's; `AWS_ENDPOINT_URL_DYNAMODB` under D21)."),
    opt!("scan.lease.region", String, None, None, Source, &[], &[],
        "Our addition (D24): region of the lease table (default: `aws.region`)."),
    opt!("scan.lease.checkpoint-millis", Long, Some("ms"), Some("1000"), Source, &[], &[],
        "Our addition (D24): how often the positions the caller acknowledged are written to the lease table."),
];

const ALL: [OptionSpec; 107] = cat::<70, 37, 107>(
    cat::<24, 46, 70>(
        COMMON,
        cat::<15, 31, 46>(
            SCAN_MAIN,
            cat::<16, 15, 31>(SCAN_RETRY_A, cat::<7, 8, 15>(SCAN_TAIL, SCAN_LEASE)),
        ),
    ),
    cat::<16, 21, 37>(SCAN_RETRY_B, SINK),
);

static TABLE: [OptionSpec; 107] = ALL;

/// Every connector option, in documentation order: common, source (`scan.*`), sink
/// (`sink.*`). Format options belong to the format (`kinesis_formats`).
pub static OPTIONS: &[OptionSpec] = &TABLE;

/// Every key a user may write, for did-you-mean and Flink's "Supported options" list: exact
/// keys, fallback keys suffixed ` (deprecated)`, and pattern keys as documented.
pub(crate) fn supported_keys() -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for s in OPTIONS {
        if s.deprecated {
            keys.push(format!("{} (deprecated)", s.key));
        } else {
            keys.push(s.key.to_string());
        }
        for f in s.fallback_keys {
            if f.starts_with("sink.producer.") {
                keys.push(format!("{f} (deprecated)"));
            } else {
                keys.push(f.to_string());
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Examples of this module's crate-private items.
#[cfg(test)]
mod examples {
    #[test]
    fn display_key_example() {
        use crate::spec::display_key;
        assert_eq!(
            display_key("aws.credentials.basic.secretkey"),
            "aws.credentials.basic.secretkey"
        );
        assert_eq!(
            display_key("aws.credentials.provider.basic.secretkey"),
            "aws.credentials.provider.basic.secretkey"
        );
        assert_eq!(
            display_key("aws.credentials.basic.secretkeyS3CR"),
            "aws.credentials.basic.secret******"
        );
        assert_eq!(
            display_key("aws.credentials.basic.sessiontoken=x"),
            "aws.credentials.basic.sessiontoken******"
        );
        assert_eq!(display_key("sink.batch.max-size"), "sink.batch.max-size");
    }

    #[test]
    fn supported_keys_example() {
        let keys = crate::spec::supported_keys();
        assert!(keys.contains(&"sink.producer.fail-on-error (deprecated)".to_string()));
    }
}
