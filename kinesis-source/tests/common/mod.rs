//! Helpers shared by the integration tests: server endpoints, temporary streams, tables.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceRecord};
use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::{
    CreateStreamInput, DeleteStreamInput, ListShardsInput, PutRecordsEntryRef,
    PutRecordsResultEntry,
};
use kinesis_wire::{Credentials, KinesisClient, RetryPolicy, Shard, Shutdown, StreamRef};

/// The endpoint in `var`, or `None` (with a notice) when unset outside CI.
pub fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set; CI must start the test servers (scripts/test)")
        }
        _ => {
            eprintln!("notice: {var} not set, skipping this test");
            None
        }
    }
}

pub fn client(ep: &str) -> KinesisClient {
    KinesisClient::builder()
        .endpoint(ep)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
        .build()
        .expect("client")
}

/// A stream that is deleted when dropped.
pub struct TempStream {
    pub client: KinesisClient,
    pub name: String,
    /// Only the creating handle deletes the stream.
    owner: bool,
}

impl TempStream {
    pub fn create(c: &KinesisClient, prefix: &str, shards: u32) -> TempStream {
        let name = format!("{prefix}-{:08x}", fastrand::u32(..));
        c.create_stream(&CreateStreamInput {
            stream_name: name.clone(),
            shard_count: Some(shards),
            stream_mode_details: None,
        })
        .expect("CreateStream");
        c.wait_for_stream_active(&StreamRef::from(name.as_str()), Duration::from_secs(30))
            .expect("stream ACTIVE");
        TempStream {
            client: c.clone(),
            name,
            owner: true,
        }
    }

    /// A handle for another thread that does not delete the stream when dropped.
    pub fn handle(&self) -> TempStream {
        TempStream {
            client: self.client.clone(),
            name: self.name.clone(),
            owner: false,
        }
    }

    pub fn stream(&self) -> StreamRef {
        StreamRef::Name(self.name.clone())
    }

    pub fn shards(&self) -> Vec<Shard> {
        self.client
            .list_all_shards(
                &ListShardsInput::for_stream(self.stream()),
                &RetryPolicy::default(),
                &Shutdown::new(),
            )
            .expect("ListShards")
    }

    /// PutRecords of `(partition key, data)` in order, in batches of up to 500, retrying
    /// failed entries; returns each record's result entry in input order.
    pub fn put(&self, records: &[(String, Vec<u8>)]) -> Vec<PutRecordsResultEntry> {
        self.put_with_hash(
            &records
                .iter()
                .map(|(k, d)| (k.clone(), None, d.clone()))
                .collect::<Vec<_>>(),
        )
    }

    pub fn put_with_hash(
        &self,
        records: &[(String, Option<String>, Vec<u8>)],
    ) -> Vec<PutRecordsResultEntry> {
        let mut out = Vec::with_capacity(records.len());
        for chunk in records.chunks(500) {
            let res = RetryPolicy::default()
                .run(&Shutdown::new(), |_| {
                    self.client.put_records_from(
                        &self.stream(),
                        chunk.iter().map(|(k, h, d)| PutRecordsEntryRef {
                            data: d,
                            partition_key: k,
                            explicit_hash_key: h.as_deref(),
                        }),
                    )
                })
                .expect("PutRecords");
            assert_eq!(res.failed_record_count, 0, "{:?}", res.records.first());
            out.extend(res.records);
        }
        out
    }
}

impl Drop for TempStream {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        let _ = self.client.delete_stream(&DeleteStreamInput {
            stream: self.stream(),
            enforce_consumer_deletion: Some(true),
        });
    }
}

/// A table on `stream` at `ep` with extra options; `columns` as DDL column text.
pub fn table(ep: &str, stream: &str, columns: &str, options: &[(&str, &str)]) -> TableDef {
    let mut opts: BTreeMap<String, String> = [
        ("connector", "kinesis"),
        ("stream", stream),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", ep),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
        ("format", "raw"),
        ("scan.stream.initpos", "TRIM_HORIZON"),
        ("scan.shard.getrecords.intervalmillis", "50"),
        ("scan.shard.discovery.intervalmillis", "200"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in options {
        opts.insert(k.to_string(), v.to_string());
    }
    let with: Vec<String> = opts.iter().map(|(k, v)| format!("'{k}' = '{v}'")).collect();
    let ddl = format!("CREATE TABLE t ({columns}) WITH ({})", with.join(", "));
    TableDef::from_ddl(&ddl).unwrap_or_else(|e| panic!("{e}\n{ddl}"))
}

/// Receives until `n` records arrived or `limit` passed.
pub fn recv_n(source: &KinesisSource, n: usize, limit: Duration) -> Vec<SourceRecord> {
    let deadline = Instant::now() + limit;
    let mut out = Vec::with_capacity(n);
    while out.len() < n && Instant::now() < deadline {
        if let Some(r) = source
            .recv_timeout(Duration::from_millis(100))
            .expect("recv")
        {
            out.push(r);
        }
    }
    out
}

/// Receives until nothing arrives for `quiet`.
pub fn drain(source: &KinesisSource, quiet: Duration, limit: Duration) -> Vec<SourceRecord> {
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    while Instant::now() < deadline {
        match source.recv_timeout(quiet).expect("recv") {
            Some(r) => out.push(r),
            None => break,
        }
    }
    out
}

/// The payload of a `raw` BYTES row.
pub fn bytes_of(r: &SourceRecord) -> Vec<u8> {
    match &r.row.values[0] {
        kinesis_formats::Value::Bytes(b) => b.clone(),
        kinesis_formats::Value::String(s) => s.as_bytes().to_vec(),
        v => panic!("unexpected value {v:?}"),
    }
}

/// Sequence numbers compare as big decimal integers.
pub fn seq_lt(a: &str, b: &str) -> bool {
    (a.len(), a) < (b.len(), b)
}
