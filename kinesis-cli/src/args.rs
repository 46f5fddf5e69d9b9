//! The command line: a small hand-written parser (the dependency set has no argument
//! parser). Global flags may appear before or after the command; command flags after it.
//! Values follow their flag as the next argument (`-X k=v`, `--table t.sql`) or are attached
//! (`-Xk=v`, `--table=t.sql`); a value may start with `-` (`-o -5m`).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::CliError;

/// The usage text printed by `kinesis --help`.
pub const USAGE: &str = "\
kinesis — kcat for Amazon Kinesis Data Streams, configured with Flink's connector options

usage: kinesis [GLOBAL FLAGS] <command> [COMMAND FLAGS]

global flags:
  --table FILE            a CREATE TABLE statement (Flink SQL) describing the stream's rows
  -X key=value            any connector option; repeatable; overrides the DDL's WITH (...)
  --endpoint URL          shorthand for -X aws.endpoint=URL
  --region REGION         shorthand for -X aws.region=REGION
  -D prop=value           a system property (e.g. aws.accessKeyId for SYS_PROP credentials)
  -v, -vv / -q            more / less logging on stderr (RUST_LOG overrides)
  -h, --help              this text
  -V, --version           the version

commands:
  validate                parse + validate the table; print it as one JSON object
  create-stream NAME --shards N [--wait]
  delete-stream NAME
  list-streams
  describe [NAME]         shards (parents, hash and sequence ranges, open/closed), EFO consumers
  find-shard KEY [--stream NAME]
                          which open shard owns a partition key (MD5 -> hash key range)
  put [--input FILE|-] [--input-format csv|json|raw] [--drain-timeout 10s]
                          rows in (one per line), through the sink, to the table's stream;
                          on Ctrl-C, sends what is buffered for up to --drain-timeout, then
                          saves what was not acknowledged (a second Ctrl-C: at once)
  read [-o beginning|end|@<epoch-ms>|<ISO-8601>|-5m] [-c COUNT] [-e] [--checkpoint FILE]
       [--checkpoint-interval 1s] [--output json|csv|table] [-f FORMAT]
                          rows out, with metadata columns
    -o   start position (default: the table's scan.stream.initpos)
    -c   stop after COUNT rows        -e   exit once every shard is caught up
    --checkpoint FILE     resume from FILE if it exists; save to it (atomically) every
                          --checkpoint-interval (default 1s) and on exit
    -f   kcat-like format: %s payload, %k partition key, %p shard id, %o sequence number,
         %T arrival (epoch ms), %t stream, %% a percent sign; \\n \\t \\\\ escapes

Without --table, `-X stream=NAME` is enough: the table is one BYTES column `data`
in the raw format.
exit codes: 0 success, 2 bad usage or invalid table/options, 1 runtime failure,
130/143 interrupted by SIGINT/SIGTERM with nothing lost";

/// Flags that apply to every command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Global {
    /// `--table FILE`.
    pub table_file: Option<PathBuf>,
    /// `-X key=value`, `--endpoint`, `--region` in command-line order (a later one wins).
    pub options: Vec<(String, String)>,
    /// `-D prop=value`.
    pub sys_props: Vec<(String, String)>,
    /// `-v` counts up, `-q` down.
    pub verbosity: i32,
}

/// Where `put` reads rows from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// How `put` parses its input lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    Json,
    /// Each line is one record's payload, as is (for raw tables).
    Raw,
}

/// Where `read` starts (`-o`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offset {
    /// `beginning`: TRIM_HORIZON.
    Beginning,
    /// `end`: LATEST.
    End,
    /// `@<epoch-ms>`, an ISO-8601 instant, or a relative `-5m`: AT_TIMESTAMP.
    AtMillis(i64),
}

/// How `read` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    Csv,
    Table,
}

