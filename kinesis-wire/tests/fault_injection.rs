//! Retry behaviour against a scripted loopback HTTP responder (127.0.0.1 only): throttling,
//! 5xx, connections reset mid-response, validation errors, exhaustion, refused connections
//! and timeouts. Neither test server can produce these faults.

// kinesis-tests' RefusingPort (kinesis-wire's tests cannot depend on kinesis-tests).
#[allow(dead_code)]
#[path = "../../tests/src/refusing_port.rs"]
mod refusing_port;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput, ListShardsInput};
use kinesis_wire::{
    codes, credentials::Credentials, model::StartingPosition, Backoff, KinesisClient, KinesisError,
    RetryPolicy, Shutdown, Timeouts, TransportErrorKind,
};
use refusing_port::RefusingPort;

/// What the responder does with one request.
#[derive(Debug, Clone)]
enum Reply {
    /// A complete response with this status and JSON body.
    Json(u16, &'static str),
    /// Headers promising a longer body, half of it, then the connection is closed.
    CutBody,
    /// Close the connection without answering.
    Close,
    /// Answer after this long.
    Slow(Duration, &'static str),
}

struct Responder {
    url: String,
    requests: Arc<AtomicUsize>,
    targets: Arc<Mutex<Vec<String>>>,
    _thread: JoinHandle<()>,
}

/// Reads one request (headers and Content-Length body); returns its X-Amz-Target.
fn read_request(stream: &TcpStream) -> Option<String> {
    let mut r = BufReader::new(stream);
    let mut target = String::new();
    let mut len = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
            if k.eq_ignore_ascii_case("x-amz-target") {
                target = v.trim().to_string();
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(target)
}

impl Responder {
    /// Serves `script` in order, one connection per request (`Connection: close`); requests
    /// beyond the script get a 599 so a test can never hang on it.
    fn start(script: Vec<Reply>) -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let targets = Arc::new(Mutex::new(Vec::new()));
        let (req2, tgt2) = (requests.clone(), targets.clone());
        let thread = std::thread::spawn(move || {
            let mut script = script.into_iter();
            // Bounded: at most 64 connections per responder.
            for conn in listener.incoming().take(64) {
                let Ok(mut s) = conn else { continue };
                let Some(target) = read_request(&s) else {
                    continue;
                };
                req2.fetch_add(1, Ordering::SeqCst);
                tgt2.lock().unwrap().push(target);
                let reply = script.next().unwrap_or(Reply::Json(599, "{}"));
                let write = |s: &mut TcpStream, status: u16, body: &str| {
                    let _ = write!(
                        s,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\n\
                         x-amzn-RequestId: fault-{status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                };
                match reply {
                    Reply::Json(status, body) => write(&mut s, status, body),
                    Reply::Slow(d, body) => {
                        std::thread::sleep(d);
                        write(&mut s, 200, body)
                    }
                    Reply::CutBody => {
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
                              Content-Length: 200\r\n\r\n{\"Records\":[{\"Seq",
                        );
                        let _ = s.flush();
                    }
                    Reply::Close => {}
                }
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        });
        Responder {
            url,
            requests,
            targets,
            _thread: thread,
        }
    }

    fn client(&self) -> KinesisClient {
        client_for(&self.url, Timeouts::default())
    }

    fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn client_for(url: &str, timeouts: Timeouts) -> KinesisClient {
    KinesisClient::builder()
        .endpoint(url)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
        .timeouts(timeouts)
        .build()
        .unwrap()
}

fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        max_attempts,
        Backoff::new(Duration::from_millis(5), Duration::from_millis(20), 1.5),
    )
}

fn get_records(c: &KinesisClient) -> Result<kinesis_wire::model::GetRecordsOutput, KinesisError> {
    c.get_records(&GetRecordsInput::new("AAAA"))
}

const THROTTLED: &str = r#"{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded for shard shardId-000000000000"}"#;
const RECORDS: &str = r#"{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1.5,"Data":"b2s=","PartitionKey":"k"}],"NextShardIterator":"BBBB","MillisBehindLatest":0}"#;

#[test]
fn throttling_twice_then_success_is_retried_with_backoff() {
    let r = Responder::start(vec![
        Reply::Json(400, THROTTLED),
        Reply::Json(400, THROTTLED),
        Reply::Json(200, RECORDS),
    ]);
    let c = r.client();
    let mut errors = Vec::new();
    let out = fast_policy(5)
        .run(&Shutdown::new(), |attempt| {
            let res = get_records(&c);
            if let Err(e) = &res {
                assert!(e.is_throttling() && e.is_retryable(), "{e}");
                errors.push(attempt);
            }
            res
        })
        .unwrap();
    assert_eq!(out.records[0].data, b"ok");
    assert_eq!(out.next_shard_iterator.as_deref(), Some("BBBB"));
    assert_eq!(errors, vec![0, 1]);
    assert_eq!(r.count(), 3);
    assert!(r
        .targets
        .lock()
        .unwrap()
        .iter()
        .all(|t| t == "Kinesis_20131202.GetRecords"));
}

#[test]
fn http_500_is_retried() {
    let r = Responder::start(vec![
        Reply::Json(500, r#"{"__type":"InternalFailure"}"#),
        Reply::Json(503, ""),
        Reply::Json(200, r#"{"ShardIterator":"IT"}"#),
    ]);
    let c = r.client();
    let it = fast_policy(4)
        .run(&Shutdown::new(), |_| {
            c.get_shard_iterator(&GetShardIteratorInput::new(
                "s",
                "shardId-000000000000",
                StartingPosition::TrimHorizon,
            ))
        })
        .unwrap();
    assert_eq!(it, "IT");
    assert_eq!(r.count(), 3);
}

#[test]
fn connection_reset_during_read_is_retried() {
    // First check how a cut-off body and a closed connection surface, then that both retry.
    let r = Responder::start(vec![Reply::CutBody, Reply::Close]);
    let c = r.client();
    let cut = get_records(&c).unwrap_err();
    assert_eq!(
        cut.transport_kind(),
        Some(TransportErrorKind::Reset),
        "{cut}"
    );
    assert!(cut.is_retryable());
    let closed = get_records(&c).unwrap_err();
    assert!(
        matches!(
            closed.transport_kind(),
            Some(TransportErrorKind::Reset | TransportErrorKind::Protocol)
        ),
        "{closed}"
    );
    assert!(closed.is_retryable());

    let r = Responder::start(vec![
        Reply::CutBody,
        Reply::Close,
        Reply::Json(200, RECORDS),
    ]);
    let c = r.client();
    let out = fast_policy(5)
        .run(&Shutdown::new(), |_| get_records(&c))
        .unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(r.count(), 3);
}

#[test]
fn validation_error_is_not_retried() {
    let r = Responder::start(vec![
        Reply::Json(
            400,
            r#"{"__type":"ValidationException","message":"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint"}"#,
        ),
        Reply::Json(200, RECORDS),
    ]);
    let c = r.client();
    let e = fast_policy(5)
        .run(&Shutdown::new(), |_| get_records(&c))
        .unwrap_err();
    assert!(e.is_code(codes::VALIDATION), "{e}");
    assert!(matches!(e, KinesisError::Service { status: 400, .. }));
    assert_eq!(r.count(), 1);
}

#[test]
fn retries_stop_at_the_maximum_and_say_how_many_attempts() {
    let r = Responder::start(vec![Reply::Json(400, THROTTLED); 10]);
    let c = r.client();
    let e = fast_policy(3)
        .run(&Shutdown::new(), |_| {
            c.list_shards(&ListShardsInput::for_stream("s"))
        })
        .unwrap_err();
    assert_eq!(r.count(), 3);
    assert_eq!(e.attempts(), 3);
    assert!(e.is_throttling());
    let msg = e.to_string();
    assert!(msg.starts_with("gave up after 3 attempts: ListShards failed: ProvisionedThroughputExceededException (HTTP 400, request id fault-400)"), "{msg}");
}

#[test]
fn refused_connection_and_read_timeout_are_distinguished() {
    // A port reserved for the test that refuses connections.
    let refusing = RefusingPort::bind();
    let c = client_for(&refusing.url(), Timeouts::default());
    let e = get_records(&c).unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::ConnectRefused),
        "{e}"
    );
    assert!(e.is_retryable());

    // The answer would come after 10 s; the 200 ms read timeout ends the call long before.
    let r = Responder::start(vec![Reply::Slow(Duration::from_secs(10), RECORDS)]);
    let c = client_for(
        &r.url,
        Timeouts::new(
            Duration::from_secs(2),
            Duration::from_millis(200),
            Duration::from_secs(20),
        ),
    );
    let start = Instant::now();
    let e = get_records(&c).unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportErrorKind::Timeout), "{e}");
    assert!(e.is_retryable());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_zero_read_timeout_means_no_read_timeout() {
    let r = Responder::start(vec![Reply::Slow(Duration::from_millis(300), RECORDS)]);
    let c = client_for(
        &r.url,
        Timeouts::new(
            Duration::from_secs(2),
            Duration::ZERO,
            Duration::from_secs(5),
        ),
    );
    let out = get_records(&c).expect("a slow answer is still read");
    assert_eq!(r.count(), 1);
    assert!(!out.records.is_empty());
}

#[test]
fn shutdown_stops_a_retry_loop_promptly() {
    let r = Responder::start(vec![Reply::Json(400, THROTTLED); 10]);
    let c = r.client();
    let shutdown = Shutdown::new();
    let s2 = shutdown.clone();
    let slow = RetryPolicy::new(
        50,
        Backoff::new(Duration::from_secs(30), Duration::from_secs(30), 1.0),
    );
    let t = std::thread::spawn(move || slow.run(&s2, |_| get_records(&c)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(20));
    let start = Instant::now();
    shutdown.trigger();
    let e = t.join().unwrap().unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    // Full jitter may (rarely) draw a near-zero first delay, so allow a second call.
    match e {
        KinesisError::Interrupted { attempts, last } => {
            assert!(attempts >= 1 && last.is_some_and(|l| l.is_throttling()));
            assert_eq!(r.count(), attempts as usize);
        }
        other => panic!("expected Interrupted, got {other}"),
    }
}

#[derive(Debug, Default)]
struct RotatingProvider {
    generation: AtomicUsize,
}

impl kinesis_wire::credentials::Provider for RotatingProvider {
    fn credentials(&self) -> Result<Credentials, kinesis_wire::credentials::CredentialsError> {
        let g = self.generation.load(Ordering::SeqCst);
        Ok(Credentials::new(
            format!("AKIDGEN{g}"),
            "secret",
            Some(format!("token-{g}")),
            None,
            "TEST",
        ))
    }
    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn expired_token_refreshes_credentials_and_retries_the_call_once() {
    let r = Responder::start(vec![
        Reply::Json(
            400,
            r#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#,
        ),
        Reply::Json(200, RECORDS),
        Reply::Json(
            400,
            r#"{"__type":"ExpiredTokenException","message":"expired"}"#,
        ),
        Reply::Json(
            400,
            r#"{"__type":"ExpiredTokenException","message":"expired again"}"#,
        ),
    ]);
    let provider = Arc::new(RotatingProvider::default());
    let c = KinesisClient::builder()
        .endpoint(&r.url)
        .credentials(provider.clone())
        .build()
        .unwrap();
    // No RetryPolicy: the refresh-and-resend is the client's own, once per call.
    let out = get_records(&c).unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(provider.generation.load(Ordering::SeqCst), 1);
    assert_eq!(r.count(), 2);
    let e = get_records(&c).unwrap_err();
    assert!(e.is_code(codes::EXPIRED_TOKEN) && !e.is_retryable(), "{e}");
    // Invalidated once more (before the resend), not after the second expiry.
    assert_eq!(provider.generation.load(Ordering::SeqCst), 2);
    assert_eq!(r.count(), 4);
}

#[test]
fn a_peer_that_never_reads_times_out_the_write_at_the_read_timeout() {
    use kinesis_wire::transport::{HttpRequest, Transport, UreqSettings, UreqTransport};
    // A peer that accepts and never reads: once the socket buffers are full, the request's
    // write blocks. The write is bounded by the read timeout (a constant per-write timeout),
    // not by the overall timeout, and the message says it could not send.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let peer = std::thread::spawn(move || {
        let (held, _) = listener.accept().unwrap();
        let _ = done_rx.recv_timeout(Duration::from_secs(30));
        drop(held);
    });
    let mut s = UreqSettings::default();
    s.read_timeout = Duration::from_millis(300);
    s.overall_timeout = Duration::from_secs(20);
    s.no_proxy = true;
    let t = UreqTransport::new(&s).unwrap();
    let start = Instant::now();
    let e = t
        .send(&HttpRequest::post(url.as_str(), vec![b'x'; 64 << 20]))
        .unwrap_err();
    let took = start.elapsed();
    drop(done_tx);
    peer.join().unwrap();
    assert_eq!(e.kind, TransportErrorKind::Timeout, "{e}");
    assert!(
        e.message
            .starts_with("cannot send the request to http://127.0.0.1:")
            && e.message.ends_with("within 0.3 s"),
        "{}",
        e.message
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}
