//! What an embedder building on the public API needs: its own client (`open_with_client`),
//! a connection pool sized to the reader threads, a source that ends when nothing can
//! come, and rows without per-record copies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext, SourceError};
use kinesis_tests::fault_proxy::{FaultProxy, Plan};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const FULL_RANGE: &str = r#""HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}"#;

fn table(stream: &str, endpoint: &str, extra: &[(&str, &str)]) -> TableDef {
    let mut o: Vec<(&str, &str)> = vec![
        ("connector", "kinesis"),
        ("stream", stream),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", endpoint),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.intervalmillis", "20"),
    ];
    o.extend_from_slice(extra);
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

/// One closed shard with three records: read to its end, nothing open.
fn closed_stream(open: bool) -> LoopbackServer {
    LoopbackServer::start(move |req| {
        let ending = if open {
            ""
        } else {
            r#","EndingSequenceNumber":"9""#
        };
        let json = |s: String| Answer::Json(200, s.into_bytes());
        match req.target.as_str() {
            "Kinesis_20131202.ListShards" => json(format!(
                r#"{{"Shards":[{{"ShardId":"shardId-000000000000",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"{ending}}}}}]}}"#
            )),
            "Kinesis_20131202.GetShardIterator" => json(r#"{"ShardIterator":"it"}"#.into()),
            "Kinesis_20131202.GetRecords" => json(
                r#"{"Records":[
                  {"SequenceNumber":"1","Data":"YQ==","PartitionKey":"k"},
                  {"SequenceNumber":"2","Data":"Yg==","PartitionKey":"k"},
                  {"SequenceNumber":"3","Data":"Yw==","PartitionKey":"k"}],
                  "NextShardIterator":null,"MillisBehindLatest":0,"ChildShards":[]}"#
                    .into(),
            ),
            other => panic!("unexpected {other}"),
        }
    })
}

#[test]
fn a_source_whose_shards_all_ended_with_none_open_ends() {
    for open in [false, true] {
        // Closed and read to its end; or (a server quirk) ended while listed open.
        let server = closed_stream(open);
        let t = table("ends", &server.url, &[]);
        let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
        let mut payloads = Vec::new();
        for item in source.iter().take(10) {
            let r = item.unwrap();
            payloads.push(String::from_utf8(r.data).unwrap());
        }
        assert_eq!(payloads, ["a", "b", "c"], "open={open}: the iterator ends");
        let e = source
            .recv_timeout(Duration::from_secs(1))
            .expect_err("ended");
        assert!(e.is_end(), "{e}");
        assert!(matches!(e, SourceError::Ended { ref stream } if stream == "ends"));
        // Not a failure: the checkpoint says the shard is finished; close is clean.
        assert_eq!(
            source.checkpoint().shards[0].position,
            kinesis_source::ShardPosition::ShardEnd
        );
        source.close(Duration::from_secs(5)).unwrap();
    }
}

