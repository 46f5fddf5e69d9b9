//! Fault injection: a loopback Kinesis responder (one open shard of 100 records) that
//! answers chosen GetRecords calls with throttling, an expired iterator, HTTP 500 or a reset
//! connection. The source must read every record exactly once, in order.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceContext, SourceError};
use kinesis_tests::loopback::{Answer, LoopbackServer};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Throttle,
    Expired,
    Status500,
    Reset,
    /// A 400 answer with this error code.
    Code(&'static str),
    /// The answer comes once the test calls [`Fake::release_hangs`] (or after 30 s).
    Hang,
}

struct Fake {
    records: Vec<(String, Vec<u8>)>,
    /// Faults for GetRecords calls by call number (0-based).
    faults: Mutex<BTreeMap<usize, Fault>>,
    calls: Mutex<usize>,
    /// GetShardIterator requests as `TYPE[ seq]`.
    iterator_requests: Mutex<Vec<String>>,
    /// EFO: RegisterStreamConsumer calls answered with LimitExceededException first.
    register_throttles: Mutex<u32>,
    /// EFO: calls of RegisterStreamConsumer; the consumer exists (CREATING forever) after one.
    register_calls: Mutex<u32>,
    /// The `Limit` of every GetRecords call that reached the records.
    limits: Mutex<Vec<u64>>,
    /// ListShards calls, and how many of the first ones answer LimitExceededException.
    list_calls: Mutex<u32>,
    list_throttles: Mutex<u32>,
    /// Set by [`Fake::release_hangs`]: hanging calls answer.
    hangs_released: Mutex<bool>,
    hang_release: Condvar,
}

const STREAM_ARN: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/faulty";

enum Reply {
    Json(u16, String),
    Reset,
}

