#![allow(dead_code)]

use kinesis_formats::DataType;
use kinesis_options::{Column, OptionsError, TableDef};

pub type Pairs = Vec<(String, String)>;

pub fn pairs(list: &[(&str, &str)]) -> Pairs {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Base source options B of reference §9 (format csv).
pub fn b() -> Pairs {
    pairs(&[
        ("connector", "kinesis"),
        ("stream", "myStream"),
        ("format", "csv"),
        ("aws.region", "us-west-2"),
        ("aws.credentials.provider", "BASIC"),
        ("aws.credentials.basic.accesskeyid", "ververicka"),
        (
            "aws.credentials.basic.secretkey",
            "SuperSecretSecretSquirrel",
        ),
        ("scan.stream.initpos", "AT_TIMESTAMP"),
        (
            "scan.stream.initpos-timestamp-format",
            "yyyy-MM-dd'T'HH:mm:ss",
        ),
        ("scan.stream.initpos-timestamp", "2014-10-22T12:00:00"),
    ])
}

/// Base sink options SB: the first six entries of B (plus the credentials' secret key).
pub fn sb() -> Pairs {
    b().into_iter().take(7).collect()
}

/// SO of §9, which decisions D8 rejects (max-buffered ≤ batch size, flush size < 1 MiB).
pub fn so() -> Pairs {
    pairs(&[
        ("sink.fail-on-error", "true"),
        ("sink.batch.max-size", "100"),
        ("sink.requests.max-inflight", "100"),
        ("sink.requests.max-buffered", "100"),
        ("sink.flush-buffer.size", "1000"),
        ("sink.flush-buffer.timeout", "1000"),
    ])
}

/// SO with the two values D8 refuses made valid.
pub fn so_valid() -> Pairs {
    with(
        so(),
        &[
            ("sink.requests.max-buffered", "101"),
            ("sink.flush-buffer.size", "1048576"),
        ],
    )
}

/// `base` with `changes` set (replacing existing keys).
pub fn with(mut base: Pairs, changes: &[(&str, &str)]) -> Pairs {
    for (k, v) in changes {
        base.retain(|(bk, _)| bk != k);
        base.push((k.to_string(), v.to_string()));
    }
    base
}

pub fn without(mut base: Pairs, keys: &[&str]) -> Pairs {
    base.retain(|(k, _)| !keys.contains(&k.as_str()));
    base
}

pub fn plus(mut base: Pairs, more: Pairs) -> Pairs {
    for (k, v) in more {
        base.retain(|(bk, _)| *bk != k);
        base.push((k, v));
    }
    base
}

/// The sink test schema `(name STRING, curr_id BIGINT, time TIMESTAMP(3))`.
pub fn schema() -> Vec<Column> {
    vec![
        Column::physical("name", DataType::parse("STRING").unwrap()),
        Column::physical("curr_id", DataType::parse("BIGINT").unwrap()),
        Column::physical("time", DataType::parse("TIMESTAMP(3)").unwrap()),
    ]
}

pub fn table(options: Pairs) -> Result<TableDef, OptionsError> {
    TableDef::from_options("KinesisTable", schema(), options)
}

pub fn partitioned(options: Pairs, keys: &[&str]) -> Result<TableDef, OptionsError> {
    TableDef::from_options_partitioned("KinesisTable", schema(), keys.to_vec(), options)
}

/// The error message of a table that must be rejected.
pub fn err(options: Pairs) -> String {
    match table(options) {
        Ok(_) => panic!("table was accepted"),
        Err(e) => e.to_string(),
    }
}
