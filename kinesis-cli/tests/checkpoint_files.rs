//! `read --checkpoint`: saved periodically while reading (never ahead of the rows printed),
//! so a SIGKILL loses nothing and re-prints little; a directory it cannot write is a clear
//! error that leaves the old file intact. A loopback responder plays an endless one-shard
//! stream; no Kinesis server is needed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use kinesis_tests::loopback::{Answer, LoopbackServer};

const FULL_RANGE: &str = r#""HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}"#;

/// Record `i` of the endless stream: sequence number `1000000 + i`, payload `r-i`.
fn seq(i: u64) -> u64 {
    1_000_000 + i
}

/// An endless one-shard stream: every GetRecords returns the next 5 records.
fn endless_stream() -> LoopbackServer {
    LoopbackServer::start(|req| {
        let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let json = |s: String| Answer::Json(200, s.into_bytes());
        match req.target.as_str() {
            "Kinesis_20131202.ListShards" => json(format!(
                r#"{{"Shards":[{{"ShardId":"shardId-000000000000",{FULL_RANGE},"SequenceNumberRange":{{"StartingSequenceNumber":"1000000"}}}}]}}"#
            )),
            "Kinesis_20131202.GetShardIterator" => {
                let from = match v["ShardIteratorType"].as_str() {
                    Some("AFTER_SEQUENCE_NUMBER") => {
                        v["StartingSequenceNumber"]
                            .as_str()
                            .unwrap()
                            .parse::<u64>()
                            .unwrap()
                            - 1_000_000
                            + 1
                    }
                    _ => 0,
                };
                json(format!(r#"{{"ShardIterator":"it-{from}"}}"#))
            }
            "Kinesis_20131202.GetRecords" => {
                let from: u64 = v["ShardIterator"].as_str().unwrap()[3..].parse().unwrap();
                let records: Vec<String> = (from..from + 5)
                    .map(|i| {
                        format!(
                            r#"{{"SequenceNumber":"{}","Data":"{}","PartitionKey":"k"}}"#,
                            seq(i),
                            base64::engine::general_purpose::STANDARD.encode(format!("r-{i}"))
                        )
                    })
                    .collect();
                json(format!(
                    r#"{{"Records":[{}],"NextShardIterator":"it-{}","MillisBehindLatest":1000}}"#,
                    records.join(","),
                    from + 5
                ))
            }
            other => panic!("unexpected {other}"),
        }
    })
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(kinesis_tests::unique_name(name));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o700));
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_cmd(endpoint: &str, cp: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    c.args([
        "--endpoint",
        endpoint,
        "--region",
        "us-east-1",
        "-X",
        "stream=s",
    ])
    .args(["-X", "scan.shard.getrecords.intervalmillis=20"])
    .args(["read", "-o", "beginning", "-f", "%s\\n", "--checkpoint"])
    .arg(cp)
    .env("AWS_ACCESS_KEY_ID", "test")
    .env("AWS_SECRET_ACCESS_KEY", "test")
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env_remove("RUST_LOG")
    .stdin(Stdio::null());
    c
}

/// The index of the last record a checkpoint file covers.
fn covered(cp: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(cp).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let s = v["shards"][0]["position"]["sequence_number"].as_str()?;
    Some(s.parse::<u64>().unwrap() - 1_000_000)
}

#[test]
fn a_sigkilled_read_resumes_after_its_last_periodic_checkpoint() {
    let server = endless_stream();
    let dir = Dir::new("cli-cp-kill");
    let cp = dir.0.join("cp.json");
    let mut child = read_cmd(&server.url, &cp)
        .args(["--checkpoint-interval", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // While it reads, the file is saved again and again, never ahead of what was printed.
    let mut printed: Vec<String> = Vec::new();
    let mut versions = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while versions.len() < 4 {
        assert!(
            Instant::now() < deadline,
            "checkpoint not saved periodically: {versions:?}"
        );
        while let Ok(l) = rx.try_recv() {
            printed.push(l);
        }
        if let Some(c) = covered(&cp) {
            versions.insert(c);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    printed.extend(rx.try_iter());
    let last = covered(&cp).expect("a checkpoint");
    assert!(
        (last as usize) < printed.len(),
        "the checkpoint ({last}) never covers a row not printed ({} printed)",
        printed.len()
    );
    for (i, row) in printed.iter().enumerate() {
        assert_eq!(row, &format!("r-{i}"), "in order, none skipped");
    }

    // The next run starts right after the checkpoint: no gap; re-printed rows are those
    // printed after it was saved.
    let out = read_cmd(&server.url, &cp)
        .args(["-c", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let again: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        again[0],
        format!("r-{}", last + 1),
        "no gap, no row before it"
    );
    let reprinted = printed.len() as u64 - (last + 1);
    eprintln!(
        "printed {} before SIGKILL, checkpoint at {last}: {reprinted} rows printed again",
        printed.len()
    );
}

#[test]
fn a_directory_that_cannot_be_written_is_a_clear_error_and_the_old_file_stays() {
    use std::os::unix::fs::PermissionsExt;
    let server = endless_stream();
    let dir = Dir::new("cli-cp-ro");
    let cp = dir.0.join("cp.json");
    // A first run saves a checkpoint.
    let out = read_cmd(&server.url, &cp)
        .args(["-c", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(covered(&cp), Some(6));
    let before = std::fs::read(&cp).unwrap();

    // The directory becomes read-only. Root ignores permission bits, so as root the run
    // drops to an unprivileged user (setpriv) who owns the file but not the directory.
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o555)).unwrap();
    let root = std::fs::metadata("/proc/self").map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let mut cmd = read_cmd(&server.url, &cp);
    if root.unwrap_or(false) {
        std::os::unix::fs::chown(&cp, Some(65534), Some(65534)).unwrap();
        let mut wrapped = Command::new("setpriv");
        wrapped
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        cmd = wrapped;
    }
    let out = cmd.args(["-c", "3"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot save --checkpoint {}", cp.display()))
            && stderr.contains("ermission denied"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&cp).unwrap(),
        before,
        "the old checkpoint is intact"
    );
}
