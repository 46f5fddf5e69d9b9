//! Hot-path codec benchmark: PutRecords encoding, GetRecords parsing and SigV4 signing,
//! each next to the thin serde_json + base64 baseline a hand-written client would use.
//!
//! ```sh
//! cargo bench -p kinesis-wire --bench codec
//! ```
//! Prints the best of several rounds as MB/s of JSON and time per batch/page.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use kinesis_wire::model::{encode_put_records, parse_get_records, PutRecordsEntryRef};
use kinesis_wire::sign_request;
use kinesis_wire::transport::HttpRequest;
use kinesis_wire::{credentials::Credentials, model::StreamRef};
use serde::{Deserialize, Serialize};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Runs `f` repeatedly for about `budget`, returns the best time of one call.
fn best_of(budget: Duration, mut f: impl FnMut()) -> Duration {
    for _ in 0..3 {
        f(); // warm-up
    }
    let start = Instant::now();
    let mut best = Duration::MAX;
    while start.elapsed() < budget {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn report(name: &str, bytes: usize, t: Duration) {
    println!(
        "{name:<48} {:>9.1} µs  {:>8.0} MB/s",
        t.as_secs_f64() * 1e6,
        bytes as f64 / t.as_secs_f64() / 1e6
    );
}

fn payloads(n: usize, size: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..n)
        .map(|i| {
            (
                format!("partition-key-{i}"),
                (0..size).map(|_| rng.u8(..)).collect(),
            )
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NaiveEntry {
    data: String,
    partition_key: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NaivePut {
    records: Vec<NaiveEntry>,
    stream_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct NaiveRecord {
    sequence_number: String,
    approximate_arrival_timestamp: f64,
    data: String,
    partition_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct NaiveGet {
    records: Vec<NaiveRecord>,
    next_shard_iterator: Option<String>,
    millis_behind_latest: Option<u64>,
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1500),
    );
    let stream = StreamRef::Name("bench-stream".into());

    // PutRecords: 500 × 1 KiB, the largest common batch.
    let put = payloads(500, 1024);
    let mut body = Vec::with_capacity(1 << 20);
    encode_put_records(
        &stream,
        put.iter().map(|(k, d)| PutRecordsEntryRef::new(d, k)),
        &mut body,
    );
    let put_len = body.len();
    let t = best_of(budget, || {
        body.clear();
        encode_put_records(
            &stream,
            put.iter().map(|(k, d)| PutRecordsEntryRef::new(d, k)),
            &mut body,
        );
        black_box(&body);
    });
    report("PutRecords encode 500x1KiB (kinesis-wire)", put_len, t);
    let t = best_of(budget, || {
        let req = NaivePut {
            records: put
                .iter()
                .map(|(k, d)| NaiveEntry {
                    data: B64.encode(d),
                    partition_key: k.clone(),
                })
                .collect(),
            stream_name: "bench-stream".into(),
        };
        black_box(serde_json::to_vec(&req).unwrap());
    });
    report("PutRecords encode 500x1KiB (serde_json+base64)", put_len, t);

    // GetRecords: a ~10 MiB page of 10,000 records with 654-byte payloads.
    let mut page = String::from("{\"Records\":[");
    let mut rng = fastrand::Rng::with_seed(9);
    for i in 0..10_000 {
        if i > 0 {
            page.push(',');
        }
        let data: Vec<u8> = (0..654).map(|_| rng.u8(..)).collect();
        page.push_str(&format!(
            "{{\"SequenceNumber\":\"4959{i:052}\",\"ApproximateArrivalTimestamp\":1795745028.866,\"Data\":\"{}\",\"PartitionKey\":\"pk-{i}\"}}",
            B64.encode(&data)
        ));
    }
    page.push_str(
        "],\"NextShardIterator\":\"AAAAAAAAAAE=\",\"MillisBehindLatest\":0,\"ChildShards\":null}",
    );
    let page = page.into_bytes();
    let t = best_of(budget, || {
        black_box(parse_get_records(&page).unwrap());
    });
    report(
        "GetRecords parse+decode 10k x 654B (kinesis-wire)",
        page.len(),
        t,
    );
    let t = best_of(budget, || {
        let out: NaiveGet = serde_json::from_slice(&page).unwrap();
        let decoded: Vec<Vec<u8>> = out
            .records
            .iter()
            .map(|r| B64.decode(&r.data).unwrap())
            .collect();
        black_box(decoded);
    });
    report(
        "GetRecords parse+decode 10k x 654B (serde_json+base64)",
        page.len(),
        t,
    );

    // SigV4 over the PutRecords body.
    let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "BENCH");
    let t = best_of(budget, || {
        let mut req = HttpRequest::post(
            "https://kinesis.us-east-1.amazonaws.com/",
            std::mem::take(&mut body),
        )
        .with_header("content-type", "application/x-amz-json-1.1")
        .with_header("x-amz-target", "Kinesis_20131202.PutRecords");
        sign_request(&mut req, &creds, "us-east-1", "kinesis", SystemTime::now()).unwrap();
        body = black_box(req).body;
    });
    report("SigV4 sign of the PutRecords body", put_len, t);
}
