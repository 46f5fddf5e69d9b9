//! BENCHMARKS.md from the samples: method, machine, commands, then one table per section
//! with medians and min-max over the runs, ratios to the floor of the same run and between
//! peers, RSS and threads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::measure::Spread;

use super::plan::{Peer, Section};
use super::{Config, Outcome, Sample};

/// `median (min-max)` with `d` decimals, or `–`.
///
/// ```
/// use kinesis_bench::{driver::markdown::spread, measure::Spread};
/// assert_eq!(spread(Spread::of([1.0, 2.0, 4.0]), 1), "2.0 (1.0–4.0)");
/// assert_eq!(spread(Spread::of([3.0]), 0), "3");
/// assert_eq!(spread(Spread::of([0.1, 0.3]), 0), "0");
/// assert_eq!(spread(None, 2), "–");
/// ```
pub fn spread(s: Option<Spread>, d: usize) -> String {
    let Some(s) = s else {
        return "–".into();
    };
    let (median, min, max) = (
        format!("{:.d$}", s.median),
        format!("{:.d$}", s.min),
        format!("{:.d$}", s.max),
    );
    // No range when it would show one number three times.
    if min == max {
        median
    } else {
        format!("{median} ({min}–{max})")
    }
}

fn extra(s: &Sample, key: &str) -> f64 {
    s.report
        .extra
        .get(key)
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN)
}

/// (path, label, peer): the samples of one case over the runs.
type CaseKey = (&'static str, String, Peer);

/// Samples grouped by case, in first-seen order.
fn groups(samples: &[Sample], section: Section) -> Vec<(CaseKey, Vec<&Sample>)> {
    let mut order: Vec<CaseKey> = Vec::new();
    let mut map: BTreeMap<CaseKey, Vec<&Sample>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.case.section == section) {
        let k = (s.case.path, s.case.label.clone(), s.case.peer);
        if !map.contains_key(&k) {
            order.push(k.clone());
        }
        map.entry(k).or_default().push(s);
    }
    order
        .into_iter()
        .map(|k| {
            let v = map.remove(&k).unwrap_or_default();
            (k, v)
        })
        .collect()
}

fn rate(s: &Sample) -> f64 {
    s.report.records_per_cpu_s()
}

/// Per run, `peer`'s records/CPU-s on `path` divided by `base`'s on `base_path`.
fn ratios(
    samples: &[Sample],
    path: &str,
    peer: Peer,
    base_path: &str,
    base: Peer,
) -> Option<Spread> {
    let find = |run: usize, p: &str, who: Peer| {
        samples
            .iter()
            .find(|s| s.run == run && s.case.path == p && s.case.peer == who)
            .map(rate)
    };
    let runs: Vec<usize> = samples.iter().map(|s| s.run).collect();
    let mut runs = runs;
    runs.dedup();
    Spread::of(
        runs.into_iter()
            .filter_map(|r| Some(find(r, path, peer)? / find(r, base_path, base)?)),
    )
}

fn floor_path(path: &str) -> &'static str {
    if path.starts_with("put") {
        "put-raw"
    } else {
        "get-raw"
    }
}

