//! kinesis-wire against a real Kinesis-compatible server: kinesis-mock (the complete API) at
//! `KINESIS_MOCK_ENDPOINT`, and a compatibility check against kinesalite at
//! `KINESALITE_ENDPOINT`.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{client, endpoint, seq_cmp, TempStream};
use kinesis_wire::model::*;
use kinesis_wire::{codes, model::StreamRef, KinesisClient, RetryPolicy, Shutdown};

fn all_shards(c: &KinesisClient, stream: &StreamRef) -> Vec<Shard> {
    c.list_all_shards(
        &ListShardsInput::for_stream(stream.clone()),
        &RetryPolicy::default(),
        &Shutdown::new(),
    )
    .expect("ListShards")
}

/// Reads one shard from TRIM_HORIZON until caught up (an empty page at MillisBehindLatest 0)
/// or closed; bounded in calls and time.
fn read_shard(
    c: &KinesisClient,
    stream: &StreamRef,
    shard_id: &str,
) -> (Vec<Record>, GetRecordsOutput) {
    let mut it = c
        .get_shard_iterator(&GetShardIteratorInput::new(
            stream.clone(),
            shard_id,
            StartingPosition::TrimHorizon,
        ))
        .expect("GetShardIterator");
    let mut records = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..200 {
        assert!(
            Instant::now() < deadline,
            "reading {shard_id} took over 60 s"
        );
        let page = c
            .get_records(&GetRecordsInput::new(it.clone()).limit(10_000))
            .expect("GetRecords");
        let empty = page.records.is_empty();
        records.extend(page.records.iter().cloned());
        match &page.next_shard_iterator {
            None => return (records, page),
            Some(next) if empty && page.millis_behind_latest.unwrap_or(0) == 0 => {
                let _ = next;
                return (records, page);
            }
            Some(next) => it = next.clone(),
        }
    }
    panic!("shard {shard_id} not caught up after 200 GetRecords calls");
}

#[test]
fn put_2000_records_on_4_shards_and_read_them_all_back() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-roundtrip", 4);
    let stream = s.stream();

    // Payloads include every byte value so base64 both ways is exercised.
    let mut sent: Vec<Vec<u8>> = Vec::with_capacity(2000);
    let mut put_at: HashMap<String, (String, Vec<u8>)> = HashMap::new(); // seq -> (shard, data)
    for batch in 0..4 {
        let entries: Vec<PutRecordsEntry> = (0..500)
            .map(|i| {
                let n = batch * 500 + i;
                let mut data = format!("record-{n:04}-").into_bytes();
                data.extend((0..(n % 40) as u8).map(|b| b.wrapping_mul(37).wrapping_add(200)));
                PutRecordsEntry::new(data, format!("pk-{}", fastrand::u64(..)))
            })
            .collect();
        let out = RetryPolicy::default()
            .run(&Shutdown::new(), |_| {
                c.put_records(&PutRecordsInput::new(stream.clone(), entries.clone()))
            })
            .expect("PutRecords");
        assert_eq!(out.failed_record_count, 0, "{out:?}");
        assert_eq!(out.records.len(), 500);
        for (e, r) in entries.iter().zip(&out.records) {
            let seq = r.sequence_number.clone().expect("sequence number");
            let shard = r.shard_id.clone().expect("shard id");
            put_at.insert(seq, (shard, e.data.clone()));
        }
        sent.extend(entries.into_iter().map(|e| e.data));
    }

    let shards = all_shards(&c, &stream);
    assert_eq!(shards.len(), 4);
    let mut received: Vec<Vec<u8>> = Vec::with_capacity(2000);
    for shard in &shards {
        let (records, _) = read_shard(&c, &stream, &shard.shard_id);
        for w in records.windows(2) {
            assert_eq!(
                seq_cmp(&w[0].sequence_number, &w[1].sequence_number),
                std::cmp::Ordering::Less,
                "sequence numbers must increase within {}",
                shard.shard_id
            );
        }
        for r in &records {
            let (put_shard, put_data) = put_at
                .get(&r.sequence_number)
                .unwrap_or_else(|| panic!("read unknown sequence number {}", r.sequence_number));
            assert_eq!(put_shard, &shard.shard_id);
            assert_eq!(put_data, &r.data);
            assert!(r.approximate_arrival_timestamp.unwrap_or(0.0) > 1.0e9);
        }
        received.extend(records.into_iter().map(|r| r.data));
    }
    sent.sort();
    received.sort();
    assert_eq!(received.len(), 2000);
    assert!(
        received == sent,
        "the multiset of payloads read differs from what was put"
    );
}

