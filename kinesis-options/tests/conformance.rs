//! Reference §9.1–9.3 conformance cases (C-0xx), adjusted where decisions.md overrides Flink.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use kinesis_formats::{DataType, Row, Value};
use kinesis_options::PartitionerContext;
use kinesis_options::{
    Column, CredentialsSpec, HttpProtocol, MetadataKey, OptionsError, Partitioner, StartPosition,
    TableDef,
};

// ---- 9.1 Source factory --------------------------------------------------------------

#[test]
fn c001_good_table_source() {
    let t = table(b()).unwrap();
    let c = t.client_config();
    assert_eq!(c.region.as_deref(), Some("us-west-2"));
    assert_eq!(
        c.credentials,
        CredentialsSpec::Basic {
            access_key_id: "ververicka".into(),
            secret_access_key: "SuperSecretSecretSquirrel".into(),
            session_token: None,
        }
    );
    let s = t.source_options();
    assert_eq!(
        s.start_position,
        StartPosition::AtTimestamp(Utc.with_ymd_and_hms(2014, 10, 22, 12, 0, 0).unwrap())
    );
    assert_eq!(s.timestamp_format, "yyyy-MM-dd'T'HH:mm:ss");
    assert_eq!(s.shard_assigner, "default");
    let r = t.resolved_options();
    assert_eq!(r["scan.stream.initpos"], "AT_TIMESTAMP");
    assert_eq!(r["scan.stream.initpos-timestamp"], "2014-10-22T12:00:00");
    assert_eq!(r["aws.credentials.basic.secretkey"], "******");
}

#[test]
fn c002_metadata_columns_in_declared_order() {
    let mut cols = schema();
    cols.push(Column::metadata(
        "shard-id",
        DataType::parse("VARCHAR(128) NOT NULL").unwrap(),
        MetadataKey::ShardId,
        true,
    ));
    cols.push(Column::metadata(
        "timestamp",
        DataType::parse("TIMESTAMP_LTZ(3) NOT NULL").unwrap(),
        MetadataKey::Timestamp,
        true,
    ));
    let t = TableDef::from_options("KinesisTable", cols, b()).unwrap();
    let keys: Vec<MetadataKey> = t
        .metadata_columns()
        .map(|c| c.metadata_key().unwrap())
        .collect();
    assert_eq!(keys, vec![MetadataKey::ShardId, MetadataKey::Timestamp]);
    assert_eq!(t.physical_row_type().len(), 3);
}

#[test]
fn c003_source_with_sink_options() {
    // D8: SO itself is rejected at definition (K13 first).
    assert_eq!(
        err(plus(b(), so())),
        "The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch."
    );
    let t = table(plus(b(), so_valid())).unwrap();
    assert_eq!(t.client_config(), table(b()).unwrap().client_config());
}

#[test]
fn c004_unsupported_option() {
    let e = err(plus(
        plus(b(), so_valid()),
        pairs(&[("invalid.option", "some_value")]),
    ));
    assert!(e.contains("Unsupported options:"), "{e}");
    assert!(e.contains("invalid.option"), "{e}");
    assert!(e.starts_with("Unsupported options found for 'kinesis'."));
}

#[test]
fn c005_uniform_assigner() {
    let t = table(with(b(), &[("scan.shard-assigner", "uniform")])).unwrap();
    assert_eq!(t.source_options().shard_assigner, "uniform");
    assert!(t.shard_assigner().is_some());
}

#[test]
fn c006_unknown_assigner_is_an_error_d15() {
    let e = err(with(b(), &[("scan.shard-assigner", "unrecognized")]));
    assert_eq!(
        e,
        "Unable to locate shard assigner factory for identifier: 'unrecognized'. Use 'default', 'uniform' or a name registered with kinesis_options::register_shard_assigner."
    );
}

