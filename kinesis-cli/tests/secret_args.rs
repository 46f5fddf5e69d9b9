//! The `kinesis` binary never prints a secret given on its command line or in its table
//! file, whatever the mistake around it (issue #13, finding 5). Runs the binary as a
//! process; `validate` needs no server.

mod common;

use common::{kinesis, Run, TempDir};

const SECRET: &str = "S3CRqq7";

/// `run` exited with `code` and printed `SECRET` nowhere.
fn assert_hidden(args: &[&str], run: &Run, code: i32) {
    assert_eq!(run.code, code, "{args:?}\n{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        !stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{args:?}\n{run:?}"
    );
}

#[test]
fn command_line_secrets_are_never_echoed() {
    let glued = format!("aws.credentials.basic.secretkey{SECRET}");
    let glued_x = format!("-X{glued}");
    let with_value = format!("aws.credentials.basic.secretkey={SECRET}");
    let glued_key = format!("{glued}=x");
    // Usage errors name the argument by position.
    for (args, position) in [
        (vec!["-X", glued.as_str(), "validate"], 2),
        (vec![glued_x.as_str(), "validate"], 1),
        (
            vec!["-X", "aws.credentials.basic.secretkey", SECRET, "validate"],
            2,
        ),
        (
            vec!["validate", "-X", "aws.credentials.basic.secretkey=", SECRET],
            4,
        ),
        (vec!["-v", "validate", with_value.as_str()], 3),
    ] {
        let run = kinesis(&args, None);
        assert_hidden(&args, &run, 2);
        assert!(
            run.stderr
                .contains(&format!("argument {position} (not shown")),
            "{args:?}\n{run:?}"
        );
    }
    // A secret glued to a key with '=' after it: the unknown option is named up to its
    // sensitive word.
    let args = ["-X", "stream=s", "-X", glued_key.as_str(), "validate"];
    let run = kinesis(&args, None);
    assert_hidden(&args, &run, 2);
    assert!(
        run.stderr
            .contains("\naws.credentials.basic.secret******\n"),
        "{run:?}"
    );
    // A valid secret with another option at fault, and a valid table, at full verbosity.
    let base = [
        "-vv",
        "-X",
        "stream=s",
        "-X",
        "aws.region=us-east-1",
        "-X",
        "aws.credentials.provider=BASIC",
        "-X",
        "aws.credentials.basic.accesskeyid=AK",
        "-X",
        with_value.as_str(),
    ];
    let mut args = base.to_vec();
    args.extend(["-X", "sink.batch.max-size=0", "validate"]);
    let run = kinesis(&args, None);
    assert_hidden(&args, &run, 2);
    assert!(run.stderr.contains("sink.batch.max-size"), "{run:?}");
    let mut args = base.to_vec();
    args.push("validate");
    let run = kinesis(&args, None);
    assert_hidden(&args, &run, 0);
    assert!(
        run.stdout_text()
            .contains(r#""aws.credentials.basic.secretkey": "******""#),
        "{run:?}"
    );
}

#[test]
fn table_file_secrets_are_never_echoed() {
    let dir = TempDir::new("cli-secret-ddl");
    let ddl = dir.file("t.sql");
    for (value, names) in [
        (
            format!("= 'a' '{SECRET}'"),
            "follows option 'aws.credentials.basic.secretkey'",
        ),
        (
            format!("= = = '{SECRET}'"),
            "aws.credentials.basic.secretkey",
        ),
        (
            format!("= 'a' || '{SECRET}'"),
            "aws.credentials.basic.secretkey",
        ),
        (format!("= , '{SECRET}'"), "aws.credentials.basic.secretkey"),
        (format!("= ( '{SECRET}'"), "aws.credentials.basic.secretkey"),
    ] {
        std::fs::write(
            &ddl,
            format!(
                "CREATE TABLE t (a STRING) WITH (\n  'stream' = 's',\n  'format' = 'csv',\n  \
                 'aws.credentials.basic.secretkey' {value}\n)"
            ),
        )
        .unwrap();
        let args = ["--table", ddl.to_str().unwrap(), "validate"];
        let run = kinesis(&args, None);
        assert_hidden(&args, &run, 2);
        assert!(run.stderr.contains(names), "{value}\n{run:?}");
        assert!(run.stderr.contains("******"), "{value}\n{run:?}");
    }
}
