//! Reference §6.6: `maxRetries = 0` for an EFO control-plane call means "fail without
//! calling". A loopback responder counts every call by action; each option set to 0 must
//! stop registration (or deregistration) before that call is ever made.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext};

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

fn serve(calls: Arc<Calls>, stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let (mut action, mut len, mut line) = (String::new(), 0usize, String::new());
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap_or(0),
                    "x-amz-target" => {
                        action = v.trim().trim_start_matches("Kinesis_20131202.").into()
                    }
                    _ => {}
                }
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        *calls.0.lock().unwrap().entry(action.clone()).or_default() += 1;
        let (status, body) = answer(&calls, &action);
        let reply = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Starts a responder; returns its endpoint and its call counts.
fn start() -> (String, Arc<Calls>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(Calls::default());
    let c = calls.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let c = c.clone();
            let _ = conn.set_nodelay(true);
            std::thread::spawn(move || serve(c, conn));
        }
    });
    (format!("http://{addr}"), calls)
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
