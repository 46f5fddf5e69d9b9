//! The `kinesis` binary against moto, which verifies every SigV4 signature and evaluates IAM
//! policies: `create-stream`, `put` and `read -e` round trips signed with an IAM user's keys
//! (from the environment and from `-X aws.credentials.provider=BASIC`) and with the session
//! credentials of a role assumed through moto's STS; a wrong secret and a user denied
//! `kinesis:PutRecords` make `put` exit 1 after exactly one request (counted by a
//! pass-through fault proxy, which relays signed requests unchanged), naming the code, the
//! HTTP status and what to check, with every row in the unwritten-rows file. No secret
//! reaches the output. moto's quirks keep the flows simple: one shard, no reshards.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{Run, TempDir};
use kinesis_tests::fault_proxy::{FaultProxy, Plan, Stats};
use kinesis_tests::moto::{Moto, MotoKeys};

/// How `kinesis` gets its credentials in a run.
enum Creds<'a> {
    /// `AUTO`: the keys in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    Env(&'a MotoKeys),
    /// `-X aws.credentials.provider=BASIC` with the keys as options; the environment holds
    /// keys moto does not know, so a run that succeeds used the options.
    Basic(&'a MotoKeys),
    /// `ASSUME_ROLE` of moto's role through moto's STS at `sts`, called with the allowed
    /// user's keys from the environment (`aws.credentials.role.provider = ENV_VAR`).
    AssumeRole { moto: &'a Moto, sts: &'a str },
}

/// Runs `kinesis --endpoint ENDPOINT --region us-east-1 [credential options] ARGS` in `dir`.
fn kinesis(endpoint: &str, creds: &Creds, dir: &Path, args: &[&str]) -> Run {
    kinesis_with_stdin(endpoint, creds, dir, args, None)
}

/// [`kinesis`] with `stdin` piped in (or none).
fn kinesis_with_stdin(
    endpoint: &str,
    creds: &Creds,
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    cmd.args(["--endpoint", endpoint, "--region", "us-east-1"])
        .current_dir(dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let env_keys = |cmd: &mut Command, keys: &MotoKeys| {
        cmd.env("AWS_ACCESS_KEY_ID", &keys.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &keys.secret_access_key);
    };
    match creds {
        Creds::Env(keys) => env_keys(&mut cmd, keys),
        Creds::Basic(keys) => {
            cmd.env("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNTOMOTO000")
                .env("AWS_SECRET_ACCESS_KEY", "not-a-moto-secret")
                .args(["-X", "aws.credentials.provider=BASIC"])
                .arg("-X")
                .arg(format!(
                    "aws.credentials.basic.accesskeyid={}",
                    keys.access_key_id
                ))
                .arg("-X")
                .arg(format!(
                    "aws.credentials.basic.secretkey={}",
                    keys.secret_access_key
                ));
        }
        Creds::AssumeRole { moto, sts } => {
            env_keys(&mut cmd, &moto.allowed);
            cmd.args(["-X", "aws.credentials.provider=ASSUME_ROLE"])
                .arg("-X")
                .arg(format!("aws.credentials.role.arn={}", moto.role_arn))
                .args(["-X", "aws.credentials.role.sessionName=kinesis-cli-test"])
                .arg("-X")
                .arg(format!("aws.credentials.role.stsEndpoint={sts}"))
                .args(["-X", "aws.credentials.role.provider=ENV_VAR"]);
        }
    }
    let mut child = cmd.args(args).spawn().expect("kinesis binary runs");
    if let Some(bytes) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).unwrap();
        // Dropped: the input ends.
    }
    let out = child.wait_with_output().expect("kinesis binary finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A stream created on moto by the allowed user, deleted when dropped.
struct MotoStream<'a> {
    moto: &'a Moto,
    name: String,
    dir: TempDir,
}

impl<'a> MotoStream<'a> {
    fn create(moto: &'a Moto, prefix: &str) -> MotoStream<'a> {
        let dir = TempDir::new(prefix);
        let name = common::unique(prefix);
        let run = kinesis(
            &moto.endpoint,
            &Creds::Env(&moto.allowed),
            &dir.0,
            &["create-stream", &name, "--shards", "1", "--wait"],
        );
        assert_eq!(run.code, 0, "{run:?}");
        MotoStream { moto, name, dir }
    }

    fn stream_option(&self) -> String {
        format!("stream={}", self.name)
    }

    /// Writes `rows` to an input file in the stream's directory; returns its path.
    fn input(&self, file: &str, rows: &[String]) -> std::path::PathBuf {
        let path = self.dir.file(file);
        std::fs::write(&path, rows.join("\n") + "\n").unwrap();
        path
    }

    /// `read -o beginning -e -f '%s\n'` with `creds`: every payload, in order.
    fn read_all(&self, creds: &Creds) -> Vec<String> {
        let run = kinesis(
            &self.moto.endpoint,
            creds,
            &self.dir.0,
            &[
                "-X",
                &self.stream_option(),
                "read",
                "-o",
                "beginning",
                "-e",
                "-f",
                "%s\\n",
            ],
        );
        assert_eq!(run.code, 0, "{run:?}");
        no_secret(self.moto, &run);
        run.stdout_text().lines().map(String::from).collect()
    }
}

impl Drop for MotoStream<'_> {
    fn drop(&mut self) {
        let _ = kinesis(
            &self.moto.endpoint,
            &Creds::Env(&self.moto.allowed),
            &self.dir.0,
            &["delete-stream", &self.name],
        );
    }
}

