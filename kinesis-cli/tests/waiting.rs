//! Waits are not silent on a terminal (issue #14, point 6): a call that fails and is
//! retried gives one line on stderr per state change, what it waits for and when it
//! retries; piped, stderr stays quiet. The terminal is util-linux `script`'s pseudo-terminal.

mod common;

use common::kinesis;

#[test]
fn a_retried_call_says_what_it_waits_for_once_per_state() {
    let refusing = kinesis_tests::RefusingPort::bind();
    let endpoint = refusing.url();
    let command = format!(
        "'{}' --endpoint {endpoint} list-streams",
        env!("CARGO_BIN_EXE_kinesis")
    );
    let run = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&run.stdout);
    // The default policy makes 4 attempts: one notice for the state, then the error.
    assert_eq!(
        terminal
            .matches("waiting: ListStreams: connection refused, retry ")
            .count(),
        1,
        "{terminal:?}"
    );
    assert!(
        terminal.contains("\x1b[Kwaiting: ListStreams: connection refused, retry 1 in "),
        "{terminal:?}"
    );
    assert!(
        terminal.contains("kinesis: error: cannot reach the Kinesis endpoint"),
        "{terminal:?}"
    );

    // Piped: no notice; -q on a terminal: none either.
    let run = kinesis(&["--endpoint", &endpoint, "list-streams"], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("waiting:"), "{run:?}");
    let quiet = std::process::Command::new("script")
        .args(["-qec", &format!("{command} -q"), "/dev/null"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("waiting:"));
}
