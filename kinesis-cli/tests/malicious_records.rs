//! `kinesis read` of a malicious record ends with a clear error naming the column, never an
//! abort (issue #13, finding 3: a 1 KiB avro record of empty-row blocks made the CLI abort
//! on a 6 GiB allocation). Runs the binary against the test server.

mod common;

use common::{endpoint, kinesis, TempDir, TempStream};

/// Appends an Avro `long` (zigzag, then 7 bits a byte, low group first).
fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push(z as u8 | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[test]
fn a_kibibyte_of_empty_row_blocks_is_a_decode_error() {
    let ep = endpoint();
    let stream = TempStream::create(&ep, "cli-malicious", 1);
    let dir = TempDir::new("cli-malicious");
    let ddl = dir.file("t.sql");
    std::fs::write(
        &ddl,
        format!(
            "CREATE TABLE t (id BIGINT NOT NULL, e ARRAY<ARRAY<ROW<> NOT NULL>>) WITH (\n  \
             'stream' = '{}', 'format' = 'avro', 'aws.region' = 'us-east-1')",
            stream.name
        ),
    )
    .unwrap();
    // id = 1, e = one inner array of 254 blocks of 2^20 empty rows each.
    let mut payload = vec![0x02, 0x02];
    write_long(&mut payload, 1);
    payload.push(0x02);
    for _ in 0..254 {
        write_long(&mut payload, 1 << 20);
    }
    payload.extend([0, 0]);
    assert!(payload.len() <= 1024);
    kinesis_tests::client(&ep)
        .put_record(&kinesis_wire::model::PutRecordInput::new(
            kinesis_wire::model::StreamRef::from(stream.name.as_str()),
            payload,
            "k",
        ))
        .unwrap();
    let run = kinesis(
        &[
            "--endpoint",
            &ep,
            "--table",
            ddl.to_str().unwrap(),
            "read",
            "-o",
            "beginning",
            "-e",
        ],
        None,
    );
    // An error exit (not a signal), naming the column and the byte.
    assert!(run.code == 1 || run.code == 2, "{run:?}");
    assert!(
        run.stderr.contains("field: e[].") && run.stderr.contains("at byte 4"),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
}