fn throughput(out: &mut String, samples: &[Sample]) {
    let t: Vec<Sample> = samples
        .iter()
        .filter(|s| s.case.section == Section::Throughput)
        .cloned()
        .collect();
    if t.is_empty() {
        return;
    }
    let peers = [Peer::KinesisRs, Peer::Sdk, Peer::Boto3];
    let present: Vec<Peer> = peers
        .into_iter()
        .filter(|p| t.iter().any(|s| s.case.peer == *p))
        .collect();
    let _ = writeln!(out, "## Records per CPU-second against the floor\n");
    let _ = writeln!(
        out,
        "Records per CPU-second of the whole client process, divided by the floor's in the same \
         run; median of the runs (min–max). csv paths are divided by the floor's raw path of \
         the same direction (the floor does no row encoding or decoding).\n"
    );
    let mut head = "| path |".to_string();
    let mut rule = "|---|".to_string();
    for p in &present {
        let _ = write!(
            head,
            " {} |",
            if *p == Peer::Sdk {
                "aws-sdk-kinesis (tokio)"
            } else {
                p.name()
            }
        );
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for (path, what) in [
        ("put-raw", "put raw, records/CPU-s ÷ floor"),
        ("get-raw", "get raw (parse + base64 + split) ÷ floor"),
        ("put-csv", "put csv rows (encode + send) ÷ floor put"),
        ("get-csv", "get csv rows (receive + decode) ÷ floor get"),
    ] {
        let mut line = format!("| {what} |");
        for p in &present {
            let _ = write!(
                line,
                " {} |",
                spread(ratios(&t, path, *p, floor_path(path), Peer::Floor), 2)
            );
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let others: Vec<Peer> = present
        .iter()
        .copied()
        .filter(|p| *p != Peer::KinesisRs)
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "Between peers (records per CPU-second, same run):\n");
        let _ = writeln!(
            out,
            "| path | {} |",
            others
                .iter()
                .map(|p| format!("kinesis-rs ÷ {}", p.name()))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(out, "|---|{}", "---|".repeat(others.len()));
        for path in ["put-raw", "get-raw"] {
            let cells: Vec<String> = others
                .iter()
                .map(|p| spread(ratios(&t, path, Peer::KinesisRs, path, *p), 1))
                .collect();
            let _ = writeln!(out, "| {path} | {} |", cells.join(" | "));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "### Every peer and path\n");
    let _ = writeln!(
        out,
        "| path | peer | records/CPU-s | records/s (wall) | CPU µs/record | peak RSS MiB | threads | endpoint CPU % |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for ((path, _, peer), v) in groups(&t, Section::Throughput) {
        let _ = writeln!(
            out,
            "| {path} | {} | {} | {} | {} | {} | {} | {} |",
            peer.name(),
            spread(Spread::of(v.iter().map(|s| rate(s))), 0),
            spread(
                Spread::of(v.iter().map(|s| s.report.records as f64 / s.report.wall_s)),
                0
            ),
            spread(Spread::of(v.iter().map(|s| 1e6 / rate(s))), 2),
            spread(
                Spread::of(v.iter().map(|s| s.report.rss_kib as f64 / 1024.0)),
                1
            ),
            spread(Spread::of(v.iter().map(|s| s.report.threads as f64)), 0),
            spread(
                Spread::of(v.iter().map(|s| 100.0 * s.endpoint_cpu_share)),
                0
            ),
        );
    }
    let _ = writeln!(out);
}

fn limit_put(out: &mut String, samples: &[Sample], cfg: &Config) {
    let g = groups(samples, Section::LimitPut);
    if g.is_empty() {
        return;
    }
    let _ = writeln!(out, "## The sink at the write limit\n");
    let _ = writeln!(
        out,
        "kinesis-rs's `KinesisSink` writing 100-byte csv rows keyed by `PARTITIONED BY (user_id)` \
         (distinct keys, spread over the shards by MD5) to a stream whose shards enforce 1,000 \
         records/s and 1 MiB/s, over-limit entries failed one by one with \
         `ProvisionedThroughputExceededException`. Goodput: rows acknowledged per second ÷ \
         (1,000 × shards); each shard's bucket starts full (one second's worth), so a run can \
         end slightly above 1.00. Throttled: entry attempts refused ÷ all entry attempts \
         (endpoint counters). Defaults: AIMD plus per-shard pacing from the first throttled entry, \
         `sink.batch.max-size` 500, \
         `sink.requests.max-inflight` 50, `sink.retry.backoff.base` 100 ms. Tuned: {}.\n",
        cfg.tuned
            .iter()
            .map(|(k, v)| format!("`{k}` {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "| run | goodput ÷ limit | throttled entries | attempts per row | PutRecords requests | wall s | CPU s | endpoint CPU % |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for ((_, label, _), v) in g {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {} | {} |",
            spread(
                Spread::of(v.iter().map(|s| extra(s, "goodput_of_limit"))),
                2
            ),
            spread(
                Spread::of(v.iter().map(|s| 100.0 * extra(s, "throttled_share"))),
                0
            ) + " %",
            spread(
                Spread::of(v.iter().map(|s| extra(s, "attempts_per_record"))),
                2
            ),
            spread(Spread::of(v.iter().map(|s| extra(s, "requests"))), 0),
            spread(Spread::of(v.iter().map(|s| s.report.wall_s)), 1),
            spread(Spread::of(v.iter().map(|s| s.report.cpu_s)), 2),
            spread(
                Spread::of(v.iter().map(|s| 100.0 * s.endpoint_cpu_share)),
                0
            ),
        );
    }
    let _ = writeln!(out);
}

/// Per run, a sample's CPU per row divided by the plain sink's on the same stream setup
/// (the label's first two parts: shards, limited or not).
fn cpu_ratio_to_plain(samples: &[Sample], s: &Sample) -> f64 {
    fn setup(label: &str) -> Vec<&str> {
        label.splitn(3, ", ").take(2).collect()
    }
    samples
        .iter()
        .find(|p| {
            p.run == s.run
                && p.case.section == Section::Aggregation
                && !super::plan::aggregated(&p.case)
                && setup(&p.case.label) == setup(&s.case.label)
        })
        .map_or(f64::NAN, |p| {
            extra(s, "cpu_us_per_row") / extra(p, "cpu_us_per_row")
        })
}

fn aggregation(out: &mut String, samples: &[Sample], cfg: &Config) {
    let g = groups(samples, Section::Aggregation);
    if g.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## KPL aggregation in the sink
"
    );
    let _ = writeln!(
        out,
        "kinesis-rs's `KinesisSink` at its defaults writing 100-byte csv rows keyed by \
         `PARTITIONED BY (user_id)` (distinct keys), plain and with \
         `sink.aggregation.enabled = true` (`max-records` and `max-bytes` at their defaults, \
         51,200 bytes per aggregate). Limited: the shards enforce 1,000 records/s and 1 MiB/s \
         per Kinesis record (an aggregate is one record; its explicit hash key places it), \
         {} rows per shard aggregated and {} plain (about the same time at the limit); each \
         shard's bucket starts full (one second's worth). Unlimited: one shard, {} rows, for \
         the CPU cost alone. \"max-inflight 1\": aggregated with `sink.requests.max-inflight = 1` \
         (the sink's AIMD limiter bounds requests in flight, not bytes; its per-shard \
         pacing, which counts an aggregate as one record of its bytes, is what holds 50 \
         requests of 50 KB aggregates to a shard's 1 MiB/s). Rows per shard-second: rows acknowledged ÷ wall seconds ÷ shards; \
         steady: the same from the moment a quarter of the rows had been written to the end \
         (the initial bursts spent). \
         Kinesis records: the sink's `kinesis_records_written`, checked equal to the records \
         the endpoint accepted. Request bytes: PutRecords request bodies as the endpoint \
         received them (retries included, HTTP headers not); accepted bytes: data + partition \
         key of the Kinesis records accepted. CPU per row ÷ plain: within the same run and \
         stream setup. `records_resent` (aggregates that landed in the wrong shard) was {} in \
         every run.\n",
        cfg.agg_rows,
        (cfg.agg_rows / 10).max(1),
        cfg.records,
        {
            let resent: Vec<f64> = g
                .iter()
                .flat_map(|(_, v)| v.iter().map(|s| extra(s, "records_resent")))
                .collect();
            if resent.iter().all(|x| *x == 0.0) {
                "0".to_string()
            } else {
                format!(
                    "not 0 (up to {})",
                    resent.iter().cloned().fold(0.0, f64::max)
                )
            }
        }
    );
    let _ = writeln!(out, "| run | rows per shard-second | ÷ 1,000 records/s | steady rows per shard-second | ÷ 1,000 records/s | Kinesis records per 100,000 rows | request bytes per 100,000 rows | accepted bytes per 100,000 rows | throttled entries | CPU µs per row | CPU per row ÷ plain | wall s |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for ((_, label, _), v) in g {
        let f = |key: &str, scale: f64, d: usize| {
            spread(Spread::of(v.iter().map(|s| scale * extra(s, key))), d)
        };
        let ratio = if super::plan::aggregated(&v[0].case) {
            spread(
                Spread::of(v.iter().map(|s| cpu_ratio_to_plain(samples, s))),
                2,
            )
        } else {
            "1".into()
        };
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {ratio} | {} |",
            f("rows_per_shard_s", 1.0, 0),
            f("of_limit", 1.0, 2),
            f("steady_rows_per_shard_s", 1.0, 0),
            f("steady_of_limit", 1.0, 2),
            f("kinesis_records_per_100k", 1.0, 0),
            f("request_bytes_per_100k", 1.0, 0),
            f("accepted_bytes_per_100k", 1.0, 0),
            f("throttled_share", 100.0, 0) + " %",
            f("cpu_us_per_row", 1.0, 2),
            spread(Spread::of(v.iter().map(|s| s.report.wall_s)), 1),
        );
    }
    let _ = writeln!(out);
}

fn limit_get(out: &mut String, samples: &[Sample]) {
    let g = groups(samples, Section::LimitGet);
    if g.is_empty() {
        return;
    }
    let _ = writeln!(out, "## The source catching up at the read limit\n");
    let _ = writeln!(
        out,
        "kinesis-rs's `KinesisSource` (defaults: interval 200 ms, maxrecordcount 10,000) reading \
         a one-shard backlog of 100-byte records from TRIM_HORIZON; the shard allows 5 \
         GetRecords/s and 2 MiB/s (a call over the byte budget puts the shard in debt: later \
         calls are refused until it is repaid), answering `ProvisionedThroughputExceededException` \
         beyond. Read ÷ limit: bytes (data + partition key) returned per second ÷ 2 MiB/s; the \
         shard's buckets start full (one second's worth), so a run can end slightly above \
         1.00. A full page of 10,000 records is about half of a second's 2 MiB, so calls at \
         the 200 ms interval overdraw the byte budget; once the shard has throttled a call, \
         kinesis-rs's reader waits for the shard's budget (its own estimate: one second's \
         2 MiB, refilled continuously, each page taken from it) and 200 ms since the previous \
         call, before each call and each retry (kinesis-source `pacing`, our addition; before \
         it, the source gave up in 2 of 3 runs without adaptive reads, as Flink's does).\n"
    );
    let _ = writeln!(
        out,
        "| run | source stopped | records/s | read ÷ limit | GetRecords calls | throttled calls | wall s |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let mut errors = Vec::new();
    for ((_, label, _), v) in g {
        let stopped: Vec<&str> = v
            .iter()
            .filter_map(|s| s.report.extra.get("stopped")?.as_str())
            .collect();
        if let Some(e) = stopped.first() {
            errors.push(format!("{label}: {e}"));
        }
        let _ = writeln!(
            out,
            "| {label} | {} of {} runs | {} | {} | {} | {} | {} |",
            stopped.len(),
            v.len(),
            spread(Spread::of(v.iter().map(|s| extra(s, "records_per_s"))), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "read_of_limit"))), 2),
            spread(Spread::of(v.iter().map(|s| extra(s, "get_calls"))), 0),
            spread(
                Spread::of(v.iter().map(|s| 100.0 * extra(s, "get_throttled_share"))),
                0
            ) + " %",
            spread(Spread::of(v.iter().map(|s| s.report.wall_s)), 1),
        );
    }
    let _ = writeln!(out);
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "A stopped source ended with an error: its GetRecords retries \
             (`scan.shard.getrecords.maxretries`, full-jitter backoff) were all throttled. Its \
             figures cover the records received until then. This is Flink's behaviour too: \
             its GetRecords loop (`KinesisProxy#getRecords`) makes the same 4 calls \
             (`maxretries` 3 + 1) with the same full-jitter backoff (attempts 0, 1, 2: up to \
             300, 450 and 675 ms) and then fails with the same message. A full page of 10,000 \
             records is about half of a second's 2 MiB, so calls at the 200 ms interval overdraw \
             the byte budget and a throttled call plus 3 retries, about 0.7 s of backoff on \
             average, often ends before the debt is repaid. Flink's remedy is \
             `scan.shard.adaptivereads` (the second row), or a larger \
             `scan.shard.getrecords.maxretries` or backoff. The first error of each:\n"
        );
        for e in errors {
            let _ = writeln!(out, "- {e}");
        }
        let _ = writeln!(out);
    }
}

