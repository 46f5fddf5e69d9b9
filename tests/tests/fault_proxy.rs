//! The fault proxy in front of a real kinesalite: every fault kind as a raw HTTP client sees
//! it (status, body, headers, or the transport error), what reached the server (the stream
//! read back directly), and the proxy's counters. Where a `KinesisClient` is used, only
//! assertions that do not depend on its error classification are made (status, code of JSON
//! errors, transport vs service error).

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kinesis_tests::fault_proxy::{Fault, FaultKind, FaultProxy, Plan, Reply, Stats};
use kinesis_tests::http1::{Message, RawConnection};
use kinesis_tests::{client, endpoint, TempStream};
use kinesis_wire::model::{
    GetRecordsInput, GetShardIteratorInput, ListStreamsInput, PutRecordsInput,
};
use kinesis_wire::{
    model::{PutRecordsEntry, StartingPosition},
    KinesisError,
};
use serde_json::{json, Value};

const PTE: &str = "ProvisionedThroughputExceededException";

/// kinesalite and a fresh one-shard stream on it.
fn setup(prefix: &str) -> (String, TempStream) {
    let upstream = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&upstream), prefix, 1);
    (upstream, stream)
}

fn put_body(stream: &str, data: &[String]) -> Vec<u8> {
    let records: Vec<Value> = data
        .iter()
        .map(|d| json!({"Data": B64.encode(d), "PartitionKey": d}))
        .collect();
    json!({"StreamName": stream, "Records": records})
        .to_string()
        .into_bytes()
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:03}")).collect()
}

/// Every record's data in the stream's one shard, read directly from the server.
fn stored(stream: &TempStream) -> Vec<String> {
    let mut iterator = Some(
        stream
            .client
            .get_shard_iterator(&GetShardIteratorInput::new(
                stream.stream(),
                "shardId-000000000000",
                StartingPosition::TrimHorizon,
            ))
            .expect("GetShardIterator"),
    );
    let mut out = Vec::new();
    for _ in 0..50 {
        let Some(it) = iterator.take() else { break };
        let page = stream
            .client
            .get_records(&GetRecordsInput::new(it).limit(10_000))
            .expect("GetRecords");
        if page.records.is_empty() {
            break;
        }
        out.extend(
            page.records
                .into_iter()
                .map(|r| String::from_utf8(r.data).unwrap()),
        );
        iterator = page.next_shard_iterator;
    }
    out
}

fn raw(proxy: &FaultProxy) -> RawConnection {
    RawConnection::connect(&proxy.url, Duration::from_secs(20)).expect("connect to the proxy")
}

/// Polls `cond` on the proxy's stats for up to 10 s.
fn wait_for(proxy: &FaultProxy, cond: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = proxy.stats();
        if cond(&stats) || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn pass_through_relays_answers_on_one_kept_alive_connection() {
    let (upstream, stream) = setup("fp-pass");
    let proxy = FaultProxy::start(&upstream, Plan::pass_through());
    let mut conn = raw(&proxy);
    let listed = conn.call("ListStreams", b"{}").unwrap();
    assert_eq!(listed.status(), 200, "{}", listed.body_text());
    assert!(listed.body_text().contains(&stream.name));
    let data = names("pass", 3);
    let put = conn
        .call("PutRecords", &put_body(&stream.name, &data))
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.body_text());
    let missing = conn
        .call(
            "DescribeStreamSummary",
            br#"{"StreamName":"fp-no-such-stream"}"#,
        )
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert!(missing.body_text().contains("ResourceNotFoundException"));

    // And a real client through it.
    let via_proxy = client(&proxy.url);
    via_proxy
        .put_records(&PutRecordsInput::new(
            stream.stream(),
            vec![PutRecordsEntry::new(b"pass-client".to_vec(), "k")],
        ))
        .unwrap();
    let mut want = data.clone();
    want.push("pass-client".into());
    assert_eq!(stored(&stream), want);

    let stats = proxy.stats();
    assert_eq!(stats.requests_for("ListStreams"), 1);
    assert_eq!(stats.requests_for("PutRecords"), 2);
    assert_eq!(stats.requests_for("DescribeStreamSummary"), 1);
    assert_eq!(stats.faults_of(FaultKind::Pass), 4);
    assert_eq!(stats.total_requests(), 4);
    // The raw connection carried three requests: one connection for it, one for the client.
    assert_eq!(stats.connections, 2);
    assert_eq!(stats.applied_unanswered_count, 0);
}

