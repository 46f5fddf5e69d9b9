//! `kinesis read --group` run to the end, and `kinesis group describe|reset|delete`, against
//! kinesis-mock and dynalite: positions stay in the lease table between runs, `-o` applies
//! only to leases without a checkpoint, a reset is refused while a member holds a live lease
//! (unless `--force`), and the lease table's endpoint comes from
//! `AWS_ENDPOINT_URL_DYNAMODB` (D21) as well as `scan.lease.endpoint`.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Options of every run: the stream, quick polling, a short failover.
fn base(ep: &str, stream: &str) -> Vec<String> {
    [
        "--endpoint",
        ep,
        "--region",
        "us-east-1",
        "-X",
        &format!("stream={stream}"),
        "-X",
        "scan.shard.getrecords.intervalmillis=50",
        "-X",
        "scan.lease.failover-millis=1500",
        "-X",
        "scan.lease.renew-millis=300",
    ]
    .map(String::from)
    .to_vec()
}

/// `kinesis` with the DynamoDB endpoint from `AWS_ENDPOINT_URL_DYNAMODB`.
fn run(dynamo: &str, args: &[String], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_DYNAMODB", dynamo)
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kinesis binary runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn with(base: &[String], more: &[&str]) -> Vec<String> {
    base.iter()
        .cloned()
        .chain(more.iter().map(|s| s.to_string()))
        .collect()
}

fn sorted_lines(r: &Run) -> Vec<String> {
    let mut v: Vec<String> = r.stdout_text().lines().map(String::from).collect();
    v.sort();
    v
}

fn rows(prefix: &str, n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("{prefix}{i:02}")).collect();
    v.sort();
    v
}

fn describe_json(dynamo: &str, base: &[String], group: &str) -> serde_json::Value {
    let r = run(
        dynamo,
        &with(base, &["group", "describe", group, "--output", "json"]),
        None,
    );
    assert_eq!(r.code, 0, "{r:?}");
    serde_json::from_slice(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

#[test]
fn a_group_keeps_its_positions_and_group_describe_reset_delete_manage_them() {
    let ep = endpoint();
    let dynamo = kinesis_tests::dynalite::endpoint();
    let stream = TempStream::create(&ep, "grp-admin", 2);
    let group = unique("grp-admin");
    let base = base(&ep, &stream.name);
    let put = |rows: &[String]| {
        let input = rows.join("\n") + "\n";
        // The lease options belong to the group's commands only.
        let r = run(&dynamo, &with(&base[..6], &["put"]), Some(input.as_bytes()));
        assert_eq!(r.code, 0, "{r:?}");
    };
    let read = |more: &[&str]| {
        let mut args = vec!["read", "--group", &group, "-e"];
        args.extend_from_slice(more);
        let r = run(&dynamo, &with(&base, &args), None);
        assert_eq!(r.code, 0, "{r:?}");
        r
    };

    // A new group starts at -o; the run acknowledges what it printed and releases.
    put(&rows("a", 10));
    let first = read(&["-o", "beginning"]);
    assert_eq!(sorted_lines(&first), rows("a", 10), "{first:?}");

    let doc = describe_json(&dynamo, &base, &group);
    let leases = doc["leases"].as_array().expect("leases");
    assert_eq!(leases.len(), 2, "{doc}");
    for l in leases {
        assert!(l["owner"].is_null(), "released on exit: {l}");
        assert_eq!(l["state"], "free", "{l}");
        let cp = l["checkpoint"].as_str().unwrap();
        assert!(
            cp.bytes().all(|b| b.is_ascii_digit()) || cp == "TRIM_HORIZON",
            "a sequence number (or nothing read on that shard): {l}"
        );
        assert!(l.get("lag_millis").is_some(), "{l}");
        assert!(l.get("expires_in_millis").is_some(), "{l}");
    }
    assert_eq!(doc["group"], group.as_str());
    assert_eq!(doc["stream"], stream.name.as_str());
    // The text form names the same leases.
    let text = run(&dynamo, &with(&base, &["group", "describe", &group]), None);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout_text().contains("SHARD  "), "{text:?}");
    for l in leases {
        assert!(
            text.stdout_text().contains(l["shard_id"].as_str().unwrap()),
            "{text:?}"
        );
    }

    // The next run goes on after the checkpoints: -o end does not apply to them.
    put(&rows("b", 5));
    let second = read(&["-o", "end"]);
    assert_eq!(sorted_lines(&second), rows("b", 5), "{second:?}");

    // Reset to the beginning: everything again.
    let reset = run(&dynamo, &with(&base, &["group", "reset", &group]), None);
    assert_eq!(reset.code, 0, "{reset:?}");
    assert!(
        reset.stdout_text().starts_with("reset 2 leases of group"),
        "{reset:?}"
    );
    let third = read(&[]);
    let mut all = rows("a", 10);
    all.extend(rows("b", 5));
    all.sort();
    assert_eq!(sorted_lines(&third), all, "{third:?}");

    // While a member holds a live lease, a reset is refused; --force does it.
    let mut member = Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .args(with(&base, &["read", "--group", &group]))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &dynamo)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let doc = describe_json(&dynamo, &base, &group);
        if doc["leases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["state"] == "live")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the member never held both leases: {doc}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let refused = run(&dynamo, &with(&base, &["group", "reset", &group]), None);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("holds a live lease") && refused.stderr.contains("--force"),
        "{refused:?}"
    );
    let forced = run(
        &dynamo,
        &with(&base, &["group", "reset", &group, "-o", "end", "--force"]),
        None,
    );
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(forced.stdout_text().contains("AT_TIMESTAMP"), "{forced:?}");
    member.kill().unwrap();
    member.wait().unwrap();
    let mut stderr = String::new();
    member
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();

    // Delete: the table goes; deleting again says there is no such group.
    let deleted = run(&dynamo, &with(&base, &["group", "delete", &group]), None);
    assert_eq!(deleted.code, 0, "{deleted:?}");
    // DeleteTable is asynchronous: the table is DELETING for a moment.
    let dynamo_client = kinesis_tests::dynalite::client(&dynamo);
    let deadline = Instant::now() + Duration::from_secs(10);
    while dynamo_client.describe_table(&group).unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "lease table {group} still there after 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let again = run(&dynamo, &with(&base, &["group", "delete", &group]), None);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("no consumer group"), "{again:?}");
}

#[test]
fn read_group_refuses_file_checkpoints_subtasks_and_sequence_offsets() {
    for extra in [
        &["--checkpoint", "cp.json"][..],
        &["--subtask", "0/2"],
        &[
            "-o",
            "seq:49590338271490256608559692538361571095921575989136588898",
        ],
    ] {
        let mut args = vec!["-X", "stream=s", "read", "--group", "g"];
        args.extend_from_slice(extra);
        let r = kinesis(&args, None);
        assert_eq!(r.code, 2, "{extra:?}: {r:?}");
        assert!(
            r.stderr.contains("--group") || r.stderr.contains("cannot be used with"),
            "{extra:?}: {r:?}"
        );
    }
}
