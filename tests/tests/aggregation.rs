//! KPL aggregation in the sink (decisions D23), end to end: rows written by `KinesisSink`
//! with `sink.aggregation.enabled`, counted raw with GetRecords (far fewer Kinesis records
//! than rows) and read back by `KinesisSource`, which de-aggregates and filters as the KCL
//! does; a split while writing with a stale shard map; partial failures and a fatal error
//! through the fault proxy.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::DateTime;
use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, RecordSink, SinkConfig, SinkContext, SinkError, SinkRecord};
use kinesis_source::{KinesisSource, ShardPosition, SourceContext, SourceRecord};
use kinesis_tests::fault_proxy::{Fault, FaultProxy, Plan, Reply};
use kinesis_tests::{client, endpoint, TempStream};
use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput, Record, StartingPosition};
use kinesis_wire::model::{SplitShardInput, StreamRef};
use kinesis_wire::{RetryPolicy, Shutdown};

/// The first bytes of every KPL aggregate.
const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const BEHAVIORS: [&str; 4] = ["pv", "buy", "cart", "fav"];

/// The seed schema (user_behavior), aggregation on, at `endpoint`.
fn table(endpoint: &str, stream: &str, extra: &str) -> TableDef {
    TableDef::from_ddl(&format!(
        "CREATE TABLE user_behavior (
           `user_id` BIGINT, `item_id` BIGINT, `category_id` BIGINT, `behavior` STRING, `ts` TIMESTAMP(3)
         ) PARTITIONED BY (user_id)
         WITH ('connector' = 'kinesis', 'stream' = '{stream}', 'aws.region' = 'us-east-1',
               'aws.endpoint' = '{endpoint}', 'format' = 'csv',
               'aws.credentials.provider' = 'BASIC',
               'aws.credentials.basic.accesskeyid' = 'test',
               'aws.credentials.basic.secretkey' = 'test',
               'scan.stream.initpos' = 'TRIM_HORIZON',
               'scan.shard.getrecords.intervalmillis' = '50',
               'scan.shard.discovery.intervalmillis' = '200',
               'sink.flush-buffer.timeout' = '200',
               'sink.aggregation.enabled' = 'true' {extra})"
    ))
    .expect("the table is valid")
}

/// `n` rows of the seed schema; `item_id` is the row's number, so every row is unique.
fn rows(n: usize, seed: u64) -> Vec<Row> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| {
            let ms = 1_700_000_000_000i64 + rng.i64(0..86_400_000);
            Row::new(vec![
                Value::BigInt(rng.i64(0..2000)),
                Value::BigInt(i as i64),
                Value::BigInt(rng.i64(0..500)),
                Value::String(BEHAVIORS[rng.usize(..4)].to_string()),
                Value::Timestamp(DateTime::from_timestamp_millis(ms).unwrap().naive_utc()),
            ])
        })
        .collect()
}

fn item_id(row: &Row) -> usize {
    match row.values[1] {
        Value::BigInt(i) => i as usize,
        ref v => panic!("item_id is a BIGINT: {v:?}"),
    }
}