#[test]
fn reset_before_forward_is_a_reset_and_writes_nothing() {
    let (upstream, stream) = setup("fp-reset-before");
    let plan = Plan::pass_through().script("PutRecords", [Fault::ResetBeforeForward]);
    let proxy = FaultProxy::start(&upstream, plan);
    let err = raw(&proxy)
        .call("PutRecords", &put_body(&stream.name, &names("rb", 2)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    // The script is used up: the next one passes.
    let ok = raw(&proxy)
        .call("PutRecords", &put_body(&stream.name, &names("after", 1)))
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(stored(&stream), names("after", 1));
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::ResetBeforeForward), 1);
    assert_eq!(stats.requests_for("PutRecords"), 2);
    assert_eq!(stats.applied_unanswered_count, 0);
}

#[test]
fn reset_after_forward_applies_the_request_and_loses_the_answer() {
    let (upstream, stream) = setup("fp-reset-after");
    let plan = Plan::pass_through().script("PutRecords", [Fault::ResetAfterForward]);
    let proxy = FaultProxy::start(&upstream, plan);
    let data = names("ra", 2);
    let err = raw(&proxy)
        .call("PutRecords", &put_body(&stream.name, &data))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert_eq!(stored(&stream), data);
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::ResetAfterForward), 1);
    assert_eq!(stats.applied_unanswered_count, 1);
    let entries = stats.applied_unanswered[0].put_records_entries();
    let want: Vec<(String, String)> = data.iter().map(|d| (d.clone(), B64.encode(d))).collect();
    assert_eq!(entries, want);
}

#[test]
fn truncated_answer_is_cut_mid_body_after_the_server_applied_it() {
    let (upstream, stream) = setup("fp-truncate");
    let plan = Plan::pass_through().script("PutRecords", [Fault::Truncate, Fault::Truncate]);
    let proxy = FaultProxy::start(&upstream, plan);
    let err = raw(&proxy)
        .call("PutRecords", &put_body(&stream.name, &names("tr", 1)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    // A client sees a transport error, not a service answer.
    let err = client(&proxy.url)
        .put_records(&PutRecordsInput::new(
            stream.stream(),
            vec![PutRecordsEntry::new(b"tr-client".to_vec(), "k")],
        ))
        .unwrap_err();
    assert!(matches!(err, KinesisError::Transport { .. }), "{err:?}");
    assert_eq!(stored(&stream), ["tr-000", "tr-client"]);
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::Truncate), 2);
    assert_eq!(stats.applied_unanswered_count, 2);
}

#[test]
fn delay_past_the_client_timeout_is_never_forwarded() {
    let (upstream, stream) = setup("fp-delay");
    let plan = Plan::pass_through().script("PutRecords", [Fault::Delay(Duration::from_secs(5))]);
    let proxy = FaultProxy::start(&upstream, plan);
    let mut impatient = RawConnection::connect(&proxy.url, Duration::from_millis(300)).unwrap();
    let err = impatient
        .call("PutRecords", &put_body(&stream.name, &names("late", 1)))
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    drop(impatient); // the client gives up
    let stats = wait_for(&proxy, |s| s.delays_abandoned == 1);
    assert_eq!(stats.delays_abandoned, 1);
    assert_eq!(stats.faults_of(FaultKind::Delay), 1);
    assert!(stored(&stream).is_empty());
}

#[test]
fn delay_within_the_client_timeout_answers_late() {
    let (upstream, stream) = setup("fp-slow");
    let delay = Duration::from_millis(300);
    let plan = Plan::pass_through().script("PutRecords", [Fault::Delay(delay)]);
    let proxy = FaultProxy::start(&upstream, plan);
    let started = Instant::now();
    let answer = raw(&proxy)
        .call("PutRecords", &put_body(&stream.name, &names("slow", 1)))
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(started.elapsed() >= delay);
    assert_eq!(stored(&stream), names("slow", 1));
    assert_eq!(proxy.stats().delays_abandoned, 0);
}

