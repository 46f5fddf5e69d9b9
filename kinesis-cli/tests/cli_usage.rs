//! The command line as a user meets it (issue #14, point 3): help per command with
//! examples, did-you-mean for commands, flags and values, `--version`, shell completions and
//! the man page, and global flags that keep their command-line order. No server needed.

mod common;

use common::kinesis;

#[test]
fn every_command_has_its_own_help_with_examples() {
    for command in [
        "validate",
        "create-stream",
        "delete-stream",
        "list-streams",
        "describe",
        "find-shard",
        "put",
        "read",
        "completions",
        "man",
    ] {
        for args in [
            vec![command, "--help"],
            vec!["help", command],
            vec!["-X", "stream=s", command, "-h"],
        ] {
            let run = kinesis(&args, None);
            assert_eq!(run.code, 0, "{args:?}\n{run:?}");
            let text = run.stdout_text();
            assert!(
                text.contains(&format!("Usage: kinesis {command}")),
                "{args:?}\n{text}"
            );
            assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
            assert!(
                text.contains("Global options:"),
                "{args:?} hides the global flags:\n{text}"
            );
        }
    }
    let run = kinesis(&["read", "--help"], None);
    let text = run.stdout_text();
    for flag in [
        "--offset",
        "--count",
        "--exit",
        "--checkpoint-interval",
        "--output",
        "--format",
        "--subtask",
    ] {
        assert!(text.contains(flag), "read --help lacks {flag}:\n{text}");
    }
    assert!(!text.contains("--drain-timeout"), "{text}");
}

#[test]
fn typos_get_a_suggestion_and_exit_2() {
    for (args, want) in [
        (&["list-stream"][..], "'list-streams'"),
        (
            &["create-stream", "s", "--shard-count", "2"],
            "a similar argument exists: '--shards'",
        ),
        (
            &["--tabel", "t.sql", "validate"],
            "a similar argument exists: '--table'",
        ),
        (
            &["-t", "s", "read", "--output", "jsn"],
            "a similar value exists: 'json'",
        ),
    ] {
        let run = kinesis(args, None);
        assert_eq!(run.code, 2, "{args:?}\n{run:?}");
        assert!(run.stderr.contains(want), "{args:?}\n{run:?}");
        assert!(run.stdout.is_empty(), "{args:?}\n{run:?}");
    }
}

#[test]
fn version_and_bare_invocation() {
    let run = kinesis(&["--version"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout_text(),
        format!("kinesis {}\n", env!("CARGO_PKG_VERSION"))
    );
    // No command: the help, on stderr, as a usage error.
    let run = kinesis(&[], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("Usage: kinesis"), "{run:?}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let run = kinesis(&["completions", shell], None);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        let script = run.stdout_text();
        for word in [
            "create-stream",
            "find-shard",
            "checkpoint-interval",
            "subtask",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script is valid bash.
    let run = kinesis(&["completions", "bash"], None);
    let dir = common::TempDir::new("cli-completions");
    let file = dir.file("kinesis.bash");
    std::fs::write(&file, &run.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let run = kinesis(&["completions", "tcsh"], None);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn the_man_page_is_roff_naming_every_command() {
    let run = kinesis(&["man"], None);
    assert_eq!(run.code, 0, "{run:?}");
    let page = run.stdout_text();
    assert!(page.contains(".TH kinesis 1"), "{page}");
    for command in [
        "validate",
        "create\\-stream",
        "list\\-streams",
        "put",
        "read",
    ] {
        assert!(page.contains(command), "man page lacks {command}");
    }
}

/// `-X`, `-t`, `--endpoint` and `--region` apply in command-line order whichever side of
/// the command they stand on: the last one wins.
#[test]
fn global_flags_keep_command_line_order_across_the_command() {
    let validate = |args: &[&str]| -> serde_json::Value {
        let run = kinesis(args, None);
        assert_eq!(run.code, 0, "{args:?}\n{run:?}");
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let doc = validate(&[
        "-t",
        "first",
        "--region",
        "eu-west-1",
        "validate",
        "-X",
        "aws.region=us-east-2",
        "--stream",
        "second",
    ]);
    assert_eq!(doc["options"]["aws.region"], "us-east-2");
    assert_eq!(doc["options"]["stream"], "second");
    let doc = validate(&[
        "-X",
        "aws.region=us-east-2",
        "-X",
        "stream=x",
        "validate",
        "--region",
        "eu-west-1",
        "-t",
        "y",
    ]);
    assert_eq!(doc["options"]["aws.region"], "eu-west-1");
    assert_eq!(doc["options"]["stream"], "y");
    let doc = validate(&[
        "--endpoint=http://127.0.0.1:9",
        "-tz",
        "validate",
        "-Xaws.endpoint=http://127.0.0.1:8",
    ]);
    assert_eq!(doc["options"]["aws.endpoint"], "http://127.0.0.1:8");
    assert_eq!(doc["options"]["stream"], "z");
}
