//! The declarative option table against the reference's option tables (§1.2–1.4) and the
//! sink retry options of decisions.md: every key is present with Flink's side, type and
//! default, and the table holds no key the reference or the decisions do not name.

use kinesis_options::{KeyShape, OptionSpec, Side, ValueType, OPTIONS};

use Side::{Both, Sink, Source};
use ValueType::{Boolean, Double, Integer, Long, String as Str};

/// (key as the reference writes it, side, type, Flink's default). `None` = no default.
const REFERENCE: &[(&str, Side, ValueType, Option<&str>)] = &[
    // §1.2 common options.
    ("stream", Both, Str, None),
    ("format", Both, Str, None),
    ("aws.region", Both, Str, None),
    ("aws.endpoint", Both, Str, None),
    ("aws.trust.all.certificates", Both, Boolean, Some("false")),
    ("aws.credentials.provider", Both, Str, Some("AUTO")),
    ("aws.credentials.basic.accesskeyid", Both, Str, None),
    ("aws.credentials.basic.secretkey", Both, Str, None),
    ("aws.credentials.profile.path", Both, Str, None),
    ("aws.credentials.profile.name", Both, Str, None),
    ("aws.credentials.role.arn", Both, Str, None),
    ("aws.credentials.role.sessionName", Both, Str, None),
    ("aws.credentials.role.externalId", Both, Str, None),
    ("aws.credentials.role.stsEndpoint", Both, Str, None),
    ("aws.credentials.webIdentityToken.file", Both, Str, None),
    ("aws.credentials.custom.class", Both, Str, None),
    ("aws.clientconfig.<property>", Source, Str, None),
    ("aws.kinesis.client.user-agent-prefix", Sink, Str, None),
    // §1.3 source options.
    ("scan.stream.initpos", Source, Str, Some("LATEST")),
    ("scan.stream.initpos-timestamp", Source, Str, None),
    (
        "scan.stream.initpos-timestamp-format",
        Source,
        Str,
        Some("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    ),
    ("scan.stream.recordpublisher", Source, Str, Some("POLLING")),
    ("scan.stream.efo.consumername", Source, Str, None),
    ("scan.stream.efo.registration", Source, Str, Some("LAZY")),
    ("scan.stream.efo.consumerarn.<stream>", Source, Str, None),
    (
        "scan.stream.efo.http-client.max-concurrency",
        Source,
        Integer,
        Some("10000"),
    ),
    (
        "scan.stream.efo.http-client.read-timeout",
        Source,
        Long,
        Some("360000"),
    ),
    ("scan.shard-assigner", Source, Str, Some("default")),
    (
        "scan.stream.describe.maxretries",
        Source,
        Integer,
        Some("50"),
    ),
    (
        "scan.stream.describe.backoff.base",
        Source,
        Long,
        Some("2000"),
    ),
    (
        "scan.stream.describe.backoff.max",
        Source,
        Long,
        Some("5000"),
    ),
    (
        "scan.stream.describe.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    ("scan.list.shards.maxretries", Source, Integer, Some("10")),
    ("scan.list.shards.backoff.base", Source, Long, Some("1000")),
    ("scan.list.shards.backoff.max", Source, Long, Some("5000")),
    (
        "scan.list.shards.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.stream.describestreamconsumer.maxretries",
        Source,
        Integer,
        Some("50"),
    ),
    (
        "scan.stream.describestreamconsumer.backoff.base",
        Source,
        Long,
        Some("2000"),
    ),
    (
        "scan.stream.describestreamconsumer.backoff.max",
        Source,
        Long,
        Some("5000"),
    ),
    (
        "scan.stream.describestreamconsumer.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.stream.registerstreamconsumer.maxretries",
        Source,
        Integer,
        Some("10"),
    ),
    (
        "scan.stream.registerstreamconsumer.timeout",
        Source,
        Integer,
        Some("60"),
    ),
    (
        "scan.stream.registerstreamconsumer.backoff.base",
        Source,
        Long,
        Some("500"),
    ),
    (
        "scan.stream.registerstreamconsumer.backoff.max",
        Source,
        Long,
        Some("2000"),
    ),
    (
        "scan.stream.registerstreamconsumer.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.stream.deregisterstreamconsumer.maxretries",
        Source,
        Integer,
        Some("10"),
    ),
    (
        "scan.stream.deregisterstreamconsumer.timeout",
        Source,
        Integer,
        Some("60"),
    ),
    (
        "scan.stream.deregisterstreamconsumer.backoff.base",
        Source,
        Long,
        Some("500"),
    ),
    (
        "scan.stream.deregisterstreamconsumer.backoff.max",
        Source,
        Long,
        Some("2000"),
    ),
    (
        "scan.stream.deregisterstreamconsumer.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.shard.subscribetoshard.maxretries",
        Source,
        Integer,
        Some("10"),
    ),
    (
        "scan.shard.subscribetoshard.timeout",
        Source,
        Integer,
        Some("60"),
    ),
    (
        "scan.shard.subscribetoshard.backoff.base",
        Source,
        Long,
        Some("1000"),
    ),
    (
        "scan.shard.subscribetoshard.backoff.max",
        Source,
        Long,
        Some("2000"),
    ),
    (
        "scan.shard.subscribetoshard.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.shard.getrecords.maxrecordcount",
        Source,
        Integer,
        Some("10000"),
    ),
    (
        "scan.shard.getrecords.maxretries",
        Source,
        Integer,
        Some("3"),
    ),
    (
        "scan.shard.getrecords.backoff.base",
        Source,
        Long,
        Some("300"),
    ),
    (
        "scan.shard.getrecords.backoff.max",
        Source,
        Long,
        Some("1000"),
    ),
    (
        "scan.shard.getrecords.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.shard.getrecords.intervalmillis",
        Source,
        Long,
        Some("200"),
    ),
    (
        "scan.shard.getiterator.maxretries",
        Source,
        Integer,
        Some("3"),
    ),
    (
        "scan.shard.getiterator.backoff.base",
        Source,
        Long,
        Some("300"),
    ),
    (
        "scan.shard.getiterator.backoff.max",
        Source,
        Long,
        Some("1000"),
    ),
    (
        "scan.shard.getiterator.backoff.expconst",
        Source,
        Double,
        Some("1.5"),
    ),
    (
        "scan.shard.discovery.intervalmillis",
        Source,
        Long,
        Some("10000"),
    ),
    ("scan.shard.adaptivereads", Source, Boolean, Some("false")),
    ("scan.shard.idle.interval", Source, Long, Some("-1")),
    ("scan.watermark.sync.interval", Source, Long, Some("30000")),
    ("scan.watermark.lookahead.millis", Source, Long, Some("0")),
    (
        "scan.watermark.sync.queue.capacity",
        Source,
        Integer,
        Some("100"),
    ),
    (
        "scan.shard.consumer.error.recoverable[N].exception",
        Source,
        Str,
        None,
    ),
    // §1.4 sink options (effective defaults of the sink builder).
    ("sink.partitioner", Sink, Str, None),
    ("sink.partitioner-field-delimiter", Sink, Str, Some("|")),
    ("sink.fail-on-error", Sink, Boolean, Some("false")),
    ("sink.batch.max-size", Sink, Integer, Some("500")),
    ("sink.requests.max-inflight", Sink, Integer, Some("50")),
    ("sink.requests.max-buffered", Sink, Integer, Some("10000")),
    ("sink.flush-buffer.size", Sink, Long, Some("5242880")),
    ("sink.flush-buffer.timeout", Sink, Long, Some("5000")),
    (
        "sink.http-client.max-concurrency",
        Sink,
        Integer,
        Some("10000"),
    ),
    (
        "sink.http-client.read-timeout",
        Sink,
        Integer,
        Some("360000"),
    ),
    (
        "sink.http-client.protocol.version",
        Sink,
        Str,
        Some("HTTP2"),
    ),
    // decisions.md "Sink retry options we add".
    ("sink.retry.backoff.base", Sink, Long, Some("100")),
    ("sink.retry.backoff.max", Sink, Long, Some("5000")),
    ("sink.retry.backoff.expconst", Sink, Double, Some("1.5")),
    ("sink.retry.max-attempts", Sink, Integer, Some("0")),
];

/// Keys of the table that are not rows of the reference's tables, and why.
const NOT_IN_REFERENCE: &[(&str, &str)] = &[
    // KPL aggregation in the sink, decisions D23 (Flink's sink has none).
    ("sink.aggregation.enabled", "D23: opt-in KPL aggregation"),
    (
        "sink.aggregation.max-records",
        "D23: the KPL's AggregationMaxCount",
    ),
    (
        "sink.aggregation.max-bytes",
        "D23: the KPL's AggregationMaxSize",
    ),
    // Flink requires 'connector'; the option maps of this library may leave it out.
    ("connector", "optional in option maps; must be 'kinesis'"),
    (
        "aws.credentials.basic.sessiontoken",
        "temporary credentials for BASIC",
    ),
    (
        "aws.credentials.role.provider",
        "§1.2 row; its default (AUTO) applies only below ASSUME_ROLE",
    ),
    (
        "aws.credentials.role.provider.<credential option>",
        "§1.2: the nested provider's keys",
    ),
    ("sink.producer.kinesis-endpoint", "§8"),
    ("sink.producer.kinesis-port", "§8"),
    ("sink.producer.verify-certificate", "§8"),
    ("sink.producer.<kpl option>", "§8"),
    (
        "scan.shard.getrecords.idle-intervalmillis",
        "our addition, decisions D22",
    ),
    ("scan.lease.table", "our addition, decisions D24"),
    ("scan.lease.worker-id", "our addition, decisions D24"),
    ("scan.lease.failover-millis", "our addition, decisions D24"),
    ("scan.lease.renew-millis", "our addition, decisions D24"),
    (
        "scan.lease.max-leases-per-worker",
        "our addition, decisions D24",
    ),
    ("scan.lease.endpoint", "our addition, decisions D24"),
    ("scan.lease.region", "our addition, decisions D24"),
    (
        "scan.lease.checkpoint-millis",
        "our addition, decisions D24",
    ),
];

#[test]
fn every_reference_option_is_in_the_table_with_flinks_side_type_and_default() {
    for (key, side, value_type, default) in REFERENCE {
        let spec = OPTIONS
            .iter()
            .find(|s| s.key == *key)
            .unwrap_or_else(|| panic!("{key} is missing from spec::OPTIONS"));
        assert_eq!(spec.side, *side, "{key}: side");
        assert_eq!(spec.value_type, *value_type, "{key}: type");
        assert_eq!(spec.default, *default, "{key}: default");
        assert!(!spec.deprecated, "{key}");
        assert!(!spec.description.is_empty(), "{key}");
    }
}

#[test]
fn the_table_has_no_option_the_reference_does_not_name() {
    for s in OPTIONS {
        assert!(
            REFERENCE.iter().any(|(k, ..)| *k == s.key)
                || NOT_IN_REFERENCE.iter().any(|(k, _)| *k == s.key),
            "{} is not in the reference's tables",
            s.key
        );
    }
    assert_eq!(
        OPTIONS.len(),
        REFERENCE.len() + NOT_IN_REFERENCE.len(),
        "a key is listed twice"
    );
}

#[test]
fn enumerations_and_fallback_keys_match_the_reference() {
    let allowed = |k: &str| OptionSpec::find(k).unwrap().allowed.to_vec();
    assert_eq!(
        allowed("scan.stream.initpos"),
        ["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"]
    );
    assert_eq!(allowed("scan.stream.recordpublisher"), ["POLLING", "EFO"]);
    assert_eq!(
        allowed("scan.stream.efo.registration"),
        ["LAZY", "EAGER", "NONE"]
    );
    assert_eq!(
        allowed("sink.http-client.protocol.version"),
        ["HTTP1_1", "HTTP2"]
    );
    assert_eq!(allowed("aws.trust.all.certificates"), ["true", "false"]);
    assert_eq!(
        allowed("aws.credentials.provider"),
        [
            "ENV_VAR",
            "SYS_PROP",
            "PROFILE",
            "BASIC",
            "ASSUME_ROLE",
            "WEB_IDENTITY_TOKEN",
            "CUSTOM",
            "AUTO"
        ]
    );
    // §8 fallbacks and §1.1's raw client properties of the sink.http-client options.
    for (old, new) in [
        (
            "sink.producer.record-max-buffered-time",
            "sink.flush-buffer.timeout",
        ),
        ("sink.producer.collection-max-size", "sink.batch.max-size"),
        (
            "sink.producer.collection-max-count",
            "sink.requests.max-inflight",
        ),
        ("sink.producer.fail-on-error", "sink.fail-on-error"),
        (
            "aws.http-client.max-concurrency",
            "sink.http-client.max-concurrency",
        ),
        (
            "aws.http-client.read-timeout",
            "sink.http-client.read-timeout",
        ),
        (
            "aws.http.protocol.version",
            "sink.http-client.protocol.version",
        ),
    ] {
        assert_eq!(
            OptionSpec::find_by_fallback(old).map(|s| s.key),
            Some(new),
            "{old}"
        );
    }
    // Pattern keys match their families only.
    for (key, family) in [
        (
            "scan.stream.efo.consumerarn.orders",
            "scan.stream.efo.consumerarn.<stream>",
        ),
        (
            "scan.shard.consumer.error.recoverable[12].exception",
            "scan.shard.consumer.error.recoverable[N].exception",
        ),
        (
            "aws.clientconfig.socketTimeout",
            "aws.clientconfig.<property>",
        ),
        ("sink.producer.rate-limit", "sink.producer.<kpl option>"),
    ] {
        assert_eq!(OptionSpec::find(key).map(|s| s.key), Some(family), "{key}");
    }
    for key in [
        "scan.stream.efo.consumerarn.",
        "scan.shard.consumer.error.recoverable[].exception",
        "scan.shard.consumer.error.recoverable[x].exception",
    ] {
        assert!(OptionSpec::find(key).is_none(), "{key}");
    }
    assert!(OPTIONS
        .iter()
        .filter(|s| s.shape != KeyShape::Exact)
        .all(|s| s.default.is_none()));
}
