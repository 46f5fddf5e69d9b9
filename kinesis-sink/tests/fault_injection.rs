//! The sink against a loopback responder that acknowledges, partially fails, fails or
//! stalls PutRecords requests: retries, hand-back of unwritten records, fail-on-error,
//! timeouts, close and backpressure.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{client, client_with_timeouts, multiset, Reply, Responder};
use kinesis_sink::{RecordSink, SinkConfig, SinkError, SinkRecord};
use kinesis_wire::{Backoff, Timeouts};
use log::{Level, LevelFilter, Log, Metadata, Record};

const PTE: &str = "ProvisionedThroughputExceededException";

fn fast_config() -> SinkConfig {
    SinkConfig::default()
        .with_batch_max_size(100)
        .with_max_in_flight_requests(1)
        .with_max_buffered_requests(1000)
        .with_flush_buffer_timeout(Duration::from_millis(100))
        .with_retry_backoff(Backoff::new(
            Duration::from_millis(2),
            Duration::from_millis(10),
            1.5,
        ))
}

/// Polls `cond` for up to 30 s (the machine may be busy with other test binaries); the
/// caller's assertions then say what did not happen.
fn wait_until(cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn records(n: usize, prefix: &str) -> Vec<SinkRecord> {
    (0..n)
        .map(|i| {
            SinkRecord::new(
                format!("{prefix}-{i:06}").into_bytes(),
                format!("k{}", i % 37),
            )
        })
        .collect()
}

fn as_entries(rs: &[SinkRecord]) -> Vec<(Vec<u8>, String)> {
    rs.iter()
        .map(|r| (r.data.clone(), r.partition_key.clone()))
        .collect()
}

#[test]
fn partial_failures_resend_only_failed_entries_at_the_head_in_order() {
    // Fail every entry whose number is divisible by 3 on its first two sends with
    // throughput errors, and every 7th once with InternalFailure.
    let sends: Arc<Mutex<std::collections::HashMap<Vec<u8>, u32>>> = Arc::default();
    let failed_per_request: Arc<Mutex<Vec<Vec<common::Entry>>>> = Arc::default();
    let (s2, f2) = (sends.clone(), failed_per_request.clone());
    let r = Responder::start(move |_, entries| {
        let mut sends = s2.lock().unwrap();
        let verdicts: Vec<Option<&'static str>> = entries
            .iter()
            .map(|(data, _)| {
                let n: usize = std::str::from_utf8(&data[2..]).unwrap().parse().unwrap();
                let c = sends.entry(data.clone()).or_insert(0);
                *c += 1;
                if n.is_multiple_of(3) && *c <= 2 {
                    Some(PTE)
                } else if n.is_multiple_of(7) && *c == 1 {
                    Some("InternalFailure")
                } else {
                    None
                }
            })
            .collect();
        let failed = entries
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| v.is_some())
            .map(|(e, _)| e.clone())
            .collect();
        f2.lock().unwrap().push(failed);
        Reply::Results(verdicts)
    });
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    let input = records(3000, "p");
    sink.send_all(input.clone()).unwrap();
    sink.flush().unwrap();
    let m = sink.metrics();
    sink.close(Duration::from_secs(10)).unwrap();

    // Exactly once each: the responder acknowledged every entry once and never twice.
    let stored = multiset(&r.stored());
    assert_eq!(stored, multiset(&as_entries(&input)));
    assert_eq!(m.records_written, 3000);
    assert_eq!(m.bytes_written, 3000 * 8, "each record is 8 data bytes");
    let first_failures = (0..3000usize)
        .filter(|n| n.is_multiple_of(3) || n.is_multiple_of(7))
        .count() as u64;
    let second_failures = (0..3000usize).filter(|n| n.is_multiple_of(3)).count() as u64;
    assert_eq!(m.records_retried, first_failures + second_failures);
    assert_eq!(m.retried_by_code[PTE], 2 * second_failures);
    assert!(m.retried_by_code["InternalFailure"] > 0);
    assert_eq!(m.records_failed, 0);
    assert!(
        m.in_flight_records_limit < 100,
        "AIMD shrank the limit: {m:?}"
    );

    // Only the failed entries were resent, at the head of the next request, in order
    // (one request in flight at a time, so "next" is well defined).
    let reqs = r.requests();
    let failed = failed_per_request.lock().unwrap().clone();
    let mut with_failures = 0;
    for i in 0..reqs.len() - 1 {
        let n = failed[i].len().min(reqs[i + 1].len());
        if n > 0 {
            with_failures += 1;
            assert_eq!(&reqs[i + 1][..n], &failed[i][..n], "request {}", i + 1);
        }
    }
    assert!(with_failures >= 20, "{with_failures}");
    let total_sent: usize = reqs.iter().map(Vec::len).sum();
    assert_eq!(total_sent as u64, 3000 + m.records_retried);
}

