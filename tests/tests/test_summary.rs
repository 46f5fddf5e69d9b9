//! `scripts/test-summary`, the last line of `scripts/test`: "N passed, M failed" summed over
//! every test binary's `test result:` line, a binary that printed no result counted as a
//! failure and named, colours ignored, a failed build said.

use std::path::PathBuf;
use std::process::Command;

/// Runs the script on `log` (written to a temporary file) with `status`.
fn summary(log: &str, status: i32) -> String {
    let dir = std::env::temp_dir().join(kinesis_tests::unique_name("test-summary"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("output.log");
    std::fs::write(&path, log).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-summary");
    let out = Command::new("bash")
        .arg(script)
        .arg(&path)
        .arg(status.to_string())
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const OK_LIB: &str =
    "     Running unittests src/lib.rs (target/debug/deps/a-1)\n\nrunning 12 tests\n\
test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n";

const FAILED_TEST: &str = "     Running tests/b.rs (target/debug/deps/b-2)\n\nrunning 3 tests\n\
test x ... FAILED\n\nfailures:\n\n---- x stdout ----\nthe test printed: test result: ok. 99 passed; 0 failed\n\n\
test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.20s\n\n\
error: test failed, to rerun pass `-p a --test b`\n";

const DOC_TESTS: &str = "   Doc-tests a\n\nrunning 4 tests\n\
test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.10s\n\n";

#[test]
fn sums_every_binary_doc_tests_included() {
    assert_eq!(
        summary(&format!("   Compiling a\n{OK_LIB}{DOC_TESTS}"), 0),
        "16 passed, 0 failed\n"
    );
}

#[test]
fn failures_count_and_lines_inside_a_failure_report_do_not() {
    assert_eq!(
        summary(&format!("{OK_LIB}{FAILED_TEST}{DOC_TESTS}"), 101),
        "17 passed, 2 failed\n"
    );
}

#[test]
fn a_binary_without_a_result_is_a_failure_named() {
    let crashed = "     Running tests/crash.rs (target/debug/deps/crash-3)\n\nrunning 2 tests\n\
error: test failed, to rerun pass `-p a --test crash`\n\nCaused by:\n  process didn't exit successfully (signal: 6, SIGABRT)\n";
    assert_eq!(
        summary(&format!("{OK_LIB}{crashed}{DOC_TESTS}"), 101),
        "16 passed, 1 failed (no result from: Running tests/crash.rs)\n"
    );
    // The last binary too.
    assert_eq!(
        summary(&format!("{OK_LIB}{crashed}"), 101),
        "12 passed, 1 failed (no result from: Running tests/crash.rs)\n"
    );
}

#[test]
fn colours_are_ignored() {
    let coloured = "\x1b[1m\x1b[92m     Running\x1b[0m tests/c.rs (target/debug/deps/c-4)\n\n\
running 5 tests\ntest result: \x1b[32mok\x1b[0m. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
    assert_eq!(summary(coloured, 0), "5 passed, 0 failed\n");
}

#[test]
fn a_failed_build_is_said() {
    assert_eq!(
        summary(
            "error[E0425]: cannot find value `x`\nerror: could not compile `a`\n",
            101
        ),
        "0 passed, 0 failed (cargo test exited with status 101 before every test ran)\n"
    );
}