/// Every Kinesis record of the stream (closed shards included), raw, from TRIM_HORIZON,
/// until every shard is caught up twice in a row (or 60 s passed).
fn raw_records(stream: &TempStream) -> Vec<(String, Record)> {
    let policy = RetryPolicy::default();
    let shutdown = Shutdown::new();
    let mut iterators: Vec<(String, Option<String>)> = stream
        .shards()
        .iter()
        .map(|s| {
            let it = policy
                .run(&shutdown, |_| {
                    stream
                        .client
                        .get_shard_iterator(&GetShardIteratorInput::new(
                            stream.stream(),
                            s.shard_id.clone(),
                            StartingPosition::TrimHorizon,
                        ))
                })
                .expect("GetShardIterator");
            (s.shard_id.clone(), Some(it))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut out = Vec::new();
    let mut quiet_rounds = 0;
    while quiet_rounds < 2 && Instant::now() < deadline {
        let mut quiet = true;
        for (shard, it) in iterators.iter_mut() {
            let Some(iter) = it.clone() else { continue };
            let page = policy
                .run(&shutdown, |_| {
                    stream
                        .client
                        .get_records(&GetRecordsInput::new(iter.clone()).limit(10_000))
                })
                .expect("GetRecords");
            if !page.records.is_empty() {
                quiet = false;
            }
            out.extend(page.records.into_iter().map(|r| (shard.clone(), r)));
            *it = page.next_shard_iterator;
        }
        quiet_rounds = if quiet { quiet_rounds + 1 } else { 0 };
    }
    out
}

/// Reads with `KinesisSource` until `want` records arrived (or 90 s passed), then checks
/// nothing more comes.
fn read_all(table: &TableDef, want: usize) -> (Vec<SourceRecord>, kinesis_source::Checkpoint) {
    let source = KinesisSource::open(table, SourceContext::default()).expect("source opens");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut out = Vec::with_capacity(want);
    while out.len() < want && Instant::now() < deadline {
        while let Some(r) = source
            .recv_timeout(Duration::from_millis(200))
            .expect("recv")
        {
            out.push(r);
            if out.len() >= want {
                break;
            }
        }
    }
    assert!(
        source
            .recv_timeout(Duration::from_millis(600))
            .unwrap()
            .is_none(),
        "a record beyond the {want} written"
    );
    let checkpoint = source.checkpoint();
    source.close(Duration::from_secs(10)).expect("close");
    (out, checkpoint)
}

/// Every row exactly once, as written.
fn assert_each_row_once(records: &[SourceRecord], rows: &[Row]) {
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for r in records {
        let id = item_id(&r.row);
        *seen.entry(id).or_default() += 1;
        assert_eq!(r.row.values, rows[id].values, "row {id} as written");
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "rows read more than once: {twice:?}");
    assert_eq!(seen.len(), rows.len(), "rows missing");
}

/// Writes `n` rows aggregated over 4 shards, counts the Kinesis records, reads the rows back.
fn round_trip(endpoint_var: &str, n: usize) {
    let ep = endpoint(endpoint_var);
    let stream = TempStream::create(&client(&ep), "agg", 4);
    let table = table(&ep, &stream.name, "");
    let rows = rows(n, 7);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    sink.write_all(&rows).unwrap();
    sink.close(Duration::from_secs(60)).unwrap();
    let m = sink.metrics();
    assert_eq!((m.records_written, m.records_failed), (n as u64, 0));

    let raw = raw_records(&stream);
    let aggregates = raw
        .iter()
        .filter(|(_, r)| r.data.starts_with(&KPL_MAGIC))
        .count();
    eprintln!(
        "{n} rows in {} Kinesis records ({aggregates} aggregates); the sink counted {}",
        raw.len(),
        m.kinesis_records_written
    );
    assert_eq!(raw.len() as u64, m.kinesis_records_written);
    assert!(
        raw.len() * 50 <= n,
        "{} Kinesis records for {n} rows: expected at most one per 50 rows",
        raw.len()
    );
    let shards_used: std::collections::HashSet<_> = raw.iter().map(|(s, _)| s).collect();
    assert_eq!(shards_used.len(), 4, "aggregates in every shard");

    let (records, checkpoint) = read_all(&table, n);
    assert_each_row_once(&records, &rows);
    assert!(
        records.iter().all(|r| r.sub_sequence_number.is_some()),
        "every row came out of an aggregate (each group is far larger than one record)"
    );
    for s in &checkpoint.shards {
        match &s.position {
            ShardPosition::Sequence {
                sub_sequence_number,
                ..
            } => assert!(
                *sub_sequence_number >= 0,
                "{}: the checkpoint holds the sub-sequence number",
                s.shard_id
            ),
            other => panic!("{}: {other:?}", s.shard_id),
        }
    }
}

#[test]
fn kinesalite_50000_rows_aggregated_round_trip() {
    round_trip("KINESALITE_ENDPOINT", 50_000);
}

#[test]
fn kinesis_mock_5000_rows_aggregated_round_trip() {
    round_trip("KINESIS_MOCK_ENDPOINT", 5_000);
}

/// Splits the stream's first shard in the middle of its range.
fn split_first_shard(stream: &TempStream) {
    let shards = stream.shards();
    let (lo, hi) = shards[0].hash_key_range.bounds().unwrap();
    stream
        .client
        .split_shard(&SplitShardInput::new(
            StreamRef::Name(stream.name.clone()),
            shards[0].shard_id.clone(),
            (lo + (hi - lo) / 2).to_string(),
        ))
        .expect("SplitShard");
    stream.wait_active();
}

#[test]
fn a_split_while_writing_resends_the_records_of_misplaced_aggregates() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&ep), "agg-split", 2);
    let table = table(&ep, &stream.name, "");
    let rows = rows(4_000, 11);
    let sink = KinesisSink::open(&table, SinkContext::default()).unwrap();
    // The first half lists the shards (2); the split then makes that map stale.
    sink.write_all(&rows[..2_000]).unwrap();
    sink.flush().unwrap();
    split_first_shard(&stream);
    sink.write_all(&rows[2_000..]).unwrap();
    sink.close(Duration::from_secs(60)).unwrap();
    let m = sink.metrics();
    eprintln!(
        "split: {} rows, {} Kinesis records, {} re-sent",
        m.records_written, m.kinesis_records_written, m.records_resent
    );
    assert_eq!(m.records_written, 4_000);
    assert!(
        m.records_resent > 0,
        "aggregates for the split shard landed in a child not owning all their records"
    );
    // A filtering reader drops the misplaced aggregates and reads the re-sent records: every
    // row exactly once.
    let (records, _) = read_all(&table, rows.len());
    assert_each_row_once(&records, &rows);
}