/// `read`'s flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadArgs {
    pub offset: Option<Offset>,
    pub count: Option<u64>,
    pub exit_at_end: bool,
    pub checkpoint: Option<PathBuf>,
    /// `--checkpoint-interval`: how often the checkpoint file is saved while reading.
    pub checkpoint_interval: Duration,
    pub output: Output,
    pub format: Option<String>,
}

/// The command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Validate,
    CreateStream {
        name: String,
        shards: u32,
        wait: bool,
    },
    DeleteStream {
        name: String,
    },
    ListStreams,
    Describe {
        name: Option<String>,
    },
    FindShard {
        key: String,
        stream: Option<String>,
    },
    Put {
        input: Input,
        input_format: Option<InputFormat>,
        /// `--drain-timeout`: how long the first Ctrl-C lets buffered rows be sent.
        drain_timeout: Duration,
    },
    Read(ReadArgs),
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    pub global: Global,
    pub command: Command,
}

/// Splits `key=value`; the key must not be empty. `shown` names the argument in an error
/// ([`Tokens::name`]).
fn key_value(flag: &str, text: &str, shown: &str) -> Result<(String, String), CliError> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(CliError::usage(format!(
            "{flag} takes key=value, not {shown}"
        ))),
    }
}

/// The default `put --drain-timeout`.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The default `read --checkpoint-interval`.
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Parses a duration with a unit: `500ms`, `1s`, `1.5s`, `2m`, `1h`.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration, CliError> {
    let bad = |why: &str| {
        CliError::usage(format!(
            "{flag} '{text}': {why}; expected a number with a unit, like 500ms, 1s, 2m or 1h"
        ))
    };
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| bad("no unit"))?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().map_err(|_| bad("no number before the unit"))?;
    let unit_secs = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad("unknown unit (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(n * unit_secs).map_err(|_| bad("out of range"))
}

/// Parses an `-o` value relative to `now_ms` (epoch milliseconds).
pub fn parse_offset(text: &str, now_ms: i64) -> Result<Offset, CliError> {
    let bad = |why: &str| {
        CliError::usage(format!(
            "-o '{text}': {why}; expected beginning, end, @<epoch-ms>, an ISO-8601 time (2024-01-01T10:00:00Z) or a relative time like -5m"
        ))
    };
    match text {
        "beginning" | "trim_horizon" | "TRIM_HORIZON" => return Ok(Offset::Beginning),
        "end" | "latest" | "LATEST" => return Ok(Offset::End),
        _ => {}
    }
    if let Some(ms) = text.strip_prefix('@') {
        let ms: i64 = ms
            .parse()
            .map_err(|_| bad("not a number of milliseconds"))?;
        if ms < 0 {
            return Err(bad("negative epoch milliseconds"));
        }
        return Ok(Offset::AtMillis(ms));
    }
    if let Some(rel) = text.strip_prefix('-') {
        let split = rel
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| bad("a relative time needs a unit (s, m, h, d)"))?;
        let (n, unit) = rel.split_at(split);
        let n: i64 = n.parse().map_err(|_| bad("no number before the unit"))?;
        let unit_ms = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad("unknown unit (use ms, s, m, h or d)")),
        };
        let back = n
            .checked_mul(unit_ms)
            .ok_or_else(|| bad("relative time too large"))?;
        return Ok(Offset::AtMillis((now_ms - back).max(0)));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(Offset::AtMillis(t.timestamp_millis()));
    }
    // ISO-8601 without a zone means UTC (as decisions D10 reads zone-less patterns).
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, pattern) {
            return Ok(Offset::AtMillis(t.and_utc().timestamp_millis()));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Offset::AtMillis(
            d.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_millis(),
        ));
    }
    Err(bad("not understood"))
}

struct Tokens {
    args: Vec<String>,
    pos: usize,
    /// Arguments no error may echo (see [`hidden_arguments`]).
    hidden: Vec<bool>,
}

