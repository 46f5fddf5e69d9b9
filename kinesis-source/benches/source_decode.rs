//! Source throughput: GetRecords responses of 10,000 records served by a loopback endpoint
//! in its own process (this binary re-executed with `--serve`), read through the source
//! (raw bytes, csv and json rows of the seed schema), against the thinnest hand-written
//! loop (GetRecords over ureq, serde_json parse, base64 decode of every record).
//!
//! Reports records/s, records per CPU-second of this process (CLOCK_PROCESS_CPUTIME_ID,
//! i.e. getrusage user+sys of every thread), MB/s of payload per CPU-second, the ratio to
//! the baseline, and where the time goes. Median of 5 runs.
//!
//! `cargo bench -p kinesis-source --bench source_decode` (add `-- --quick` for 1 run;
//! `BENCH_THREADS=1` prints each thread's CPU time).
//!
//! Measured on the 2-core development machine (median of 5, ratio = records per CPU-second
//! relative to the baseline of the same run; the baseline did 4.2-4.3 M records/CPU-s at
//! 100 B; other work was running on the machine, so ratios move by a few hundredths):
//!
//! | payload | raw (bytes + metadata) | csv (seed schema) | json (seed schema) |
//! |---|---|---|---|
//! | 100 B  | 0.86 (was 0.46-0.52) | 0.56 (was 0.31-0.41) | 0.46 (was 0.28-0.36) |
//! | 1 KiB  | 1.31 (was 0.92-0.98) | 0.68 (was 0.59-0.62) | 0.74 (was 0.52-0.58) |
//!
//! Where the time goes at 100 B (CPU ns per record, total 273 raw / 419 csv): HTTP 42,
//! kinesis-wire's GetRecords parse into a `RecordBatch` (hand-written JSON scan, base64-simd
//! into one payload buffer, nothing allocated per record) 87 — it was 260 with one
//! String/Vec per field —, the format 25 (raw) / 169 (csv) / 271 (json), and ~117 for
//! handing records to the caller (the `SourceRecord`'s own allocations: row, payload copy,
//! sequence number, partition key; arrival time; the lock). Decoding runs on the caller's
//! thread because freeing on one thread what another allocated cost ~300 ns per record
//! (glibc arena contention); pages go back to their reader, which refills their buffers.
//!
//! `--parse-only` prints the parse alone and `--source-only FORMAT SIZE` runs the source
//! alone (for a profiler).
//!
//! `SourceRecord::data` (one more copy of each payload on the caller's thread) was added
//! later: 100 B raw 0.80, csv 0.52 of the baseline on a quiet machine. While another
//! program keeps one of the two cores busy, the source's ratios drop to ~0.6 raw / ~0.45
//! csv whether or not the field exists (three alternating runs of both builds: 0.60, 0.62,
//! 0.65 without it, 0.61, 0.58, 0.61 with it); the single-threaded baseline barely moves.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use kinesis_formats::DataType;
use kinesis_options::{Column, TableDef};
use kinesis_source::{KinesisSource, SourceContext};
use kinesis_tests::loopback::Connection;
use serde::Deserialize;

const RECORDS_PER_RESPONSE: usize = 10_000;
const RESPONSES: usize = 20;
const TOTAL: usize = RECORDS_PER_RESPONSE * RESPONSES;

fn cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

// ---------------------------------------------------------------- payloads

/// One payload of exactly `size` bytes in `format`, seed schema
/// (user_id BIGINT, item_id BIGINT, category_id BIGINT, behavior STRING, ts TIMESTAMP(3)).
fn payload(format: &str, size: usize, i: usize) -> Vec<u8> {
    let make = |behavior: &str| -> String {
        match format {
            "json" => format!(
                r#"{{"user_id":{},"item_id":{},"category_id":{},"behavior":"{behavior}","ts":"2020-12-30 12:13:14.100"}}"#,
                1_000_000 + i,
                500_000 + i % 9973,
                i % 97
            ),
            _ => format!(
                "{},{},{},{behavior},2020-12-30 12:13:14.100",
                1_000_000 + i,
                500_000 + i % 9973,
                i % 97
            ),
        }
    };
    let base = make("");
    let pad = size.saturating_sub(base.len());
    let out = make(&"b".repeat(pad)).into_bytes();
    assert_eq!(out.len(), size.max(base.len()));
    out
}

