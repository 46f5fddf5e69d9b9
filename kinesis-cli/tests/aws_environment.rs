//! Region and endpoint come from the AWS environment as the AWS CLI takes them (issue #14,
//! point 1; decisions D21): the command line, then the table, then `AWS_REGION` /
//! `AWS_DEFAULT_REGION` / the profile's `region`, and `AWS_ENDPOINT_URL_KINESIS` /
//! `AWS_ENDPOINT_URL` / the profile's services section and `endpoint_url`. Each run gets a
//! controlled environment: only the variables given, HOME a temporary directory.

mod common;

use std::process::{Command, Stdio};

use common::{Run, TempDir, TempStream};

/// Runs `kinesis ARGS` with exactly `env` (plus HOME = `home`), stdin from `input`.
fn kinesis_env(home: &TempDir, env: &[(&str, &str)], args: &[&str], input: Option<&[u8]>) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis"));
    cmd.args(args)
        .current_dir(&home.0)
        .env_clear()
        .env("HOME", &home.0)
        .envs(env.iter().copied())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = input {
        // The command may exit before reading its input (e.g. missing credentials): a
        // broken pipe here is its answer, not the test's failure.
        let _ = child.stdin.take().unwrap().write_all(bytes);
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A HOME whose `~/.aws/config` holds `config`.
fn home_with(tag: &str, config: &str) -> TempDir {
    let home = TempDir::new(tag);
    std::fs::create_dir_all(home.file(".aws")).unwrap();
    std::fs::write(home.file(".aws").join("config"), config).unwrap();
    home
}

/// `validate`'s document.
fn validate(home: &TempDir, env: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("validate");
    let run = kinesis_env(home, env, &all, None);
    assert_eq!(run.code, 0, "{env:?} {args:?}\n{run:?}");
    serde_json::from_slice(&run.stdout).unwrap()
}

const PROFILES: &str = "\
[default]
region = ap-south-1
endpoint_url = http://127.0.0.1:3

[profile dev]
region = sa-east-1
services = local

[services local]
kinesis =
  endpoint_url = http://127.0.0.1:2
";

#[test]
fn region_from_each_source_in_precedence_order() {
    let home = home_with("cli-env-region", PROFILES);
    let table = home.file("t.sql");
    std::fs::write(
        &table,
        "CREATE TABLE t (a STRING) WITH ('stream' = 's', 'format' = 'csv', 'aws.region' = 'us-west-1')",
    )
    .unwrap();
    let table = table.to_str().unwrap();
    let both = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-2"),
    ];
    // (environment, arguments, region, where from)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            &both,
            &["-t", "s", "--region", "us-east-2"],
            "us-east-2",
            "--region",
        ),
        (
            &both,
            &["-t", "s", "-X", "aws.region=us-east-2"],
            "us-east-2",
            "-X",
        ),
        (&both, &["--table", table], "us-west-1", ""),
        (&both, &["-t", "s"], "eu-west-1", "AWS_REGION"),
        (
            &[("AWS_DEFAULT_REGION", "eu-west-2")],
            &["-t", "s"],
            "eu-west-2",
            "AWS_DEFAULT_REGION",
        ),
        (&[], &["-t", "s"], "ap-south-1", "profile 'default' in "),
        (
            &[("AWS_PROFILE", "dev")],
            &["-t", "s"],
            "sa-east-1",
            "profile 'dev' in ",
        ),
        (
            &[("AWS_PROFILE", "dev")],
            &["-t", "arn:aws:kinesis:ca-central-1:123456789012:stream/s"],
            "sa-east-1",
            "profile 'dev' in ",
        ),
    ];
    for (env, args, region, from) in cases {
        let doc = validate(&home, env, args);
        assert_eq!(
            doc["options"]["aws.region"], *region,
            "{env:?} {args:?}\n{doc:#}"
        );
        if from.is_empty() {
            assert!(doc["resolved"].get("aws.region").is_none(), "{doc:#}");
        } else {
            let got = doc["resolved"]["aws.region"]["from"].as_str().unwrap();
            assert!(got.starts_with(from), "{env:?} {args:?}: {got}");
            assert_eq!(doc["resolved"]["aws.region"]["value"], *region);
        }
    }
    // AWS_CONFIG_FILE points at another file; a stream ARN gives the region when nothing
    // else does.
    let other = home.file("other-config");
    std::fs::write(&other, "[default]\nregion = me-south-1\n").unwrap();
    let doc = validate(
        &home,
        &[("AWS_CONFIG_FILE", other.to_str().unwrap())],
        &["-t", "s"],
    );
    assert_eq!(doc["options"]["aws.region"], "me-south-1");
    let empty = TempDir::new("cli-env-empty");
    let arn = "arn:aws:kinesis:ca-central-1:123456789012:stream/s";
    let doc = validate(&empty, &[], &["-t", arn]);
    assert_eq!(doc["options"]["aws.region"], "ca-central-1");
    assert_eq!(doc["resolved"]["aws.region"]["from"], "the stream ARN");
    assert_eq!(
        doc["resolved"]["stream"],
        serde_json::json!({"value": arn, "from": "-t"})
    );
}

