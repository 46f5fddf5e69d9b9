//! The `kinesis` binary: validate, exit codes, stream administration and find-shard, run as
//! a process against kinesis-mock.

mod common;

use common::{endpoint, kinesis, TempDir, TempStream};
use kinesis_wire::model::{PutRecordInput, RegisterStreamConsumerInput, StreamRef};

const SEED_DDL: &str = "CREATE TABLE KinesisTable (
  `user_id` BIGINT,
  `item_id` BIGINT,
  `category_id` BIGINT,
  `behavior` STRING,
  `ts` TIMESTAMP(3),
  `arrival_time` TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
  `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL,
  `sequence_number` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL
)
PARTITIONED BY (user_id, item_id)
WITH (
  'connector' = 'kinesis',
  'stream' = 'user_behavior',
  'aws.region' = 'us-east-2',
  'scan.stream.initpos' = 'LATEST',
  'aws.credentials.provider' = 'BASIC',
  'aws.credentials.basic.accesskeyid' = 'AKIDEXAMPLE',
  'aws.credentials.basic.secretkey' = 'do-not-print-me',
  'sink.producer.collection-max-size' = '100',
  'format' = 'csv'
);";

#[test]
fn validate_prints_one_json_object_with_resolved_options() {
    let dir = TempDir::new("cli-validate");
    let ddl = dir.file("seed.sql");
    std::fs::write(&ddl, SEED_DDL).unwrap();
    let run = kinesis(
        &[
            "--table",
            ddl.to_str().unwrap(),
            "-X",
            "sink.requests.max-inflight=7",
            "validate",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    assert!(!text.contains("do-not-print-me"), "secret leaked: {text}");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("exactly one JSON object");
    assert_eq!(doc["table"], "KinesisTable");
    let columns = doc["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 8);
    assert_eq!(columns[4]["name"], "ts");
    assert_eq!(columns[4]["type"], "TIMESTAMP(3)");
    assert_eq!(columns[4]["metadata"], serde_json::Value::Null);
    assert_eq!(columns[6]["metadata"], "shard-id");
    assert_eq!(
        doc["partition_keys"],
        serde_json::json!(["user_id", "item_id"])
    );
    let options = doc["options"].as_object().unwrap();
    // -X overrides the DDL; defaults filled; deprecated key mapped; secrets masked.
    assert_eq!(options["sink.requests.max-inflight"], "7");
    assert_eq!(options["sink.flush-buffer.size"], "5242880");
    assert_eq!(options["sink.batch.max-size"], "100");
    assert_eq!(options["aws.credentials.basic.secretkey"], "******");
    assert_eq!(options["scan.stream.initpos"], "LATEST");
    assert!(options.values().all(|v| v.is_string()));
    let warnings = doc["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("sink.producer.collection-max-size")),
        "{warnings:?}"
    );
}

#[test]
fn validate_errors_go_to_stderr_with_exit_2() {
    let dir = TempDir::new("cli-validate-bad");
    let ddl = dir.file("bad.sql");
    // The seed document's rendering lost the closing ')' and 'WITH ('.
    std::fs::write(
        &ddl,
        "CREATE TABLE t (\n  `user_id` BIGINT,\n  `ts` TIMESTAMP(3)\nPARTITIONED BY (user_id)\n  'connector' = 'kinesis',\n  'stream' = 's',\n  'format' = 'csv'\n",
    )
    .unwrap();
    let run = kinesis(&["--table", ddl.to_str().unwrap(), "validate"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(run.stderr.contains("line 4"), "{run:?}");

    // A misspelt option: named, with the closest known key.
    let run = kinesis(
        &[
            "-X",
            "stream=s",
            "-X",
            "aws.region=us-east-1",
            "-X",
            "sink.batch.max-sise=3",
            "validate",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("sink.batch.max-sise (did you mean 'sink.batch.max-size'?)"),
        "{run:?}"
    );

    // A bad value: Flink's words plus the option at fault.
    let run = kinesis(
        &[
            "-X",
            "stream=s",
            "-X",
            "aws.region=us-east-1",
            "-X",
            "sink.batch.max-size=0",
            "validate",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("sink.batch.max-size"), "{run:?}");

    // Bad usage.
    let run = kinesis(&["read", "--output", "xml"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("invalid value 'xml' for '--output <FORMAT>'")
            && run
                .stderr
                .contains("[possible values: json, csv, table, raw]"),
        "{run:?}"
    );
    let run = kinesis(&["no-such-command"], None);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn raw_table_from_x_options_alone() {
    let run = kinesis(
        &["-X", "stream=s", "--region", "eu-west-1", "validate"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        doc["columns"],
        serde_json::json!([{"name": "data", "type": "BYTES", "metadata": null, "virtual": false}])
    );
    assert_eq!(doc["options"]["format"], "raw");
    assert_eq!(doc["options"]["aws.region"], "eu-west-1");
}

#[test]
fn stream_administration_and_find_shard_agree_with_put_record() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-admin", 4);

    let run = kinesis(&["--endpoint", &ep, "list-streams"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout_text().lines().any(|l| l == stream.name),
        "{run:?}"
    );

    let run = kinesis(&["--endpoint", &ep, "describe", &stream.name], None);
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    assert!(text.contains("status:      ACTIVE"), "{text}");
    assert!(text.contains("shards:      4 (4 open, 0 closed)"), "{text}");
    assert_eq!(text.matches("  OPEN  parents: -").count(), 4, "{text}");
    assert!(text.contains("hash keys: 0 .. "), "{text}");
    assert!(text.contains("consumers:"), "{text}");

    // Where PutRecord puts a key is where find-shard says it goes.
    let client = kinesis_tests::client(&ep);
    let mut shards_seen = std::collections::HashSet::new();
    for key in ["a", "user-42", "1|2", "ключ", "k-7", "k-8", "k-9", "k-10"] {
        let put = client
            .put_record(&PutRecordInput::new(
                StreamRef::from(stream.name.as_str()),
                b"x".to_vec(),
                key.to_string(),
            ))
            .unwrap();
        let run = kinesis(
            &[
                "--endpoint",
                &ep,
                "-X",
                &format!("stream={}", stream.name),
                "find-shard",
                key,
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout_text().trim(), put.shard_id, "key {key}");
        shards_seen.insert(put.shard_id);
    }
    assert!(
        shards_seen.len() >= 2,
        "keys should spread: {shards_seen:?}"
    );

    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "find-shard",
            "a",
            "--stream",
            &stream.name,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");

    // An EFO consumer shows up in describe.
    let summary = client
        .describe_stream_summary(&StreamRef::from(stream.name.as_str()))
        .unwrap();
    client
        .register_stream_consumer(&RegisterStreamConsumerInput::new(
            summary.stream_arn.clone(),
            "cli-efo-consumer",
        ))
        .unwrap();
    let run = kinesis(&["--endpoint", &ep, "describe", &stream.name], None);
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    assert!(text.contains("consumers:   1"), "{text}");
    assert!(text.contains("  cli-efo-consumer  "), "{text}");
}

#[test]
fn system_properties_from_dash_d_feed_sys_prop_credentials() {
    let ep = endpoint();
    let base = [
        "--endpoint",
        ep.as_str(),
        "-X",
        "aws.credentials.provider=SYS_PROP",
    ];
    let mut args = base.to_vec();
    args.extend([
        "-D",
        "aws.accessKeyId=AKIDFROMD",
        "-D",
        "aws.secretKey=secret",
        "list-streams",
    ]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");

    // Without -D the provider has nothing to read: a runtime failure naming the property.
    let mut args = base.to_vec();
    args.push("list-streams");
    let run = kinesis(&args, None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("aws.accessKeyId"), "{run:?}");
}

#[test]
fn missing_stream_is_a_runtime_failure_naming_the_stream() {
    let ep = endpoint();
    let name = common::unique("cli-missing");
    let run = kinesis(&["--endpoint", &ep, "describe", &name], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!("stream '{name}' not found")),
        "{run:?}"
    );
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "-X",
            &format!("stream={name}"),
            "find-shard",
            "k",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not found"), "{run:?}");
}

#[test]
fn unreachable_endpoint_is_a_clear_runtime_failure() {
    let refusing = kinesis_tests::RefusingPort::bind();
    let ep = refusing.url();
    let started = std::time::Instant::now();
    let run = kinesis(&["--endpoint", &ep, "list-streams"], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("cannot reach the Kinesis endpoint {ep} (check")),
        "{run:?}"
    );
    assert!(run.stderr.contains("refused"), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn the_most_verbose_logging_never_prints_credentials() {
    let ep = endpoint();
    let run = kinesis(
        &[
            "-vvv",
            "--endpoint",
            &ep,
            "-X",
            "aws.credentials.provider=BASIC",
            "-X",
            "aws.credentials.basic.accesskeyid=AKIDTRACE",
            "-X",
            "aws.credentials.basic.secretkey=secret-not-for-logs",
            "-X",
            "aws.credentials.basic.sessiontoken=token-not-for-logs",
            "list-streams",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("INFO"), "-vvv logs: {}", run.stderr);
    // The HTTP stack hex-dumps raw requests (session-token header included) at trace and
    // prints headers at debug: those targets must stay capped.
    let http_dump = run
        .stderr
        .lines()
        .find(|l| (l.contains(" DEBUG ") || l.contains(" TRACE ")) && l.contains(" ureq"));
    assert_eq!(http_dump, None, "HTTP internals logged");
    for secret in ["secret-not-for-logs", "token-not-for-logs"] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} logged: {}",
            run.stderr
        );
    }
}