#[test]
fn c007_region_or_endpoint() {
    assert_eq!(
        err(without(b(), &["aws.region"])),
        "For FlinkKinesisConsumer AWS region ('aws.region') and/or AWS endpoint ('aws.endpoint') must be set in the config."
    );
    // An endpoint alone is enough for the source (C-072 side).
    assert!(table(with(
        without(b(), &["aws.region"]),
        &[("aws.endpoint", "http://localhost:4567")]
    ))
    .is_ok());
}

#[test]
fn c008_missing_stream() {
    assert_eq!(
        err(without(b(), &["stream"])),
        "One or more required options are missing.\n\nMissing required options are:\n\nstream"
    );
    assert_eq!(
        err(without(b(), &["stream", "format"])),
        "One or more required options are missing.\n\nMissing required options are:\n\nformat\nstream"
    );
}

#[test]
fn c009_latest_ignores_timestamp_options() {
    let t = table(with(b(), &[("scan.stream.initpos", "LATEST")])).unwrap();
    assert_eq!(t.source_options().start_position, StartPosition::Latest);
    // Even an unparsable timestamp is ignored unless AT_TIMESTAMP.
    assert!(table(with(
        b(),
        &[
            ("scan.stream.initpos", "TRIM_HORIZON"),
            ("scan.stream.initpos-timestamp", "garbage")
        ]
    ))
    .is_ok());
}

#[test]
fn c010_initpos_is_case_sensitive() {
    assert_eq!(
        err(with(b(), &[("scan.stream.initpos", "latest")])),
        "Invalid initial position in stream set in config. Valid values are: TRIM_HORIZON, LATEST, AT_TIMESTAMP"
    );
}

#[test]
fn c011_property_style_key_is_rejected_with_suggestion_d3() {
    let e = table(with(
        b(),
        &[("aws.credentials.provider.basic.accesskeyid", "x")],
    ))
    .unwrap_err();
    match &e {
        OptionsError::UnsupportedOptions { keys, .. } => assert_eq!(
            keys,
            &vec![(
                "aws.credentials.provider.basic.accesskeyid".to_string(),
                Some("aws.credentials.basic.accesskeyid".to_string())
            )]
        ),
        other => panic!("{other:?}"),
    }
    assert!(e
        .to_string()
        .contains("aws.credentials.provider.basic.accesskeyid (did you mean 'aws.credentials.basic.accesskeyid'?)"));
}

#[test]
fn c012_docs_key_without_scan_prefix() {
    let e = err(with(
        b(),
        &[(
            "shard.consumer.error.recoverable[0].exception",
            "java.net.UnknownHostException",
        )],
    ));
    assert!(
        e.starts_with("Unsupported options found for 'kinesis'."),
        "{e}"
    );
    assert!(e.contains("shard.consumer.error.recoverable[0].exception (did you mean 'scan.shard.consumer.error.recoverable[0].exception'?)"), "{e}");
}

#[test]
fn c013_recoverable_errors_d16() {
    let t = table(with(
        b(),
        &[
            (
                "scan.shard.consumer.error.recoverable[0].exception",
                "java.net.UnknownHostException",
            ),
            (
                "scan.shard.consumer.error.recoverable[1].exception",
                "ResourceInUseException",
            ),
        ],
    ))
    .unwrap();
    assert_eq!(
        t.source_options().recoverable_error_codes,
        vec!["UnknownHostException", "ResourceInUseException"]
    );
    assert_eq!(
        t.resolved_options()["scan.shard.consumer.error.recoverable[1].exception"],
        "ResourceInUseException"
    );
}

// ---- 9.2 Sink factory -----------------------------------------------------------------