/// Which arguments may hold a secret, so that no error shows them: one that names a
/// sensitive option (Flink's rule, [`kinesis_options::spec::is_sensitive`]: `secret`,
/// `token`, `password`, ... anywhere in it, as in `-X aws.credentials.basic.secretkey=...`
/// or `-Xaws.credentials.basic.secretkeyS3CR`), and when such an argument has no value
/// (no `=`, or nothing after it) the argument after it, and after a lone `=` or `:` the
/// one after that too (`-X aws.credentials.basic.secretkey = S3CR`).
fn hidden_arguments(args: &[String]) -> Vec<bool> {
    let mut hidden = vec![false; args.len()];
    for (i, arg) in args.iter().enumerate() {
        if !kinesis_options::spec::is_sensitive(arg) {
            continue;
        }
        hidden[i] = true;
        let value_missing = !arg.contains('=') || arg.ends_with('=') || arg.ends_with(':');
        if value_missing {
            let mut next = i + 1;
            while next < args.len() {
                hidden[next] = true;
                if args[next] != "=" && args[next] != ":" {
                    break;
                }
                next += 1;
            }
        }
    }
    hidden
}

impl Tokens {
    /// The value of `flag`: attached (`attached`, part of the argument before `self.pos`)
    /// or the next argument; with the index of the argument that holds it.
    fn value(&mut self, flag: &str, attached: Option<String>) -> Result<(String, usize), CliError> {
        if let Some(v) = attached {
            return Ok((v, self.pos - 1));
        }
        if self.pos < self.args.len() {
            self.pos += 1;
            Ok((self.args[self.pos - 1].clone(), self.pos - 1))
        } else {
            Err(CliError::usage(format!("{flag} needs a value")))
        }
    }

    /// How argument `i` is named in an error: quoted, or by its position when it may hold
    /// a secret.
    fn name(&self, i: usize) -> String {
        if self.hidden[i] {
            format!(
                "argument {} (not shown: it names a sensitive option, so it may hold a secret)",
                i + 1
            )
        } else {
            format!("'{}'", self.args[i])
        }
    }

    /// `parsed` (argument `i` read as `flag`'s value), with an error that does not echo
    /// the argument when it may hold a secret.
    fn checked<T>(&self, flag: &str, i: usize, parsed: Result<T, CliError>) -> Result<T, CliError> {
        match parsed {
            Err(_) if self.hidden[i] => Err(CliError::usage(format!(
                "{flag} does not take {}",
                self.name(i)
            ))),
            other => other,
        }
    }
}

/// Splits `--name=value` and `-Xvalue` into flag and attached value. Short flags that take a
/// value may have it attached; `-vv` is two `-v`.
fn split_flag(arg: &str) -> (String, Option<String>) {
    if let Some(rest) = arg.strip_prefix("--") {
        return match rest.split_once('=') {
            Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
            None => (arg.to_string(), None),
        };
    }
    if arg.len() > 2 && arg.starts_with('-') && !arg.starts_with("-v") && !arg.starts_with("-q") {
        let (flag, value) = arg.split_at(2);
        return (flag.to_string(), Some(value.to_string()));
    }
    (arg.to_string(), None)
}

fn parse_number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, CliError> {
    text.trim().parse().map_err(|_| {
        CliError::usage(format!(
            "{flag} takes a positive whole number, not '{text}'"
        ))
    })
}

