//! `kinesis`: kcat for Amazon Kinesis Data Streams, configured with Flink's connector
//! options. See `kinesis --help` and the README's CLI reference.
//!
//! Exit codes: 0 success, 2 bad usage or an invalid table/options, 1 a runtime failure.
#![forbid(unsafe_code)]

mod admin;
mod args;
mod error;
mod files;
mod input;
mod output;
mod put;
mod read;
mod signals;
mod table;
mod validate;

use std::io::Write;

use args::{Cli, Command};
use error::CliError;

fn main() {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let cli = match args::parse(std::env::args().skip(1).collect(), now_ms) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("kinesis: error: {e}");
            std::process::exit(e.exit_code());
        }
    };
    init_logging(cli.global.verbosity);
    if let Err(e) = run(cli) {
        exit_with(Err(e));
    }
}

/// Ends the process the CLI contract's way: 0, or the error on stderr with its exit code.
pub fn exit_with(result: Result<(), CliError>) -> ! {
    match result {
        Ok(()) => std::process::exit(0),
        Err(e @ CliError::Interrupted { .. }) => {
            eprintln!("kinesis: {e}");
            std::process::exit(e.exit_code());
        }
        Err(e) => {
            eprintln!("kinesis: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}

/// env_logger on stderr with a UTC timestamp; `-v`/`-q` set the default level and
/// `RUST_LOG` (module filters) wins over them. Installed behind
/// [`kinesis_wire::log_filter::SecretSafeLog`]: the HTTP stack logs raw request and response
/// bytes (signatures, session tokens, STS secret keys), and no filter string may let them
/// through (a `ureq_proto` cap loses to `RUST_LOG=ureq_proto::util=trace`, the longer prefix).
fn init_logging(verbosity: i32) {
    let level = match verbosity {
        i32::MIN..=-2 => log::LevelFilter::Off,
        -1 => log::LevelFilter::Error,
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    builder.format(|buf, rec| {
        writeln!(
            buf,
            "{} {:<5} {}: {}",
            chrono::Utc::now().format("%FT%T%.3fZ"),
            rec.level(),
            rec.target(),
            rec.args()
        )
    });
    builder.target(env_logger::Target::Stderr);
    let logger = builder.build();
    let max = logger.filter();
    let _ = kinesis_wire::log_filter::install(logger, max);
}

fn run(cli: Cli) -> Result<(), CliError> {
    // -D: system properties (decisions D14), set before any credentials provider is built.
    for (k, v) in &cli.global.sys_props {
        kinesis_wire::sys_props::set(k, v);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let g = &cli.global;
    match cli.command {
        Command::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
        Command::Version => {
            println!("kinesis {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Validate => {
            let t = table::load(g, &[])?;
            out.write_all(validate::document(&t).as_bytes())
                .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))
        }
        Command::CreateStream { name, shards, wait } => {
            let client = table::client(&table::client_config(g)?)?;
            admin::create_stream(&client, &name, shards, wait, &mut out)
        }
        Command::DeleteStream { name } => {
            let client = table::client(&table::client_config(g)?)?;
            admin::delete_stream(&client, &name, &mut out)
        }
        Command::ListStreams => {
            let client = table::client(&table::client_config(g)?)?;
            admin::list_streams(&client, &mut out)
        }
        Command::Describe { name } => {
            let (config, stream) = match name {
                Some(n) => (table::client_config(g)?, n),
                None => {
                    let t = table::load(g, &[])?;
                    (t.client_config().clone(), t.stream().to_string())
                }
            };
            admin::describe(&table::client(&config)?, &stream, &mut out)
        }
        Command::FindShard { key, stream } => {
            let (config, stream) = match stream {
                Some(s) => (table::client_config(g)?, s),
                None => {
                    let t = table::load(g, &[])?;
                    (t.client_config().clone(), t.stream().to_string())
                }
            };
            admin::find_shard(&table::client(&config)?, &stream, &key, &mut out)
        }
        Command::Put {
            input,
            input_format,
            drain_timeout,
        } => put::run(g, &input, input_format, drain_timeout, &mut out),
        Command::Read(read_args) => {
            drop(out);
            let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
            read::run(g, &read_args, &mut buffered).map(|_| ())
        }
    }
}
