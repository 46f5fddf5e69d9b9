//! The fuzz loop: inputs from the seed corpus, the target's generator and mutations of
//! both, each run under `catch_unwind` with its peak heap measured; what fails is a
//! [`Finding`].

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::alloc_cap::{cap, measure};
use crate::mutate::mutate;
use crate::rng::Rng;
use crate::MAX_INPUT;

/// What a target made of one input, for the statistics (both are fine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The parser accepted the input (a row, records, credentials, a table...).
    Accepted,
    /// The parser refused it with an error, or the input did not reach it.
    Rejected,
}

/// One parser (or a pair compared) under fuzzing.
pub trait Target: Sync {
    /// The target's name: `--target NAME`, `corpus/NAME/`, `regressions/NAME/`.
    fn name(&self) -> &'static str;

    /// What the target exercises, in a line.
    fn about(&self) -> &'static str;

    /// A fresh input from the target's structure-aware generator.
    fn generate(&self, rng: &mut Rng) -> Vec<u8>;

    /// Tokens of the input's grammar, for the byte mutations.
    fn dictionary(&self) -> &'static [&'static [u8]] {
        &[]
    }

    /// A mutation of `input`; `other` is another input to splice from.
    fn mutate(&self, rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
        mutate(rng, input, other, self.dictionary(), MAX_INPUT)
    }

    /// Runs the parser on `input` and checks what it returns. Panics (an assertion) when
    /// the input shows a bug.
    fn run(&self, input: &[u8]) -> Verdict;
}

/// An input that failed: it panicked, broke an assertion or allocated past the cap.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The target's name.
    pub target: &'static str,
    /// The input.
    pub input: Vec<u8>,
    /// The panic message and place, or the memory figures.
    pub message: String,
}

impl Finding {
    /// What identifies the bug, for counting repeats: the place of the panic and its
    /// message without numbers.
    pub fn signature(&self) -> String {
        let first = self.message.lines().next().unwrap_or("");
        let mut s: String = first.chars().filter(|c| !c.is_ascii_digit()).collect();
        s.truncate(160);
        s
    }
}

thread_local! {
    /// Set while a target runs an input: its panics are recorded here, not printed.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that records the panics of inputs instead of printing
/// them; other panics go to the previous hook.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let place = info
                            .location()
                            .map(|l| format!("{}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        *slot = Some(format!("{} (at {place})", payload_text(info.payload())));
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                previous(info);
            }
        }));
    });
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

/// Runs one input: its verdict and peak heap, or the finding it makes.
pub fn run_one(target: &dyn Target, input: &[u8]) -> Result<(Verdict, usize), Finding> {
    install_hook();
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let (outcome, peak) = measure(|| panic::catch_unwind(AssertUnwindSafe(|| target.run(input))));
    let caught = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    let finding = |message: String| Finding {
        target: target.name(),
        input: input.to_vec(),
        message,
    };
    match outcome {
        Err(payload) => Err(finding(
            caught.unwrap_or_else(|| payload_text(payload.as_ref())),
        )),
        Ok(_) if peak > cap(input.len()) => Err(finding(format!(
            "memory: a {}-byte input allocated {peak} bytes at its peak (cap {})",
            input.len(),
            cap(input.len())
        ))),
        Ok(verdict) => Ok((verdict, peak)),
    }
}

/// How long to fuzz a target: a number of inputs, a time, or both (whichever ends first).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// At most this many inputs (after the seed corpus, which always runs whole).
    pub inputs: Option<u64>,
    /// At most this long.
    pub time: Option<Duration>,
}

/// What a run of one target did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The target's name.
    pub target: &'static str,
    /// Inputs run (seed corpus included).
    pub inputs: u64,
    /// Of which the parser accepted.
    pub accepted: u64,
    /// Wall time spent.
    pub elapsed: Duration,
    /// The longest input, in bytes.
    pub longest_input: usize,
    /// The highest peak heap of one input, in bytes.
    pub max_peak: usize,
    /// The highest peak heap per input byte (peak / (len + 1)).
    pub max_peak_per_byte: f64,
    /// The slowest input's time.
    pub slowest: Duration,
    /// Failing inputs, the first of each signature.
    pub findings: Vec<Finding>,
    /// How many failing inputs each signature had.
    pub finding_counts: HashMap<String, u64>,
}

/// How many generated or accepted inputs the pool keeps besides the corpus.
const POOL: usize = 256;

