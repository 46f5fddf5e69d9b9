//! The README's library example is the marked part of `examples/source_and_sink.rs` (which
//! `cargo test` compiles), and its CLI reference names every command the binary knows.

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
