//! The source against kinesalite (`KINESALITE_ENDPOINT`): volume, bad payloads, KPL.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{bytes_of, drain, endpoint, recv_n, table, Put, TempStream};
use kinesis_formats::Value;
use kinesis_source::{KinesisSource, ShardPosition, SourceContext, SourceError};
use md5::{Digest, Md5};

#[test]
fn fifty_thousand_records_on_four_shards_exact_multiset_and_per_shard_order() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-volume", 4);
    const N: usize = 50_000;
    let records: Vec<(String, Vec<u8>)> = (0..N)
        .map(|i| {
            (
                format!("pk-{}", i % 997),
                format!("record-{i:06}-{}", "x".repeat(i % 40)).into_bytes(),
            )
        })
        .collect();
    let results = s.put(&records);
    // What each shard must yield, in order: the puts on that shard by sequence number.
    let mut expected: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for (r, (_, data)) in results.iter().zip(&records) {
        expected
            .entry(r.shard_id.clone().unwrap())
            .or_default()
            .push((r.sequence_number.clone().unwrap(), data.clone()));
    }
    for v in expected.values_mut() {
        v.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
    }
    assert_eq!(expected.len(), 4);

    let t = table(
        &ep,
        &s.name,
        "data BYTES",
        &[("scan.shard.getrecords.intervalmillis", "0")],
    );
    let started = Instant::now();
    let source = KinesisSource::open(&t, SourceContext::default()).expect("open");
    let mut got = recv_n(&source, N, Duration::from_secs(90));
    assert_eq!(got.len(), N, "records read within 90 s");
    // Nothing more may arrive.
    got.extend(drain(
        &source,
        Duration::from_millis(500),
        Duration::from_secs(5),
    ));
    let elapsed = started.elapsed();
    assert_eq!(got.len(), N, "no record read twice");
    eprintln!(
        "read {N} records in {elapsed:?} ({:.0} records/s)",
        N as f64 / elapsed.as_secs_f64()
    );

    let mut read: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for r in &got {
        read.entry(r.shard_id.to_string())
            .or_default()
            .push((r.sequence_number.clone(), bytes_of(r)));
    }
    assert_eq!(read, expected, "per-shard content and order");
    let m = source.metrics();
    assert_eq!(m.values().map(|m| m.records).sum::<u64>(), N as u64);
    source.close(Duration::from_secs(5)).expect("close");
    assert!(matches!(source.recv(), Err(SourceError::Closed)));
}