/// Fuzzes `target`: every `seeds` input first, then generated inputs and mutations of the
/// seeds and of earlier inputs, until `budget` is spent. `on_finding` sees the first
/// failing input of each signature.
pub fn fuzz(
    target: &dyn Target,
    seeds: &[Vec<u8>],
    seed: u64,
    budget: Budget,
    on_finding: &mut dyn FnMut(&Finding),
) -> Report {
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let deadline = budget.time.map(|t| started + t);
    let mut report = Report {
        target: target.name(),
        ..Report::default()
    };
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut next_slot = 0usize;
    let mut keep = |pool: &mut Vec<Vec<u8>>, input: Vec<u8>| {
        if pool.len() < POOL {
            pool.push(input);
        } else {
            pool[next_slot] = input;
            next_slot = (next_slot + 1) % POOL;
        }
    };
    let mut fresh = 0u64;
    loop {
        let input = if let Some(s) = seeds.get(report.inputs as usize) {
            s.clone()
        } else {
            if budget.inputs.is_some_and(|n| fresh >= n)
                || deadline.is_some_and(|d| Instant::now() >= d)
            {
                break;
            }
            fresh += 1;
            let sources = seeds.len() + pool.len();
            if sources == 0 || rng.chance(12) {
                let g = target.generate(&mut rng);
                keep(&mut pool, g.clone());
                g
            } else {
                let base = pick(&mut rng, seeds, &pool);
                let other = pick(&mut rng, seeds, &pool);
                target.mutate(&mut rng, base, other)
            }
        };
        let t0 = Instant::now();
        let result = run_one(target, &input);
        let took = t0.elapsed();
        report.inputs += 1;
        report.slowest = report.slowest.max(took);
        report.longest_input = report.longest_input.max(input.len());
        match result {
            Ok((verdict, peak)) => {
                report.max_peak = report.max_peak.max(peak);
                report.max_peak_per_byte = report
                    .max_peak_per_byte
                    .max(peak as f64 / (input.len() + 1) as f64);
                if verdict == Verdict::Accepted {
                    report.accepted += 1;
                    // Accepted mutants got past the parser's checks: worth mutating further.
                    if rng.chance(10) {
                        keep(&mut pool, input);
                    }
                }
            }
            Err(f) => {
                let count = report.finding_counts.entry(f.signature()).or_insert(0);
                *count += 1;
                if *count == 1 {
                    on_finding(&f);
                    report.findings.push(f);
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report
}

fn pick<'a>(rng: &mut Rng, seeds: &'a [Vec<u8>], pool: &'a [Vec<u8>]) -> &'a [u8] {
    let i = rng.below(seeds.len() + pool.len());
    if i < seeds.len() {
        &seeds[i]
    } else {
        &pool[i - seeds.len()]
    }
}

/// A smaller input that fails with the same signature: chunks are deleted while the
/// failure stays (at most `attempts` runs).
pub fn minimize(target: &dyn Target, finding: &Finding, attempts: usize) -> Vec<u8> {
    let signature = finding.signature();
    let mut best = finding.input.clone();
    let mut tries = 0;
    let mut chunk = best.len().div_ceil(2).max(1);
    while tries < attempts {
        let mut shrunk = false;
        let mut at = 0;
        while at < best.len() && tries < attempts {
            let mut candidate = best.clone();
            candidate.drain(at..(at + chunk).min(best.len()));
            tries += 1;
            match run_one(target, &candidate) {
                Err(f) if f.signature() == signature => {
                    best = candidate;
                    shrunk = true;
                }
                _ => at += chunk,
            }
        }
        if !shrunk {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panics on inputs starting with `!`, allocates 10 MiB on `M`, accepts `a...`.
    struct Toy;

    impl Target for Toy {
        fn name(&self) -> &'static str {
            "toy"
        }
        fn about(&self) -> &'static str {
            "a toy"
        }
        fn generate(&self, rng: &mut Rng) -> Vec<u8> {
            let n = rng.small(8);
            rng.bytes(n)
        }
        fn run(&self, input: &[u8]) -> Verdict {
            match input.first() {
                Some(b'!') if input.contains(&b'x') => panic!("bang at {}", input.len()),
                Some(b'M') => {
                    let big = vec![1u8; 10 << 20];
                    assert_eq!(big.len(), 10 << 20);
                    Verdict::Rejected
                }
                Some(b'a') => Verdict::Accepted,
                _ => Verdict::Rejected,
            }
        }
    }

    #[test]
    fn panics_and_memory_are_findings() {
        let f = run_one(&Toy, b"!..x").unwrap_err();
        assert!(f.message.starts_with("bang at 4 (at "), "{}", f.message);
        assert!(f.message.contains("driver.rs"), "{}", f.message);
        let f = run_one(&Toy, b"M").unwrap_err();
        assert!(
            f.message.starts_with("memory: a 1-byte input"),
            "{}",
            f.message
        );
        assert_eq!(run_one(&Toy, b"abc").unwrap().0, Verdict::Accepted);
    }

    #[test]
    fn fuzz_runs_the_seeds_then_the_budget_and_dedupes_findings() {
        let seeds = vec![b"abc".to_vec(), b"!x".to_vec(), b"!xx".to_vec()];
        let mut seen = Vec::new();
        let report = fuzz(
            &Toy,
            &seeds,
            1,
            Budget {
                inputs: Some(500),
                time: None,
            },
            &mut |f| seen.push(f.input.clone()),
        );
        assert_eq!(report.inputs, 503);
        assert!(report.accepted >= 1);
        // "bang at N" without its digits is one signature: reported once, counted twice.
        assert_eq!(seen.len(), report.findings.len());
        assert_eq!(seen[0], b"!x");
        let bang = report.findings[0].signature();
        assert!(bang.starts_with("bang at  (at "), "{bang}");
        assert!(report.finding_counts[&bang] >= 2);
        assert_eq!(seen.iter().filter(|i| i.starts_with(b"!")).count(), 1);
    }

    #[test]
    fn minimize_keeps_the_failure() {
        let f = run_one(&Toy, b"!abcdefghijklmnopqrstuvwx").unwrap_err();
        let small = minimize(&Toy, &f, 500);
        assert_eq!(small, b"!x");
    }
}