#[test]
fn error_replies_reach_the_client_as_sent_and_the_server_never_sees_them() {
    let (upstream, stream) = setup("fp-replies");
    let replies = vec![
        Reply::empty(500),
        Reply::raw(
            503,
            &[("content-type", "text/plain")],
            "Service Unavailable",
        ),
        Reply::json_error(503, "ServiceUnavailable", "try later"),
        Reply::throughput_exceeded(),
        Reply::throttling(),
        Reply::json_error(403, "AccessDeniedException", "not for you"),
        Reply::xml_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        ),
        Reply::header_only(403, "AccessDeniedException"),
        Reply::json_error(400, "AccessDeniedException", "denied"),
        Reply::json_error(400, "UnrecognizedClientException", "unknown key"),
        Reply::json_error(400, "InvalidSignatureException", "bad signature"),
    ];
    // Each reply twice: for the raw connection, then for a client.
    let script = replies
        .iter()
        .flat_map(|r| [Fault::Reply(r.clone()), Fault::Reply(r.clone())]);
    let proxy = FaultProxy::start(&upstream, Plan::pass_through().script("PutRecords", script));
    let mut conn = raw(&proxy);
    let via_proxy = client(&proxy.url);
    let body = put_body(&stream.name, &names("never", 1));
    for reply in &replies {
        let seen: Message = conn.call("PutRecords", &body).unwrap();
        assert_eq!(seen.status(), reply.status);
        assert_eq!(seen.body, reply.body);
        for (k, v) in &reply.headers {
            assert_eq!(seen.header(k), Some(v.as_str()), "{k} of {reply:?}");
        }
        let err = via_proxy
            .put_records(&PutRecordsInput::new(
                stream.stream(),
                vec![PutRecordsEntry::new(b"never".to_vec(), "k")],
            ))
            .unwrap_err();
        assert_eq!(err.status(), Some(reply.status), "{err}");
        let json_type = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["__type"].as_str().map(str::to_string))
            .or_else(|| {
                reply
                    .headers
                    .iter()
                    .find(|(k, _)| k == "x-amzn-ErrorType")
                    .map(|(_, v)| v.clone())
            });
        if let Some(code) = json_type {
            assert_eq!(err.code(), Some(code.as_str()), "{err}");
        }
    }
    assert!(stored(&stream).is_empty());
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::Reply), 2 * replies.len() as u64);
    assert_eq!(stats.requests_for("PutRecords"), 2 * replies.len() as u64);
    assert_eq!(stats.faults_of(FaultKind::Pass), 0);
}

#[test]
fn failed_entries_are_not_written_and_are_merged_back_in_place() {
    let (upstream, stream) = setup("fp-partial");
    let plan = Plan::pass_through().script(
        "PutRecords",
        [
            Fault::FailEntries(vec![1, 4, 9]),
            Fault::FailEntries(vec![0, 1, 2]),
        ],
    );
    let proxy = FaultProxy::start(&upstream, plan);
    let via_proxy = client(&proxy.url);
    let data = names("part", 10);
    let entries = |data: &[String]| -> Vec<PutRecordsEntry> {
        data.iter()
            .map(|d| PutRecordsEntry::new(d.clone().into_bytes(), d.clone()))
            .collect()
    };
    let out = via_proxy
        .put_records(&PutRecordsInput::new(stream.stream(), entries(&data)))
        .unwrap();
    assert_eq!(out.failed_record_count, 3);
    assert_eq!(out.records.len(), 10);
    for (i, r) in out.records.iter().enumerate() {
        if [1, 4, 9].contains(&i) {
            assert_eq!(r.error_code.as_deref(), Some(PTE), "entry {i}");
            assert!(r.sequence_number.is_none(), "entry {i}");
        } else {
            assert!(r.error_code.is_none(), "entry {i}: {r:?}");
            assert!(r.sequence_number.is_some(), "entry {i}");
        }
    }
    // Every entry failed: an all-failed answer, and the server is not called.
    let out = via_proxy
        .put_records(&PutRecordsInput::new(
            stream.stream(),
            entries(&names("gone", 3)),
        ))
        .unwrap();
    assert_eq!(out.failed_record_count, 3);
    assert!(out
        .records
        .iter()
        .all(|r| r.error_code.as_deref() == Some(PTE)));

    let written: Vec<String> = data
        .iter()
        .enumerate()
        .filter(|(i, _)| ![1, 4, 9].contains(i))
        .map(|(_, d)| d.clone())
        .collect();
    assert_eq!(stored(&stream), written);
    let stats = proxy.stats();
    assert_eq!(stats.entries_failed, 6);
    assert_eq!(stats.faults_of(FaultKind::FailEntries), 2);
    assert_eq!(stats.applied_unanswered_count, 0);
}