impl Fake {
    fn handle(&self, target: &str, body: &[u8]) -> Reply {
        let req: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        match target {
            "Kinesis_20131202.ListShards" => {
                *self.list_calls.lock().unwrap() += 1;
                let mut t = self.list_throttles.lock().unwrap();
                if *t > 0 {
                    *t -= 1;
                    return Reply::Json(
                        400,
                        r#"{"__type":"LimitExceededException","message":"slow down"}"#.into(),
                    );
                }
                Reply::Json(
                200,
                r#"{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0",
                "EndingHashKey":"340282366920938463463374607431768211455"},
                "SequenceNumberRange":{"StartingSequenceNumber":"1000"}}]}"#
                    .into(),
            )
            }
            "Kinesis_20131202.GetShardIterator" => {
                let ty = req["ShardIteratorType"].as_str().unwrap_or("").to_string();
                let seq = req["StartingSequenceNumber"].as_str().map(str::to_string);
                let pos = match (ty.as_str(), &seq) {
                    ("TRIM_HORIZON", _) => 0,
                    ("AFTER_SEQUENCE_NUMBER", Some(s)) => self.index_of(s) + 1,
                    ("AT_SEQUENCE_NUMBER", Some(s)) => self.index_of(s),
                    _ => {
                        return Reply::Json(400, r#"{"__type":"InvalidArgumentException"}"#.into())
                    }
                };
                self.iterator_requests.lock().unwrap().push(format!(
                    "{ty}{}",
                    seq.map(|s| format!(" {s}")).unwrap_or_default()
                ));
                Reply::Json(200, format!(r#"{{"ShardIterator":"it-{pos}"}}"#))
            }
            "Kinesis_20131202.GetRecords" => {
                let call = {
                    let mut c = self.calls.lock().unwrap();
                    *c += 1;
                    *c - 1
                };
                match self.faults.lock().unwrap().remove(&call) {
                    Some(Fault::Throttle) => {
                        return Reply::Json(
                            400,
                            r#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard"}"#.into(),
                        )
                    }
                    Some(Fault::Expired) => {
                        return Reply::Json(
                            400,
                            r#"{"__type":"ExpiredIteratorException","message":"Iterator expired"}"#.into(),
                        )
                    }
                    Some(Fault::Status500) => return Reply::Json(500, String::new()),
                    Some(Fault::Reset) => return Reply::Reset,
                    Some(Fault::Hang) => self.hang(),
                    Some(Fault::Code(code)) => {
                        return Reply::Json(
                            400,
                            format!(r#"{{"__type":"{code}","message":"injected"}}"#),
                        )
                    }
                    None => {}
                }
                let it = req["ShardIterator"].as_str().unwrap_or("");
                let pos: usize = it.trim_start_matches("it-").parse().unwrap();
                let limit = req["Limit"].as_u64().unwrap_or(10_000);
                self.limits.lock().unwrap().push(limit);
                let limit = limit as usize;
                let end = (pos + limit).min(self.records.len());
                let recs: Vec<String> = self.records[pos..end]
                    .iter()
                    .map(|(seq, data)| {
                        format!(
                            r#"{{"SequenceNumber":"{seq}","ApproximateArrivalTimestamp":1700000000.5,"Data":"{}","PartitionKey":"pk"}}"#,
                            base64::engine::general_purpose::STANDARD.encode(data)
                        )
                    })
                    .collect();
                Reply::Json(
                    200,
                    format!(
                        r#"{{"Records":[{}],"NextShardIterator":"it-{end}","MillisBehindLatest":{}}}"#,
                        recs.join(","),
                        (self.records.len() - end) * 10
                    ),
                )
            }
            "Kinesis_20131202.DescribeStreamSummary" => Reply::Json(
                200,
                format!(
                    r#"{{"StreamDescriptionSummary":{{"StreamName":"faulty","StreamARN":"{STREAM_ARN}","StreamStatus":"ACTIVE","OpenShardCount":1}}}}"#
                ),
            ),
            "Kinesis_20131202.RegisterStreamConsumer" => {
                *self.register_calls.lock().unwrap() += 1;
                let mut t = self.register_throttles.lock().unwrap();
                if *t > 0 {
                    *t -= 1;
                    return Reply::Json(
                        400,
                        r#"{"__type":"LimitExceededException","message":"slow down"}"#.into(),
                    );
                }
                Reply::Json(
                    200,
                    format!(
                        r#"{{"Consumer":{{"ConsumerName":"c","ConsumerARN":"{STREAM_ARN}/consumer/c:1","ConsumerStatus":"CREATING"}}}}"#
                    ),
                )
            }
            "Kinesis_20131202.DescribeStreamConsumer" => {
                let registered = *self.register_calls.lock().unwrap() > 0
                    && *self.register_throttles.lock().unwrap() == 0;
                if registered {
                    Reply::Json(
                        200,
                        format!(
                            r#"{{"ConsumerDescription":{{"ConsumerName":"c","ConsumerARN":"{STREAM_ARN}/consumer/c:1","ConsumerStatus":"CREATING","StreamARN":"{STREAM_ARN}"}}}}"#
                        ),
                    )
                } else {
                    Reply::Json(
                        400,
                        r#"{"__type":"ResourceNotFoundException","message":"no consumer"}"#.into(),
                    )
                }
            }
            _ => Reply::Json(400, r#"{"__type":"UnknownOperationException"}"#.into()),
        }
    }

    /// Waits until [`Fake::release_hangs`] (at most 30 s).
    fn hang(&self) {
        let released = self.hangs_released.lock().unwrap();
        let _ = self
            .hang_release
            .wait_timeout_while(released, Duration::from_secs(30), |r| !*r)
            .unwrap();
    }

    /// Lets every hanging call (now and later) answer.
    fn release_hangs(&self) {
        *self.hangs_released.lock().unwrap() = true;
        self.hang_release.notify_all();
    }

    fn index_of(&self, seq: &str) -> usize {
        self.records.iter().position(|(s, _)| s == seq).unwrap()
    }
}

/// Starts the responder (it serves until the test process ends); returns its endpoint.
fn start(fake: Arc<Fake>) -> String {
    LoopbackServer::start(
        move |request| match fake.handle(&request.target, &request.body) {
            Reply::Reset => Answer::Reset,
            Reply::Json(status, body) => Answer::Json(status, body.into_bytes()),
        },
    )
    .detach()
}

fn fake(faults: &[(usize, Fault)]) -> Arc<Fake> {
    fake_with(
        (0..100)
            .map(|i| {
                (
                    format!("{}", 49_000_000 + i * 7),
                    format!("payload-{i}").into_bytes(),
                )
            })
            .collect(),
        faults,
    )
}

fn fake_with(records: Vec<(String, Vec<u8>)>, faults: &[(usize, Fault)]) -> Arc<Fake> {
    Arc::new(Fake {
        records,
        faults: Mutex::new(faults.iter().copied().collect()),
        calls: Mutex::new(0),
        iterator_requests: Mutex::new(Vec::new()),
        register_throttles: Mutex::new(0),
        register_calls: Mutex::new(0),
        limits: Mutex::new(Vec::new()),
        list_calls: Mutex::new(0),
        list_throttles: Mutex::new(0),
        hangs_released: Mutex::new(false),
        hang_release: Condvar::new(),
    })
}

fn table(ep: &str, extra: &[(&str, &str)]) -> TableDef {
    let mut o: Vec<(&str, &str)> = vec![
        ("connector", "kinesis"),
        ("stream", "faulty"),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", ep),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.maxrecordcount", "10"),
        ("scan.shard.getrecords.intervalmillis", "5"),
        ("scan.shard.getrecords.backoff.base", "10"),
        ("scan.shard.getrecords.backoff.max", "40"),
        ("scan.shard.getiterator.backoff.base", "10"),
        ("scan.shard.getiterator.backoff.max", "40"),
        ("scan.shard.discovery.intervalmillis", "200"),
    ];
    o.extend_from_slice(extra);
    let data = kinesis_options::Column::physical(
        "data",
        kinesis_formats::DataType::parse("BYTES").unwrap(),
    );
    TableDef::from_options("t", vec![data], o).unwrap()
}

fn read_all(source: &KinesisSource, n: usize) -> Result<Vec<String>, SourceError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        if let Some(r) = source.recv_timeout(Duration::from_millis(100))? {
            let v = match &r.row.values[0] {
                kinesis_formats::Value::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
                v => panic!("{v:?}"),
            };
            out.push(v);
        }
    }
    // Nothing more may come.
    if let Some(r) = source.recv_timeout(Duration::from_millis(200))? {
        panic!("unexpected extra record {r:?}");
    }
    Ok(out)
}

