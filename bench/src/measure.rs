//! What a peer measures about itself, and the one JSON line it prints
//! ([`PeerReport`]): whole-process CPU time (every thread, `CLOCK_PROCESS_CPUTIME_ID`, the
//! same as getrusage's user + system) over the measured loop, wall time, peak RSS
//! (`VmHWM`) and the thread count (`Threads`) from `/proc/self/status`.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// This process's CPU time so far (all threads, user + system).
pub fn cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A field of `/proc/self/status` in its unit (kB for memory), 0 when absent.
pub fn status_field(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Peak resident set size of this process, KiB.
pub fn peak_rss_kib() -> u64 {
    status_field("VmHWM")
}

/// Resident set size of this process now, KiB.
pub fn rss_kib() -> u64 {
    status_field("VmRSS")
}

/// Threads of this process now.
pub fn threads() -> u64 {
    status_field("Threads")
}

/// A running measurement: CPU and wall time since [`Span::start`].
#[derive(Debug, Clone, Copy)]
pub struct Span {
    wall0: Instant,
    cpu0: Duration,
}

impl Span {
    /// Starts measuring now.
    pub fn start() -> Span {
        Span {
            wall0: Instant::now(),
            cpu0: cpu_now(),
        }
    }

    /// (wall seconds, CPU seconds) since the start.
    pub fn elapsed(&self) -> (f64, f64) {
        (
            self.wall0.elapsed().as_secs_f64(),
            (cpu_now() - self.cpu0).as_secs_f64(),
        )
    }
}

/// The line every peer prints on stdout when a path is done (one JSON object).
///
/// ```
/// use kinesis_bench::measure::PeerReport;
/// let r: PeerReport = serde_json::from_str(
///     r#"{"peer":"boto3","path":"put-raw","records":10,"bytes":1000,"wall_s":0.5,"cpu_s":0.25,
///         "rss_kib":1,"threads":1}"#).unwrap();
/// assert_eq!(r.records_per_cpu_s(), 40.0);
/// assert!(r.extra.is_empty());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeerReport {
    /// `kinesis-rs`, `floor`, `aws-sdk-kinesis` or `boto3`.
    pub peer: String,
    /// The path run (`put-raw`, `get-csv`, `limit-put`, ...).
    pub path: String,
    /// Records written or read in the measured loop.
    pub records: u64,
    /// Payload bytes of those records.
    pub bytes: u64,
    /// Wall seconds of the measured loop.
    pub wall_s: f64,
    /// CPU seconds of the whole process (all threads) over the measured loop.
    pub cpu_s: f64,
    /// Peak RSS of the process, KiB.
    pub rss_kib: u64,
    /// Threads of the process at the end of the loop (before closing).
    pub threads: u64,
    /// Path-specific figures (latency percentiles, sink metrics, ...).
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PeerReport {
    /// A report of `records`/`bytes` measured by `span`, with this process's RSS and threads.
    pub fn new(peer: &str, path: &str, records: u64, bytes: u64, span: &Span) -> PeerReport {
        let (wall_s, cpu_s) = span.elapsed();
        PeerReport {
            peer: peer.into(),
            path: path.into(),
            records,
            bytes,
            wall_s,
            cpu_s,
            rss_kib: peak_rss_kib(),
            threads: threads(),
            extra: Default::default(),
        }
    }

    /// Adds a path-specific figure.
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> PeerReport {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// Records per CPU-second of the whole process.
    pub fn records_per_cpu_s(&self) -> f64 {
        self.records as f64 / self.cpu_s
    }

    /// The report as one JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a report serialises")
    }
}

/// Median, min and max of some figures (`None` when there are none).
///
/// ```
/// use kinesis_bench::measure::Spread;
/// let s = Spread::of([3.0, 1.0, 2.0]).unwrap();
/// assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
/// // Even counts take the mean of the middle two.
/// assert_eq!(Spread::of([1.0, 2.0]).unwrap().median, 1.5);
/// assert!(Spread::of([]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }
}

/// The `q`-quantile (0..=1) of `values` by nearest rank (`None` when empty).
///
/// ```
/// let v: Vec<f64> = (1..=100).map(f64::from).collect();
/// assert_eq!(kinesis_bench::measure::quantile(&v, 0.5), Some(50.0));
/// assert_eq!(kinesis_bench::measure::quantile(&v, 0.99), Some(99.0));
/// ```
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}
