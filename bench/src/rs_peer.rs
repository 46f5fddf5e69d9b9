//! kinesis-rs's bench paths, through its public API only: tables from DDL text,
//! [`RecordSink::open_for_table`], [`KinesisSink::open`] and [`KinesisSource::open`].
//!
//! Every path opens its table's own client, as an application configured only by a table
//! does. When this was written the source had no `open_with_client` and no option sized a
//! connection pool; a shared or pre-sized client is the scale issue's to try here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kinesis_formats::{Row, Value};
use kinesis_options::TableDef;
use kinesis_sink::{KinesisSink, RecordSink, SinkContext, SinkRecord};
use kinesis_source::{KinesisSource, SourceContext};

use crate::endpoint::Control;
use crate::measure::{self, PeerReport, Span};
use crate::payload;
use crate::peer_args::PeerArgs;

/// The peer's name in reports.
pub const PEER: &str = "kinesis-rs";

/// How long closing a sink or source may take.
const CLOSE: Duration = Duration::from_secs(120);

/// The paths this peer runs.
pub const PATHS: [&str; 9] = [
    "put-raw",
    "put-csv",
    "get-raw",
    "get-csv",
    "limit-put",
    "limit-get",
    "idle",
    "latency",
    "agg-put",
];

/// Runs `args.path`.
pub fn run(args: &PeerArgs) -> Result<PeerReport, String> {
    match args.path.as_str() {
        "put-raw" => put_raw(args),
        "put-csv" => put_csv(args),
        "get-raw" => get(args, Layout::Raw),
        "get-csv" => get(args, Layout::Csv),
        "limit-put" => limit_put(args),
        "limit-get" => limit_get(args),
        "idle" => idle(args),
        "latency" => latency(args),
        "agg-put" => crate::rs_agg::agg_put(args),
        other => Err(format!(
            "kinesis-rs has no path '{other}' (paths: {PATHS:?})"
        )),
    }
}

/// The table's columns and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One `BYTES` column, format `raw`.
    Raw,
    /// The seed schema in csv, `PARTITIONED BY (user_id)`.
    Csv,
}

/// The table a path uses: `layout`, the endpoint and static keys, then `defaults`, then the
/// caller's `-X` options (a later key wins).
pub fn table(
    args: &PeerArgs,
    layout: Layout,
    defaults: &[(&str, String)],
) -> Result<TableDef, String> {
    let mut options: BTreeMap<String, String> = [
        ("connector", "kinesis".to_string()),
        ("stream", args.stream.clone()),
        ("aws.region", "us-east-1".into()),
        ("aws.endpoint", args.endpoint.clone()),
        ("aws.credentials.provider", "BASIC".into()),
        ("aws.credentials.basic.accesskeyid", "test".into()),
        ("aws.credentials.basic.secretkey", "test".into()),
    ]
    .into_iter()
    .chain(defaults.iter().cloned())
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in &args.options {
        options.insert(k.clone(), v.clone());
    }
    let (columns, format) = match layout {
        Layout::Raw => ("data BYTES", "raw"),
        Layout::Csv => (
            "user_id BIGINT, item_id BIGINT, category_id BIGINT, behavior STRING, ts TIMESTAMP(3)) \
             PARTITIONED BY (user_id",
            "csv",
        ),
    };
    let with: Vec<String> = options
        .iter()
        .chain([(&"format".to_string(), &format.to_string())])
        .map(|(k, v)| format!("'{k}' = '{}'", v.replace('\'', "''")))
        .collect();
    let ddl = format!("CREATE TABLE bench ({columns}) WITH ({})", with.join(", "));
    TableDef::from_ddl(&ddl).map_err(|e| format!("the bench table: {e}"))
}