#[test]
fn c020_partitioned_table() {
    let t = partitioned(sb(), &["name", "curr_id"]).unwrap();
    let s = t.sink_options();
    assert_eq!(
        s.partitioner,
        Partitioner::Fields {
            columns: vec!["name".into(), "curr_id".into()],
            delimiter: "|".into()
        }
    );
    assert_eq!(s.batch_max_size, 500);
    assert_eq!(s.max_in_flight_requests, 50);
    assert_eq!(s.max_buffered_requests, 10000);
    assert_eq!(s.flush_buffer_size, 5 * 1024 * 1024);
    assert_eq!(s.flush_buffer_timeout, Duration::from_millis(5000));
    assert!(!s.fail_on_error);
    assert!(t.check_sink_requirements().is_ok());
    let rt = t.physical_row_type();
    let g = t
        .partition_key_generator(&PartitionerContext {
            row_type: &rt,
            ..Default::default()
        })
        .unwrap();
    let row = Row::new(vec![
        Value::String("alice".into()),
        Value::BigInt(42),
        Value::Null,
    ]);
    assert_eq!(g.partition_key(&row), "alice|42");
}

#[test]
fn c021_random_partitioner() {
    let t = table(sb()).unwrap();
    assert_eq!(t.sink_options().partitioner, Partitioner::Random);
    let g = t
        .partition_key_generator(&PartitionerContext::default())
        .unwrap();
    assert_eq!(g.partition_key(&Row::default()).len(), 36);
}

#[test]
fn c022_c023_sink_options() {
    // D8 rejects SO as written.
    assert_eq!(
        err(plus(sb(), so())),
        "The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch."
    );
    for options in [
        plus(sb(), so_valid()),
        plus(
            plus(sb(), so_valid()),
            pairs(&[
                ("scan.stream.initpos", "AT_TIMESTAMP"),
                (
                    "scan.stream.initpos-timestamp-format",
                    "yyyy-MM-dd'T'HH:mm:ss",
                ),
                ("scan.stream.initpos-timestamp", "2022-10-22T12:00:00"),
            ]),
        ),
    ] {
        let t = table(options).unwrap();
        let s = t.sink_options();
        assert!(s.fail_on_error);
        assert_eq!(s.batch_max_size, 100);
        assert_eq!(s.max_in_flight_requests, 100);
        assert_eq!(s.max_buffered_requests, 101);
        assert_eq!(s.flush_buffer_size, 1048576);
        assert_eq!(s.flush_buffer_timeout, Duration::from_millis(1000));
    }
}

#[test]
fn c024_unsupported_sink_option() {
    let e = err(plus(sb(), pairs(&[("invalid.option", "some_value")])));
    assert!(e.contains("Unsupported options:") && e.contains("invalid.option"));
}

#[test]
fn c025_deprecated_producer_options() {
    let t = table(plus(
        sb(),
        pairs(&[
            ("sink.producer.record-max-buffered-time", "1000"),
            ("sink.producer.collection-max-size", "100"),
            ("sink.producer.collection-max-count", "100"),
            ("sink.producer.fail-on-error", "true"),
        ]),
    ))
    .unwrap();
    let s = t.sink_options();
    assert!(s.fail_on_error);
    assert_eq!(s.batch_max_size, 100);
    assert_eq!(s.max_in_flight_requests, 100);
    assert_eq!(s.flush_buffer_timeout, Duration::from_millis(1000));
    assert_eq!(s.partitioner, Partitioner::Random);
    let r = t.resolved_options();
    assert_eq!(r["sink.batch.max-size"], "100");
    assert_eq!(r["sink.requests.max-inflight"], "100");
    assert_eq!(r["sink.flush-buffer.timeout"], "1000");
    assert_eq!(r["sink.fail-on-error"], "true");
    assert!(!r.keys().any(|k| k.starts_with("sink.producer.")));
    assert_eq!(t.warnings().len(), 4);
}

#[test]
fn c026_partitioner_with_partitioned_by() {
    let e = partitioned(
        with(sb(), &[("sink.partitioner", "random")]),
        &["name", "curr_id"],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cannot set sink.partitioner option for a table defined with a PARTITIONED BY clause"
    );
}

