//! The smoke run of kinesis-rs's own bench paths (part of `scripts/test`): the driver runs
//! the real peer binaries (`bench-rs`, `bench-floor`) against the real endpoint binary with
//! a few hundred records, on the unlimited and the limited endpoint, unpinned, one run, and
//! renders the report. It checks the paths still build, run and count what they should;
//! the figures themselves mean nothing at this size.

use std::path::PathBuf;
use std::time::Duration;

use kinesis_bench::driver::{self, markdown, Config, Peer, Section};

fn config(out: PathBuf) -> Config {
    let bin = |name: &str| PathBuf::from(std::env::var(format!("CARGO_BIN_EXE_{name}")).unwrap());
    Config {
        endpoint_bin: bin("bench-endpoint"),
        rs_bin: bin("bench-rs"),
        floor_bin: bin("bench-floor"),
        sdk_bin: None,
        boto3: None,
        runs: 1,
        records: 300,
        limit_rows: 1200,
        catchup_records: 60_000,
        idle_shards: vec![10],
        idle_seconds: 0.5,
        latency_samples: 3,
        agg_rows: 300,
        tuned: vec![("sink.requests.max-inflight".into(), "1".into())],
        client_cpu: None,
        endpoint_cpu: None,
        sections: Vec::new(),
        out,
        results: None,
        notes: vec!["smoke".into()],
        timeout: Duration::from_secs(120),
        // Needs kinesis-mock and the release CLI: `scripts/bench --only scale-out`.
        scale_out: None,
    }
}

fn extra(s: &driver::Sample, key: &str) -> f64 {
    s.report.extra[key].as_f64().unwrap()
}

#[test]
fn every_kinesis_rs_path_runs_and_counts_its_records() {
    let dir = std::env::temp_dir().join(format!("kinesis-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = config(dir.join("BENCHMARKS.md"));
    let outcome = driver::run(&cfg).unwrap();
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let samples = &outcome.samples;
    let find = |path: &str, label: &str, peer: Peer| {
        samples
            .iter()
            .find(|s| s.case.path == path && s.case.label.contains(label) && s.case.peer == peer)
            .unwrap_or_else(|| panic!("no sample of {path} {label} {peer:?}"))
    };

    for path in ["put-raw", "get-raw"] {
        for peer in [Peer::Floor, Peer::KinesisRs] {
            let s = find(path, "", peer);
            assert_eq!(s.report.records, 300, "{path} {peer:?}");
            assert_eq!(s.report.bytes, 300 * 100, "{path} {peer:?}");
            assert!(s.report.cpu_s > 0.0 && s.report.rss_kib > 0);
        }
    }
    for path in ["put-csv", "get-csv"] {
        let s = find(path, "", Peer::KinesisRs);
        assert_eq!(s.report.records, 300, "{path}");
        // 100-byte csv rows: the encoder writes exactly what the generator does.
        assert_eq!(s.report.bytes, 300 * 100, "{path}");
    }

    // At the write limit every row is written, some attempts are throttled (1,200 rows on
    // one shard exceed its one-second burst of 1,000), and the endpoint accepted each once.
    let one = find("limit-put", "1 shard, 1200 rows, defaults", Peer::KinesisRs);
    assert_eq!(one.report.records, 1200);
    assert_eq!(extra(one, "accepted"), 1200.0);
    assert!(extra(one, "throttled_share") > 0.0);
    let eight = find("limit-put", "8 shards, 4800 rows, tuned", Peer::KinesisRs);
    assert_eq!(extra(eight, "accepted"), 4800.0);

    // Catch-up: 60,000 records (6.4 MB, three times the shard's 2 MiB burst) all arrive,
    // over several GetRecords calls (at most 10,000 records each), and the source does not
    // give up: at Flink's defaults a full page is half the shard's second of bytes, so calls
    // every 200 ms overdraw it; once throttled, the reader waits for the shard's budget before
    // each call and retry (kinesis-source `pacing`), so at most the first overdraft is
    // throttled (without the pacing most runs stopped, with about 60 % of calls throttled).
    for label in ["adaptivereads false", "adaptivereads true"] {
        let s = find("limit-get", label, Peer::KinesisRs);
        assert!(
            s.report.extra.get("stopped").is_none(),
            "{label}: {:?}",
            s.report.extra
        );
        assert_eq!(s.report.records, 60_000, "{label}");
        assert!(extra(s, "get_calls") >= 6.0, "{label}");
        assert!(extra(s, "read_of_limit") > 0.0, "{label}");
        let throttled = extra(s, "get_throttled_share") * extra(s, "get_calls");
        assert!(
            throttled <= 2.5,
            "{label}: {throttled} throttled GetRecords calls"
        );
    }

    let idle = find("idle", "10 shards", Peer::KinesisRs);
    assert!(extra(idle, "requests_per_s") > 0.0);
    assert!(idle.report.threads >= 10, "a reader thread per shard");
    // With the idle backoff the empty shards are asked less often (periods of 400 and
    // 800 ms in the window, against 200 ms).
    let backoff = find(
        "idle",
        "10 shards, idle-intervalmillis 1000",
        Peer::KinesisRs,
    );
    assert!(
        extra(backoff, "requests_per_s") < extra(idle, "requests_per_s"),
        "{} requests/s with the backoff, {} without",
        extra(backoff, "requests_per_s"),
        extra(idle, "requests_per_s")
    );

    let lat = find("latency", "", Peer::KinesisRs);
    assert_eq!(lat.report.records, 3);
    assert!(extra(lat, "p50_ms") > 0.0 && extra(lat, "p99_ms") >= extra(lat, "p50_ms"));

    // Aggregation: every row written with and without it; aggregated, far fewer Kinesis
    // records than rows (the endpoint's count is checked equal to the sink's by the path).
    for (label, rows) in [
        ("1 shard, limited", 300),
        ("4 shards, limited", 1200),
        ("1 shard, unlimited", 300),
    ] {
        let agg = find("agg-put", &format!("{label}, aggregated"), Peer::KinesisRs);
        assert_eq!(agg.report.records, rows, "{label}");
        assert!(
            extra(agg, "kinesis_records") * 10.0 <= rows as f64,
            "{label}"
        );
        assert_eq!(extra(agg, "records_resent"), 0.0, "{label}");
        let plain = find("agg-put", &format!("{label}, plain"), Peer::KinesisRs);
        assert_eq!(extra(plain, "kinesis_records"), plain.report.records as f64);
        assert!(extra(agg, "request_bytes_per_100k") < extra(plain, "request_bytes_per_100k"));
    }

    let md = markdown::render(&cfg, &outcome);
    for heading in [
        "## Records per CPU-second against the floor",
        "## The sink at the write limit",
        "## The source catching up at the read limit",
        "## A source on idle shards",
        "## Propagation latency",
        // No kinesis-mock here: the section says how to run it.
        "## Scale-out across processes\n\nNot run here",
        "## KPL aggregation in the sink",
    ] {
        assert!(md.contains(heading), "{heading} missing from:\n{md}");
    }
    assert!(samples
        .iter()
        .all(|s| s.case.section != Section::Throughput || s.endpoint_cpu_share.is_finite()));
    let _ = std::fs::remove_dir_all(&dir);
}