#[test]
fn random_faults_lose_nothing_the_counters_do_not_account_for() {
    let (upstream, stream) = setup("fp-random");
    let plan = Plan::from_env_or_random().random(
        "PutRecords",
        0.6,
        [
            Fault::ResetBeforeForward,
            Fault::ResetAfterForward,
            Fault::Truncate,
            Fault::Reply(Reply::throughput_exceeded()),
            Fault::Reply(Reply::empty(503)),
            Fault::FailRandomEntries(0.5),
        ],
    );
    let proxy = FaultProxy::start(&upstream, plan);
    const CALLS: usize = 40;
    let mut acknowledged = BTreeSet::new();
    let mut conn = raw(&proxy);
    for call in 0..CALLS {
        let data = names(&format!("rnd{call:02}"), 4);
        match conn.call("PutRecords", &put_body(&stream.name, &data)) {
            Ok(answer) if answer.status() == 200 => {
                let v: Value = serde_json::from_slice(&answer.body).unwrap();
                for (d, r) in data.iter().zip(v["Records"].as_array().unwrap()) {
                    if r.get("SequenceNumber").and_then(Value::as_str).is_some() {
                        acknowledged.insert(d.clone());
                    }
                }
            }
            Ok(_) => {}
            // The connection is gone: open another.
            Err(_) => conn = raw(&proxy),
        }
    }
    let stats = proxy.stats();
    let unanswered: BTreeSet<String> = stats
        .applied_unanswered
        .iter()
        .flat_map(|u| u.put_records_entries())
        .map(|(key, _)| key)
        .collect();
    let written = stored(&stream);
    let written_set: BTreeSet<String> = written.iter().cloned().collect();
    assert_eq!(written.len(), written_set.len(), "each entry was sent once");
    // What the server holds is exactly what was acknowledged plus what it applied unanswered.
    let expected: BTreeSet<String> = acknowledged.union(&unanswered).cloned().collect();
    let lost: Vec<&String> = expected.difference(&written_set).collect();
    let unaccounted: Vec<&String> = written_set.difference(&expected).collect();
    assert!(
        lost.is_empty() && unaccounted.is_empty(),
        "seed {}: lost {lost:?}, written but neither acknowledged nor applied-unanswered {unaccounted:?}",
        proxy.seed()
    );
    assert_eq!(stats.requests_for("PutRecords"), CALLS as u64);
    assert_eq!(stats.faults.values().sum::<u64>(), CALLS as u64);
    assert!(
        stats.faults_of(FaultKind::Pass) > 0,
        "seed {}",
        proxy.seed()
    );
    assert!(
        stats.faults_of(FaultKind::Pass) < CALLS as u64,
        "seed {}",
        proxy.seed()
    );
}

#[test]
fn stop_closes_open_connections_and_refuses_new_ones() {
    let upstream = endpoint("KINESALITE_ENDPOINT");
    let mut proxy = FaultProxy::start(&upstream, Plan::pass_through());
    let mut conn = raw(&proxy);
    assert_eq!(conn.call("ListStreams", b"{}").unwrap().status(), 200);
    proxy.stop();
    assert!(conn.call("ListStreams", b"{}").is_err());
    let direct = client(&proxy.url);
    assert!(direct.list_streams(&ListStreamsInput::default()).is_err());
    assert_eq!(proxy.stats().requests_for("ListStreams"), 1);
}

