//! Backpressure measured from outside the sink: while the endpoint stalls, the process's
//! resident memory must stay near the sink's byte bound instead of growing with what the
//! writer offers. Its own test binary, so no other test's allocations blur the figure.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, Reply, Responder};
use kinesis_sink::{RecordSink, SinkConfig, SinkRecord};

/// Resident set size of this process, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value in kB");
    kb * 1024
}

#[test]
fn a_stalled_endpoint_keeps_resident_memory_under_the_bound() {
    const RECORD: usize = 100 * 1024;
    const OFFERED: usize = 500; // 50 MiB offered in all
    let r = Responder::start(|_, entries| {
        Reply::Stall(
            Duration::from_secs(30),
            Box::new(Reply::ack_all(entries.len())),
        )
    });
    let cfg = SinkConfig::default()
        .with_batch_max_size(100)
        .with_max_in_flight_requests(2)
        .with_max_buffered_requests(1000)
        .with_flush_buffer_size(1 << 20)
        .with_max_buffered_bytes(2 << 20)
        .with_flush_buffer_timeout(Duration::from_millis(50));
    let sink = Arc::new(RecordSink::open(client(&r.url), "s", cfg.clone()).unwrap());
    let baseline = rss_bytes();
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (sink, written) = (sink.clone(), written.clone());
        std::thread::spawn(move || {
            for i in 0..OFFERED {
                let mut data = vec![b'x'; RECORD];
                data[..6].copy_from_slice(format!("{i:06}").as_bytes());
                sink.send(SinkRecord::new(data, format!("k{i}"))).unwrap();
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    // Until the writer ran into the stalled endpoint: the sink is full (the next record does
    // not fit its byte bound), the responder holds what is in flight, and the writer's count
    // agrees with what the sink holds, so it is inside a blocked send. Resident memory is
    // watched meanwhile, and then a little longer in that steady state.
    let mut peak = baseline;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        peak = peak.max(rss_bytes());
        let m = sink.metrics();
        let held = m.buffered_bytes + m.in_flight_bytes;
        let accepted = m.buffered_records + m.in_flight_records;
        let full = held + RECORD as u64 > cfg.max_buffered_bytes
            && r.request_count() >= m.in_flight_requests
            && written.load(Ordering::SeqCst) == accepted;
        if full || written.load(Ordering::SeqCst) == OFFERED || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..20 {
        peak = peak.max(rss_bytes());
        std::thread::sleep(Duration::from_millis(5));
    }
    let blocked_at = written.load(Ordering::SeqCst);
    let growth = peak.saturating_sub(baseline);
    // The sink holds at most 2 MiB of data; each of the two stalled requests also exists as
    // its JSON body (in the client and in this process's responder) and as the responder's
    // parsed copy: about 4 MiB per request. Unbounded, the 1000-record buffer would hold
    // all 50 MiB offered.
    assert!(
        blocked_at < OFFERED / 4,
        "write must block: {blocked_at} written"
    );
    assert!(
        growth < 24 << 20,
        "resident memory grew by {} MiB while the endpoint stalled ({blocked_at} records written)",
        growth >> 20
    );
    r.release();
    writer.join().unwrap();
    sink.close(Duration::from_secs(30)).unwrap();
    assert_eq!(r.stored().len(), OFFERED);
}