#[test]
fn list_shards_pages_with_small_max_results() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-paging", 5);

    let mut first = ListShardsInput::for_stream(s.stream());
    first.max_results = Some(2);
    let page1 = c.list_shards(&first).unwrap();
    assert_eq!(page1.shards.len(), 2);
    let token = page1
        .next_token
        .clone()
        .expect("a NextToken after the first of 3 pages");

    let page2 = c
        .list_shards(&ListShardsInput::next_page(token).max_results(2))
        .unwrap();
    assert_eq!(page2.shards.len(), 2);
    assert_ne!(page1.shards[0].shard_id, page2.shards[0].shard_id);

    let all = c
        .list_all_shards(&first, &RetryPolicy::default(), &Shutdown::new())
        .unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.shard_id.clone()).collect();
    assert_eq!(
        ids,
        (0..5)
            .map(|i| format!("shardId-{i:012}"))
            .collect::<Vec<_>>()
    );
    // Hash ranges tile the whole key space.
    assert_eq!(all[0].hash_key_range.bounds().unwrap().0, 0);
    assert_eq!(all[4].hash_key_range.bounds().unwrap().1, u128::MAX);
    for w in all.windows(2) {
        assert_eq!(
            w[0].hash_key_range.bounds().unwrap().1 + 1,
            w[1].hash_key_range.bounds().unwrap().0
        );
    }

    // ExclusiveStartShardId and a ShardFilter.
    let after = c
        .list_all_shards(
            &ListShardsInput::for_stream(s.stream()).shard_filter(
                ShardFilter::new(ShardFilterType::AfterShardId).shard_id("shardId-000000000002"),
            ),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .unwrap();
    let after_ids: Vec<_> = after.iter().map(|s| s.shard_id.as_str()).collect();
    assert_eq!(after_ids, ["shardId-000000000003", "shardId-000000000004"]);
    let exclusive = c
        .list_shards(
            &ListShardsInput::for_stream(s.stream())
                .exclusive_start_shard_id("shardId-000000000003"),
        )
        .unwrap();
    assert_eq!(exclusive.shards.len(), 1);
    assert_eq!(exclusive.shards[0].shard_id, "shardId-000000000004");
}

#[test]
fn split_then_merge_shows_parents_children_and_hash_ranges() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-split", 2);
    let stream = s.stream();

    c.put_record(
        &PutRecordInput::new(stream.clone(), b"before-split".to_vec(), "k").explicit_hash_key("0"),
    )
    .unwrap();

    let before = all_shards(&c, &stream);
    let parent = &before[0];
    let (lo, hi) = parent.hash_key_range.bounds().unwrap();
    let mid = lo + (hi - lo) / 2 + 1;
    c.split_shard(&SplitShardInput::new(
        stream.clone(),
        parent.shard_id.clone(),
        mid.to_string(),
    ))
    .unwrap();
    s.wait_active();

    let after = all_shards(&c, &stream);
    assert_eq!(after.len(), 4, "{after:#?}");
    let closed_parent = after
        .iter()
        .find(|x| x.shard_id == parent.shard_id)
        .unwrap();
    assert!(
        closed_parent.is_closed(),
        "the split parent has an ending sequence number"
    );
    let children: Vec<&Shard> = after
        .iter()
        .filter(|x| x.parent_shard_id.as_deref() == Some(parent.shard_id.as_str()))
        .collect();
    assert_eq!(children.len(), 2);
    let mut ranges: Vec<(u128, u128)> = children
        .iter()
        .map(|x| x.hash_key_range.bounds().unwrap())
        .collect();
    ranges.sort();
    assert_eq!(ranges, vec![(lo, mid - 1), (mid, hi)]);
    assert!(children.iter().all(|x| !x.is_closed()));

    // Reading the closed parent to its end: no next iterator, and the children are named.
    let (records, last) = read_shard(&c, &stream, &parent.shard_id);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data, b"before-split");
    assert_eq!(last.next_shard_iterator, None);
    let mut child_ids: Vec<_> = last
        .child_shards
        .iter()
        .map(|x| x.shard_id.clone())
        .collect();
    child_ids.sort();
    let mut expect: Vec<_> = children.iter().map(|x| x.shard_id.clone()).collect();
    expect.sort();
    assert_eq!(child_ids, expect);
    assert!(last
        .child_shards
        .iter()
        .all(|x| x.parent_shards == vec![parent.shard_id.clone()]));

    // Merge the two children back into one.
    let (a, b) = if children[0].hash_key_range.bounds().unwrap().0 == lo {
        (children[0], children[1])
    } else {
        (children[1], children[0])
    };
    c.merge_shards(&MergeShardsInput::new(
        stream.clone(),
        a.shard_id.clone(),
        b.shard_id.clone(),
    ))
    .unwrap();
    s.wait_active();
    let merged_all = all_shards(&c, &stream);
    let merged = merged_all
        .iter()
        .find(|x| x.parent_shard_id.as_deref() == Some(a.shard_id.as_str()))
        .expect("a shard whose parent is the first child");
    assert_eq!(
        merged.adjacent_parent_shard_id.as_deref(),
        Some(b.shard_id.as_str())
    );
    assert_eq!(merged.hash_key_range.bounds().unwrap(), (lo, hi));
    let open = merged_all.iter().filter(|x| !x.is_closed()).count();
    assert_eq!(open, 2);
}

