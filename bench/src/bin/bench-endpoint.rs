//! The benchmarks' loopback Kinesis endpoint in its own process (see
//! `kinesis_bench::endpoint`): prints its URL on stdout, serves until stdin closes, then
//! prints its counters and CPU time on stderr.
//!
//! usage: bench-endpoint [--port N] [--write-records-per-s X] [--write-bytes-per-s X]
//!                       [--read-calls-per-s X] [--read-bytes-per-s X]
//! (the limits that streams created with `Limited` enforce; Kinesis's by default).

use std::io::{Read, Write};

use kinesis_bench::endpoint::limits::ShardLimits;
use kinesis_bench::endpoint::stats::Stats;
use kinesis_bench::endpoint::Endpoint;

fn main() {
    let mut port = 0u16;
    let mut limits = ShardLimits::KINESIS;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let num = || -> f64 {
            value.parse().unwrap_or_else(|_| {
                eprintln!("bench-endpoint: {flag} needs a number, not '{value}'");
                std::process::exit(2)
            })
        };
        match flag.as_str() {
            "--port" => port = num() as u16,
            "--write-records-per-s" => limits.write_records = num(),
            "--write-bytes-per-s" => limits.write_bytes = num(),
            "--read-calls-per-s" => limits.read_calls = num(),
            "--read-bytes-per-s" => limits.read_bytes = num(),
            _ => {
                eprintln!("bench-endpoint: unknown argument '{flag}'");
                std::process::exit(2)
            }
        }
    }
    let ep = Endpoint::bind(port, limits).unwrap_or_else(|e| {
        eprintln!("bench-endpoint: cannot bind 127.0.0.1:{port}: {e}");
        std::process::exit(1)
    });
    println!("{}", ep.url);
    let _ = std::io::stdout().flush();
    // Serve until whoever started us closes our stdin (or dies).
    let mut buf = [0u8; 64];
    while std::io::stdin()
        .read(&mut buf)
        .map(|n| n > 0)
        .unwrap_or(false)
    {}
    let stats = Stats::collect(&ep.api, false);
    eprintln!(
        "bench-endpoint: {:.2} CPU-s over {:.1} s; requests {:?}",
        stats.cpu_s, stats.uptime_s, stats.requests
    );
}
