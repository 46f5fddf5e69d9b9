//! Every V and K rule of reference §2 with its message, every default, every deprecated
//! mapping of §8, and secret masking.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use kinesis_options::{
    CredentialsSpec, EfoRegistration, HttpProtocol, OptionsError, Partitioner, RecordPublisher,
    StartPosition, TableDef,
};
use kinesis_options::{KeyShape, OPTIONS};

fn minimal() -> Pairs {
    pairs(&[
        ("stream", "orders"),
        ("format", "csv"),
        ("aws.region", "us-east-1"),
    ])
}

fn efo() -> Pairs {
    with(
        minimal(),
        &[
            ("scan.stream.recordpublisher", "EFO"),
            ("scan.stream.efo.consumername", "my-app"),
        ],
    )
}

#[test]
fn v1_v4_aws_rules() {
    let v1 = "Invalid AWS Credential Provider Type set in config. Valid values are: ENV_VAR, SYS_PROP, PROFILE, BASIC, ASSUME_ROLE, WEB_IDENTITY_TOKEN, CUSTOM, AUTO, ";
    assert_eq!(
        err(with(minimal(), &[("aws.credentials.provider", "basic")])),
        v1
    );
    // Nested providers are checked too, with their own key.
    let e = table(with(
        minimal(),
        &[
            ("aws.credentials.provider", "ASSUME_ROLE"),
            ("aws.credentials.role.arn", "arn:aws:iam::1:role/r"),
            ("aws.credentials.role.sessionName", "s"),
            ("aws.credentials.role.provider", "NOPE"),
        ],
    ))
    .unwrap_err();
    assert_eq!(e.to_string(), v1);
    assert_eq!(e.key(), Some("aws.credentials.role.provider"));
    assert!(
        err(with(minimal(), &[("aws.credentials.provider", "BASIC")])).starts_with(
            "Please set values for AWS Access Key ID ('aws.credentials.basic.accesskeyid')"
        )
    );
    assert!(err(with(minimal(), &[("aws.region", "US-EAST-1")]))
        .starts_with("Invalid AWS region set in config. Valid values are: "));
    assert_eq!(
        err(with(minimal(), &[("aws.trust.all.certificates", "1")])),
        "Invalid aws.trust.all.certificates value, must be a boolean."
    );
}

#[test]
fn v5_v8_efo_rules() {
    assert_eq!(
        err(with(minimal(), &[("scan.stream.recordpublisher", "efo")])),
        "Invalid record publisher type in stream set in config. Valid values are: EFO, POLLING"
    );
    assert_eq!(
        err(with(efo(), &[("scan.stream.efo.registration", "lazy")])),
        "Invalid efo registration type in stream set in config. Valid values are: LAZY, EAGER, NONE"
    );
    // Registration is only checked for EFO.
    assert!(table(with(minimal(), &[("scan.stream.efo.registration", "lazy")])).is_ok());
    assert_eq!(
        err(with(efo(), &[("scan.stream.efo.registration", "NONE")])),
        "Invalid efo consumer arn settings for not providing consumer arns: scan.stream.efo.consumerarn.orders"
    );
    let arn = "arn:aws:kinesis:us-east-1:1:stream/orders/consumer/my-app:1";
    let t = table(with(
        without(efo(), &["scan.stream.efo.consumername"]),
        &[
            ("scan.stream.efo.registration", "NONE"),
            ("scan.stream.efo.consumerarn.orders", arn),
        ],
    ))
    .unwrap();
    let s = t.source_options();
    assert_eq!(s.record_publisher, RecordPublisher::Efo);
    assert_eq!(s.efo.registration, EfoRegistration::None);
    assert_eq!(s.efo.consumer_arns["orders"], arn);
    assert_eq!(
        t.resolved_options()["scan.stream.efo.consumerarn.orders"],
        arn
    );
    for reg in ["LAZY", "EAGER"] {
        assert_eq!(
            err(with(
                without(efo(), &["scan.stream.efo.consumername"]),
                &[("scan.stream.efo.registration", reg)]
            )),
            "No valid enhanced fan-out consumer name is set through scan.stream.efo.consumername"
        );
    }
    let t = table(with(efo(), &[("scan.stream.efo.registration", "EAGER")])).unwrap();
    assert_eq!(t.source_options().efo.registration, EfoRegistration::Eager);
    assert_eq!(
        t.source_options().efo.consumer_name.as_deref(),
        Some("my-app")
    );
}

