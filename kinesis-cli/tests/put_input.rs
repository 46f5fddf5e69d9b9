//! `put` guesses nothing wrong (issue #14, point 4): the input format from the file's
//! extension, an early stop with a hint when nothing parses, unparsed lines of a file left
//! in the file (of stdin, saved), kcat's `-K` and `--key-column`, and a line saying when
//! rows typed at a terminal leave. Against kinesis-mock.

mod common;

use common::{endpoint, kinesis, TempDir, TempStream};

const JSON_TABLE: &str =
    "CREATE TABLE j (id BIGINT, name STRING) WITH ('stream' = '{stream}', 'format' = 'json')";

/// A json table on a fresh stream, and a directory for its files.
struct JsonTable {
    stream: TempStream,
    dir: TempDir,
    ddl: String,
}

impl JsonTable {
    fn new(ep: &str, tag: &str) -> JsonTable {
        let stream = TempStream::create(ep, tag, 1);
        let dir = TempDir::new(tag);
        let ddl = dir.file("j.sql");
        std::fs::write(&ddl, JSON_TABLE.replace("{stream}", &stream.name)).unwrap();
        JsonTable {
            ddl: ddl.to_str().unwrap().to_string(),
            stream,
            dir,
        }
    }

    fn args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--endpoint",
            &self.stream.endpoint,
            "--region",
            "us-east-1",
            "--table",
            &self.ddl,
        ];
        args.extend_from_slice(rest);
        args
    }

    /// Every row as `id,name`, sorted.
    fn rows(&self) -> Vec<String> {
        let run = kinesis(
            &self.args(&["read", "-o", "beginning", "-e", "--output", "csv"]),
            None,
        );
        assert_eq!(run.code, 0, "{run:?}");
        let mut rows: Vec<String> = run.stdout_text().lines().map(String::from).collect();
        rows.sort();
        rows
    }
}

fn csv_lines(n: u32) -> String {
    (1..=n).map(|i| format!("{i},name{i}\n")).collect()
}

#[test]
fn the_input_format_comes_from_the_file_extension() {
    let ep = endpoint();
    let t = JsonTable::new(&ep, "cli-put-ext");
    let csv = t.dir.file("rows.csv");
    std::fs::write(&csv, csv_lines(2)).unwrap();
    let run = kinesis(&t.args(&["put", "--input", csv.to_str().unwrap()]), None);
    assert_eq!(run.code, 0, "{run:?}");
    for ext in ["jsonl", "ndjson", "JSON"] {
        let file = t.dir.file(&format!("rows.{ext}"));
        std::fs::write(&file, "{\"id\": 3, \"name\": \"name3\"}\n").unwrap();
        let run = kinesis(&t.args(&["put", "--input", file.to_str().unwrap()]), None);
        assert_eq!(run.code, 0, "{ext}: {run:?}");
    }
    assert_eq!(
        t.rows(),
        ["1,name1", "2,name2", "3,name3", "3,name3", "3,name3"]
    );
}

#[test]
fn nothing_parsing_stops_early_with_a_hint_and_a_file_is_not_copied() {
    let ep = endpoint();
    let t = JsonTable::new(&ep, "cli-put-hint");
    // A csv file under a name that says nothing: every line fails as json.
    let file = t.dir.file("rows.txt");
    std::fs::write(&file, csv_lines(25)).unwrap();
    let path = file.to_str().unwrap();
    let run = kinesis(&t.args(&["put", "--input", path]), None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "10 input lines of {path} did not parse and were not sent (they stay in the file; the lines are named below); input looks like csv: try --input-format csv"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("stopped after the first 10 input lines: none parses as json"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!("input line 1 of {path}: ")),
        "{run:?}"
    );
    assert!(
        !t.dir.file("rows.txt.unwritten").exists(),
        "a file input is not copied"
    );
    // As suggested: every row goes.
    let run = kinesis(
        &t.args(&["put", "--input", path, "--input-format", "csv"]),
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(t.rows().len(), 25);

    // From stdin, the unparsed lines and the unread rest are saved: stdin cannot be read
    // again.
    let run = kinesis(&t.args(&["put"]), Some(csv_lines(25).as_bytes()));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("no input line parsed; input looks like csv: try --input-format csv"),
        "{run:?}"
    );
    let saved = run
        .stderr
        .split("saved to ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("the saved file is named");
    let saved = std::env::temp_dir().join(saved);
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), csv_lines(25));
    std::fs::remove_file(saved).unwrap();

    // A bad line among good ones: sent what parses, the bad line named, nothing copied.
    std::fs::write(
        &file,
        "{\"id\": 1, \"name\": \"a\"}\nnot json\n{\"id\": 2, \"name\": \"b\"}\n",
    )
    .unwrap();
    let run = kinesis(
        &t.args(&["put", "--input", path, "--input-format", "json"]),
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 2 records"), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "1 input lines of {path} did not parse and were not sent"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!("input line 2 of {path}: ")),
        "{run:?}"
    );
    assert!(!run.stderr.contains("try --input-format"), "{run:?}");
    assert!(!t.dir.file("rows.txt.unwritten").exists());
}