fn record_sink(endpoint: &str, stream: &str, cfg: SinkConfig) -> RecordSink {
    let mut cfg = cfg;
    cfg.aggregation.enabled = true;
    cfg.flush_buffer_timeout = Duration::from_millis(100);
    cfg.retry_backoff =
        kinesis_wire::Backoff::new(Duration::from_millis(10), Duration::from_millis(50), 1.5);
    RecordSink::open(client(endpoint), stream, cfg).unwrap()
}

fn payload(i: usize) -> SinkRecord {
    SinkRecord::new(
        format!("record-{i:05}").into_bytes(),
        format!("key-{}", i % 97),
    )
}

#[test]
fn failed_aggregates_retry_their_user_records() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&ep), "agg-partial", 2);
    // The first PutRecords fails its first entry (an aggregate: really not written).
    let proxy = FaultProxy::start(
        &ep,
        Plan::pass_through().script("PutRecords", [Fault::FailEntries(vec![0])]),
    );
    let sink = record_sink(&proxy.url, &stream.name, SinkConfig::default());
    sink.send_all((0..1_000).map(payload)).unwrap();
    sink.close(Duration::from_secs(30)).unwrap();
    let m = sink.metrics();
    eprintln!(
        "partial failure: {} user records retried for one failed aggregate",
        m.records_retried
    );
    assert_eq!(m.records_written, 1_000);
    assert!(
        m.records_retried > 1,
        "the failed aggregate's user records are retried, not the aggregate: {m:?}"
    );
    assert_eq!(
        m.retried_by_code
            .get("ProvisionedThroughputExceededException")
            .copied(),
        Some(m.records_retried)
    );
    // Each user record is in the stream exactly once (raw, de-aggregated here by the source).
    let table = TableDef::from_ddl(&format!(
        "CREATE TABLE t (payload STRING) WITH ('connector' = 'kinesis', 'stream' = '{}',
           'aws.region' = 'us-east-1', 'aws.endpoint' = '{ep}', 'format' = 'raw',
           'aws.credentials.provider' = 'BASIC', 'aws.credentials.basic.accesskeyid' = 'test',
           'aws.credentials.basic.secretkey' = 'test', 'scan.stream.initpos' = 'TRIM_HORIZON',
           'scan.shard.getrecords.intervalmillis' = '50')",
        stream.name
    ))
    .unwrap();
    let (records, _) = read_all(&table, 1_000);
    let mut got: Vec<Vec<u8>> = records.into_iter().map(|r| r.data).collect();
    got.sort();
    let want: Vec<Vec<u8>> = (0..1_000).map(|i| payload(i).data).collect();
    assert_eq!(got, want);
}