#[test]
fn missing_stream_is_resource_not_found() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let missing: StreamRef = common::unique_name("wire-missing").into();
    let e = c.describe_stream_summary(&missing).unwrap_err();
    assert!(e.is_code(codes::RESOURCE_NOT_FOUND), "{e}");
    assert_eq!(e.status(), Some(400));
    assert!(!e.is_retryable() && !e.is_throttling());
    assert!(
        e.to_string()
            .contains("DescribeStreamSummary failed: ResourceNotFoundException"),
        "{e}"
    );
    let e = c
        .get_shard_iterator(&GetShardIteratorInput::new(
            missing,
            "shardId-000000000000",
            StartingPosition::Latest,
        ))
        .unwrap_err();
    assert!(e.is_code(codes::RESOURCE_NOT_FOUND), "{e}");
}

#[test]
fn iterator_types_arn_addressing_summary_and_shard_count() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-iter", 1);
    let summary = c.describe_stream_summary(&s.stream()).unwrap();
    assert_eq!(summary.stream_name, s.name);
    assert_eq!(summary.open_shard_count, Some(1));
    let arn = StreamRef::Arn(summary.stream_arn.clone());

    let mut seqs = Vec::new();
    for i in 0..3 {
        let out = c
            .put_record(&PutRecordInput::new(
                arn.clone(),
                format!("r{i}").into_bytes(),
                "k",
            ))
            .unwrap();
        assert_eq!(out.shard_id, "shardId-000000000000");
        seqs.push(out.sequence_number);
    }
    let first_page = |pos: StartingPosition| -> Vec<Vec<u8>> {
        let it = c
            .get_shard_iterator(&GetShardIteratorInput::new(
                arn.clone(),
                "shardId-000000000000",
                pos,
            ))
            .unwrap();
        c.get_records(&GetRecordsInput::new(it).limit(10))
            .unwrap()
            .records
            .into_iter()
            .map(|r| r.data)
            .collect()
    };
    assert_eq!(
        first_page(StartingPosition::TrimHorizon),
        [b"r0", b"r1", b"r2"]
    );
    assert_eq!(
        first_page(StartingPosition::AtSequenceNumber(seqs[1].clone())),
        [b"r1", b"r2"]
    );
    assert_eq!(
        first_page(StartingPosition::AfterSequenceNumber(seqs[1].clone())),
        [b"r2"]
    );
    assert!(first_page(StartingPosition::Latest).is_empty());
    assert_eq!(first_page(StartingPosition::AtTimestamp(1.0e9)).len(), 3);

    // DescribeStream and UpdateShardCount.
    let d = c
        .describe_stream(&DescribeStreamInput::new(s.stream()))
        .unwrap();
    assert_eq!(d.stream_status, StreamStatus::Active);
    assert_eq!(d.shards.len(), 1);
    let up = c
        .update_shard_count(&UpdateShardCountInput::new(s.stream(), 2))
        .unwrap();
    assert_eq!(up.target_shard_count, Some(2));
    s.wait_active();
    let open = all_shards(&c, &s.stream())
        .into_iter()
        .filter(|x| !x.is_closed())
        .count();
    assert_eq!(open, 2);

    let listed = c.list_streams(&ListStreamsInput::default()).unwrap();
    assert!(listed.stream_names.contains(&s.name) || listed.has_more_streams);
}