/// Row `i` of the seed schema (the fields of [`payload::fields`]).
pub fn seed_row(i: u64, size: usize) -> Row {
    let (user, item, category, behavior) = payload::fields(i, size);
    let ts = chrono::NaiveDateTime::parse_from_str(payload::TS, "%Y-%m-%d %H:%M:%S%.3f")
        .expect("the payload timestamp");
    Row::new(vec![
        Value::BigInt(user),
        Value::BigInt(item),
        Value::BigInt(category),
        Value::String(behavior),
        Value::Timestamp(ts),
    ])
}

fn one_in_flight(args: &PeerArgs) -> Vec<(&'static str, String)> {
    vec![
        ("sink.requests.max-inflight", "1".into()),
        ("sink.batch.max-size", args.batch.to_string()),
    ]
}

/// `put-raw`: records already encoded and keyed, through [`RecordSink`] (batch `--batch`,
/// one request in flight).
pub fn put_raw(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(args, Layout::Raw, &one_in_flight(args))?;
    let pool = payload::pool(args.size);
    let sink = RecordSink::open_for_table(&t).map_err(|e| e.to_string())?;
    let span = Span::start();
    let mut bytes = 0;
    for i in 0..args.records {
        let (d, k) = &pool[i as usize % pool.len()];
        bytes += d.len() as u64;
        sink.send(SinkRecord::new(d.clone(), k.clone()))
            .map_err(|e| e.to_string())?;
    }
    let threads = measure::threads();
    sink.close(CLOSE).map_err(|e| e.to_string())?;
    let m = sink.metrics();
    if m.records_written != args.records {
        return Err(format!(
            "wrote {} of {} records",
            m.records_written, args.records
        ));
    }
    let mut r = PeerReport::new(PEER, &args.path, args.records, bytes, &span);
    r.threads = threads;
    Ok(r.with("requests", m.requests))
}

/// `put-csv`: rows of the seed schema encoded as csv and keyed by `PARTITIONED BY
/// (user_id)`, through [`KinesisSink`] (batch `--batch`, one request in flight).
pub fn put_csv(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(args, Layout::Csv, &one_in_flight(args))?;
    let rows: Vec<Row> = (0..payload::POOL as u64)
        .map(|i| seed_row(i, args.size))
        .collect();
    let sink = KinesisSink::open(&t, SinkContext::default()).map_err(|e| e.to_string())?;
    let span = Span::start();
    for i in 0..args.records {
        sink.write(&rows[i as usize % rows.len()])
            .map_err(|e| e.to_string())?;
    }
    let threads = measure::threads();
    sink.close(CLOSE).map_err(|e| e.to_string())?;
    let m = sink.metrics();
    if m.records_written != args.records {
        return Err(format!(
            "wrote {} of {} rows",
            m.records_written, args.records
        ));
    }
    let mut r = PeerReport::new(PEER, &args.path, args.records, m.bytes_written, &span);
    r.threads = threads;
    Ok(r.with("requests", m.requests))
}

/// Receives `n` records from `source`; their payload bytes.
fn receive(source: &KinesisSource, n: u64) -> Result<u64, String> {
    let mut bytes = 0u64;
    for _ in 0..n {
        let r = source
            .recv_timeout(Duration::from_secs(60))
            .map_err(|e| e.to_string())?
            .ok_or("no record for 60 s")?;
        bytes += r.data.len() as u64;
        if r.row.values.is_empty() {
            return Err("a row without values".into());
        }
    }
    Ok(bytes)
}

/// `get-raw` / `get-csv`: a stream's backlog from TRIM_HORIZON through [`KinesisSource`]
/// (one shard: one reader, one GetRecords in flight; no wait between calls,
/// `scan.shard.getrecords.intervalmillis = 0`), rows decoded by the table's format.
pub fn get(args: &PeerArgs, layout: Layout) -> Result<PeerReport, String> {
    let t = table(
        args,
        layout,
        &[
            ("scan.stream.initpos", "TRIM_HORIZON".into()),
            ("scan.shard.getrecords.intervalmillis", "0".into()),
        ],
    )?;
    let span = Span::start();
    let source = KinesisSource::open(&t, SourceContext::default()).map_err(|e| e.to_string())?;
    let bytes = receive(&source, args.records)?;
    let r = PeerReport::new(PEER, &args.path, args.records, bytes, &span);
    source.close(CLOSE).map_err(|e| e.to_string())?;
    Ok(r)
}