#[test]
fn keys_from_the_line_or_a_column() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-put-key", 2);
    let raw = [
        "--endpoint",
        ep.as_str(),
        "--region",
        "us-east-1",
        "-t",
        stream.name.as_str(),
    ];
    let mut args = raw.to_vec();
    args.extend(["put", "-K", ":"]);
    let run = kinesis(&args, Some(b"k1:hello\nk2:a:b\nno delimiter\n"));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout_text().starts_with("wrote 2 records"), "{run:?}");
    assert!(
        run.stderr
            .contains("input line 3: no key delimiter ':' (-K)")
            && run.stderr.contains("-K ':')"),
        "{run:?}"
    );
    let saved = run
        .stderr
        .split("saved to ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let saved = std::env::temp_dir().join(saved);
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "no delimiter\n");
    std::fs::remove_file(saved).unwrap();
    let mut args = raw.to_vec();
    args.extend(["read", "-o", "beginning", "-e", "-f", "%k=%s %K/%S\\n"]);
    let run = kinesis(&args, None);
    let mut got: Vec<String> = run.stdout_text().lines().map(String::from).collect();
    got.sort();
    assert_eq!(got, ["k1=hello 2/5", "k2=a:b 2/3"]);

    // --key-column: the column's text is the key.
    let t = JsonTable::new(&ep, "cli-put-keycol");
    let run = kinesis(
        &t.args(&["put", "--key-column", "name"]),
        Some(b"{\"id\": 7, \"name\": \"seven\"}\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = kinesis(
        &t.args(&["read", "-o", "beginning", "-e", "-f", "%k\\n"]),
        None,
    );
    assert_eq!(run.stdout_text(), "seven\n");

    // A table whose partitioner sets the key refuses both: usage, exit 2.
    let dir = TempDir::new("cli-put-key-ddl");
    let ddl = dir.file("p.sql");
    std::fs::write(
        &ddl,
        format!("CREATE TABLE p (id BIGINT) PARTITIONED BY (id) WITH ('stream' = '{}', 'format' = 'json')", stream.name),
    )
    .unwrap();
    for flags in [&["-K", ":"][..], &["--key-column", "id"]] {
        let mut args = vec![
            "--endpoint",
            ep.as_str(),
            "--region",
            "us-east-1",
            "--table",
            ddl.to_str().unwrap(),
            "put",
        ];
        args.extend_from_slice(flags);
        let run = kinesis(&args, Some(b"1:{\"id\": 1}\n"));
        assert_eq!(run.code, 2, "{flags:?}: {run:?}");
        assert!(
            run.stderr.contains("PARTITIONED BY (id) does too"),
            "{run:?}"
        );
    }
}

/// Rows typed at a terminal: a line says when they leave, and no progress line is drawn
/// over the typing (the input pauses for longer than the progress interval).
#[test]
fn typing_at_a_terminal_gets_a_notice_and_no_progress_line() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-put-tty", 1);
    let command = format!(
        "(printf 'r1\\n'; sleep 1.3; printf 'r2\\n') | script -qec \"'{}' --endpoint {} --region us-east-1 -t {} put\" /dev/null",
        env!("CARGO_BIN_EXE_kinesis"),
        ep,
        stream.name
    );
    let run = std::process::Command::new("sh")
        .args(["-c", &command])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{terminal}");
    assert!(
        terminal.contains(
            "kinesis: type one row per line; each is sent within 5 s (sink.flush-buffer.timeout); Ctrl-D ends, Ctrl-C stops"
        ),
        "{terminal:?}"
    );
    assert!(!terminal.contains("lines read"), "{terminal:?}");
    assert!(terminal.contains("wrote 2 records"), "{terminal:?}");
}
