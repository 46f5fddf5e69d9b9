//! kinesis-rs's aggregation path (`agg-put`, the aggregation issue's bench): the same csv
//! rows as `limit-put`, through [`KinesisSink`] at its defaults, with or without
//! `-X sink.aggregation.enabled=true`.
//!
//! The sink's metrics count user records (`records_written`) and Kinesis records
//! (`kinesis_records_written`) apart; the endpoint counts Kinesis records accepted and
//! throttled (its limits apply per Kinesis record: an aggregate is one) and the PutRecords
//! request bytes. The path checks the two agree on the Kinesis records, so a figure never
//! comes from a sink that miscounts.

use std::time::Instant;

use kinesis_sink::{KinesisSink, SinkContext};

use crate::endpoint::Control;
use crate::measure::{self, PeerReport, Span};
use crate::peer_args::PeerArgs;
use crate::rs_peer::{seed_row, table, Layout, PEER};

/// How long closing the sink may take.
const CLOSE: std::time::Duration = std::time::Duration::from_secs(120);

/// The endpoint's PutRecords request body bytes so far.
fn put_request_bytes(control: &Control) -> Result<u64, String> {
    Ok(control
        .stats(false)?
        .request_bytes
        .get("PutRecords")
        .copied()
        .unwrap_or(0))
}

/// `agg-put`: `--records` csv rows of the seed schema (distinct user ids, keyed by
/// `PARTITIONED BY (user_id)`) through [`KinesisSink`] at its defaults and the caller's `-X`
/// options, to a fresh stream of `--shards` shards (limited or not, as the driver made it).
///
/// Reports user records per shard-second (over the whole run, and from the moment a quarter
/// of the rows has been written to the end: without the shards' initial bursts), Kinesis records, PutRecords request bytes and the
/// bytes Kinesis accepted (data + partition key) per 100,000 rows, the share of entry
/// attempts throttled, and CPU µs per row.
pub fn agg_put(args: &PeerArgs) -> Result<PeerReport, String> {
    let t = table(args, Layout::Csv, &[])?;
    let control = Control::new(&args.endpoint);
    let bytes0 = put_request_bytes(&control)?;
    let sink = KinesisSink::open(&t, SinkContext::default()).map_err(|e| e.to_string())?;
    let span = Span::start();
    // The acknowledged rows when a quarter of them has been written: from there on, the
    // shards' initial bursts (a full bucket each) are long spent.
    let quarter = args.records / 4;
    let mut steady_from = None;
    for i in 0..args.records {
        if i == quarter {
            steady_from = Some((Instant::now(), sink.metrics().records_written));
        }
        sink.write(&seed_row(i, args.size))
            .map_err(|e| e.to_string())?;
    }
    let threads = measure::threads();
    sink.close(CLOSE).map_err(|e| e.to_string())?;
    let end = Instant::now();
    let m = sink.metrics();
    let mut r = PeerReport::new(PEER, &args.path, m.records_written, m.bytes_written, &span);
    r.threads = threads;
    if m.records_written != args.records {
        return Err(format!(
            "wrote {} of {} rows",
            m.records_written, args.records
        ));
    }
    let request_bytes = put_request_bytes(&control)? - bytes0;
    let s = control.stats(false)?.stream(&args.stream);
    if s.put_accepted != m.kinesis_records_written {
        return Err(format!(
            "the endpoint accepted {} Kinesis records, the sink counts {} written",
            s.put_accepted, m.kinesis_records_written
        ));
    }
    let rows = r.records as f64;
    let per_100k = |n: u64| n as f64 * 100_000.0 / rows;
    let per_shard_s = rows / r.wall_s / args.shards as f64;
    let steady = steady_from.map_or(f64::NAN, |(t, acked)| {
        (rows - acked as f64) / (end - t).as_secs_f64() / args.shards as f64
    });
    Ok(r.clone()
        .with("rows_per_shard_s", per_shard_s)
        .with("of_limit", per_shard_s / 1000.0)
        .with("steady_rows_per_shard_s", steady)
        .with("steady_of_limit", steady / 1000.0)
        .with("kinesis_records", m.kinesis_records_written)
        .with(
            "kinesis_records_per_100k",
            per_100k(m.kinesis_records_written),
        )
        .with("request_bytes_per_100k", per_100k(request_bytes))
        .with("accepted_bytes_per_100k", per_100k(s.put_accepted_bytes))
        .with("throttled_share", s.put_throttled_share())
        .with("cpu_us_per_row", 1e6 * r.cpu_s / rows)
        .with("requests", m.requests)
        .with("records_resent", m.records_resent))
}
