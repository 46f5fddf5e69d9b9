//! `kinesis put` and `kinesis read` as processes against kinesis-mock: exact round trips,
//! `-c`, `-e`, checkpoint resume, binary payloads and failure messages.

mod common;

use std::collections::BTreeSet;

use base64::Engine as _;
use common::{endpoint, kinesis, Run, TempDir, TempStream};
use kinesis_tests::RefusingPort;

const SEED_DDL: &str = "CREATE TABLE user_behavior (
  `user_id` BIGINT,
  `item_id` BIGINT,
  `category_id` BIGINT,
  `behavior` STRING,
  `ts` TIMESTAMP(3),
  `arrival_time` TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
  `shard_id` VARCHAR(128) NOT NULL METADATA FROM 'shard-id' VIRTUAL,
  `sequence_number` VARCHAR(128) NOT NULL METADATA FROM 'sequence-number' VIRTUAL
)
PARTITIONED BY (user_id, item_id)
WITH (
  'connector' = 'kinesis',
  'stream' = 'user_behavior',
  'aws.region' = 'us-east-1',
  'format' = 'csv'
);";

/// `count` CSV rows of the seed schema, starting at row `from`.
fn seed_rows(from: usize, count: usize) -> Vec<String> {
    (from..from + count)
        .map(|i| {
            format!(
                "{},{},{},{},2024-01-01 10:{:02}:{:02}.{:03}",
                i % 17,
                1000 + i,
                i % 5,
                ["pv", "buy", "cart", "fav"][i % 4],
                (i / 60) % 60,
                i % 60,
                ((i * 7) % 100) * 10 + 1
            )
        })
        .collect()
}

struct Seed {
    _dir: TempDir,
    ddl: String,
    stream: TempStream,
}

impl Seed {
    fn new(ep: &str, prefix: &str, shards: u32) -> Seed {
        let dir = TempDir::new(prefix);
        let ddl = dir.file("seed.sql");
        std::fs::write(&ddl, SEED_DDL).unwrap();
        Seed {
            ddl: ddl.to_str().unwrap().to_string(),
            stream: TempStream::create(ep, prefix, shards),
            _dir: dir,
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let stream = format!("stream={}", self.stream.name);
        let mut all = vec![
            "--table",
            &self.ddl,
            "--endpoint",
            &self.stream.endpoint,
            "-X",
            &stream,
        ];
        all.extend_from_slice(args);
        kinesis(&all, stdin)
    }

    fn put(&self, rows: &[String]) {
        let input = rows.join("\n") + "\n";
        let run = self.run(&["put"], Some(input.as_bytes()));
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout_text()
                .starts_with(&format!("wrote {} records (", rows.len())),
            "{run:?}"
        );
    }

    /// `read --output csv` plus extra flags; the physical part of each line (the first five
    /// fields: the seed's rows contain no quoted comma).
    fn read_csv(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["read", "--output", "csv"];
        args.extend_from_slice(extra);
        let run = self.run(&args, None);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout_text()
            .lines()
            .map(|l| {
                l.splitn(6, ',')
                    .take(5)
                    .collect::<Vec<_>>()
                    .join(",")
                    .replace('"', "")
            })
            .collect()
    }
}

