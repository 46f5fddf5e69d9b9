//! The source against kinesis-mock (`KINESIS_MOCK_ENDPOINT`): start positions, metadata,
//! resharding, checkpoints, subtask assignment and EFO registration. A few hundred records
//! per shard at most: kinesis-mock slows down as a shard fills.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{bytes_of, drain, endpoint, recv_n, table, Put, TempStream};
use kinesis_formats::Value;
use kinesis_source::{Checkpoint, KinesisSource, ShardPosition, SourceContext};
use kinesis_wire::model::{
    ConsumerRef, ConsumerStatus, ListStreamConsumersInput, MergeShardsInput,
    RegisterStreamConsumerInput, SplitShardInput,
};
use kinesis_wire::{codes, model::StreamRef};

fn payloads(prefix: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| (format!("k{}", i % 7), format!("{prefix}-{i}").into_bytes()))
        .collect()
}

fn texts(records: &[kinesis_source::SourceRecord]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect()
}

#[test]
fn latest_starts_after_open_and_at_timestamp_starts_at_the_time() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-latest", 1);
    s.put(&payloads("before", 5));
    std::thread::sleep(Duration::from_millis(300));
    let t_between = Utc::now();
    std::thread::sleep(Duration::from_millis(300));

    let latest = table(
        &ep,
        &s.name,
        "data BYTES",
        &[("scan.stream.initpos", "LATEST")],
    );
    let opened = Utc::now().timestamp_millis();
    let source = KinesisSource::open(&latest, SourceContext::default()).unwrap();
    let open_returned = Utc::now().timestamp_millis();
    // LATEST is AT_TIMESTAMP(the time of open) (§5.1), so the checkpoint pins it to a time
    // before anything is read.
    match source.checkpoint().shards[0].position {
        ShardPosition::AtTimestamp { epoch_millis } => assert!(
            (opened..=open_returned).contains(&epoch_millis),
            "{epoch_millis} not within open ({opened}..={open_returned})"
        ),
        ref p => panic!("{p:?}"),
    }
    std::thread::sleep(Duration::from_millis(300));
    s.put(&payloads("after", 5));
    let got = recv_n(&source, 5, Duration::from_secs(10));
    let mut got_all = got.clone();
    got_all.extend(drain(
        &source,
        Duration::from_millis(400),
        Duration::from_secs(3),
    ));
    let want: BTreeSet<String> = (0..5).map(|i| format!("after-{i}")).collect();
    assert_eq!(texts(&got_all), want);
    assert_eq!(got_all.len(), 5);
    source.close(Duration::from_secs(5)).unwrap();

    // The same instant as decimal epoch seconds, in the default pattern with an offset, and
    // in a pattern without a zone, which means UTC (D10).
    let plus_one = chrono::FixedOffset::east_opt(3600).unwrap();
    let forms = [
        (
            format!("{:.3}", t_between.timestamp_millis() as f64 / 1000.0),
            None,
        ),
        (
            t_between
                .with_timezone(&plus_one)
                .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
                .to_string(),
            None,
        ),
        (
            t_between.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            Some("yyyy-MM-dd HH:mm:ss.SSS"),
        ),
    ];
    for (ts, pattern) in &forms {
        let mut options = vec![
            ("scan.stream.initpos", "AT_TIMESTAMP"),
            ("scan.stream.initpos-timestamp", ts.as_str()),
        ];
        if let Some(p) = pattern {
            options.push(("scan.stream.initpos-timestamp-format", p));
        }
        let at = table(&ep, &s.name, "data BYTES", &options);
        let source = KinesisSource::open(&at, SourceContext::default()).unwrap();
        assert_eq!(
            source.checkpoint().shards[0].position,
            ShardPosition::AtTimestamp {
                epoch_millis: t_between.timestamp_millis()
            },
            "{ts}"
        );
        let mut got = recv_n(&source, 5, Duration::from_secs(10));
        got.extend(drain(
            &source,
            Duration::from_millis(400),
            Duration::from_secs(3),
        ));
        assert_eq!(texts(&got), want, "AT_TIMESTAMP {ts}");
        assert_eq!(got.len(), 5);
        source.close(Duration::from_secs(5)).unwrap();
    }

    // Restored state wins over the configured LATEST: a shard missing from the checkpoint
    // starts at TRIM_HORIZON (§5.8), so every record is read.
    let source = KinesisSource::open(
        &latest,
        SourceContext::default().restore(Checkpoint::default()),
    )
    .unwrap();
    let mut got = recv_n(&source, 10, Duration::from_secs(10));
    got.extend(drain(
        &source,
        Duration::from_millis(400),
        Duration::from_secs(3),
    ));
    let all: BTreeSet<String> = (0..5)
        .flat_map(|i| [format!("before-{i}"), format!("after-{i}")])
        .collect();
    assert_eq!(texts(&got), all);
    assert_eq!(got.len(), 10);
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn with_latest_children_found_through_child_shards_start_at_trim_horizon() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-latest-split", 1);
    s.put(&payloads("old", 3));
    // Discovery runs once an hour: the children can only come from the ChildShards of the
    // parent's last GetRecords response (D5).
    let t = table(
        &ep,
        &s.name,
        "data BYTES",
        &[
            ("scan.stream.initpos", "LATEST"),
            ("scan.shard.discovery.intervalmillis", "3600000"),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let parent = s.shards().remove(0);
    let (lo, hi) = parent.hash_key_range.bounds().unwrap();
    c.split_shard(&SplitShardInput::new(
        s.stream(),
        parent.shard_id.clone(),
        (lo + (hi - lo) / 2).to_string(),
    ))
    .expect("split");
    c.wait_for_stream_active(&s.stream(), Duration::from_secs(30))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let parent_done = |source: &KinesisSource| {
        source
            .checkpoint()
            .get(&s.name, &parent.shard_id)
            .is_some_and(|st| st.position == ShardPosition::ShardEnd)
    };
    while (source.shard_ids().len() < 3 || !parent_done(&source)) && Instant::now() < deadline {
        assert!(source
            .recv_timeout(Duration::from_millis(100))
            .unwrap()
            .is_none());
    }
    // The children were not there at open: they start at TRIM_HORIZON, not at the time of
    // open; the parent was read to its end from the time of open.
    let cp = source.checkpoint();
    for st in &cp.shards {
        let want = if st.shard_id == parent.shard_id {
            ShardPosition::ShardEnd
        } else {
            ShardPosition::TrimHorizon
        };
        assert_eq!(st.position, want, "{}", st.shard_id);
    }
    assert_eq!(cp.shards.len(), 3);
    let res = s.put(&payloads("new", 10));
    let got = recv_n(&source, 10, Duration::from_secs(10));
    let want: BTreeSet<String> = (0..10).map(|i| format!("new-{i}")).collect();
    assert_eq!(texts(&got), want);
    assert!(res
        .iter()
        .all(|r| r.shard_id.as_deref() != Some(&*parent.shard_id)));
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn metadata_columns_equal_what_put_records_returned() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-meta", 2);
    let before = Utc::now() - chrono::Duration::seconds(2);
    let records = payloads("m", 20);
    let res = s.put(&records);
    let after = Utc::now() + chrono::Duration::seconds(2);
    let t = table(
        &ep,
        &s.name,
        "`data` STRING, `ts` TIMESTAMP_LTZ(3) NOT NULL METADATA FROM 'timestamp' VIRTUAL, \
         `sid` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL, \
         `seq` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL",
        &[],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let got = recv_n(&source, 20, Duration::from_secs(10));
    assert_eq!(got.len(), 20);
    let by_data: HashMap<String, (String, String)> = records
        .iter()
        .zip(&res)
        .map(|((_, d), r)| {
            (
                String::from_utf8(d.clone()).unwrap(),
                (
                    r.shard_id.clone().unwrap(),
                    r.sequence_number.clone().unwrap(),
                ),
            )
        })
        .collect();
    for r in &got {
        let [Value::String(data), Value::TimestampLtz(ts), Value::String(sid), Value::String(seq)] =
            &r.row.values[..]
        else {
            panic!("row {:?}", r.row)
        };
        let (want_shard, want_seq) = &by_data[data];
        assert_eq!(r.data, data.as_bytes(), "the stored payload");
        assert_eq!((sid, seq), (want_shard, want_seq));
        assert_eq!(
            (&*r.shard_id, &r.sequence_number),
            (want_shard.as_str(), want_seq)
        );
        assert_eq!(Some(*ts), r.arrival);
        assert!(
            *ts >= before && *ts <= after,
            "{ts} not within the put window"
        );
        assert_eq!(r.sub_sequence_number, None);
    }
    source.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn split_and_merge_while_records_flow_every_record_once_in_key_order() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-reshard", 2);
    let t = table(&ep, &s.name, "data BYTES", &[]);
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();

    const KEYS: usize = 16;
    const BATCHES: usize = 24;
    let writer = {
        let s = s.handle();
        std::thread::spawn(move || {
            let s_client = s.client.clone();
            let stream = s.stream();
            for b in 0..BATCHES {
                let recs: Vec<(String, Vec<u8>)> = (0..KEYS)
                    .map(|k| (format!("key-{k}"), format!("key-{k}:{b}").into_bytes()))
                    .collect();
                s.put(&recs);
                if b == 8 {
                    let shards = s.shards();
                    let s0 = &shards[0];
                    let (lo, hi) = s0.hash_key_range.bounds().unwrap();
                    s_client
                        .split_shard(&SplitShardInput::new(
                            stream.clone(),
                            s0.shard_id.clone(),
                            (lo + (hi - lo) / 2).to_string(),
                        ))
                        .expect("split");
                    s_client
                        .wait_for_stream_active(&stream, Duration::from_secs(30))
                        .unwrap();
                }
                if b == 16 {
                    // Merge the upper child of the split with the old second shard.
                    let shards = s.shards();
                    let open: Vec<_> = shards.iter().filter(|x| !x.is_closed()).collect();
                    let s1 = shards
                        .iter()
                        .find(|x| x.shard_id == "shardId-000000000001")
                        .unwrap();
                    let (s1_lo, _) = s1.hash_key_range.bounds().unwrap();
                    let upper = open
                        .iter()
                        .find(|x| s1_lo > 0 && x.hash_key_range.bounds().unwrap().1 == s1_lo - 1)
                        .expect("child adjacent to shard 1");
                    s_client
                        .merge_shards(&MergeShardsInput::new(
                            stream.clone(),
                            upper.shard_id.clone(),
                            s1.shard_id.clone(),
                        ))
                        .expect("merge");
                    s_client
                        .wait_for_stream_active(&stream, Duration::from_secs(30))
                        .unwrap();
                }
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    let total = KEYS * BATCHES;
    let mut got = recv_n(&source, total, Duration::from_secs(60));
    writer.join().unwrap();
    got.extend(recv_n(&source, total - got.len(), Duration::from_secs(20)));
    got.extend(drain(
        &source,
        Duration::from_millis(600),
        Duration::from_secs(5),
    ));

    check_once_and_in_key_order(&got, total);
    let shards = source.shard_ids();
    assert_eq!(shards.len(), 5, "{shards:?}");
    let m = source.metrics();
    for id in ["shardId-000000000000", "shardId-000000000001"] {
        assert!(m[id].finished, "{id} finished");
    }
    let cp = source.checkpoint();
    assert_eq!(
        cp.shards
            .iter()
            .filter(|s| s.position == ShardPosition::ShardEnd)
            .count(),
        3,
        "{cp:?}"
    );
    source.close(Duration::from_secs(5)).unwrap();

    // Restoring from it never reopens the finished shards.
    let source2 = KinesisSource::open(
        &t,
        SourceContext::default().restore(Checkpoint::from_json(&cp.to_json()).unwrap()),
    )
    .unwrap();
    assert!(drain(&source2, Duration::from_millis(800), Duration::from_secs(3)).is_empty());
    source2.close(Duration::from_secs(5)).unwrap();

    // Catching up after the reshard: all five shards are listed at once, and the children
    // still wait for their parents (small pages make concurrent reading show).
    let t = table(
        &ep,
        &s.name,
        "data BYTES",
        &[("scan.shard.getrecords.maxrecordcount", "10")],
    );
    let late = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(late.assigned_shards().len(), 5);
    let mut got = recv_n(&late, total, Duration::from_secs(30));
    got.extend(drain(
        &late,
        Duration::from_millis(500),
        Duration::from_secs(3),
    ));
    check_once_and_in_key_order(&got, total);
    late.close(Duration::from_secs(5)).unwrap();
}

fn check_once_and_in_key_order(got: &[kinesis_source::SourceRecord], total: usize) {
    let texts: Vec<String> = got
        .iter()
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect();
    let unique: BTreeSet<&String> = texts.iter().collect();
    assert_eq!(unique.len(), texts.len(), "a record was read twice");
    assert_eq!(texts.len(), total, "every record read once");
    let mut last: HashMap<String, i64> = HashMap::new();
    for (t, r) in texts.iter().zip(got) {
        let (k, n) = t.split_once(':').unwrap();
        let n: i64 = n.parse().unwrap();
        let prev = last.insert(k.to_string(), n).unwrap_or(-1);
        assert!(n > prev, "{k}: {n} after {prev} (shard {})", r.shard_id);
    }
}

#[test]
fn checkpoint_after_half_then_restore_reads_exactly_the_rest() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-ckpt", 2);
    let records = payloads("r", 400);
    s.put(&records);
    let t = table(
        &ep,
        &s.name,
        "data BYTES",
        &[("scan.shard.getrecords.maxrecordcount", "37")],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let first = recv_n(&source, 200, Duration::from_secs(20));
    assert_eq!(first.len(), 200);
    let cp = source.checkpoint();
    source.close(Duration::from_secs(5)).unwrap();
    let json = cp.to_json();

    let source = KinesisSource::open(
        &t,
        SourceContext::default().restore(Checkpoint::from_json(&json).unwrap()),
    )
    .unwrap();
    let mut rest = recv_n(&source, 200, Duration::from_secs(20));
    rest.extend(drain(
        &source,
        Duration::from_millis(500),
        Duration::from_secs(3),
    ));
    source.close(Duration::from_secs(5)).unwrap();

    // The same checkpoint restored with parallelism 2 (union state): together the two
    // subtasks read exactly the same rest.
    let subtasks: Vec<KinesisSource> = (0..2)
        .map(|i| {
            KinesisSource::open(
                &t,
                SourceContext::new(i, 2).restore(Checkpoint::from_json(&json).unwrap()),
            )
            .unwrap()
        })
        .collect();
    let mut rest2 = Vec::new();
    for src in &subtasks {
        rest2.extend(drain(
            src,
            Duration::from_millis(700),
            Duration::from_secs(10),
        ));
    }
    for src in subtasks {
        src.close(Duration::from_secs(5)).unwrap();
    }
    let mut a: Vec<String> = rest
        .iter()
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect();
    let mut b: Vec<String> = rest2
        .iter()
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "parallelism 2 restores the same rest");

    let mut all: Vec<String> = first
        .iter()
        .chain(&rest)
        .map(|r| String::from_utf8(bytes_of(r)).unwrap())
        .collect();
    assert_eq!(all.len(), 400, "no duplicate, nothing lost");
    all.sort();
    let mut want: Vec<String> = records
        .iter()
        .map(|(_, d)| String::from_utf8(d.clone()).unwrap())
        .collect();
    want.sort();
    assert_eq!(all, want);
}

/// Java's `String.hashCode` (UTF-16 code units, wrapping int32), written from §5.9.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// Flink's `default` assigner, from §5.9: `StreamShardHandle.hashCode` then `abs(h % n)`.
fn expected_default(stream: &str, shard_id: &str, n: usize) -> usize {
    let h = 17i32
        .wrapping_mul(37)
        .wrapping_add(java_hash(stream))
        .wrapping_mul(37)
        .wrapping_add(java_hash(shard_id));
    h.wrapping_rem(n as i32).unsigned_abs() as usize
}

/// Flink's `uniform` assigner, from §5.9: `int32(mid * n / 2^128) + hash(stream)`, wrapping.
fn expected_uniform(stream: &str, lo: u128, hi: u128, n: usize) -> usize {
    let mid = (lo >> 1) + (hi >> 1) + (lo & hi & 1); // floor((lo + hi) / 2) without overflow
    let n128 = n as u128;
    let (mid_hi, mid_lo) = (mid >> 64, mid & u128::from(u64::MAX));
    let scaled = (mid_hi * n128 + ((mid_lo * n128) >> 64)) >> 64; // floor(mid * n / 2^128)
    let assign = (scaled as u32 as i32).wrapping_add(java_hash(stream));
    assign.wrapping_rem(n as i32).unsigned_abs() as usize
}

#[test]
fn the_expected_assignments_follow_the_reference_examples() {
    // §5.9's computed examples and UniformShardAssignerTest.
    assert_eq!(java_hash("myStream"), -806594484);
    assert_eq!(expected_default("myStream", "shardId-000000000000", 2), 1);
    assert_eq!(expected_default("myStream", "shardId-000000000000", 3), 0);
    assert_eq!(expected_default("myStream", "shardId-000000000000", 4), 3);
    assert_eq!(expected_default("myStream", "shardId-000000000001", 2), 0);
    assert_eq!(expected_default("myStream", "shardId-000000000001", 3), 2);
    assert_eq!(expected_default("myStream", "shardId-000000000002", 3), 1);
    let max = u128::MAX;
    for ((lo, hi), want) in [
        ((0, 0), 0),
        ((0, max / 3), 0),
        ((max / 3, max / 3 * 2), 1),
        ((max / 3 * 2, max), 2),
        ((max, max), 2),
    ] {
        assert_eq!(expected_uniform("", lo, hi, 3), want, "[{lo}, {hi}]");
    }
}

#[test]
fn parallelism_three_covers_every_shard_exactly_once_default_and_uniform() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-par", 5);
    let records = payloads("p", 60);
    let res = s.put(&records);
    let shards = s.shards();
    let all: BTreeSet<String> = shards.iter().map(|x| x.shard_id.clone()).collect();
    for assigner in ["default", "uniform"] {
        let t = table(
            &ep,
            &s.name,
            "data BYTES",
            &[("scan.shard-assigner", assigner)],
        );
        let sources: Vec<KinesisSource> = (0..3)
            .map(|i| KinesisSource::open(&t, SourceContext::new(i, 3)).unwrap())
            .collect();
        let mut owner: BTreeMap<String, usize> = BTreeMap::new();
        for (i, src) in sources.iter().enumerate() {
            for id in src.assigned_shards() {
                assert!(
                    owner.insert(id.clone(), i).is_none(),
                    "{assigner}: {id} assigned twice"
                );
            }
        }
        assert_eq!(owner.keys().cloned().collect::<BTreeSet<_>>(), all);
        // Bit-exact with Flink: the subtask computed independently from §5.9.
        for sh in &shards {
            let (lo, hi) = sh.hash_key_range.bounds().unwrap();
            let want = match assigner {
                "default" => expected_default(&s.name, &sh.shard_id, 3),
                _ => expected_uniform(&s.name, lo, hi, 3),
            };
            assert_eq!(owner[&sh.shard_id], want, "{assigner}: {}", sh.shard_id);
        }
        // Each subtask reads exactly the records of its shards.
        let mut seen = BTreeSet::new();
        for (i, src) in sources.iter().enumerate() {
            let want: usize = res
                .iter()
                .filter(|r| owner[r.shard_id.as_deref().unwrap()] == i)
                .count();
            let mut got = recv_n(src, want, Duration::from_secs(10));
            got.extend(drain(
                src,
                Duration::from_millis(300),
                Duration::from_secs(2),
            ));
            assert_eq!(got.len(), want, "{assigner}: subtask {i}");
            assert!(got.iter().all(|r| owner[&*r.shard_id] == i));
            seen.extend(texts(&got));
        }
        assert_eq!(seen.len(), 60, "{assigner}: every record once");
        for src in sources {
            src.close(Duration::from_secs(5)).unwrap();
        }
    }
}

fn consumer_status(c: &kinesis_wire::KinesisClient, arn: &str) -> Option<ConsumerStatus> {
    match c.describe_stream_consumer(&ConsumerRef::by_arn(arn)) {
        Ok(d) => Some(d.consumer_status),
        Err(e) if e.is_code(codes::RESOURCE_NOT_FOUND) => None,
        Err(e) => panic!("{e}"),
    }
}

fn consumers(c: &kinesis_wire::KinesisClient, stream: &str) -> Vec<String> {
    let arn = c
        .describe_stream_summary(&StreamRef::from(stream))
        .unwrap()
        .stream_arn;
    c.list_stream_consumers(&ListStreamConsumersInput::new(arn))
        .unwrap()
        .consumers
        .into_iter()
        .map(|c| c.consumer_name)
        .collect()
}

fn efo_table(ep: &str, stream: &str, extra: &[(&str, &str)]) -> kinesis_options::TableDef {
    let mut o = vec![
        ("scan.stream.recordpublisher", "EFO"),
        ("scan.stream.registerstreamconsumer.backoff.base", "50"),
        ("scan.stream.registerstreamconsumer.backoff.max", "200"),
        ("scan.stream.deregisterstreamconsumer.backoff.base", "50"),
        ("scan.stream.deregisterstreamconsumer.backoff.max", "200"),
        ("scan.stream.registerstreamconsumer.timeout", "20"),
        ("scan.stream.deregisterstreamconsumer.timeout", "20"),
    ];
    o.extend_from_slice(extra);
    table(ep, stream, "data BYTES", &o)
}

#[test]
fn efo_lazy_registers_reads_by_polling_and_deregisters_on_close() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-efo-lazy", 1);
    s.put(&payloads("e", 3));
    let t = efo_table(
        &ep,
        &s.name,
        &[
            ("scan.stream.efo.registration", "LAZY"),
            ("scan.stream.efo.consumername", "lazy-consumer"),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let arn = source.consumer_arns()[&s.name].clone();
    assert!(arn.contains("lazy-consumer"), "{arn}");
    assert_eq!(consumer_status(&c, &arn), Some(ConsumerStatus::Active));
    assert_eq!(source.checkpoint().consumer_arns[&s.name], arn);
    assert_eq!(recv_n(&source, 3, Duration::from_secs(10)).len(), 3);
    // Dropping is not a graceful close: the consumer stays.
    drop(source);
    assert_eq!(consumer_status(&c, &arn), Some(ConsumerStatus::Active));

    // An unset strategy is LAZY (§6.1): it finds the same consumer and deregisters it on
    // close.
    let t = efo_table(
        &ep,
        &s.name,
        &[("scan.stream.efo.consumername", "lazy-consumer")],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(source.consumer_arns()[&s.name], arn);
    assert_eq!(recv_n(&source, 3, Duration::from_secs(10)).len(), 3);
    source.close(Duration::from_secs(5)).unwrap();
    let st = consumer_status(&c, &arn);
    assert!(
        st.is_none() || st == Some(ConsumerStatus::Deleting),
        "LAZY deregisters on close: {st:?}"
    );
}

#[test]
fn efo_eager_registers_and_keeps_the_consumer() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-efo-eager", 1);
    s.put(&payloads("e", 3));
    let t = efo_table(
        &ep,
        &s.name,
        &[
            ("scan.stream.efo.registration", "EAGER"),
            ("scan.stream.efo.consumername", "eager-consumer"),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let arn = source.consumer_arns()[&s.name].clone();
    assert_eq!(consumer_status(&c, &arn), Some(ConsumerStatus::Active));
    assert_eq!(recv_n(&source, 3, Duration::from_secs(10)).len(), 3);
    source.close(Duration::from_secs(5)).unwrap();
    // A second source finds the consumer instead of registering another one.
    let again = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(again.consumer_arns()[&s.name], arn);
    again.close(Duration::from_secs(5)).unwrap();
    assert_eq!(consumer_status(&c, &arn), Some(ConsumerStatus::Active));
    assert_eq!(consumers(&c, &s.name), vec!["eager-consumer".to_string()]);
}

#[test]
fn efo_none_uses_the_given_arn_without_registering() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-efo-none", 1);
    s.put(&payloads("e", 3));
    let stream_arn = c.describe_stream_summary(&s.stream()).unwrap().stream_arn;
    let consumer = c
        .register_stream_consumer(&RegisterStreamConsumerInput::new(
            stream_arn,
            "own-consumer",
        ))
        .unwrap();
    let key = format!("scan.stream.efo.consumerarn.{}", s.name);
    let t = efo_table(
        &ep,
        &s.name,
        &[
            ("scan.stream.efo.registration", "NONE"),
            (&key, &consumer.consumer_arn),
        ],
    );
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    assert_eq!(source.consumer_arns()[&s.name], consumer.consumer_arn);
    assert_eq!(recv_n(&source, 3, Duration::from_secs(10)).len(), 3);
    source.close(Duration::from_secs(5)).unwrap();
    // NONE registered nothing (under any name) and deregistered nothing.
    assert_eq!(consumers(&c, &s.name), vec!["own-consumer".to_string()]);
    assert!(consumer_status(&c, &consumer.consumer_arn).is_some());
}

#[test]
fn a_missing_stream_fails_open_with_flinks_message() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    let name = format!("src-missing-{:08x}", fastrand::u32(..));
    let t = table(&ep, &name, "data BYTES", &[]);
    let err = KinesisSource::open(&t, SourceContext::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Stream not found. Error while getting shard list") && text.contains(&name),
        "{text}"
    );
}

/// A registered assigner (D15): shard 0 to subtask 0, every other shard to subtask 1.
struct ChildrenElsewhere;

impl kinesis_options::ShardAssigner for ChildrenElsewhere {
    fn assign(&self, shard: &kinesis_options::ShardInfo<'_>, _parallelism: usize) -> i32 {
        i32::from(shard.shard_id != "shardId-000000000000")
    }
}

#[test]
fn periodic_discovery_hands_a_child_to_the_subtask_it_is_assigned_to() {
    let ep = endpoint("KINESIS_MOCK_ENDPOINT");
    kinesis_options::register_shard_assigner("children-elsewhere", || {
        std::sync::Arc::new(ChildrenElsewhere)
    });
    let c = common::client(&ep);
    let s = TempStream::create(&c, "src-discover", 1);
    s.put(&payloads("old", 4));
    let t = table(
        &ep,
        &s.name,
        "data BYTES",
        &[("scan.shard-assigner", "children-elsewhere")],
    );
    let parent_reader = KinesisSource::open(&t, SourceContext::new(0, 2)).unwrap();
    let child_reader = KinesisSource::open(&t, SourceContext::new(1, 2)).unwrap();
    assert!(child_reader.assigned_shards().is_empty());
    assert_eq!(
        texts(&recv_n(&parent_reader, 4, Duration::from_secs(10))).len(),
        4
    );

    let parent = s.shards().remove(0);
    let (lo, hi) = parent.hash_key_range.bounds().unwrap();
    c.split_shard(&SplitShardInput::new(
        s.stream(),
        parent.shard_id.clone(),
        (lo + (hi - lo) / 2).to_string(),
    ))
    .expect("split");
    c.wait_for_stream_active(&s.stream(), Duration::from_secs(30))
        .unwrap();
    s.put(&payloads("new", 10));
    // Subtask 1 learns of the children only from its periodic ListShards (200 ms) and reads
    // them from TRIM_HORIZON without waiting for the parent (Flink 4.x across subtasks).
    let mut got = recv_n(&child_reader, 10, Duration::from_secs(10));
    got.extend(drain(
        &child_reader,
        Duration::from_millis(300),
        Duration::from_secs(2),
    ));
    let want: BTreeSet<String> = (0..10).map(|i| format!("new-{i}")).collect();
    assert_eq!(texts(&got), want);
    assert_eq!(got.len(), 10);
    assert_eq!(child_reader.shard_ids().len(), 2);
    // Subtask 0 reads the parent to its end and takes no child.
    assert!(drain(
        &parent_reader,
        Duration::from_millis(300),
        Duration::from_secs(2)
    )
    .is_empty());
    assert_eq!(parent_reader.shard_ids(), vec![parent.shard_id.clone()]);
    parent_reader.close(Duration::from_secs(5)).unwrap();
    child_reader.close(Duration::from_secs(5)).unwrap();
}
