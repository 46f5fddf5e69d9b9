//! The harness's builds check overflows and debug assertions (issue #13): an arithmetic
//! overflow or a broken `debug_assert!` in a parser is a finding. A test binary of its own,
//! because the probe replaces the panic hook for a moment.

#[test]
fn the_test_build_checks_overflows_and_debug_assertions() {
    assert_eq!(kinesis_fuzz::build_checks(), Ok(()));
}