fn idle(out: &mut String, samples: &[Sample], cfg: &Config) {
    let g = groups(samples, Section::Idle);
    if g.is_empty() {
        return;
    }
    let _ = writeln!(out, "## A source on idle shards\n");
    let _ = writeln!(
        out,
        "kinesis-rs's `KinesisSource` at its defaults (GetRecords every 200 ms per shard, \
         discovery every 10 s) on a stream of open, empty shards, measured for {} s after a \
         2 s warm-up. CPU: the whole process, % of one core. Requests/s: every Kinesis call \
         the endpoint counted in the window.\n",
        cfg.idle_seconds
    );
    let _ = writeln!(
        out,
        "The first row is the reference: the floor loop (serde_json + aws-sigv4 + ureq, no \
         timeouts set) sending {} empty GetRecords back to back on one thread. \
         \"÷ floor\": the CPU per GetRecords divided by the floor loop's in the same run. \
         The last row runs the most shards again with `{}` = 1000 (our addition, D22: while \
         a shard returns no records at `MillisBehindLatest` 0, its period doubles up to \
         1,000 ms; the first record brings it back to 200 ms).\n",
        super::plan::IDLE_FLOOR_REQUESTS,
        super::plan::IDLE_INTERVAL_OPTION
    );
    let _ = writeln!(out, "| shards | CPU % of a core | RSS MiB | threads | requests/s | CPU µs per GetRecords | ÷ floor | endpoint CPU % |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let floor_per_get = |run: usize| {
        samples
            .iter()
            .find(|s| s.run == run && s.case.section == Section::Idle && s.case.peer == Peer::Floor)
            .map(|s| extra(s, "cpu_us_per_get"))
    };
    for ((_, label, peer), v) in g {
        let ratio =
            if peer == Peer::Floor {
                "1".to_string()
            } else {
                spread(
                    Spread::of(v.iter().filter_map(|s| {
                        floor_per_get(s.run).map(|f| extra(s, "cpu_us_per_get") / f)
                    })),
                    2,
                )
            };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            label.trim_end_matches(" shards"),
            spread(Spread::of(v.iter().map(|s| extra(s, "cpu_percent"))), 1),
            spread(
                Spread::of(v.iter().map(|s| extra(s, "rss_kib_now") / 1024.0)),
                1
            ),
            spread(Spread::of(v.iter().map(|s| s.report.threads as f64)), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "requests_per_s"))), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "cpu_us_per_get"))), 0),
            ratio,
            spread(
                Spread::of(v.iter().map(|s| 100.0 * s.endpoint_cpu_share)),
                0
            ),
        );
    }
    let _ = writeln!(out);
}