/// `limit-put`: `--records` csv rows (distinct user ids, so keys spread over the shards) at
/// the sink's settings (`-X` to tune), to a stream whose shards enforce the write limits.
/// Reports the goodput as a share of the stream's write limit (1,000 records/s per shard)
/// and, from the endpoint's counters of this (fresh) stream, the share of entry attempts
/// throttled.
pub fn limit_put(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(args, Layout::Csv, &[])?;
    let sink = KinesisSink::open(&t, SinkContext::default()).map_err(|e| e.to_string())?;
    let span = Span::start();
    for i in 0..args.records {
        sink.write(&seed_row(i, args.size))
            .map_err(|e| e.to_string())?;
    }
    let threads = measure::threads();
    sink.close(CLOSE).map_err(|e| e.to_string())?;
    let m = sink.metrics();
    let mut r = PeerReport::new(PEER, &args.path, m.records_written, m.bytes_written, &span);
    r.threads = threads;
    if m.records_written != args.records {
        return Err(format!(
            "wrote {} of {} rows",
            m.records_written, args.records
        ));
    }
    let s = Control::new(&args.endpoint)
        .stats(false)?
        .stream(&args.stream);
    let limit = 1000.0 * args.shards as f64;
    Ok(r.clone()
        .with("goodput_of_limit", r.records as f64 / r.wall_s / limit)
        .with("throttled_share", s.put_throttled_share())
        .with(
            "attempts_per_record",
            (s.put_accepted + s.put_throttled) as f64 / r.records as f64,
        )
        .with("accepted", s.put_accepted)
        .with("requests", m.requests)
        .with("records_retried", m.records_retried))
}

/// `limit-get`: catch-up on a limited stream's backlog (`--records` records, one shard)
/// from TRIM_HORIZON at the source's settings (`-X scan.shard.adaptivereads=true` to
/// compare). Reports records/s, bytes/s as a share of the read limit (2 MiB/s per shard)
/// and the share of GetRecords calls throttled. A source that stops with an error (its
/// GetRecords retries exhausted by throttling) is a result here, not a failure of the
/// bench: the report says `stopped` with the error, over the records received until then.
pub fn limit_get(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(
        args,
        Layout::Raw,
        &[("scan.stream.initpos", "TRIM_HORIZON".into())],
    )?;
    let span = Span::start();
    let source = KinesisSource::open(&t, SourceContext::default()).map_err(|e| e.to_string())?;
    let (mut records, mut bytes, mut stopped) = (0u64, 0u64, None);
    while records < args.records {
        match source.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(r)) => {
                records += 1;
                bytes += r.data.len() as u64;
            }
            Ok(None) => return Err(format!("no record for 60 s after {records}")),
            Err(e) => {
                stopped = Some(e.to_string());
                break;
            }
        }
    }
    let r = PeerReport::new(PEER, &args.path, records, bytes, &span);
    let _ = source.close(CLOSE);
    let s = Control::new(&args.endpoint)
        .stats(false)?
        .stream(&args.stream);
    let limit = 2.0 * 1024.0 * 1024.0 * args.shards as f64;
    let calls = s.get_calls.max(1) as f64;
    let r = r
        .clone()
        .with("records_per_s", r.records as f64 / r.wall_s)
        .with("read_of_limit", s.get_bytes as f64 / r.wall_s / limit)
        .with("get_calls", s.get_calls)
        .with("get_throttled_share", s.get_throttled as f64 / calls);
    Ok(match stopped {
        Some(e) => r.with("stopped", e),
        None => r,
    })
}