#[test]
fn fatal_per_record_code_hands_records_back() {
    let r = Responder::start(|_, entries| {
        Reply::Results(
            entries
                .iter()
                .map(|(d, _)| (d.as_slice() == b"f-000042").then_some("KMSAccessDeniedException"))
                .collect(),
        )
    });
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    let input = records(500, "f");
    // The failure surfaces from whichever call comes next: send_all (which then also hands
    // back its records not yet buffered) or flush.
    let err = match sink.send_all(input.clone()) {
        Err(e) => e,
        Ok(()) => sink.flush().unwrap_err(),
    };
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert_eq!(failure.code.as_deref(), Some("KMSAccessDeniedException"));
    assert!(failure.cause.contains("not retryable"), "{}", failure.cause);
    let bad = failure
        .records
        .iter()
        .find(|f| f.record.data == b"f-000042")
        .expect("the rejected record is handed back");
    assert_eq!(bad.error_code.as_deref(), Some("KMSAccessDeniedException"));
    assert_eq!(bad.attempts, 1);
    // Nothing lost: acknowledged plus handed back is exactly the input, with no overlap.
    let mut seen = r.stored();
    seen.extend(
        failure
            .records
            .iter()
            .map(|f| (f.record.data.clone(), f.record.partition_key.clone())),
    );
    assert_eq!(multiset(&seen), multiset(&as_entries(&input)));
    let m = sink.metrics();
    assert_eq!(m.records_failed as usize, failure.records.len());
    assert_eq!(m.failed_by_code["KMSAccessDeniedException"], 1);
    // Later calls report the failure without records, and refuse new ones (handing them back).
    let again = sink
        .send(SinkRecord::new(b"late".to_vec(), "k"))
        .unwrap_err();
    match again {
        SinkError::Failed(f) => {
            assert!(f.records_handed_back_earlier);
            assert_eq!(f.records.len(), 1);
            assert_eq!(f.records[0].record.data, b"late");
            assert_eq!(f.records[0].error_code, None);
        }
        other => panic!("expected Failed, got {other}"),
    }
    assert!(matches!(
        sink.close(Duration::from_secs(5)),
        Err(SinkError::Failed(_))
    ));
}

#[test]
fn fail_on_error_stops_at_the_first_throttled_record() {
    let r = Responder::start(|i, entries| {
        Reply::Results(
            entries
                .iter()
                .enumerate()
                .map(|(j, _)| (i == 1 && j == 5).then_some(PTE))
                .collect(),
        )
    });
    let cfg = fast_config().with_fail_on_error(true);
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let input = records(400, "e");
    let mut err = sink.send_all(input.clone()).err();
    if err.is_none() {
        err = sink.flush().err();
    }
    let err = err.expect("the throttled record fails the sink");
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(
        failure.cause.contains("sink.fail-on-error"),
        "{}",
        failure.cause
    );
    assert_eq!(failure.code.as_deref(), Some(PTE));
    assert_eq!(failure.records[0].error_code.as_deref(), Some(PTE));
    let mut seen = r.stored();
    seen.extend(
        failure
            .records
            .iter()
            .map(|f| (f.record.data.clone(), f.record.partition_key.clone())),
    );
    // Records of the call not yet buffered when it failed are handed back by send_all too.
    assert_eq!(multiset(&seen), multiset(&as_entries(&input)));
    assert_eq!(
        r.stored().len(),
        100 + 99,
        "first request fully, second all but one"
    );
}

#[test]
fn max_attempts_bounds_retries_of_a_poisoned_record() {
    let r = Responder::start(|_, entries| {
        Reply::Results(
            entries
                .iter()
                .map(|(d, _)| (d.as_slice() == b"m-000003").then_some(PTE))
                .collect(),
        )
    });
    let cfg = fast_config().with_max_attempts(3);
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    sink.send_all(records(10, "m")).unwrap();
    let err = sink.flush().unwrap_err();
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(
        failure.cause.contains("sink.retry.max-attempts=3"),
        "{}",
        failure.cause
    );
    assert_eq!(failure.records.len(), 1);
    assert_eq!(failure.records[0].attempts, 3);
    assert_eq!(r.stored().len(), 9);
    let sends = r
        .requests()
        .iter()
        .flatten()
        .filter(|(d, _)| d.as_slice() == b"m-000003")
        .count();
    assert_eq!(sends, 3);
}

