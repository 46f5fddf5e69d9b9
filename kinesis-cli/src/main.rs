//! `kinesis`: kcat for Amazon Kinesis Data Streams, configured with Flink's connector
//! options. See `kinesis --help` and the README's CLI reference.
//!
//! Exit codes: 0 success, 2 bad usage or an invalid table/options, 1 a runtime failure.
#![forbid(unsafe_code)]

mod admin;
mod args;
mod error;
mod files;
mod group;
mod input;
mod keying;
mod logging;
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
        Err(e) => exit_with(Err(e)),
    };
    logging::init(cli.global.verbosity);
    if let Err(e) = run(cli) {
        exit_with(Err(e));
    }
}

/// Ends the process the CLI contract's way: 0, or the error on stderr with its exit code.
pub fn exit_with(result: Result<(), CliError>) -> ! {
    match result {
        Ok(()) => std::process::exit(0),
        Err(e @ CliError::Clap(_)) => {
            eprintln!("{e}");
            std::process::exit(e.exit_code());
        }
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

fn run(cli: Cli) -> Result<(), CliError> {
    // -D: system properties (decisions D14), set before any credentials provider is built.
    for (k, v) in &cli.global.sys_props {
        kinesis_wire::sys_props::set(k, v);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let g = &cli.global;
    let write_err = |e: std::io::Error| CliError::runtime(format!("cannot write to stdout: {e}"));
    match cli.command {
        Command::Print(text) => out.write_all(text.as_bytes()).map_err(write_err),
        Command::Completions(shell) => {
            clap_complete::generate(shell, &mut args::command(), "kinesis", &mut out);
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(args::command())
            .render(&mut out)
            .map_err(write_err),
        Command::Validate => validate::run(g, &mut out),
        Command::CreateStream { name, shards, wait } => {
            let client = table::client(&table::client_config(g)?)?;
            admin::create_stream(&client, &name, shards, wait, &mut out)
        }
        Command::DeleteStream { name } => {
            let client = table::client(&table::client_config(g)?)?;
            admin::delete_stream(&client, &name, &mut out)
        }
        Command::ListStreams { output } => {
            let client = table::client(&table::client_config(g)?)?;
            admin::list_streams(&client, output, &mut out)
        }
        Command::Describe { name, output } => {
            let (config, stream) = table::client_and_stream(g, name)?;
            admin::describe(&table::client(&config)?, &stream, output, &mut out)
        }
        Command::FindShard { key, output } => {
            let (config, stream) = table::client_and_stream(g, None)?;
            admin::find_shard(&table::client(&config)?, &stream, &key, output, &mut out)
        }
        Command::GroupDescribe { name, output } => group::describe(g, &name, output, &mut out),
        Command::GroupReset {
            name,
            offset,
            force,
        } => group::reset(
            g,
            &name,
            offset.as_ref(),
            force,
            chrono::Utc::now().timestamp_millis(),
            &mut out,
        ),
        Command::GroupDelete { name } => group::delete(g, &name, &mut out),
        Command::Put(put_args) => put::run(g, &put_args, &mut out),
        Command::Read(read_args) => {
            drop(out);
            let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
            read::run(g, &read_args, &mut buffered).map(|_| ())
        }
    }
}
