//! No secret reaches any output of the `kinesis` binary, at any log level.
//!
//! Recognisable secret keys, session tokens, a web identity token and an SSO token travel
//! through BASIC, ASSUME_ROLE and WEB_IDENTITY_TOKEN (loopback STS) and PROFILE with SSO
//! (loopback SSO portal) credentials, on successful calls (kinesis-mock), on a failing
//! Kinesis endpoint (loopback: `ExpiredTokenException`, and `ResourceNotFoundException`
//! for PutRecords), on `put` (rows saved to the
//! unwritten-rows file) and `read` (checkpoint file), at every verbosity and with
//! `RUST_LOG=trace`, `RUST_LOG=ureq_proto::util=trace` and `RUST_LOG=ureq=trace`. None of
//! them, nor a SigV4 signature, may appear in stdout, stderr, the checkpoint or the
//! unwritten-rows file. The HTTP stack's trace output is a hex dump in 16-byte rows, so
//! stderr is also searched with those rows decoded and joined.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{endpoint, unique, TempDir};
use kinesis_tests::loopback::{Answer, LoopbackServer};

const BASIC_SECRET: &str = "BasicSecretKeyQ7xw";
const BASIC_TOKEN: &str = "BasicSessionTokenQ7xw";
const STS_SECRET: &str = "StsSecretKeyQ7xw";
const STS_TOKEN: &str = "StsSessionTokenQ7xw";
const WEB_IDENTITY_TOKEN: &str = "WebIdentityTokenQ7xw";
const SSO_TOKEN: &str = "SsoAccessTokenQ7xw";
const SSO_SECRET: &str = "SsoSecretKeyQ7xw";
const SSO_SESSION_TOKEN: &str = "SsoSessionTokenQ7xw";

const SECRETS: &[&str] = &[
    BASIC_SECRET,
    BASIC_TOKEN,
    STS_SECRET,
    STS_TOKEN,
    WEB_IDENTITY_TOKEN,
    SSO_TOKEN,
    SSO_SECRET,
    SSO_SESSION_TOKEN,
];

/// The SSO cache file of session `leakcheck` is named after SHA-1("leakcheck"), as the AWS
/// CLI names it.
const SSO_CACHE_FILE: &str = "c41067b99a1bba1d097e4dbd87be32732bf3b718.json";

/// Log settings: extra arguments and `RUST_LOG`.
const LOG_SETTINGS: &[(&[&str], Option<&str>)] = &[
    (&["-q"], None),
    (&[], None),
    (&["-v"], None),
    (&["-vv"], None),
    (&["-vvv"], None),
    (&[], Some("trace")),
    (&[], Some("ureq_proto::util=trace")),
    (&[], Some("ureq=trace")),
];

/// The log settings of the slower `put`/`read` runs: the most detailed ones.
const DETAILED_LOG_SETTINGS: &[(&[&str], Option<&str>)] = &[
    (&["-vvv"], None),
    (&[], Some("trace")),
    (&[], Some("ureq_proto::util=trace")),
];

/// One way of getting credentials: `-X` options and environment variables.
struct Setup {
    name: &'static str,
    options: Vec<String>,
    env: Vec<(String, String)>,
}

/// A loopback STS answering every call with the STS secret and token.
fn sts(calls: Arc<AtomicUsize>) -> LoopbackServer {
    LoopbackServer::start(move |req| {
        calls.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8_lossy(&req.body);
        let action = if body.contains("Action=AssumeRoleWithWebIdentity") {
            "AssumeRoleWithWebIdentity"
        } else {
            "AssumeRole"
        };
        let xml = format!(
            "<{action}Response><{action}Result><Credentials><AccessKeyId>ASIASTS</AccessKeyId>\
             <SecretAccessKey>{STS_SECRET}</SecretAccessKey><SessionToken>{STS_TOKEN}\
             </SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
             </{action}Result></{action}Response>"
        );
        Answer::Json(200, xml.into_bytes())
    })
}

