//! The sink against real Kinesis-compatible servers: kinesalite (volume, shard placement)
//! and kinesis-mock (a smaller run, writing through a shard split). Rows are read back
//! with plain kinesis-wire GetRecords and compared as exact multisets.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;
use common::{client, endpoint, hash_key, ReadAll, TempStream};
use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, SinkContext};
use kinesis_wire::model::Record;
use kinesis_wire::model::SplitShardInput;

const BEHAVIORS: [&str; 4] = ["pv", "buy", "cart", "fav"];

/// The seed document's table, on `stream` at `endpoint`.
fn seed_table(endpoint: &str, stream: &str, partitioning: &str, extra: &str) -> TableDef {
    TableDef::from_ddl(&format!(
        "CREATE TABLE user_behavior (
           `user_id` BIGINT, `item_id` BIGINT, `category_id` BIGINT, `behavior` STRING, `ts` TIMESTAMP(3)
         ) {partitioning}
         WITH ('connector' = 'kinesis', 'stream' = '{stream}', 'aws.region' = 'us-east-1',
               'aws.endpoint' = '{endpoint}', 'format' = 'csv',
               'aws.credentials.provider' = 'BASIC',
               'aws.credentials.basic.accesskeyid' = 'test',
               'aws.credentials.basic.secretkey' = 'test' {extra})"
    ))
    .expect("seed table is valid")
}

fn seed_rows(n: usize, seed: u64) -> Vec<Row> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|_| {
            let ms = 1_700_000_000_000i64 + rng.i64(0..86_400_000);
            Row::new(vec![
                Value::BigInt(rng.i64(0..2000)),
                Value::BigInt(rng.i64(0..100_000)),
                Value::BigInt(rng.i64(0..500)),
                Value::String(BEHAVIORS[rng.usize(..4)].to_string()),
                Value::Timestamp(DateTime::from_timestamp_millis(ms).unwrap().naive_utc()),
            ])
        })
        .collect()
}

fn canonical(row: &Row) -> String {
    format!("{:?}", row.values)
}

/// Reads everything back and checks: the exact multiset of rows, the partition key of each
/// row (via `key_of`), and that each record sits in the shard owning its key's MD5 hash.
fn verify(
    stream: &TempStream,
    table: &TableDef,
    rows: &[Row],
    key_of: impl Fn(&Row, &str) -> bool,
) -> Vec<(String, Record)> {
    let records = stream.read_all(rows.len(), Duration::from_secs(60));
    let decoder = table.format().decoder();
    let shards: HashMap<String, (u128, u128)> = stream
        .shards()
        .into_iter()
        .map(|s| {
            (
                s.shard_id,
                s.hash_key_range.bounds().expect("numeric range"),
            )
        })
        .collect();
    let mut got = Vec::with_capacity(records.len());
    for (shard, rec) in &records {
        let row = decoder
            .decode(&rec.data)
            .expect("csv decodes")
            .expect("a row");
        assert!(
            key_of(&row, &rec.partition_key),
            "row {row:?} has key {:?}",
            rec.partition_key
        );
        let h = hash_key(&rec.partition_key);
        let (lo, hi) = shards[shard];
        assert!(
            lo <= h && h <= hi,
            "key {:?} (hash {h}) landed on {shard} owning {lo}..={hi}",
            rec.partition_key
        );
        got.push(canonical(&row));
    }
    let mut want: Vec<String> = rows.iter().map(canonical).collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got.len(), want.len(), "record count");
    assert!(
        got == want,
        "the multiset of rows read back differs from the rows written"
    );
    records
}

fn field_key(row: &Row) -> String {
    match (&row.values[0], &row.values[1]) {
        (Value::BigInt(u), Value::BigInt(i)) => format!("{u}|{i}"),
        other => panic!("unexpected key fields {other:?}"),
    }
}

#[test]
fn kinesalite_50000_rows_partitioned_by_user_and_item() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&ep), "sink-fields", 4);
    let table = seed_table(&ep, &stream.name, "PARTITIONED BY (user_id, item_id)", "");
    let rows = seed_rows(50_000, 1);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    sink.write_all(&rows).unwrap();
    sink.close(Duration::from_secs(60)).unwrap();
    let m = sink.metrics();
    assert_eq!(m.records_written, 50_000);
    assert_eq!(m.records_failed, 0);
    let records = verify(&stream, &table, &rows, |row, key| key == field_key(row));
    let used: std::collections::HashSet<_> = records.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(used.len(), 4, "keys spread over all four shards");
}