#[test]
fn bad_payload_stops_the_source_before_it_or_is_skipped_and_counted() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-badjson", 1);
    let payloads = [
        r#"{"id":1,"name":"a"}"#,
        r#"{"id":2,"name":"b"}"#,
        r#"{"id":"x3","name":"c"}"#,
        r#"{"id":4"#,
        r#"{"id":5,"name":"e"}"#,
    ];
    let res = s.put(
        &payloads
            .iter()
            .map(|p| ("k".to_string(), p.as_bytes().to_vec()))
            .collect::<Vec<_>>(),
    );
    let seqs: Vec<String> = res
        .iter()
        .map(|r| r.sequence_number.clone().unwrap())
        .collect();

    // Without ignore-parse-errors: two records, then an error naming the record and column.
    let t = table(
        &ep,
        &s.name,
        "id BIGINT, name STRING",
        &[("format", "json")],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let first = recv_n(&source, 2, Duration::from_secs(10));
    assert_eq!(first.len(), 2);
    assert_eq!(
        first[1].row.values,
        vec![Value::BigInt(2), Value::String("b".into())]
    );
    assert_eq!(first[1].data, payloads[1].as_bytes(), "the stored payload");
    let err = source
        .recv_timeout(Duration::from_secs(10))
        .expect_err("the bad record stops the source");
    let text = err.to_string();
    assert!(
        matches!(&err, SourceError::Decode { sequence_number, .. } if *sequence_number == seqs[2]),
        "{err:?}"
    );
    for part in [
        s.name.as_str(),
        "shardId-000000000000",
        &seqs[2],
        "field: id",
        "byte",
    ] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
    // It stays stopped, and the checkpoint is right before the bad record.
    assert_eq!(source.recv().unwrap_err(), err);
    let cp = source.checkpoint();
    assert_eq!(
        cp.shards[0].position,
        ShardPosition::Sequence {
            sequence_number: seqs[1].clone(),
            sub_sequence_number: -1
        }
    );
    source.close(Duration::from_secs(5)).unwrap();

    // With ignore-parse-errors: a bad field reads as null (Flink), a malformed record is
    // skipped and counted, and the position moves past it.
    let t = table(
        &ep,
        &s.name,
        "id BIGINT, name STRING",
        &[("format", "json"), ("json.ignore-parse-errors", "true")],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let got = recv_n(&source, 4, Duration::from_secs(10));
    let ids: Vec<Value> = got.iter().map(|r| r.row.values[0].clone()).collect();
    assert_eq!(
        ids,
        vec![
            Value::BigInt(1),
            Value::BigInt(2),
            Value::Null,
            Value::BigInt(5)
        ]
    );
    assert!(drain(&source, Duration::from_millis(300), Duration::from_secs(2)).is_empty());
    assert_eq!(source.metrics()["shardId-000000000000"].skipped_records, 1);
    assert_eq!(
        source.checkpoint().shards[0].position,
        ShardPosition::Sequence {
            sequence_number: seqs[4].clone(),
            sub_sequence_number: -1
        }
    );
    source.close(Duration::from_secs(5)).unwrap();
}

/// An independent KPL encoder, written from the format description (magic, protobuf, MD5).
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes_field(field: u64, data: &[u8], out: &mut Vec<u8>) {
    varint(field << 3 | 2, out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

/// `records`: (partition key, explicit hash key, data).
fn kpl_aggregate(records: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut keys: Vec<&str> = Vec::new();
    let mut ehks: Vec<&str> = Vec::new();
    let mut body = Vec::new();
    let mut recs = Vec::new();
    for (pk, ehk, data) in records {
        let pi = keys.iter().position(|k| k == pk).unwrap_or_else(|| {
            keys.push(pk);
            keys.len() - 1
        });
        let mut r = Vec::new();
        varint(1 << 3, &mut r);
        varint(pi as u64, &mut r);
        if let Some(h) = ehk {
            let hi = ehks.iter().position(|k| k == h).unwrap_or_else(|| {
                ehks.push(h);
                ehks.len() - 1
            });
            varint(2 << 3, &mut r);
            varint(hi as u64, &mut r);
        }
        bytes_field(3, data, &mut r);
        // A tag, which readers must skip.
        let mut tag = Vec::new();
        bytes_field(1, b"tag-key", &mut tag);
        bytes_field(4, &tag, &mut r);
        recs.push(r);
    }
    for k in &keys {
        bytes_field(1, k.as_bytes(), &mut body);
    }
    for h in &ehks {
        bytes_field(2, h.as_bytes(), &mut body);
    }
    for r in &recs {
        bytes_field(3, r, &mut body);
    }
    let mut out = vec![0xF3, 0x89, 0x9A, 0xC2];
    out.extend_from_slice(&body);
    out.extend_from_slice(&Md5::digest(&body));
    out
}

#[test]
fn kpl_aggregated_records_are_deaggregated_filtered_by_hash_range_or_passed_through() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-kpl", 2);
    let shards = s.shards();
    let (lo0, hi0) = shards[0].hash_key_range.bounds().unwrap();
    let (lo1, _) = shards[1].hash_key_range.bounds().unwrap();
    let in0 = lo0.to_string();
    let in1 = lo1.to_string();
    // pk-a.. have MD5 hash keys anywhere; pin the outer record and every user record to
    // shard 0 with explicit hash keys, except in the "outside" aggregate.
    let good = kpl_aggregate(&[
        ("user-a", Some(&in0), b"one"),
        ("user-b", Some(&in0), b"two"),
        ("user-a", Some(&in0), b"three"),
    ]);
    let outside = kpl_aggregate(&[
        ("user-c", Some(&in0), b"kept?"),
        ("user-d", Some(&in1), b"no"),
    ]);
    let mut bad_md5 = kpl_aggregate(&[("user-e", Some(&in0), b"x")]);
    let n = bad_md5.len();
    bad_md5[n - 1] ^= 0xff;
    // The right MD5 over a body that is not an AggregatedRecord (a truncated length).
    let mut broken_protobuf = vec![0xF3, 0x89, 0x9A, 0xC2];
    let body = [0x0a, 0x7f, b'k'];
    broken_protobuf.extend_from_slice(&body);
    broken_protobuf.extend_from_slice(&Md5::digest(body));
    let res = s.put_with_hash(&[
        ("outer".into(), Some(in0.clone()), good),
        ("outer".into(), Some(in0.clone()), outside),
        ("outer".into(), Some(in0.clone()), bad_md5.clone()),
        ("outer".into(), Some(in0.clone()), broken_protobuf.clone()),
        ("plain".into(), Some(in0.clone()), b"plain".to_vec()),
    ]);
    assert!(res
        .iter()
        .all(|r| r.shard_id.as_deref() == Some(shards[0].shard_id.as_str())));
    let _ = hi0;

    let t = table(&ep, &s.name, "data BYTES", &[]);
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let got = recv_n(&source, 6, Duration::from_secs(10));
    let extra = drain(&source, Duration::from_millis(300), Duration::from_secs(2));
    assert!(extra.is_empty(), "{extra:?}");
    let seen: Vec<(Vec<u8>, String, Option<i64>, String)> = got
        .iter()
        .map(|r| {
            (
                bytes_of(r),
                r.partition_key.clone(),
                r.sub_sequence_number,
                r.sequence_number.clone(),
            )
        })
        .collect();
    // `data` is the user record's payload, as the raw format's row holds it.
    for r in &got {
        assert_eq!(r.data, bytes_of(r));
    }
    let seq = |i: usize| res[i].sequence_number.clone().unwrap();
    assert_eq!(
        seen,
        vec![
            (b"one".to_vec(), "user-a".into(), Some(0), seq(0)),
            (b"two".to_vec(), "user-b".into(), Some(1), seq(0)),
            (b"three".to_vec(), "user-a".into(), Some(2), seq(0)),
            (bad_md5, "outer".into(), None, seq(2)),
            (broken_protobuf, "outer".into(), None, seq(3)),
            (b"plain".to_vec(), "plain".into(), None, seq(4)),
        ]
    );
    assert_eq!(source.metrics()[&shards[0].shard_id].filtered_records, 2);

    // A checkpoint taken inside the aggregate resumes inside it.
    let mut restored_from = source.checkpoint();
    for sh in &mut restored_from.shards {
        if sh.shard_id == shards[0].shard_id {
            sh.position = ShardPosition::Sequence {
                sequence_number: seq(0),
                sub_sequence_number: 1,
            };
        }
    }
    source.close(Duration::from_secs(5)).unwrap();
    let source = KinesisSource::open(&t, SourceContext::default().restore(restored_from)).unwrap();
    let again = recv_n(&source, 3, Duration::from_secs(10));
    let payloads: Vec<Vec<u8>> = again.iter().map(bytes_of).collect();
    assert_eq!(payloads[0], b"three".to_vec());
    assert_eq!(payloads.len(), 3);
    source.close(Duration::from_secs(5)).unwrap();
}