fn expected() -> Vec<String> {
    (0..100).map(|i| format!("payload-{i}")).collect()
}

#[test]
fn throttled_get_records_are_retried_with_backoff_and_counted() {
    let f = fake(&[
        (1, Fault::Throttle),
        (2, Fault::Throttle),
        (5, Fault::Throttle),
    ]);
    let ep = start(f.clone());
    let source = KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    let m = &source.metrics()["shardId-000000000000"];
    assert_eq!(m.throttles, 3);
    assert_eq!(m.millis_behind_latest, Some(0));
    assert_eq!(m.records, 100);
    let payload_bytes: usize = f.records.iter().map(|(_, d)| d.len()).sum();
    assert_eq!(m.bytes, payload_bytes as u64);
    assert_eq!(m.iterator_refreshes, 0);
    assert!(!m.finished, "the shard is open");
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn throttling_beyond_the_retries_stops_the_source_with_flinks_message() {
    // maxretries 1: two calls, both throttled.
    let f = fake(&[(1, Fault::Throttle), (2, Fault::Throttle)]);
    let ep = start(f.clone());
    let source = KinesisSource::open(
        &table(&ep, &[("scan.shard.getrecords.maxretries", "1")]),
        SourceContext::default(),
    )
    .unwrap();
    let err = read_all(&source, 100).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Retries exceeded for getRecords operation"),
        "{text}"
    );
    assert!(text.contains("shardId-000000000000"), "{text}");
    // Every later call hands the same error out; the iterator yields it once and ends.
    assert_eq!(source.try_recv().unwrap_err(), err);
    let mut it = source.iter();
    assert_eq!(it.next().map(|r| r.unwrap_err()), Some(err.clone()));
    assert!(it.next().is_none());
    // The checkpoint holds exactly the first page handed out.
    let cp = source.checkpoint();
    assert_eq!(
        cp.shards[0].position,
        kinesis_source::ShardPosition::Sequence {
            sequence_number: f.records[9].0.clone(),
            sub_sequence_number: -1
        }
    );
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn expired_iterator_is_refreshed_after_the_last_record_read() {
    let f = fake(&[
        (3, Fault::Expired),
        (4, Fault::Expired),
        (7, Fault::Expired),
    ]);
    let ep = start(f.clone());
    let source = KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    assert_eq!(
        source.metrics()["shardId-000000000000"].iterator_refreshes,
        3
    );
    let reqs = f.iterator_requests.lock().unwrap().clone();
    // Pages of 10: after calls 0-2 the last record read is #29; call 3 and its retry
    // expire; then calls 5, 6 read up to #49 and call 7 expires.
    assert_eq!(
        reqs,
        vec![
            "TRIM_HORIZON".to_string(),
            format!("AFTER_SEQUENCE_NUMBER {}", f.records[29].0),
            format!("AFTER_SEQUENCE_NUMBER {}", f.records[29].0),
            format!("AFTER_SEQUENCE_NUMBER {}", f.records[49].0),
        ]
    );
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn http_500_and_reset_connections_are_retried() {
    let f = fake(&[
        (1, Fault::Status500),
        (2, Fault::Reset),
        (3, Fault::Status500),
        (6, Fault::Reset),
    ]);
    let ep = start(f.clone());
    let source = KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    let m = &source.metrics()["shardId-000000000000"];
    assert_eq!(m.retries, 4);
    assert_eq!(m.throttles, 0);
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn close_wakes_a_blocked_receiver_and_joins_promptly() {
    let f = fake(&[]);
    let ep = start(f);
    let source = Arc::new(KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap());
    assert_eq!(read_all(&source, 100).unwrap().len(), 100);
    let s2 = source.clone();
    let blocked = std::thread::spawn(move || s2.recv());
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    source.close(Duration::from_secs(5)).unwrap();
    assert!(matches!(blocked.join().unwrap(), Err(SourceError::Closed)));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(source.iter().count(), 0);
}

#[test]
fn a_slow_caller_slows_the_reader_backpressure() {
    let f = fake_with(
        (0..20_000)
            .map(|i| (format!("{}", 49_000_000 + i), b"x".to_vec()))
            .collect(),
        &[],
    );
    let ep = start(f.clone());
    let source = KinesisSource::open(
        &table(
            &ep,
            &[
                ("scan.shard.getrecords.maxrecordcount", "100"),
                ("scan.shard.getrecords.intervalmillis", "0"),
            ],
        ),
        SourceContext::default(),
    )
    .unwrap();
    // Nobody receives: the reader fills the bounded channel (4 pages) and fetches one more
    // page, which it cannot send; then it waits. So at most 5 pages of 100 records of the
    // 20,000 backlog are held, however long the backlog.
    let deadline = Instant::now() + Duration::from_secs(30);
    while *f.calls.lock().unwrap() < 5 {
        assert!(
            Instant::now() < deadline,
            "the reader did not fetch 5 pages"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // It stays there (a reader that went on would have fetched more meanwhile).
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        *f.calls.lock().unwrap(),
        5,
        "GetRecords calls of 100 records while the caller was idle: the reader is blocked"
    );
    // Receiving lets it go on, and it stays at most 6 pages (the one being handed out
    // included) ahead of the caller.
    for received in 1..=5_000usize {
        source.recv().unwrap();
        if received % 1_000 == 0 {
            std::thread::sleep(Duration::from_millis(100));
            let calls = *f.calls.lock().unwrap();
            assert!(
                calls * 100 <= received + 600,
                "{calls} pages fetched after {received} records were received"
            );
        }
    }
    assert!(*f.calls.lock().unwrap() >= 50);
    source.close(Duration::from_secs(5)).unwrap();
}

/// A registered assigner (D15) that sends every shard to the last subtask.
struct LastSubtask;

impl kinesis_options::ShardAssigner for LastSubtask {
    fn assign(&self, _shard: &kinesis_options::ShardInfo<'_>, parallelism: usize) -> i32 {
        parallelism as i32 - 1
    }
}

#[test]
fn a_registered_shard_assigner_decides_the_subtask() {
    kinesis_options::register_shard_assigner("last-subtask", || Arc::new(LastSubtask));
    let f = fake(&[]);
    let ep = start(f);
    let t = table(&ep, &[("scan.shard-assigner", "last-subtask")]);
    let idle = KinesisSource::open(&t, SourceContext::new(0, 2)).unwrap();
    let reading = KinesisSource::open(&t, SourceContext::new(1, 2)).unwrap();
    assert!(idle.assigned_shards().is_empty());
    assert_eq!(
        reading.assigned_shards(),
        ["shardId-000000000000".to_string()]
    );
    assert_eq!(read_all(&reading, 100).unwrap(), expected());
    assert!(idle.try_recv().unwrap().is_none());
    assert!(idle.checkpoint().shards.is_empty());
    idle.close(Duration::from_secs(5)).unwrap();
    reading.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn efo_registration_retries_throttling_and_times_out_waiting_for_active() {
    let f = fake(&[]);
    *f.register_throttles.lock().unwrap() = 2;
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[
            ("scan.stream.recordpublisher", "EFO"),
            ("scan.stream.efo.registration", "EAGER"),
            ("scan.stream.efo.consumername", "c"),
            ("scan.stream.registerstreamconsumer.backoff.base", "20"),
            ("scan.stream.registerstreamconsumer.backoff.max", "50"),
            ("scan.stream.registerstreamconsumer.timeout", "1"),
            ("scan.stream.describestreamconsumer.backoff.base", "20"),
        ],
    );
    let started = Instant::now();
    let err = KinesisSource::open(&t, SourceContext::default()).unwrap_err();
    let text = err.to_string();
    // LimitExceeded was retried (D6): three RegisterStreamConsumer calls, then the wait for
    // ACTIVE gave up after the 1 s timeout with Flink's message.
    assert_eq!(*f.register_calls.lock().unwrap(), 3);
    assert!(
        text.contains("Error registering stream: faulty")
            && text.contains("Timeout waiting for stream consumer to become active: c on"),
        "{text}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[test]
fn adaptive_reads_size_the_next_call_by_flinks_formula_with_the_interval_in_the_loop_time() {
    let f = fake(&[]);
    let ep = start(f.clone());
    let source = KinesisSource::open(
        &table(
            &ep,
            &[
                ("scan.shard.adaptivereads", "true"),
                ("scan.shard.getrecords.intervalmillis", "50"),
            ],
        ),
        SourceContext::default(),
    )
    .unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    let limits = f.limits.lock().unwrap().clone();
    // The first call asks for maxrecordcount (10). Its 10 records of 9 bytes took a loop of
    // at least the 50 ms interval: 2 MiB/s * 0.05 s / 9 B = 11650 records, capped at the
    // constant 10000 (not the configured 10). Without the sleep in the loop time the
    // formula would give a few hundred.
    assert_eq!(limits[0], 10, "{limits:?}");
    assert_eq!(limits[1], 10_000, "{limits:?}");
    source.close(Duration::from_secs(5)).unwrap();

    // Without adaptive reads every call asks for maxrecordcount.
    let f = fake(&[]);
    let ep = start(f.clone());
    let source = KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    assert!(f.limits.lock().unwrap().iter().all(|l| *l == 10));
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn every_configured_recoverable_error_code_is_retried_d16() {
    // Both entries are honoured (Flink only looks at the first).
    let f = fake(&[
        (2, Fault::Code("ResourceInUseException")),
        (4, Fault::Code("KMSDisabledException")),
        (5, Fault::Code("ResourceInUseException")),
    ]);
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[
            (
                "scan.shard.consumer.error.recoverable[0].exception",
                "KMSDisabledException",
            ),
            (
                "scan.shard.consumer.error.recoverable[1].exception",
                "ResourceInUseException",
            ),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    source.close(Duration::from_secs(5)).unwrap();

    // A code that is not listed (and not retryable) stops the source after one call, with
    // the checkpoint after the last page handed out.
    let f = fake(&[(2, Fault::Code("ResourceInUseException"))]);
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[(
            "scan.shard.consumer.error.recoverable[0].exception",
            "KMSDisabledException",
        )],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let err = read_all(&source, 100).unwrap_err();
    assert!(err.to_string().contains("ResourceInUseException"), "{err}");
    assert_eq!(*f.calls.lock().unwrap(), 3);
    assert_eq!(
        source.checkpoint().shards[0].position,
        kinesis_source::ShardPosition::Sequence {
            sequence_number: f.records[19].0.clone(),
            sub_sequence_number: -1
        }
    );
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_java_transport_exception_name_makes_that_transport_failure_recoverable() {
    // `java.net.SocketException` names a reset connection: with no retries left
    // (maxretries 0) the reset would stop the source; listed as recoverable, it is retried.
    let f = fake(&[(1, Fault::Reset), (3, Fault::Reset)]);
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[
            ("scan.shard.getrecords.maxretries", "0"),
            (
                "scan.shard.consumer.error.recoverable[0].exception",
                "java.net.SocketException",
            ),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    source.close(Duration::from_secs(5)).unwrap();

    let f = fake(&[(1, Fault::Reset)]);
    let ep = start(f.clone());
    let t = table(&ep, &[("scan.shard.getrecords.maxretries", "0")]);
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let err = read_all(&source, 100).unwrap_err();
    assert!(err.to_string().contains("GetRecords"), "{err}");
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn list_shards_backs_off_by_its_own_options_not_describe_streams_d4() {
    // Flink lets scan.stream.describe.backoff.* overwrite scan.list.shards.backoff.*; here a
    // 30 s DescribeStream backoff must not slow ListShards down.
    let f = fake(&[]);
    *f.list_throttles.lock().unwrap() = 2;
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[
            ("scan.list.shards.backoff.base", "10"),
            ("scan.list.shards.backoff.max", "20"),
            ("scan.stream.describe.backoff.base", "30000"),
            ("scan.stream.describe.backoff.max", "30000"),
        ],
    );
    let started = Instant::now();
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(*f.list_calls.lock().unwrap(), 3);
    assert_eq!(read_all(&source, 100).unwrap(), expected());
    source.close(Duration::from_secs(5)).unwrap();

    // And scan.list.shards.maxretries alone bounds the ListShards calls: with 1 retry the
    // throttled first discovery finds no shard.
    let f = fake(&[]);
    *f.list_throttles.lock().unwrap() = 5;
    let ep = start(f.clone());
    let t = table(
        &ep,
        &[
            ("scan.list.shards.maxretries", "1"),
            ("scan.list.shards.backoff.base", "10"),
            ("scan.stream.describe.maxretries", "20"),
        ],
    );
    let err = KinesisSource::open(&t, SourceContext::default()).unwrap_err();
    assert!(matches!(err, SourceError::NoShards { .. }), "{err}");
    assert_eq!(*f.list_calls.lock().unwrap(), 2);
}

#[test]
fn close_gives_up_on_a_hanging_call_after_its_timeout_and_a_later_close_joins() {
    let f = fake(&[(1, Fault::Hang)]);
    let ep = start(f.clone());
    let source = KinesisSource::open(&table(&ep, &[]), SourceContext::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while *f.calls.lock().unwrap() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        *f.calls.lock().unwrap(),
        2,
        "the second GetRecords call hangs"
    );
    let started = Instant::now();
    let err = source.close(Duration::from_millis(300)).unwrap_err();
    // The call hangs until released below: close returned on its own timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &err {
        SourceError::CloseTimedOut { threads } => {
            assert_eq!(threads, &["kinesis-shard-shardId-000000000000".to_string()])
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(source.recv(), Err(SourceError::Closed)));
    // The reader ends when its call returns; a second close joins it.
    f.release_hangs();
    source.close(Duration::from_secs(30)).unwrap();
    assert_eq!(*f.calls.lock().unwrap(), 2, "no call after close");
}
