//! `put` to an endpoint with nothing listening: the sink's fatal error reaches stderr once
//! (as the CLI's message naming the endpoint), not a second time as a sink log line.
//! Needs no Kinesis server.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn unreachable_endpoint_error_is_printed_once() {
    let refusing = kinesis_tests::RefusingPort::bind();
    let port = refusing.port();
    let dead = refusing.url();
    let dir = std::env::temp_dir().join(format!(
        "kinesis-cli-put-once-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("one.txt");
    std::fs::write(&input, "x\n").unwrap();
    let stream = format!("put-once-{port}");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .args(["--endpoint", &dead, "--region", "us-east-1"])
        .args(["-X", &format!("stream={stream}"), "put", "-i"])
        .arg(&input)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The CLI's message names the endpoint (found through the sink's structured cause).
    assert_eq!(
        stderr
            .matches(&format!("cannot reach the Kinesis endpoint {dead}"))
            .count(),
        1,
        "{stderr}"
    );
    // The sink's own description of the failure appears once, inside that message.
    let cause = format!("PutRecords to stream {stream} failed");
    assert_eq!(stderr.matches(&cause).count(), 1, "{stderr}");
    assert!(!stderr.contains(" ERROR "), "{stderr}");
}
