//! Scale-out across processes: three `kinesis read --subtask I/3 -e` processes reading one
//! 12-shard stream on kinesis-mock at once. Checks that every record put is read exactly
//! once in total and that each process read exactly the shards Flink's `default` assigner
//! (`scan.shard-assigner`'s default; `kinesis_options::registry`, tested there against
//! Flink's values) gives its subtask.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use kinesis_options::{subtask_for, Registry, ShardInfo};

/// Shards of the stream and reader processes.
pub const SHARDS: u32 = 12;
pub const PROCESSES: usize = 3;

/// Where the scale-out runs: the `kinesis` binary and a kinesis-mock endpoint.
#[derive(Debug, Clone)]
pub struct ScaleOutConfig {
    pub cli: PathBuf,
    pub endpoint: String,
    pub records: u64,
}

/// One reader process's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Reader {
    pub subtask: usize,
    pub records: u64,
    /// Shards the process printed records from.
    pub shards_read: BTreeSet<String>,
    /// Shards the assigner gives this subtask.
    pub shards_expected: BTreeSet<String>,
    pub wall_s: f64,
}

/// One scale-out run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleOutRun {
    pub records_put: u64,
    pub put_wall_s: f64,
    /// From starting the three readers until the last exited.
    pub read_wall_s: f64,
    /// CPU seconds of the three readers together.
    pub read_cpu_s: f64,
    pub readers: Vec<Reader>,
    /// Records read more than once (count of extra reads) and never read.
    pub duplicates: u64,
    pub missing: u64,
}

impl ScaleOutRun {
    /// Every record exactly once, and each reader on exactly its assigned shards.
    pub fn ok(&self) -> bool {
        self.duplicates == 0
            && self.missing == 0
            && self
                .readers
                .iter()
                .all(|r| r.shards_read == r.shards_expected)
    }
}

fn cli(cfg: &ScaleOutConfig) -> Command {
    let mut c = Command::new(&cfg.cli);
    c.args(["--endpoint", &cfg.endpoint, "--region", "us-east-1"])
        .current_dir(std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG");
    c
}

fn check(what: &str, out: std::io::Result<Output>) -> Result<Output, String> {
    let out = out.map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out)
}

/// The shards Flink's default assigner gives each of `PROCESSES` subtasks.
fn expected(cfg: &ScaleOutConfig, stream: &str) -> Result<Vec<BTreeSet<String>>, String> {
    let out = check(
        "kinesis describe",
        cli(cfg)
            .args(["describe", stream, "--output", "json"])
            .stdin(Stdio::null())
            .output(),
    )?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("kinesis describe printed no JSON document: {e}"))?;
    let shards = doc["shards"]
        .as_array()
        .ok_or("kinesis describe: no \"shards\" list")?;
    let assigner = Registry::process_wide()
        .shard_assigner("default")
        .ok_or("no default shard assigner")?;
    let mut per = vec![BTreeSet::new(); PROCESSES];
    for s in shards {
        let id = s["shard_id"].as_str().ok_or("a shard without shard_id")?;
        let key = |k: &str| -> Result<u128, String> {
            s["hash_key_range"][k]
                .as_str()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("shard {id}: bad hash_key_range.{k}"))
        };
        let info = ShardInfo {
            stream,
            shard_id: id,
            starting_hash_key: key("start")?,
            ending_hash_key: key("end")?,
        };
        per[subtask_for(assigner.as_ref(), &info, PROCESSES)].insert(id.to_string());
    }
    Ok(per)
}

fn children_cpu() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => t(u.user_time()) + t(u.system_time()),
        Err(_) => 0.0,
    }
}

/// Creates `stream` (12 shards), puts `cfg.records` rows with distinct keys, runs the three
/// readers at once, checks them, and deletes the stream (also when a step failed).
pub fn run_once(cfg: &ScaleOutConfig, stream: &str) -> Result<ScaleOutRun, String> {
    check(
        "kinesis create-stream",
        cli(cfg)
            .args([
                "create-stream",
                stream,
                "--shards",
                &SHARDS.to_string(),
                "--wait",
            ])
            .stdin(Stdio::null())
            .output(),
    )?;
    let result = measure(cfg, stream);
    let _ = cli(cfg)
        .args(["delete-stream", stream])
        .stdin(Stdio::null())
        .output();
    result
}

