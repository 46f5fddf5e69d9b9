//! Helpers of the kinesis-source integration tests that only they need: writing records
//! with plain kinesis-wire calls, tables, receiving. The helpers every crate's tests share
//! (endpoints, clients, temporary streams) come from kinesis-tests.
#![allow(dead_code, unused_imports)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kinesis_options::TableDef;
use kinesis_source::{KinesisSource, SourceRecord};
use kinesis_wire::model::{PutRecordsEntryRef, PutRecordsResultEntry};
use kinesis_wire::{RetryPolicy, Shutdown};

pub use kinesis_tests::{client, endpoint, TempStream};

/// Writing records with plain kinesis-wire calls.
pub trait Put {
    /// PutRecords of `(partition key, data)` in order, in batches of up to 500, retrying
    /// failed entries; returns each record's result entry in input order.
    fn put(&self, records: &[(String, Vec<u8>)]) -> Vec<PutRecordsResultEntry>;

    /// [`Put::put`] of `(partition key, explicit hash key, data)`.
    fn put_with_hash(
        &self,
        records: &[(String, Option<String>, Vec<u8>)],
    ) -> Vec<PutRecordsResultEntry>;
}

impl Put for TempStream {
    fn put(&self, records: &[(String, Vec<u8>)]) -> Vec<PutRecordsResultEntry> {
        self.put_with_hash(
            &records
                .iter()
                .map(|(k, d)| (k.clone(), None, d.clone()))
                .collect::<Vec<_>>(),
        )
    }

    fn put_with_hash(
        &self,
        records: &[(String, Option<String>, Vec<u8>)],
    ) -> Vec<PutRecordsResultEntry> {
        let mut out = Vec::with_capacity(records.len());
        for chunk in records.chunks(500) {
            let res = RetryPolicy::default()
                .run(&Shutdown::new(), |_| {
                    self.client.put_records_from(
                        &self.stream(),
                        chunk.iter().map(|(k, h, d)| {
                            let mut v = PutRecordsEntryRef::new(d, k);
                            v.explicit_hash_key = h.as_deref();
                            v
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
