//! `put` stopped by SIGTERM/SIGINT, and `put` refused by the service: every row ends up
//! acknowledged or in the unwritten-rows file, the exit code says which, and a fatal answer
//! costs one request. A loopback responder plays Kinesis (the failure modes are ones the
//! real test servers cannot produce); no Kinesis server is needed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kinesis_tests::loopback::{Answer, LoopbackServer};

/// A fresh directory, removed on drop.
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
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A responder that answers every PutRecords with `answer` and counts them.
fn responder(
    answer: impl Fn(&[u8]) -> Answer + Send + Sync + 'static,
) -> (LoopbackServer, Arc<AtomicU64>) {
    let puts = Arc::new(AtomicU64::new(0));
    let p = puts.clone();
    let server = LoopbackServer::start(move |req| {
        if req.target == "Kinesis_20131202.PutRecords" {
            p.fetch_add(1, Ordering::SeqCst);
            answer(&req.body)
        } else {
            Answer::Json(400, br#"{"__type":"UnknownOperationException"}"#.to_vec())
        }
    });
    (server, puts)
}

/// The number of records in a PutRecords body.
fn records_in(body: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["Records"].as_array().unwrap().len()
}

fn ack_all(body: &[u8]) -> Answer {
    let n = records_in(body);
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"SequenceNumber":"{}","ShardId":"shardId-000000000000"}}"#,
                1000 + i
            )
        })
        .collect();
    Answer::Json(
        200,
        format!(
            r#"{{"FailedRecordCount":0,"Records":[{}]}}"#,
            entries.join(",")
        )
        .into_bytes(),
    )
}

/// A running `kinesis put`, with its stderr collected line by line.
struct Put {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    lines: mpsc::Receiver<String>,
    /// The thread collecting stderr: it ends when the process's stderr closes.
    stderr_reader: Option<JoinHandle<()>>,
}

fn spawn_put(endpoint: &str, dir: &Path, extra: &[&str], stdin: Stdio) -> Put {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .args([
            "--endpoint",
            endpoint,
            "--region",
            "us-east-1",
            "-X",
            "stream=s",
        ])
        // Small batches, quick retries, a partial batch sent after 100 ms: the test is about
        // stopping, not throughput.
        .args([
            "-X",
            "sink.batch.max-size=50",
            "-X",
            "sink.retry.backoff.max=200",
            "-X",
            "sink.flush-buffer.timeout=100",
        ])
        .arg("put")
        .args(extra)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    let s = stderr.clone();
    let stderr_reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            s.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    Put {
        child,
        stderr,
        lines: rx,
        stderr_reader: Some(stderr_reader),
    }
}

