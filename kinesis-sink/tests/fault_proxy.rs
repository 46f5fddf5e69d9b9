//! The sink through the fault proxy in front of a real kinesalite: under 30 % mixed faults
//! on PutRecords every row reaches the stream (counted afterwards by reading every shard),
//! and a row is stored twice only if a request holding it was applied by the server but
//! never answered; an authentication or authorisation refusal, in any of the shapes AWS
//! services and moto use, stops the sink at the first answer with every record handed back,
//! whatever `sink.fail-on-error` and `sink.retry.max-attempts` say; 503 and throttling are
//! retried. The proxy prints its seed (`FAULT_PROXY_SEED=N` replays the random choices);
//! `KINESIS_LONG_RELIABILITY=1` writes ten times as many rows under faults.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{client, endpoint, ReadAll, TempStream};
use kinesis_formats::{DataType, Row, Value};
use kinesis_options::{Column, TableDef};
use kinesis_sink::{KinesisSink, SinkContext, SinkError};
use kinesis_tests::fault_proxy::{Fault, FaultKind, FaultProxy, Plan, Reply, Stats};

/// The sink's read timeout in the fault run; [`LONG_DELAY`] outlives it, [`SHORT_DELAY`]
/// does not. Generous, so that a real answer from a busy kinesalite never times out (an
/// answer the proxy relayed but the client gave up on would be a duplicate the proxy
/// cannot see).
const READ_TIMEOUT_MS: u64 = 2000;
const LONG_DELAY: Duration = Duration::from_millis(3500);
const SHORT_DELAY: Duration = Duration::from_millis(200);

/// A one-column raw table (`v STRING`: the record data is the string's bytes) on `stream`
/// at `endpoint`, with `extra` options.
fn table(endpoint: &str, stream: &str, extra: &[(&str, &str)]) -> TableDef {
    let mut options = vec![
        ("stream", stream),
        ("format", "raw"),
        ("aws.region", "us-east-1"),
        ("aws.endpoint", endpoint),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "test"),
        ("aws.credentials.basic.secretkey", "test"),
    ];
    options.extend_from_slice(extra);
    TableDef::from_options(
        "t",
        vec![Column::physical("v", DataType::string())],
        options,
    )
    .expect("valid table")
}

fn row(id: &str) -> Row {
    Row::new(vec![Value::String(id.to_string())])
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:05}")).collect()
}

/// Polls the proxy's stats for up to 10 s until `cond` holds.
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

/// Every record's data in the stream, with how often each is stored.
fn stored_counts(stream: &TempStream, expected: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, r) in stream.read_all(expected, Duration::from_secs(60)) {
        *counts
            .entry(String::from_utf8(r.data).expect("UTF-8 data"))
            .or_default() += 1;
    }
    counts
}