#[test]
fn c027_c029_unknown_partitioner() {
    assert_eq!(
        err(with(sb(), &[("sink.partitioner", "abc")])),
        "Could not find and instantiate partitioner class 'abc'"
    );
    // A Java class name is just an unregistered name here (K3 cannot arise).
    assert_eq!(
        err(with(sb(), &[("sink.partitioner", "java.lang.String")])),
        "Could not find and instantiate partitioner class 'java.lang.String'"
    );
}

#[test]
fn c028_fixed_partitioner_d1() {
    let t = table(with(sb(), &[("sink.partitioner", "fixed")])).unwrap();
    let p = &t.sink_options().partitioner;
    assert_eq!(p, &Partitioner::Fixed);
    let g0 = t
        .partition_key_generator(&PartitionerContext::default())
        .unwrap();
    assert_eq!(g0.partition_key(&Row::default()), "0");
    let g3 = t
        .partition_key_generator(&PartitionerContext {
            subtask_index: 3,
            parallelism: 4,
            row_type: &[],
        })
        .unwrap();
    assert_eq!(g3.partition_key(&Row::default()), "3");
}

#[test]
fn c030_sink_requires_region_when_it_opens() {
    let t = table(with(
        without(sb(), &["aws.region"]),
        &[("aws.endpoint", "http://127.0.0.1:4567")],
    ))
    .unwrap();
    assert_eq!(
        t.check_sink_requirements().unwrap_err().to_string(),
        "One or more required options are missing.\n\nMissing required options are:\n\naws.region"
    );
}

#[test]
fn c031_c032_async_sink_ranges() {
    for (key, value, msg) in [
        (
            "sink.batch.max-size",
            "0",
            "Invalid option batch size. Must be a positive integer",
        ),
        (
            "sink.flush-buffer.size",
            "0",
            "Invalid option flush buffer size. Must be a positive integer",
        ),
        (
            "sink.requests.max-buffered",
            "0",
            "Invalid option maximum buffered requests. Must be a positive integer",
        ),
        (
            "sink.requests.max-inflight",
            "-1",
            "Invalid option maximum inflight requests. Must be a positive integer",
        ),
        (
            "sink.flush-buffer.timeout",
            "0",
            "Invalid option buffer timeout. Must be a positive integer",
        ),
    ] {
        let e = table(with(sb(), &[(key, value)])).unwrap_err();
        assert_eq!(e.to_string(), msg, "{key}");
        assert_eq!(e.key(), Some(key));
    }
}

