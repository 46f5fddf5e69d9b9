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

#[test]
fn readme_cli_reference_covers_every_command() {
    let readme = include_str!("../../README.md");
    let usage = std::process::Command::new(env!("CARGO_BIN_EXE_kinesis"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(usage.status.success());
    let usage = String::from_utf8(usage.stdout).unwrap();
    for command in [
        "validate",
        "create-stream NAME --shards N [--wait]",
        "delete-stream NAME",
        "list-streams",
        "describe [NAME]",
        "find-shard KEY",
        "put [--input FILE|-] [--input-format csv|json",
        "read [-o beginning|end|@<epoch-ms>|<ISO-8601>|-5m] [-c COUNT] [-e] [--checkpoint FILE]",
    ] {
        assert!(usage.contains(command), "--help lacks {command}");
        let head = command.split(' ').next().unwrap();
        assert!(readme.contains(&format!("  {head}")), "README lacks {head}");
    }
}
