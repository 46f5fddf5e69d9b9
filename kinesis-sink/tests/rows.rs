//! The row sink on a loopback responder: the table's format and partitioner (PARTITIONED
//! BY, a registered partitioner), errors naming the row, and `open` checks.

mod common;

use std::time::Duration;

use chrono::DateTime;
use common::{Reply, Responder};
use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_options::{register_partitioner, PartitionKeyGenerator};
use kinesis_sink::{KinesisSink, RecordProblem, SinkContext, SinkError};

fn table(url: &str, tail: &str) -> TableDef {
    table_with(url, tail, "")
}

/// The test table with `extra` options appended to its WITH clause.
fn table_with(url: &str, tail: &str, extra: &str) -> TableDef {
    TableDef::from_ddl(&format!(
        "CREATE TABLE t (user_id BIGINT, item_id BIGINT, behavior STRING, ts TIMESTAMP(3)) {tail}
         WITH ('connector' = 'kinesis', 'stream' = 'rows', 'format' = 'csv',
               'aws.region' = 'us-east-1', 'aws.endpoint' = '{url}',
               'aws.credentials.provider' = 'BASIC',
               'aws.credentials.basic.accesskeyid' = 'a',
               'aws.credentials.basic.secretkey' = 'b',
               'sink.flush-buffer.timeout' = '50' {extra})"
    ))
    .unwrap()
}

fn row(u: i64, i: i64, b: &str) -> Row {
    let ts = DateTime::from_timestamp_millis(1_600_000_000_123)
        .unwrap()
        .naive_utc();
    Row::new(vec![
        Value::BigInt(u),
        Value::BigInt(i),
        Value::String(b.into()),
        Value::Timestamp(ts),
    ])
}

#[test]
fn rows_are_encoded_by_the_format_and_keyed_by_partitioned_by_fields() {
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    let t = table(&r.url, "PARTITIONED BY (user_id, item_id)");
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    let rows: Vec<Row> = (0..10).map(|n| row(n, 100 + n, "pv")).collect();
    sink.write_all(&rows).unwrap();
    sink.write(&row(7, 8, "buy")).unwrap();
    sink.close(Duration::from_secs(10)).unwrap();
    let stored = r.stored();
    assert_eq!(stored.len(), 11);
    assert_eq!(stored[0].1, "0|100");
    assert_eq!(stored[0].0, b"0,100,pv,\"2020-09-13 12:26:40.123\"");
    assert_eq!(stored[10].1, "7|8");
    let m = sink.metrics();
    assert_eq!((m.records_written, m.requests), (11, 1));
}

#[test]
fn bad_rows_fail_with_their_number_and_the_sink_goes_on() {
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    // Keyed by `behavior` alone: an empty string is an empty key, which Kinesis refuses.
    let t = table(&r.url, "PARTITIONED BY (behavior)");
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    sink.write(&row(1, 1, "pv")).unwrap();
    let e = sink.write(&row(2, 2, "")).unwrap_err();
    assert!(e.is_row_error());
    assert!(
        matches!(
            &e,
            SinkError::InvalidRecord {
                row: 2,
                problem: RecordProblem::EmptyPartitionKey,
                ..
            }
        ),
        "{e}"
    );
    let e = sink.write(&Row::new(vec![Value::BigInt(1)])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 3: has 1 values but the table has 4 physical columns"
    );
    // write_all stops at the bad row: the rows before it are buffered, the ones after not.
    let batch = vec![row(4, 4, "a"), row(5, 5, ""), row(6, 6, "c")];
    let e = sink.write_all(&batch).unwrap_err();
    assert!(matches!(&e, SinkError::InvalidRecord { row: 5, .. }), "{e}");
    sink.close(Duration::from_secs(10)).unwrap();
    let keys: Vec<String> = r.stored().into_iter().map(|(_, k)| k).collect();
    assert_eq!(keys, ["pv", "a"]);
    assert_eq!(sink.metrics().records_rejected, 3);
}

struct ByBehavior;
impl PartitionKeyGenerator for ByBehavior {
    fn partition_key(&self, row: &Row) -> String {
        match &row.values[2] {
            Value::String(s) => format!("behavior-{s}"),
            _ => "none".into(),
        }
    }
}

