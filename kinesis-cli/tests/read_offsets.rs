//! kcat parity of `read` (issue #14, points 8 and 9): `-o seq:N` / `after:N` start the
//! shard N belongs to at / after N (the other shards at TRIM_HORIZON), `-e` with `-o end`,
//! `-q` silences the summaries, and records skipped under `*.ignore-parse-errors` are
//! summarised per shard instead of one warning each. Against kinesis-mock.

mod common;

use common::{endpoint, kinesis, TempDir, TempStream};

fn base(stream: &TempStream) -> Vec<&str> {
    vec![
        "--endpoint",
        &stream.endpoint,
        "--region",
        "us-east-1",
        "-t",
        &stream.name,
    ]
}

fn run_ok(args: &[&str], input: Option<&[u8]>) -> String {
    let run = kinesis(args, input);
    assert_eq!(run.code, 0, "{args:?}\n{run:?}");
    run.stdout_text()
}

#[test]
fn sequence_offsets_start_that_shard_at_or_after_the_number() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-seq", 3);
    let mut args = base(&stream);
    args.extend(["put", "-K", ":"]);
    let input: String = (1..=12).map(|i| format!("{i}:v{i}\n")).collect();
    run_ok(&args, Some(input.as_bytes()));
    // Every record as (shard, sequence number, payload), in shard order.
    let mut args = base(&stream);
    args.extend(["read", "-o", "beginning", "-e", "-f", "%p %o %s\\n"]);
    let all: Vec<(String, String, String)> = run_ok(&args, None)
        .lines()
        .map(|l| {
            let mut p = l.split(' ').map(String::from);
            (p.next().unwrap(), p.next().unwrap(), p.next().unwrap())
        })
        .collect();
    assert_eq!(all.len(), 12);
    // The shard with the most records, and its second record.
    let busiest = ["0", "1", "2"]
        .iter()
        .map(|i| format!("shardId-00000000000{i}"))
        .max_by_key(|s| all.iter().filter(|r| &r.0 == s).count())
        .unwrap();
    let mine: Vec<&(String, String, String)> = all.iter().filter(|r| r.0 == busiest).collect();
    assert!(mine.len() >= 2, "{all:?}");
    let (_, n, _) = mine[1];
    let payloads = |offset: &str| -> Vec<String> {
        let mut args = base(&stream);
        args.extend(["read", "-o", offset, "-e", "-f", "%s\\n"]);
        let mut got: Vec<String> = run_ok(&args, None).lines().map(String::from).collect();
        got.sort();
        got
    };
    let expected = |skip: usize| -> Vec<String> {
        let mut want: Vec<String> = all
            .iter()
            .filter(|r| r.0 != busiest)
            .chain(mine.iter().copied().skip(skip))
            .map(|r| r.2.clone())
            .collect();
        want.sort();
        want
    };
    assert_eq!(
        payloads(&format!("seq:{n}")),
        expected(1),
        "AT_SEQUENCE_NUMBER"
    );
    assert_eq!(
        payloads(&format!("after:{n}")),
        expected(2),
        "AFTER_SEQUENCE_NUMBER"
    );

    // A number no shard holds: a runtime error naming it.
    let mut args = base(&stream);
    args.extend(["read", "-o", "seq:1", "-e"]);
    let run = kinesis(&args, None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("no shard of stream"), "{run:?}");
    assert!(run.stderr.contains("holds sequence number 1 "), "{run:?}");
    // Not a number: usage.
    let mut args = base(&stream);
    args.extend(["read", "-o", "seq:abc"]);
    assert_eq!(kinesis(&args, None).code, 2);
}

#[test]
fn exit_at_end_works_from_the_end_too() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-end", 2);
    let mut args = base(&stream);
    args.push("put");
    run_ok(&args, Some(b"old1\nold2\n"));
    let mut args = base(&stream);
    args.extend(["read", "-o", "end", "-e"]);
    let started = std::time::Instant::now();
    assert_eq!(run_ok(&args, None), "", "nothing after the end");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn skipped_records_are_summarised_and_q_silences_summaries() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-skips", 2);
    let mut args = base(&stream);
    args.extend(["-q", "put"]);
    let input: String = (1..=40)
        .map(|i| format!("{{\"id\": {i}}}\nnot json {i}\n"))
        .collect();
    // -q: no summary line for put either.
    assert_eq!(run_ok(&args, Some(input.as_bytes())), "");
    let dir = TempDir::new("cli-skips");
    let ddl = dir.file("t.sql");
    std::fs::write(
        &ddl,
        format!(
            "CREATE TABLE t (id BIGINT) WITH ('stream' = '{}', 'format' = 'json', 'json.ignore-parse-errors' = 'true')",
            stream.name
        ),
    )
    .unwrap();
    let read = |extra: &[&str]| {
        let mut args = vec![
            "--endpoint",
            ep.as_str(),
            "--region",
            "us-east-1",
            "--table",
            ddl.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.extend(["read", "-o", "beginning", "-e"]);
        let run = kinesis(&args, None);
        assert_eq!(run.code, 0, "{run:?}");
        run
    };
    let run = read(&[]);
    assert_eq!(run.stdout_text().lines().count(), 40);
    assert!(
        run.stderr
            .contains(&format!("read 40 rows from {} in ", stream.name))
            && run
                .stderr
                .contains("; 40 records skipped as not decodable (json.ignore-parse-errors)\n"),
        "{run:?}"
    );
    // One warning per shard, not one per record.
    let warnings = run
        .stderr
        .matches("records skipped as not decodable in the last")
        .count();
    assert!((1..=2).contains(&warnings), "{run:?}");
    assert!(
        !run.stderr.contains("Skipping non-deserializable"),
        "{run:?}"
    );
    // -vv shows each record's warning (at debug).
    let run = read(&["-vv"]);
    assert_eq!(
        run.stderr
            .matches("Skipping non-deserializable record")
            .count(),
        40
    );
    // -q: nothing on stderr.
    let run = read(&["-q"]);
    assert_eq!(run.stderr, "", "{run:?}");
}
