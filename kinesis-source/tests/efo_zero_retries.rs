//! Reference §6.6: `maxRetries = 0` for an EFO control-plane call means "fail without
//! calling". A loopback responder counts every call by action; each option set to 0 must
//! stop registration (or deregistration) before that call is ever made.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/zero";
const FLINK_MESSAGE: &str = "Retries exceeded - all 0 retry attempts failed.";

/// Calls received, by action (`DescribeStreamSummary`, ...).
#[derive(Default)]
struct Calls(Mutex<BTreeMap<String, u32>>);

impl Calls {
    fn count(&self, action: &str) -> u32 {
        self.0.lock().unwrap().get(action).copied().unwrap_or(0)
    }
}

/// One shard with no records; the consumer does not exist until registered, then is ACTIVE.
fn answer(calls: &Calls, action: &str) -> (u16, String) {
    let registered = calls.count("RegisterStreamConsumer") > 0;
    let consumer = format!(
        r#""ConsumerName":"c","ConsumerARN":"{STREAM_ARN}/consumer/c:1","ConsumerStatus":"ACTIVE""#
    );
    match action {
        "DescribeStreamSummary" => (
            200,
            format!(
                r#"{{"StreamDescriptionSummary":{{"StreamName":"zero","StreamARN":"{STREAM_ARN}","StreamStatus":"ACTIVE","OpenShardCount":1}}}}"#
            ),
        ),
        "DescribeStreamConsumer" if registered => (
            200,
            format!(r#"{{"ConsumerDescription":{{{consumer},"StreamARN":"{STREAM_ARN}"}}}}"#),
        ),
        "DescribeStreamConsumer" => (
            400,
            r#"{"__type":"ResourceNotFoundException","message":"no consumer"}"#.into(),
        ),
        "RegisterStreamConsumer" => (200, format!(r#"{{"Consumer":{{{consumer}}}}}"#)),
        "ListShards" => (
            200,
            r#"{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0",
            "EndingHashKey":"340282366920938463463374607431768211455"},
            "SequenceNumberRange":{"StartingSequenceNumber":"1000"}}]}"#
                .into(),
        ),
        "GetShardIterator" => (200, r#"{"ShardIterator":"it-0"}"#.into()),
        "GetRecords" => (
            200,
            r#"{"Records":[],"NextShardIterator":"it-0","MillisBehindLatest":0}"#.into(),
        ),
        _ => (400, r#"{"__type":"UnknownOperationException"}"#.into()),
    }
}

/// Starts a responder (it serves until the test process ends); returns its endpoint and
/// its call counts.
fn start() -> (String, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let c = calls.clone();
    let url = LoopbackServer::start(move |request| {
        let action = request.target.trim_start_matches("Kinesis_20131202.");
        *c.0.lock().unwrap().entry(action.to_string()).or_default() += 1;
        let (status, body) = answer(&c, action);
        Answer::Json(status, body.into_bytes())
    })
    .detach();
    (url, calls)
}

fn efo_table(ep: &str, registration: &str, extra: &[(&str, &str)]) -> TableDef {
    let mut o: Vec<(&str, &str)> = vec![
        ("connector", "kinesis"),
        ("stream", "zero"),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", ep),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.intervalmillis", "20"),
        ("scan.stream.recordpublisher", "EFO"),
        ("scan.stream.efo.registration", registration),
        ("scan.stream.efo.consumername", "c"),
        // Short sleeps: the initial LAZY jitter and the deregistration waits.
        ("scan.stream.registerstreamconsumer.backoff.base", "10"),
        ("scan.stream.registerstreamconsumer.backoff.max", "20"),
        ("scan.stream.deregisterstreamconsumer.backoff.base", "10"),
        ("scan.stream.deregisterstreamconsumer.backoff.max", "20"),
    ];
    o.extend_from_slice(extra);
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

/// Opens an EAGER EFO source with `option = 0`; returns the error text and the calls made.
fn open_with_zero(option: &str) -> (String, Arc<Calls>) {
    let (ep, calls) = start();
    let t = efo_table(&ep, "EAGER", &[(option, "0")]);
    let err = match KinesisSource::open(&t, SourceContext::default()) {
        Ok(_) => panic!("{option}=0: the source opened"),
        Err(e) => e.to_string(),
    };
    (err, calls)
}

#[test]
fn zero_retries_fail_registration_without_making_that_call() {
    let (err, calls) = open_with_zero("scan.stream.describe.maxretries");
    assert!(
        err.contains("Error registering stream: zero") && err.contains(FLINK_MESSAGE),
        "{err}"
    );
    assert_eq!(calls.count("DescribeStreamSummary"), 0);
    assert_eq!(calls.count("DescribeStreamConsumer"), 0);
    assert_eq!(calls.count("RegisterStreamConsumer"), 0);

    let (err, calls) = open_with_zero("scan.stream.describestreamconsumer.maxretries");
    assert!(
        err.contains("Error registering stream: zero") && err.contains(FLINK_MESSAGE),
        "{err}"
    );
    assert_eq!(calls.count("DescribeStreamSummary"), 1);
    assert_eq!(calls.count("DescribeStreamConsumer"), 0);
    assert_eq!(calls.count("RegisterStreamConsumer"), 0);

    let (err, calls) = open_with_zero("scan.stream.registerstreamconsumer.maxretries");
    assert!(
        err.contains("Error registering stream: zero") && err.contains(FLINK_MESSAGE),
        "{err}"
    );
    assert_eq!(calls.count("DescribeStreamSummary"), 1);
    // Found absent once, so registration was due; it fails without RegisterStreamConsumer.
    assert_eq!(calls.count("DescribeStreamConsumer"), 1);
    assert_eq!(calls.count("RegisterStreamConsumer"), 0);
    assert_eq!(
        calls.count("ListShards"),
        0,
        "nothing is read after a failed registration"
    );
}

#[test]
fn zero_deregister_retries_skip_the_deregister_call_and_close_still_succeeds() {
    let (ep, calls) = start();
    let t = efo_table(
        &ep,
        "LAZY",
        &[("scan.stream.deregisterstreamconsumer.maxretries", "0")],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    // Registration went through with the default retries.
    assert_eq!(calls.count("RegisterStreamConsumer"), 1);
    let described_before_close = calls.count("DescribeStreamConsumer");
    // Deregistration errors are only logged (reference §6.3), so close succeeds.
    source.close(Duration::from_secs(5)).unwrap();
    // Close described the consumer (ACTIVE, so deregistration was due) but never called
    // DeregisterStreamConsumer.
    assert_eq!(
        calls.count("DescribeStreamConsumer"),
        described_before_close + 1
    );
    assert_eq!(calls.count("DeregisterStreamConsumer"), 0);
}
