//! Runs the benchmarks and writes BENCHMARKS.md (`scripts/bench` builds everything and calls
//! this). usage:
//!
//! bench-driver --bin-dir DIR [--sdk PATH] [--python PATH --boto3-script PATH]
//!   [--runs 5] [--records 200000] [--limit-rows 20000] [--catchup-records 100000]
//!   [--idle-shards 10,100,1000] [--idle-seconds 10] [--latency-samples 100]
//!   [--agg-rows 100000]
//!   [--tuned key=value]... [--client-cpu 0] [--endpoint-cpu 1] [--no-pin]
//!   [--sections throughput,limit-put,limit-get,idle,latency,scale-out,aggregation]
//!   [--kinesis-cli PATH --mock-endpoint URL] [--scale-out-records 12000]
//!   [--out BENCHMARKS.md] [--results FILE.jsonl] [--note TEXT]...

use std::path::PathBuf;
use std::time::Duration;

use kinesis_bench::driver::{self, Config, Section};

/// The sink's tuned settings at the write limit (unless `--tuned` is given): smaller
/// batches, one request in flight, a longer first retry backoff. Tried against the limited
/// endpoint: a third of the throttling of the defaults on one shard at the same goodput.
const TUNED: [(&str, &str); 3] = [
    ("sink.batch.max-size", "200"),
    ("sink.requests.max-inflight", "1"),
    ("sink.retry.backoff.base", "500"),
];

fn parse(args: Vec<String>) -> Result<Config, String> {
    let mut bin_dir = PathBuf::from(".");
    let mut cfg = Config {
        endpoint_bin: PathBuf::new(),
        rs_bin: PathBuf::new(),
        floor_bin: PathBuf::new(),
        sdk_bin: None,
        boto3: None,
        runs: 5,
        records: 200_000,
        limit_rows: 20_000,
        catchup_records: 100_000,
        idle_shards: vec![10, 100, 1000],
        idle_seconds: 10.0,
        latency_samples: 100,
        agg_rows: 100_000,
        tuned: Vec::new(),
        client_cpu: Some("0".into()),
        endpoint_cpu: Some("1".into()),
        sections: Vec::new(),
        out: PathBuf::from("BENCHMARKS.md"),
        results: None,
        notes: Vec::new(),
        timeout: Duration::from_secs(900),
        scale_out: None,
    };
    let (mut kinesis_cli, mut mock_endpoint, mut scale_out_records) = (None, None, 12_000u64);
    let (mut python, mut script) = (None, None);
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--no-pin" {
            cfg.client_cpu = None;
            cfg.endpoint_cpu = None;
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{flag}: '{v}' is not a number"))
        };
        match flag.as_str() {
            "--bin-dir" => bin_dir = v.into(),
            "--sdk" => cfg.sdk_bin = Some(v.into()),
            "--python" => python = Some(PathBuf::from(v)),
            "--boto3-script" => script = Some(PathBuf::from(v)),
            "--runs" => cfg.runs = num(&v)? as usize,
            "--records" => cfg.records = num(&v)? as u64,
            "--limit-rows" => cfg.limit_rows = num(&v)? as u64,
            "--catchup-records" => cfg.catchup_records = num(&v)? as u64,
            "--idle-shards" => {
                cfg.idle_shards = v
                    .split(',')
                    .map(|x| num(x).map(|n| n as usize))
                    .collect::<Result<_, _>>()?
            }
            "--idle-seconds" => cfg.idle_seconds = num(&v)?,
            "--latency-samples" => cfg.latency_samples = num(&v)? as usize,
            "--agg-rows" => cfg.agg_rows = num(&v)? as u64,
            "--tuned" => {
                let (k, val) = v.split_once('=').ok_or("--tuned takes key=value")?;
                cfg.tuned.push((k.into(), val.into()));
            }
            "--client-cpu" => cfg.client_cpu = Some(v),
            "--endpoint-cpu" => cfg.endpoint_cpu = Some(v),
            "--sections" => {
                cfg.sections = v
                    .split(',')
                    .map(|s| {
                        Section::parse(s)
                            .ok_or_else(|| format!("--sections: unknown section '{s}'"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--out" => cfg.out = v.into(),
            "--results" => cfg.results = Some(v.into()),
            "--note" => cfg.notes.push(v),
            "--kinesis-cli" => kinesis_cli = Some(PathBuf::from(v)),
            "--mock-endpoint" => mock_endpoint = Some(v),
            "--scale-out-records" => scale_out_records = num(&v)? as u64,
            "--timeout" => cfg.timeout = Duration::from_secs_f64(num(&v)?),
            _ => return Err(format!("unknown argument '{flag}'")),
        }
    }
    if cfg.tuned.is_empty() {
        cfg.tuned = TUNED
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    cfg.endpoint_bin = bin_dir.join("bench-endpoint");
    cfg.rs_bin = bin_dir.join("bench-rs");
    cfg.floor_bin = bin_dir.join("bench-floor");
    if let (Some(p), Some(s)) = (python, script) {
        cfg.boto3 = Some((p, s));
    }
    if let (Some(cli), Some(endpoint)) = (kinesis_cli, mock_endpoint) {
        // Absolute: the CLI runs in the temporary directory (a failed put saves rows there).
        let cli = std::fs::canonicalize(&cli)
            .map_err(|e| format!("--kinesis-cli {}: {e}", cli.display()))?;
        cfg.scale_out = Some(driver::scale_out::ScaleOutConfig {
            cli,
            endpoint,
            records: scale_out_records,
        });
    }
    if cfg.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(cfg)
}

fn main() {
    let cfg = parse(std::env::args().skip(1).collect()).unwrap_or_else(|e| {
        eprintln!("bench-driver: {e}");
        std::process::exit(2)
    });
    let outcome = driver::run(&cfg).unwrap_or_else(|e| {
        eprintln!("bench-driver: {e}");
        std::process::exit(1)
    });
    let md = driver::markdown::render(&cfg, &outcome);
    std::fs::write(&cfg.out, md).unwrap_or_else(|e| {
        eprintln!("bench-driver: writing {}: {e}", cfg.out.display());
        std::process::exit(1)
    });
    eprintln!("bench-driver: wrote {}", cfg.out.display());
    if !outcome.failures.is_empty() {
        eprintln!(
            "bench-driver: {} case(s) failed (listed in the report):",
            outcome.failures.len()
        );
        for f in &outcome.failures {
            eprintln!("  {f}");
        }
        std::process::exit(1)
    }
}
