//! The driver behind `scripts/bench`: starts the endpoint pinned to one core, runs every
//! peer's paths pinned to another, interleaved (each run goes through every path, peers in
//! a rotating order), collects the peers' [`PeerReport`]s and the endpoint's counters, and
//! writes BENCHMARKS.md ([`markdown`]).

pub mod markdown;
pub mod plan;
pub mod scale_out;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::endpoint::Control;
use crate::measure::PeerReport;

pub use plan::{Case, Peer, Section};

/// What to run and where the programs are.
#[derive(Debug, Clone)]
pub struct Config {
    pub endpoint_bin: PathBuf,
    pub rs_bin: PathBuf,
    pub floor_bin: PathBuf,
    /// The aws-sdk-kinesis peer (skipped when absent).
    pub sdk_bin: Option<PathBuf>,
    /// The boto3 peer: a Python with boto3, and `boto3_peer.py` (skipped when absent).
    pub boto3: Option<(PathBuf, PathBuf)>,
    pub runs: usize,
    /// Records of the throughput paths (put and get).
    pub records: u64,
    /// Rows of the service-limit sink runs on 1 shard (8 shards: 4x).
    pub limit_rows: u64,
    /// Backlog of the catch-up runs.
    pub catchup_records: u64,
    pub idle_shards: Vec<usize>,
    pub idle_seconds: f64,
    pub latency_samples: usize,
    /// Rows per shard of the aggregation section's aggregated runs at the limit (plain runs:
    /// a tenth).
    pub agg_rows: u64,
    /// The sink's tuned settings in the service-limit runs.
    pub tuned: Vec<(String, String)>,
    /// `taskset -c` cores of the peers and of the endpoint (`None`: not pinned).
    pub client_cpu: Option<String>,
    pub endpoint_cpu: Option<String>,
    /// Only these sections (all when empty).
    pub sections: Vec<Section>,
    pub out: PathBuf,
    /// Every peer report as JSON lines (for re-analysis).
    pub results: Option<PathBuf>,
    /// Lines for the report's "How it was run" (commands, commit, toolchain, lock).
    pub notes: Vec<String>,
    /// Longest a peer process may run.
    pub timeout: Duration,
    /// The scale-out section's `kinesis` binary and kinesis-mock (skipped when absent).
    pub scale_out: Option<scale_out::ScaleOutConfig>,
}

/// One finished case.
#[derive(Debug, Clone)]
pub struct Sample {
    pub run: usize,
    pub case: Case,
    pub report: PeerReport,
    /// Endpoint CPU seconds per wall second while the peer ran.
    pub endpoint_cpu_share: f64,
}

/// The endpoint process.
struct EndpointProcess {
    child: Child,
    url: String,
}

impl Drop for EndpointProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // it exits when stdin closes
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pinned(cpu: &Option<String>, program: &PathBuf) -> Command {
    match cpu {
        Some(c) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", c]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

fn start_endpoint(cfg: &Config) -> Result<EndpointProcess, String> {
    let mut child = pinned(&cfg.endpoint_cpu, &cfg.endpoint_bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", cfg.endpoint_bin.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| format!("reading the endpoint's URL: {e}"))?;
    let url = line.trim().to_string();
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!("the endpoint printed '{url}', not its URL"));
    }
    Ok(EndpointProcess { child, url })
}

/// Machine-wide busy and total CPU time so far (all cores, seconds), from /proc/stat.
pub fn machine_cpu() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return (0.0, 0.0);
    };
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 5 {
        return (0.0, 0.0);
    }
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = v.iter().take(8).sum();
    let idle = v[3] + v[4];
    let hz = 100.0;
    ((total - idle) / hz, total / hz)
}

fn children_cpu() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    match getrusage(UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => t(u.user_time()) + t(u.system_time()),
        Err(_) => 0.0,
    }
}

/// How busy the machine was with other work while the driver ran.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quietness {
    pub wall_s: f64,
    /// Busy CPU seconds of the whole machine.
    pub machine_busy_s: f64,
    /// CPU seconds of the driver, the endpoint and the peers.
    pub ours_s: f64,
    pub load_before: f64,
    pub load_after: f64,
}

impl Quietness {
    /// Other processes' CPU, as a share of one core on average.
    pub fn others_cores(&self) -> f64 {
        ((self.machine_busy_s - self.ours_s) / self.wall_s).max(0.0)
    }
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Runs one peer process for `case`; its report and the endpoint's CPU share meanwhile.
fn run_case(
    cfg: &Config,
    control: &Control,
    url: &str,
    case: &Case,
    stream: &str,
) -> Result<(PeerReport, f64), String> {
    let (program, pre): (PathBuf, Vec<String>) = match case.peer {
        Peer::KinesisRs => (cfg.rs_bin.clone(), vec![]),
        Peer::Floor => (cfg.floor_bin.clone(), vec![]),
        Peer::Sdk => (cfg.sdk_bin.clone().ok_or("no sdk peer")?, vec![]),
        Peer::Boto3 => {
            let (py, script) = cfg.boto3.clone().ok_or("no boto3 peer")?;
            (py, vec![script.display().to_string()])
        }
    };
    let mut args = pre;
    args.push(case.path.to_string());
    args.extend([
        "--endpoint".into(),
        url.to_string(),
        "--stream".into(),
        stream.into(),
    ]);
    args.extend(case.args.iter().cloned());
    let before = control.stats(false)?;
    let mut child = pinned(&cfg.client_cpu, &program)
        .args(&args)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", program.display()))?;
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut s);
        s
    });
    let deadline = Instant::now() + cfg.timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{} {} did not finish within {:?}",
                case.peer.name(),
                case.path,
                cfg.timeout
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = reader.join().unwrap_or_default();
    let after = control.stats(false)?;
    if !status.success() {
        return Err(format!(
            "{} {} {} failed ({status}); its output: {stdout}",
            case.peer.name(),
            case.path,
            args.join(" ")
        ));
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| {
            format!(
                "{} {} printed no report: {stdout}",
                case.peer.name(),
                case.path
            )
        })?;
    let report: PeerReport = serde_json::from_str(line).map_err(|e| {
        format!(
            "{} {}: bad report ({e}): {line}",
            case.peer.name(),
            case.path
        )
    })?;
    let share = (after.cpu_s - before.cpu_s) / (after.uptime_s - before.uptime_s).max(1e-9);
    Ok((report, share))
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub samples: Vec<Sample>,
    /// Cases whose peer failed (the run goes on without them).
    pub failures: Vec<String>,
    pub scale_out: Vec<scale_out::ScaleOutRun>,
    pub quiet: Quietness,
}

