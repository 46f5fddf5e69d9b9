//! `--subtask I/N`: three `kinesis read` processes as subtasks 0/3, 1/3 and 2/3 of one
//! 6-shard stream read every record exactly once between them, each its own shards (Flink's
//! static assignment); `put --subtask` is the `fixed` partitioner's index. Against
//! kinesis-mock.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use common::{endpoint, kinesis, TempStream};

#[test]
fn three_subtasks_read_every_record_exactly_once() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-subtasks", 6);
    let base = [
        "--endpoint",
        ep.as_str(),
        "--region",
        "us-east-1",
        "-t",
        stream.name.as_str(),
    ];
    let input: String = (0..120).map(|i| format!("key-{i}:r{i}\n")).collect();
    let mut args = base.to_vec();
    args.extend(["put", "-K", ":"]);
    let run = kinesis(&args, Some(input.as_bytes()));
    assert_eq!(run.code, 0, "{run:?}");

    let children: Vec<_> = (0..3)
        .map(|i| {
            let subtask = format!("{i}/3");
            Command::new(env!("CARGO_BIN_EXE_kinesis"))
                .args(base)
                .args(["read", "-o", "beginning", "-e", "--subtask", &subtask])
                .args(["-f", "%p %s\\n"])
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut rows: Vec<String> = Vec::new();
    let mut shards_of: Vec<BTreeSet<String>> = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut shards = BTreeSet::new();
        for line in text.lines() {
            let (shard, row) = line.split_once(' ').unwrap();
            shards.insert(shard.to_string());
            rows.push(row.to_string());
        }
        shards_of.push(shards);
    }
    // Exactly once in total.
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for r in &rows {
        *counts.entry(r.as_str()).or_default() += 1;
    }
    assert_eq!(rows.len(), 120, "{counts:?}");
    assert_eq!(counts.len(), 120);
    // Each subtask read its own shards, and all three took part.
    for (i, a) in shards_of.iter().enumerate() {
        assert!(!a.is_empty(), "subtask {i} read nothing: {shards_of:?}");
        for b in &shards_of[i + 1..] {
            assert!(a.is_disjoint(b), "{shards_of:?}");
        }
    }
    let all: BTreeSet<&String> = shards_of.iter().flatten().collect();
    assert_eq!(all.len(), 6, "{shards_of:?}");

    // put --subtask: the fixed partitioner's key is the subtask index.
    let mut args = base.to_vec();
    args.extend(["-X", "sink.partitioner=fixed", "put", "--subtask", "2/3"]);
    let run = kinesis(&args, Some(b"fixed\n"));
    assert_eq!(run.code, 0, "{run:?}");
    let mut args = base.to_vec();
    args.extend(["read", "-o", "beginning", "-e", "-f", "%k %s\\n"]);
    let run = kinesis(&args, None);
    assert!(run.stdout_text().lines().any(|l| l == "2 fixed"), "{run:?}");
}