#[test]
fn endpoint_from_each_source_and_the_off_switch() {
    let home = home_with("cli-env-endpoint", PROFILES);
    let r = ("AWS_REGION", "us-east-1");
    let svc = ("AWS_ENDPOINT_URL_KINESIS", "http://127.0.0.1:10");
    let all = ("AWS_ENDPOINT_URL", "http://127.0.0.1:11");
    let endpoint = |env: &[(&str, &str)], args: &[&str]| {
        let doc = validate(&home, env, args);
        (
            doc["options"]["aws.endpoint"].as_str().map(str::to_string),
            doc["resolved"]["aws.endpoint"]["from"]
                .as_str()
                .map(str::to_string),
        )
    };
    let (v, from) = endpoint(
        &[r, svc, all],
        &["-t", "s", "--endpoint", "http://127.0.0.1:9"],
    );
    assert_eq!(
        (v.as_deref(), from.as_deref()),
        (Some("http://127.0.0.1:9"), Some("--endpoint"))
    );
    let (v, from) = endpoint(&[r, svc, all], &["-t", "s"]);
    assert_eq!(
        (v.as_deref(), from.as_deref()),
        (
            Some("http://127.0.0.1:10"),
            Some("AWS_ENDPOINT_URL_KINESIS")
        )
    );
    let (v, from) = endpoint(&[r, all], &["-t", "s"]);
    assert_eq!(
        (v.as_deref(), from.as_deref()),
        (Some("http://127.0.0.1:11"), Some("AWS_ENDPOINT_URL"))
    );
    let (v, from) = endpoint(&[r, ("AWS_PROFILE", "dev")], &["-t", "s"]);
    assert_eq!(v.as_deref(), Some("http://127.0.0.1:2"));
    assert!(from.unwrap().ends_with("(services: kinesis)"));
    let (v, from) = endpoint(&[r], &["-t", "s"]);
    assert_eq!(v.as_deref(), Some("http://127.0.0.1:3"));
    assert!(from.unwrap().starts_with("profile 'default' in "));
    for on in ["true", "True"] {
        let (v, _) = endpoint(
            &[r, svc, all, ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", on)],
            &["-t", "s"],
        );
        assert_eq!(v, None, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS={on}");
    }
    // The command line still counts when the environment's endpoints are off.
    let (v, _) = endpoint(
        &[r, svc, ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")],
        &["-t", "s", "--endpoint", "http://127.0.0.1:9"],
    );
    assert_eq!(v.as_deref(), Some("http://127.0.0.1:9"));
}

#[test]
fn a_table_without_a_region_is_valid_but_source_only() {
    let home = TempDir::new("cli-env-noregion");
    let run = kinesis_env(
        &home,
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:11")],
        &["-t", "s", "validate"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let warning = "the table can serve only as a source: no region resolves for a sink";
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(warning)),
        "{doc:#}"
    );
    assert!(run.stderr.contains(warning), "{run:?}");
    // Nothing at all: Flink's V9 error, exit 2.
    let run = kinesis_env(&home, &[], &["-t", "s", "validate"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("AWS region ('aws.region') and/or AWS endpoint"),
        "{run:?}"
    );
}

/// The first report: `AWS_REGION=us-east-1 kinesis --endpoint URL -X stream=events
/// put` failed with "Missing required options are: aws.region". Now region and endpoint
/// both come from the environment, for put, read and the admin commands.
#[test]
fn put_read_and_list_streams_take_region_and_endpoint_from_the_environment() {
    let ep = common::endpoint();
    let stream = TempStream::create(&ep, "cli-env", 1);
    let home = TempDir::new("cli-env-put");
    let env = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let run = kinesis_env(
        &home,
        &env,
        &["--endpoint", &ep, "-t", &stream.name, "put"],
        Some(b"one\ntwo\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 2 records"), "{run:?}");
    let mut with_endpoint = env.to_vec();
    with_endpoint.push(("AWS_ENDPOINT_URL_KINESIS", &ep));
    let run = kinesis_env(
        &home,
        &with_endpoint,
        &["-t", &stream.name, "read", "-o", "beginning", "-e"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout_text(), "one\ntwo\n");
    let run = kinesis_env(&home, &with_endpoint, &["list-streams"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout_text().lines().any(|l| l == stream.name),
        "{run:?}"
    );
}

/// Issue #14, point 5: no credentials anywhere leads with one line saying what to do; the
/// providers' reasons follow under -v. (The request never leaves: credentials come first.)
#[test]
fn missing_credentials_lead_with_what_to_do() {
    let home = TempDir::new("cli-env-nocreds");
    let refusing = kinesis_tests::RefusingPort::bind();
    let endpoint = refusing.url();
    let first = "kinesis: error: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for a local server), AWS_PROFILE, or aws.credentials.provider\n";
    let env = [("AWS_EC2_METADATA_DISABLED", "true")];
    for args in [
        vec!["--endpoint", endpoint.as_str(), "list-streams"],
        vec![
            "--endpoint",
            endpoint.as_str(),
            "--region",
            "us-east-1",
            "-t",
            "s",
            "read",
            "-e",
        ],
        vec![
            "--endpoint",
            endpoint.as_str(),
            "--region",
            "us-east-1",
            "-t",
            "s",
            "put",
        ],
    ] {
        let run = kinesis_env(&home, &env, &args, Some(b"x\n"));
        assert_eq!(run.code, 1, "{args:?}\n{run:?}");
        assert!(run.stderr.starts_with(first), "{args:?}\n{run:?}");
        assert!(
            run.stderr
                .contains("(-v shows why each provider found none)"),
            "{run:?}"
        );
        assert!(!run.stderr.contains("ENV_VAR"), "{run:?}");
    }
    let run = kinesis_env(
        &home,
        &env,
        &["-v", "--endpoint", &endpoint, "list-streams"],
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let tail = run.stderr.split(first).nth(1).expect("the lead line");
    assert!(
        tail.starts_with("  why each provider found none:\n    ENV_VAR: "),
        "{run:?}"
    );
    assert!(
        tail.contains("\n    PROFILE: no credentials: no profile file found"),
        "{run:?}"
    );
}