#[test]
fn stream_consumers_register_describe_list_deregister() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-efo", 1);
    let stream_arn = c.describe_stream_summary(&s.stream()).unwrap().stream_arn;
    let consumer = c
        .register_stream_consumer(&RegisterStreamConsumerInput::new(stream_arn.clone(), "c1"))
        .unwrap();
    assert_eq!(consumer.consumer_name, "c1");
    let by_name = ConsumerRef::by_name(stream_arn.clone(), "c1");
    let active = c
        .wait_for_consumer_active(&by_name, Duration::from_secs(30))
        .unwrap();
    assert_eq!(active.consumer_arn, consumer.consumer_arn);
    assert_eq!(active.stream_arn, stream_arn);
    let listed = c
        .list_stream_consumers(&ListStreamConsumersInput::new(stream_arn.clone()))
        .unwrap();
    assert_eq!(listed.consumers.len(), 1);
    assert_eq!(listed.consumers[0].consumer_arn, consumer.consumer_arn);
    let by_arn = ConsumerRef::by_arn(consumer.consumer_arn.clone());
    c.deregister_stream_consumer(&by_arn).unwrap();
    // Gone (or DELETING) afterwards.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match c.describe_stream_consumer(&by_arn) {
            Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => break,
            Ok(d) if d.consumer_status == ConsumerStatus::Deleting => break,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => panic!("consumer not deregistered: {other:?}"),
        }
    }
}

#[test]
fn kinesalite_put_and_get_by_stream_name() {
    let ep = endpoint("KINESALITE_ENDPOINT");
    let c = client(&ep);
    let s = TempStream::create(&c, "wire-lite", 2);
    let entries: Vec<PutRecordsEntry> = (0..200)
        .map(|i| PutRecordsEntry::new(format!("lite-{i}").into_bytes(), format!("pk{i}")))
        .collect();
    let out = c
        .put_records(&PutRecordsInput::new(s.stream(), entries.clone()))
        .unwrap();
    assert_eq!(out.failed_record_count, 0);
    let mut got: Vec<Vec<u8>> = Vec::new();
    for shard in all_shards(&c, &s.stream()) {
        got.extend(
            read_shard(&c, &s.stream(), &shard.shard_id)
                .0
                .into_iter()
                .map(|r| r.data),
        );
    }
    got.sort();
    let mut want: Vec<Vec<u8>> = entries.into_iter().map(|e| e.data).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn kinesis_mock_tls_port_with_trust_all_certificates() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    // scripts/kinesis-server puts kinesis-mock's TLS port right after the plain one; its
    // bundled certificate is self-signed (CN=Unknown, no subjectAltName).
    let (host, port) = ep.rsplit_once(':').expect("endpoint has a port");
    let port: u16 = port.trim_end_matches('/').parse().expect("numeric port");
    let tls = format!("{}:{}", host.replacen("http://", "https://", 1), port + 1);
    let builder = || {
        kinesis_wire::KinesisClient::builder()
            .endpoint(tls.clone())
            .region("us-east-1")
            .credentials(std::sync::Arc::new(
                kinesis_wire::credentials::StaticProvider::new(
                    kinesis_wire::credentials::Credentials::new(
                        "test", "test", None, None, "BASIC",
                    ),
                ),
            ))
            .env(std::sync::Arc::new(kinesis_wire::env::MapEnv::default()))
    };
    let strict = builder().build().unwrap();
    let e = strict
        .list_streams(&ListStreamsInput::default())
        .unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(kinesis_wire::TransportErrorKind::Tls),
        "{e}"
    );
    let trusting = builder().trust_all_certificates(true).build().unwrap();
    trusting
        .list_streams(&ListStreamsInput::default())
        .expect("ListStreams over TLS with trust-all");
}
