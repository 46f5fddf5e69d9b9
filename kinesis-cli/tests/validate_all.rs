//! `validate` reports every problem of a table in one run (issue #14, point 8): each in the
//! caret format, in Flink's order, exit 2; the list of every supported option only under
//! `-v`. No server needed.

mod common;

use common::{kinesis, TempDir};

const DDL: &str = "CREATE TABLE t (
  a INT,
  s ARRAY<INT> METADATA FROM 'shard-id' VIRTUAL
) WITH (
  'stream' = 's',
  'format' = 'csv',
  'aws.region' = 'us-east-1',
  'sink.batch.max-sise' = '10',
  'sink.batch.max-size' = '0',
  'scan.stream.initpos' = 'SOMETIME'
)";

#[test]
fn every_problem_of_a_table_in_one_run() {
    let dir = TempDir::new("cli-validate-all");
    let ddl = dir.file("t.sql");
    std::fs::write(&ddl, DDL).unwrap();
    let ddl = ddl.to_str().unwrap();
    let run = kinesis(&["--table", ddl, "validate"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    let err = &run.stderr;
    assert!(
        err.contains(&format!("invalid table in {ddl}: 4 problems\n")),
        "{err}"
    );
    // In Flink's order: the columns, the unknown key, the batch size, the start position;
    // each with its line, column and caret excerpt.
    let order = [
        "line 3, column 5: Invalid data type for metadata column 's'",
        "line 8, column 3: Unsupported options found for 'kinesis'.",
        "sink.batch.max-sise (did you mean 'sink.batch.max-size'?)",
        "line 9, column 27: Invalid option batch size. Must be a positive integer (option 'sink.batch.max-size')",
        "line 10, column 27: Invalid initial position in stream set in config.",
    ];
    let mut at = 0;
    for part in order {
        let found = err[at..]
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} missing or out of order:\n{err}"));
        at += found + part.len();
    }
    assert!(
        err.contains("\n10 |   'scan.stream.initpos' = 'SOMETIME'\n"),
        "{err}"
    );
    assert!(err.contains("(-v lists every supported option)"), "{err}");
    assert!(!err.contains("Supported options:"), "{err}");
    // -v shows the whole list.
    let run = kinesis(&["-v", "--table", ddl, "validate"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("Supported options:\n\n"), "{run:?}");
    assert!(run.stderr.contains("\nsink.batch.max-size\n"), "{run:?}");
    // One problem is shown as before, without a count.
    let run = kinesis(
        &[
            "-t",
            "s",
            "--region",
            "us-east-1",
            "-X",
            "sink.batch.max-size=0",
            "validate",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("invalid options: Invalid option batch size. Must be a positive integer"),
        "{run:?}"
    );
}
