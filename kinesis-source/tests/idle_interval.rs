//! `scan.shard.getrecords.idle-intervalmillis` (decisions D22): an idle shard is polled less
//! and less often, up to the idle interval; the first record brings the normal period back.
//! A loopback responder plays one shard and notes when each GetRecords call arrives.
//!
//! The checks hold on a busy machine: the loop's sleeps only make the gaps between calls
//! longer, so "at least" bounds are exact, and the "at most" bounds sit far (5×) from what a
//! working loop takes and well below what a broken one must take.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const FULL_RANGE: &str = r#""HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}"#;

/// `scan.shard.getrecords.intervalmillis` of every table here.
const PERIOD: Duration = Duration::from_millis(20);
/// `scan.shard.getrecords.idle-intervalmillis` where one is set.
const IDLE: Duration = Duration::from_millis(400);
/// How much earlier than its sleep says a call may arrive: the previous call may have been
/// slower to reach the responder than this one.
const ARRIVAL_JITTER: Duration = Duration::from_millis(50);

struct Shard {
    /// When each GetRecords call arrived.
    calls: Mutex<Vec<Instant>>,
    /// Every GetRecords answers one record while set.
    busy: AtomicBool,
    next_seq: AtomicU64,
}

impl Shard {
    fn new() -> Arc<Shard> {
        Arc::new(Shard {
            calls: Mutex::new(Vec::new()),
            busy: AtomicBool::new(false),
            next_seq: AtomicU64::new(100),
        })
    }

    fn calls(&self) -> Vec<Instant> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits (at most 30 s) until `n` calls arrived, receiving whatever `source` delivers
    /// meanwhile (a reader whose records nobody takes stops calling); returns the arrival
    /// times and the records received.
    fn wait_for_calls(&self, n: usize, source: &KinesisSource) -> (Vec<Instant>, usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut received = 0;
        loop {
            let calls = self.calls();
            if calls.len() >= n {
                return (calls, received);
            }
            assert!(
                Instant::now() < deadline,
                "{} GetRecords calls of {n} in 30 s",
                calls.len()
            );
            if source
                .recv_timeout(Duration::from_millis(5))
                .unwrap()
                .is_some()
            {
                received += 1;
            }
        }
    }
}

fn gaps(calls: &[Instant]) -> Vec<Duration> {
    calls.windows(2).map(|w| w[1] - w[0]).collect()
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
                shard.calls.lock().unwrap().push(Instant::now());
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

fn table(endpoint: &str, idle: Option<Duration>) -> TableDef {
    let period = PERIOD.as_millis().to_string();
    let idle = idle.map(|i| i.as_millis().to_string());
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
        ("scan.shard.getrecords.intervalmillis", &period),
    ];
    if let Some(i) = &idle {
        o.push(("scan.shard.getrecords.idle-intervalmillis", i));
    }
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

/// 20 gaps at the normal period take 0.4 s; at the idle interval at least 8 s. Half of that
/// tells them apart on any machine.
const TWENTY_GAPS_AT_MOST: Duration = Duration::from_secs(4);

#[test]
fn an_idle_shard_is_polled_at_the_idle_interval() {
    // Without the option an empty shard is polled at the normal period all along.
    let shard = Shard::new();
    let server = serve(shard.clone());
    let source = KinesisSource::open(&table(&server.url, None), SourceContext::default()).unwrap();
    let (calls, _) = shard.wait_for_calls(21, &source);
    source.close(Duration::from_secs(5)).unwrap();
    let twenty = calls[20] - calls[0];
    assert!(
        twenty < TWENTY_GAPS_AT_MOST,
        "20 gaps took {twenty:?} at the normal period: {:?}",
        gaps(&calls)
    );

    // With it, each empty answer doubles the period: 40, 80, 160, 320 ms, then the idle
    // interval (400 ms) and no longer: uncapped, the sixth and seventh gaps would be 1.28 s
    // and 2.56 s.
    let shard = Shard::new();
    let server = serve(shard.clone());
    let source =
        KinesisSource::open(&table(&server.url, Some(IDLE)), SourceContext::default()).unwrap();
    let (calls, _) = shard.wait_for_calls(8, &source);
    source.close(Duration::from_secs(5)).unwrap();
    let gaps = gaps(&calls);
    eprintln!("gaps between calls with the idle interval: {gaps:?}");
    for (i, want) in [40u64, 80, 160, 320, 400, 400, 400].into_iter().enumerate() {
        let want = Duration::from_millis(want);
        assert!(
            gaps[i] + ARRIVAL_JITTER >= want,
            "gap {i} is {:?}, the loop must have slept {want:?}: {gaps:?}",
            gaps[i]
        );
    }
    assert!(
        gaps[4..7].iter().all(|g| *g < IDLE * 5),
        "the period stops growing at the idle interval: {gaps:?}"
    );
}

#[test]
fn the_first_record_brings_the_normal_period_back() {
    let shard = Shard::new();
    let server = serve(shard.clone());
    let source =
        KinesisSource::open(&table(&server.url, Some(IDLE)), SourceContext::default()).unwrap();
    // Idle until the period reached the idle interval (40 + 80 + 160 + 320 + 400 ms: the
    // sixth gap is the first at it).
    let (idle_calls, _) = shard.wait_for_calls(7, &source);
    let last_gap = idle_calls[6] - idle_calls[5];
    assert!(last_gap + ARRIVAL_JITTER >= IDLE, "{last_gap:?}");
    // Records start: the first one arrives, then the loop runs at the normal period again.
    shard.busy.store(true, Ordering::SeqCst);
    let first = source
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .expect("a record");
    drop(first);
    let busy_from = shard.calls().len();
    let (calls, received) = shard.wait_for_calls(busy_from + 21, &source);
    source.close(Duration::from_secs(5)).unwrap();
    let twenty = calls[busy_from + 20] - calls[busy_from];
    assert!(
        twenty < TWENTY_GAPS_AT_MOST,
        "20 gaps took {twenty:?} once records came: {:?}",
        gaps(&calls[busy_from..])
    );
    assert!(received >= 15, "records were delivered: {received}");
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