#[test]
fn rows_only_reads_move_the_checkpoint_like_records() {
    let server = closed_stream(false);
    let t = table("rows", &server.url, &[]);
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let first = source
        .recv_row_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(
        first.values[0],
        kinesis_formats::Value::Bytes(b"a".to_vec())
    );
    assert_eq!(
        source.checkpoint().shards[0].position,
        kinesis_source::ShardPosition::Sequence {
            sequence_number: "1".into(),
            sub_sequence_number: -1
        }
    );
    // Mixed with full records, in order.
    let second = source
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(second.sequence_number, "2");
    let deadline = Instant::now() + Duration::from_secs(5);
    let third = loop {
        if let Some(r) = source.try_recv_row().unwrap() {
            break r;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        third.values[0],
        kinesis_formats::Value::Bytes(b"c".to_vec())
    );
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn open_with_client_uses_the_callers_client() {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    // The table points at a port that refuses connections: only the caller's client,
    // pointed at the counting responder, can work.
    let refusing = kinesis_tests::RefusingPort::bind();
    let t = table("mine", &refusing.url(), &[]);
    let counting = LoopbackServer::start(move |req| {
        c.fetch_add(1, Ordering::SeqCst);
        match req.target.as_str() {
            "Kinesis_20131202.ListShards" => Answer::Json(
                200,
                format!(
                    r#"{{"Shards":[{{"ShardId":"shardId-000000000000",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1","EndingSequenceNumber":"9"}}}}]}}"#
                )
                .into_bytes(),
            ),
            "Kinesis_20131202.GetShardIterator" => {
                Answer::Json(200, br#"{"ShardIterator":"it"}"#.to_vec())
            }
            _ => Answer::Json(
                200,
                br#"{"Records":[{"SequenceNumber":"1","Data":"YQ==","PartitionKey":"k"}],"NextShardIterator":null}"#
                    .to_vec(),
            ),
        }
    });
    let client = kinesis_tests::client(&counting.url);
    let source = KinesisSource::open_with_client(&t, SourceContext::default(), client).unwrap();
    let r = source
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(r.data, b"a");
    assert!(calls.load(Ordering::SeqCst) >= 3);
    source.close(Duration::from_secs(5)).unwrap();
}

/// Calls each reader makes while its new connections are counted.
const CALLS_PER_READER: u64 = 5;

/// Connections a source opens while reading `shards` idle shards: before every reader made
/// three calls, and while each makes [`CALLS_PER_READER`] more.
fn connections_while_reading(
    upstream: &str,
    stream: &str,
    shards: usize,
    client_pool: Option<usize>,
) -> (u64, u64) {
    let proxy = FaultProxy::start(upstream, Plan::pass_through());
    // The default interval (200 ms): a reader's connection is idle most of the time, so
    // the pool must hold one idle connection per reader or readers keep reconnecting.
    let t = table(
        stream,
        &proxy.url,
        &[("scan.shard.getrecords.intervalmillis", "200")],
    );
    let source = match client_pool {
        None => KinesisSource::open(&t, SourceContext::default()).unwrap(),
        Some(n) => {
            let client = kinesis_tests::client_builder(&proxy.url)
                .max_connections(n)
                .build()
                .unwrap();
            KinesisSource::open_with_client(&t, SourceContext::default(), client).unwrap()
        }
    };
    // Every reader's call count once it reached `at_least`, and the time waited.
    let calls_once_all_reach = |at_least: &dyn Fn(&str) -> u64| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let calls: std::collections::BTreeMap<String, u64> = source
                .metrics()
                .into_iter()
                .map(|(shard, m)| (shard, m.get_records_calls))
                .collect();
            if calls.len() >= shards && calls.iter().all(|(shard, n)| *n >= at_least(shard)) {
                return calls;
            }
            assert!(
                Instant::now() < deadline,
                "readers stopped calling: {calls:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // Wait until every reader made calls, then count new connections while each makes
    // CALLS_PER_READER more (counted in calls, not seconds: a slow machine calls less).
    let started = calls_once_all_reach(&|_| 3);
    let before = proxy.stats().connections;
    calls_once_all_reach(&|shard| started[shard] + CALLS_PER_READER);
    let after = proxy.stats().connections;
    source.close(Duration::from_secs(5)).unwrap();
    (before, after - before)
}

#[test]
fn the_connection_pool_is_sized_to_the_reader_threads() {
    let ep = kinesis_tests::endpoint("KINESALITE_ENDPOINT");
    let shards = 40;
    let stream = kinesis_tests::TempStream::create(&kinesis_tests::client(&ep), "pool", shards);
    // Sized by open: after the readers started, no new connection (each keeps its own).
    let (opened, churn) = connections_while_reading(&ep, &stream.name, shards as usize, None);
    assert!(
        opened <= shards as u64 + 8,
        "{opened} connections for {shards} readers"
    );
    assert!(
        churn <= 2,
        "{churn} new connections while each reader made {CALLS_PER_READER} calls"
    );
    // For contrast only (how often a too-small pool reconnects depends on timing and on
    // the HTTP client's pool policy, so it is printed, not asserted; at 1,000 readers a
    // pool of 16 reconnected 16 times a second): a caller's client with a pool of 8.
    let (_, churn_small) = connections_while_reading(&ep, &stream.name, shards as usize, Some(8));
    eprintln!(
        "pool of 8: {churn_small} new connections while each reader made {CALLS_PER_READER} calls"
    );
}