impl Put {
    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits (at most 30 s) for a stderr line containing `text`.
    fn wait_for_stderr(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.stderr.lock().unwrap().iter().any(|l| l.contains(text)) {
                return;
            }
            let _ = self.lines.recv_timeout(Duration::from_millis(50));
        }
        panic!("no '{text}' on stderr: {:?}", self.stderr.lock().unwrap());
    }

    /// Waits for the exit (at most `limit`), returning the code and stderr.
    fn wait(mut self, limit: Duration) -> (i32, String, String, Duration) {
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "put did not exit within {limit:?}: {:?}",
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = started.elapsed();
        let mut stdout = String::new();
        use std::io::Read;
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        // Every line the process wrote: its stderr closed when it exited.
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().unwrap();
        }
        let stderr = self.stderr.lock().unwrap().join("\n");
        (status.code().unwrap_or(-1), stdout, stderr, took)
    }
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rows(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("row-{i:04}")).collect()
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn the_only_unwritten_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("unwritten"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn sigterm_under_a_permanent_503_drains_then_saves_every_row() {
    let (server, puts) = responder(|_| Answer::Json(503, b"".to_vec()));
    let dir = Dir::new("cli-int-503");
    let input = dir.0.join("rows.txt");
    std::fs::write(&input, rows(500).join("\n") + "\n").unwrap();
    let put = spawn_put(
        &server.url,
        &dir.0,
        &["--input", input.to_str().unwrap(), "--drain-timeout", "1s"],
        Stdio::null(),
    );
    wait_until("PutRecords requests", || puts.load(Ordering::SeqCst) >= 3);
    put.signal("-TERM");
    // From the signal to the exit (`wait` starts at once and stops timing at the exit).
    let (code, stdout, stderr, took) = put.wait(Duration::from_secs(30));
    assert_eq!(code, 1, "rows were saved, so exit 1: {stderr}");
    // Within the drain timeout and a second, with 3x slack for a busy machine.
    assert!(
        took < (Duration::from_secs(1) + Duration::from_secs(1)) * 3,
        "exits within the drain timeout and a second (3x slack): {took:?}"
    );
    assert!(
        stderr.contains("interrupted: sending ") && stderr.contains("interrupt again to stop now"),
        "{stderr}"
    );
    let saved = input.with_extension("txt.unwritten");
    assert!(stderr.contains(&saved.display().to_string()), "{stderr}");
    assert_eq!(
        sorted_lines(&saved),
        rows(500),
        "every row saved, none twice"
    );
    assert!(stdout.starts_with("wrote 0 records"), "{stdout}");
}

#[test]
fn a_second_sigterm_aborts_at_once_and_saves_every_row() {
    let (server, puts) = responder(|_| Answer::Json(503, b"".to_vec()));
    let dir = Dir::new("cli-int-twice");
    let input = dir.0.join("rows.txt");
    std::fs::write(&input, rows(300).join("\n") + "\n").unwrap();
    let put = spawn_put(
        &server.url,
        &dir.0,
        &[
            "--input",
            input.to_str().unwrap(),
            "--drain-timeout",
            "120s",
        ],
        Stdio::null(),
    );
    wait_until("PutRecords requests", || puts.load(Ordering::SeqCst) >= 3);
    put.signal("-TERM");
    put.wait_for_stderr("interrupt again to stop now");
    put.signal("-TERM");
    let (code, _, stderr, took) = put.wait(Duration::from_secs(30));
    // At once, not after the 120 s drain timeout (10 s: slack for a busy machine).
    assert!(
        took < Duration::from_secs(10),
        "the second signal ends the run at once: {took:?}"
    );
    assert_eq!(code, 1, "{stderr}");
    let saved = input.with_extension("txt.unwritten");
    assert_eq!(sorted_lines(&saved), rows(300), "{stderr}");
}

#[test]
fn sigint_with_everything_acknowledged_exits_130_and_sigterm_143() {
    for (sig, want) in [("-INT", 130), ("-TERM", 143)] {
        let acked = Arc::new(AtomicU64::new(0));
        let a = acked.clone();
        let (server, _) = responder(move |body| {
            a.fetch_add(records_in(body) as u64, Ordering::SeqCst);
            ack_all(body)
        });
        let dir = Dir::new("cli-int-acked");
        let mut put = spawn_put(&server.url, &dir.0, &[], Stdio::piped());
        // stdin stays open: the run only ends by the signal.
        let mut stdin = put.child.stdin.take().unwrap();
        stdin
            .write_all((rows(120).join("\n") + "\n").as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        // Every row reached the responder (so every row was read and given to the sink).
        wait_until("120 rows acknowledged", || {
            acked.load(Ordering::SeqCst) >= 120
        });
        put.signal(sig);
        let (code, stdout, stderr, _) = put.wait(Duration::from_secs(30));
        drop(stdin);
        assert_eq!(code, want, "{stderr}");
        assert!(stdout.starts_with("wrote 120 records"), "{stdout}");
        assert!(
            stderr.contains("interrupted: every row given to the sink was acknowledged"),
            "{stderr}"
        );
        assert!(
            std::fs::read_dir(&dir.0).unwrap().next().is_none(),
            "no unwritten-rows file when nothing is lost"
        );
    }
}

#[test]
fn stdin_rows_read_but_not_sent_are_saved_on_interrupt() {
    // A responder that never answers in time: nothing is acknowledged. Rows written to
    // stdin after the sink stopped accepting are still saved: stdin cannot be read again.
    let (server, puts) = responder(|_| Answer::Json(503, b"".to_vec()));
    let dir = Dir::new("cli-int-stdin");
    let mut put = spawn_put(
        &server.url,
        &dir.0,
        &["--drain-timeout", "200ms"],
        Stdio::piped(),
    );
    let mut stdin = put.child.stdin.take().unwrap();
    stdin
        .write_all((rows(200).join("\n") + "\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    wait_until("PutRecords requests", || puts.load(Ordering::SeqCst) >= 2);
    put.signal("-INT");
    // More input after the signal: read without waiting and saved, or left in the pipe;
    // never taken and dropped.
    let _ = stdin.write_all((rows(220)[200..].join("\n") + "\n").as_bytes());
    let (code, _, stderr, _) = put.wait(Duration::from_secs(30));
    drop(stdin);
    assert_eq!(code, 1, "{stderr}");
    let saved = sorted_lines(&the_only_unwritten_file(&dir.0));
    // Every one of the first 200 (sent before the signal), and no row twice.
    let first: Vec<String> = rows(200);
    assert!(first.iter().all(|r| saved.contains(r)), "{stderr}");
    let mut dedup = saved.clone();
    dedup.dedup();
    assert_eq!(dedup, saved, "no row saved twice");
    assert!(saved.len() <= 220);
}

/// The shapes real services and moto use to refuse a caller.
fn refusals() -> Vec<(&'static str, u16, &'static str, &'static str)> {
    vec![
        (
            "SignatureDoesNotMatch",
            403,
            r#"<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>"#,
            "check the credentials provider and the clock",
        ),
        (
            "AccessDenied",
            403,
            r#"<ErrorResponse><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/u is not authorized to perform: kinesis:PutRecords</Message></Error></ErrorResponse>"#,
            "the identity lacks kinesis:PutRecords",
        ),
        (
            "AccessDeniedException",
            400,
            r#"{"__type":"AccessDeniedException","message":"not authorized"}"#,
            "the identity lacks kinesis:PutRecords",
        ),
        (
            "UnrecognizedClientException",
            400,
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
            "check the credentials provider and the clock",
        ),
        (
            "InvalidSignatureException",
            400,
            r#"{"__type":"InvalidSignatureException","message":"Signature expired"}"#,
            "check the credentials provider and the clock",
        ),
    ]
}

#[test]
fn an_auth_refusal_stops_put_at_the_first_answer_with_the_code_named() {
    for (code, status, body, hint) in refusals() {
        let (server, puts) = responder(move |_| Answer::Json(status, body.as_bytes().to_vec()));
        let dir = Dir::new("cli-int-auth");
        let input = dir.0.join("rows.txt");
        std::fs::write(&input, rows(40).join("\n") + "\n").unwrap();
        let put = spawn_put(
            &server.url,
            &dir.0,
            &["--input", input.to_str().unwrap()],
            Stdio::null(),
        );
        let (exit, _, stderr, took) = put.wait(Duration::from_secs(30));
        assert_eq!(exit, 1, "{code}: {stderr}");
        assert_eq!(
            puts.load(Ordering::SeqCst),
            1,
            "{code}: one request, not retried: {stderr}"
        );
        assert!(took < Duration::from_secs(10), "{code}: {took:?}");
        assert!(stderr.contains(code), "{code}: {stderr}");
        assert!(
            stderr.contains(&format!("HTTP {status}")),
            "{code}: {stderr}"
        );
        assert!(stderr.contains(hint), "{code}: {stderr}");
        assert_eq!(
            stderr.matches("PutRecords to stream s failed").count(),
            1,
            "{code}: the cause is said once: {stderr}"
        );
        let saved = input.with_extension("txt.unwritten");
        assert_eq!(
            sorted_lines(&saved),
            rows(40),
            "{code}: every row handed back"
        );
    }
}

#[test]
fn read_stops_within_a_second_of_a_signal_even_while_waiting_on_the_network() {
    // An endpoint that accepts and never answers (within the test): the source is still
    // opening when the signal comes.
    let asked = Arc::new(AtomicBool::new(false));
    let a = asked.clone();
    let server = LoopbackServer::start(move |_| {
        a.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(20));
        Answer::Json(500, Vec::new())
    });
    let dir = Dir::new("cli-int-read");
    let child = Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .args([
            "--endpoint",
            &server.url,
            "--region",
            "us-east-1",
            "-X",
            "stream=s",
        ])
        .args(["read", "--checkpoint"])
        .arg(dir.0.join("cp.json"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let put = Put {
        child,
        stderr: Arc::new(Mutex::new(Vec::new())),
        lines: mpsc::channel().1,
        stderr_reader: None,
    };
    // The read is waiting on its first request.
    wait_until("the first request", || asked.load(Ordering::SeqCst));
    put.signal("-INT");
    let (code, stdout, _, took) = put.wait(Duration::from_secs(15));
    // Within a second of the signal, with 5x slack for a busy machine (the answer would take
    // 20 s).
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(code, 130);
    assert!(stdout.is_empty());
    assert!(
        !dir.0.join("cp.json").exists(),
        "nothing read, nothing saved"
    );
}
