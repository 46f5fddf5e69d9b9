//! Helpers of the kinesis-sink integration tests that only they need: a loopback responder
//! that speaks enough Kinesis JSON to acknowledge or fail PutRecords entries, and a reader
//! that collects every record of a stream with plain kinesis-wire calls. The helpers every
//! crate's tests share (endpoints, clients, temporary streams) come from kinesis-tests.
#![allow(dead_code, unused_imports)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use kinesis_tests::loopback::{Answer, LoopbackServer};
use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput};
use kinesis_wire::{
    model::{Record, StartingPosition},
    KinesisClient, RetryPolicy, Shutdown, Timeouts,
};

pub use kinesis_tests::{endpoint, hash_key, unique_name, TempStream};

/// A client for a local endpoint (any keys work: no test server checks signatures).
pub fn client(endpoint: &str) -> KinesisClient {
    client_with_timeouts(endpoint, Timeouts::default())
}

pub fn client_with_timeouts(endpoint: &str, timeouts: Timeouts) -> KinesisClient {
    kinesis_tests::client_builder(endpoint)
        .timeouts(timeouts)
        .max_connections(8)
        .build()
        .expect("client builds")
}

/// Reading a whole stream back, for the tests against the servers.
pub trait ReadAll {
    /// Every record of every shard (closed ones included), read from TRIM_HORIZON until
    /// `expected` records were seen and each shard is caught up, or `limit` passed.
    fn read_all(&self, expected: usize, limit: Duration) -> Vec<(String, Record)>;
}

