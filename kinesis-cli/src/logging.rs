//! The CLI's logger: env_logger on stderr (UTC timestamps, `-v`/`-q`, `RUST_LOG`), plus two
//! things a person at a terminal needs from the libraries' log records:
//!
//! - waits are not silent (issue #14, point 6): a call that failed and is retried (the
//!   wire's `attempt N/M failed, retrying in D: ERROR`, logged at debug) gives one line on
//!   a terminal per state change, e.g. `waiting: GetRecords shardId-000000000001:
//!   throttled (ProvisionedThroughputExceededException), retry 3 in 1.2 s`;
//! - the source's warning per record skipped under `*.ignore-parse-errors` is demoted to
//!   debug: `read` summarises skipped records per shard instead (one line per interval).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// `-v` counts up, `-q` down; read by messages that say more under `-v`.
static VERBOSITY: AtomicI32 = AtomicI32::new(0);

/// Whether `-v` (or more) was given.
pub fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) > 0
}

/// The wire's retry log target and the source's per-record skip warning.
const RETRY_TARGET: &str = "kinesis_wire::retry";
const SKIP_TARGET: &str = "kinesis_source::decode";
const SKIP_PREFIX: &str = "Skipping non-deserializable record";

struct CliLogger {
    inner: env_logger::Logger,
    /// Waiting notices, when stderr is a terminal and `-q` was not given.
    waits: Option<WaitNotices>,
}

