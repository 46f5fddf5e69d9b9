//! The fuzz harness's short run, part of the test command: every target for a fixed
//! number of inputs from a fixed seed (a few seconds in all), after replaying every input
//! kept in `regressions/<target>/` (they must pass) and checking the seed corpus exists.
//!
//! An input that fails here (or in a long run) is kept: copy it to
//! `fuzz/regressions/<target>/<what-it-found>.bin`, fix the bug, and this test replays it
//! from then on.

use kinesis_fuzz::{corpus, fuzz, run_one, targets, Budget};

/// Inputs per target, beyond its seed corpus.
const INPUTS: u64 = 2000;

/// The fixed seed of the short run.
const SEED: u64 = 0x5EED_F022;

fn short_run(name: &str) {
    let target = targets::by_name(name).unwrap_or_else(|| panic!("no target {name}"));
    for (path, input) in corpus::regressions(name) {
        if let Err(f) = run_one(target.as_ref(), &input) {
            panic!("regression {} fails again: {}", path.display(), f.message);
        }
    }
    let seeds: Vec<Vec<u8>> = corpus::seeds(name).into_iter().map(|(_, b)| b).collect();
    assert!(!seeds.is_empty(), "no seed corpus in fuzz/corpus/{name}/");
    let report = fuzz(
        target.as_ref(),
        &seeds,
        SEED ^ name.len() as u64,
        Budget {
            inputs: Some(INPUTS),
            time: None,
        },
        &mut |_| {},
    );
    if let Some(f) = report.findings.first() {
        panic!(
            "{name}: {} kind(s) of failing input; the first: {}\ninput ({} bytes): {:?}\n\
             keep it as fuzz/regressions/{name}/<what-it-found>.bin",
            report.findings.len(),
            f.message,
            f.input.len(),
            String::from_utf8_lossy(&f.input)
        );
    }
    assert_eq!(report.inputs, seeds.len() as u64 + INPUTS);
    // The generator and the seeds reach past the parser's first checks.
    assert!(
        report.accepted * 20 >= report.inputs,
        "{name}: only {} of {} inputs accepted",
        report.accepted,
        report.inputs
    );
}

macro_rules! short_runs {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                short_run($name);
            }
        )*

        #[test]
        fn every_target_has_a_short_run() {
            let mut names: Vec<&str> = targets::all().iter().map(|t| t.name()).collect();
            names.sort();
            let mut tested = vec![$($name),*];
            tested.sort();
            assert_eq!(names, tested);
        }
    };
}

short_runs! {
    ddl => "ddl",
    options => "options",
    csv => "csv",
    json => "json",
    avro => "avro",
    raw => "raw",
    kpl => "kpl",
    get_records => "get-records",
    put_records => "put-records",
    sts_xml => "sts-xml",
    container_json => "container-json",
    sso_json => "sso-json",
    profile_ini => "profile-ini",
}
