//! End to end through the table API: a `CREATE TABLE` with metadata columns and
//! `PARTITIONED BY`, rows written by `KinesisSink` while a shard splits, read back by
//! `KinesisSource` in two runs joined by a checkpoint, all against kinesis-mock.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, SinkContext};
use kinesis_source::{Checkpoint, KinesisSource, SourceContext, SourceRecord};
use kinesis_tests::{endpoint, hash_key, TempStream};
use kinesis_wire::model::{ListShardsInput, SplitShardInput};
use kinesis_wire::{model::StreamRef, KinesisClient, RetryPolicy, Shutdown};

const ROWS: usize = 1200;

fn table(endpoint: &str, stream: &str) -> TableDef {
    let ddl = format!(
        "CREATE TABLE user_behavior (
            `user_id` BIGINT,
            `item_id` BIGINT,
            `category_id` BIGINT,
            `behavior` STRING,
            `ts` TIMESTAMP(3),
            `arrival_time` TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
            `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL,
            `sequence_number` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL
        ) PARTITIONED BY (user_id, item_id) WITH (
            'connector' = 'kinesis',
            'stream' = '{stream}',
            'aws.region' = 'us-east-1',
            'aws.endpoint' = '{endpoint}',
            'aws.credentials.provider' = 'BASIC',
            'aws.credentials.basic.accesskeyid' = 'e2e',
            'aws.credentials.basic.secretkey' = 'e2e-secret',
            'scan.stream.initpos' = 'TRIM_HORIZON',
            'scan.shard.getrecords.intervalmillis' = '50',
            'scan.shard.discovery.intervalmillis' = '200',
            'sink.flush-buffer.timeout' = '100',
            'format' = 'json'
        )"
    );
    TableDef::from_ddl(&ddl).expect("the table parses and validates")
}

/// Row `i`: 40 partition keys; `category_id` makes every row unique and `ts` grows with `i`,
/// so rows of one key must come back in `ts` order.
fn row(i: usize) -> Row {
    let ts = chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + i as i64)
        .unwrap()
        .naive_utc();
    Row::new(vec![
        Value::BigInt((i % 8) as i64),
        Value::BigInt((i % 5) as i64),
        Value::BigInt(i as i64),
        Value::String(if i.is_multiple_of(3) {
            "pv ü".into()
        } else {
            "buy".into()
        }),
        Value::Timestamp(ts),
    ])
}

/// Reads until `want` records arrived (or 60 s passed).
fn read(source: &KinesisSource, want: usize) -> Vec<SourceRecord> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::with_capacity(want);
    while out.len() < want && Instant::now() < deadline {
        if let Some(r) = source
            .recv_timeout(Duration::from_millis(200))
            .expect("recv")
        {
            out.push(r);
        }
    }
    out
}

#[test]
fn sink_to_source_through_a_split_and_a_checkpoint() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let client = KinesisClient::builder()
        .endpoint(&ep)
        .region("us-east-1")
        .credentials_spec(kinesis_wire::CredentialsSpec::Basic {
            access_key_id: "e2e".into(),
            secret_access_key: "e2e-secret".into(),
            session_token: None,
        })
        .build()
        .unwrap();
    let stream = TempStream::create(&client, "e2e", 4);
    let table = table(&ep, &stream.name);

    // Write the first half, split shard 0 while the sink is open, write the second half.
    let sink = KinesisSink::open(&table, SinkContext::default()).expect("sink opens");
    for i in 0..ROWS / 2 {
        sink.write(&row(i)).expect("write");
    }
    sink.flush().expect("flush");
    let shards = client
        .list_all_shards(
            &ListShardsInput::for_stream(stream.name.as_str()),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .unwrap();
    let (lo, hi) = shards[0].hash_key_range.bounds().unwrap();
    client
        .split_shard(&SplitShardInput::new(
            StreamRef::Name(stream.name.clone()),
            shards[0].shard_id.clone(),
            (lo + (hi - lo) / 2).to_string(),
        ))
        .expect("SplitShard");
    client
        .wait_for_stream_active(
            &StreamRef::Name(stream.name.clone()),
            Duration::from_secs(30),
        )
        .unwrap();
    for i in ROWS / 2..ROWS {
        sink.write(&row(i)).expect("write");
    }
    sink.close(Duration::from_secs(30))
        .expect("every row acknowledged");

    let shards = client
        .list_all_shards(
            &ListShardsInput::for_stream(stream.name.as_str()),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .unwrap();
    assert_eq!(shards.len(), 6, "4 shards, one split into two children");

    // Read a part, checkpoint, then resume in a new source from the checkpoint's JSON.
    let first = KinesisSource::open(&table, SourceContext::default()).expect("source opens");
    let mut records = read(&first, ROWS / 3);
    assert_eq!(records.len(), ROWS / 3, "first run read its share in time");
    let checkpoint = Checkpoint::from_json(&first.checkpoint().to_json()).unwrap();
    first.close(Duration::from_secs(10)).expect("close");
    let second = KinesisSource::open(&table, SourceContext::default().restore(checkpoint))
        .expect("source restores");
    records.extend(read(&second, ROWS - ROWS / 3));
    // Nothing more arrives: no duplicate after the checkpoint.
    assert!(
        second
            .recv_timeout(Duration::from_millis(800))
            .unwrap()
            .is_none(),
        "a record beyond the ones written"
    );
    second.close(Duration::from_secs(10)).expect("close");

    // Exactly the rows written, each once.
    assert_eq!(records.len(), ROWS);
    let mut seen: BTreeMap<i64, &SourceRecord> = BTreeMap::new();
    for r in &records {
        let Value::BigInt(cat) = r.row.values[2] else {
            panic!("category_id is a BIGINT: {:?}", r.row)
        };
        assert!(seen.insert(cat, r).is_none(), "row {cat} read twice");
    }
    assert_eq!(seen.len(), ROWS);
    let by_id: HashMap<&str, _> = shards.iter().map(|s| (s.shard_id.as_str(), s)).collect();
    let mut last_ts_per_key: HashMap<String, Value> = HashMap::new();
    for r in &records {
        let i = match r.row.values[2] {
            Value::BigInt(i) => i as usize,
            _ => unreachable!(),
        };
        // Physical columns as written; metadata columns as the service reported them.
        assert_eq!(&r.row.values[..5], &row(i).values[..], "row {i}");
        assert_eq!(r.row.values[6], Value::String(r.shard_id.to_string()));
        assert_eq!(r.row.values[7], Value::String(r.sequence_number.clone()));
        assert!(
            matches!(r.row.values[5], Value::Timestamp(_)),
            "arrival_time is set: {:?}",
            r.row.values[5]
        );
        // Flink's PARTITIONED BY key, and the shard that owns its MD5 hash.
        let key = format!("{}|{}", i % 8, i % 5);
        assert_eq!(r.partition_key, key);
        let shard = by_id[&*r.shard_id];
        assert!(
            shard.hash_key_range.contains(hash_key(&key)),
            "key {key} read from {} which does not own its hash",
            r.shard_id
        );
        // Per-key order survives the split (parents are read before children).
        if let Some(prev) = last_ts_per_key.insert(key.clone(), r.row.values[4].clone()) {
            assert!(
                ts_lt(&prev, &r.row.values[4]),
                "key {key}: {prev:?} read after {:?}",
                r.row.values[4]
            );
        }
    }
}

fn ts_lt(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Timestamp(a), Value::Timestamp(b)) => a < b,
        _ => false,
    }
}
