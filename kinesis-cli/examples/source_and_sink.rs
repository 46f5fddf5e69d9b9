//! The README's library example: write rows with the sink, read them back with the source,
//! and resume from a checkpoint.
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!   cargo run -p kinesis-cli --example source_and_sink -- http://127.0.0.1:4567
//! ```
//! The part between the README markers is copied verbatim into README.md (a test checks it).

use std::time::Duration;

use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, SinkContext};
use kinesis_source::{Checkpoint, KinesisSource, SourceContext};
use kinesis_wire::model::{CreateStreamInput, DeleteStreamInput};
use kinesis_wire::KinesisClient;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:4567".to_string());
    let stream = format!("orders-{:08x}", std::process::id());
    // README-BEGIN
    let table = TableDef::from_ddl(&format!(
        "CREATE TABLE orders (
           order_id BIGINT,
           item     STRING,
           shard_id VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL
         ) PARTITIONED BY (order_id)
         WITH ('connector' = 'kinesis', 'stream' = '{stream}', 'format' = 'json',
               'aws.region' = 'us-east-1', 'aws.endpoint' = '{endpoint}',
               'scan.stream.initpos' = 'TRIM_HORIZON')"
    ))?;
    // README-END
    let client = KinesisClient::new(table.client_config().clone())?;
    client.create_stream(&CreateStreamInput::new(stream.clone()).shard_count(2))?;
    client.wait_for_stream_active(&stream.as_str().into(), Duration::from_secs(60))?;
    // README-BEGIN

    // Sink: rows of the physical columns, keyed by PARTITIONED BY, batched into PutRecords.
    let sink = KinesisSink::open(&table, SinkContext::default())?;
    for i in 0..100 {
        sink.write(&Row::new(vec![
            Value::BigInt(i),
            Value::String(format!("item-{i}")),
        ]))?;
    }
    // Sends what is buffered and waits; an error hands back every unwritten record.
    sink.close(Duration::from_secs(30))?;
    println!("written: {}", sink.metrics().records_written);

    // Source: every declared column (metadata included), one reader thread per shard.
    let source = KinesisSource::open(&table, SourceContext::default())?;
    let mut read = 0;
    while read < 60 {
        let Some(record) = source.recv_timeout(Duration::from_secs(5))? else {
            break;
        };
        println!("{} {}", record.shard_id, record.row); // e.g. shardId-000000000001 +I(7,item-7,shardId-000000000001)
        read += 1;
    }
    // The checkpoint covers exactly the records handed out: resume with no gap or duplicate.
    let saved: String = source.checkpoint().to_json();
    source.close(Duration::from_secs(5))?;
    let resumed = KinesisSource::open(
        &table,
        SourceContext::default().restore(Checkpoint::from_json(&saved)?),
    )?;
    while let Some(_record) = resumed.recv_timeout(Duration::from_secs(2))? {
        read += 1;
    }
    resumed.close(Duration::from_secs(5))?;
    println!("read: {read}"); // 100, each row exactly once

    // README-END
    client
        .delete_stream(&DeleteStreamInput::new(stream.as_str()).enforce_consumer_deletion(true))?;
    if read != 100 {
        return Err(format!("read {read} rows, expected 100").into());
    }
    Ok(())
}