#[test]
fn request_level_errors_retry_or_stop_as_reference_7_3() {
    // 500 and throttling at request level are retried with backoff (whole batch).
    let r = Responder::start(|i, entries| match i {
        0 => Reply::Error(500, "InternalFailure"),
        1 => Reply::Error(400, "LimitExceededException"),
        _ => Reply::ack_all(entries.len()),
    });
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    let input = records(150, "q");
    sink.send_all(input.clone()).unwrap();
    sink.close(Duration::from_secs(10)).unwrap();
    assert_eq!(multiset(&r.stored()), multiset(&as_entries(&input)));
    let m = sink.metrics();
    assert_eq!(m.requests_failed, 2);
    assert_eq!(m.retried_by_code["InternalFailure"], 100);
    // AIMD cut the records in flight to round(100 × 0.99) after the first failure.
    assert_eq!(m.retried_by_code["LimitExceededException"], 99);

    // ResourceNotFoundException is fatal at once and hands everything back.
    let r = Responder::start(|_, _| Reply::Error(400, "ResourceNotFoundException"));
    let sink = RecordSink::open(client(&r.url), "missing", fast_config()).unwrap();
    let input = records(150, "n");
    sink.send_all(input.clone()).unwrap();
    let err = sink.close(Duration::from_secs(10)).unwrap_err();
    assert!(err.to_string().contains("stream missing"), "{err}");
    let back: Vec<_> = err.into_records();
    assert_eq!(back, input, "every record handed back in order");
    assert_eq!(r.request_count(), 1, "not retried");
}

#[test]
fn request_timeout_is_retried_and_only_the_late_batch_may_repeat() {
    // The first request is answered (and stored) only after the client gave up on it: it
    // stalls until released below. The timeouts are far above a loopback answer, so no
    // other request times out on a busy machine.
    let r = Responder::start(|i, entries| {
        if i == 0 {
            Reply::Stall(
                Duration::from_secs(60),
                Box::new(Reply::ack_all(entries.len())),
            )
        } else {
            Reply::ack_all(entries.len())
        }
    });
    let timeouts = Timeouts::new(
        Duration::from_secs(5),
        Duration::from_millis(1000),
        Duration::from_millis(2000),
    );
    let sink =
        RecordSink::open(client_with_timeouts(&r.url, timeouts), "s", fast_config()).unwrap();
    let input = records(250, "t");
    sink.send_all(input.clone()).unwrap();
    sink.flush().unwrap();
    let m = sink.metrics();
    assert!(m.requests_failed >= 1);
    assert!(
        m.retried_by_code
            .keys()
            .any(|k| k.starts_with("Transport(")),
        "{m:?}"
    );
    sink.close(Duration::from_secs(5)).unwrap();
    // The late answer stores the first batch again.
    let first: HashSet<_> = r.requests()[0].iter().cloned().collect();
    r.release();
    wait_until(|| r.stored().len() >= input.len() + first.len());
    let stored = multiset(&r.stored());
    assert_eq!(
        stored.values().sum::<usize>(),
        input.len() + first.len(),
        "every record once, the timed-out batch twice"
    );
    for e in as_entries(&input) {
        let n = stored.get(&e).copied().unwrap_or(0);
        assert!(n >= 1, "{e:?} never written");
        if n > 1 {
            assert!(
                first.contains(&e) && n == 2,
                "only the timed-out batch may repeat: {e:?} x{n}"
            );
        }
    }
}

#[test]
fn close_waits_for_in_flight_requests_or_hands_them_back() {
    // Slow but successful: close waits and everything lands.
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_millis(300),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let cfg = fast_config().with_max_in_flight_requests(4);
    let sink = RecordSink::open(client(&r.url), "s", cfg.clone()).unwrap();
    let input = records(450, "c");
    sink.send_all(input.clone()).unwrap();
    sink.close(Duration::from_secs(10)).unwrap();
    assert_eq!(multiset(&r.stored()), multiset(&as_entries(&input)));
    let late = sink
        .send(SinkRecord::new(b"late".to_vec(), "k"))
        .unwrap_err();
    assert!(
        matches!(&late, SinkError::Closed { records } if records.len() == 1),
        "{late}"
    );

    // Stalled for longer than close may wait: close returns on time with every record not
    // acknowledged (in flight and buffered) handed back.
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(5),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let input = records(450, "d");
    sink.send_all(input.clone()).unwrap();
    // A request is in flight (stalled) when close starts.
    wait_until(|| r.request_count() >= 1);
    let start = Instant::now();
    let err = sink.close(Duration::from_millis(400)).unwrap_err();
    // On its own timeout (the answers stall 5 s); 5x slack for a busy machine.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let SinkError::CloseTimedOut { records: back, .. } = &err else {
        panic!("{err}")
    };
    let mut back: Vec<_> = back.iter().map(|f| f.record.clone()).collect();
    back.sort_by(|a, b| a.data.cmp(&b.data));
    assert_eq!(back, input);
    assert_eq!(sink.metrics().records_failed, 450);
    r.release();
}