impl log::Log for CliLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        self.inner.enabled(m) || (self.waits.is_some() && m.target() == RETRY_TARGET)
    }

    fn log(&self, record: &log::Record<'_>) {
        if let (Some(waits), RETRY_TARGET) = (&self.waits, record.target()) {
            waits.observe(&record.args().to_string());
        }
        if record.target() == SKIP_TARGET && record.level() == log::Level::Warn {
            let text = record.args().to_string();
            if text.starts_with(SKIP_PREFIX) {
                let metadata = log::Metadata::builder()
                    .level(log::Level::Debug)
                    .target(record.target())
                    .build();
                if self.inner.enabled(&metadata) {
                    self.inner.log(
                        &log::Record::builder()
                            .metadata(metadata)
                            .args(format_args!("{text}"))
                            .build(),
                    );
                }
                return;
            }
        }
        if self.inner.enabled(record.metadata()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs the logger: `-v`/`-q` set the default level and `RUST_LOG` (module filters)
/// wins over them.
pub fn init(verbosity: i32) {
    VERBOSITY.store(verbosity, Ordering::Relaxed);
    let level = match verbosity {
        i32::MIN..=-2 => log::LevelFilter::Off,
        -1 => log::LevelFilter::Error,
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    builder.format(|buf, rec| {
        writeln!(
            buf,
            "{} {:<5} {}: {}",
            chrono::Utc::now().format("%FT%T%.3fZ"),
            rec.level(),
            rec.target(),
            rec.args()
        )
    });
    builder.target(env_logger::Target::Stderr);
    let inner = builder.build();
    let waits = (std::io::stderr().is_terminal() && verbosity >= 0).then(WaitNotices::default);
    let mut max = inner.filter();
    if waits.is_some() {
        max = max.max(log::LevelFilter::Debug);
    }
    // Behind kinesis_wire's filter: the HTTP stack logs raw request and response bytes
    // (signatures, session tokens, STS secret keys), and no filter string may let them
    // through (a `ureq_proto` cap loses to `RUST_LOG=ureq_proto::util=trace`, the longer
    // prefix).
    let _ = kinesis_wire::log_filter::install(CliLogger { inner, waits }, max);
}

/// One retried call, as the wire's retry loop logs it.
#[derive(Debug, PartialEq, Eq)]
struct Retry {
    /// The 1-based attempt that failed.
    attempt: u32,
    /// The wait before the next attempt, as logged (`532ms`, `1.328s`).
    delay: String,
    /// The call (`ListShards`, `GetRecords`).
    action: String,
    /// What went wrong, shortly (`throttled (...)`, `connection refused`, an error code).
    state: String,
}

/// Reads `attempt 2/11 failed, retrying in 1.328s: ListShards failed: connection refused:
/// io: ...` (kinesis-wire's `RetryPolicy`).
fn parse_retry(text: &str) -> Option<Retry> {
    let rest = text.strip_prefix("attempt ")?;
    let (attempt, rest) = rest.split_once('/')?;
    let (_, rest) = rest.split_once(" failed, retrying in ")?;
    let (delay, error) = rest.split_once(": ")?;
    // `ACTION failed: REASON`, or `REASON (ACTION)` for a call that got no answer.
    let (action, reason) = match error.split_once(" failed: ") {
        Some((a, r)) => (a, r),
        None => match error.strip_suffix(')').and_then(|e| e.rsplit_once(" (")) {
            Some((r, a)) if !a.contains(' ') => (a, r),
            _ => ("a call", error),
        },
    };
    let reason = reason
        .split(" (HTTP")
        .next()
        .unwrap_or(reason)
        .split(": ")
        .next()
        .unwrap_or(reason)
        .trim();
    let throttled = ["Throttl", "ProvisionedThroughputExceeded", "LimitExceeded"]
        .iter()
        .any(|w| reason.contains(w));
    Some(Retry {
        attempt: attempt.parse().ok()?,
        delay: delay.to_string(),
        action: action.to_string(),
        state: if throttled {
            format!("throttled ({reason})")
        } else {
            reason.to_string()
        },
    })
}

/// A logged delay (`532ms`, `1.328s`, Rust's Debug form of a Duration) for people.
fn human_delay(delay: &str) -> String {
    if delay.ends_with("ns") || delay.ends_with("µs") {
        return "0 ms".to_string();
    }
    if let Some(ms) = delay.strip_suffix("ms") {
        if let Ok(ms) = ms.parse::<f64>() {
            return format!("{ms:.0} ms");
        }
    }
    if let Some(s) = delay.strip_suffix('s') {
        if let Ok(s) = s.parse::<f64>() {
            return format!("{s:.1} s");
        }
    }
    delay.to_string()
}

/// Which shard a call is for: the reader threads are named `kinesis-shard-<shardId>`.
fn thread_subject() -> String {
    let thread = std::thread::current();
    match thread.name().and_then(|n| n.strip_prefix("kinesis-shard-")) {
        Some(shard) => format!(" {shard}"),
        None => String::new(),
    }
}

/// The last state announced per call and shard; a line only when it changes.
#[derive(Default)]
struct WaitNotices {
    states: Mutex<HashMap<String, String>>,
}

impl WaitNotices {
    fn observe(&self, text: &str) {
        if let Some(line) = self.notice(text, &thread_subject()) {
            // Wipe a progress line first; the caller redraws it.
            eprintln!("\r\x1b[K{line}");
        }
    }

    /// The line to show for a retry log `text` of a call for `subject`, or `None` when it
    /// says what the last one said.
    fn notice(&self, text: &str, subject: &str) -> Option<String> {
        let retry = parse_retry(text)?;
        let key = format!("{}{subject}", retry.action);
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        if states.get(&key) == Some(&retry.state) {
            return None;
        }
        states.insert(key.clone(), retry.state.clone());
        Some(format!(
            "waiting: {key}: {}, retry {} in {}",
            retry.state,
            retry.attempt,
            human_delay(&retry.delay)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_read_from_the_wires_log_line() {
        assert_eq!(
            parse_retry("attempt 2/11 failed, retrying in 1.328s: ListShards failed: connection refused: io: Connection refused (os error 111)"),
            Some(Retry {
                attempt: 2,
                delay: "1.328s".into(),
                action: "ListShards".into(),
                state: "connection refused".into(),
            })
        );
        let r = parse_retry("attempt 3/4 failed, retrying in 532ms: GetRecords failed: ProvisionedThroughputExceededException (HTTP 400, request id x): Rate exceeded").unwrap();
        assert_eq!(
            r.state,
            "throttled (ProvisionedThroughputExceededException)"
        );
        assert_eq!(human_delay(&r.delay), "532 ms");
        assert_eq!(human_delay("1.328s"), "1.3 s");
        assert_eq!(human_delay("740ns"), "0 ms");
        assert_eq!(human_delay("12.5µs"), "0 ms");
        assert_eq!(parse_retry("something else"), None);
        let r = parse_retry("attempt 1/4 failed, retrying in 10ms: no answer from http://127.0.0.1:9 within 30 s (GetShardIterator)").unwrap();
        assert_eq!(r.action, "GetShardIterator");
        assert_eq!(r.state, "no answer from http://127.0.0.1:9 within 30 s");
    }

    /// The line the wire's RetryPolicy really logs is the one parsed: a change to its
    /// wording fails here rather than silencing the notices.
    #[test]
    fn the_wires_own_retry_line_is_understood() {
        struct Capture(Mutex<Vec<String>>);
        impl log::Log for Capture {
            fn enabled(&self, m: &log::Metadata<'_>) -> bool {
                m.target() == RETRY_TARGET
            }
            fn log(&self, r: &log::Record<'_>) {
                if r.target() == RETRY_TARGET {
                    self.0.lock().unwrap().push(r.args().to_string());
                }
            }
            fn flush(&self) {}
        }
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        // Only this test installs a logger in this binary's tests.
        let _ = log::set_logger(capture);
        log::set_max_level(log::LevelFilter::Debug);
        let policy = kinesis_wire::RetryPolicy::new(
            3,
            kinesis_wire::Backoff::new(
                std::time::Duration::from_millis(1),
                std::time::Duration::from_millis(1),
                1.0,
            ),
        );
        let _ = policy.run(&kinesis_wire::Shutdown::new(), |_| -> Result<(), _> {
            Err(kinesis_wire::KinesisError::Service {
                action: "GetRecords",
                code: "ProvisionedThroughputExceededException".into(),
                message: "Rate exceeded".into(),
                status: 400,
                request_id: None,
            })
        });
        let lines = capture.0.lock().unwrap().clone();
        assert!(!lines.is_empty(), "the retry loop logged nothing");
        let waits = WaitNotices::default();
        let first = waits
            .notice(&lines[0], " shardId-000000000001")
            .expect("a notice");
        // The delay is jittered: 0 or 1 ms.
        assert!(
            first.starts_with(
                "waiting: GetRecords shardId-000000000001: throttled (ProvisionedThroughputExceededException), retry 1 in "
            ) && first.ends_with(" ms"),
            "{first}"
        );
        // The same state again: no new line; another shard: its own line.
        assert_eq!(waits.notice(&lines[1], " shardId-000000000001"), None);
        assert!(waits.notice(&lines[1], " shardId-000000000002").is_some());
    }
}
