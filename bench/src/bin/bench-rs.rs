//! The kinesis-rs peer: `bench-rs PATH --endpoint URL --stream NAME ...` (see
//! `kinesis_bench::peer_args`); prints one JSON report line.

fn main() {
    let result = kinesis_bench::peer_args::PeerArgs::parse(std::env::args().skip(1))
        .and_then(|a| kinesis_bench::rs_peer::run(&a));
    match result {
        Ok(r) => println!("{}", r.to_line()),
        Err(e) => {
            eprintln!("bench-rs: {e}");
            std::process::exit(1)
        }
    }
}
