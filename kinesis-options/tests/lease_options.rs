//! Consumer-group options (decisions D24): defaults, ranges, and the rules that tie them to
//! `scan.lease.table` and keep `scan.shard-assigner` away from it.

mod common;

use std::time::Duration;

use common::*;
use kinesis_options::{Definition, OptionsError, TableDef};

fn group() -> Pairs {
    pairs(&[
        ("stream", "orders"),
        ("format", "csv"),
        ("aws.region", "us-east-1"),
        ("scan.lease.table", "orders-app"),
    ])
}

#[test]
fn defaults_follow_d24() {
    let t = table(group()).unwrap();
    let l = t.source_options().lease.clone().unwrap();
    assert_eq!(l.table, "orders-app");
    assert_eq!(l.worker_id, None);
    assert_eq!(l.failover, Duration::from_millis(10_000));
    assert_eq!(l.renew, Duration::from_millis(3_333));
    assert_eq!(l.max_leases_per_worker, None);
    assert_eq!(l.endpoint, None);
    assert_eq!(l.region, None);
    assert_eq!(l.checkpoint_interval, Duration::from_millis(1_000));
    let plain = table(without(group(), &["scan.lease.table"])).unwrap();
    assert!(plain.source_options().lease.is_none());
}

#[test]
fn every_option_is_read() {
    let t = table(with(
        group(),
        &[
            ("scan.lease.worker-id", " w-1 "),
            ("scan.lease.failover-millis", "2000"),
            ("scan.lease.renew-millis", "500"),
            ("scan.lease.max-leases-per-worker", "3"),
            ("scan.lease.endpoint", "http://127.0.0.1:4568"),
            ("scan.lease.region", "eu-west-1"),
            ("scan.lease.checkpoint-millis", "250"),
        ],
    ))
    .unwrap();
    let l = t.source_options().lease.clone().unwrap();
    assert_eq!(l.worker_id.as_deref(), Some("w-1"));
    assert_eq!(l.failover, Duration::from_secs(2));
    assert_eq!(l.renew, Duration::from_millis(500));
    assert_eq!(l.max_leases_per_worker, Some(3));
    assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:4568"));
    assert_eq!(l.region.as_deref(), Some("eu-west-1"));
    assert_eq!(l.checkpoint_interval, Duration::from_millis(250));
}

fn key_and_message(options: Pairs) -> (String, String) {
    let e = table(options).unwrap_err();
    (e.key().unwrap_or("").to_string(), e.to_string())
}

#[test]
fn bad_values_name_their_option() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "scan.lease.failover-millis",
            "0",
            "positive number of milliseconds",
        ),
        (
            "scan.lease.failover-millis",
            "ten",
            "positive number of milliseconds",
        ),
        (
            "scan.lease.renew-millis",
            "-1",
            "positive number of milliseconds",
        ),
        (
            "scan.lease.renew-millis",
            "10000",
            "lower than scan.lease.failover-millis (10000)",
        ),
        ("scan.lease.max-leases-per-worker", "0", "positive integer"),
        (
            "scan.lease.checkpoint-millis",
            "0",
            "positive number of milliseconds",
        ),
        ("scan.lease.worker-id", " ", "Must not be empty"),
        ("scan.lease.table", "a b", "' ' at byte 1"),
        ("scan.lease.table", "ab", "3 to 255"),
    ];
    for (key, value, want) in cases {
        let (k, message) = key_and_message(with(group(), &[(key, value)]));
        assert_eq!(k, *key, "{key}={value}: {message}");
        assert!(message.contains(want), "{key}={value}: {message}");
    }
}

#[test]
fn lease_options_need_the_table_and_refuse_the_assigner() {
    let (k, message) = key_and_message(with(
        without(group(), &["scan.lease.table"]),
        &[("scan.lease.failover-millis", "2000")],
    ));
    assert_eq!(k, "scan.lease.failover-millis");
    assert!(message.contains("set scan.lease.table"), "{message}");

    let (k, message) = key_and_message(with(group(), &[("scan.shard-assigner", "uniform")]));
    assert_eq!(k, "scan.shard-assigner");
    assert!(
        message.contains("scan.shard-assigner cannot be used with scan.lease.table"),
        "{message}"
    );
    // Its default is fine: only an explicit assigner conflicts.
    assert!(table(group()).is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let options = with(
        group(),
        &[
            ("scan.shard-assigner", "default"),
            ("scan.lease.failover-millis", "-5"),
            ("scan.lease.checkpoint-millis", "x"),
        ],
    );
    let e = TableDef::from_options_with(
        "t",
        schema(),
        Vec::<String>::new(),
        options,
        &Definition::new().all_errors(true),
    )
    .unwrap_err();
    let OptionsError::Multiple(all) = e else {
        panic!("{e:?}")
    };
    let keys: Vec<_> = all.iter().filter_map(|e| e.key()).collect();
    for want in [
        "scan.shard-assigner",
        "scan.lease.failover-millis",
        "scan.lease.checkpoint-millis",
    ] {
        assert!(keys.contains(&want), "{keys:?}");
    }
}