#[test]
fn thirty_percent_mixed_faults_lose_no_row() {
    let upstream = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&upstream), "sink-fp-mixed", 2);
    let faults = vec![
        Fault::ResetBeforeForward,
        Fault::ResetAfterForward,
        Fault::Truncate,
        Fault::Reply(Reply::empty(500)),
        Fault::Reply(Reply::empty(503)),
        Fault::Reply(Reply::json_error(503, "ServiceUnavailable", "try later")),
        Fault::Reply(Reply::throughput_exceeded()),
        Fault::Reply(Reply::throttling()),
        Fault::FailRandomEntries(0.3),
        Fault::Delay(SHORT_DELAY),
        Fault::Delay(LONG_DELAY),
    ];
    // Each kind once for certain (the first requests), then 30 % of requests at random.
    let plan = Plan::from_env_or_random()
        .script("PutRecords", faults.clone())
        .random("PutRecords", 0.3, faults);
    let proxy = FaultProxy::start(&upstream, plan);
    let seed = proxy.seed();
    let read_timeout = READ_TIMEOUT_MS.to_string();
    let t = table(
        &proxy.url,
        &stream.name,
        &[
            ("sink.batch.max-size", "50"),
            ("sink.requests.max-inflight", "8"),
            ("sink.flush-buffer.timeout", "100"),
            ("sink.http-client.read-timeout", &read_timeout),
            ("sink.retry.backoff.base", "20"),
            ("sink.retry.backoff.max", "300"),
        ],
    );
    // 5,000 rows; 50,000 with KINESIS_LONG_RELIABILITY=1.
    let rows = if std::env::var("KINESIS_LONG_RELIABILITY").as_deref() == Ok("1") {
        50_000
    } else {
        5_000
    };
    let sent = ids(&format!("mixed-{seed}"), rows);
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    for id in &sent {
        sink.write(&row(id))
            .unwrap_or_else(|e| panic!("seed {seed}: write {id}: {e}"));
    }
    sink.close(Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("seed {seed}: close: {e}"));
    let metrics = sink.metrics();
    assert_eq!(
        metrics.records_written, rows as u64,
        "seed {seed}: {metrics:?}"
    );
    assert_eq!(metrics.records_failed, 0, "seed {seed}: {metrics:?}");

    // The request delayed past the read timeout is abandoned by the client; the proxy
    // notices it left and never forwards it.
    let stats = wait_for(&proxy, |s| s.delays_abandoned >= 1);
    assert!(
        stats.applied_unanswered_count as usize <= kinesis_tests::fault_proxy::MAX_KEPT_UNANSWERED,
        "every unanswered body kept: {stats:?}"
    );
    let mut unanswered: BTreeMap<String, usize> = BTreeMap::new();
    for u in stats
        .applied_unanswered
        .iter()
        .filter(|u| u.action == "PutRecords")
    {
        for (_, data) in u.put_records_entries() {
            use base64::Engine;
            let data = base64::engine::general_purpose::STANDARD
                .decode(data)
                .expect("base64 Data");
            *unanswered
                .entry(String::from_utf8(data).expect("UTF-8 data"))
                .or_default() += 1;
        }
    }

    let counts = stored_counts(&stream, rows);
    let lost: Vec<&String> = sent.iter().filter(|id| !counts.contains_key(*id)).collect();
    let strangers: Vec<&String> = counts
        .keys()
        .filter(|k| !k.starts_with(&format!("mixed-{seed}-")))
        .collect();
    // A row is stored once, plus once per applied-unanswered request that held it (the sink
    // got no answer for it, so it sent it again): no other duplicate.
    let unexplained: Vec<(&String, usize, usize)> = counts
        .iter()
        .filter(|(id, &n)| n != 1 + unanswered.get(*id).copied().unwrap_or(0))
        .map(|(id, &n)| (id, n, unanswered.get(id).copied().unwrap_or(0)))
        .collect();
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    eprintln!(
        "seed {seed}: {rows} rows written, {} records stored, lost {}, duplicated {duplicates} \
         ({} requests applied but unanswered); {} PutRecords requests, faults {:?}, \
         {} entries failed, {} delays abandoned",
        counts.values().sum::<usize>(),
        lost.len(),
        stats.applied_unanswered_count,
        stats.requests_for("PutRecords"),
        stats.faults,
        stats.entries_failed,
        stats.delays_abandoned,
    );
    assert!(
        lost.is_empty(),
        "seed {seed}: lost {} rows: {lost:?}",
        lost.len()
    );
    assert!(strangers.is_empty(), "seed {seed}: {strangers:?}");
    assert!(
        unexplained.is_empty(),
        "seed {seed}: stored other than once + once per applied-unanswered request (id, stored, unanswered): {unexplained:?}"
    );
    for kind in [
        FaultKind::ResetBeforeForward,
        FaultKind::ResetAfterForward,
        FaultKind::Truncate,
        FaultKind::Delay,
        FaultKind::Reply,
        FaultKind::FailEntries,
        FaultKind::Pass,
    ] {
        assert!(
            stats.faults_of(kind) >= 1,
            "seed {seed}: {kind:?} never chosen: {stats:?}"
        );
    }
    assert!(stats.delays_abandoned >= 1, "seed {seed}: {stats:?}");
    assert!(
        stats.applied_unanswered_count >= 2,
        "seed {seed}: {stats:?}"
    );
    assert_eq!(stats.upstream_errors, 0, "seed {seed}: {stats:?}");
    assert!(metrics.records_retried > 0, "seed {seed}: {metrics:?}");
}

/// The shapes in which AWS services and moto refuse a caller, with the code each names.
fn refusals() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "AccessDeniedException",
            Reply::json_error(403, "AccessDeniedException", "not authorized (JSON 403)"),
        ),
        (
            "SignatureDoesNotMatch",
            Reply::xml_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ),
        ),
        (
            "AccessDeniedException",
            Reply::header_only(403, "AccessDeniedException"),
        ),
        (
            "AccessDeniedException",
            Reply::json_error(400, "AccessDeniedException", "not authorized (JSON 400)"),
        ),
        (
            "UnrecognizedClientException",
            Reply::json_error(
                400,
                "UnrecognizedClientException",
                "The security key included in the request is invalid.",
            ),
        ),
        (
            "InvalidSignatureException",
            Reply::json_error(400, "InvalidSignatureException", "Signature mismatch"),
        ),
        (
            "IncompleteSignatureException",
            Reply::json_error(
                400,
                "IncompleteSignatureException",
                "Authorization header requires 'Signature' parameter.",
            ),
        ),
        (
            "MissingAuthenticationTokenException",
            Reply::json_error(
                400,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ),
        ),
    ]
}

/// Writes `rows` one by one; returns every record handed back (by a write or by `close`)
/// plus the rows never given because the sink had stopped, and the final error.
fn write_until_stopped(sink: &KinesisSink, rows: &[String]) -> (Vec<String>, SinkError) {
    let text = |r: &kinesis_sink::SinkRecord| String::from_utf8(r.data.clone()).unwrap();
    let mut back = Vec::new();
    for (i, id) in rows.iter().enumerate() {
        if let Err(e) = sink.write(&row(id)) {
            back.extend(e.records().into_iter().map(text));
            back.extend(rows[i + 1..].iter().cloned());
            let again = sink.close(Duration::from_secs(30)).unwrap_err();
            assert!(again.records().is_empty(), "handed back twice: {again}");
            return (back, e);
        }
    }
    let e = sink.close(Duration::from_secs(30)).unwrap_err();
    back.extend(e.records().into_iter().map(text));
    (back, e)
}