/// `idle`: a source on `--shards` open, empty shards at the table's settings (default
/// interval 200 ms), measured for `--seconds` after a 2 s warm-up (shorter for a
/// shorter window): CPU share of a core,
/// RSS, threads, and requests/s from the endpoint's counters.
pub fn idle(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(args, Layout::Raw, &[])?;
    let control = Control::new(&args.endpoint);
    let source = KinesisSource::open(&t, SourceContext::default()).map_err(|e| e.to_string())?;
    // Warm-up: every reader has its iterator and polls (shorter for windows under 2 s).
    std::thread::sleep(Duration::from_secs_f64(args.seconds.min(2.0)));
    let before = control.stats(false)?;
    let span = Span::start();
    std::thread::sleep(Duration::from_secs_f64(args.seconds));
    let (threads, rss) = (measure::threads(), measure::rss_kib());
    let after = control.stats(false)?;
    let mut r = PeerReport::new(PEER, &args.path, 0, 0, &span);
    r.threads = threads;
    if let Ok(Some(rec)) = source.try_recv() {
        return Err(format!(
            "an empty stream gave a record ({:?})",
            rec.sequence_number
        ));
    }
    source.close(CLOSE).map_err(|e| e.to_string())?;
    let requests = (after.kinesis_requests() - before.kinesis_requests()) as f64;
    let gets = (after.requests.get("GetRecords").copied().unwrap_or(0)
        - before.requests.get("GetRecords").copied().unwrap_or(0)) as f64;
    Ok(r.clone()
        .with("shards", args.shards)
        .with("cpu_percent", 100.0 * r.cpu_s / r.wall_s)
        .with("rss_kib_now", rss)
        .with("requests_per_s", requests / r.wall_s)
        .with("cpu_us_per_get", 1e6 * r.cpu_s / gets.max(1.0)))
}

/// `latency`: `--samples` records put one at a time (RecordSink, flushed) at evenly spread
/// phases of the source's poll (default interval 200 ms), each timed from the put until `recv`
/// hands it out. Reports p50, p99 and max in milliseconds.
pub fn latency(args: &PeerArgs) -> Result<PeerReport, String> {
    let source_table = table(args, Layout::Raw, &[])?;
    let sink_table = table(
        args,
        Layout::Raw,
        &[("sink.requests.max-inflight", "1".into())],
    )?;
    let source =
        KinesisSource::open(&source_table, SourceContext::default()).map_err(|e| e.to_string())?;
    let sink = RecordSink::open_for_table(&sink_table).map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_secs(1));
    let span = Span::start();
    let (mut total, mut acks) = (Vec::new(), Vec::new());
    for k in 0..args.samples {
        // Each put follows a receive, i.e. a poll; pausing 0-200 ms first puts it at that
        // phase of the next poll. The golden-ratio sequence spreads the phases evenly.
        let phase = (k as f64 * 0.618_033_988_75).fract();
        std::thread::sleep(Duration::from_secs_f64(0.2 * phase));
        let tag = format!("latency-{k}");
        let t0 = Instant::now();
        sink.send(SinkRecord::new(tag.clone().into_bytes(), tag.clone()))
            .map_err(|e| e.to_string())?;
        sink.flush().map_err(|e| e.to_string())?;
        acks.push(t0.elapsed().as_secs_f64() * 1e3);
        loop {
            let r = source
                .recv_timeout(Duration::from_secs(10))
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{tag} not received within 10 s"))?;
            if r.data == tag.as_bytes() {
                break;
            }
        }
        total.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let r = PeerReport::new(PEER, &args.path, args.samples as u64, 0, &span);
    sink.close(CLOSE).map_err(|e| e.to_string())?;
    source.close(CLOSE).map_err(|e| e.to_string())?;
    let q = |v: &[f64], p| measure::quantile(v, p).unwrap_or(f64::NAN);
    Ok(r.with("p50_ms", q(&total, 0.5))
        .with("p99_ms", q(&total, 0.99))
        .with("max_ms", q(&total, 1.0))
        .with("put_ack_p50_ms", q(&acks, 0.5)))
}