fn measure(cfg: &ScaleOutConfig, stream: &str) -> Result<ScaleOutRun, String> {
    let input: String = (0..cfg.records)
        .map(|i| format!("key-{i}:r{i}\n"))
        .collect();
    let t = Instant::now();
    let mut put = cli(cfg)
        .args(["-t", stream, "-q", "put", "-K", ":"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("kinesis put: {e}"))?;
    let mut pipe = put.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = check("kinesis put", put.wait_with_output())?;
    drop(out);
    writer
        .join()
        .map_err(|_| "the put input writer panicked")?
        .map_err(|e| format!("writing kinesis put's input: {e}"))?;
    let put_wall_s = t.elapsed().as_secs_f64();
    let expected = expected(cfg, stream)?;

    let cpu0 = children_cpu();
    let t = Instant::now();
    let children = (0..PROCESSES)
        .map(|i| {
            let start = Instant::now();
            cli(cfg)
                .args(["-t", stream, "-q", "read", "-o", "beginning", "-e"])
                .args(["--subtask", &format!("{i}/{PROCESSES}"), "-f", "%p %s\\n"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map(|c| (start, c))
                .map_err(|e| format!("kinesis read --subtask {i}/{PROCESSES}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each reader's output, drained on its own thread so no pipe fills up.
    let waiters: Vec<_> = children
        .into_iter()
        .map(|(start, c)| {
            std::thread::spawn(move || {
                let out = c.wait_with_output();
                (out, start.elapsed().as_secs_f64())
            })
        })
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut readers = Vec::new();
    for (i, w) in waiters.into_iter().enumerate() {
        let (out, wall_s) = w.join().map_err(|_| "a reader waiter panicked")?;
        let out = check(&format!("kinesis read --subtask {i}/{PROCESSES}"), out)?;
        let text = String::from_utf8(out.stdout)
            .map_err(|_| format!("reader {i} printed bytes that are not UTF-8"))?;
        let (mut records, mut shards_read) = (0, BTreeSet::new());
        for line in text.lines() {
            let (shard, row) = line
                .split_once(' ')
                .ok_or_else(|| format!("reader {i} printed '{line}', not 'SHARD ROW'"))?;
            shards_read.insert(shard.to_string());
            *counts.entry(row.to_string()).or_default() += 1;
            records += 1;
        }
        readers.push(Reader {
            subtask: i,
            records,
            shards_read,
            shards_expected: expected[i].clone(),
            wall_s,
        });
    }
    let read_wall_s = t.elapsed().as_secs_f64();
    let read_cpu_s = children_cpu() - cpu0;
    let duplicates = counts.values().map(|n| n - 1).sum();
    let missing = (0..cfg.records)
        .filter(|i| !counts.contains_key(&format!("r{i}")))
        .count() as u64;
    Ok(ScaleOutRun {
        records_put: cfg.records,
        put_wall_s,
        read_wall_s,
        read_cpu_s,
        readers,
        duplicates,
        missing,
    })
}

/// A shard set as `0, 3, 7` (the numeric suffixes of `shardId-…`).
pub fn short(shards: &BTreeSet<String>) -> String {
    let mut n: Vec<String> = shards
        .iter()
        .map(|s| {
            s.rsplit('-')
                .next()
                .and_then(|d| d.parse::<u64>().ok())
                .map_or(s.clone(), |d| d.to_string())
        })
        .collect();
    n.sort_by_key(|s| s.parse::<u64>().unwrap_or(u64::MAX));
    n.join(", ")
}

/// The `kinesis` binary beside the bench binaries, if it was built there.
pub fn cli_in(bin_dir: &Path) -> Option<PathBuf> {
    let p = bin_dir.join("kinesis");
    p.is_file().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn run(read: &[&str], expected: &[&str], duplicates: u64) -> ScaleOutRun {
        ScaleOutRun {
            records_put: 2,
            put_wall_s: 0.1,
            read_wall_s: 0.1,
            read_cpu_s: 0.01,
            readers: vec![Reader {
                subtask: 0,
                records: 2,
                shards_read: set(read),
                shards_expected: set(expected),
                wall_s: 0.1,
            }],
            duplicates,
            missing: 0,
        }
    }

    #[test]
    fn a_run_passes_only_with_exactly_once_and_the_assigned_shards() {
        let a = ["shardId-000000000000", "shardId-000000000003"];
        assert!(run(&a, &a, 0).ok());
        assert!(!run(&a, &a, 1).ok(), "a duplicate fails");
        assert!(!run(&a[..1], &a, 0).ok(), "a shard not read fails");
        assert!(!run(&a, &a[..1], 0).ok(), "another subtask's shard fails");
    }

    #[test]
    fn shard_sets_are_shown_by_number() {
        let s = set(&["shardId-000000000010", "shardId-000000000002", "odd"]);
        assert_eq!(short(&s), "2, 10, odd");
    }
}
