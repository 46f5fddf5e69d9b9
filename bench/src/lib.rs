//! Benchmarks of kinesis-rs against its peers: the pieces `scripts/bench` runs.
//!
//! - [`endpoint`]: a loopback Kinesis endpoint (JSON 1.1 subset, in-memory shards) that can
//!   enforce Kinesis's per-shard limits, and reports its own CPU time and counters.
//! - [`payload`]: the records every peer sends and reads (the same bytes in every language).
//! - [`measure`]: whole-process CPU, RSS and thread counts, and the [`measure::PeerReport`]
//!   every peer prints.
//! - [`rs_peer`]: kinesis-rs's bench paths, through its public API only ([`rs_agg`]: the
//!   sink with and without aggregation).
//! - [`floor`]: the thinnest hand-written loop (serde_json + aws-sigv4 + ureq).
//! - [`driver`]: runs the peers interleaved and pinned, and writes BENCHMARKS.md.
//!
//! The aws-sdk-kinesis peer is the package `sdk-peer` and the boto3 peer `boto3_peer.py`,
//! both beside this crate.
#![forbid(unsafe_code)]

pub mod driver;
pub mod endpoint;
pub mod floor;
pub mod measure;
pub mod payload;
pub mod peer_args;
pub mod rs_agg;
pub mod rs_peer;
