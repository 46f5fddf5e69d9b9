//! The README's library example is the marked part of `examples/source_and_sink.rs` (which
//! `cargo test` compiles), its CLI reference names every command the binary knows, and
//! every shell example of its CLI section runs.

mod common;

#[test]
fn readme_library_example_matches_the_compiled_example() {
    let example = include_str!("../examples/source_and_sink.rs");
    let readme = include_str!("../../README.md");
    let mut code = String::new();
    for part in example.split("// README-BEGIN\n").skip(1) {
        let body = part
            .split("    // README-END")
            .next()
            .expect("README-END marker");
        code.push_str(body);
    }
    assert!(!code.is_empty());
    let dedented: String = code
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        readme.contains(&format!("```rust\n{}\n```", dedented.trim_end())),
        "README.md's library example differs from examples/source_and_sink.rs; expected:\n{dedented}"
    );
}

/// The commands `kinesis --help` lists, from its `Commands:` section (clap's layout).
fn commands_in_help() -> Vec<String> {
    let usage = std::process::Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(usage.status.success());
    let usage = String::from_utf8(usage.stdout).unwrap();
    let section = usage
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap();
    section
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_cli_reference_covers_every_command() {
    let readme = include_str!("../../README.md");
    let commands = commands_in_help();
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
        assert!(
            commands.iter().any(|c| c == command),
            "--help lacks {command}: {commands:?}"
        );
    }
    for command in &commands {
        assert!(
            readme.contains(&format!("\n  {command} ")),
            "README's CLI synopsis lacks {command}"
        );
    }
}

/// The README's CLI section.
fn cli_section() -> &'static str {
    let readme = include_str!("../../README.md");
    let start = readme.find("## The `kinesis` CLI").expect("a CLI section");
    let len = readme[start..]
        .find("## Library: source and sink")
        .expect("the next section");
    &readme[start..start + len]
}

/// Every ```sh block of the CLI section, run in order as one shell session in a fresh
/// directory, `kinesis` on the PATH, against kinesis-mock (the examples' endpoint
/// replaced, their stream names made unique): each command must succeed.
#[test]
fn readme_cli_examples_run() {
    let ep = common::endpoint();
    let blocks: Vec<&str> = cli_section()
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 2, "the CLI section has shell examples");
    let events = common::unique("readme-events");
    // Also a table name in the DDL: no dashes.
    let orders = common::unique("readme-orders").replace('-', "_");
    let script = blocks
        .concat()
        .replace("http://127.0.0.1:4567", &ep)
        .replace("events", &events)
        .replace("orders", &orders);
    assert!(script.contains("kinesis "), "{script}");
    let dir = common::TempDir::new("readme-cli");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_kinesis"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = std::process::Command::new("sh")
        .args(["-ec", &script])
        .current_dir(&dir.0)
        .env("PATH", path)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    for name in [&events, &orders] {
        let _ = common::kinesis(&["--endpoint", &ep, "delete-stream", name], None);
    }
    assert!(
        run.status.success(),
        "a README example failed:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // What the comments promise.
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"hello") && lines.contains(&"world"),
        "{stdout}"
    );
    assert!(stdout.contains("{\"data\":\"aGVsbG8=\"}"), "{stdout}");
    assert!(stdout.contains("\"streams\""), "{stdout}");
    assert!(
        stdout.contains(" | book") && stdout.contains(" | pen"),
        "{stdout}"
    );
}