#[test]
fn a_stalled_endpoint_blocks_writers_and_bounds_memory() {
    // Records of 10 KiB against a 1 MiB flush size and a 2 MiB memory bound: the byte bound
    // is what blocks.
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(20),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let cfg = fast_config()
        .with_batch_max_size(100)
        .with_max_in_flight_requests(2)
        .with_max_buffered_requests(1000)
        .with_flush_buffer_size(1 << 20)
        .with_max_buffered_bytes(2 << 20);
    let bound = cfg.max_buffered_bytes;
    let sink = Arc::new(RecordSink::open(client(&r.url), "s", cfg).unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (sink, written) = (sink.clone(), written.clone());
        std::thread::spawn(move || {
            for i in 0..1000 {
                let mut data = vec![b'x'; 10 * 1024];
                data[..6].copy_from_slice(format!("{i:06}").as_bytes());
                sink.send(SinkRecord::new(data, format!("k{i}"))).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Until the sink is full (the next 10 KiB record does not fit) and the writer's count
    // agrees with what the sink holds: the writer is then inside a blocked send.
    let mut max_held = 0u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = sink.metrics();
        let held = m.buffered_bytes + m.in_flight_bytes;
        max_held = max_held.max(held);
        let accepted = m.buffered_records + m.in_flight_records;
        if held + 10 * 1024 > bound && written.load(Ordering::SeqCst) == accepted {
            break;
        }
        if Instant::now() > deadline || written.load(Ordering::SeqCst) == 1000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let blocked_at = written.load(Ordering::SeqCst);
    assert!(
        blocked_at < 1000,
        "write must block while the endpoint stalls"
    );
    assert!(
        blocked_at >= 150,
        "the sink buffers up to its bound first: {blocked_at}"
    );
    assert!(max_held <= bound, "held {max_held} > bound {bound}");
    // A writer that was not blocked would have gone on meanwhile.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(written.load(Ordering::SeqCst), blocked_at, "still blocked");
    r.release();
    writer.join().unwrap();
    sink.close(Duration::from_secs(20)).unwrap();
    assert_eq!(r.stored().len(), 1000);
    assert_eq!(sink.metrics().records_written, 1000);
}

#[test]
fn a_stalled_endpoint_blocks_at_max_buffered_records() {
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(20),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    // Two requests allowed: batches go to a sender thread (with one, the writer that fills a
    // batch sends it itself; see the test above).
    let cfg = fast_config()
        .with_max_buffered_requests(300)
        .with_max_in_flight_requests(2);
    let sink = Arc::new(RecordSink::open(client(&r.url), "s", cfg).unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (sink, written) = (sink.clone(), written.clone());
        std::thread::spawn(move || {
            for rec in records(2000, "b") {
                sink.send(rec).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // One batch of 100 in flight, 300 buffered, and the writer waiting on the 401st.
    wait_until(|| {
        let m = sink.metrics();
        written.load(Ordering::SeqCst) >= 400 && m.in_flight_records + m.buffered_records >= 400
    });
    // A writer that was not blocked would have gone on meanwhile.
    std::thread::sleep(Duration::from_millis(200));
    let m = sink.metrics();
    assert_eq!(written.load(Ordering::SeqCst), 400, "{m:?}");
    assert_eq!(m.buffered_records, 300);
    assert_eq!(m.in_flight_records, 100);
    assert_eq!(
        m.in_flight_requests, 1,
        "the limiter allows one batch of 100 at first"
    );
    assert_eq!(m.buffered_bytes, 300 * 8);
    r.release();
    writer.join().unwrap();
    sink.close(Duration::from_secs(20)).unwrap();
    assert_eq!(r.stored().len(), 2000);
}

#[test]
fn with_one_request_in_flight_the_writer_sending_a_batch_is_what_blocks() {
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(20),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let sink = Arc::new(RecordSink::open(client(&r.url), "s", fast_config()).unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (sink, written) = (sink.clone(), written.clone());
        std::thread::spawn(move || {
            for rec in records(1000, "i") {
                sink.send(rec).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // The 100th record fills the batch; its send sends the batch and blocks there.
    wait_until(|| written.load(Ordering::SeqCst) >= 99 && sink.metrics().in_flight_records > 0);
    // A writer that was not blocked would have gone on meanwhile.
    std::thread::sleep(Duration::from_millis(200));
    let m = sink.metrics();
    assert_eq!(written.load(Ordering::SeqCst), 99, "{m:?}");
    assert_eq!((m.in_flight_records, m.buffered_records), (100, 0));
    r.release();
    writer.join().unwrap();
    sink.close(Duration::from_secs(20)).unwrap();
    assert_eq!(r.stored().len(), 1000);
}

#[test]
fn client_side_checks_reject_the_row_before_sending() {
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    sink.send(SinkRecord::new(b"ok-1".to_vec(), "k")).unwrap();
    let e = sink
        .send(SinkRecord::new(vec![0u8; 1_048_577], "k"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 2: record data is 1048577 bytes, more than the 1048576 bytes Kinesis accepts per record; nothing was sent"
    );
    let e = sink.send(SinkRecord::new(b"x".to_vec(), "")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("row 3: the partition key is empty"),
        "{e}"
    );
    let e = sink
        .send_all(vec![
            SinkRecord::new(b"ok-2".to_vec(), "k"),
            SinkRecord::new(b"x".to_vec(), "k".repeat(257)),
            SinkRecord::new(b"after".to_vec(), "k"),
        ])
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("row 5: the partition key is 257 characters long"),
        "{e}"
    );
    let back = e.into_records();
    assert_eq!(
        back.len(),
        2,
        "the bad record and the one after it come back"
    );
    assert_eq!(back[1].data, b"after");
    sink.send(SinkRecord::new(vec![7u8; 1_048_576], "k"))
        .unwrap();
    sink.close(Duration::from_secs(10)).unwrap();
    let stored = r.stored();
    assert_eq!(stored.len(), 3);
    assert_eq!(sink.metrics().records_rejected, 3);
}

#[test]
fn the_flush_timer_sends_a_partial_batch() {
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    sink.send_all(records(5, "timer")).unwrap();
    wait_until(|| r.stored().len() >= 5);
    assert_eq!(
        r.stored().len(),
        5,
        "sent after sink.flush-buffer.timeout without flush"
    );
    assert_eq!(r.request_count(), 1);
    sink.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn many_writer_threads_share_one_sink() {
    let r = Responder::start(|i, entries| {
        // Throttle a few entries now and then to mix retries into the concurrency.
        Reply::Results(
            entries
                .iter()
                .enumerate()
                .map(|(j, _)| (i % 5 == 0 && j % 10 == 0).then_some(PTE))
                .collect(),
        )
    });
    let cfg = fast_config().with_max_in_flight_requests(4);
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let all: Vec<Vec<SinkRecord>> = (0..4).map(|t| records(2500, &format!("w{t}"))).collect();
    std::thread::scope(|s| {
        for part in &all {
            let sink = &sink;
            s.spawn(move || {
                for rec in part {
                    sink.send(rec.clone()).unwrap();
                }
            });
        }
    });
    sink.close(Duration::from_secs(20)).unwrap();
    let expected: Vec<_> = all.iter().flat_map(|p| as_entries(p)).collect();
    assert_eq!(multiset(&r.stored()), multiset(&expected));
    assert_eq!(sink.metrics().records_written, 10_000);
}

#[test]
fn dropping_without_close_flushes() {
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    {
        let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
        sink.send_all(records(42, "drop")).unwrap();
    }
    assert_eq!(r.stored().len(), 42);
}

#[test]
fn connection_refused_is_fatal_and_hands_everything_back() {
    // A port that refuses connections (Flink's SdkClientException class: not retried).
    let refusing = kinesis_tests::RefusingPort::bind();
    let sink = RecordSink::open(client(&refusing.url()), "s", fast_config()).unwrap();
    let input = records(120, "r");
    let err = match sink.send_all(input.clone()) {
        Err(e) => e,
        Ok(()) => sink.flush().unwrap_err(),
    };
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(
        failure
            .code
            .as_deref()
            .is_some_and(|c| c.starts_with("Transport(")),
        "{failure:?}"
    );
    let mut back: Vec<_> = failure.records.iter().map(|f| f.record.clone()).collect();
    back.sort_by(|a, b| a.data.cmp(&b.data));
    assert_eq!(back, input);
    assert_eq!(sink.metrics().records_failed, 120);
}

/// Keeps every error logged by this test binary, for the tests that check what is logged.
struct CapturedErrors(Mutex<Vec<String>>);

impl Log for CapturedErrors {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= Level::Error
    }
    fn log(&self, r: &Record) {
        if self.enabled(r.metadata()) {
            self.0.lock().unwrap().push(r.args().to_string());
        }
    }
    fn flush(&self) {}
}

static ERRORS: CapturedErrors = CapturedErrors(Mutex::new(Vec::new()));

fn logged_errors() -> Vec<String> {
    // The first caller installs the logger; later calls find it in place.
    if log::set_logger(&ERRORS).is_ok() {
        log::set_max_level(LevelFilter::Error);
    }
    ERRORS.0.lock().unwrap().clone()
}

#[test]
fn dropping_without_close_waits_a_bounded_time_and_logs_what_it_could_not_send() {
    logged_errors();
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(20),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let cfg = fast_config().with_drop_timeout(Duration::from_millis(300));
    let start = Instant::now();
    {
        let sink = RecordSink::open(client(&r.url), "drop-stalled-stream", cfg).unwrap();
        sink.send_all(records(42, "ds")).unwrap();
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "drop waited {waited:?}"
    );
    let logged = logged_errors();
    let line = logged
        .iter()
        .find(|l| l.contains("drop-stalled-stream"))
        .unwrap_or_else(|| panic!("nothing logged about the stream: {logged:?}"));
    assert!(
        line.contains("dropped without close: 42 records could not be written"),
        "{line}"
    );
    r.release();
}

#[test]
fn batches_respect_the_flush_buffer_size_and_leave_when_it_is_reached() {
    // 300 KiB records and a 1 MiB flush size: three fit in a batch. The timer (60 s) and the
    // batch size (100) are far away, so only the byte threshold can send them early.
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    let cfg = fast_config()
        .with_flush_buffer_size(1 << 20)
        .with_max_buffered_bytes(4 << 20)
        .with_flush_buffer_timeout(Duration::from_secs(60))
        .with_max_in_flight_requests(2);
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let big = |i: u8| SinkRecord::new(vec![i; 300 * 1024], format!("k{i}"));
    let start = Instant::now();
    sink.send_all((0..7).map(big)).unwrap();
    wait_until(|| r.stored().len() >= 6);
    assert_eq!(r.stored().len(), 6, "two full batches left without flush");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "before the timer: {:?}",
        start.elapsed()
    );
    sink.flush().unwrap();
    let sizes: Vec<usize> = r.requests().iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    for req in r.requests() {
        let bytes: usize = req.iter().map(|(d, _)| d.len()).sum();
        assert!(bytes <= 1 << 20, "{bytes} data bytes in one request");
    }
    let m = sink.metrics();
    assert_eq!(m.bytes_written, 7 * 300 * 1024);
    sink.close(Duration::from_secs(5)).unwrap();
}

#[test]
fn fail_on_error_makes_a_retryable_request_error_fatal() {
    let r = Responder::start(|_, _| Reply::Error(500, "InternalFailure"));
    let cfg = fast_config().with_fail_on_error(true);
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let input = records(30, "x");
    sink.send_all(input.clone()).unwrap();
    let err = sink.close(Duration::from_secs(5)).unwrap_err();
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(
        failure.cause.contains("sink.fail-on-error=true"),
        "{}",
        failure.cause
    );
    assert_eq!(failure.code.as_deref(), Some("InternalFailure"));
    assert_eq!(r.request_count(), 1, "not retried");
    let back: Vec<SinkRecord> = failure.records.iter().map(|f| f.record.clone()).collect();
    assert_eq!(back, input);
    assert!(failure
        .records
        .iter()
        .all(|f| f.error_code.as_deref() == Some("InternalFailure") && f.attempts == 1));
    let m = sink.metrics();
    assert_eq!(
        (m.records_failed, m.failed_by_code["InternalFailure"]),
        (30, 30)
    );
}

/// Credentials that cannot be obtained (an expired SSO session, an STS refusal, ...).
#[derive(Debug)]
struct NoCredentials;

impl kinesis_wire::credentials::Provider for NoCredentials {
    fn credentials(
        &self,
    ) -> Result<kinesis_wire::credentials::Credentials, kinesis_wire::credentials::CredentialsError>
    {
        Err(kinesis_wire::credentials::CredentialsError::Failed {
            provider: "test",
            reason: "STS refused the role".into(),
        })
    }
}

#[test]
fn a_credentials_failure_while_sending_is_fatal_as_reference_7_3() {
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    let client = kinesis_wire::KinesisClient::builder()
        .endpoint(&r.url)
        .region("us-east-1")
        .credentials(Arc::new(NoCredentials))
        .build()
        .unwrap();
    let sink = RecordSink::open(client, "s", fast_config()).unwrap();
    let input = records(20, "cred");
    sink.send_all(input.clone()).unwrap();
    let err = sink.close(Duration::from_secs(5)).unwrap_err();
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(
        failure.cause.contains("non-recoverable"),
        "{}",
        failure.cause
    );
    assert!(
        failure.cause.contains("STS refused the role"),
        "{}",
        failure.cause
    );
    assert_eq!(r.request_count(), 0, "nothing reached the wire");
    let back: Vec<SinkRecord> = failure.records.iter().map(|f| f.record.clone()).collect();
    assert_eq!(back, input);
    assert_eq!(sink.metrics().records_failed, 20);
}

#[test]
fn retries_wait_a_full_jitter_backoff_capped_by_the_retry_options() {
    // One record throttled on its first ten sends; base = max = 50 ms with a doubling
    // multiplier, so each wait is uniform in [0, 50 ms): ten add up to less than 25 ms with
    // probability < 1e-9, and to less than 500 ms always. Not capped by max, the waits
    // would grow to 50 ms x 2^9: about 25 s on average, under 3 s with probability < 5 %.
    // 3 s leaves 2.5 s for ten loopback requests.
    const SENDS: usize = 11;
    let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let t2 = times.clone();
    let r = Responder::start(move |i, entries| {
        t2.lock().unwrap().push(Instant::now());
        Reply::Results(vec![(i < SENDS - 1).then_some(PTE); entries.len()])
    });
    let cfg = fast_config().with_retry_backoff(Backoff::new(
        Duration::from_millis(50),
        Duration::from_millis(50),
        2.0,
    ));
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    sink.send(SinkRecord::new(b"once".to_vec(), "k")).unwrap();
    sink.close(Duration::from_secs(60)).unwrap();
    assert_eq!(r.stored().len(), 1);
    let times = times.lock().unwrap().clone();
    assert_eq!(times.len(), SENDS);
    let waited = times[SENDS - 1] - times[0];
    assert!(
        waited >= Duration::from_millis(25) && waited < Duration::from_secs(3),
        "ten retries took {waited:?}"
    );
    assert_eq!(sink.metrics().retried_by_code[PTE], SENDS as u64 - 1);
}

#[test]
fn batches_queued_when_the_sink_stops_are_handed_back_unsent() {
    // Batches of 10, up to 4 in flight but one connection: after three quick successes the
    // limiter lets four batches go, three of them queued behind the one on the wire. That one
    // fails with a fatal code: the queued three must not be sent, and come back.
    let r = Responder::start(|i, entries| match i {
        0..=2 => Reply::ack_all(entries.len()),
        3 => Reply::Stall(
            Duration::from_millis(300),
            Box::new(Reply::Results(
                (0..entries.len())
                    .map(|j| (j == 0).then_some("KMSDisabledException"))
                    .collect(),
            )),
        ),
        _ => Reply::ack_all(entries.len()),
    });
    let cfg = fast_config()
        .with_batch_max_size(10)
        .with_max_in_flight_requests(4)
        .with_http_max_concurrency(1)
        .with_flush_buffer_timeout(Duration::from_secs(10));
    let sink = RecordSink::open(client(&r.url), "s", cfg).unwrap();
    let input = records(70, "q");
    // Let the first three batches complete one by one so the limiter grows.
    sink.send_all(input[..30].to_vec()).unwrap();
    wait_until(|| r.stored().len() == 30);
    sink.send_all(input[30..].to_vec()).unwrap();
    let err = sink.close(Duration::from_secs(5)).unwrap_err();
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert_eq!(failure.code.as_deref(), Some("KMSDisabledException"));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        r.request_count(),
        4,
        "queued batches were sent after the sink stopped"
    );
    let mut seen = r.stored();
    seen.extend(
        failure
            .records
            .iter()
            .map(|f| (f.record.data.clone(), f.record.partition_key.clone())),
    );
    assert_eq!(multiset(&seen), multiset(&as_entries(&input)));
    assert_eq!(failure.records.len(), 31);
    let unsent = failure.records.iter().filter(|f| f.attempts == 0).count();
    assert_eq!(
        unsent,
        30,
        "{:?}",
        failure
            .records
            .iter()
            .map(|f| f.attempts)
            .collect::<Vec<_>>()
    );
    assert_eq!(sink.metrics().records_failed, 31);
}

#[test]
fn the_failure_carries_the_request_error_that_stopped_the_sink() {
    // No answer at all: the transport error itself, and it is not logged at error level
    // (the caller gets it returned; logging it too made the CLI print it twice).
    logged_errors();
    let refusing = kinesis_tests::RefusingPort::bind();
    let stream = "refused-cause-stream";
    let sink = RecordSink::open(client(&refusing.url()), stream, fast_config()).unwrap();
    let err = match sink.send_all(records(3, "c")) {
        Err(e) => e,
        Ok(()) => sink.flush().unwrap_err(),
    };
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(failure.is_transport(), "{failure:?}");
    assert_eq!(
        failure.cause_error().and_then(|e| e.transport_kind()),
        Some(kinesis_wire::TransportErrorKind::ConnectRefused),
        "{failure:?}"
    );
    // Later calls report the same cause.
    let SinkError::Failed(again) = sink.flush().unwrap_err() else {
        panic!("expected Failed again")
    };
    assert!(again.records_handed_back_earlier && again.is_transport());
    let logged = logged_errors();
    assert!(
        !logged.iter().any(|l| l.contains(stream)),
        "the fatal error was logged at error level: {logged:?}"
    );

    // An error status: the service error, not a transport one.
    let r = Responder::start(|_, _| Reply::Error(400, "ResourceNotFoundException"));
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    let err = match sink.send_all(records(3, "n")) {
        Err(e) => e,
        Ok(()) => sink.flush().unwrap_err(),
    };
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(!failure.is_transport(), "{failure:?}");
    assert!(
        failure
            .cause_error()
            .is_some_and(|e| e.is_code("ResourceNotFoundException")),
        "{failure:?}"
    );

    // A per-record code inside a successful response: no request error.
    let r = Responder::start(|_, entries| {
        Reply::Results(vec![Some("KMSAccessDeniedException"); entries.len()])
    });
    let sink = RecordSink::open(client(&r.url), "s", fast_config()).unwrap();
    let err = match sink.send_all(records(3, "k")) {
        Err(e) => e,
        Ok(()) => sink.flush().unwrap_err(),
    };
    let SinkError::Failed(failure) = &err else {
        panic!("expected Failed, got {err}")
    };
    assert!(!failure.is_transport(), "{failure:?}");
    assert_eq!(failure.cause_error(), None);
}

/// Credentials that take forever unless the call's shutdown stops them.
#[derive(Debug, Default)]
struct SlowCredentials {
    /// A fetch started.
    entered: std::sync::atomic::AtomicBool,
    interrupted: std::sync::atomic::AtomicBool,
}

impl kinesis_wire::credentials::Provider for SlowCredentials {
    fn credentials(
        &self,
    ) -> Result<kinesis_wire::credentials::Credentials, kinesis_wire::credentials::CredentialsError>
    {
        std::thread::sleep(Duration::from_secs(60));
        Err(kinesis_wire::credentials::CredentialsError::Interrupted { provider: "slow" })
    }
    fn credentials_with_shutdown(
        &self,
        shutdown: &kinesis_wire::Shutdown,
    ) -> Result<kinesis_wire::credentials::Credentials, kinesis_wire::credentials::CredentialsError>
    {
        self.entered
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if !shutdown.sleep(Duration::from_secs(60)) {
            self.interrupted
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Err(kinesis_wire::credentials::CredentialsError::Interrupted { provider: "slow" })
    }
}

#[test]
fn abort_stops_a_credentials_fetch_in_progress_and_hands_every_record_back() {
    let r = Responder::start(|_, entries| Reply::ack_all(entries.len()));
    let creds = Arc::new(SlowCredentials::default());
    let client = kinesis_wire::KinesisClient::builder()
        .endpoint(&r.url)
        .region("us-east-1")
        .credentials(creds.clone())
        .build()
        .unwrap();
    let sink = RecordSink::open(client, "s", fast_config()).unwrap();
    let input = records(30, "slow");
    sink.send_all(input.clone()).unwrap();
    // A sender is stuck in the credentials fetch.
    wait_until(|| creds.entered.load(std::sync::atomic::Ordering::SeqCst));
    let started = std::time::Instant::now();
    let err = sink.abort().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let mut back = err.into_records();
    back.sort_by(|a, b| a.data.cmp(&b.data));
    let mut want = input;
    want.sort_by(|a, b| a.data.cmp(&b.data));
    assert_eq!(back, want, "every record handed back");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !creds.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            std::time::Instant::now() < deadline,
            "the fetch in progress was not stopped"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