fn rows(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:03}")).collect()
}

/// No secret of moto's users appears in the run's output.
fn no_secret(moto: &Moto, run: &Run) {
    let out = format!("{}{}", String::from_utf8_lossy(&run.stdout), run.stderr);
    for secret in [
        &moto.allowed.secret_access_key,
        &moto.no_put.secret_access_key,
    ] {
        assert!(
            !out.contains(secret.as_str()),
            "a secret in the output: {run:?}"
        );
    }
}

/// Where `put` reads its rows.
enum Rows<'a> {
    File(&'a Path),
    Stdin(&'a [String]),
}

fn put(stream: &MotoStream, endpoint: &str, creds: &Creds, rows: Rows, extra: &[&str]) -> Run {
    let mut args = vec!["-X", "sink.batch.max-size=10"];
    let stream_option = stream.stream_option();
    args.extend(["-X", &stream_option]);
    args.extend_from_slice(extra);
    args.push("put");
    let stdin = match rows {
        Rows::File(path) => {
            args.extend(["--input", path.to_str().unwrap()]);
            None
        }
        Rows::Stdin(rows) => Some(rows.join("\n") + "\n"),
    };
    let run = kinesis_with_stdin(
        endpoint,
        creds,
        &stream.dir.0,
        &args,
        stdin.as_deref().map(str::as_bytes),
    );
    no_secret(stream.moto, &run);
    run
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn put_and_read_signed_with_an_iam_users_keys() {
    let moto = Moto::from_env();
    let stream = MotoStream::create(&moto, "cli-moto-keys");
    // Keys from the environment (the AUTO provider).
    let first = rows("env", 25);
    let run = put(
        &stream,
        &moto.endpoint,
        &Creds::Env(&moto.allowed),
        Rows::File(&stream.input("env.txt", &first)),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 25 records"), "{run:?}");
    // Keys as BASIC options, with keys moto does not know in the environment.
    let second = rows("basic", 15);
    let run = put(
        &stream,
        &moto.endpoint,
        &Creds::Basic(&moto.allowed),
        Rows::Stdin(&second),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 15 records"), "{run:?}");

    // Batches of 10 go out concurrently: the order across batches is not kept.
    let want = sorted(first.iter().chain(&second).cloned().collect());
    assert_eq!(sorted(stream.read_all(&Creds::Env(&moto.allowed))), want);
    assert_eq!(sorted(stream.read_all(&Creds::Basic(&moto.allowed))), want);
    // The environment's unknown keys alone are refused: the BASIC runs did use the options.
    let bogus = MotoKeys {
        access_key_id: "AKIAUNKNOWNTOMOTO000".into(),
        secret_access_key: "not-a-moto-secret".into(),
    };
    let run = kinesis(
        &moto.endpoint,
        &Creds::Env(&bogus),
        &stream.dir.0,
        &["list-streams"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("InvalidClientTokenId"), "{run:?}");
}

#[test]
fn put_and_read_with_a_role_assumed_through_motos_sts() {
    let moto = Moto::from_env();
    let stream = MotoStream::create(&moto, "cli-moto-role");
    // STS is reached through a counting proxy: each run assumes the role once.
    let sts = FaultProxy::start(&moto.endpoint, Plan::pass_through());
    let role = Creds::AssumeRole {
        moto: &moto,
        sts: &sts.url,
    };
    let sent = rows("role", 30);
    let run = put(
        &stream,
        &moto.endpoint,
        &role,
        Rows::File(&stream.input("role.txt", &sent)),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 30 records"), "{run:?}");
    assert_eq!(sorted(stream.read_all(&role)), sent);
    // STS calls are query requests (no X-Amz-Target): the proxy files them under "".
    let stats = sts.stats();
    assert_eq!(
        stats.requests_for(""),
        2,
        "one AssumeRole per run: {stats:?}"
    );
    assert_eq!(stats.total_requests(), 2, "{stats:?}");

    // A role the user may not assume: STS refuses it at the first answer, and the run
    // fails naming the call.
    let not_allowed = Creds::AssumeRole {
        moto: &Moto {
            role_arn: "arn:aws:iam::123456789012:role/no-such-role".into(),
            ..moto.clone()
        },
        sts: &sts.url,
    };
    let run = kinesis(
        &moto.endpoint,
        &not_allowed,
        &stream.dir.0,
        &[
            "-X",
            &stream.stream_option(),
            "read",
            "-o",
            "beginning",
            "-e",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    for text in [
        "STS AssumeRole",
        "HTTP 403",
        "AccessDenied",
        "sts:AssumeRole",
    ] {
        assert!(run.stderr.contains(text), "no '{text}': {run:?}");
    }
    assert_eq!(
        sts.stats().total_requests(),
        3,
        "not retried: {:?}",
        sts.stats()
    );
    no_secret(&moto, &run);
}

/// A `put` of 40 rows in batches of 10, one request at a time, through a counting proxy in
/// front of moto, signed with `keys`: refused at the first answer, it must send exactly one
/// request.
fn refused_put(stream: &MotoStream, keys: &MotoKeys, rows: Rows) -> (Run, Stats) {
    let proxy = FaultProxy::start(&stream.moto.endpoint, Plan::pass_through());
    let run = put(
        stream,
        &proxy.url,
        &Creds::Env(keys),
        rows,
        &["-X", "sink.requests.max-inflight=1"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let stats = proxy.stats();
    assert_eq!(
        stats.requests_for("PutRecords"),
        1,
        "not retried, no other batch: {stats:?}"
    );
    assert_eq!(stats.total_requests(), 1, "{stats:?}");
    (run, stats)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(String::from)
        .collect()
}

/// The unwritten-rows file a `put` from stdin saved in `dir` (the only one there).
fn the_stdin_unwritten_file(dir: &Path) -> std::path::PathBuf {
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("kinesis-put-unwritten-")
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn a_wrong_secret_fails_put_at_the_first_answer_and_saves_every_row() {
    let moto = Moto::from_env();
    let stream = MotoStream::create(&moto, "cli-moto-wrong");
    let wrong = MotoKeys {
        access_key_id: moto.allowed.access_key_id.clone(),
        secret_access_key: format!("{}x", moto.allowed.secret_access_key),
    };
    let sent = rows("wrong", 40);
    let (run, _) = refused_put(&stream, &wrong, Rows::Stdin(&sent));
    for text in [
        "SignatureDoesNotMatch",
        "HTTP 403",
        "check the credentials provider and the clock",
    ] {
        assert!(run.stderr.contains(text), "no '{text}': {run:?}");
    }
    assert!(!run.stderr.contains(&wrong.secret_access_key), "{run:?}");
    // Stdin cannot be read again: the rows given to the sink and the rest of the input are
    // all in the file.
    let saved = the_stdin_unwritten_file(&stream.dir.0);
    let name = saved.file_name().unwrap().to_string_lossy().into_owned();
    assert!(run.stderr.contains(&format!("saved to {name}")), "{run:?}");
    assert_eq!(
        sorted(lines(&saved)),
        sent,
        "every row saved, none twice: {run:?}"
    );
    assert!(stream.read_all(&Creds::Env(&moto.allowed)).is_empty());
}

#[test]
fn a_user_denied_put_records_fails_put_at_the_first_answer_and_loses_no_row() {
    let moto = Moto::from_env();
    let stream = MotoStream::create(&moto, "cli-moto-denied");
    let sent = rows("denied", 40);
    let input = stream.input("denied.txt", &sent);
    let (run, _) = refused_put(&stream, &moto.no_put, Rows::File(&input));
    for text in [
        "AccessDenied",
        "HTTP 403",
        "the identity lacks kinesis:PutRecords",
        &moto.no_put_user_arn,
    ] {
        assert!(run.stderr.contains(text), "no '{text}': {run:?}");
    }
    // A file keeps what was not read: the rows given to the sink are saved, and the message
    // says from which line to resume; together they are every row, once.
    let saved = input.with_extension("txt.unwritten");
    let saved_rows = lines(&saved);
    let resume = run
        .stderr
        .split("resume with: tail -n +")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .map(|n| n.parse::<usize>().expect("a line number"));
    let rest: Vec<String> = match resume {
        Some(from) => sent[from - 1..].to_vec(),
        None => Vec::new(),
    };
    assert_eq!(
        sorted(saved_rows.iter().chain(&rest).cloned().collect()),
        sent,
        "saved {saved_rows:?}, resume from line {resume:?}: {run:?}"
    );
    // The same user may read (its policy denies only PutRecords): nothing was written.
    assert!(stream.read_all(&Creds::Env(&moto.no_put)).is_empty());
}
