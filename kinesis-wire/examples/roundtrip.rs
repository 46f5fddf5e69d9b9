//! A round trip through a Kinesis-compatible endpoint: create a stream, put records with
//! PutRecords, read every shard back with GetShardIterator/GetRecords, print a summary, and
//! delete the stream.
//!
//! ```sh
//! cargo run -q -p kinesis-wire --example roundtrip -- http://127.0.0.1:4567 [RECORDS]
//! ```
//! Credentials come from the environment when set (`AWS_ACCESS_KEY_ID`, ...), else fixed test
//! keys (local servers do not check signatures).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::{
    CreateStreamInput, DeleteStreamInput, GetRecordsInput, GetShardIteratorInput, ListShardsInput,
    PutRecordsEntryRef,
};
use kinesis_wire::{
    credentials::Credentials,
    model::{StartingPosition, StreamRef},
    KinesisClient, KinesisError, RetryPolicy, Shutdown,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(endpoint) = args.next() else {
        eprintln!("usage: roundtrip <endpoint-url> [records]");
        std::process::exit(2);
    };
    let count: usize = match args.next().map(|s| s.parse()) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("roundtrip: [records] must be a positive integer");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&endpoint, count) {
        eprintln!("roundtrip failed: {e}");
        std::process::exit(1);
    }
}

fn run(endpoint: &str, count: usize) -> Result<(), KinesisError> {
    let env_keys = std::env::var("AWS_ACCESS_KEY_ID")
        .ok()
        .zip(std::env::var("AWS_SECRET_ACCESS_KEY").ok());
    let (akid, secret) = env_keys.unwrap_or_else(|| ("test".into(), "test".into()));
    let client = KinesisClient::builder()
        .endpoint(endpoint)
        .region(std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()))
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            akid, secret, None, None, "BASIC",
        ))))
        .build()?;
    let policy = RetryPolicy::default();
    let shutdown = Shutdown::new();
    let name = format!("demo-{:08x}", fastrand::u32(..));
    let stream = StreamRef::Name(name.clone());
    let started = Instant::now();

    client.create_stream(&CreateStreamInput::new(name.clone()).shard_count(2))?;
    let result = (|| {
        client.wait_for_stream_active(&stream, Duration::from_secs(60))?;
        println!("created stream {name} (2 shards) at {endpoint}");

        let payloads: Vec<(String, Vec<u8>)> = (0..count)
            .map(|i| {
                (
                    format!("key-{}", i % 37),
                    format!("{{\"id\":{i},\"msg\":\"hello\"}}").into_bytes(),
                )
            })
            .collect();
        let put_start = Instant::now();
        for chunk in payloads.chunks(500) {
            let out = policy.run(&shutdown, |_| {
                client.put_records_from(
                    &stream,
                    chunk.iter().map(|(k, d)| PutRecordsEntryRef::new(d, k)),
                )
            })?;
            if out.failed_record_count > 0 {
                return Err(KinesisError::Protocol {
                    action: "PutRecords",
                    message: format!(
                        "{} of {} records failed",
                        out.failed_record_count,
                        chunk.len()
                    ),
                });
            }
        }
        let put_time = put_start.elapsed();

        let shards = client.list_all_shards(
            &ListShardsInput::for_stream(stream.clone()),
            &policy,
            &shutdown,
        )?;
        let read_start = Instant::now();
        let mut read = 0usize;
        let mut bytes = 0usize;
        for shard in &shards {
            let mut it = policy.run(&shutdown, |_| {
                client.get_shard_iterator(&GetShardIteratorInput::new(
                    stream.clone(),
                    shard.shard_id.clone(),
                    StartingPosition::TrimHorizon,
                ))
            })?;
            let mut in_shard = 0usize;
            // Bounded: stop at an empty page or after 1,000 calls.
            for _ in 0..1000 {
                let page = policy.run(&shutdown, |_| {
                    client.get_records(&GetRecordsInput::new(it.clone()).limit(10_000))
                })?;
                in_shard += page.records.len();
                bytes += page.records.iter().map(|r| r.data.len()).sum::<usize>();
                match page.next_shard_iterator {
                    Some(next) if !page.records.is_empty() => it = next,
                    _ => break,
                }
            }
            println!("  {}: {in_shard} records", shard.shard_id);
            read += in_shard;
        }
        let read_time = read_start.elapsed();
        println!(
            "put {count} records in {:.2} s, read back {read} records ({bytes} bytes) in {:.2} s",
            put_time.as_secs_f64(),
            read_time.as_secs_f64()
        );
        if read != count {
            return Err(KinesisError::Protocol {
                action: "GetRecords",
                message: format!("read {read} records, expected {count}"),
            });
        }
        Ok(())
    })();
    client
        .delete_stream(&DeleteStreamInput::new(stream.clone()).enforce_consumer_deletion(true))?;
    result?;
    println!(
        "deleted stream {name}; round trip OK in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