#[test]
fn a_fatal_error_hands_back_user_records() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&ep), "agg-fatal", 2);
    let proxy = FaultProxy::start(
        &ep,
        Plan::pass_through().script(
            "PutRecords",
            [Fault::Reply(Reply::json_error(
                400,
                "AccessDeniedException",
                "not allowed",
            ))],
        ),
    );
    let sink = record_sink(&proxy.url, &stream.name, SinkConfig::default());
    sink.send_all((0..300).map(payload)).unwrap();
    let err = sink.close(Duration::from_secs(30)).unwrap_err();
    let SinkError::Failed(f) = &err else {
        panic!("{err}")
    };
    assert_eq!(f.code.as_deref(), Some("AccessDeniedException"));
    let mut back: Vec<Vec<u8>> = f.records.iter().map(|r| r.record.data.clone()).collect();
    back.sort();
    let want: Vec<Vec<u8>> = (0..300).map(|i| payload(i).data).collect();
    assert_eq!(back, want, "the user records come back, not aggregates");
    let keys: HashMap<&str, usize> = f
        .records
        .iter()
        .map(|r| (r.record.partition_key.as_str(), 0))
        .collect();
    assert_eq!(keys.len(), 97, "each with its own partition key");
    assert_eq!(sink.metrics().records_failed, 300);
}

/// The Python with PyPI `aws-kinesis-agg` (scripts/test exports it).
fn agg_python() -> String {
    std::env::var("KINESIS_AGG_PYTHON").unwrap_or_else(|_| {
        panic!(
            "KINESIS_AGG_PYTHON is not set: run the tests through scripts/test, which installs aws-kinesis-agg"
        )
    })
}

/// Runs `script` with `aws-kinesis-agg`, `input` on stdin; returns its stdout lines as JSON.
fn run_python(script: &str, input: &str) -> Vec<serde_json::Value> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(agg_python())
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python runs");
    writer.join().unwrap().expect("stdin written");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "aws-kinesis-agg complained: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// De-aggregates the Kinesis records on stdin (`{"pk", "data"}`, base64 data) with
/// aws-kinesis-agg, printing each user record as `{"record", "pk", "data"}`.
const DEAGGREGATE: &str = r#"
import json, sys
from aws_kinesis_agg.deaggregator import iter_deaggregate_records
for n, line in enumerate(sys.stdin):
    r = json.loads(line)
    rec = {"kinesis": {"kinesisSchemaVersion": "1.0", "data": r["data"], "partitionKey": r["pk"],
                       "sequenceNumber": str(n), "approximateArrivalTimestamp": 0}}
    for u in iter_deaggregate_records(rec):
        data = u["kinesis"]["data"]
        data = data.decode() if isinstance(data, bytes) else data
        print(json.dumps({"record": n, "pk": u["kinesis"]["partitionKey"], "data": data}))
"#;

/// Aggregates 600 user records with aws-kinesis-agg (max 4 KiB per aggregate), printing each
/// aggregate as `{"pk", "ehk", "data"}` (base64 data).
const AGGREGATE: &str = r#"
import base64, json
from aws_kinesis_agg.aggregator import RecordAggregator
agg = RecordAggregator(max_size=4096)
out = []
for i in range(600):
    full = agg.add_user_record("py-%d" % (i % 41), ("python-record-%05d" % i).encode())
    if full is not None:
        out.append(full)
out.append(agg.clear_and_get())
for a in out:
    pk, ehk, data = a.get_contents()
    print(json.dumps({"pk": pk, "ehk": ehk, "data": base64.b64encode(data).decode()}))
"#;