#[test]
fn a_retrying_client_under_mixed_faults_loses_nothing() {
    // What a sink under faults must achieve, with a plain retry loop: every entry is written,
    // and an entry is written twice only if a request holding it was applied unanswered.
    let (upstream, stream) = setup("fp-mixed");
    let faults = [
        Fault::ResetBeforeForward,
        Fault::ResetAfterForward,
        Fault::Truncate,
        Fault::Delay(Duration::from_secs(2)),
        Fault::Reply(Reply::throughput_exceeded()),
        Fault::Reply(Reply::empty(500)),
        Fault::Reply(Reply::empty(503)),
        Fault::FailRandomEntries(0.3),
    ];
    // Each kind once for certain (entry failures at fixed positions), then 30 % at random.
    let mut scripted = faults.to_vec();
    scripted[7] = Fault::FailEntries(vec![0, 3]);
    let plan = Plan::from_env_or_random()
        .script("PutRecords", scripted)
        .random("PutRecords", 0.3, faults);
    let proxy = FaultProxy::start(&upstream, plan);
    let via_proxy = kinesis_tests::client_builder(&proxy.url)
        .timeouts(kinesis_wire::Timeouts::new(
            Duration::from_secs(2),
            Duration::from_millis(500),
            Duration::from_secs(5),
        ))
        .build()
        .unwrap();
    // Retried here without relying on the client's classification of errors.
    let transient = |e: &KinesisError| {
        matches!(e, KinesisError::Transport { .. })
            || e.status().is_some_and(|s| s >= 500)
            || e.code() == Some(PTE)
    };
    let mut sent = Vec::new();
    for batch in 0..25 {
        let data = names(&format!("mix{batch:02}"), 8);
        sent.extend(data.iter().cloned());
        let mut pending: Vec<PutRecordsEntry> = data
            .iter()
            .map(|d| PutRecordsEntry::new(d.clone().into_bytes(), d.clone()))
            .collect();
        for attempt in 0.. {
            assert!(
                attempt < 30,
                "batch {batch} never got through; seed {}",
                proxy.seed()
            );
            match via_proxy.put_records(&PutRecordsInput::new(stream.stream(), pending.clone())) {
                Ok(out) => {
                    pending = pending
                        .into_iter()
                        .zip(&out.records)
                        .filter(|(_, r)| r.error_code.is_some())
                        .map(|(e, _)| e)
                        .collect();
                    if pending.is_empty() {
                        break;
                    }
                }
                Err(e) if transient(&e) => {}
                Err(e) => panic!("seed {}: {e}", proxy.seed()),
            }
        }
    }
    // The delayed request outlives the client's read timeout; the proxy notices it left.
    let stats = wait_for(&proxy, |s| s.delays_abandoned >= 1);
    let unanswered: BTreeSet<String> = stats
        .applied_unanswered
        .iter()
        .flat_map(|u| u.put_records_entries())
        .map(|(key, _)| key)
        .collect();
    let written = stored(&stream);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for w in &written {
        *counts.entry(w).or_default() += 1;
    }
    let lost: Vec<&String> = sent
        .iter()
        .filter(|s| !counts.contains_key(s.as_str()))
        .collect();
    let bad_duplicates: Vec<&str> = counts
        .iter()
        .filter(|(k, &n)| n > 1 && !unanswered.contains(**k))
        .map(|(k, _)| *k)
        .collect();
    assert!(lost.is_empty(), "seed {}: lost {lost:?}", proxy.seed());
    assert!(
        bad_duplicates.is_empty(),
        "seed {}: duplicated without an unanswered request {bad_duplicates:?}",
        proxy.seed()
    );
    for kind in [
        FaultKind::ResetBeforeForward,
        FaultKind::ResetAfterForward,
        FaultKind::Truncate,
        FaultKind::Delay,
        FaultKind::Reply,
        FaultKind::FailEntries,
    ] {
        assert!(
            stats.faults_of(kind) >= 1,
            "{kind:?} never injected: {stats:?}"
        );
    }
    assert!(stats.delays_abandoned >= 1, "{stats:?}");
    assert!(stats.applied_unanswered_count >= 2, "{stats:?}");
}
