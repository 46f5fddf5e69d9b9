//! What a benchmark run consists of: the cases (path, peer, arguments, stream), in the
//! interleaved order they run.
//!
//! To add a path or a peer: add its [`Section`] (or reuse one), push its cases in
//! [`cases`], and give it a table in [`super::markdown`] (as the aggregation section does). The endpoint counts Kinesis
//! records and bytes per shard, so an aggregating peer's figures come from its own report
//! (user records) and the endpoint's counters (Kinesis records).

use crate::endpoint::control::Prefill;
use crate::measure::PeerReport;

use super::Config;

/// The prefilled one-shard stream every get path reads (reads do not consume it).
pub const SHARED_GET_STREAM: &str = "get-backlog";

/// Who does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    Floor,
    KinesisRs,
    Sdk,
    Boto3,
}

impl Peer {
    pub fn name(self) -> &'static str {
        match self {
            Peer::Floor => "floor",
            Peer::KinesisRs => "kinesis-rs",
            Peer::Sdk => "aws-sdk-kinesis",
            Peer::Boto3 => "boto3",
        }
    }
}

/// A part of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Records per CPU-second on the unlimited endpoint (put/get, raw/csv).
    Throughput,
    /// The sink at the write limit.
    LimitPut,
    /// The source catching up at the read limit.
    LimitGet,
    /// A source on idle shards.
    Idle,
    /// Put-to-recv latency.
    Latency,
    /// Three `kinesis read --subtask I/3` processes on one stream (kinesis-mock).
    ScaleOut,
    /// The sink with and without KPL aggregation (user records per shard-second).
    Aggregation,
}

impl Section {
    /// Parses a section name (`throughput`, `limit-put`, `limit-get`, `idle`, `latency`,
    /// `scale-out`, `aggregation`).
    ///
    /// ```
    /// use kinesis_bench::driver::Section;
    /// assert_eq!(Section::parse("idle"), Some(Section::Idle));
    /// assert_eq!(Section::parse("nope"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Section> {
        Some(match s {
            "throughput" => Section::Throughput,
            "limit-put" => Section::LimitPut,
            "limit-get" => Section::LimitGet,
            "idle" => Section::Idle,
            "latency" => Section::Latency,
            "scale-out" => Section::ScaleOut,
            "aggregation" => Section::Aggregation,
            _ => return None,
        })
    }
}

/// The stream a case runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Use [`SHARED_GET_STREAM`] instead of a fresh stream.
    pub shared: bool,
    pub shards: usize,
    pub limited: bool,
    pub retain: bool,
    pub prefill: Option<Prefill>,
}

impl Setup {
    fn fresh(shards: usize, limited: bool, retain: bool) -> Setup {
        Setup {
            shared: false,
            shards,
            limited,
            retain,
            prefill: None,
        }
    }
}

/// One peer process.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub section: Section,
    pub path: &'static str,
    /// The variant within the path (`1 shard, defaults`, `1000 shards`, ...).
    pub label: String,
    pub peer: Peer,
    /// Arguments after `--endpoint URL --stream NAME`.
    pub args: Vec<String>,
    pub setup: Setup,
}

/// The `-X` option that turns the sink's aggregation on (the aggregation section's cases).
pub const AGGREGATION_ON: &str = "sink.aggregation.enabled=true";

/// Whether a case runs the sink with aggregation on.
pub fn aggregated(case: &Case) -> bool {
    case.args.iter().any(|a| a == AGGREGATION_ON)
}

/// The aggregation section's extra case: one shard, aggregated, one request in flight
/// (the sink's AIMD limiter bounds requests, not bytes, and an aggregate is 50 KB).
pub const AGGREGATION_TUNED: &str = "sink.requests.max-inflight=1";