fn response_body(format: &str, size: usize, next: Option<&str>) -> Vec<u8> {
    let mut body = String::with_capacity(RECORDS_PER_RESPONSE * (size * 4 / 3 + 160));
    body.push_str(r#"{"Records":["#);
    for i in 0..RECORDS_PER_RESPONSE {
        if i > 0 {
            body.push(',');
        }
        let data = base64::engine::general_purpose::STANDARD.encode(payload(format, size, i));
        body.push_str(&format!(
            r#"{{"SequenceNumber":"4963280593548012098572037461098272309487124{:013}","ApproximateArrivalTimestamp":1700000000.{:03},"Data":"{data}","PartitionKey":"user-{}"}}"#,
            i,
            i % 1000,
            i % 512
        ));
    }
    body.push_str("],\"NextShardIterator\":");
    match next {
        Some(n) => body.push_str(&format!("\"{n}\"")),
        None => body.push_str("null"),
    }
    body.push_str(",\"MillisBehindLatest\":0}");
    body.into_bytes()
}

// ---------------------------------------------------------------- the server process

fn serve(format: &str, size: usize) {
    // Iterators are "it-N"; response N < RESPONSES carries records, then the shard ends.
    let bodies: Vec<Arc<Vec<u8>>> = (0..RESPONSES)
        .map(|n| Arc::new(response_body(format, size, Some(&format!("it-{}", n + 1)))))
        .collect();
    let end = Arc::new(
        br#"{"Records":[],"NextShardIterator":null,"MillisBehindLatest":0,"ChildShards":[]}"#
            .to_vec(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    // Exit when the parent goes away (stdin closes).
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    for conn in listener.incoming().flatten() {
        let bodies = bodies.clone();
        let end = end.clone();
        std::thread::spawn(move || connection(conn, &bodies, &end));
    }
}

fn connection(stream: TcpStream, bodies: &[Arc<Vec<u8>>], end: &Arc<Vec<u8>>) {
    let mut conn = Connection::new(stream);
    while conn.next_request() {
        let target = conn.request.target.as_str();
        let req: serde_json::Value = serde_json::from_slice(&conn.request.body).unwrap_or_default();
        let body: Arc<Vec<u8>> = match target {
            "Kinesis_20131202.ListShards" => Arc::new(
                br#"{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},"SequenceNumberRange":{"StartingSequenceNumber":"1"}}]}"#.to_vec(),
            ),
            "Kinesis_20131202.GetShardIterator" => Arc::new(br#"{"ShardIterator":"it-0"}"#.to_vec()),
            "Kinesis_20131202.GetRecords" => {
                let it = req["ShardIterator"].as_str().unwrap_or("it-0");
                let n: usize = it.trim_start_matches("it-").parse().unwrap_or(0);
                bodies.get(n).cloned().unwrap_or_else(|| end.clone())
            }
            _ => Arc::new(br#"{"__type":"UnknownOperationException"}"#.to_vec()),
        };
        if conn.respond(200, &body).is_err() {
            return;
        }
    }
}

struct Server {
    child: Child,
    endpoint: String,
}

impl Server {
    fn start(format: &str, size: usize) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--serve", format, &size.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the endpoint process");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        Server {
            child,
            endpoint: format!("http://127.0.0.1:{}", port.trim()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- measurements

#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
}

/// The thinnest loop: GetRecords over ureq, serde_json parse (borrowed strings), base64
/// decode of every record into one reused buffer.
fn baseline(endpoint: &str) -> (Run, usize) {
    #[derive(Deserialize)]
    struct Rec<'a> {
        #[serde(rename = "Data", borrow)]
        data: &'a str,
        #[serde(rename = "SequenceNumber", borrow)]
        _seq: &'a str,
        #[serde(rename = "PartitionKey", borrow)]
        _pk: &'a str,
        #[serde(rename = "ApproximateArrivalTimestamp")]
        _ts: f64,
    }
    #[derive(Deserialize)]
    struct Page<'a> {
        #[serde(rename = "Records", borrow)]
        records: Vec<Rec<'a>>,
        #[serde(rename = "NextShardIterator")]
        next: Option<String>,
    }
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let (w0, c0) = (Instant::now(), cpu_now());
    let mut it = "it-0".to_string();
    let mut n = 0usize;
    let mut bytes = 0usize;
    let mut buf = Vec::with_capacity(4096);
    loop {
        let body = agent
            .post(endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "Kinesis_20131202.GetRecords")
            .send(format!(r#"{{"ShardIterator":"{it}","Limit":10000}}"#))
            .unwrap()
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        let page: Page<'_> = serde_json::from_slice(&body).unwrap();
        for r in &page.records {
            buf.clear();
            base64::engine::general_purpose::STANDARD
                .decode_vec(r.data, &mut buf)
                .unwrap();
            bytes += buf.len();
            n += 1;
        }
        match page.next {
            Some(next) if !page.records.is_empty() => it = next,
            _ => break,
        }
    }
    assert_eq!(n, TOTAL);
    (
        Run {
            wall: w0.elapsed(),
            cpu: cpu_now() - c0,
        },
        bytes,
    )
}

fn table(endpoint: &str, format: &str) -> TableDef {
    let columns = match format {
        "raw" => vec![Column::physical("data", DataType::parse("BYTES").unwrap())],
        _ => [
            ("user_id", "BIGINT"),
            ("item_id", "BIGINT"),
            ("category_id", "BIGINT"),
            ("behavior", "STRING"),
            ("ts", "TIMESTAMP(3)"),
        ]
        .iter()
        .map(|(n, t)| Column::physical(*n, DataType::parse(t).unwrap()))
        .collect(),
    };
    TableDef::from_options(
        "bench",
        columns,
        [
            ("connector", "kinesis"),
            ("stream", "bench"),
            ("aws.region", "us-east-1"),
            ("aws.endpoint", endpoint),
            ("aws.credentials.provider", "BASIC"),
            ("aws.credentials.basic.accesskeyid", "test"),
            ("aws.credentials.basic.secretkey", "test"),
            ("format", format),
            ("scan.stream.initpos", "TRIM_HORIZON"),
            ("scan.shard.getrecords.intervalmillis", "0"),
            ("scan.shard.discovery.intervalmillis", "60000"),
        ],
    )
    .unwrap()
}

fn through_source(endpoint: &str, format: &str) -> Run {
    let t = table(endpoint, format);
    let (w0, c0) = (Instant::now(), cpu_now());
    let source = KinesisSource::open(&t, SourceContext::default()).unwrap();
    let mut n = 0usize;
    let mut fields = 0usize;
    let keep = std::env::var_os("BENCH_KEEP").is_some();
    let mut kept = Vec::new();
    while n < TOTAL {
        let r = source.recv().unwrap();
        fields += r.row.values.len();
        n += 1;
        if keep {
            kept.push(r);
        }
    }
    let run = Run {
        wall: w0.elapsed(),
        cpu: cpu_now() - c0,
    };
    assert!(fields >= TOTAL);
    if std::env::var_os("BENCH_THREADS").is_some() {
        print_thread_cpu();
    }
    source.close(Duration::from_secs(5)).unwrap();
    drop(kept);
    run
}

/// CPU time of each live thread (from /proc, in clock ticks of 10 ms), for diagnosis.
fn print_thread_cpu() {
    let mut parts = Vec::new();
    for e in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = &stat[open + 1..close];
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks: u64 = f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0);
        let sched = std::fs::read_to_string(e.path().join("schedstat")).unwrap_or_default();
        let ns: u64 = sched.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
        parts.push(format!("{name}={:.1}ms({ticks}t)", ns as f64 / 1e6));
    }
    println!("    threads: {}", parts.join(" "));
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.cpu);
    runs[runs.len() / 2]
}

/// Single-threaded costs of the source's stages on the same bytes, CPU ns per record.
fn breakdown(endpoint: &str, format: &str) -> [f64; 3] {
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let fetch = |it: &str| {
        agent
            .post(endpoint)
            .header("x-amz-target", "Kinesis_20131202.GetRecords")
            .send(format!(r#"{{"ShardIterator":"{it}"}}"#))
            .unwrap()
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap()
    };
    let c0 = cpu_now();
    let mut body = Vec::new();
    for n in 0..RESPONSES {
        body = fetch(&format!("it-{n}"));
    }
    let http = (cpu_now() - c0).as_nanos() as f64 / TOTAL as f64;
    let c0 = cpu_now();
    // As the reader does: each page refills the buffers of the one before.
    let mut out = kinesis_wire::model::GetRecordsPage::default();
    for _ in 0..RESPONSES {
        out = kinesis_wire::model::parse_get_records_page(&body, out.records).unwrap();
    }
    let parse = (cpu_now() - c0).as_nanos() as f64 / TOTAL as f64;
    let decoder = table(endpoint, format).format().decoder();
    let c0 = cpu_now();
    let mut rows = 0;
    for _ in 0..RESPONSES {
        for r in out.records.iter() {
            rows += decoder.decode(r.data).unwrap().map_or(0, |r| r.len());
        }
    }
    let decode = (cpu_now() - c0).as_nanos() as f64 / TOTAL as f64;
    assert!(rows > 0);
    [http, parse, decode]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    if args.iter().any(|a| a == "--parse-only") {
        // Diagnostic (for a profiler): kinesis-wire's GetRecords parse alone, 100 B records.
        let body = response_body("csv", 100, Some("it-1"));
        let mut out = kinesis_wire::model::GetRecordsPage::default();
        let c0 = cpu_now();
        for _ in 0..200 {
            out = kinesis_wire::model::parse_get_records_page(&body, out.records).unwrap();
        }
        let ns = (cpu_now() - c0).as_nanos() as f64 / (200 * RECORDS_PER_RESPONSE) as f64;
        println!("parse_get_records_page, 100 B records: {ns:.0} CPU ns/record");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--source-only") {
        // Diagnostic (for a profiler): the source alone, `--source-only FORMAT SIZE`.
        let (format, size) = (&args[i + 1], args[i + 2].parse().unwrap());
        let server = Server::start(if format == "raw" { "csv" } else { format }, size);
        for _ in 0..5 {
            let r = through_source(&server.endpoint, format);
            println!(
                "source {size}B {format}: {:.0} CPU ns/record, {:.0} wall ns/record",
                r.cpu.as_nanos() as f64 / TOTAL as f64,
                r.wall.as_nanos() as f64 / TOTAL as f64
            );
        }
        return;
    }
    let runs = if args.iter().any(|a| a == "--quick") {
        1
    } else {
        5
    };
    println!(
        "source_decode: {RESPONSES} GetRecords responses x {RECORDS_PER_RESPONSE} records, one shard, intervalmillis=0, \
         endpoint in its own process; median of {runs} runs; CPU = this process (all threads)"
    );
    println!(
        "{:<22} {:>12} {:>14} {:>12} {:>10} {:>9} {:>7}",
        "case", "records/s", "rec/CPU-s", "MB/CPU-s", "CPU ms", "wall ms", "ratio"
    );
    for size in [100usize, 1024] {
        for format in ["csv", "json"] {
            let server = Server::start(format, size);
            let ep = server.endpoint.clone();
            let mut base_runs = Vec::new();
            let mut payload_bytes = 0;
            for _ in 0..runs {
                let (r, b) = baseline(&ep);
                payload_bytes = b;
                base_runs.push(r);
            }
            let base = median(base_runs);
            let base_rate = TOTAL as f64 / base.cpu.as_secs_f64();
            let line = |name: String, r: Run| {
                let per_cpu = TOTAL as f64 / r.cpu.as_secs_f64();
                println!(
                    "{:<22} {:>12.0} {:>14.0} {:>12.1} {:>10.1} {:>9.1} {:>7.2}",
                    name,
                    TOTAL as f64 / r.wall.as_secs_f64(),
                    per_cpu,
                    payload_bytes as f64 / 1e6 / r.cpu.as_secs_f64(),
                    r.cpu.as_secs_f64() * 1e3,
                    r.wall.as_secs_f64() * 1e3,
                    per_cpu / base_rate
                );
            };
            line(format!("baseline {size}B {format}"), base);
            // The raw path once per payload size (it does not look at the payload format).
            let mut cases = vec![format];
            if format == "csv" {
                cases.insert(0, "raw");
            }
            for case in cases {
                let r = median((0..runs).map(|_| through_source(&ep, case)).collect());
                line(format!("source {size}B {case}"), r);
                let [http, parse, decode] = breakdown(&ep, case);
                let total = r.cpu.as_nanos() as f64 / TOTAL as f64;
                println!(
                    "    where the time goes (CPU ns/record): http {http:.0}, json+base64 parse {parse:.0}, \
                     format decode {decode:.0}, rows/metadata/channel/threads {:.0} (total {total:.0})",
                    (total - http - parse - decode).max(0.0)
                );
            }
        }
    }
}
