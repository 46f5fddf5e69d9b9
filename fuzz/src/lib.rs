//! A stable-Rust fuzz harness for every parser of untrusted input (issue #13): the DDL
//! parser and option maps, the csv / json / avro / raw decoders on random schemas, KPL
//! de-aggregation, the GetRecords fast parser against its serde_json fallback, the
//! PutRecords response parser, STS XML, container and SSO JSON, and profile INI files.
//!
//! No coverage feedback (that needs a nightly toolchain): each [`Target`] has a
//! structure-aware generator (random schemas with matching values, random pages, random
//! aggregates...) and a dictionary of its grammar's tokens; the [`driver`] runs the seed
//! corpus, then generated inputs and stacked byte mutations of seeds and earlier inputs.
//! Every input runs under `catch_unwind` with its peak heap measured by a counting global
//! allocator ([`alloc_cap`]) and held to `128 × input + 1 MiB`.
//!
//! - `cargo test -p kinesis-fuzz`: every target for a fixed number of inputs (seeded), and
//!   every kept regression input replayed.
//! - `cargo run -p kinesis-fuzz --profile fuzz -- --seconds 1800`: the long run (release
//!   speed, overflow checks and debug assertions on), its time split between the targets;
//!   `--target NAME` narrows it, `--seed N` replays one. Failing inputs are minimised and
//!   written to `target/fuzz-findings/<target>/`.
//!
//! See RELIABILITY.md#fuzzing.
#![deny(unsafe_code)]

pub mod alloc_cap;
pub mod corpus;
pub mod driver;
pub mod mutate;
pub mod rng;
pub mod targets;

pub use driver::{fuzz, run_one, Budget, Finding, Report, Target, Verdict};
pub use rng::Rng;

/// The longest input a mutation makes, in bytes: long enough for deep nesting and long
/// runs, short enough to keep many inputs a second.
pub const MAX_INPUT: usize = 32 * 1024;

/// Whether this build has overflow checks and debug assertions on (the dev and test
/// profiles, and `--profile fuzz`), as the harness needs: an arithmetic overflow or a broken
/// `debug_assert!` in a parser must be a finding, not a silent wrap. `Err` names what is off.
///
/// The probe replaces the panic hook for a moment: call it before other threads run (the
/// long run's `main` does; the test is a binary of its own, `tests/build_checks.rs`).
///
/// ```
/// // Doc tests build with the dev profile: both are on.
/// assert_eq!(kinesis_fuzz::build_checks(), Ok(()));
/// ```
pub fn build_checks() -> Result<(), String> {
    let mut off = Vec::new();
    if !cfg!(debug_assertions) {
        off.push("debug assertions");
    }
    // Overflow checks have no stable `cfg`: overflow a u8 and see whether it panics (quietly).
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let wrapped = std::panic::catch_unwind(|| std::hint::black_box(u8::MAX) + 1).is_ok();
    std::panic::set_hook(previous);
    if wrapped {
        off.push("overflow checks");
    }
    if off.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "this build has no {}: build with the dev profile (cargo test) or --profile fuzz",
            off.join(" and no ")
        ))
    }
}