/// The aggregation section's cases of run `run`: on the limited endpoint, 1 and 4 shards,
/// `agg_rows` rows per shard aggregated and a tenth of that plain (about the same time at
/// the limit), and 1 shard aggregated with [`AGGREGATION_TUNED`]; on the unlimited
/// endpoint, 1 shard, `records` rows each (CPU only). Within a pair the order alternates
/// from run to run.
fn aggregation_cases(cfg: &Config, run: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let tuned = Case {
        section: Section::Aggregation,
        path: "agg-put",
        label: "1 shard, limited, aggregated, max-inflight 1".into(),
        peer: Peer::KinesisRs,
        args: [
            "--records",
            &cfg.agg_rows.to_string(),
            "--shards",
            "1",
            "--size",
            "100",
            "-X",
            AGGREGATION_ON,
            "-X",
            AGGREGATION_TUNED,
        ]
        .map(String::from)
        .to_vec(),
        setup: Setup::fresh(1, true, false),
    };
    let pairs = [(1usize, true), (4, true), (1, false)];
    for (shards, limited) in pairs {
        let mut order = [false, true];
        if run % 2 == 1 {
            order.reverse();
        }
        for agg in order {
            let rows = match (limited, agg) {
                (false, _) => cfg.records,
                (true, true) => cfg.agg_rows * shards as u64,
                (true, false) => (cfg.agg_rows / 10).max(1) * shards as u64,
            };
            let mut a = args(&[
                ("--records", rows.to_string()),
                ("--shards", shards.to_string()),
                ("--size", "100".into()),
            ]);
            if agg {
                a.extend(["-X".into(), AGGREGATION_ON.into()]);
            }
            out.push(Case {
                section: Section::Aggregation,
                path: "agg-put",
                label: format!(
                    "{shards} shard{}, {}, {}",
                    if shards == 1 { "" } else { "s" },
                    if limited { "limited" } else { "unlimited" },
                    if agg { "aggregated" } else { "plain" }
                ),
                peer: Peer::KinesisRs,
                args: a,
                setup: Setup::fresh(shards, limited, false),
            });
        }
    }
    // The tuned case right after the pair of its setup.
    out.insert(2, tuned);
    out
}

/// The option of the idle section's backoff case (D22).
pub const IDLE_INTERVAL_OPTION: &str = "scan.shard.getrecords.idle-intervalmillis";
/// The label suffix of the idle section's backoff case.
pub const IDLE_INTERVAL_LABEL: &str = "idle-intervalmillis 1000";

/// The label of the idle section's floor case.
pub const IDLE_FLOOR_LABEL: &str = "floor loop, 1 thread";
/// Empty GetRecords the idle section's floor case sends.
pub const IDLE_FLOOR_REQUESTS: u64 = 10_000;

fn args(list: &[(&str, String)]) -> Vec<String> {
    list.iter()
        .flat_map(|(k, v)| [k.to_string(), v.clone()])
        .collect()
}

/// The peers available for the raw throughput paths, the floor first.
pub fn raw_peers(cfg: &Config) -> Vec<Peer> {
    let mut p = vec![Peer::Floor, Peer::KinesisRs];
    if cfg.sdk_bin.is_some() {
        p.push(Peer::Sdk);
    }
    if cfg.boto3.is_some() {
        p.push(Peer::Boto3);
    }
    p
}