impl ReadAll for TempStream {
    fn read_all(&self, expected: usize, limit: Duration) -> Vec<(String, Record)> {
        let start = Instant::now();
        let shards = self.shards();
        let policy = RetryPolicy::default();
        let shutdown = Shutdown::new();
        let mut iterators: Vec<(String, Option<String>)> = shards
            .iter()
            .map(|s| {
                let it = policy
                    .run(&shutdown, |_| {
                        self.client.get_shard_iterator(&GetShardIteratorInput::new(
                            self.stream(),
                            s.shard_id.clone(),
                            StartingPosition::TrimHorizon,
                        ))
                    })
                    .expect("GetShardIterator");
                (s.shard_id.clone(), Some(it))
            })
            .collect();
        let mut out = Vec::new();
        loop {
            let mut all_caught_up = true;
            for (shard, it) in iterators.iter_mut() {
                let Some(iter) = it.clone() else { continue };
                let page = policy
                    .run(&shutdown, |_| {
                        self.client
                            .get_records(&GetRecordsInput::new(iter.clone()).limit(10_000))
                    })
                    .expect("GetRecords");
                if !page.records.is_empty() || page.millis_behind_latest.unwrap_or(0) > 0 {
                    all_caught_up = false;
                }
                out.extend(page.records.into_iter().map(|r| (shard.clone(), r)));
                *it = page.next_shard_iterator;
            }
            if (out.len() >= expected && all_caught_up) || start.elapsed() > limit {
                return out;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loopback responder.

/// One PutRecords entry as the responder received it.
pub type Entry = (Vec<u8>, String);

/// How the responder answers one PutRecords request.
pub enum Reply {
    /// One result per entry: `None` acknowledges (and stores) it, `Some(code)` fails it.
    Results(Vec<Option<&'static str>>),
    /// The whole request fails with this HTTP status and `__type` code.
    Error(u16, &'static str),
    /// Wait this long (or until [`Responder::release`]), then answer with the inner reply.
    Stall(Duration, Box<Reply>),
}

impl Reply {
    pub fn ack_all(n: usize) -> Reply {
        Reply::Results(vec![None; n])
    }
}

/// Decides the reply to request number `index` (0-based) carrying `entries`.
pub type Script = dyn Fn(usize, &[Entry]) -> Reply + Send + Sync;

pub struct ResponderState {
    /// Every PutRecords request's entries, in arrival order.
    pub requests: Mutex<Vec<Vec<Entry>>>,
    /// Every entry acknowledged, in order (an entry acknowledged twice appears twice).
    pub stored: Mutex<Vec<Entry>>,
    released: Mutex<bool>,
    release_cv: Condvar,
    count: AtomicUsize,
    /// Requests being answered now, and the most at any one time.
    in_progress: AtomicUsize,
    pub max_in_progress: AtomicUsize,
    script: Box<Script>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers PutRecords per a script.
pub struct Responder {
    pub url: String,
    pub state: Arc<ResponderState>,
    server: LoopbackServer,
}

impl Responder {
    pub fn start(script: impl Fn(usize, &[Entry]) -> Reply + Send + Sync + 'static) -> Responder {
        let state = Arc::new(ResponderState {
            requests: Mutex::default(),
            stored: Mutex::default(),
            released: Mutex::new(false),
            release_cv: Condvar::new(),
            count: AtomicUsize::new(0),
            in_progress: AtomicUsize::new(0),
            max_in_progress: AtomicUsize::new(0),
            script: Box::new(script),
        });
        let server = {
            let state = state.clone();
            LoopbackServer::start(move |request| {
                let now = state.in_progress.fetch_add(1, Ordering::SeqCst) + 1;
                state.max_in_progress.fetch_max(now, Ordering::SeqCst);
                let (status, response) = handle(&request.body, &state);
                state.in_progress.fetch_sub(1, Ordering::SeqCst);
                Answer::Json(status, response)
            })
        };
        Responder {
            url: server.url.clone(),
            state,
            server,
        }
    }

    /// Ends every stall now and later.
    pub fn release(&self) {
        *self.state.released.lock().unwrap() = true;
        self.state.release_cv.notify_all();
    }

    pub fn stored(&self) -> Vec<Entry> {
        self.state.stored.lock().unwrap().clone()
    }

    pub fn requests(&self) -> Vec<Vec<Entry>> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    /// The most PutRecords requests that were being answered at the same time.
    pub fn max_concurrent_requests(&self) -> usize {
        self.state.max_in_progress.load(Ordering::SeqCst)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        // Stalled answers end; the server itself stops when `server` drops after this.
        self.release();
    }
}

fn parse_entries(body: &[u8]) -> Vec<Entry> {
    let v: serde_json::Value = serde_json::from_slice(body).expect("PutRecords body is JSON");
    v["Records"]
        .as_array()
        .expect("Records array")
        .iter()
        .map(|r| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(r["Data"].as_str().expect("Data"))
                .expect("base64 Data");
            (
                data,
                r["PartitionKey"]
                    .as_str()
                    .expect("PartitionKey")
                    .to_string(),
            )
        })
        .collect()
}

fn handle(body: &[u8], state: &ResponderState) -> (u16, Vec<u8>) {
    let entries = parse_entries(body);
    let index = state.count.fetch_add(1, Ordering::SeqCst);
    state.requests.lock().unwrap().push(entries.clone());
    let mut reply = (state.script)(index, &entries);
    loop {
        match reply {
            Reply::Stall(d, inner) => {
                let deadline = Instant::now() + d;
                let mut released = state.released.lock().unwrap();
                while !*released && Instant::now() < deadline {
                    released = state
                        .release_cv
                        .wait_timeout(released, deadline - Instant::now())
                        .unwrap()
                        .0;
                }
                reply = *inner;
            }
            Reply::Error(status, code) => {
                return (
                    status,
                    format!(r#"{{"__type":"{code}","message":"injected {code}"}}"#).into_bytes(),
                )
            }
            Reply::Results(results) => {
                assert_eq!(
                    results.len(),
                    entries.len(),
                    "script gave one result per entry"
                );
                let mut failed = 0;
                let mut out = String::from("{\"Records\":[");
                let mut stored = state.stored.lock().unwrap();
                for (i, (r, e)) in results.iter().zip(&entries).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    match r {
                        None => {
                            stored.push(e.clone());
                            out.push_str(&format!(
                                r#"{{"SequenceNumber":"{}","ShardId":"shardId-000000000000"}}"#,
                                49_000_000 + stored.len()
                            ));
                        }
                        Some(code) => {
                            failed += 1;
                            out.push_str(&format!(
                                r#"{{"ErrorCode":"{code}","ErrorMessage":"injected {code}"}}"#
                            ));
                        }
                    }
                }
                out.push_str(&format!("],\"FailedRecordCount\":{failed}}}"));
                return (200, out.into_bytes());
            }
        }
    }
}

/// Counts of each entry in `entries`.
pub fn multiset(entries: &[Entry]) -> HashMap<Entry, usize> {
    let mut m = HashMap::new();
    for e in entries {
        *m.entry(e.clone()).or_insert(0) += 1;
    }
    m
}
