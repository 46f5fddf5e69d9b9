//! Runs the built `kinesis` binary as a process against the real test server. The helpers
//! every crate's tests share (endpoints, clients) come from kinesis-tests.
#![allow(dead_code, unused_imports)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// `KINESIS_MOCK_ENDPOINT` (set by `scripts/test`); unset, the test fails saying so.
pub fn endpoint() -> String {
    kinesis_tests::endpoint("KINESIS_MOCK_ENDPOINT")
}

/// A unique name with `prefix`.
pub use kinesis_tests::unique_name as unique;

/// What a run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }
}

/// Runs `kinesis ARGS` with `stdin`, with test credentials in the environment (local servers
/// do not check signatures) and no IMDS lookups.
pub fn kinesis(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    // A put that fails saves unwritten stdin rows in the current directory: keep them out
    // of the source tree.
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
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
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A writer thread, so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("kinesis binary finishes");
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A stream created through the CLI and deleted through it when dropped.
pub struct TempStream {
    pub endpoint: String,
    pub name: String,
}

impl TempStream {
    pub fn create(endpoint: &str, prefix: &str, shards: u32) -> TempStream {
        let name = unique(prefix);
        let run = kinesis(
            &[
                "--endpoint",
                endpoint,
                "create-stream",
                &name,
                "--shards",
                &shards.to_string(),
                "--wait",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        TempStream {
            endpoint: endpoint.to_string(),
            name,
        }
    }
}

impl Drop for TempStream {
    fn drop(&mut self) {
        let _ = kinesis(
            &["--endpoint", &self.endpoint, "delete-stream", &self.name],
            None,
        );
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let p = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