#[test]
fn c033_unparsable_sink_values() {
    assert_eq!(
        err(with(sb(), &[("sink.fail-on-error", "abc")])),
        "Could not parse value 'abc' for key 'sink.fail-on-error'."
    );
    // D2: the key the user wrote, then the key Flink names.
    let e = table(with(sb(), &[("sink.producer.fail-on-error", "abc")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not parse value 'abc' for key 'sink.producer.fail-on-error' (read as 'sink.fail-on-error')."
    );
    assert_eq!(e.key(), Some("sink.producer.fail-on-error"));
    let e = table(with(sb(), &[("sink.producer.collection-max-size", "0")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid option batch size. Must be a positive integer"
    );
    assert_eq!(e.key(), Some("sink.producer.collection-max-size"));
    assert_eq!(
        err(with(sb(), &[("sink.batch.max-size", "abc")])),
        "Could not parse value 'abc' for key 'sink.batch.max-size'."
    );
}

#[test]
fn c034_booleans_ignore_case() {
    let t = table(with(sb(), &[("sink.fail-on-error", "TRUE")])).unwrap();
    assert!(t.sink_options().fail_on_error);
    assert_eq!(t.resolved_options()["sink.fail-on-error"], "true");
}

#[test]
fn c035_c036_writer_start_checks_at_definition_d8() {
    assert_eq!(
        err(with(sb(), &[("sink.requests.max-buffered", "100")])),
        "The maximum number of requests that may be buffered should be strictly greater than the maximum number of requests per batch."
    );
    assert_eq!(
        err(with(sb(), &[("sink.flush-buffer.size", "1000")])),
        "The maximum allowed size in bytes per flush must be greater than or equal to the maximum allowed size in bytes of a single record."
    );
    // And the 500-record PutRecords limit (D8).
    let e = err(with(
        sb(),
        &[
            ("sink.batch.max-size", "501"),
            ("sink.requests.max-buffered", "10000"),
        ],
    ));
    assert_eq!(
        e,
        "Invalid option batch size. Must be a positive integer not greater than 500 (the PutRecords limit)"
    );
    assert!(table(with(sb(), &[("sink.batch.max-size", "500")])).is_ok());
}

#[test]
fn c037_partition_key_type() {
    assert_eq!(
        partitioned(sb(), &["time"]).unwrap_err().to_string(),
        "The following partition keys have types that are not supported by Kinesis: time"
    );
}

#[test]
fn c038_trust_all_boolean() {
    assert_eq!(
        err(with(sb(), &[("aws.trust.all.certificates", "yes")])),
        "Invalid aws.trust.all.certificates value, must be a boolean."
    );
}

// ---- 9.3 AWS options ------------------------------------------------------------------

fn aws_base() -> Pairs {
    pairs(&[
        ("stream", "s"),
        ("format", "csv"),
        ("aws.region", "us-west-2"),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "ververicka"),
        (
            "aws.credentials.basic.secretkey",
            "SuperSecretSecretSquirrel",
        ),
        ("aws.trust.all.certificates", "true"),
    ])
}

#[test]
fn c040_good_aws_properties() {
    let t = table(aws_base()).unwrap();
    let c = t.client_config();
    assert!(c.trust_all_certificates);
    assert_eq!(c.region.as_deref(), Some("us-west-2"));
    let r = t.resolved_options();
    assert_eq!(r["aws.credentials.provider"], "BASIC");
    assert_eq!(r["aws.credentials.basic.accesskeyid"], "ververicka");
    assert_eq!(r["aws.trust.all.certificates"], "true");
    // Non-`aws.` keys that nobody knows are errors here (D3).
    assert!(err(plus(aws_base(), pairs(&[("non.aws.key1", "v")]))).contains("non.aws.key1"));
}

#[test]
fn c041_c053_bad_region() {
    // V3: every known region id followed by ", " (Flink lists the SDK's regions).
    for region in ["invalid-aws-region", "wrongRegionId"] {
        let e = table(with(aws_base(), &[("aws.region", region)])).unwrap_err();
        let v3 = e.to_string();
        assert!(
            v3.starts_with("Invalid AWS region set in config. Valid values are: "),
            "{v3}"
        );
        assert!(
            v3.contains("us-east-1, us-east-2, ") && v3.ends_with(", "),
            "{v3}"
        );
        assert_eq!(e.key(), Some("aws.region"));
    }
}

#[test]
fn c042_c054_basic_without_keys() {
    let msg = "Please set values for AWS Access Key ID ('aws.credentials.basic.accesskeyid') and Secret Key ('aws.credentials.basic.secretkey') when using the BASIC AWS credential provider type.";
    assert_eq!(
        err(without(aws_base(), &["aws.credentials.basic.accesskeyid"])),
        msg
    );
    assert_eq!(
        err(pairs(&[
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
            ("aws.credentials.provider", "BASIC")
        ])),
        msg
    );
    // The nested STS provider of ASSUME_ROLE: the same rule, naming the nested keys.
    let e = table(with(
        aws_base(),
        &[
            ("aws.credentials.provider", "ASSUME_ROLE"),
            ("aws.credentials.role.arn", "arn:aws:iam::1:role/r"),
            ("aws.credentials.role.sessionName", "s"),
            ("aws.credentials.role.provider", "BASIC"),
            (
                "aws.credentials.role.provider.basic.secretkey",
                "SuperSecretSecretSquirrel",
            ),
        ],
    ))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Please set values for AWS Access Key ID ('aws.credentials.role.provider.basic.accesskeyid') and Secret Key ('aws.credentials.role.provider.basic.secretkey') when using the BASIC AWS credential provider type."
    );
    assert_eq!(
        e.key(),
        Some("aws.credentials.role.provider.basic.accesskeyid")
    );
}

#[test]
fn c043_trust_all_invalid() {
    assert_eq!(
        err(with(
            aws_base(),
            &[("aws.trust.all.certificates", "invalid-boolean")]
        )),
        "Invalid aws.trust.all.certificates value, must be a boolean."
    );
    // Exactly true/false: Flink's check is case-sensitive.
    assert_eq!(
        err(with(aws_base(), &[("aws.trust.all.certificates", "TRUE")])),
        "Invalid aws.trust.all.certificates value, must be a boolean."
    );
}

fn http_base() -> Pairs {
    pairs(&[
        ("stream", "s"),
        ("format", "csv"),
        ("aws.region", "us-east-1"),
        ("sink.http-client.max-concurrency", "10000"),
        ("sink.http-client.read-timeout", "360000"),
        ("sink.http-client.protocol.version", "HTTP2"),
    ])
}

#[test]
fn c044_http_client_options() {
    let t = table(http_base()).unwrap();
    let h = t.sink_options().http_client;
    assert_eq!(h.max_concurrency, 10000);
    assert_eq!(h.read_timeout, Duration::from_millis(360000));
    assert_eq!(h.protocol, HttpProtocol::Http2);
    let t = table(with(
        http_base(),
        &[
            ("sink.http-client.protocol.version", "HTTP1_1"),
            ("sink.http-client.read-timeout", "1500"),
        ],
    ))
    .unwrap();
    assert_eq!(t.sink_options().http_client.protocol, HttpProtocol::Http1_1);
    assert_eq!(
        t.sink_client_config().timeouts.read,
        Duration::from_millis(1500)
    );
    // The raw client properties are accepted as fallbacks of the sink.http-client keys.
    let t = table(pairs(&[
        ("stream", "s"),
        ("format", "csv"),
        ("aws.region", "us-east-1"),
        ("aws.http-client.max-concurrency", "7"),
    ]))
    .unwrap();
    assert_eq!(t.sink_options().http_client.max_concurrency, 7);
}

#[test]
fn c045_unknown_sink_key_d3() {
    let e = err(plus(
        http_base(),
        pairs(&[("sink.not.http-client.some.option", "someValue")]),
    ));
    assert!(e.contains("sink.not.http-client.some.option"), "{e}");
}

#[test]
fn c046_c048_http_client_checks() {
    for (key, msg) in [
        (
            "sink.http-client.max-concurrency",
            "Invalid value given for HTTP client max concurrency. Must be positive integer.",
        ),
        (
            "sink.http-client.read-timeout",
            "Invalid value given for HTTP read timeout. Must be positive integer.",
        ),
        (
            "sink.http-client.protocol.version",
            "Invalid value given for HTTP protocol. Must be HTTP1_1 or HTTP2.",
        ),
    ] {
        assert_eq!(err(with(http_base(), &[(key, "invalid-value")])), msg);
    }
    assert_eq!(
        err(with(
            http_base(),
            &[("sink.http-client.read-timeout", "-1")]
        )),
        "Invalid value given for HTTP read timeout. Must be positive integer."
    );
}

#[test]
fn c049_c050_provider_defaults() {
    let minimal = pairs(&[
        ("stream", "s"),
        ("format", "csv"),
        ("aws.region", "us-east-1"),
    ]);
    let t = table(minimal.clone()).unwrap();
    assert_eq!(t.client_config().credentials, CredentialsSpec::Auto);
    assert_eq!(t.resolved_options()["aws.credentials.provider"], "AUTO");
    let t = table(plus(
        minimal,
        pairs(&[
            ("aws.credentials.basic.accesskeyid", "ak"),
            ("aws.credentials.basic.secretkey", "sk"),
        ]),
    ))
    .unwrap();
    assert!(matches!(
        t.client_config().credentials,
        CredentialsSpec::Basic { .. }
    ));
    assert_eq!(t.resolved_options()["aws.credentials.provider"], "BASIC");
}

#[test]
fn c051_c052_c059_region_ids() {
    // Through the table, as a user meets the rule.
    let is_valid_region = |r: &str| table(with(aws_base(), &[("aws.region", r)])).is_ok();
    for r in [
        "us-east-1",
        "us-gov-west-1",
        "us-isob-east-1",
        "aws-global",
        "aws-iso-global",
        "aws-iso-b-global",
        "us-east-10", // D13: multi-digit suffixes
    ] {
        assert!(is_valid_region(r), "{r}");
    }
    assert!(!is_valid_region("unstructured-string"));
}

#[test]
fn c055_invalid_provider_type() {
    assert_eq!(
        err(with(aws_base(), &[("aws.credentials.provider", "wrongProviderType")])),
        "Invalid AWS Credential Provider Type set in config. Valid values are: ENV_VAR, SYS_PROP, PROFILE, BASIC, ASSUME_ROLE, WEB_IDENTITY_TOKEN, CUSTOM, AUTO, "
    );
}

#[test]
fn tables_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<TableDef>();
    assert_send_sync::<OptionsError>();
}

#[test]
fn other_connectors_are_refused() {
    let e = table(with(sb(), &[("connector", "kafka")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not find any factory for identifier 'kafka' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\nkinesis"
    );
    assert_eq!(e.key(), Some("connector"));
}

/// C-056–C-058: the provider a table's credentials describe fails, when it is first used,
/// with Flink's message (the resolution itself is kinesis-wire's; the environment is
/// injected, so the test does not depend on the process's variables).
#[test]
fn c056_c058_credentials_fail_at_first_use_with_flinks_messages() {
    use kinesis_wire::{credentials, env::MapEnv};
    use std::sync::Arc;
    let resolve = |provider: &str, env: &[(&str, &str)]| -> String {
        let t = table(with(aws_base(), &[("aws.credentials.provider", provider)])).unwrap();
        let env = Arc::new(MapEnv::from_pairs(
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ));
        match credentials::from_spec(t.credentials(), env).and_then(|p| p.credentials()) {
            Ok(c) => panic!("{provider} resolved to {c:?}"),
            Err(e) => e.to_string(),
        }
    };
    let e = resolve("WEB_IDENTITY_TOKEN", &[]);
    assert!(
        e.contains("Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE or the javaproperty aws.webIdentityTokenFile must be set."),
        "{e}"
    );
    let e = resolve("ENV_VAR", &[]);
    assert!(
        e.contains("Access key must be specified either via environment variable"),
        "{e}"
    );
    let e = resolve("SYS_PROP", &[]);
    assert!(
        e.contains("Access key must be specified either via environment variable (AWS_ACCESS_KEY_ID) or system property (aws.accessKeyId)"),
        "{e}"
    );
    kinesis_wire::sys_props::set("aws.accessKeyId", "AKIDSYS");
    let e = resolve("SYS_PROP", &[]);
    kinesis_wire::sys_props::clear("aws.accessKeyId");
    assert!(
        e.contains("Secret key must be specified either via environment variable (AWS_SECRET_ACCESS_KEY) or system property (aws.secretAccessKey)"),
        "{e}"
    );
    // The keys of the table are never part of such an error.
    assert!(!e.contains("SuperSecretSecretSquirrel"));
}
