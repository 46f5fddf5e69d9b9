//! Consumer groups (decisions D24) through the library: a member reads, acknowledges and
//! closes, and the next member starts exactly after it; what the lease table holds; the
//! options a group refuses. Against kinesis-mock and dynalite.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use kinesis_source::{
    Checkpoint, ConsumerGroup, KinesisSource, LeaseChange, LeaseState, SourceContext, SourceError,
};

fn group_table(
    ep: &str,
    dynamo: &str,
    stream: &str,
    group: &str,
    extra: &[(&str, &str)],
) -> kinesis_options::TableDef {
    let mut options = vec![
        ("scan.lease.table", group),
        ("scan.lease.endpoint", dynamo),
        ("scan.lease.failover-millis", "1500"),
        ("scan.lease.checkpoint-millis", "200"),
    ];
    options.extend_from_slice(extra);
    table(ep, stream, "data BYTES", &options)
}

fn payloads(records: &[kinesis_source::SourceRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect()
}

#[test]
fn a_graceful_hand_over_repeats_nothing_and_the_table_holds_the_positions() {
    let (ep, dynamo) = (
        endpoint("KINESIS_MOCK_ENDPOINT"),
        kinesis_tests::dynalite::endpoint(),
    );
    let stream = TempStream::create(&client(&ep), "lease-handover", 2);
    let group = kinesis_tests::unique_name("g");
    let first: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| (format!("k{i}"), format!("r{i}").into_bytes()))
        .collect();
    stream.put(&first);

    let t = group_table(&ep, &dynamo, &stream.name, &group, &[]);
    let a = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert!(a.worker_id().is_some());
    let got = recv_n(&a, 40, Duration::from_secs(20));
    assert_eq!(got.len(), 40, "{:?}", payloads(&got));
    a.ack();
    a.close(Duration::from_secs(5)).unwrap();
    let events = a.lease_events();
    let changes = |c: LeaseChange| -> BTreeSet<String> {
        events
            .iter()
            .filter(|e| e.change == c)
            .map(|e| e.shard_id.clone())
            .collect()
    };
    let shards: BTreeSet<String> = stream.shards().into_iter().map(|s| s.shard_id).collect();
    assert_eq!(changes(LeaseChange::Gained), shards, "{events:?}");
    assert_eq!(changes(LeaseChange::Released), shards, "{events:?}");

    // The table: each shard's last record, no owner.
    let g = ConsumerGroup::open(&t).unwrap();
    let leases = g.leases().unwrap();
    assert_eq!(leases.len(), 2);
    for l in &leases {
        let last = got
            .iter()
            .filter(|r| *r.shard_id == *l.shard_id)
            .map(|r| r.sequence_number.clone())
            .max_by(|x, y| (x.len(), x).cmp(&(y.len(), y)));
        if let Some(last) = last {
            assert_eq!(l.checkpoint, last, "{l:?}");
            assert_eq!(
                l.checkpoint_sub_sequence_number, 0,
                "a plain record is sub-sequence 0 (KCL)"
            );
        }
        assert_eq!(l.owner, None);
        assert_eq!(l.state, LeaseState::Free);
    }

    // The next member starts exactly after: only new records.
    let second: Vec<(String, Vec<u8>)> = (40..50)
        .map(|i| (format!("k{i}"), format!("r{i}").into_bytes()))
        .collect();
    stream.put(&second);
    let b = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let mut got = recv_n(&b, 10, Duration::from_secs(20));
    got.extend(drain(
        &b,
        Duration::from_millis(700),
        Duration::from_secs(5),
    ));
    let mut p = payloads(&got);
    p.sort();
    let mut want: Vec<String> = (40..50).map(|i| format!("r{i}")).collect();
    want.sort();
    assert_eq!(p, want, "nothing repeated, nothing lost");
    b.close(Duration::from_secs(5)).unwrap();
    assert!(g.delete().unwrap(), "the table existed");
}

#[test]
fn without_acknowledgement_the_next_member_reads_everything_again() {
    let (ep, dynamo) = (
        endpoint("KINESIS_MOCK_ENDPOINT"),
        kinesis_tests::dynalite::endpoint(),
    );
    let stream = TempStream::create(&client(&ep), "lease-noack", 1);
    let group = kinesis_tests::unique_name("g");
    let records: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| (format!("k{i}"), format!("r{i}").into_bytes()))
        .collect();
    stream.put(&records);
    let t = group_table(&ep, &dynamo, &stream.name, &group, &[]);
    let a = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(recv_n(&a, 12, Duration::from_secs(20)).len(), 12);
    // Acknowledge the first 12, then 0 more: close writes what was acknowledged.
    a.close(Duration::from_secs(5)).unwrap();
    let b = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(
        recv_n(&b, 12, Duration::from_secs(20)).len(),
        12,
        "at-least-once: nothing was acknowledged"
    );
    b.close(Duration::from_secs(5)).unwrap();
    ConsumerGroup::open(&t).unwrap().delete().unwrap();
}

#[test]
fn a_group_refuses_parallel_contexts_and_restored_checkpoints() {
    let t = table(
        "http://127.0.0.1:1",
        "s",
        "data BYTES",
        &[("scan.lease.table", "g-refuse")],
    );
    let e = KinesisSource::open(&t, SourceContext::new(0, 3)).unwrap_err();
    let SourceError::Config { message } = &e else {
        panic!("{e:?}")
    };
    assert!(
        message.contains("parallelism 3 cannot be used with scan.lease.table (g-refuse)"),
        "{message}"
    );
    let e = KinesisSource::open(&t, SourceContext::default().restore(Checkpoint::default()))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("SourceContext::restore cannot be used with scan.lease.table"),
        "{e}"
    );
    let plain = table("http://127.0.0.1:1", "s", "data BYTES", &[]);
    let e = ConsumerGroup::open(&plain).unwrap_err();
    assert!(e.to_string().contains("scan.lease.table is not set"), "{e}");
}