#[test]
fn v9_v12_start_position_rules() {
    assert!(
        err(without(minimal(), &["aws.region"])).starts_with("For FlinkKinesisConsumer AWS region")
    );
    assert_eq!(
        err(with(minimal(), &[("scan.stream.initpos", "EARLIEST")])),
        "Invalid initial position in stream set in config. Valid values are: TRIM_HORIZON, LATEST, AT_TIMESTAMP"
    );
    let at = with(minimal(), &[("scan.stream.initpos", "AT_TIMESTAMP")]);
    assert_eq!(
        err(at.clone()),
        "Please set value for initial timestamp ('scan.stream.initpos-timestamp') when using AT_TIMESTAMP initial position."
    );
    let v12_default = "Invalid value given for initial timestamp for AT_TIMESTAMP initial position in stream. Must be a valid format: yyyy-MM-dd'T'HH:mm:ss.SSSXXX or non-negative double value. For example, 2016-04-04T19:58:46.480-00:00 or 1459799926.480 .";
    for bad in [
        "-1459799926.480",
        "2016-13-04T19:58:46.480Z",
        "yesterday",
        "2016-04-04T19:58:46.480+0100",
    ] {
        let e = table(with(at.clone(), &[("scan.stream.initpos-timestamp", bad)])).unwrap_err();
        assert_eq!(e.to_string(), v12_default, "{bad}");
        assert_eq!(e.key(), Some("scan.stream.initpos-timestamp"));
    }
    // D2: the message names the pattern in force.
    assert_eq!(
        err(with(
            at.clone(),
            &[
                ("scan.stream.initpos-timestamp", "2016-04-04 12:00"),
                ("scan.stream.initpos-timestamp-format", "yyyy-MM-dd'T'HH:mm")
            ]
        )),
        v12_default.replace("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd'T'HH:mm")
    );
    // An invalid pattern fails even for a valid number (Java's SimpleDateFormat throws first).
    assert_eq!(
        err(with(
            at.clone(),
            &[
                ("scan.stream.initpos-timestamp", "0"),
                ("scan.stream.initpos-timestamp-format", "InvalidPattern")
            ]
        )),
        v12_default.replace("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "InvalidPattern")
    );
    for (text, ms) in [
        ("2016-04-04T19:58:46.480-00:00", 1459799926480i64),
        ("1459799926.480", 1459799926480),
        ("2020-08-13T09:18:00.0+01:00", 1597306680000),
    ] {
        let t = table(with(at.clone(), &[("scan.stream.initpos-timestamp", text)])).unwrap();
        match t.source_options().start_position {
            StartPosition::AtTimestamp(ts) => assert_eq!(ts.timestamp_millis(), ms, "{text}"),
            other => panic!("{other:?}"),
        }
    }
    let t = table(with(minimal(), &[("scan.stream.initpos", "TRIM_HORIZON")])).unwrap();
    assert_eq!(
        t.source_options().start_position,
        StartPosition::TrimHorizon
    );
}

/// V13–V44: (key, kind, message) in Flink's order.
const NUMERIC_RULES: &[(&str, &str, &str)] = &[
    ("scan.shard.getrecords.maxrecordcount", "int", "Invalid value given for maximum records per getRecords shard operation. Must be a valid non-negative integer value."),
    ("scan.shard.getrecords.maxretries", "int", "Invalid value given for maximum retry attempts for getRecords shard operation. Must be a valid non-negative integer value."),
    ("scan.shard.getrecords.backoff.base", "long", "Invalid value given for get records operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.getrecords.backoff.max", "long", "Invalid value given for get records operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.getrecords.backoff.expconst", "double", "Invalid value given for get records operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.shard.getrecords.intervalmillis", "long", "Invalid value given for getRecords sleep interval in milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.getiterator.maxretries", "int", "Invalid value given for maximum retry attempts for getShardIterator shard operation. Must be a valid non-negative integer value."),
    ("scan.shard.getiterator.backoff.base", "long", "Invalid value given for get shard iterator operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.getiterator.backoff.max", "long", "Invalid value given for get shard iterator operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.getiterator.backoff.expconst", "double", "Invalid value given for get shard iterator operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.shard.discovery.intervalmillis", "long", "Invalid value given for shard discovery sleep interval in milliseconds. Must be a valid non-negative long value."),
    ("scan.list.shards.backoff.base", "long", "Invalid value given for list shards operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.list.shards.backoff.max", "long", "Invalid value given for list shards operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.list.shards.backoff.expconst", "double", "Invalid value given for list shards operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.stream.describestreamconsumer.maxretries", "int", "Invalid value given for maximum retry attempts for describe stream consumer operation. Must be a valid non-negative int value."),
    ("scan.stream.describestreamconsumer.backoff.max", "long", "Invalid value given for describe stream consumer operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.describestreamconsumer.backoff.expconst", "double", "Invalid value given for describe stream consumer operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.stream.describestreamconsumer.backoff.base", "long", "Invalid value given for describe stream consumer operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.registerstreamconsumer.maxretries", "int", "Invalid value given for maximum retry attempts for register stream operation. Must be a valid non-negative integer value."),
    ("scan.stream.registerstreamconsumer.timeout", "int", "Invalid value given for maximum timeout for register stream consumer. Must be a valid non-negative integer value."),
    ("scan.stream.registerstreamconsumer.backoff.max", "long", "Invalid value given for register stream operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.registerstreamconsumer.backoff.base", "long", "Invalid value given for register stream operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.registerstreamconsumer.backoff.expconst", "double", "Invalid value given for register stream operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.stream.deregisterstreamconsumer.maxretries", "int", "Invalid value given for maximum retry attempts for deregister stream operation. Must be a valid non-negative integer value."),
    ("scan.stream.deregisterstreamconsumer.timeout", "int", "Invalid value given for maximum timeout for deregister stream consumer. Must be a valid non-negative integer value."),
    ("scan.stream.deregisterstreamconsumer.backoff.base", "long", "Invalid value given for deregister stream operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.deregisterstreamconsumer.backoff.max", "long", "Invalid value given for deregister stream operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.stream.deregisterstreamconsumer.backoff.expconst", "double", "Invalid value given for deregister stream operation backoff exponential constant. Must be a valid non-negative double value."),
    ("scan.shard.subscribetoshard.maxretries", "int", "Invalid value given for maximum retry attempts for subscribe to shard operation. Must be a valid non-negative integer value."),
    ("scan.shard.subscribetoshard.backoff.base", "long", "Invalid value given for subscribe to shard operation base backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.subscribetoshard.backoff.max", "long", "Invalid value given for subscribe to shard operation max backoff milliseconds. Must be a valid non-negative long value."),
    ("scan.shard.subscribetoshard.backoff.expconst", "double", "Invalid value given for subscribe to shard operation backoff exponential constant. Must be a valid non-negative double value."),
];

#[test]
fn v13_v44_numeric_rules_with_messages() {
    for (key, kind, msg) in NUMERIC_RULES {
        for bad in ["-1", "abc", ""] {
            let e = table(with(minimal(), &[(key, bad)])).unwrap_err();
            assert_eq!(e.to_string(), *msg, "{key}={bad}");
            assert_eq!(e.key(), Some(*key));
        }
        let too_big = match *kind {
            "int" => Some("2147483648"),
            "long" => Some("9223372036854775808"),
            _ => None,
        };
        if let Some(v) = too_big {
            assert_eq!(err(with(minimal(), &[(key, v)])), *msg, "{key}={v}");
        }
        if *kind != "double" {
            assert_eq!(err(with(minimal(), &[(key, "1.5")])), *msg, "{key}");
        }
        // Zero is allowed, as in Flink.
        assert!(table(with(minimal(), &[(key, "0")])).is_ok(), "{key}=0");
    }
    // Flink's order: with two bad values the earlier rule reports.
    let e = err(with(
        minimal(),
        &[
            ("scan.shard.subscribetoshard.backoff.base", "-1"),
            ("scan.shard.getrecords.maxretries", "-1"),
        ],
    ));
    assert_eq!(e, NUMERIC_RULES[1].2);
}

#[test]
fn v45_v46_v49() {
    assert_eq!(
        err(with(minimal(), &[("scan.shard.getrecords.intervalmillis", "300000")])),
        "Invalid value given for getRecords sleep interval in milliseconds. Must be lower than 300000 milliseconds."
    );
    assert!(table(with(
        minimal(),
        &[("scan.shard.getrecords.intervalmillis", "299999")]
    ))
    .is_ok());
    assert_eq!(
        err(with(
            minimal(),
            &[("scan.stream.efo.http-client.max-concurrency", "-5")]
        )),
        "Invalid value given for EFO HTTP client max concurrency. Must be positive."
    );
    let v49 = "Invalid config for recoverable consumer exceptions. Valid config example: `scan.shard.consumer.error.recoverable[0].exception=ResourceInUseException`. Your config array must use zero-based indexing as shown in the example.";
    assert_eq!(
        err(with(
            minimal(),
            &[("scan.shard.consumer.error.recoverable[1].exception", "X")]
        )),
        v49
    );
    assert_eq!(
        err(with(
            minimal(),
            &[
                ("scan.shard.consumer.error.recoverable[0].exception", "X"),
                ("scan.shard.consumer.error.recoverable[2].exception", "Y")
            ]
        )),
        v49
    );
    assert_eq!(
        err(with(
            minimal(),
            &[(
                "scan.shard.consumer.error.recoverable[0].exception",
                "not a code"
            )]
        )),
        "Provided recoverable exception class could not be found: not a code"
    );
    // A typo of a Kinesis code never matches anything: refused, with a did-you-mean.
    assert_eq!(
        err(with(
            minimal(),
            &[(
                "scan.shard.consumer.error.recoverable[0].exception",
                "ResourceInUseExeption"
            )]
        )),
        "Provided recoverable exception class could not be found: ResourceInUseExeption (did you mean 'ResourceInUseException'?)"
    );
    // Java names: the SDK's model classes and transport exceptions Flink's docs use.
    for ok in [
        "software.amazon.awssdk.services.kinesis.model.ResourceInUseException",
        "java.net.UnknownHostException",
        "java.net.SocketTimeoutException",
        "ExpiredIteratorException",
    ] {
        let t = table(with(
            minimal(),
            &[("scan.shard.consumer.error.recoverable[0].exception", ok)],
        ));
        assert!(t.is_ok(), "{ok}: {:?}", t.err());
    }
}

#[test]
fn k1_to_k15_sink_rules_in_order() {
    // K4 before K13: a zero batch size reports K4 although max-buffered is also bad.
    assert_eq!(
        err(with(
            minimal(),
            &[
                ("sink.batch.max-size", "0"),
                ("sink.requests.max-buffered", "0")
            ]
        )),
        "Invalid option batch size. Must be a positive integer"
    );
    // Sink parse errors come before unknown keys (Flink's step 2 precedes validateExcept).
    assert_eq!(
        err(with(
            minimal(),
            &[("sink.batch.max-size", "x"), ("bogus.key", "1")]
        )),
        "Could not parse value 'x' for key 'sink.batch.max-size'."
    );
    // Unknown keys before range checks.
    assert!(err(with(
        minimal(),
        &[("sink.batch.max-size", "0"), ("bogus.key", "1")]
    ))
    .starts_with("Unsupported options found"));
    // Partition-key checks (K15) precede K1.
    let cols = schema();
    let e = TableDef::from_options_partitioned(
        "t",
        cols,
        ["nope"],
        with(minimal(), &[("sink.partitioner", "random")]),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "The following partition keys are not present in the table: nope"
    );
    assert_eq!(
        partitioned(minimal(), &["name", "name"])
            .unwrap_err()
            .to_string(),
        "The sequence of partition keys cannot contain duplicates"
    );
    // Delimiter, including the empty one.
    let t = partitioned(
        with(minimal(), &[("sink.partitioner-field-delimiter", "")]),
        &["name", "curr_id"],
    )
    .unwrap();
    assert_eq!(
        t.sink_options().partitioner,
        Partitioner::Fields {
            columns: vec!["name".into(), "curr_id".into()],
            delimiter: String::new()
        }
    );
}

#[test]
fn every_default() {
    let t = table(minimal()).unwrap();
    let r = t.resolved_options();
    let mut expected: BTreeMap<String, String> = OPTIONS
        .iter()
        .filter(|s| s.shape == KeyShape::Exact && !s.deprecated)
        .filter_map(|s| s.default.map(|d| (s.key.to_string(), d.to_string())))
        .collect();
    for (k, v) in minimal() {
        expected.insert(k, v);
    }
    for k in kinesis_formats::Format::option_keys("csv") {
        if let Some(d) = k.default {
            expected.insert(k.key.to_string(), d.to_string());
        }
    }
    assert_eq!(r, expected);
    // Spot-check the reference's defaults against the table.
    for (k, v) in [
        ("scan.stream.initpos", "LATEST"),
        (
            "scan.stream.initpos-timestamp-format",
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        ),
        ("scan.stream.recordpublisher", "POLLING"),
        ("scan.stream.efo.registration", "LAZY"),
        ("scan.stream.efo.http-client.max-concurrency", "10000"),
        ("scan.stream.efo.http-client.read-timeout", "360000"),
        ("scan.shard-assigner", "default"),
        ("scan.stream.describe.maxretries", "50"),
        ("scan.stream.describe.backoff.base", "2000"),
        ("scan.stream.describe.backoff.max", "5000"),
        ("scan.list.shards.maxretries", "10"),
        ("scan.list.shards.backoff.base", "1000"),
        ("scan.list.shards.backoff.max", "5000"),
        ("scan.stream.describestreamconsumer.maxretries", "50"),
        ("scan.stream.describestreamconsumer.backoff.base", "2000"),
        ("scan.stream.registerstreamconsumer.maxretries", "10"),
        ("scan.stream.registerstreamconsumer.timeout", "60"),
        ("scan.stream.registerstreamconsumer.backoff.base", "500"),
        ("scan.stream.registerstreamconsumer.backoff.max", "2000"),
        ("scan.stream.deregisterstreamconsumer.timeout", "60"),
        ("scan.shard.subscribetoshard.maxretries", "10"),
        ("scan.shard.subscribetoshard.timeout", "60"),
        ("scan.shard.subscribetoshard.backoff.base", "1000"),
        ("scan.shard.subscribetoshard.backoff.max", "2000"),
        ("scan.shard.getrecords.maxrecordcount", "10000"),
        ("scan.shard.getrecords.maxretries", "3"),
        ("scan.shard.getrecords.backoff.base", "300"),
        ("scan.shard.getrecords.backoff.max", "1000"),
        ("scan.shard.getrecords.backoff.expconst", "1.5"),
        ("scan.shard.getrecords.intervalmillis", "200"),
        ("scan.shard.getiterator.maxretries", "3"),
        ("scan.shard.discovery.intervalmillis", "10000"),
        ("scan.shard.adaptivereads", "false"),
        ("scan.shard.idle.interval", "-1"),
        ("scan.watermark.sync.interval", "30000"),
        ("scan.watermark.lookahead.millis", "0"),
        ("scan.watermark.sync.queue.capacity", "100"),
        ("sink.partitioner-field-delimiter", "|"),
        ("sink.fail-on-error", "false"),
        ("sink.batch.max-size", "500"),
        ("sink.requests.max-inflight", "50"),
        ("sink.requests.max-buffered", "10000"),
        ("sink.flush-buffer.size", "5242880"),
        ("sink.flush-buffer.timeout", "5000"),
        ("sink.http-client.max-concurrency", "10000"),
        ("sink.http-client.read-timeout", "360000"),
        ("sink.http-client.protocol.version", "HTTP2"),
        ("sink.retry.backoff.base", "100"),
        ("sink.retry.backoff.max", "5000"),
        ("sink.retry.backoff.expconst", "1.5"),
        ("sink.retry.max-attempts", "0"),
        ("aws.trust.all.certificates", "false"),
        ("aws.credentials.provider", "AUTO"),
        ("connector", "kinesis"),
    ] {
        assert_eq!(r.get(k).map(String::as_str), Some(v), "{k}");
    }
    // The typed values match.
    let s = t.source_options();
    assert_eq!(s.start_position, StartPosition::Latest);
    assert_eq!(s.record_publisher, RecordPublisher::Polling);
    assert_eq!(s.get_records.max_retries, 3);
    assert_eq!(s.get_records.base, Duration::from_millis(300));
    assert_eq!(s.get_records.max, Duration::from_millis(1000));
    assert_eq!(s.get_records.expconst, 1.5);
    assert_eq!(s.get_records_max_record_count, 10000);
    assert_eq!(s.get_records_interval, Duration::from_millis(200));
    assert_eq!(s.get_shard_iterator.max_retries, 3);
    assert_eq!(s.list_shards.max_retries, 10);
    assert_eq!(s.list_shards.base, Duration::from_millis(1000));
    assert_eq!(s.describe_stream.max_retries, 50);
    assert_eq!(s.describe_stream.base, Duration::from_millis(2000));
    assert_eq!(s.discovery_interval, Duration::from_secs(10));
    assert!(!s.adaptive_reads);
    assert!(s.recoverable_error_codes.is_empty());
    assert_eq!(s.efo.registration, EfoRegistration::Lazy);
    assert_eq!(s.efo.register_timeout, Duration::from_secs(60));
    assert_eq!(s.efo.subscribe_to_shard.base, Duration::from_millis(1000));
    assert_eq!(s.efo.describe_stream_consumer.max_retries, 50);
    assert_eq!(s.efo.http_read_timeout, Duration::from_secs(360));
    let k = t.sink_options();
    assert_eq!(k.partitioner, Partitioner::Random);
    assert_eq!(k.http_client.protocol, HttpProtocol::Http2);
    assert_eq!(k.retry.base, Duration::from_millis(100));
    assert_eq!(k.retry.max, Duration::from_millis(5000));
    assert_eq!(k.retry.max_attempts, 0);
    assert!(t.warnings().is_empty());
}

#[test]
fn describe_backoff_does_not_override_list_shards_d4() {
    let t = table(with(
        minimal(),
        &[("scan.stream.describe.backoff.base", "7")],
    ))
    .unwrap();
    assert_eq!(
        t.source_options().describe_stream.base,
        Duration::from_millis(7)
    );
    assert_eq!(
        t.source_options().list_shards.base,
        Duration::from_millis(1000)
    );
}

#[test]
fn deprecated_mappings_section_8() {
    // Each fallback key alone.
    for (old, new, value) in [
        (
            "sink.producer.record-max-buffered-time",
            "sink.flush-buffer.timeout",
            "1234",
        ),
        (
            "sink.producer.collection-max-size",
            "sink.batch.max-size",
            "77",
        ),
        (
            "sink.producer.collection-max-count",
            "sink.requests.max-inflight",
            "9",
        ),
        ("sink.producer.fail-on-error", "sink.fail-on-error", "true"),
    ] {
        let t = table(with(minimal(), &[(old, value)])).unwrap();
        assert_eq!(t.resolved_options()[new], value, "{old}");
        assert!(!t.resolved_options().contains_key(old));
        assert_eq!(t.warnings().len(), 1, "{old}");
        assert!(t.warnings()[0].contains(old) && t.warnings()[0].contains(new));
        // The new key wins.
        let newer = if new == "sink.fail-on-error" {
            "false"
        } else {
            "1"
        };
        let t = table(with(minimal(), &[(old, value), (new, newer)])).unwrap();
        assert_eq!(t.resolved_options()[new], newer, "{new}");
    }
    // Endpoint (+ port), only if aws.endpoint is unset.
    let t = table(with(
        minimal(),
        &[
            ("sink.producer.kinesis-endpoint", "localhost"),
            ("sink.producer.kinesis-port", "4567"),
        ],
    ))
    .unwrap();
    assert_eq!(
        t.resolved_options()["aws.endpoint"],
        "https://localhost:4567"
    );
    assert_eq!(
        t.client_config().endpoint.as_deref(),
        Some("https://localhost:4567")
    );
    let t = table(with(
        minimal(),
        &[("sink.producer.kinesis-endpoint", "localhost")],
    ))
    .unwrap();
    assert_eq!(t.resolved_options()["aws.endpoint"], "https://localhost");
    let t = table(with(minimal(), &[("sink.producer.kinesis-port", "4567")])).unwrap();
    assert!(!t.resolved_options().contains_key("aws.endpoint"));
    let t = table(with(
        minimal(),
        &[
            ("sink.producer.kinesis-endpoint", "other"),
            ("aws.endpoint", "http://127.0.0.1:1"),
        ],
    ))
    .unwrap();
    assert_eq!(t.resolved_options()["aws.endpoint"], "http://127.0.0.1:1");
    // verify-certificate inverts into trust-all.
    for (v, trust) in [("true", "false"), ("FALSE", "true")] {
        let t = table(with(minimal(), &[("sink.producer.verify-certificate", v)])).unwrap();
        assert_eq!(t.resolved_options()["aws.trust.all.certificates"], trust);
    }
    let t = table(with(
        minimal(),
        &[
            ("sink.producer.verify-certificate", "false"),
            ("aws.trust.all.certificates", "false"),
        ],
    ))
    .unwrap();
    assert!(!t.client_config().trust_all_certificates);
    let t = table(with(
        minimal(),
        &[("sink.producer.verify-certificate", "maybe")],
    ))
    .unwrap();
    assert_eq!(
        t.warnings(),
        ["Option sink.producer.verify-certificate is ignored due to invalid value"]
    );
    // Every other sink.producer.* key: ignored with one warning each.
    let t = table(with(
        minimal(),
        &[
            ("sink.producer.metrics-level", "NONE"),
            ("sink.producer.rate-limit", "100"),
        ],
    ))
    .unwrap();
    assert_eq!(
        t.warnings(),
        [
            "Key sink.producer.metrics-level is unsupported by Kinesis Datastream Sink",
            "Key sink.producer.rate-limit is unsupported by Kinesis Datastream Sink"
        ]
    );
    // The KPL's aggregation keys are read as sink.aggregation.* (decisions D23).
    let t = table(with(
        minimal(),
        &[
            ("sink.producer.aggregation-enabled", "true"),
            ("sink.producer.aggregation-max-count", "100"),
            ("sink.producer.aggregation-max-size", "65536"),
        ],
    ))
    .unwrap();
    let mut w = t.warnings().to_vec();
    w.sort();
    assert_eq!(
        w,
        [
            "Option 'sink.producer.aggregation-enabled' is deprecated; it is read as 'sink.aggregation.enabled'",
            "Option 'sink.producer.aggregation-max-count' is deprecated; it is read as 'sink.aggregation.max-records'",
            "Option 'sink.producer.aggregation-max-size' is deprecated; it is read as 'sink.aggregation.max-bytes'",
        ]
    );
    let a = t.sink_options().aggregation;
    assert_eq!((a.enabled, a.max_records, a.max_bytes), (true, 100, 65_536));
    // aws.clientconfig.* is accepted with a warning (D3).
    let t = table(with(
        minimal(),
        &[("aws.clientconfig.socketTimeout", "9999")],
    ))
    .unwrap();
    assert_eq!(t.warnings().len(), 1);
    assert!(!t
        .resolved_options()
        .contains_key("aws.clientconfig.socketTimeout"));
}

#[test]
fn unknown_keys_get_did_you_mean_d3() {
    let e = table(with(
        minimal(),
        &[
            ("scan.stream.initpos.timestamp", "x"),
            ("sink.batch.maxsize", "1"),
        ],
    ))
    .unwrap_err();
    match &e {
        OptionsError::UnsupportedOptions { keys, supported } => {
            assert_eq!(
                keys,
                &vec![
                    (
                        "scan.stream.initpos.timestamp".to_string(),
                        Some("scan.stream.initpos-timestamp".to_string())
                    ),
                    (
                        "sink.batch.maxsize".to_string(),
                        Some("sink.batch.max-size".to_string())
                    ),
                ]
            );
            assert!(
                supported.contains(&"sink.producer.collection-max-size (deprecated)".to_string())
            );
            assert!(supported.contains(&"csv.field-delimiter".to_string()));
        }
        other => panic!("{other:?}"),
    }
    // A key of a format that is not in use is unknown; one of the format in use is known.
    assert!(
        err(with(minimal(), &[("json.fail-on-missing-field", "true")]))
            .contains("json.fail-on-missing-field")
    );
    assert!(table(with(minimal(), &[("csv.field-delimiter", ";")])).is_ok());
    let e = err(with(minimal(), &[("csv.field-delimeter", ";")]));
    assert!(
        e.contains("csv.field-delimeter (did you mean 'csv.field-delimiter'?)"),
        "{e}"
    );
}

#[test]
fn credential_tree() {
    let t = table(with(
        minimal(),
        &[
            ("aws.credentials.provider", "ASSUME_ROLE"),
            ("aws.credentials.role.arn", "arn:aws:iam::1:role/outer"),
            ("aws.credentials.role.sessionName", "outer"),
            ("aws.credentials.role.externalId", "ext"),
            ("aws.credentials.role.provider", "ASSUME_ROLE"),
            (
                "aws.credentials.role.provider.role.arn",
                "arn:aws:iam::1:role/inner",
            ),
            ("aws.credentials.role.provider.role.sessionName", "inner"),
            (
                "aws.credentials.role.provider.role.provider.basic.accesskeyid",
                "AK",
            ),
            (
                "aws.credentials.role.provider.role.provider.basic.secretkey",
                "SK",
            ),
        ],
    ))
    .unwrap();
    let CredentialsSpec::AssumeRole {
        role_arn,
        external_id,
        provider,
        ..
    } = t.credentials()
    else {
        panic!("{:?}", t.credentials())
    };
    assert_eq!(role_arn, "arn:aws:iam::1:role/outer");
    assert_eq!(external_id.as_deref(), Some("ext"));
    let CredentialsSpec::AssumeRole {
        session_name,
        provider: inner,
        ..
    } = provider.as_ref()
    else {
        panic!("{provider:?}")
    };
    assert_eq!(session_name, "inner");
    assert!(
        matches!(inner.as_ref(), CredentialsSpec::Basic { access_key_id, .. } if access_key_id == "AK")
    );
    assert_eq!(
        t.resolved_options()["aws.credentials.role.provider.role.provider.basic.secretkey"],
        "******"
    );
    // An unknown nested key is still unknown.
    assert!(err(with(
        minimal(),
        &[("aws.credentials.role.provider.basic.secret", "x")]
    ))
    .contains("did you mean 'aws.credentials.role.provider.basic.secretkey'"));
    // ASSUME_ROLE needs the role ARN and session name.
    assert_eq!(
        err(with(minimal(), &[("aws.credentials.provider", "ASSUME_ROLE"), ("aws.credentials.role.arn", "a")])),
        "You must specify a value for roleArn ('aws.credentials.role.arn') and roleSessionName ('aws.credentials.role.sessionName') when using the ASSUME_ROLE AWS credential provider type."
    );
    for (ty, want) in [
        ("ENV_VAR", CredentialsSpec::EnvVar),
        ("SYS_PROP", CredentialsSpec::SysProp),
    ] {
        let t = table(with(minimal(), &[("aws.credentials.provider", ty)])).unwrap();
        assert_eq!(t.credentials(), &want);
    }
    let t = table(with(
        minimal(),
        &[
            ("aws.credentials.provider", "PROFILE"),
            ("aws.credentials.profile.name", "dev"),
            ("aws.credentials.profile.path", "/tmp/creds"),
        ],
    ))
    .unwrap();
    assert_eq!(
        t.credentials(),
        &CredentialsSpec::Profile {
            path: Some("/tmp/creds".into()),
            name: Some("dev".into())
        }
    );
    let t = table(with(
        minimal(),
        &[
            ("aws.credentials.provider", "WEB_IDENTITY_TOKEN"),
            ("aws.credentials.webIdentityToken.file", "/tmp/token"),
        ],
    ))
    .unwrap();
    assert!(matches!(
        t.credentials(),
        CredentialsSpec::WebIdentityToken {
            token_file: Some(_),
            ..
        }
    ));
}

#[test]
fn custom_credentials_d15() {
    assert_eq!(
        err(with(minimal(), &[("aws.credentials.provider", "CUSTOM")])),
        "No custom AWS credential provider class was provided with config key aws.credentials.custom.class"
    );
    let opts = with(
        minimal(),
        &[
            ("aws.credentials.provider", "CUSTOM"),
            ("aws.credentials.custom.class", "rules-test-vault"),
        ],
    );
    assert!(err(opts.clone()).starts_with(
        "Could not find and instantiate custom AWS credential provider class 'rules-test-vault'"
    ));
    kinesis_options::register_credentials_provider("rules-test-vault", || {
        Ok(std::sync::Arc::new(
            kinesis_wire::credentials::StaticProvider::new(
                kinesis_wire::credentials::Credentials::new("AK", "SK", None, None, "vault"),
            ),
        ))
    });
    let t = table(opts).unwrap();
    assert_eq!(
        t.credentials(),
        &CredentialsSpec::Custom {
            name: "rules-test-vault".into()
        }
    );
}

#[test]
fn custom_partitioner_and_assigner_d15() {
    use kinesis_formats::Row;
    use kinesis_options::{PartitionKeyGenerator, PartitionerContext, ShardAssigner, ShardInfo};
    struct Subtask(usize);
    impl PartitionKeyGenerator for Subtask {
        fn partition_key(&self, _: &Row) -> String {
            format!("p{}", self.0)
        }
    }
    kinesis_options::register_partitioner("rules-test-partitioner", |ctx| {
        Box::new(Subtask(ctx.subtask_index))
    });
    let t = table(with(
        minimal(),
        &[("sink.partitioner", "rules-test-partitioner")],
    ))
    .unwrap();
    let g = t
        .partition_key_generator(&PartitionerContext {
            subtask_index: 2,
            parallelism: 3,
            row_type: &[],
        })
        .unwrap();
    assert_eq!(g.partition_key(&Row::default()), "p2");

    struct Zero;
    impl ShardAssigner for Zero {
        fn assign(&self, _: &ShardInfo<'_>, _: usize) -> i32 {
            0
        }
    }
    kinesis_options::register_shard_assigner("rules-test-assigner", || std::sync::Arc::new(Zero));
    let t = table(with(
        minimal(),
        &[("scan.shard-assigner", "rules-test-assigner")],
    ))
    .unwrap();
    assert!(t.shard_assigner().is_some());
}

#[test]
fn secrets_are_masked_everywhere() {
    let secret = "SuperSecretSecretSquirrel";
    let token = "TokTokTokenValue";
    let opts = with(
        minimal(),
        &[
            ("aws.credentials.basic.accesskeyid", "AKID"),
            ("aws.credentials.basic.secretkey", secret),
            ("aws.credentials.basic.sessiontoken", token),
        ],
    );
    let t = table(opts.clone()).unwrap();
    for text in [
        format!("{t}"),
        format!("{t:?}"),
        format!("{:?}", t.resolved_options()),
    ] {
        assert!(!text.contains(secret) && !text.contains(token), "{text}");
        assert!(text.contains("AKID"));
    }
    // Errors: a DDL error's excerpt masks the secret on its line.
    let ddl = format!(
        "CREATE TABLE t (a INT) WITH ('stream' = 's', 'format' = 'csv', 'aws.credentials.basic.secretkey' = '{secret}' 'aws.region' = 'us-east-1')"
    );
    let e = TableDef::from_ddl(&ddl).unwrap_err().to_string();
    assert!(e.contains("missing ','"), "{e}");
    assert!(!e.contains(secret), "{e}");
    let ddl = format!("CREATE TABLE t (a INT) WITH ('aws.credentials.basic.secretkey' = {secret})");
    let e = TableDef::from_ddl(&ddl).unwrap_err();
    let OptionsError::Syntax(problems) = &e else {
        panic!("{e:?}")
    };
    assert!(!problems[0].message.contains(secret), "{e}");
    // The Display form round-trips through the DDL parser (with the mask as the value).
    let again = TableDef::from_ddl(&t.to_string()).unwrap();
    assert_eq!(again.physical_row_type(), t.physical_row_type());
}

#[test]
fn sink_retry_options_from_decisions() {
    let t = table(with(
        minimal(),
        &[
            ("sink.retry.backoff.base", "20"),
            ("sink.retry.backoff.max", "900"),
            ("sink.retry.backoff.expconst", "2.0"),
            ("sink.retry.max-attempts", "7"),
            ("aws.kinesis.client.user-agent-prefix", "my-app"),
        ],
    ))
    .unwrap();
    let k = t.sink_options();
    assert_eq!(
        k.retry,
        kinesis_options::SinkRetryOptions {
            base: Duration::from_millis(20),
            max: Duration::from_millis(900),
            expconst: 2.0,
            max_attempts: 7,
        }
    );
    assert_eq!(k.user_agent_prefix.as_deref(), Some("my-app"));
    for key in [
        "sink.retry.backoff.base",
        "sink.retry.backoff.max",
        "sink.retry.backoff.expconst",
        "sink.retry.max-attempts",
    ] {
        let e = table(with(minimal(), &[(key, "-1")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Invalid value given for {key}. Must be a valid non-negative value.")
        );
        assert_eq!(e.key(), Some(key));
        assert_eq!(
            err(with(minimal(), &[(key, "often")])),
            format!("Could not parse value 'often' for key '{key}'.")
        );
    }
}

#[test]
fn adaptive_reads_use_java_parse_boolean() {
    for (text, on) in [("true", true), ("TRUE", true), ("yes", false), ("1", false)] {
        let t = table(with(minimal(), &[("scan.shard.adaptivereads", text)])).unwrap();
        assert_eq!(t.source_options().adaptive_reads, on, "{text}");
        assert_eq!(
            t.resolved_options()["scan.shard.adaptivereads"],
            on.to_string(),
            "{text}"
        );
    }
}

/// Reference §2.1/§2.2: with a fault at every step, each step's error shows once the
/// earlier faults are fixed, in this order.
#[test]
fn checks_run_in_flinks_order() {
    let steps: &[(&str, &str, &str)] = &[
        // 1. Format discovery and validation.
        ("csv.field-delimiter", "ab", "Option 'csv.field-delimiter' must be a string with single character, but was: ab"),
        // 2. Sink typed parsing while mapping deprecated options (C-033).
        ("sink.fail-on-error", "abc", "Could not parse value 'abc' for key 'sink.fail-on-error'."),
        // 3. Partition key generator construction (K2).
        ("sink.partitioner", "order-test-unregistered", "Could not find and instantiate partitioner class 'order-test-unregistered'"),
        // 4. Required options (`stream` is absent until this step is fixed).
        ("stream", "", "One or more required options are missing.\n\nMissing required options are:\n\nstream"),
        // 5. Unsupported options (D3).
        ("bogus.key", "1", "Unsupported options found for 'kinesis'."),
        // 6. Async sink ranges (K4).
        ("sink.batch.max-size", "0", "Invalid option batch size. Must be a positive integer"),
        // 7. AWS rules (V1).
        ("aws.credentials.provider", "nope", "Invalid AWS Credential Provider Type set in config."),
        // 8. HTTP client rules (K12).
        ("sink.http-client.protocol.version", "HTTP3", "Invalid value given for HTTP protocol. Must be HTTP1_1 or HTTP2."),
        // 9. Source rules: V5, V10, V13, then the shard assigner.
        ("scan.stream.recordpublisher", "x", "Invalid record publisher type in stream set in config. Valid values are: EFO, POLLING"),
        ("scan.stream.initpos", "x", "Invalid initial position in stream set in config. Valid values are: TRIM_HORIZON, LATEST, AT_TIMESTAMP"),
        ("scan.shard.getrecords.maxrecordcount", "-1", "Invalid value given for maximum records per getRecords shard operation. Must be a valid non-negative integer value."),
        ("scan.shard-assigner", "order-test-unregistered", "Unable to locate shard assigner factory for identifier: 'order-test-unregistered'."),
    ];
    let mut options = without(minimal(), &["stream"]);
    for (key, value, _) in steps {
        if *key != "stream" {
            options.push((key.to_string(), value.to_string()));
        }
    }
    for (key, _, expected) in steps {
        let e = err(options.clone());
        assert!(e.starts_with(expected), "step '{key}': got {e}");
        // Fix this step.
        if *key == "stream" {
            options.push(("stream".into(), "orders".into()));
        } else {
            options.retain(|(k, _)| k != key);
        }
    }
    assert!(table(options).is_ok());
}

/// Issue #14, point 8: with `all_errors` every problem is reported at once, and the list is
/// exactly what fixing them one at a time finds, in the same (Flink's) order.
#[test]
fn all_errors_are_reported_at_once_in_flinks_order() {
    use kinesis_options::Definition;
    let broken: &[(&str, &str)] = &[
        ("csv.field-delimiter", "ab"),
        ("sink.fail-on-error", "abc"),
        ("sink.partitioner", "order-test-unregistered"),
        ("bogus.key", "1"),
        ("sink.batch.max-size", "0"),
        ("aws.credentials.provider", "nope"),
        ("sink.http-client.protocol.version", "HTTP3"),
        ("scan.stream.recordpublisher", "x"),
        ("scan.stream.initpos", "x"),
        ("scan.shard.getrecords.maxrecordcount", "-1"),
        ("scan.shard.getrecords.backoff.max", "y"),
        ("scan.shard-assigner", "order-test-unregistered"),
    ];
    let build = |options: &Pairs, all: bool| {
        TableDef::from_options_with(
            "t",
            vec![],
            Vec::<String>::new(),
            options.clone(),
            &Definition::new().all_errors(all),
        )
    };
    let mut options = without(minimal(), &["stream"]);
    options.extend(pairs(broken));
    // One at a time: the first error, then fix it.
    let mut one_by_one = Vec::new();
    let mut fixing = options.clone();
    for _ in 0..broken.len() + 2 {
        let Err(e) = build(&fixing, false) else { break };
        assert!(
            !matches!(e, OptionsError::Multiple(_)),
            "first-error mode: {e}"
        );
        match &e {
            OptionsError::MissingOptions(_) => fixing.push(("stream".into(), "orders".into())),
            OptionsError::UnsupportedOptions { .. } => fixing.retain(|(k, _)| k != "bogus.key"),
            other => {
                let key = other.key().expect("a keyed error").to_string();
                fixing.retain(|(k, _)| *k != key);
            }
        }
        one_by_one.push(e);
    }
    assert!(build(&fixing, false).is_ok());
    assert_eq!(one_by_one.len(), broken.len() + 1, "{one_by_one:#?}");
    // All at once.
    let e = build(&options, true).unwrap_err();
    let OptionsError::Multiple(all) = &e else {
        panic!("{e}")
    };
    assert_eq!(all, &one_by_one);
    assert_eq!(e.problems().len(), broken.len() + 1);
    // The text lists them all, separated by blank lines.
    let text = e.to_string();
    assert!(
        text.starts_with("Option 'csv.field-delimiter' must be a string"),
        "{text}"
    );
    assert!(
        text.contains("\n\nUnable to locate shard assigner factory"),
        "{text}"
    );
    // One problem is itself, not a list; a valid table is the same either way.
    let e = build(&with(minimal(), &[("sink.batch.max-size", "0")]), true).unwrap_err();
    assert!(matches!(e, OptionsError::Invalid { .. }), "{e:?}");
    assert!(build(&minimal(), true).is_ok());
}

/// A rule the definition checks twice (the credential tree: V2 in the AWS rules and again
/// when the client configuration is built) is reported once.
#[test]
fn all_errors_report_a_rule_once() {
    use kinesis_options::Definition;
    let e = TableDef::from_options_with(
        "t",
        vec![],
        Vec::<String>::new(),
        with(
            minimal(),
            &[
                ("aws.credentials.provider", "BASIC"),
                ("sink.batch.max-size", "0"),
            ],
        ),
        &Definition::new().all_errors(true),
    )
    .unwrap_err();
    let keys: Vec<Option<&str>> = e.problems().iter().map(|p| p.key()).collect();
    assert_eq!(
        keys,
        [
            Some("sink.batch.max-size"),
            Some("aws.credentials.basic.accesskeyid")
        ]
    );
}

#[test]
fn aggregation_options_default_off_and_their_limits_name_the_key() {
    let t = table(minimal()).unwrap();
    assert_eq!(
        t.sink_options().aggregation,
        kinesis_options::AggregationOptions::default()
    );
    assert!(!t.sink_options().aggregation.enabled);
    for (key, value, says) in [
        (
            "sink.aggregation.max-bytes",
            "1048577",
            "sink.aggregation.max-bytes",
        ),
        (
            "sink.aggregation.max-bytes",
            "0",
            "sink.aggregation.max-bytes",
        ),
        (
            "sink.aggregation.max-records",
            "4294967296",
            "sink.aggregation.max-records",
        ),
        (
            "sink.producer.aggregation-max-size",
            "2000000",
            "sink.producer.aggregation-max-size",
        ),
        (
            "sink.aggregation.enabled",
            "maybe",
            "sink.aggregation.enabled",
        ),
    ] {
        let e = table(with(minimal(), &[(key, value)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{key}={value}: {e}");
    }
    let t = table(with(
        minimal(),
        &[
            ("sink.aggregation.enabled", "true"),
            ("sink.aggregation.max-bytes", "1048576"),
        ],
    ))
    .unwrap();
    assert_eq!(t.sink_options().aggregation.max_bytes, 1_048_576);
}