/// Runs the plan: every sample, the failed cases, and how quiet the machine was. Errors
/// only when the endpoint cannot be started or controlled.
pub fn run(cfg: &Config) -> Result<Outcome, String> {
    let t0 = Instant::now();
    let (busy0, _) = machine_cpu();
    let (children0, self0) = (children_cpu(), crate::measure::cpu_now().as_secs_f64());
    let load_before = loadavg();
    let cases = plan::cases(cfg);
    let (mut samples, mut failures) = (Vec::new(), Vec::new());
    let mut results = match &cfg.results {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    {
        let endpoint = start_endpoint(cfg)?;
        let control = Control::new(&endpoint.url);
        let shared = plan::SHARED_GET_STREAM;
        if cases.iter().any(|(_, c)| c.setup.shared) {
            control.create_stream(
                shared,
                1,
                false,
                true,
                Some(crate::endpoint::control::Prefill {
                    records: cfg.records,
                    size: 100,
                }),
            )?;
        }
        let total = cases.len();
        for (i, (run, case)) in cases.into_iter().enumerate() {
            let stream = if case.setup.shared {
                shared.to_string()
            } else {
                let name = format!("{}-{run}-{i}", case.path);
                control.create_stream(
                    &name,
                    case.setup.shards,
                    case.setup.limited,
                    case.setup.retain,
                    case.setup.prefill,
                )?;
                name
            };
            eprint!(
                "bench: [{}/{total}] run {} {} {} {} ... ",
                i + 1,
                run + 1,
                case.path,
                case.label,
                case.peer.name()
            );
            let (report, share) = match run_case(cfg, &control, &endpoint.url, &case, &stream) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("FAILED: {e}");
                    failures.push(format!(
                        "run {}, {} {}: {e}",
                        run + 1,
                        case.path,
                        case.label
                    ));
                    if !case.setup.shared {
                        control.delete_stream(&stream)?;
                    }
                    continue;
                }
            };
            eprintln!(
                "{} records, {:.3} CPU-s, {:.2} s{}",
                report.records,
                report.cpu_s,
                report.wall_s,
                plan::headline(&report)
            );
            if let Some(f) = results.as_mut() {
                let _ = writeln!(f, "{}", report.to_line());
            }
            if !case.setup.shared {
                control.delete_stream(&stream)?;
            }
            samples.push(Sample {
                run,
                case,
                report,
                endpoint_cpu_share: share,
            });
        }
    }
    let mut scale_out_runs = Vec::new();
    let want_scale_out = cfg.sections.is_empty() || cfg.sections.contains(&Section::ScaleOut);
    if let (true, Some(so)) = (want_scale_out, &cfg.scale_out) {
        for run in 0..cfg.runs {
            eprint!("bench: scale-out run {} ... ", run + 1);
            let stream = format!("scale-out-{}-{run}", std::process::id());
            match scale_out::run_once(so, &stream) {
                Ok(r) => {
                    eprintln!(
                        "{} records read by {} processes in {:.2} s, {}",
                        r.readers.iter().map(|x| x.records).sum::<u64>(),
                        r.readers.len(),
                        r.read_wall_s,
                        if r.ok() {
                            "checks passed"
                        } else {
                            "CHECKS FAILED"
                        }
                    );
                    if !r.ok() {
                        failures.push(format!(
                            "scale-out run {}: {} duplicates, {} missing, shards {:?}",
                            run + 1,
                            r.duplicates,
                            r.missing,
                            r.readers
                                .iter()
                                .map(|x| (&x.shards_read, &x.shards_expected))
                                .collect::<Vec<_>>()
                        ));
                    }
                    scale_out_runs.push(r);
                }
                Err(e) => {
                    eprintln!("FAILED: {e}");
                    failures.push(format!("scale-out run {}: {e}", run + 1));
                }
            }
        }
    } else if want_scale_out && !cfg.sections.is_empty() {
        failures.push("scale-out: no --kinesis-cli and --mock-endpoint given".into());
    }
    let (busy1, _) = machine_cpu();
    let ours = children_cpu() - children0 + crate::measure::cpu_now().as_secs_f64() - self0;
    let q = Quietness {
        wall_s: t0.elapsed().as_secs_f64(),
        machine_busy_s: busy1 - busy0,
        ours_s: ours,
        load_before,
        load_after: loadavg(),
    };
    Ok(Outcome {
        samples,
        failures,
        scale_out: scale_out_runs,
        quiet: q,
    })
}