#[test]
fn put_then_read_gives_back_exactly_the_rows_with_metadata() {
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-roundtrip", 4);
    let rows = seed_rows(0, 300);
    seed.put(&rows);

    let run = seed.run(&["read", "-o", "beginning", "-e", "--output", "json"], None);
    assert_eq!(run.code, 0, "{run:?}");
    let mut got = BTreeSet::new();
    let mut shards = BTreeSet::new();
    let mut sequence_numbers = BTreeSet::new();
    for line in run.stdout_text().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let ts = v["ts"].as_str().unwrap();
        got.insert(format!(
            "{},{},{},{},{ts}",
            v["user_id"],
            v["item_id"],
            v["category_id"],
            v["behavior"].as_str().unwrap()
        ));
        assert!(v["arrival_time"].as_str().unwrap().len() >= 19, "{line}");
        shards.insert(v["shard_id"].as_str().unwrap().to_string());
        assert!(sequence_numbers.insert(v["sequence_number"].as_str().unwrap().to_string()));
    }
    let want: BTreeSet<String> = rows.iter().cloned().collect();
    assert_eq!(got, want);
    assert_eq!(sequence_numbers.len(), 300, "no duplicate");
    assert!(shards.len() >= 3, "PARTITIONED BY keys spread: {shards:?}");

    // Each record sits on the shard find-shard names for its PARTITIONED BY key.
    let run = seed.run(
        &["read", "-o", "beginning", "-c", "5", "-f", "%k %p %t\\n"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{run:?}");
    for line in lines {
        let mut parts = line.split(' ');
        let (key, shard, stream) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(stream, seed.stream.name);
        assert!(key.contains('|'), "user_id|item_id: {key}");
        let found = seed.run(&["find-shard", key], None);
        assert_eq!(found.code, 0, "{found:?}");
        assert_eq!(found.stdout_text().trim(), shard, "key {key}");
    }

    // Table output: a header with every declared column, one line per row.
    let run = seed.run(
        &["read", "-o", "beginning", "-e", "--output", "table"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    let header = text.lines().next().unwrap();
    for c in [
        "user_id",
        "ts",
        "arrival_time",
        "shard_id",
        "sequence_number",
    ] {
        assert!(header.contains(c), "{header}");
    }
    assert_eq!(text.lines().count(), 302);
}

#[test]
fn count_and_checkpoint_resume_without_gap_or_duplicate() {
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-checkpoint", 2);
    let dir = TempDir::new("cli-cp");
    let cp = dir.file("cp.json");
    let cp = cp.to_str().unwrap();
    seed.put(&seed_rows(0, 40));

    // -c stops after exactly COUNT rows.
    let first = seed.read_csv(&["-o", "beginning", "-c", "15", "--checkpoint", cp]);
    assert_eq!(first.len(), 15);
    assert!(std::path::Path::new(cp).exists());
    // The next run continues where the first stopped (-o is only for shards not in the
    // checkpoint).
    let second = seed.read_csv(&["-o", "end", "-e", "--checkpoint", cp]);
    assert_eq!(second.len(), 25);
    // New rows are read exactly once by the next run.
    seed.put(&seed_rows(40, 10));
    let third = seed.read_csv(&["-e", "--checkpoint", cp]);
    assert_eq!(third.len(), 10);
    let fourth = seed.read_csv(&["-e", "--checkpoint", cp]);
    assert!(fourth.is_empty(), "{fourth:?}");

    let mut all: Vec<String> = first.into_iter().chain(second).chain(third).collect();
    all.sort();
    let mut want = seed_rows(0, 50);
    want.sort();
    assert_eq!(all, want, "every row exactly once across the runs");
}

#[test]
fn binary_payloads_are_never_printed_lossily() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-binary", 1);
    let s = format!("stream={}", stream.name);
    let base = [
        "--endpoint",
        ep.as_str(),
        "--region",
        "us-east-1",
        "-X",
        s.as_str(),
    ];
    let payloads: Vec<Vec<u8>> = vec![
        b"plain text".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        "ünïcödé ✓".as_bytes().to_vec(),
        vec![0xc3, 0x28, b'a'],
    ];
    let mut input = Vec::new();
    for p in &payloads {
        input.extend_from_slice(p);
        input.push(b'\n');
    }
    let mut args = base.to_vec();
    args.push("put");
    let run = kinesis(&args, Some(&input));
    assert_eq!(run.code, 0, "{run:?}");

    let mut args = base.to_vec();
    args.extend(["read", "-o", "beginning", "-e", "-f", "%s\\n"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let text = run.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{run:?}");
    let b64 = base64::engine::general_purpose::STANDARD;
    for (line, want) in lines.iter().zip(&payloads) {
        match line.strip_prefix("base64:") {
            Some(enc) => {
                assert!(std::str::from_utf8(want).is_err(), "{line}");
                assert_eq!(&b64.decode(enc).unwrap(), want);
            }
            None => assert_eq!(line.as_bytes(), want.as_slice()),
        }
    }

    // A raw table's default output (issue #14, point 2) is kcat's: each payload as it is
    // and a newline, exactly what `-f '%s\n'` prints (binary payloads marked, never lossy).
    let mut args = base.to_vec();
    args.extend(["read", "-o", "beginning", "-e"]);
    let default = kinesis(&args, None);
    assert_eq!(default.code, 0, "{default:?}");
    assert_eq!(default.stdout, run.stdout);
    args.extend(["--output", "raw"]);
    assert_eq!(kinesis(&args, None).stdout, run.stdout);

    // JSON output: BYTES in the json format's form (base64), exact.
    let mut args = base.to_vec();
    args.extend(["read", "-o", "beginning", "-e", "--output", "json"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let got: Vec<Vec<u8>> = run
        .stdout_text()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            b64.decode(v["data"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(got, payloads);
}

#[test]
fn failures_name_the_stream_the_option_or_the_endpoint() {
    let ep = endpoint();
    let missing = common::unique("cli-nostream");
    let s = format!("stream={missing}");
    let dir = TempDir::new("cli-fail");

    // read of a missing stream: exit 1, the stream named.
    let run = kinesis(
        &["--endpoint", &ep, "-X", &s, "read", "-o", "beginning", "-e"],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("stream '{missing}' not found")),
        "{run:?}"
    );

    // put to a missing stream: exit 1, every row saved to the file named in the message.
    let input = dir.file("rows.txt");
    std::fs::write(&input, "r1\nr2\nr3\n").unwrap();
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "--region",
            "us-east-1",
            "-X",
            &s,
            "put",
            "--input",
            input.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let saved = dir.file("rows.txt.unwritten");
    assert!(run.stderr.contains(saved.to_str().unwrap()), "{run:?}");
    assert!(run.stderr.contains("3 rows not written"), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("stream '{missing}' not found")),
        "{run:?}"
    );
    let text = std::fs::read_to_string(&saved).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["r1", "r2", "r3"]);

    // A bad option: exit 2, the option named, nothing sent.
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "-X",
            &s,
            "-X",
            "scan.stream.initpos=YESTERDAY",
            "read",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("scan.stream.initpos"), "{run:?}");

    // An unreachable endpoint: exit 1 with a clear message, quickly.
    let refusing = RefusingPort::bind();
    let dead = refusing.url();
    let started = std::time::Instant::now();
    // (Flink's ListShards retries take ~20 s by default; one retry keeps the test short.)
    let run = kinesis(
        &[
            "--endpoint",
            &dead,
            "-X",
            &s,
            "-X",
            "scan.list.shards.maxretries=1",
            "read",
            "-e",
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let unreachable = format!("cannot reach the Kinesis endpoint {dead} (check aws.endpoint");
    assert!(run.stderr.contains(&unreachable), "{run:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let started = std::time::Instant::now();
    let one = dir.file("one.txt");
    std::fs::write(&one, "x\n").unwrap();
    let run = kinesis(
        &[
            "--endpoint",
            &dead,
            "--region",
            "us-east-1",
            "-X",
            &s,
            "put",
            "-i",
            one.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("1 rows not written"), "{run:?}");
    assert!(run.stderr.contains(&unreachable), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(dir.file("one.txt.unwritten")).unwrap(),
        "x\n"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_saves_the_checkpoint() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-sigint", 2);
    let dir = TempDir::new("cli-sigint-cp");
    let cp = dir.file("cp.json");
    seed.put(&seed_rows(0, 20));

    let stream = format!("stream={}", seed.stream.name);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .args(["--table", &seed.ddl, "--endpoint", &ep, "-X", &stream])
        .args(["read", "-o", "beginning", "--output", "csv", "--checkpoint"])
        .arg(&cp)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first = Vec::new();
    // Without -e the reader runs until stopped: take the 20 rows, then press Ctrl-C.
    while first.len() < 20 {
        first.push(lines.next().expect("a row before EOF").unwrap());
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "read did not stop on SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(130),
        "a Ctrl-C stop: interrupted, nothing lost"
    );
    assert!(lines.next().is_none(), "no row after the 20");
    assert!(cp.exists(), "the checkpoint was saved on Ctrl-C");

    seed.put(&seed_rows(20, 5));
    let next = seed.read_csv(&["-e", "--checkpoint", cp.to_str().unwrap()]);
    let mut want = seed_rows(20, 5);
    want.sort();
    let mut got = next;
    got.sort();
    assert_eq!(got, want, "exactly the new rows after the Ctrl-C run");
}

/// A client for the test's own administration (splitting a shard), as the CLI has no
/// command for it.
fn client(ep: &str) -> kinesis_wire::KinesisClient {
    kinesis_tests::client(ep)
}

/// A raw stream's base arguments.
fn raw_base<'a>(ep: &'a str, stream_option: &'a str) -> Vec<&'a str> {
    vec![
        "--endpoint",
        ep,
        "--region",
        "us-east-1",
        "-X",
        stream_option,
    ]
}

/// `read ... -f '%s\n'` of a raw stream: the payloads, sorted.
fn read_payloads(base: &[&str], extra: &[&str]) -> Vec<String> {
    let mut args = base.to_vec();
    args.push("read");
    args.extend_from_slice(extra);
    args.extend(["-f", "%s\\n"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    let mut lines: Vec<String> = run.stdout_text().lines().map(String::from).collect();
    lines.sort();
    lines
}

#[test]
fn exit_at_end_reads_closed_parents_then_their_children() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-split", 1);
    let s = format!("stream={}", stream.name);
    let base = raw_base(&ep, &s);
    let mut put = base.clone();
    put.push("put");
    assert_eq!(kinesis(&put, Some(b"p1\np2\np3\n")).code, 0);

    // Split the only shard in the middle of the hash key space: it closes, two children
    // take over.
    let c = client(&ep);
    let stream_ref = kinesis_wire::model::StreamRef::from(stream.name.as_str());
    c.split_shard(&kinesis_wire::model::SplitShardInput::new(
        stream_ref.clone(),
        "shardId-000000000000",
        (u128::MAX / 2 + 1).to_string(),
    ))
    .unwrap();
    c.wait_for_stream_active(&stream_ref, std::time::Duration::from_secs(30))
        .unwrap();
    assert_eq!(kinesis(&put, Some(b"c1\nc2\nc3\nc4\nc5\nc6\n")).code, 0);

    // -e goes through the parent to its end and on into both children before it exits.
    let started = std::time::Instant::now();
    let got = read_payloads(&base, &["-o", "beginning", "-e"]);
    assert_eq!(got, ["c1", "c2", "c3", "c4", "c5", "c6", "p1", "p2", "p3"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn offsets_by_epoch_millis_iso_time_and_relative_time() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-offsets", 2);
    let s = format!("stream={}", stream.name);
    let base = raw_base(&ep, &s);
    let mut put = base.clone();
    put.push("put");
    assert_eq!(kinesis(&put, Some(b"old1\nold2\nold3\n")).code, 0);
    // Arrival times have millisecond precision: leave a clear gap on both sides of `at`.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let at = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(kinesis(&put, Some(b"new1\nnew2\n")).code, 0);

    let new = ["new1", "new2"];
    let at_ms = format!("@{}", at.timestamp_millis());
    assert_eq!(read_payloads(&base, &["-o", &at_ms, "-e"]), new);
    let iso = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    assert_eq!(read_payloads(&base, &["-o", &iso, "-e"]), new);
    assert_eq!(
        read_payloads(&base, &["-o", "-10m", "-e"]),
        ["new1", "new2", "old1", "old2", "old3"]
    );
    assert_eq!(
        read_payloads(&base, &["-o", "beginning", "-e"]),
        ["new1", "new2", "old1", "old2", "old3"]
    );
    // `end`: nothing written before the run is read.
    assert!(read_payloads(&base, &["-o", "end", "-e"]).is_empty());

    // A checkpoint saved for another stream restores no shard of this one: it is warned
    // about, and the start position (-o) applies as on a first run (decisions D20).
    let dir = TempDir::new("cli-cp-other");
    let cp = dir.file("cp.json");
    let cp = cp.to_str().unwrap();
    assert!(read_payloads(&base, &["-o", "end", "-e", "--checkpoint", cp]).is_empty());
    let saved = std::fs::read_to_string(cp).unwrap();
    let other = saved.replace(&stream.name, "some-other-stream");
    assert_ne!(saved, other);
    std::fs::write(cp, other).unwrap();
    let mut args = base.clone();
    args.extend(["read", "-o", "end", "-e", "--checkpoint", cp, "-f", "%s\\n"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text().lines().count(),
        0,
        "-o end applies: {run:?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "holds no shard of stream {} (it has positions of some-other-stream): every shard starts at LATEST (from -o)",
            stream.name
        )),
        "{run:?}"
    );
    // The other stream's entries are kept beside this stream's.
    let saved = std::fs::read_to_string(cp).unwrap();
    assert!(saved.contains("some-other-stream"), "{saved}");
    assert!(saved.contains(&format!("\"{}\"", stream.name)), "{saved}");
    let mut args = base.clone();
    args.extend([
        "read",
        "-o",
        "beginning",
        "-e",
        "--checkpoint",
        cp,
        "-f",
        "%s\n",
    ]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text().lines().count(),
        0,
        "this stream's own positions now restore (nothing new): {run:?}"
    );
}

#[test]
fn progress_goes_to_stderr_only_when_it_is_a_terminal() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-progress", 2);
    let s = format!("stream={}", stream.name);
    let base = raw_base(&ep, &s);
    let mut put = base.clone();
    put.push("put");
    let run = kinesis(&put, Some(b"r1\nr2\nr3\n"));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr, "",
        "put: no progress when stderr is not a terminal"
    );

    // Piped (as in every other test): rows only, nothing on stderr.
    let mut args = base.clone();
    args.extend(["read", "-o", "beginning", "-e", "-f", "%s\\n"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_text().lines().count(), 3);
    assert_eq!(run.stderr, "", "no progress when stderr is not a terminal");

    // stderr on a terminal (util-linux `script` gives the command a pseudo-terminal),
    // stdout to a file: the progress line with rows, rate and per-shard lag on the terminal,
    // the rows alone in the file.
    let script = std::process::Command::new("script")
        .arg("--version")
        .output();
    if !script.is_ok_and(|o| o.status.success()) {
        eprintln!("notice: util-linux `script` not found; terminal progress not checked");
        return;
    }
    let dir = TempDir::new("cli-progress");
    let out = dir.file("rows.txt");
    let shell_words = |args: &[&str]| -> String {
        std::iter::once(env!("CARGO_BIN_EXE_kinesis"))
            .chain(args.iter().copied())
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let on_terminal = |command: &str| -> String {
        let run = std::process::Command::new("script")
            .args(["-qec", command, "/dev/null"])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let terminal = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(run.status.success(), "{terminal}");
        terminal
    };
    let terminal = on_terminal(&format!("{} > '{}'", shell_words(&args), out.display()));
    assert!(
        terminal.contains("3 rows, ") && terminal.contains(" rows/s, lag "),
        "{terminal:?}"
    );
    assert!(terminal.contains("0:0ms"), "per-shard lag: {terminal:?}");
    let mut rows: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    rows.sort();
    assert_eq!(rows, ["r1", "r2", "r3"]);

    // put on a terminal: a progress line once a second (the input pauses for longer), wiped
    // before the summary.
    let terminal = on_terminal(&format!(
        "(printf 'p1\\n'; sleep 1.3; printf 'p2\\n') | {}",
        shell_words(&put)
    ));
    // Drawn while waiting for input too: after one second one line was read.
    assert!(
        terminal.contains("1 lines read, ") && terminal.contains(" records/s, "),
        "{terminal:?}"
    );
    assert!(
        terminal.contains("\r\x1b[Kwrote 2 records ("),
        "{terminal:?}"
    );
}

#[test]
fn put_says_how_many_lines_the_format_skipped() {
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-skipped", 1);
    let rows = seed_rows(0, 2);
    let input = format!("# a comment\n{}\n# another\n{}\n", rows[0], rows[1]);
    let run = seed.run(
        &["-X", "csv.allow-comments=true", "put"],
        Some(input.as_bytes()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout_text().starts_with("wrote 2 records ("),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "2 input lines yielded no row (comments, or rows the format's options skip) and were not sent"
        ),
        "{run:?}"
    );
    let mut got = seed.read_csv(&["-o", "beginning", "-e"]);
    got.sort();
    assert_eq!(got, rows);
}

#[test]
fn payload_token_prints_the_stored_bytes_not_a_re_encoding() {
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-payload", 1);
    // Valid for the seed's csv table, but not in the csv format's canonical form (quoted
    // string, trailing zeros in the fraction): a re-encoding would differ.
    let stored = "7,8,9,\"pv\",2017-11-26 00:00:01.500";
    client(&ep)
        .put_record(&kinesis_wire::model::PutRecordInput::new(
            kinesis_wire::model::StreamRef::from(seed.stream.name.as_str()),
            stored.as_bytes().to_vec(),
            "k",
        ))
        .unwrap();
    let run = seed.run(&["read", "-o", "beginning", "-e", "-f", "%s|%k\\n"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_text(), format!("{stored}|k\n"));
}

#[test]
fn put_aggregates_with_the_aggregation_options_and_validate_shows_them() {
    let ep = endpoint();
    let seed = Seed::new(&ep, "cli-agg", 2);
    // Over 64 KiB of input (more than one read).
    let rows = seed_rows(0, 2_000);
    let input = rows.join("\n") + "\n";
    // The deprecated KPL key, read as sink.aggregation.enabled with a warning.
    let run = seed.run(
        &["-X", "sink.producer.aggregation-enabled=true", "put"],
        Some(input.as_bytes()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.stdout_text();
    assert!(out.starts_with("wrote 2000 records ("), "{run:?}");
    let kinesis_records: usize = out
        .split(", in ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no Kinesis record count: {out}"));
    assert!(
        kinesis_records * 20 <= rows.len(),
        "{kinesis_records} Kinesis records for {} rows",
        rows.len()
    );
    assert!(
        run.stderr
            .contains("'sink.producer.aggregation-enabled' is deprecated; it is read as 'sink.aggregation.enabled'"),
        "{run:?}"
    );
    let mut got = seed.read_csv(&["-o", "beginning", "-e"]);
    got.sort();
    let mut want = rows.clone();
    want.sort();
    assert_eq!(got, want, "every row once, de-aggregated");

    let run = seed.run(
        &[
            "-X",
            "sink.aggregation.enabled=true",
            "-X",
            "sink.aggregation.max-bytes=65536",
            "validate",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout_text()).unwrap();
    assert_eq!(v["options"]["sink.aggregation.enabled"], "true", "{v}");
    assert_eq!(v["options"]["sink.aggregation.max-bytes"], "65536", "{v}");
    let run = seed.run(
        &["-X", "sink.aggregation.max-bytes=2000000", "validate"],
        None,
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("sink.aggregation.max-bytes"), "{run:?}");
}