#[test]
fn auth_refusals_stop_the_sink_at_the_first_answer_with_every_record_handed_back() {
    let upstream = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&upstream), "sink-fp-auth", 1);
    // Whatever the options say about record failures: a refusal is not a record failure.
    let settings: [&[(&str, &str)]; 3] = [
        &[],
        &[("sink.fail-on-error", "true")],
        &[("sink.retry.max-attempts", "5")],
    ];
    for (code, reply) in refusals() {
        for extra in settings {
            let what = format!("{code} (HTTP {}) with {extra:?}", reply.status);
            // Every PutRecords is refused: a retry would be counted.
            let proxy = FaultProxy::start(
                &upstream,
                Plan::pass_through().random("PutRecords", 1.0, [Fault::Reply(reply.clone())]),
            );
            let mut options = vec![
                // Several batches, one request at a time: after the refusal no other batch
                // may be sent.
                ("sink.batch.max-size", "20"),
                ("sink.requests.max-inflight", "1"),
                ("sink.flush-buffer.timeout", "50"),
                ("sink.retry.backoff.base", "10"),
                ("sink.retry.backoff.max", "50"),
            ];
            options.extend_from_slice(extra);
            let t = table(&proxy.url, &stream.name, &options);
            let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
            let rows = ids("auth", 100);
            let started = Instant::now();
            let (mut back, err) = write_until_stopped(&sink, &rows);
            back.sort();
            assert_eq!(back, rows, "{what}: every record handed back, none twice");
            let SinkError::Failed(failure) = &err else {
                panic!("{what}: expected SinkError::Failed, got {err}")
            };
            assert_eq!(failure.code.as_deref(), Some(code), "{what}: {failure:?}");
            let cause = failure.cause_error().expect("a request error");
            assert_eq!(cause.code(), Some(code), "{what}: {cause}");
            assert_eq!(cause.status(), Some(reply.status), "{what}: {cause}");
            assert!(cause.is_auth_failure(), "{what}: {cause}");
            assert!(!cause.is_retryable(), "{what}: {cause}");
            assert!(err.to_string().contains(code), "{what}: {err}");
            let stats = proxy.stats();
            assert_eq!(
                stats.requests_for("PutRecords"),
                1,
                "{what}: one request, not retried, no other batch sent: {stats:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: took {:?}",
                started.elapsed()
            );
            let m = sink.metrics();
            assert_eq!(m.records_written, 0, "{what}: {m:?}");
            assert_eq!(m.records_retried, 0, "{what}: {m:?}");
        }
    }
    // Nothing reached the server.
    assert!(stored_counts(&stream, 0).is_empty());
}

#[test]
fn errors_the_sdks_retry_are_retried_in_contrast() {
    let upstream = endpoint("KINESALITE_ENDPOINT");
    let stream = TempStream::create(&client(&upstream), "sink-fp-retried", 1);
    let refusals = [
        Reply::empty(503),
        Reply::json_error(503, "ServiceUnavailable", "try later"),
        Reply::throttling(),
        Reply::throughput_exceeded(),
        Reply::json_error(500, "InternalFailure", "oops"),
    ];
    let proxy = FaultProxy::start(
        &upstream,
        Plan::pass_through().script("PutRecords", refusals.iter().cloned().map(Fault::Reply)),
    );
    let t = table(
        &proxy.url,
        &stream.name,
        &[
            ("sink.batch.max-size", "20"),
            ("sink.requests.max-inflight", "1"),
            ("sink.flush-buffer.timeout", "50"),
            ("sink.retry.backoff.base", "10"),
            ("sink.retry.backoff.max", "50"),
            // Request errors are not record failures: neither option stops them.
            ("sink.fail-on-error", "false"),
            ("sink.retry.max-attempts", "0"),
        ],
    );
    let sink = KinesisSink::open(&t, SinkContext::default()).unwrap();
    let rows = ids("retried", 100);
    for id in &rows {
        sink.write(&row(id)).unwrap();
    }
    sink.close(Duration::from_secs(60)).unwrap();
    let m = sink.metrics();
    assert_eq!(m.records_written, 100, "{m:?}");
    assert_eq!(m.requests_failed, refusals.len() as u64, "{m:?}");
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::Reply), refusals.len() as u64);
    assert!(
        stats.requests_for("PutRecords") >= 5 + refusals.len() as u64,
        "{stats:?}"
    );
    let counts = stored_counts(&stream, rows.len());
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), rows);
    assert!(
        counts.values().all(|&n| n == 1),
        "no request was applied twice: {counts:?}"
    );
}