/// A loopback SSO portal answering every GetRoleCredentials with the SSO keys.
fn sso_portal(calls: Arc<AtomicUsize>) -> LoopbackServer {
    LoopbackServer::start(move |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        let json = format!(
            r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO","secretAccessKey":"{SSO_SECRET}","sessionToken":"{SSO_SESSION_TOKEN}","expiration":4070908800000}}}}"#
        );
        Answer::Json(200, json.into_bytes())
    })
}

fn opt(k: &str, v: &str) -> String {
    format!("{k}={v}")
}

fn setups(dir: &Path, sts_url: &str, sso_url: &str) -> Vec<Setup> {
    let token_file = dir.join("web-identity-token");
    std::fs::write(&token_file, WEB_IDENTITY_TOKEN).unwrap();
    let home = dir.join("home");
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(SSO_CACHE_FILE),
        format!(r#"{{"accessToken":"{SSO_TOKEN}","expiresAt":"2099-01-01T00:00:00Z"}}"#),
    )
    .unwrap();
    let config = home.join(".aws/config");
    std::fs::write(
        &config,
        "[profile leak]\nsso_session = leakcheck\nsso_account_id = 111122223333\n\
         sso_role_name = reader\n[sso-session leakcheck]\nsso_region = us-east-1\n\
         sso_start_url = https://example.invalid/start\n",
    )
    .unwrap();
    let home_env = vec![
        ("HOME".to_string(), home.display().to_string()),
        ("AWS_CONFIG_FILE".to_string(), config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_string(),
            home.join("none").display().to_string(),
        ),
    ];
    let role = "arn:aws:iam::123456789012:role/reader";
    vec![
        Setup {
            name: "BASIC",
            options: vec![
                opt("aws.credentials.provider", "BASIC"),
                opt("aws.credentials.basic.accesskeyid", "AKIDBASIC"),
                opt("aws.credentials.basic.secretkey", BASIC_SECRET),
                opt("aws.credentials.basic.sessiontoken", BASIC_TOKEN),
            ],
            env: vec![],
        },
        Setup {
            name: "ASSUME_ROLE",
            options: vec![
                opt("aws.credentials.provider", "ASSUME_ROLE"),
                opt("aws.credentials.role.arn", role),
                opt("aws.credentials.role.sessionName", "leak-check"),
                opt("aws.credentials.role.stsEndpoint", sts_url),
                opt("aws.credentials.role.provider", "BASIC"),
                opt(
                    "aws.credentials.role.provider.basic.accesskeyid",
                    "AKIDBASIC",
                ),
                opt(
                    "aws.credentials.role.provider.basic.secretkey",
                    BASIC_SECRET,
                ),
                opt(
                    "aws.credentials.role.provider.basic.sessiontoken",
                    BASIC_TOKEN,
                ),
            ],
            env: vec![],
        },
        Setup {
            name: "WEB_IDENTITY_TOKEN",
            options: vec![
                opt("aws.credentials.provider", "WEB_IDENTITY_TOKEN"),
                opt("aws.credentials.role.arn", role),
                opt("aws.credentials.role.sessionName", "leak-check"),
                opt(
                    "aws.credentials.webIdentityToken.file",
                    token_file.to_str().unwrap(),
                ),
            ],
            env: vec![("AWS_ENDPOINT_URL_STS".into(), sts_url.into())],
        },
        Setup {
            name: "PROFILE (SSO)",
            options: vec![
                opt("aws.credentials.provider", "PROFILE"),
                opt("aws.credentials.profile.name", "leak"),
            ],
            env: home_env
                .into_iter()
                .chain([("AWS_ENDPOINT_URL_SSO".to_string(), sso_url.to_string())])
                .collect(),
        },
    ]
}