/// Parses the arguments after the program name.
pub fn parse(args: Vec<String>, now_ms: i64) -> Result<Cli, CliError> {
    let hidden = hidden_arguments(&args);
    let mut t = Tokens {
        args,
        pos: 0,
        hidden,
    };
    let mut global = Global::default();
    // With the index of its argument, for errors.
    let mut command_name: Option<(String, usize)> = None;
    let mut positional: Vec<(String, usize)> = Vec::new();
    // Command flags, collected generically and checked against the command afterwards.
    let mut shards: Option<u32> = None;
    let mut wait = false;
    let mut stream: Option<String> = None;
    let mut input: Option<Input> = None;
    let mut input_format: Option<InputFormat> = None;
    let mut offset: Option<Offset> = None;
    let mut count: Option<u64> = None;
    let mut exit_at_end = false;
    let mut checkpoint: Option<PathBuf> = None;
    let mut checkpoint_interval = DEFAULT_CHECKPOINT_INTERVAL;
    let mut drain_timeout = DEFAULT_DRAIN_TIMEOUT;
    let mut output: Option<Output> = None;
    let mut format: Option<String> = None;
    let mut help = false;
    let mut version = false;
    let mut used: Vec<&'static str> = Vec::new();

    while t.pos < t.args.len() {
        let arg = t.args[t.pos].clone();
        t.pos += 1;
        let index = t.pos - 1;
        if arg == "--" {
            positional.extend(t.args[t.pos..].iter().cloned().zip(t.pos..));
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            if command_name.is_none() {
                command_name = Some((arg, index));
            } else {
                positional.push((arg, index));
            }
            continue;
        }
        if arg.starts_with("-v") && arg[1..].chars().all(|c| c == 'v') {
            global.verbosity += (arg.len() - 1) as i32;
            continue;
        }
        if arg.starts_with("-q") && arg[1..].chars().all(|c| c == 'q') {
            global.verbosity -= (arg.len() - 1) as i32;
            continue;
        }
        let (flag, attached) = split_flag(&arg);
        match flag.as_str() {
            "-h" | "--help" => help = true,
            "-V" | "--version" => version = true,
            "--table" => global.table_file = Some(PathBuf::from(t.value(&flag, attached)?.0)),
            "-X" => {
                let (v, i) = t.value(&flag, attached)?;
                global.options.push(key_value("-X", &v, &t.name(i))?);
            }
            "--endpoint" => {
                let (v, _) = t.value(&flag, attached)?;
                global.options.push(("aws.endpoint".into(), v));
            }
            "--region" => {
                let (v, _) = t.value(&flag, attached)?;
                global.options.push(("aws.region".into(), v));
            }
            "-D" => {
                let (v, i) = t.value(&flag, attached)?;
                global.sys_props.push(key_value("-D", &v, &t.name(i))?);
            }
            "--shards" => {
                used.push("--shards");
                let (v, i) = t.value(&flag, attached)?;
                shards = Some(t.checked(&flag, i, parse_number("--shards", &v))?);
            }
            "--wait" => {
                used.push("--wait");
                wait = true;
            }
            "--stream" => {
                used.push("--stream");
                stream = Some(t.value(&flag, attached)?.0);
            }
            "--input" | "-i" => {
                used.push("--input");
                let (v, _) = t.value(&flag, attached)?;
                input = Some(if v == "-" {
                    Input::Stdin
                } else {
                    Input::File(PathBuf::from(v))
                });
            }
            "--input-format" => {
                used.push("--input-format");
                let (v, i) = t.value(&flag, attached)?;
                input_format = Some(match v.as_str() {
                    "csv" => InputFormat::Csv,
                    "json" => InputFormat::Json,
                    "raw" => InputFormat::Raw,
                    _ => {
                        return Err(CliError::usage(format!(
                            "--input-format must be csv, json or raw, not {}",
                            t.name(i)
                        )))
                    }
                });
            }
            "-o" | "--offset" => {
                used.push("-o");
                let (v, i) = t.value(&flag, attached)?;
                offset = Some(t.checked(&flag, i, parse_offset(&v, now_ms))?);
            }
            "-c" | "--count" => {
                used.push("-c");
                let (v, i) = t.value(&flag, attached)?;
                count = Some(t.checked(&flag, i, parse_number("-c", &v))?);
            }
            "-e" | "--exit" => {
                used.push("-e");
                exit_at_end = true;
            }
            "--checkpoint" => {
                used.push("--checkpoint");
                checkpoint = Some(PathBuf::from(t.value(&flag, attached)?.0));
            }
            "--checkpoint-interval" => {
                used.push("--checkpoint-interval");
                let (v, i) = t.value(&flag, attached)?;
                checkpoint_interval = t.checked(&flag, i, parse_duration(&flag, &v))?;
                if checkpoint_interval.is_zero() {
                    return Err(CliError::usage("--checkpoint-interval must be more than 0"));
                }
            }
            "--drain-timeout" => {
                used.push("--drain-timeout");
                let (v, i) = t.value(&flag, attached)?;
                drain_timeout = t.checked(&flag, i, parse_duration(&flag, &v))?;
            }
            "--output" => {
                used.push("--output");
                let (v, i) = t.value(&flag, attached)?;
                output = Some(match v.as_str() {
                    "json" => Output::Json,
                    "csv" => Output::Csv,
                    "table" => Output::Table,
                    _ => {
                        return Err(CliError::usage(format!(
                            "--output must be json, csv or table, not {}",
                            t.name(i)
                        )))
                    }
                });
            }
            "-f" | "--format" => {
                used.push("-f");
                format = Some(t.value(&flag, attached)?.0);
            }
            _ => return Err(CliError::usage(format!("unknown flag {}", t.name(index)))),
        }
    }

    if help {
        return Ok(Cli {
            global,
            command: Command::Help,
        });
    }
    if version {
        return Ok(Cli {
            global,
            command: Command::Version,
        });
    }
    let Some((name, name_index)) = command_name else {
        return Err(CliError::usage("no command given"));
    };
    let shown_name = t.name(name_index);
    let allowed: &[&str] = match name.as_str() {
        "create-stream" => &["--shards", "--wait"],
        "find-shard" => &["--stream"],
        "put" => &["--input", "--input-format", "--drain-timeout"],
        "read" => &[
            "-o",
            "-c",
            "-e",
            "--checkpoint",
            "--checkpoint-interval",
            "--output",
            "-f",
        ],
        _ => &[],
    };
    if let Some(bad) = used.iter().find(|f| !allowed.contains(f)) {
        return Err(CliError::usage(format!(
            "{bad} does not apply to the {shown_name} command"
        )));
    }
    let max_positional = match name.as_str() {
        "create-stream" | "delete-stream" | "find-shard" | "describe" => 1,
        _ => 0,
    };
    if positional.len() > max_positional {
        return Err(CliError::usage(format!(
            "unexpected argument {} for {shown_name}",
            t.name(positional[max_positional].1)
        )));
    }
    let mut positional = positional.into_iter().map(|(text, _)| text);
    let mut required = |what: &str| {
        positional
            .next()
            .ok_or_else(|| CliError::usage(format!("{shown_name} needs {what}")))
    };
    let command = match name.as_str() {
        "help" => Command::Help,
        "validate" => Command::Validate,
        "create-stream" => {
            let stream_name = required("a stream NAME")?;
            let shards = shards.ok_or_else(|| CliError::usage("create-stream needs --shards N"))?;
            if shards == 0 {
                return Err(CliError::usage("--shards must be at least 1"));
            }
            Command::CreateStream {
                name: stream_name,
                shards,
                wait,
            }
        }
        "delete-stream" => Command::DeleteStream {
            name: required("a stream NAME")?,
        },
        "list-streams" => Command::ListStreams,
        "describe" => Command::Describe {
            name: positional.next(),
        },
        "find-shard" => Command::FindShard {
            key: required("a partition KEY")?,
            stream,
        },
        "put" => Command::Put {
            input: input.unwrap_or(Input::Stdin),
            input_format,
            drain_timeout,
        },
        "read" => {
            if count == Some(0) {
                return Err(CliError::usage("-c must be at least 1"));
            }
            if format.is_some() && output.is_some() {
                return Err(CliError::usage("-f and --output exclude each other"));
            }
            Command::Read(ReadArgs {
                offset,
                count,
                exit_at_end,
                checkpoint,
                checkpoint_interval,
                output: output.unwrap_or(Output::Json),
                format,
            })
        }
        _ => return Err(CliError::usage(format!("unknown command {shown_name}"))),
    };
    Ok(Cli { global, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(
            parse_duration("--x", "500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("--x", "1s").unwrap(), Duration::from_secs(1));
        assert_eq!(
            parse_duration("--x", "1.5s").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("--x", "2m").unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_duration("--x", "1h").unwrap(),
            Duration::from_secs(3600)
        );
        for bad in ["1", "s", "1 s", "1d", "-1s", "1e400s"] {
            let e = parse_duration("--checkpoint-interval", bad).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with(&format!("--checkpoint-interval '{bad}'")),
                "{e}"
            );
            assert_eq!(e.exit_code(), 2);
        }
    }

    fn p(args: &[&str]) -> Result<Cli, CliError> {
        parse(args.iter().map(|s| s.to_string()).collect(), 1_000_000_000)
    }

    #[test]
    fn global_flags_anywhere_and_in_order() {
        let cli = p(&[
            "-X",
            "stream=a",
            "--endpoint",
            "http://h:1",
            "list-streams",
            "--region=eu-west-1",
            "-Xformat=raw",
            "-D",
            "aws.accessKeyId=AK",
            "-vv",
        ])
        .unwrap();
        assert_eq!(cli.command, Command::ListStreams);
        assert_eq!(
            cli.global.options,
            vec![
                ("stream".to_string(), "a".to_string()),
                ("aws.endpoint".into(), "http://h:1".into()),
                ("aws.region".into(), "eu-west-1".into()),
                ("format".into(), "raw".into()),
            ]
        );
        assert_eq!(
            cli.global.sys_props,
            vec![("aws.accessKeyId".into(), "AK".into())]
        );
        assert_eq!(cli.global.verbosity, 2);
    }

    #[test]
    fn read_flags() {
        let cli = p(&[
            "read",
            "-o",
            "-5m",
            "-c",
            "10",
            "-e",
            "--checkpoint",
            "cp.json",
            "-f",
            "%s\\n",
        ])
        .unwrap();
        let Command::Read(r) = cli.command else {
            panic!("not read")
        };
        assert_eq!(r.offset, Some(Offset::AtMillis(1_000_000_000 - 300_000)));
        assert_eq!(r.count, Some(10));
        assert!(r.exit_at_end);
        assert_eq!(r.checkpoint, Some(PathBuf::from("cp.json")));
        assert_eq!(r.format.as_deref(), Some("%s\\n"));
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("beginning", 0).unwrap(), Offset::Beginning);
        assert_eq!(parse_offset("end", 0).unwrap(), Offset::End);
        assert_eq!(
            parse_offset("@1700000000123", 0).unwrap(),
            Offset::AtMillis(1_700_000_000_123)
        );
        assert_eq!(
            parse_offset("2024-01-01T10:11:12.001Z", 0).unwrap(),
            Offset::AtMillis(1_704_103_872_001)
        );
        assert_eq!(
            parse_offset("2024-01-01T11:11:12.001+01:00", 0).unwrap(),
            Offset::AtMillis(1_704_103_872_001)
        );
        assert_eq!(
            parse_offset("2024-01-01T10:11:12.001", 0).unwrap(),
            Offset::AtMillis(1_704_103_872_001)
        );
        assert_eq!(
            parse_offset("-2h", 10_000_000).unwrap(),
            Offset::AtMillis(2_800_000)
        );
        assert!(parse_offset("-5", 0).is_err());
        assert!(parse_offset("2024-13-01", 0).is_err());
        assert!(parse_offset("@x", 0).is_err());
    }

    #[test]
    fn usage_errors() {
        let e = p(&["create-stream", "s"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--shards"), "{e}");
        assert!(p(&["frobnicate"])
            .unwrap_err()
            .to_string()
            .contains("unknown command 'frobnicate'"));
        assert!(p(&["list-streams", "--bogus"])
            .unwrap_err()
            .to_string()
            .contains("unknown flag '--bogus'"));
        assert!(p(&["list-streams", "-c", "3"])
            .unwrap_err()
            .to_string()
            .contains("-c does not apply"));
        assert!(p(&["-X", "novalue", "validate"])
            .unwrap_err()
            .to_string()
            .contains("key=value"));
        assert!(p(&["read", "-c"])
            .unwrap_err()
            .to_string()
            .contains("-c needs a value"));
        assert!(p(&[]).is_err());
    }

    /// Issue #13 finding 5: `-X aws.credentials.basic.secretkeyVALUE` (no `=`) was echoed
    /// in full. No error echoes an argument that names a sensitive option, nor the value
    /// that follows one whose own value is missing; the argument's position is given.
    #[test]
    fn arguments_that_may_hold_secrets_are_never_echoed() {
        let cases: &[&[&str]] = &[
            &["-X", "aws.credentials.basic.secretkeyS3CR", "validate"],
            &["-Xaws.credentials.basic.secretkeyS3CR", "validate"],
            &["-X", "aws.credentials.basic.secretkey", "S3CR", "validate"],
            &["validate", "-X", "aws.credentials.basic.secretkey=", "S3CR"],
            &[
                "validate",
                "-X",
                "aws.credentials.basic.secretkey",
                "=",
                "S3CR",
            ],
            &["-X", "aws.credentials.basic.sessiontoken:S3CR", "validate"],
            &["-D", "aws.secretAccessKeyS3CR", "validate"],
            &["--aws.credentials.basic.secretkey=S3CR", "validate"],
            &["aws.credentials.basic.secretkey=S3CR"],
            &["validate", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "-c", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "-o", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "--output", "aws.credentials.basic.secretkey=S3CR"],
            &[
                "put",
                "--input-format",
                "aws.credentials.basic.secretkey=S3CR",
            ],
            &[
                "create-stream",
                "s",
                "--shards",
                "aws.credentials.basic.secretkey=S3CR",
            ],
        ];
        for args in cases {
            let e = p(args).unwrap_err().to_string();
            assert!(!e.contains("S3CR"), "{args:?}: {e}");
            assert!(e.contains("argument "), "{args:?}: {e}");
            assert!(e.contains("it names a sensitive option"), "{args:?}: {e}");
        }
        let e = p(&["-X", "aws.credentials.basic.secretkeyS3CR", "validate"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("-X takes key=value, not argument 2 (not shown"),
            "{e}"
        );
        // Other arguments are still quoted, and a complete secret option parses.
        let e = p(&["validate", "extra"]).unwrap_err().to_string();
        assert!(
            e.contains("unexpected argument 'extra' for 'validate'"),
            "{e}"
        );
        let cli = p(&["-X", "aws.credentials.basic.secretkey=S3CR", "validate"]).unwrap();
        assert_eq!(
            cli.global.options,
            vec![("aws.credentials.basic.secretkey".into(), "S3CR".into())]
        );
    }

    #[test]
    fn create_stream_and_put() {
        assert_eq!(
            p(&["create-stream", "s", "--shards", "4", "--wait"])
                .unwrap()
                .command,
            Command::CreateStream {
                name: "s".into(),
                shards: 4,
                wait: true
            }
        );
        assert_eq!(
            p(&["put", "--input", "-", "--input-format", "json"])
                .unwrap()
                .command,
            Command::Put {
                input: Input::Stdin,
                input_format: Some(InputFormat::Json),
                drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            }
        );
        assert_eq!(
            p(&["put", "--input=rows.csv", "--drain-timeout", "250ms"])
                .unwrap()
                .command,
            Command::Put {
                input: Input::File("rows.csv".into()),
                input_format: None,
                drain_timeout: Duration::from_millis(250),
            }
        );
        let e = p(&["read", "--drain-timeout", "1s"]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