fn latency(out: &mut String, samples: &[Sample], cfg: &Config) {
    let g = groups(samples, Section::Latency);
    if g.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Propagation latency\n");
    let _ = writeln!(
        out,
        "{} records per run put one at a time (`RecordSink`, flushed) at evenly spread phases \
         of the source's poll; each timed from the put until the same process's `KinesisSource::recv` \
         hands it out. Source defaults (interval 200 ms), one shard. Median over the runs of \
         each run's percentile (min–max).\n",
        cfg.latency_samples
    );
    let _ = writeln!(
        out,
        "| run | p50 ms | p99 ms | max ms | put acknowledged, p50 ms |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for ((_, label, _), v) in g {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            spread(Spread::of(v.iter().map(|s| extra(s, "p50_ms"))), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "p99_ms"))), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "max_ms"))), 0),
            spread(Spread::of(v.iter().map(|s| extra(s, "put_ack_p50_ms"))), 1),
        );
    }
    let _ = writeln!(out);
}

fn scale_out(out: &mut String, runs: &[super::scale_out::ScaleOutRun]) {
    use super::scale_out::{short, PROCESSES, SHARDS};
    let _ = writeln!(out, "## Scale-out across processes\n");
    if runs.is_empty() {
        let _ = writeln!(
            out,
            "Not run here (`scripts/bench --only scale-out` runs it: it needs kinesis-mock and \
             the `kinesis` binary).\n"
        );
        return;
    }
    let _ = writeln!(
        out,
        "{PROCESSES} `kinesis read -o beginning -e --subtask I/{PROCESSES}` processes (release \
         build, not pinned) started together on one {SHARDS}-shard stream on kinesis-mock, after \
         `kinesis put` wrote {} rows with distinct partition keys. Checked: every row read \
         exactly once in total, and each process printed rows from exactly the shards Flink's \
         `default` assigner (`scan.shard-assigner`'s default: the hash of (stream, shard id), \
         modulo {PROCESSES}) gives its subtask. The wall time includes kinesis-mock's own (npm \
         kinesis-local, a Node.js process on the same two cores): the point is the correctness \
         of the split, not its speed.\n",
        runs[0].records_put
    );
    let _ = writeln!(
        out,
        "| run | rows put | rows read | duplicates | missing | subtask: shards read (expected, where different) | rows per subtask | read wall s | readers' CPU s | checks |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for (i, r) in runs.iter().enumerate() {
        let shards: Vec<String> = r
            .readers
            .iter()
            .map(|x| {
                let same = x.shards_read == x.shards_expected;
                format!(
                    "{}: {}{}",
                    x.subtask,
                    short(&x.shards_read),
                    if same {
                        String::new()
                    } else {
                        format!(" (expected {})", short(&x.shards_expected))
                    }
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.2} | {} |",
            i + 1,
            r.records_put,
            r.readers.iter().map(|x| x.records).sum::<u64>(),
            r.duplicates,
            r.missing,
            shards.join("; "),
            r.readers
                .iter()
                .map(|x| x.records.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
            r.read_wall_s,
            r.read_cpu_s,
            if r.ok() { "passed" } else { "FAILED" }
        );
    }
    let _ = writeln!(out);
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The whole BENCHMARKS.md.
pub fn render(cfg: &Config, outcome: &Outcome) -> String {
    let (samples, q) = (&outcome.samples[..], &outcome.quiet);
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `scripts/bench` (see the README); re-run it to reproduce. Every figure is \
         the median of {} run{} with the min–max in brackets. The baseline before the scale \
         issue's performance work is this file as of commit dafd36d.\n",
        cfg.runs,
        if cfg.runs == 1 { "" } else { "s" }
    );
    let _ = writeln!(out, "## Method\n");
    let _ = writeln!(
        out,
        "- The endpoint: `bench-endpoint` (bench/src/endpoint), a loopback Kinesis JSON 1.1 \
         endpoint with in-memory shards, in its own process pinned to core {}; the peers run \
         one at a time pinned to core {} (`taskset`). Its CPU share while each peer ran is \
         in the tables (\"endpoint CPU %\"): below 100 % it was not the bottleneck, and its CPU \
         is never counted as the client's.\n\
         - CPU: the whole client process (every thread, user + system) over the measured \
         loop, excluding start-up and imports; RSS: the process's peak (VmHWM); threads: at \
         the end of the loop.\n\
         - Peers, doing identical work (the same 100-byte records, {} prepared ones cycled, keyed \
         by their user id): the floor (`bench-floor`: the thinnest serde_json + aws-sigv4 + \
         ureq loop, one request in flight, no retries); kinesis-rs (`bench-rs`, public API \
         only: `RecordSink::open_for_table` for raw records, `KinesisSink::open` for csv rows \
         `PARTITIONED BY (user_id)`, `KinesisSource::open` for reads; each opens its table's \
         own client, as an application configured only by a table does); aws-sdk-kinesis + \
         aws-config (`bench-sdk`, tokio multi-thread runtime via `#[tokio::main]`); boto3 \
         (`bench/boto3_peer.py`, in a virtual environment `scripts/bench` makes).\n\
         - Put paths: {} records, PutRecords of 500, one request in flight \
         (`sink.requests.max-inflight = 1` for kinesis-rs). Get paths: the same number of \
         records from one prefilled shard from TRIM_HORIZON, GetRecords limit 10,000, one \
         request in flight (kinesis-rs: `scan.shard.getrecords.intervalmillis = 0`, its reader \
         thread hands pages to the caller's thread, which decodes).\n\
         - Runs are interleaved: each run goes through every path and peer, the peers' order \
         rotating from run to run; ratios to the floor are taken within a run.\n",
        cfg.endpoint_cpu.as_deref().unwrap_or("(not pinned)"),
        cfg.client_cpu.as_deref().unwrap_or("(not pinned)"),
        crate::payload::POOL,
        cfg.records,
    );
    let _ = writeln!(out, "## Machine and run\n");
    let _ = writeln!(
        out,
        "- {cores} cores (online: {}), {}",
        online.trim(),
        cpu_model()
    );
    let _ = writeln!(
        out,
        "- Quietness: the run took {:.0} s; other processes used {:.2} of a core on average \
         (machine busy {:.1} CPU-s, of which the endpoint, the peers and the driver {:.1}); \
         load average {:.2} before, {:.2} after.",
        q.wall_s,
        q.others_cores(),
        q.machine_busy_s,
        q.ours_s,
        q.load_before,
        q.load_after
    );
    for n in &cfg.notes {
        let _ = writeln!(out, "- {n}");
    }
    let _ = writeln!(out);
    throughput(&mut out, samples);
    limit_put(&mut out, samples, cfg);
    limit_get(&mut out, samples);
    idle(&mut out, samples, cfg);
    latency(&mut out, samples, cfg);
    aggregation(&mut out, samples, cfg);
    if !outcome.failures.is_empty() {
        let _ = writeln!(out, "## Failed cases\n");
        let _ = writeln!(
            out,
            "These peer runs failed; the tables above are without them.\n"
        );
        for f in &outcome.failures {
            let _ = writeln!(out, "- {}", f.replace('\n', " "));
        }
        let _ = writeln!(out);
    }
    scale_out(&mut out, &outcome.scale_out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::plan::{Case, Setup};
    use crate::measure::PeerReport;

    fn sample(run: usize, path: &'static str, peer: Peer, cpu_s: f64) -> Sample {
        Sample {
            run,
            case: Case {
                section: Section::Throughput,
                path,
                label: "100 B".into(),
                peer,
                args: vec![],
                setup: Setup {
                    shared: false,
                    shards: 1,
                    limited: false,
                    retain: false,
                    prefill: None,
                },
            },
            report: PeerReport {
                peer: peer.name().into(),
                path: path.into(),
                records: 1000,
                bytes: 100_000,
                wall_s: 1.0,
                cpu_s,
                rss_kib: 2048,
                threads: 3,
                extra: Default::default(),
            },
            endpoint_cpu_share: 0.5,
        }
    }

    fn agg_sample(run: usize, label: &str, agg: bool, cpu_us: f64) -> Sample {
        let mut s = sample(run, "agg-put", Peer::KinesisRs, 1.0);
        s.case.section = Section::Aggregation;
        s.case.label = label.into();
        if agg {
            s.case.args = vec!["-X".into(), super::super::plan::AGGREGATION_ON.into()];
        }
        s.report = s.report.with("cpu_us_per_row", cpu_us);
        s
    }

    #[test]
    fn aggregated_cpu_is_divided_by_the_plain_sinks_of_the_same_run_and_setup() {
        let s = vec![
            agg_sample(0, "1 shard, limited, plain", false, 2.0),
            agg_sample(0, "1 shard, limited, aggregated", true, 5.0),
            agg_sample(0, "1 shard, limited, aggregated, max-inflight 1", true, 6.0),
            agg_sample(0, "4 shards, limited, plain", false, 3.0),
            agg_sample(1, "1 shard, limited, plain", false, 4.0),
        ];
        assert_eq!(cpu_ratio_to_plain(&s, &s[1]), 2.5);
        assert_eq!(cpu_ratio_to_plain(&s, &s[2]), 3.0);
    }

    #[test]
    fn ratios_are_taken_within_a_run_against_the_floor() {
        // Run 0: floor 1000/CPU-s, kinesis-rs 500 (0.5); run 1: floor 2000, kinesis-rs 1600 (0.8);
        // run 2: floor 1000, kinesis-rs 600 (0.6). Medians of the rates alone would give 0.4.
        let mut s = Vec::new();
        for (run, floor, rs) in [(0, 1.0, 2.0), (1, 0.5, 0.625), (2, 1.0, 1.0 / 0.6)] {
            s.push(sample(run, "put-raw", Peer::Floor, floor));
            s.push(sample(run, "put-raw", Peer::KinesisRs, rs));
            s.push(sample(run, "put-csv", Peer::KinesisRs, rs * 2.0));
        }
        let mut out = String::new();
        throughput(&mut out, &s);
        assert!(
            out.contains("| put raw, records/CPU-s ÷ floor | 0.60 (0.50–0.80) |"),
            "{out}"
        );
        assert!(
            out.contains("| put csv rows (encode + send) ÷ floor put | 0.30 (0.25–0.40) |"),
            "{out}"
        );
        // No SDK or boto3 samples: no columns or comparisons for them.
        assert!(
            !out.contains("boto3") && !out.contains("Between peers"),
            "{out}"
        );
    }
}