#[test]
fn a_registered_partitioner_keys_the_rows() {
    register_partitioner("sink-test-by-behavior", |_ctx| Box::new(ByBehavior));
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    let t = TableDef::from_ddl(&format!(
        "CREATE TABLE t (user_id BIGINT, item_id BIGINT, behavior STRING, ts TIMESTAMP(3))
         WITH ('connector' = 'kinesis', 'stream' = 'rows', 'format' = 'json',
               'aws.region' = 'us-east-1', 'aws.endpoint' = '{}',
               'aws.credentials.provider' = 'BASIC',
               'aws.credentials.basic.accesskeyid' = 'a',
               'aws.credentials.basic.secretkey' = 'b',
               'sink.partitioner' = 'sink-test-by-behavior')",
        r.url
    ))
    .unwrap();
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    sink.write(&row(1, 2, "cart")).unwrap();
    sink.flush().unwrap();
    let stored = r.stored();
    assert_eq!(stored[0].1, "behavior-cart");
    assert!(
        stored[0].0.starts_with(b"{\"user_id\":1,"),
        "{:?}",
        String::from_utf8_lossy(&stored[0].0)
    );
    sink.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn a_record_sink_from_a_table_sends_encoded_records() {
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    let t = table(&r.url, "");
    let sink = kinesis_sink::RecordSink::open_for_table(&t).unwrap();
    assert_eq!(
        sink.config().flush_buffer_timeout,
        Duration::from_millis(50)
    );
    sink.send(kinesis_sink::SinkRecord::new(b"raw bytes".to_vec(), "k1"))
        .unwrap();
    sink.close(Duration::from_secs(5)).unwrap();
    assert_eq!(r.stored(), vec![(b"raw bytes".to_vec(), "k1".to_string())]);
}

#[test]
fn open_checks_what_a_sink_needs() {
    let no_region = TableDef::from_ddl(
        "CREATE TABLE t (v STRING) WITH ('connector' = 'kinesis', 'stream' = 's',
         'format' = 'raw', 'aws.endpoint' = 'http://127.0.0.1:9')",
    )
    .unwrap();
    let e = KinesisSink::open(&no_region, SinkContext::default()).unwrap_err();
    assert!(e.to_string().contains("aws.region"), "{e}");
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    let t = table(&r.url, "");
    let e = KinesisSink::open(
        &t,
        SinkContext {
            subtask_index: 4,
            parallelism: 4,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("subtask index 4"), "{e}");
}

#[test]
fn sink_http_client_read_timeout_is_honoured_and_zero_means_none() {
    // The first request stalls until released at the end: with a 1 s read timeout (far
    // above a loopback answer on a busy machine) the sink gives up on it and resends the
    // batch (the late answer also stores it: at-least-once).
    let r = Responder::start(|i, e| {
        if i == 0 {
            Reply::Stall(Duration::from_secs(60), Box::new(Reply::ack_all(e.len())))
        } else {
            Reply::ack_all(e.len())
        }
    });
    let t = table_with(&r.url, "", ", 'sink.http-client.read-timeout' = '1000'");
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    let start = std::time::Instant::now();
    sink.write(&row(1, 1, "pv")).unwrap();
    // close, not flush: bounded even if the retry never succeeds. Ignoring the timeout it
    // would wait for the stalled answer (60 s); honouring it takes about 1 s.
    sink.close(Duration::from_secs(30)).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    r.release();
    let m = sink.metrics();
    assert_eq!(m.requests_failed, 1, "{m:?}");
    assert_eq!(
        m.retried_by_code.get("Transport(timed out)"),
        Some(&1),
        "{m:?}"
    );

    // 0 disables the read timeout, as for Netty: a slow answer is waited for.
    let r = Responder::start(|_, e| {
        Reply::Stall(
            Duration::from_millis(400),
            Box::new(Reply::ack_all(e.len())),
        )
    });
    let t = table_with(&r.url, "", ", 'sink.http-client.read-timeout' = '0'");
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    sink.write(&row(1, 1, "pv")).unwrap();
    let closed = sink.close(Duration::from_secs(5));
    let m = sink.metrics();
    assert!(closed.is_ok(), "{closed:?} {m:?}");
    assert_eq!((m.records_written, m.requests_failed), (1, 0), "{m:?}");
}

#[test]
fn sink_http_client_max_concurrency_caps_concurrent_requests() {
    // Batches of 10 and 4 requests allowed in flight; each answer takes 30 ms.
    let run = |extra: &str| {
        let r = Responder::start(|_, e| {
            Reply::Stall(Duration::from_millis(30), Box::new(Reply::ack_all(e.len())))
        });
        let t = table_with(
            &r.url,
            "",
            &format!(", 'sink.batch.max-size' = '10', 'sink.requests.max-inflight' = '4' {extra}"),
        );
        let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
        let rows: Vec<Row> = (0..300).map(|n| row(n, n, "pv")).collect();
        sink.write_all(&rows).unwrap();
        sink.close(Duration::from_secs(20)).unwrap();
        assert_eq!(r.stored().len(), 300);
        r.max_concurrent_requests()
    };
    assert!(run("") > 1, "without a cap, requests overlap");
    assert_eq!(run(", 'sink.http-client.max-concurrency' = '1'"), 1);
}

#[test]
fn long_partitioned_by_keys_are_cut_to_256_as_flink_and_then_accepted() {
    let r = Responder::start(|_, e| Reply::ack_all(e.len()));
    let t = table(&r.url, "PARTITIONED BY (behavior)");
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    sink.write(&row(1, 1, &"a".repeat(300))).unwrap();
    // 200 emoji are 400 UTF-16 code units: Flink's cut at 256 units leaves 128 of them.
    sink.write(&row(2, 2, &"😀".repeat(200))).unwrap();
    sink.close(Duration::from_secs(5)).unwrap();
    let keys: Vec<String> = r.stored().into_iter().map(|(_, k)| k).collect();
    assert_eq!(keys, ["a".repeat(256), "😀".repeat(128)]);
}
