//! Answers no real Kinesis gives, from a loopback responder: ListShards that pages forever,
//! a shard that ends without children while ListShards still lists it open, parent links
//! that form a cycle, and auth errors. The source must end each with a clear error or a
//! warning, never wait silently.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext, SourceError};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const FULL_RANGE: &str = r#""HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}"#;

fn table(ep: &str) -> TableDef {
    let o: Vec<(&str, &str)> = vec![
        ("connector", "kinesis"),
        ("stream", "odd"),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", ep),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.intervalmillis", "5"),
        ("scan.shard.discovery.intervalmillis", "3600000"),
        ("scan.shard.getrecords.maxretries", "2"),
        ("scan.shard.getrecords.backoff.base", "10"),
        ("scan.shard.getrecords.backoff.max", "20"),
        ("scan.list.shards.backoff.base", "10"),
        ("scan.list.shards.backoff.max", "20"),
    ];
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

fn json(body: &str) -> Answer {
    Answer::Json(200, body.as_bytes().to_vec())
}

#[test]
fn list_shards_that_pages_forever_ends_with_an_error_naming_the_call() {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let server = LoopbackServer::start(move |req| {
        assert_eq!(req.target, "Kinesis_20131202.ListShards");
        let n = c.fetch_add(1, Ordering::SeqCst);
        // An empty page with a fresh token, every time.
        json(&format!(r#"{{"Shards":[],"NextToken":"token-{n}"}}"#))
    });
    let started = Instant::now();
    let err = KinesisSource::open(&table(&server.url), SourceContext::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ListShards"), "{text}");
    assert!(text.contains("after 1000 pages"), "{text}");
    assert_eq!(calls.load(Ordering::SeqCst), 1000, "bounded: {text}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn list_shards_that_repeats_a_token_ends_at_once() {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let server = LoopbackServer::start(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        json(r#"{"Shards":[],"NextToken":"same"}"#)
    });
    let err = KinesisSource::open(&table(&server.url), SourceContext::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("page 2 returned a paging token already seen"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn an_open_shard_that_ends_without_children_is_treated_as_ended() {
    let lists = Arc::new(AtomicU64::new(0));
    let l = lists.clone();
    let server = LoopbackServer::start(move |req| match req.target.as_str() {
        "Kinesis_20131202.ListShards" => {
            l.fetch_add(1, Ordering::SeqCst);
            // Always open: no EndingSequenceNumber, no child.
            json(&format!(
                r#"{{"Shards":[{{"ShardId":"shardId-000000000000",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}}]}}"#
            ))
        }
        "Kinesis_20131202.GetShardIterator" => json(r#"{"ShardIterator":"it-0"}"#),
        // One record, then the end: NextShardIterator null and no ChildShards.
        "Kinesis_20131202.GetRecords" => json(
            r#"{"Records":[{"SequenceNumber":"5","Data":"aGk=","PartitionKey":"k"}],"NextShardIterator":null,"MillisBehindLatest":0}"#,
        ),
        other => panic!("unexpected {other}"),
    });
    let source = KinesisSource::open(&table(&server.url), SourceContext::default()).unwrap();
    let first = source
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .expect("the record");
    assert_eq!(first.sequence_number, "5");
    // Discovery asks ListShards again at the end (discovery's interval is an hour), then
    // marks the shard as ended without children.
    let deadline = Instant::now() + Duration::from_secs(10);
    let m = loop {
        let m = source.metrics();
        let shard = &m["shardId-000000000000"];
        if shard.ended_without_children || Instant::now() > deadline {
            break shard.clone();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(m.finished && m.ended_without_children, "{m:?}");
    assert!(lists.load(Ordering::SeqCst) >= 2, "ListShards asked again");
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn parent_links_that_form_a_cycle_are_an_error_naming_the_shards() {
    let server = LoopbackServer::start(move |req| match req.target.as_str() {
        "Kinesis_20131202.ListShards" => json(&format!(
            r#"{{"Shards":[
              {{"ShardId":"shardId-a","ParentShardId":"shardId-b",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}},
              {{"ShardId":"shardId-b","ParentShardId":"shardId-a",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}},
              {{"ShardId":"shardId-c",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}}]}}"#
        )),
        "Kinesis_20131202.GetShardIterator" => json(r#"{"ShardIterator":"it"}"#),
        "Kinesis_20131202.GetRecords" => {
            json(r#"{"Records":[],"NextShardIterator":"it","MillisBehindLatest":0}"#)
        }
        other => panic!("unexpected {other}"),
    });
    let err = match KinesisSource::open(&table(&server.url), SourceContext::default()) {
        Err(e) => e,
        Ok(source) => {
            let e = source
                .recv_timeout(Duration::from_secs(10))
                .expect_err("the cycle must stop the source");
            source.close(Duration::from_secs(5)).ok();
            e
        }
    };
    let SourceError::ParentCycle { shards, stream } = &err else {
        panic!("expected ParentCycle, got {err}")
    };
    assert_eq!(stream, "odd");
    assert_eq!(shards, &["shardId-a", "shardId-b"]);
    assert!(err.to_string().contains("shardId-a, shardId-b"), "{err}");
}

#[test]
fn an_auth_error_fails_the_source_at_once_naming_the_call_and_code() {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let server = LoopbackServer::start(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        Answer::Json(
            400,
            br#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#
                .to_vec(),
        )
    });
    let err = KinesisSource::open(&table(&server.url), SourceContext::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ListShards"), "{text}");
    assert!(text.contains("UnrecognizedClientException"), "{text}");
    assert!(
        text.contains("check the credentials provider and the clock"),
        "{text}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not retried: {text}");
}