#[test]
fn kinesalite_random_and_fixed_partitioners() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let c = client(&ep);

    let stream = TempStream::create(&c, "sink-random", 4);
    let table = seed_table(&ep, &stream.name, "", ", 'sink.partitioner' = 'random'");
    let rows = seed_rows(50_000, 2);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    // Two producer threads through one sink.
    std::thread::scope(|s| {
        for half in rows.chunks(25_000) {
            let sink = &sink;
            s.spawn(move || {
                for r in half {
                    sink.write(r).unwrap();
                }
            });
        }
    });
    sink.close(Duration::from_secs(60)).unwrap();
    let records = verify(&stream, &table, &rows, |_, key| {
        key.len() == 36 && uuid::Uuid::parse_str(key).is_ok_and(|u| u.get_version_num() == 4)
    });
    let keys: std::collections::HashSet<_> =
        records.iter().map(|(_, r)| &r.partition_key).collect();
    assert_eq!(keys.len(), 50_000, "a fresh UUID per record");

    let stream = TempStream::create(&c, "sink-fixed", 4);
    let table = seed_table(&ep, &stream.name, "", ", 'sink.partitioner' = 'fixed'");
    let rows = seed_rows(50_000, 3);
    let ctx = SinkContext {
        subtask_index: 3,
        parallelism: 4,
    };
    let sink = KinesisSink::open(&table, ctx).unwrap();
    sink.write_all(&rows).unwrap();
    sink.close(Duration::from_secs(60)).unwrap();
    let records = verify(&stream, &table, &rows, |_, key| key == "3");
    let used: std::collections::HashSet<_> = records.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(used.len(), 1, "one key, one shard (decisions D1)");
}

#[test]
fn kinesis_mock_rows_round_trip() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let stream = TempStream::create(&client(&ep), "sink-mock", 2);
    let table = seed_table(&ep, &stream.name, "PARTITIONED BY (user_id, item_id)", "");
    let rows = seed_rows(2_000, 4);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    sink.write_all(&rows).unwrap();
    sink.flush().unwrap();
    assert_eq!(sink.metrics().records_written, 2_000);
    sink.close(Duration::from_secs(60)).unwrap();
    verify(&stream, &table, &rows, |row, key| key == field_key(row));
}

#[test]
fn kinesis_mock_writes_through_a_shard_split() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let stream = TempStream::create(&c, "sink-split", 1);
    let table = seed_table(&ep, &stream.name, "PARTITIONED BY (user_id, item_id)", "");
    let rows = seed_rows(1_500, 5);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    let parent = stream.shards()[0].shard_id.clone();
    let chunks_written = std::sync::atomic::AtomicUsize::new(0);
    let split_active = std::sync::atomic::AtomicBool::new(false);
    use std::sync::atomic::Ordering::SeqCst;
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for (k, chunk) in rows.chunks(100).enumerate() {
                // Chunks 5..10 go while the split is under way; from chunk 10 on, only once
                // the children exist (bounded wait), so some rows surely land on them.
                if k >= 10 {
                    let deadline = std::time::Instant::now() + Duration::from_secs(30);
                    while !split_active.load(SeqCst) && std::time::Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                sink.write_all(chunk).unwrap();
                sink.flush().unwrap();
                chunks_written.fetch_add(1, SeqCst);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while chunks_written.load(SeqCst) < 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        c.split_shard(&SplitShardInput::new(
            stream.stream(),
            parent.clone(),
            (u128::MAX / 2 + 1).to_string(),
        ))
        .expect("SplitShard");
        stream.wait_active();
        split_active.store(true, SeqCst);
        writer.join().unwrap();
    });
    sink.close(Duration::from_secs(60)).unwrap();
    let records = verify(&stream, &table, &rows, |row, key| key == field_key(row));
    let on_children = records.iter().filter(|(s, _)| s != &parent).count();
    assert!(
        on_children > 0,
        "rows written after the split landed on the children"
    );
    assert!(
        on_children < rows.len(),
        "rows written before the split stayed on the parent"
    );
}
