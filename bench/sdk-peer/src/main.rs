//! The aws-sdk-kinesis peer: `bench-sdk put-raw|get-raw --endpoint URL --stream NAME ...`
//! (the arguments of `kinesis_bench::peer_args`), the same work as the floor's paths with
//! the official Rust SDK (aws-config's defaults with a static region, keys and endpoint),
//! on tokio's multi-thread runtime (`#[tokio::main]`, the SDK's documented default), one
//! request in flight. Prints one JSON report line.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_kinesis::config::Credentials;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use aws_sdk_kinesis::Client;
use kinesis_bench::measure::{PeerReport, Span};
use kinesis_bench::payload;
use kinesis_bench::peer_args::PeerArgs;

const PEER: &str = "aws-sdk-kinesis";

async fn client(args: &PeerArgs) -> Client {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&args.endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "bench"))
        .load()
        .await;
    Client::new(&conf)
}

async fn put_raw(args: &PeerArgs) -> Result<PeerReport, String> {
    let pool = payload::pool(args.size);
    let client = client(args).await;
    let span = Span::start();
    let (mut sent, mut bytes) = (0u64, 0u64);
    while sent < args.records {
        let m = (args.batch as u64).min(args.records - sent);
        let entries = (sent..sent + m)
            .map(|i| {
                let (d, k) = &pool[i as usize % pool.len()];
                bytes += d.len() as u64;
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(d.clone()))
                    .partition_key(k.clone())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = client
            .put_records()
            .stream_name(&args.stream)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|e| format!("PutRecords: {e:?}"))?;
        if out.failed_record_count().unwrap_or(0) != 0 {
            return Err("PutRecords: failed entries (the peer does not retry)".into());
        }
        sent += m;
    }
    Ok(PeerReport::new(PEER, &args.path, sent, bytes, &span))
}

async fn get_raw(args: &PeerArgs) -> Result<PeerReport, String> {
    let client = client(args).await;
    let span = Span::start();
    let mut it = client
        .get_shard_iterator()
        .stream_name(&args.stream)
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .map_err(|e| format!("GetShardIterator: {e:?}"))?
        .shard_iterator
        .ok_or("no iterator")?;
    let (mut n, mut bytes, mut meta) = (0u64, 0u64, 0u64);
    while n < args.records {
        let page = client
            .get_records()
            .shard_iterator(&it)
            .limit(10_000)
            .send()
            .await
            .map_err(|e| format!("GetRecords: {e:?}"))?;
        for r in page.records() {
            bytes += r.data().as_ref().len() as u64;
            meta += (r.sequence_number().len() + r.partition_key().map_or(0, str::len)) as u64
                + r.approximate_arrival_timestamp().is_some() as u64;
            n += 1;
        }
        match page.next_shard_iterator {
            Some(next) if !page.records.is_empty() => it = next,
            _ => break,
        }
    }
    assert!(meta > 0 || n == 0);
    Ok(PeerReport::new(PEER, &args.path, n, bytes, &span))
}

#[tokio::main]
async fn main() {
    let args = match PeerArgs::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench-sdk: {e}");
            std::process::exit(2)
        }
    };
    let result = match args.path.as_str() {
        "put-raw" => put_raw(&args).await,
        "get-raw" => get_raw(&args).await,
        other => Err(format!("the SDK peer has no path '{other}'")),
    };
    match result {
        Ok(r) => println!("{}", r.to_line()),
        Err(e) => {
            eprintln!("bench-sdk: {e}");
            std::process::exit(1)
        }
    }
}