#[test]
fn aws_kinesis_agg_reads_our_aggregates_and_we_read_its() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let ep = endpoint("KINESALITE_ENDPOINT");

    // Ours, de-aggregated by aws-kinesis-agg: exactly the records written, bytes compared.
    let stream = TempStream::create(&client(&ep), "agg-interop", 2);
    let written: Vec<SinkRecord> = (0..2_000)
        .map(|i| {
            let r = SinkRecord::new(
                format!("{{\"n\":{i},\"pad\":\"{}\"}}", "é".repeat(i % 7)).into_bytes(),
                format!("user-{}", i % 53),
            );
            // Some routed by an explicit hash key: it goes into the aggregate's table.
            if i % 10 == 0 {
                r.with_explicit_hash_key((u128::MAX / 2000 * i as u128).to_string())
            } else {
                r
            }
        })
        .collect();
    let sink = record_sink(&ep, &stream.name, SinkConfig::default());
    sink.send_all(written.clone()).unwrap();
    sink.close(Duration::from_secs(30)).unwrap();
    let raw = raw_records(&stream);
    assert!(
        raw.len() * 20 < written.len(),
        "{} Kinesis records",
        raw.len()
    );
    let input: String = raw
        .iter()
        .map(|(_, r)| {
            serde_json::json!({"pk": r.partition_key, "data": b64.encode(&r.data)}).to_string()
                + "\n"
        })
        .collect();
    let users = run_python(DEAGGREGATE, &input);
    let mut got: Vec<(String, Vec<u8>)> = users
        .iter()
        .map(|u| {
            (
                u["pk"].as_str().unwrap().to_string(),
                b64.decode(u["data"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let mut want: Vec<(String, Vec<u8>)> = written
        .iter()
        .map(|r| (r.partition_key.clone(), r.data.clone()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got.len(), want.len(), "user records de-aggregated");
    assert!(got == want, "aws-kinesis-agg read other bytes than written");
    let mut per_record = vec![0usize; raw.len()];
    for u in &users {
        per_record[u["record"].as_u64().unwrap() as usize] += 1;
    }
    let aggregates = raw
        .iter()
        .zip(&per_record)
        .filter(|((_, r), _)| r.data.starts_with(&KPL_MAGIC));
    for ((_, r), n) in aggregates {
        assert!(
            *n > 1,
            "an aggregate of {} bytes gave {n} records",
            r.data.len()
        );
    }

    // Theirs, read by our source: every user record once.
    let stream = TempStream::create(&client(&ep), "agg-interop-py", 1);
    let aggregates = run_python(AGGREGATE, "");
    assert!(
        aggregates.len() > 1,
        "aws-kinesis-agg made several aggregates"
    );
    for a in &aggregates {
        let mut input = kinesis_wire::model::PutRecordInput::new(
            stream.name.as_str(),
            b64.decode(a["data"].as_str().unwrap()).unwrap(),
            a["pk"].as_str().unwrap(),
        );
        if let Some(h) = a["ehk"].as_str() {
            input = input.explicit_hash_key(h);
        }
        stream.client.put_record(&input).expect("PutRecord");
    }
    let table = TableDef::from_ddl(&format!(
        "CREATE TABLE t (payload STRING) WITH ('connector' = 'kinesis', 'stream' = '{}',
           'aws.region' = 'us-east-1', 'aws.endpoint' = '{ep}', 'format' = 'raw',
           'aws.credentials.provider' = 'BASIC', 'aws.credentials.basic.accesskeyid' = 'test',
           'aws.credentials.basic.secretkey' = 'test', 'scan.stream.initpos' = 'TRIM_HORIZON',
           'scan.shard.getrecords.intervalmillis' = '50')",
        stream.name
    ))
    .unwrap();
    let (records, _) = read_all(&table, 600);
    let mut got: Vec<(String, Vec<u8>)> = records
        .into_iter()
        .map(|r| (r.partition_key, r.data))
        .collect();
    got.sort();
    let mut want: Vec<(String, Vec<u8>)> = (0..600)
        .map(|i| {
            (
                format!("py-{}", i % 41),
                format!("python-record-{i:05}").into_bytes(),
            )
        })
        .collect();
    want.sort();
    assert!(
        got == want,
        "our source read other records than aws-kinesis-agg packed"
    );
}
