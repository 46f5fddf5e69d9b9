//! `scan.shard.getrecords.idle-intervalmillis` (decisions D22): an idle shard is polled less
//! and less often, up to the idle interval; the first record brings the normal period back.
//! A loopback responder plays one shard and counts GetRecords calls.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const FULL_RANGE: &str = r#""HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}"#;

struct Shard {
    calls: AtomicU64,
    /// Every GetRecords answers one record while set.
    busy: AtomicBool,
    next_seq: AtomicU64,
}

fn serve(shard: Arc<Shard>) -> LoopbackServer {
    LoopbackServer::start(move |req| {
        let json = |s: String| Answer::Json(200, s.into_bytes());
        match req.target.as_str() {
            "Kinesis_20131202.ListShards" => json(format!(
                r#"{{"Shards":[{{"ShardId":"shardId-000000000000",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1"}}}}]}}"#
            )),
            "Kinesis_20131202.GetShardIterator" => json(r#"{"ShardIterator":"it"}"#.into()),
            "Kinesis_20131202.GetRecords" => {
                shard.calls.fetch_add(1, Ordering::SeqCst);
                if shard.busy.load(Ordering::SeqCst) {
                    let seq = shard.next_seq.fetch_add(1, Ordering::SeqCst);
                    json(format!(
                        r#"{{"Records":[{{"SequenceNumber":"{seq}","Data":"eA==","PartitionKey":"k"}}],"NextShardIterator":"it","MillisBehindLatest":0}}"#
                    ))
                } else {
                    json(r#"{"Records":[],"NextShardIterator":"it","MillisBehindLatest":0}"#.into())
                }
            }
            other => panic!("unexpected {other}"),
        }
    })
}

fn table(endpoint: &str, idle: Option<&str>) -> TableDef {
    let mut o: Vec<(&str, &str)> = vec![
        ("connector", "kinesis"),
        ("stream", "idle"),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", endpoint),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.intervalmillis", "20"),
    ];
    if let Some(i) = idle {
        o.push(("scan.shard.getrecords.idle-intervalmillis", i));
    }
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

/// GetRecords calls during `window`, after the loop had `warmup` to settle.
fn calls_while_idle(idle: Option<&str>, warmup: Duration, window: Duration) -> u64 {
    let shard = Arc::new(Shard {
        calls: AtomicU64::new(0),
        busy: AtomicBool::new(false),
        next_seq: AtomicU64::new(100),
    });
    let server = serve(shard.clone());
    let source = KinesisSource::open(&table(&server.url, idle), SourceContext::default()).unwrap();
    std::thread::sleep(warmup);
    let before = shard.calls.load(Ordering::SeqCst);
    std::thread::sleep(window);
    let n = shard.calls.load(Ordering::SeqCst) - before;
    source.close(Duration::from_secs(5)).unwrap();
    n
}

#[test]
fn an_idle_shard_is_polled_at_the_idle_interval() {
    // 20 ms period: ~50 calls a second. With a 400 ms idle interval: at most ~3 a second
    // once grown (20, 40, 80, 160, 320, 400 ms: under a second).
    let plain = calls_while_idle(None, Duration::from_millis(300), Duration::from_secs(1));
    let idle = calls_while_idle(
        Some("400"),
        Duration::from_millis(1200),
        Duration::from_secs(1),
    );
    eprintln!("calls in a second: {plain} at the normal period, {idle} with the idle interval");
    assert!(plain >= 15, "{plain}");
    assert!(idle <= 4, "{idle}");
}

#[test]
fn the_first_record_brings_the_normal_period_back() {
    let shard = Arc::new(Shard {
        calls: AtomicU64::new(0),
        busy: AtomicBool::new(false),
        next_seq: AtomicU64::new(100),
    });
    let server = serve(shard.clone());
    let source =
        KinesisSource::open(&table(&server.url, Some("400")), SourceContext::default()).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    // Records start: the first arrives within one idle interval (plus slack), then the loop
    // runs at the normal period again.
    shard.busy.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let first = source
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .expect("a record");
    assert!(
        started.elapsed() < Duration::from_millis(400 + 300),
        "{:?}",
        started.elapsed()
    );
    drop(first);
    let calls_then = shard.calls.load(Ordering::SeqCst);
    let mut got = 0;
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if source
            .recv_timeout(Duration::from_millis(50))
            .unwrap()
            .is_some()
        {
            got += 1;
        }
    }
    let calls = shard.calls.load(Ordering::SeqCst) - calls_then;
    assert!(
        calls >= 15 && got >= 15,
        "back at ~50 calls/s: {calls} calls, {got} records"
    );
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn the_idle_interval_is_validated() {
    let t = |v: &str| {
        TableDef::from_options(
            "t",
            vec![kinesis_options::Column::physical(
                "data",
                kinesis_formats::DataType::parse("BYTES").unwrap(),
            )],
            [
                ("connector", "kinesis"),
                ("stream", "s"),
                ("format", "raw"),
                ("aws.region", "us-east-1"),
                ("scan.shard.getrecords.intervalmillis", "200"),
                ("scan.shard.getrecords.idle-intervalmillis", v),
            ],
        )
    };
    assert_eq!(
        t("1000")
            .unwrap()
            .source_options()
            .get_records_idle_interval,
        Some(Duration::from_secs(1))
    );
    for bad in ["100", "300000", "-1", "x"] {
        let e = t(bad).unwrap_err().to_string();
        assert!(
            e.contains("scan.shard.getrecords.idle-intervalmillis")
                || e.contains("idle sleep interval"),
            "{bad}: {e}"
        );
    }
    let none = TableDef::from_options(
        "t",
        vec![kinesis_options::Column::physical(
            "data",
            kinesis_formats::DataType::parse("BYTES").unwrap(),
        )],
        [
            ("connector", "kinesis"),
            ("stream", "s"),
            ("format", "raw"),
            ("aws.region", "us-east-1"),
        ],
    )
    .unwrap();
    assert_eq!(none.source_options().get_records_idle_interval, None);
}
