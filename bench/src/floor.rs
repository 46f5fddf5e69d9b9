//! The floor: the thinnest hand-written loop doing a path's work, serde_json + aws-sigv4 +
//! ureq, one request in flight, nothing more (no retries, no threads, no checks beyond
//! the counts). Every peer's records per CPU-second is compared with it in the same run.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::measure::{PeerReport, Span};
use crate::payload;
use crate::peer_args::PeerArgs;

/// The peer's name in reports.
pub const PEER: &str = "floor";

/// Runs `args.path` (`put-raw`, `get-raw` or `idle`).
pub fn run(args: &PeerArgs) -> Result<PeerReport, String> {
    match args.path.as_str() {
        "put-raw" => Ok(put_raw(args)),
        "get-raw" => Ok(get_raw(args)),
        "idle" => Ok(get_empty(args)),
        other => Err(format!("the floor has no path '{other}'")),
    }
}

/// Signs (SigV4, static keys `test`/`test`, us-east-1) and sends one Kinesis call; the
/// answer's body. Panics on any failure: the floor does not handle errors.
fn caller(url: &str) -> impl Fn(&str, &[u8]) -> Vec<u8> + '_ {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "floor").into();
    move |target: &str, body: &[u8]| {
        let target = format!("Kinesis_20131202.{target}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target.as_str()),
        ];
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("kinesis")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .expect("signing parameters")
            .into();
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .expect("signable request");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut rb = agent.post(url);
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        for (k, v) in instructions.headers() {
            rb = rb.header(k, v);
        }
        rb.send(body)
            .expect("the floor's call")
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .expect("the floor's answer")
    }
}

#[derive(Serialize)]
struct PutEntry<'a> {
    #[serde(rename = "Data")]
    data: String,
    #[serde(rename = "PartitionKey")]
    partition_key: &'a str,
}

#[derive(Serialize)]
struct PutRequest<'a> {
    #[serde(rename = "StreamName")]
    stream_name: &'a str,
    #[serde(rename = "Records")]
    records: Vec<PutEntry<'a>>,
}

#[derive(Deserialize)]
struct PutResponse {
    #[serde(rename = "FailedRecordCount")]
    failed_record_count: u64,
}

/// `put-raw`: PutRecords of `batch` records (pool data, base64 in the JSON body).
pub fn put_raw(args: &PeerArgs) -> PeerReport {
    let pool = payload::pool(args.size);
    let call = caller(&args.endpoint);
    let b64 = base64::engine::general_purpose::STANDARD;
    let span = Span::start();
    let (mut sent, mut bytes) = (0u64, 0u64);
    while sent < args.records {
        let m = (args.batch as u64).min(args.records - sent);
        let req = PutRequest {
            stream_name: &args.stream,
            records: (sent..sent + m)
                .map(|i| {
                    let (d, k) = &pool[i as usize % pool.len()];
                    bytes += d.len() as u64;
                    PutEntry {
                        data: b64.encode(d),
                        partition_key: k,
                    }
                })
                .collect(),
        };
        let body = serde_json::to_vec(&req).expect("serialise");
        let out: PutResponse = serde_json::from_slice(&call("PutRecords", &body)).expect("parse");
        assert_eq!(out.failed_record_count, 0, "the floor does not retry");
        sent += m;
    }
    PeerReport::new(PEER, &args.path, sent, bytes, &span)
}

/// `get-raw`: GetShardIterator (TRIM_HORIZON) on the first shard, then GetRecords (limit
/// 10,000) until `records` records: parse (borrowed strings), base64-decode each payload.
pub fn get_raw(args: &PeerArgs) -> PeerReport {
    #[derive(Deserialize)]
    struct Rec<'a> {
        #[serde(rename = "Data", borrow)]
        data: &'a str,
        #[serde(rename = "SequenceNumber", borrow)]
        sequence_number: &'a str,
        #[serde(rename = "PartitionKey", borrow)]
        partition_key: &'a str,
        #[serde(rename = "ApproximateArrivalTimestamp")]
        arrival: f64,
    }
    #[derive(Deserialize)]
    struct Page<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<Rec<'a>>,
        #[serde(rename = "NextShardIterator")]
        next: Option<String>,
    }
    #[derive(Deserialize)]
    struct Iterator {
        #[serde(rename = "ShardIterator")]
        shard_iterator: String,
    }
    let call = caller(&args.endpoint);
    let b64 = base64::engine::general_purpose::STANDARD;
    let span = Span::start();
    let body = serde_json::json!({
        "StreamName": args.stream, "ShardId": "shardId-000000000000",
        "ShardIteratorType": "TRIM_HORIZON",
    });
    let it: Iterator =
        serde_json::from_slice(&call("GetShardIterator", body.to_string().as_bytes()))
            .expect("iterator");
    let mut it = it.shard_iterator;
    let (mut n, mut bytes, mut meta) = (0u64, 0u64, 0u64);
    let mut buf = Vec::with_capacity(4096);
    while n < args.records {
        let req = format!(r#"{{"ShardIterator":"{it}","Limit":10000}}"#);
        let answer = call("GetRecords", req.as_bytes());
        let page: Page<'_> = serde_json::from_slice(&answer).expect("page");
        for r in &page.records {
            buf.clear();
            b64.decode_vec(r.data, &mut buf).expect("base64");
            bytes += buf.len() as u64;
            meta +=
                (r.sequence_number.len() + r.partition_key.len()) as u64 + (r.arrival > 0.0) as u64;
            n += 1;
        }
        match page.next {
            Some(next) if !page.records.is_empty() => it = next,
            _ => break,
        }
    }
    assert!(meta > 0 || n == 0);
    PeerReport::new(PEER, &args.path, n, bytes, &span)
}

/// `idle`: the reference for a source on idle shards: `records` empty GetRecords sent back
/// to back on one thread (iterator at LATEST on the first shard of an empty stream), each
/// parsed; the report's `cpu_us_per_get` is the client CPU of one such request.
pub fn get_empty(args: &PeerArgs) -> PeerReport {
    #[derive(Deserialize)]
    struct Page {
        #[serde(rename = "Records")]
        records: Vec<serde::de::IgnoredAny>,
        #[serde(rename = "NextShardIterator")]
        next: Option<String>,
    }
    #[derive(Deserialize)]
    struct Iterator {
        #[serde(rename = "ShardIterator")]
        shard_iterator: String,
    }
    let call = caller(&args.endpoint);
    let body = serde_json::json!({
        "StreamName": args.stream, "ShardId": "shardId-000000000000",
        "ShardIteratorType": "LATEST",
    });
    let it: Iterator =
        serde_json::from_slice(&call("GetShardIterator", body.to_string().as_bytes()))
            .expect("iterator");
    let mut it = it.shard_iterator;
    let span = Span::start();
    for _ in 0..args.records {
        let req = format!(r#"{{"ShardIterator":"{it}","Limit":10000}}"#);
        let page: Page = serde_json::from_slice(&call("GetRecords", req.as_bytes())).expect("page");
        assert!(page.records.is_empty(), "the stream is empty");
        it = page.next.expect("an open shard's next iterator");
    }
    let r = PeerReport::new(PEER, &args.path, 0, 0, &span);
    let per_get = 1e6 * r.cpu_s / (args.records.max(1) as f64);
    r.clone()
        .with("shards", 1)
        .with("cpu_percent", 100.0 * r.cpu_s / r.wall_s)
        .with("rss_kib_now", crate::measure::rss_kib())
        .with("requests_per_s", args.records as f64 / r.wall_s)
        .with("cpu_us_per_get", per_get)
}