/// Every case of every run, in the order they run: run by run, section by section; within
/// a path the peers' order rotates from run to run.
pub fn cases(cfg: &Config) -> Vec<(usize, Case)> {
    let want = |s| cfg.sections.is_empty() || cfg.sections.contains(&s);
    let n = cfg.records.to_string();
    let mut out = Vec::new();
    for run in 0..cfg.runs {
        if want(Section::Throughput) {
            let mut peers = raw_peers(cfg);
            let k = run % peers.len();
            peers.rotate_left(k);
            for (path, raw) in [
                ("put-raw", true),
                ("put-csv", false),
                ("get-raw", true),
                ("get-csv", false),
            ] {
                let get = path.starts_with("get");
                let who = if raw {
                    peers.clone()
                } else {
                    vec![Peer::KinesisRs]
                };
                for peer in who {
                    out.push((
                        run,
                        Case {
                            section: Section::Throughput,
                            path,
                            label: "100 B".into(),
                            peer,
                            args: args(&[
                                ("--records", n.clone()),
                                ("--size", "100".into()),
                                ("--batch", "500".into()),
                            ]),
                            setup: if get {
                                Setup {
                                    shared: true,
                                    ..Setup::fresh(1, false, true)
                                }
                            } else {
                                Setup::fresh(1, false, false)
                            },
                        },
                    ));
                }
            }
        }
        if want(Section::LimitPut) {
            for shards in [1usize, 8] {
                let rows = if shards == 1 {
                    cfg.limit_rows
                } else {
                    cfg.limit_rows * 4
                };
                for tuned in [false, true] {
                    let mut a = args(&[
                        ("--records", rows.to_string()),
                        ("--shards", shards.to_string()),
                        ("--size", "100".into()),
                    ]);
                    if tuned {
                        for (k, v) in &cfg.tuned {
                            a.extend(["-X".into(), format!("{k}={v}")]);
                        }
                    }
                    out.push((
                        run,
                        Case {
                            section: Section::LimitPut,
                            path: "limit-put",
                            label: format!(
                                "{shards} shard{}, {rows} rows, {}",
                                if shards == 1 { "" } else { "s" },
                                if tuned { "tuned" } else { "defaults" }
                            ),
                            peer: Peer::KinesisRs,
                            args: a,
                            setup: Setup::fresh(shards, true, false),
                        },
                    ));
                }
            }
        }
        if want(Section::LimitGet) {
            for adaptive in [false, true] {
                let mut a = args(&[("--records", cfg.catchup_records.to_string())]);
                a.extend(["-X".into(), format!("scan.shard.adaptivereads={adaptive}")]);
                out.push((
                    run,
                    Case {
                        section: Section::LimitGet,
                        path: "limit-get",
                        label: format!("adaptivereads {adaptive}"),
                        peer: Peer::KinesisRs,
                        args: a,
                        setup: Setup {
                            prefill: Some(Prefill {
                                records: cfg.catchup_records,
                                size: 100,
                            }),
                            ..Setup::fresh(1, true, true)
                        },
                    },
                ));
            }
        }
        if want(Section::Idle) {
            // The reference: one thread sending empty GetRecords back to back.
            out.push((
                run,
                Case {
                    section: Section::Idle,
                    path: "idle",
                    label: IDLE_FLOOR_LABEL.into(),
                    peer: Peer::Floor,
                    args: args(&[("--records", IDLE_FLOOR_REQUESTS.to_string())]),
                    setup: Setup::fresh(1, false, true),
                },
            ));
            for &shards in &cfg.idle_shards {
                out.push((
                    run,
                    Case {
                        section: Section::Idle,
                        path: "idle",
                        label: format!("{shards} shards"),
                        peer: Peer::KinesisRs,
                        args: args(&[
                            ("--shards", shards.to_string()),
                            ("--seconds", cfg.idle_seconds.to_string()),
                        ]),
                        setup: Setup::fresh(shards, false, true),
                    },
                ));
            }
            // The most shards again with the opt-in idle backoff (D22) at 1,000 ms.
            if let Some(&shards) = cfg.idle_shards.iter().max() {
                let mut a = args(&[
                    ("--shards", shards.to_string()),
                    ("--seconds", cfg.idle_seconds.to_string()),
                ]);
                a.extend(["-X".into(), format!("{IDLE_INTERVAL_OPTION}=1000")]);
                out.push((
                    run,
                    Case {
                        section: Section::Idle,
                        path: "idle",
                        label: format!("{shards} shards, {IDLE_INTERVAL_LABEL}"),
                        peer: Peer::KinesisRs,
                        args: a,
                        setup: Setup::fresh(shards, false, true),
                    },
                ));
            }
        }
        if want(Section::Latency) {
            out.push((
                run,
                Case {
                    section: Section::Latency,
                    path: "latency",
                    label: "1 shard, interval 200 ms".into(),
                    peer: Peer::KinesisRs,
                    args: args(&[("--samples", cfg.latency_samples.to_string())]),
                    setup: Setup::fresh(1, false, true),
                },
            ));
        }
        if want(Section::Aggregation) {
            out.extend(aggregation_cases(cfg, run).into_iter().map(|c| (run, c)));
        }
    }
    out
}

/// A short progress note for a report.
pub fn headline(r: &PeerReport) -> String {
    let f = |k: &str| r.extra.get(k).and_then(|v| v.as_f64());
    if let (Some(g), Some(t)) = (f("goodput_of_limit"), f("throttled_share")) {
        return format!(", goodput {g:.2} of the limit, {:.0}% throttled", t * 100.0);
    }
    if let Some(x) = f("read_of_limit") {
        return format!(", {x:.2} of the read limit");
    }
    if let (Some(c), Some(q)) = (f("cpu_percent"), f("requests_per_s")) {
        return format!(", {c:.1}% CPU, {q:.0} requests/s");
    }
    if let (Some(a), Some(k)) = (f("rows_per_shard_s"), f("kinesis_records_per_100k")) {
        return format!(", {a:.0} rows per shard-second, {k:.0} Kinesis records per 100,000 rows");
    }
    if let (Some(a), Some(b)) = (f("p50_ms"), f("p99_ms")) {
        return format!(", p50 {a:.0} ms, p99 {b:.0} ms");
    }
    format!(", {:.0} records/CPU-s", r.records_per_cpu_s())
}