/// What one run produced, and the files it may have written.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(
    cwd: &Path,
    setup: &Setup,
    log: (&[&str], Option<&str>),
    args: &[&str],
    stdin_file: Option<&Path>,
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", cwd)
        .envs(setup.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(log.0);
    if let Some(filter) = log.1 {
        cmd.env("RUST_LOG", filter);
    }
    for o in &setup.options {
        cmd.arg("-X").arg(o);
    }
    cmd.args(args)
        .stdin(match stdin_file {
            Some(f) => Stdio::from(std::fs::File::open(f).unwrap()),
            None => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().expect("the kinesis binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The bytes of every hex-dump row in `log` (`0a1b 2c3d ... --  text`), decoded and joined:
/// the HTTP stack logs raw traffic that way, 16 bytes per line, so a secret may span rows.
fn decoded_hex_rows(log: &str) -> String {
    let mut bytes = Vec::new();
    for line in log.lines() {
        // `<time> <LEVEL> <target>: <message>`
        let Some((_, message)) = line.split_once(": ") else {
            continue;
        };
        let groups: Vec<&str> = message.split(' ').take(8).collect();
        let is_row = groups.len() == 8
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        if !is_row {
            continue;
        }
        for g in groups {
            for pair in [&g[..2], &g[2..]] {
                if let Ok(b) = u8::from_str_radix(pair, 16) {
                    bytes.push(b);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Panics naming the secret and where it appeared.
fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows the secret {s}:\n{text}");
    }
    // A SigV4 signature (the `Authorization` header) is a credential for minutes.
    assert!(
        !text.contains("Signature="),
        "{what} shows a signature:\n{text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("x-amz-security-token:"),
        "{what} shows a security token header:\n{text}"
    );
}

fn assert_run_clean(label: &str, r: &Run, files: &[&Path]) {
    assert_clean(&format!("{label}: stdout"), &r.stdout);
    assert_clean(&format!("{label}: stderr"), &r.stderr);
    assert_clean(
        &format!("{label}: decoded hex dump in stderr"),
        &decoded_hex_rows(&r.stderr),
    );
    for f in files {
        if let Ok(text) = std::fs::read(f) {
            assert_clean(
                &format!("{label}: {}", f.display()),
                &String::from_utf8_lossy(&text),
            );
        }
    }
}

fn label(setup: &Setup, log: (&[&str], Option<&str>), what: &str) -> String {
    format!(
        "{} {what} {}{}",
        setup.name,
        log.0.join(" "),
        log.1.map(|f| format!(" RUST_LOG={f}")).unwrap_or_default()
    )
}

/// Deletes the test stream when the test ends, passed or not.
struct DeleteOnDrop {
    cwd: PathBuf,
    endpoint: String,
    stream: String,
}

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_kinesis"))
            .current_dir(&self.cwd)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("RUST_LOG")
            .args(["--endpoint", &self.endpoint, "delete-stream", &self.stream])
            .output();
    }
}

#[test]
fn no_secret_reaches_stdout_stderr_checkpoint_or_unwritten_rows() {
    let mock = endpoint();
    let dir = TempDir::new("cli-no-secrets");
    let sts_calls = Arc::new(AtomicUsize::new(0));
    let sso_calls = Arc::new(AtomicUsize::new(0));
    let sts = sts(sts_calls.clone());
    let sso = sso_portal(sso_calls.clone());
    // Kinesis that refuses calls as if the credentials had expired (the client refreshes
    // them, a second STS/SSO round trip, and fails), and PutRecords as if the stream were
    // gone (the sink gives up at once and the CLI saves the rows).
    let failing = LoopbackServer::start(|req| {
        let body: &[u8] = if req.target.ends_with("PutRecords") {
            br#"{"__type":"ResourceNotFoundException","message":"Stream not found"}"#
        } else {
            br#"{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}"#
        };
        Answer::Json(400, body.to_vec())
    });
    let setups = setups(&dir.0, &sts.url, &sso.url);

    // A stream with one record to read, and an input of two rows to put.
    let stream = unique("cli-no-secrets");
    let plain = Setup {
        name: "setup",
        options: vec![],
        env: vec![
            ("AWS_ACCESS_KEY_ID".into(), "test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
        ],
    };
    let quiet: (&[&str], Option<&str>) = (&[], None);
    let created = run(
        &dir.0,
        &plain,
        quiet,
        &[
            "--endpoint",
            &mock,
            "create-stream",
            &stream,
            "--shards",
            "1",
            "--wait",
        ],
        None,
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let _delete = DeleteOnDrop {
        cwd: dir.0.clone(),
        endpoint: mock.clone(),
        stream: stream.clone(),
    };
    let input = dir.file("rows.txt");
    std::fs::write(&input, "row one\nrow two\n").unwrap();
    let stream_opt = format!("stream={stream}");

    for setup in &setups {
        for &log in LOG_SETTINGS {
            // A successful call.
            let r = run(
                &dir.0,
                setup,
                log,
                &["--endpoint", &mock, "list-streams"],
                None,
            );
            let l = label(setup, log, "list-streams");
            assert_eq!(r.code, 0, "{l}: {}", r.stderr);
            assert!(r.stdout.contains(&stream), "{l}: {}", r.stdout);
            assert_run_clean(&l, &r, &[]);
            if log.0 == ["-vvv"] || log.1 == Some("trace") {
                // The detailed settings really are detailed (the region notice is INFO).
                assert!(
                    r.stderr.contains(" INFO "),
                    "{l}: nothing logged:\n{}",
                    r.stderr
                );
            }

            // A failing call.
            let r = run(
                &dir.0,
                setup,
                log,
                &["--endpoint", &failing.url, "list-streams"],
                None,
            );
            let l = label(setup, log, "failing list-streams");
            assert_eq!(r.code, 1, "{l}: {}", r.stderr);
            assert!(
                r.stderr.contains("ExpiredTokenException"),
                "{l}: {}",
                r.stderr
            );
            assert_run_clean(&l, &r, &[]);
        }
        for &log in DETAILED_LOG_SETTINGS {
            // put to the failing endpoint: the rows are saved beside the input.
            let unwritten = dir.file("rows.txt.unwritten");
            let _ = std::fs::remove_file(&unwritten);
            let r = run(
                &dir.0,
                setup,
                log,
                &[
                    "--endpoint",
                    &failing.url,
                    "--region",
                    "us-east-1",
                    "-X",
                    &stream_opt,
                    "put",
                    "-i",
                    input.to_str().unwrap(),
                ],
                None,
            );
            let l = label(setup, log, "failing put");
            assert_eq!(r.code, 1, "{l}: {}", r.stderr);
            let saved = std::fs::read_to_string(&unwritten)
                .unwrap_or_else(|e| panic!("{l}: no unwritten-rows file: {e}\n{}", r.stderr));
            assert_eq!(saved, "row one\nrow two\n", "{l}");
            assert_run_clean(&l, &r, &[&unwritten]);

            // put and read through kinesis-mock, with a checkpoint.
            let r = run(
                &dir.0,
                setup,
                log,
                &[
                    "--endpoint",
                    &mock,
                    "--region",
                    "us-east-1",
                    "-X",
                    &stream_opt,
                    "put",
                    "-i",
                    input.to_str().unwrap(),
                ],
                None,
            );
            let l = label(setup, log, "put");
            assert_eq!(r.code, 0, "{l}: {}", r.stderr);
            assert_run_clean(&l, &r, &[]);
            let checkpoint = dir.file("checkpoint.json");
            let _ = std::fs::remove_file(&checkpoint);
            let r = run(
                &dir.0,
                setup,
                log,
                &[
                    "--endpoint",
                    &mock,
                    "--region",
                    "us-east-1",
                    "-X",
                    &stream_opt,
                    "read",
                    "-o",
                    "beginning",
                    "-c",
                    "2",
                    "--checkpoint",
                    checkpoint.to_str().unwrap(),
                ],
                None,
            );
            let l = label(setup, log, "read");
            assert_eq!(r.code, 0, "{l}: {}", r.stderr);
            // A raw stream prints each payload as it is, one per line.
            assert!(
                r.stdout.lines().any(|line| line == "row one"),
                "{l}: {}",
                r.stdout
            );
            assert!(checkpoint.exists(), "{l}: no checkpoint written");
            assert_run_clean(&l, &r, &[&checkpoint]);
        }
    }
    // The secrets really travelled: STS and the SSO portal were called.
    assert!(sts_calls.load(Ordering::SeqCst) > 0);
    assert!(sso_calls.load(Ordering::SeqCst) > 0);
}
