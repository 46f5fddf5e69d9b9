//! Deprecated and ignored options are reported through `log::warn!` (reference §8), and the
//! inert options of decisions D9/D17 at debug level. One test in its own binary: the
//! logger is process-wide.

use std::sync::Mutex;

use kinesis_options::TableDef;

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS
            .lock()
            .unwrap()
            .push((record.level(), record.args().to_string()));
    }
    fn flush(&self) {}
}

#[test]
fn deprecated_options_warn_through_the_log_crate() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let t = TableDef::from_options(
        "t",
        vec![],
        [
            ("stream", "s"),
            ("format", "csv"),
            ("aws.region", "us-east-1"),
            ("sink.producer.collection-max-size", "100"),
            ("sink.producer.verify-certificate", "maybe"),
            ("sink.producer.rate-limit", "50"),
            ("sink.producer.kinesis-endpoint", "localhost"),
            ("scan.watermark.sync.interval", "1000"),
            ("sink.http-client.protocol.version", "HTTP2"),
        ],
    )
    .unwrap();
    let records = RECORDS.lock().unwrap().clone();
    let warnings: Vec<&str> = records
        .iter()
        .filter(|(level, _)| *level == log::Level::Warn)
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(
        warnings,
        [
            "Option 'sink.producer.collection-max-size' is deprecated; it is read as 'sink.batch.max-size'",
            "Option 'sink.producer.kinesis-endpoint' is deprecated; it is read as 'aws.endpoint' = 'https://localhost'",
            "Option sink.producer.verify-certificate is ignored due to invalid value",
            "Key sink.producer.rate-limit is unsupported by Kinesis Datastream Sink",
        ]
    );
    // The same warnings are kept on the table, and the mapping is visible in the options.
    assert_eq!(t.warnings(), warnings.as_slice());
    assert_eq!(t.resolved_options()["sink.batch.max-size"], "100");
    assert_eq!(t.resolved_options()["aws.endpoint"], "https://localhost");
    let debug: Vec<&str> = records
        .iter()
        .filter(|(level, _)| *level == log::Level::Debug)
        .map(|(_, m)| m.as_str())
        .collect();
    assert!(
        debug
            .iter()
            .any(|m| m.contains("scan.watermark.sync.interval") && m.contains("D9")),
        "{debug:?}"
    );
    assert!(debug.iter().any(|m| m.contains("HTTP2")), "{debug:?}");
}
