//! The long fuzz run: `cargo run -p kinesis-fuzz --profile fuzz -- --seconds 1800`.
//!
//! ```text
//! kinesis-fuzz [--seconds N] [--inputs N] [--target NAME]... [--seed N] [--findings DIR] [--list]
//! ```
//!
//! `--seconds` is the whole run's time, split evenly between the targets (one at a time,
//! in one thread); `--inputs` caps each target's inputs instead (or as well). Each
//! target's seed is derived from `--seed` (default: the clock, printed) and its name, so
//! `--seed N --target NAME` replays a target's run. The first failing input of each kind is
//! minimised and written to `DIR/<target>/<signature hash>.bin` with a `.txt` saying what it
//! found (default DIR: `target/fuzz-findings` in the workspace). Exit status 1 if anything
//! was found.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kinesis_fuzz::driver::minimize;
use kinesis_fuzz::{build_checks, corpus, fuzz, targets, Budget, Finding, Report};

struct Args {
    seconds: Option<f64>,
    inputs: Option<u64>,
    targets: Vec<String>,
    seed: Option<u64>,
    findings: PathBuf,
    list: bool,
}

const USAGE: &str = "usage: kinesis-fuzz [--seconds N] [--inputs N] [--target NAME]... \
                     [--seed N] [--findings DIR] [--list]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: None,
        inputs: None,
        targets: Vec::new(),
        seed: None,
        findings: corpus::fuzz_dir().join("../target/fuzz-findings"),
        list: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--seconds" => {
                let v = value("--seconds")?;
                let s: f64 = v
                    .parse()
                    .map_err(|_| format!("--seconds: not a number: {v}"))?;
                if !(s > 0.0 && s.is_finite()) {
                    return Err(format!("--seconds must be positive, not {v}"));
                }
                args.seconds = Some(s);
            }
            "--inputs" => {
                let v = value("--inputs")?;
                args.inputs = Some(
                    v.parse()
                        .map_err(|_| format!("--inputs: not a count: {v}"))?,
                );
            }
            "--target" => args.targets.push(value("--target")?),
            "--seed" => {
                let v = value("--seed")?;
                args.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: not a number: {v}"))?,
                );
            }
            "--findings" => args.findings = PathBuf::from(value("--findings")?),
            "--list" => args.list = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.seconds.is_none() && args.inputs.is_none() && !args.list {
        args.seconds = Some(60.0);
    }
    Ok(args)
}

/// A target's seed: the run's seed mixed with its name (FNV-1a).
fn target_seed(seed: u64, name: &str) -> u64 {
    name.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn save(dir: &std::path::Path, f: &Finding, minimal: &[u8]) -> std::io::Result<PathBuf> {
    let dir = dir.join(f.target);
    std::fs::create_dir_all(&dir)?;
    let name = format!("{:016x}", target_seed(0, &f.signature()));
    let bin = dir.join(format!("{name}.bin"));
    std::fs::write(&bin, minimal)?;
    std::fs::write(
        dir.join(format!("{name}.txt")),
        format!(
            "{}\n\noriginal input ({} bytes): {:?}\n",
            f.message,
            f.input.len(),
            String::from_utf8_lossy(&f.input)
        ),
    )?;
    Ok(bin)
}

fn line(r: &Report) -> String {
    let secs = r.elapsed.as_secs_f64();
    format!(
        "| {} | {} | {:.1} % | {:.0} | {:.0} s | {} | {:.1} KiB | {:.0} | {:.1} ms | {} |",
        r.target,
        r.inputs,
        100.0 * r.accepted as f64 / r.inputs.max(1) as f64,
        r.inputs as f64 / secs.max(1e-9),
        secs,
        r.longest_input,
        r.max_peak as f64 / 1024.0,
        r.max_peak_per_byte,
        r.slowest.as_secs_f64() * 1000.0,
        r.finding_counts.values().sum::<u64>(),
    )
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = build_checks() {
        eprintln!("kinesis-fuzz: {e}");
        return ExitCode::from(2);
    }
    let all = targets::all();
    if args.list {
        for t in &all {
            println!("{:16} {}", t.name(), t.about());
        }
        return ExitCode::SUCCESS;
    }
    let chosen: Vec<_> = if args.targets.is_empty() {
        all
    } else {
        let mut out = Vec::new();
        for name in &args.targets {
            match targets::by_name(name) {
                Some(t) => out.push(t),
                None => {
                    eprintln!("no target {name} (--list shows them)");
                    return ExitCode::from(2);
                }
            }
        }
        out
    };
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let per_target = args
        .seconds
        .map(|s| Duration::from_secs_f64(s / chosen.len() as f64));
    eprintln!(
        "kinesis-fuzz: seed {seed}, {} target(s), {} each{}",
        chosen.len(),
        per_target.map_or("no time limit".into(), |d| format!(
            "{:.0} s",
            d.as_secs_f64()
        )),
        args.inputs
            .map_or(String::new(), |n| format!(", at most {n} inputs each"))
    );
    let mut reports = Vec::new();
    let mut found = 0u64;
    for t in &chosen {
        let seeds: Vec<Vec<u8>> = corpus::seeds(t.name())
            .into_iter()
            .chain(corpus::regressions(t.name()))
            .map(|(_, b)| b)
            .collect();
        let budget = Budget {
            inputs: args.inputs,
            time: per_target,
        };
        let report = fuzz(
            t.as_ref(),
            &seeds,
            target_seed(seed, t.name()),
            budget,
            &mut |f| {
                let minimal = minimize(t.as_ref(), f, 4000);
                match save(&args.findings, f, &minimal) {
                    Ok(path) => eprintln!(
                        "FOUND in {}: {}\n  minimised to {} bytes: {}",
                        f.target,
                        f.message.lines().next().unwrap_or(""),
                        minimal.len(),
                        path.display()
                    ),
                    Err(e) => eprintln!("FOUND in {}: {} (not saved: {e})", f.target, f.message),
                }
            },
        );
        found += report.finding_counts.values().sum::<u64>();
        eprintln!("{}", line(&report));
        reports.push(report);
    }
    println!(
        "\n| target | inputs | accepted | inputs/s | time | longest input (bytes) | max peak heap | max peak bytes per input byte | slowest input | failing inputs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &reports {
        println!("{}", line(r));
    }
    let total: u64 = reports.iter().map(|r| r.inputs).sum();
    let secs: f64 = reports.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    println!("\nseed {seed}: {total} inputs in {secs:.0} s, {found} failing");
    if found > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
