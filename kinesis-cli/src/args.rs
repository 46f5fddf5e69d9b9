//! The command line, parsed by clap (derive): per-command help with examples, did-you-mean
//! for commands, flags and values, `--version`, shell completions and a man page.
//!
//! Global flags may appear before or after the command. `-X`, `-t`, `--endpoint` and
//! `--region` keep their command-line order (a later one wins): clap keeps each flag's values
//! apart, so they are put back in order by their argument indices.
//!
//! No error ever echoes an argument that may hold a secret (issue #13): `-X`/`-D` values are
//! checked before clap sees the command line, and a clap error that would quote such an
//! argument is replaced by one naming the argument by its position.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::CliError;

/// What `kinesis` is, first line of `--help`.
const ABOUT: &str =
    "kcat for Amazon Kinesis Data Streams, configured with Flink's connector options";

/// Said after the global help.
const AFTER_HELP: &str = "\
Without --table, `-t NAME` (or -X stream=NAME) is enough: the table is one BYTES column `data`
in the raw format. Region and endpoint resolve as the AWS CLI's do: the command line, then the
table's WITH, then AWS_REGION / AWS_DEFAULT_REGION / the profile's region (AWS_PROFILE,
~/.aws/config), and AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL / the profile's endpoint_url.

Examples:
  kinesis --endpoint http://127.0.0.1:4567 --region us-east-1 list-streams
  kinesis -t events read -o beginning -e
  kinesis --table orders.sql put --input orders.csv
  kinesis help read

Exit codes: 0 success, 2 bad usage or invalid table/options, 1 runtime failure,
130/143 interrupted by SIGINT/SIGTERM with nothing lost.";

/// The clap definition of the whole command line.
#[derive(Parser, Debug)]
#[command(
    name = "kinesis",
    version,
    about = ABOUT,
    after_help = AFTER_HELP,
    subcommand_required = true,
    arg_required_else_help = true,
    max_term_width = 100
)]
struct RawCli {
    #[command(flatten)]
    global: RawGlobal,
    #[command(subcommand)]
    command: RawCommand,
}

/// Flags of every command. clap checks them and writes the help; the values of `-X`, `-t`,
/// `--endpoint`, `--region` and `-D` are read in command-line order by
/// [`Argv::flag_values`] instead.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
#[allow(dead_code)]
struct RawGlobal {
    /// A CREATE TABLE statement (Flink SQL) describing the stream's rows
    #[arg(long, value_name = "FILE", global = true)]
    table: Option<PathBuf>,
    /// Any connector or format option; repeatable; overrides the DDL's WITH (...)
    #[arg(short = 'X', value_name = "KEY=VALUE", global = true, action = ArgAction::Append)]
    option: Vec<String>,
    /// The stream (a name or a stream ARN): shorthand for -X stream=NAME
    #[arg(short = 't', long = "stream", value_name = "NAME|ARN", global = true, action = ArgAction::Append)]
    stream: Vec<String>,
    /// Shorthand for -X aws.endpoint=URL
    #[arg(long, value_name = "URL", global = true, action = ArgAction::Append)]
    endpoint: Vec<String>,
    /// Shorthand for -X aws.region=REGION
    #[arg(long, value_name = "REGION", global = true, action = ArgAction::Append)]
    region: Vec<String>,
    /// A system property (e.g. aws.accessKeyId for SYS_PROP credentials)
    #[arg(short = 'D', value_name = "PROP=VALUE", global = true, action = ArgAction::Append)]
    property: Vec<String>,
    /// More logging on stderr (-vv: debug); RUST_LOG overrides
    #[arg(short = 'v', action = ArgAction::Count, global = true)]
    verbose: u8,
    /// Less: errors only, and no summary
    #[arg(short = 'q', action = ArgAction::Count, global = true)]
    quiet: u8,
}

#[derive(Subcommand, Debug)]
enum RawCommand {
    /// Parse and validate the table; print it as one JSON object
    #[command(after_help = "\
Every problem of the table is reported (on stderr, exit 2), not only the first.
The document: {\"table\", \"columns\", \"partition_keys\", \"options\", \"warnings\", \"resolved\"};
\"resolved\" names where each value not taken from the table came from.

Examples:
  kinesis --table orders.sql validate
  kinesis -t events --region us-east-1 validate")]
    Validate,
    /// Create a stream: provisioned (--shards N) or on-demand
    #[command(after_help = "\
Examples:
  kinesis create-stream events --shards 4 --wait
  kinesis create-stream clicks --on-demand")]
    CreateStream {
        /// The stream's name
        name: String,
        /// Provisioned with N shards
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..),
              required_unless_present = "on_demand", conflicts_with = "on_demand")]
        shards: Option<u32>,
        /// On-demand capacity mode (no shard count)
        #[arg(long)]
        on_demand: bool,
        /// Wait until the stream is ACTIVE
        #[arg(long)]
        wait: bool,
    },
    /// Delete a stream (and its EFO consumers)
    #[command(after_help = "Example:\n  kinesis delete-stream events")]
    DeleteStream {
        /// The stream's name
        name: String,
    },
    /// List the streams, one name per line
    #[command(
        after_help = "Examples:\n  kinesis list-streams\n  kinesis list-streams --output json"
    )]
    ListStreams {
        #[command(flatten)]
        output: RawAdminOutput,
    },
    /// Describe a stream: mode, shards (parents, hash and sequence ranges, open/closed), EFO consumers
    #[command(after_help = "\
NAME defaults to the table's stream (-t, -X stream=, --table).

Examples:
  kinesis describe events
  kinesis -t events describe --output json")]
    Describe {
        /// The stream (a name or ARN); default: the table's
        name: Option<String>,
        #[command(flatten)]
        output: RawAdminOutput,
    },
    /// Which open shard owns a partition key (MD5 -> hash key range)
    #[command(after_help = "\
For a PARTITIONED BY table the key is the partition values joined by '|', e.g. 42|7.

Examples:
  kinesis -t events find-shard user-42
  kinesis --table orders.sql find-shard '42|7' --output json")]
    FindShard {
        /// The partition key
        key: String,
        #[command(flatten)]
        output: RawAdminOutput,
    },
    /// Rows in, one per line, through the sink to the table's stream
    #[command(after_help = "\
On Ctrl-C: sends what is buffered for up to --drain-timeout, then saves what was not
acknowledged (a second Ctrl-C: at once). Rows not written are saved to FILE.unwritten.

Examples:
  printf 'hello\\nworld\\n' | kinesis -t events put
  kinesis --table orders.sql put --input orders.csv
  kinesis -t events put -K : --input keyed.txt")]
    Put(RawPut),
    /// Rows out of the table's stream, with metadata columns
    #[command(after_help = "\
-f tokens: %s payload, %S payload size, %k partition key, %K key size, %p shard id,
%o sequence number, %T arrival (epoch ms), %t stream, %% a percent sign; \\n \\t \\r \\\\ escapes.

Examples:
  kinesis -t events read -o beginning -e
  kinesis -t events read -o -5m -f '%p %k %s\\n'
  kinesis --table orders.sql read --checkpoint orders.ckpt -e --output json")]
    Read(RawRead),
    /// Consumer groups: describe, reset or delete a group's lease table
    #[command(
        subcommand,
        after_help = "\
A consumer group is a DynamoDB lease table (KCL 2.x schema) shared by `kinesis read --group NAME`
processes: each shard is read by one of them at a time, and a shard whose reader stops is taken
over by another. The table's endpoint: -X scan.lease.endpoint=URL (or AWS_ENDPOINT_URL_DYNAMODB),
its region: -X scan.lease.region (default the stream's). Liveness is judged with the group's
scan.lease.failover-millis and scan.lease.renew-millis: pass the members' values with -X.

Examples:
  kinesis -t events group describe orders-app
  kinesis group reset orders-app -o beginning
  kinesis group delete orders-app"
    )]
    Group(RawGroup),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "\
Examples:
  kinesis completions bash > /etc/bash_completion.d/kinesis
  kinesis completions zsh > \"${fpath[1]}/_kinesis\"
  kinesis completions fish > ~/.config/fish/completions/kinesis.fish")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[command(after_help = "Example:\n  kinesis man > kinesis.1 && man ./kinesis.1")]
    Man,
}

#[derive(Args, Debug)]
struct RawAdminOutput {
    /// text, or json: one JSON document with stable keys
    #[arg(long, value_enum, default_value_t = AdminOutput::Text)]
    output: AdminOutput,
}

#[derive(Subcommand, Debug)]
enum RawGroup {
    /// Each lease: owner, checkpoint, lag (with -t), liveness and expiry
    #[command(after_help = "\
Leases are watched for about 1.5 renewal intervals: an owner that renews is live; one that
does not is stopped or stalled, and its leases expire after the failover time. With -t the
lag of each shard behind its newest record is measured (MillisBehindLatest after the
checkpoint).

Examples:
  kinesis -t events group describe orders-app
  kinesis group describe orders-app --output json")]
    Describe {
        /// The group (its lease table)
        name: String,
        #[command(flatten)]
        output: RawAdminOutput,
    },
    /// Rewrite every lease's checkpoint (the group reads from there)
    #[command(after_help = "\
Refused while a member holds a live lease (watching for up to scan.lease.failover-millis),
unless --force: members then lose their leases and read from the new position.

Examples:
  kinesis group reset orders-app
  kinesis group reset orders-app -o -1h")]
    Reset {
        /// The group (its lease table)
        name: String,
        /// beginning (the default), end (now), @EPOCH_MS, an ISO-8601 time or -5m
        #[arg(
            short = 'o',
            long = "offset",
            value_name = "POSITION",
            allow_hyphen_values = true
        )]
        offset: Option<String>,
        /// Reset even while members hold live leases
        #[arg(long)]
        force: bool,
    },
    /// Delete the group's lease table (every position in it)
    #[command(after_help = "Example:\n  kinesis group delete orders-app")]
    Delete {
        /// The group (its lease table)
        name: String,
    },
}

#[derive(Args, Debug)]
struct RawPut {
    /// Rows from FILE, or - for stdin (the default)
    #[arg(short = 'i', long, value_name = "FILE|-")]
    input: Option<String>,
    /// How lines are parsed (default: from the file's extension .csv .json .jsonl .ndjson,
    /// else each line is a payload in the table's format)
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// On Ctrl-C, how long buffered rows may still be sent (500ms, 10s, 1m)
    #[arg(long, value_name = "DURATION", value_parser = duration_value, default_value = "10s")]
    drain_timeout: Duration,
    /// kcat's -K: each line is KEY DELIM VALUE; KEY is the partition key
    #[arg(short = 'K', value_name = "DELIM", conflicts_with = "key_column")]
    key_delimiter: Option<String>,
    /// The partition key is this column's text
    #[arg(long, value_name = "NAME")]
    key_column: Option<String>,
    /// This writer's index among N (the `fixed` partitioner's subtask)
    #[arg(long, value_name = "I/N", value_parser = subtask_value)]
    subtask: Option<Subtask>,
}

#[derive(Args, Debug)]
struct RawRead {
    /// Start: beginning, end, @EPOCH_MS, an ISO-8601 time, -5m, seq:SEQ or after:SEQ
    #[arg(
        short = 'o',
        long = "offset",
        value_name = "OFFSET",
        allow_hyphen_values = true
    )]
    offset: Option<String>,
    /// Stop after COUNT rows
    #[arg(short = 'c', long = "count", value_name = "COUNT",
          value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Exit once every shard is caught up
    #[arg(short = 'e', long = "exit")]
    exit: bool,
    /// Resume from FILE if it exists; save to it (atomically) while reading and on exit
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// How often --checkpoint is saved (500ms, 1s, 1m)
    #[arg(long, value_name = "DURATION", value_parser = positive_duration_value,
          default_value = "1s")]
    checkpoint_interval: Duration,
    /// json, csv, table, or raw (each payload and a newline: the default for raw tables)
    #[arg(long, value_enum, value_name = "FORMAT")]
    output: Option<Output>,
    /// A kcat-like template per record (see below)
    #[arg(
        short = 'f',
        long = "format",
        value_name = "FORMAT",
        conflicts_with = "output",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    /// Read as subtask I of N: the shards Flink would give that subtask
    #[arg(long, value_name = "I/N", value_parser = subtask_value)]
    subtask: Option<Subtask>,
    /// Read as a member of consumer group NAME (kcat's -G): the shards are shared with the
    /// group's other members through leases in a DynamoDB table, and so are the positions
    #[arg(short = 'G', long, value_name = "NAME", conflicts_with_all = ["checkpoint", "subtask"])]
    group: Option<String>,
}

/// Flags that apply to every command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Global {
    /// `--table FILE`.
    pub table_file: Option<PathBuf>,
    /// `-X key=value`, `-t`, `--endpoint`, `--region` in command-line order (a later one wins).
    pub options: Vec<(String, String)>,
    /// For each key of `options`, the flag that set its last value (`-X`, `-t`,
    /// `--endpoint`, `--region`): `validate` names it.
    pub origins: BTreeMap<String, &'static str>,
    /// `-D prop=value`.
    pub sys_props: Vec<(String, String)>,
    /// `-v` counts up, `-q` down.
    pub verbosity: i32,
}

impl Global {
    /// `-q` was given: no summary lines.
    pub fn quiet(&self) -> bool {
        self.verbosity < 0
    }

    /// The last value the command line gave `key`.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Where `put` reads rows from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// How `put` parses its input lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
    /// `seq:N`: AT_SEQUENCE_NUMBER in the shard N belongs to (others at TRIM_HORIZON).
    AtSequence(String),
    /// `after:N`: AFTER_SEQUENCE_NUMBER in the shard N belongs to (others at TRIM_HORIZON).
    AfterSequence(String),
}

/// How `read` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Json,
    Csv,
    Table,
    /// Each payload's bytes and a newline (kcat's default; `-f '%s\n'`).
    Raw,
}

/// How admin commands print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AdminOutput {
    #[default]
    Text,
    /// One JSON document with stable keys.
    Json,
}

/// `--subtask I/N`: subtask `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subtask {
    pub index: usize,
    pub count: usize,
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
    /// `None`: raw for raw tables, else json.
    pub output: Option<Output>,
    pub format: Option<String>,
    pub subtask: Option<Subtask>,
    /// `--group NAME`: a consumer group member (decisions D24).
    pub group: Option<String>,
}

/// `put`'s flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutArgs {
    pub input: Input,
    pub input_format: Option<InputFormat>,
    /// `--drain-timeout`: how long the first Ctrl-C lets buffered rows be sent.
    pub drain_timeout: Duration,
    /// `-K DELIM`: each line is `KEY DELIM VALUE`.
    pub key_delimiter: Option<String>,
    /// `--key-column NAME`.
    pub key_column: Option<String>,
    pub subtask: Option<Subtask>,
}

/// The command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Print this text on stdout and exit 0 (help, version).
    Print(String),
    Validate,
    CreateStream {
        name: String,
        /// `None`: on-demand.
        shards: Option<u32>,
        wait: bool,
    },
    DeleteStream {
        name: String,
    },
    ListStreams {
        output: AdminOutput,
    },
    Describe {
        name: Option<String>,
        output: AdminOutput,
    },
    FindShard {
        key: String,
        output: AdminOutput,
    },
    Put(PutArgs),
    Read(ReadArgs),
    GroupDescribe {
        name: String,
        output: AdminOutput,
    },
    GroupReset {
        name: String,
        /// `None`: beginning.
        offset: Option<Offset>,
        force: bool,
    },
    GroupDelete {
        name: String,
    },
    Completions(clap_complete::Shell),
    Man,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cli {
    pub global: Global,
    pub command: Command,
}

/// The clap command (for completions and the man page).
pub fn command() -> clap::Command {
    RawCli::command()
}

/// The default `put --drain-timeout`.
#[cfg(test)]
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses a duration with a unit: `500ms`, `1s`, `1.5s`, `2m`, `1h` (clap's value parser:
/// the error is the reason alone, clap quotes the value and the flag).
pub fn duration_value(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("{why}; expected a number with a unit, like 500ms, 1s, 2m or 1h");
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

fn positive_duration_value(text: &str) -> Result<Duration, String> {
    match duration_value(text)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

/// clap's value parser for `--subtask I/N`.
fn subtask_value(text: &str) -> Result<Subtask, String> {
    let bad = || "expected I/N with 0 <= I < N, like 0/3".to_string();
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let index: usize = i.trim().parse().map_err(|_| bad())?;
    let count: usize = n.trim().parse().map_err(|_| bad())?;
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Subtask { index, count })
}

/// Parses an `-o` value relative to `now_ms` (epoch milliseconds).
pub fn parse_offset(text: &str, now_ms: i64) -> Result<Offset, CliError> {
    let bad = |why: &str| {
        CliError::usage(format!(
            "-o '{text}': {why}; expected beginning, end, @<epoch-ms>, an ISO-8601 time (2024-01-01T10:00:00Z), a relative time like -5m, seq:SEQUENCE_NUMBER or after:SEQUENCE_NUMBER"
        ))
    };
    match text {
        "beginning" | "trim_horizon" | "TRIM_HORIZON" => return Ok(Offset::Beginning),
        "end" | "latest" | "LATEST" => return Ok(Offset::End),
        _ => {}
    }
    for (prefix, at) in [("seq:", true), ("after:", false)] {
        if let Some(seq) = text.strip_prefix(prefix) {
            if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) || seq.len() > 128 {
                return Err(bad("a sequence number is 1 to 128 digits"));
            }
            let seq = seq.to_string();
            return Ok(if at {
                Offset::AtSequence(seq)
            } else {
                Offset::AfterSequence(seq)
            });
        }
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

/// The command-line arguments and which of them no message may show.
struct Argv {
    args: Vec<String>,
    /// Arguments no error may echo (see [`hidden_arguments`]).
    hidden: Vec<bool>,
}

/// Which arguments may hold a secret, so that no error shows them: one that names a
/// sensitive option (Flink's rule, [`kinesis_options::is_sensitive`]: `secret`,
/// `token`, `password`, ... anywhere in it, as in `-X aws.credentials.basic.secretkey=...`
/// or `-Xaws.credentials.basic.secretkeyS3CR`), and when such an argument has no value
/// (no `=`, or nothing after it) the argument after it, and after a lone `=` or `:` the
/// one after that too (`-X aws.credentials.basic.secretkey = S3CR`).
fn hidden_arguments(args: &[String]) -> Vec<bool> {
    let mut hidden = vec![false; args.len()];
    for (i, arg) in args.iter().enumerate() {
        if !kinesis_options::is_sensitive(arg) {
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

impl Argv {
    fn new(args: Vec<String>) -> Argv {
        let hidden = hidden_arguments(&args);
        Argv { args, hidden }
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

    /// The argument that holds `value` (as a whole, or attached to its flag).
    fn position_of(&self, value: &str) -> Option<usize> {
        (0..self.args.len())
            .find(|&i| self.args[i] == value)
            .or_else(|| (0..self.args.len()).find(|&i| self.args[i].ends_with(value)))
    }

    /// Every value given to a flag that takes one, in command-line order: `(argument index,
    /// flag, value)` with the flag as `-X` or `--region`. clap keeps the values of each
    /// flag apart and, for a global flag given both before and after the command, keeps
    /// only the later side's: the order of `-X`, `-t`, `--endpoint` and `--region` and the
    /// `-X`/`-D` values come from here (clap still checks the whole command line).
    fn flag_values(&self, cmd: &clap::Command) -> Vec<(usize, String, String)> {
        let (shorts, longs) = value_flags(cmd);
        let mut found = Vec::new();
        let mut i = 0;
        while i < self.args.len() {
            let arg = &self.args[i];
            if arg == "--" {
                break;
            }
            if let Some(long) = arg.strip_prefix("--") {
                match long.split_once('=') {
                    Some((name, value)) if longs.iter().any(|l| l == name) => {
                        found.push((i, format!("--{name}"), value.to_string()));
                    }
                    None if longs.iter().any(|l| l == long) => {
                        if let Some(value) = self.args.get(i + 1) {
                            found.push((i + 1, arg.clone(), value.clone()));
                        }
                        i += 1;
                    }
                    _ => {}
                }
            } else if arg.len() > 1 && arg.starts_with('-') {
                for (pos, c) in arg.char_indices().skip(1) {
                    if !shorts.contains(&c) {
                        continue;
                    }
                    let rest = &arg[pos + c.len_utf8()..];
                    let rest = rest.strip_prefix('=').unwrap_or(rest);
                    if rest.is_empty() {
                        if let Some(value) = self.args.get(i + 1) {
                            found.push((i + 1, format!("-{c}"), value.clone()));
                        }
                        i += 1;
                    } else {
                        found.push((i, format!("-{c}"), rest.to_string()));
                    }
                    break;
                }
            }
            i += 1;
        }
        found
    }

    /// A clap error as it is printed, unless it quotes an argument that may hold a secret:
    /// then an error of ours that names that argument by position.
    fn clap_error(&self, e: &clap::Error) -> CliError {
        let text = e.render().to_string();
        let Some(i) =
            (0..self.args.len()).find(|&i| self.hidden[i] && quotes(&text, &self.args[i]))
        else {
            return CliError::Clap(text);
        };
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        let flag = match e.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(s)) if !quotes(s, &self.args[i]) => s.clone(),
            _ => "a flag".to_string(),
        };
        let name = self.name(i);
        CliError::usage(match e.kind() {
            ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
                format!("{flag} does not take {name}")
            }
            ErrorKind::InvalidSubcommand => format!("unknown command {name}"),
            ErrorKind::UnknownArgument => format!("unexpected {name}"),
            _ => format!("the command line is wrong at {name}"),
        })
    }
}

/// Whether `text` shows `arg` or a part of it that may be a secret: the whole argument,
/// what follows a flag's first two characters (`-Xvalue`), or either side of an `=`.
fn quotes(text: &str, arg: &str) -> bool {
    let mut parts = vec![arg];
    if arg.starts_with('-') && arg.len() > 2 {
        parts.push(&arg[2..]);
    }
    if let Some((k, v)) = arg.split_once('=') {
        parts.extend([k, v]);
    }
    if let Some((_, v)) = arg.rsplit_once('=') {
        parts.push(v);
    }
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .any(|p| text.contains(p))
}

/// The short and long flags (of any command) that take a value.
fn value_flags(cmd: &clap::Command) -> (Vec<char>, Vec<String>) {
    let mut shorts = Vec::new();
    let mut longs = Vec::new();
    let mut stack = vec![cmd];
    while let Some(c) = stack.pop() {
        for a in c.get_arguments() {
            if a.get_action().takes_values() {
                shorts.extend(a.get_short());
                longs.extend(a.get_long().map(str::to_string));
            }
        }
        stack.extend(c.get_subcommands());
    }
    (shorts, longs)
}

/// Splits `key=value`; the key must not be empty. `shown` names the argument in an error
/// ([`Argv::name`]).
fn key_value(
    flag: &str,
    text: &str,
    shown: impl FnOnce() -> String,
) -> Result<(String, String), CliError> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(CliError::usage(format!(
            "{flag} takes key=value, not {}",
            shown()
        ))),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: Vec<String>, now_ms: i64) -> Result<Cli, CliError> {
    let argv = Argv::new(args);
    let cmd = RawCli::command();
    // -X and -D are checked first: a malformed one explains what clap would say about the
    // arguments after it, and is named by position when it may hold a secret.
    let flag_values = argv.flag_values(&cmd);
    let mut options = Vec::new();
    let mut sys_props = Vec::new();
    for (i, flag, value) in &flag_values {
        let (key, value, origin) = match flag.as_str() {
            "-X" | "-D" => {
                let (k, v) = key_value(flag, value, || argv.name(*i))?;
                if flag == "-D" {
                    sys_props.push((k, v));
                    continue;
                }
                (k, v, "-X")
            }
            "-t" | "--stream" => ("stream".to_string(), value.clone(), "-t"),
            "--endpoint" => ("aws.endpoint".to_string(), value.clone(), "--endpoint"),
            "--region" => ("aws.region".to_string(), value.clone(), "--region"),
            _ => continue,
        };
        options.push((key, value, origin));
    }
    let matches = match cmd.try_get_matches_from(
        std::iter::once("kinesis".to_string()).chain(argv.args.iter().cloned()),
    ) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(Cli {
                    global: Global::default(),
                    command: Command::Print(e.render().to_string()),
                }),
                _ => Err(argv.clap_error(&e)),
            };
        }
    };
    let raw = RawCli::from_arg_matches(&matches).map_err(|e| argv.clap_error(&e))?;

    let mut global = Global {
        table_file: raw.global.table,
        verbosity: i32::from(raw.global.verbose) - i32::from(raw.global.quiet),
        sys_props,
        ..Global::default()
    };
    for (k, v, origin) in options {
        global.origins.insert(k.clone(), origin);
        global.options.push((k, v));
    }

    let command = match raw.command {
        RawCommand::Validate => Command::Validate,
        RawCommand::CreateStream {
            name,
            shards,
            on_demand: _,
            wait,
        } => Command::CreateStream { name, shards, wait },
        RawCommand::DeleteStream { name } => Command::DeleteStream { name },
        RawCommand::ListStreams { output } => Command::ListStreams {
            output: output.output,
        },
        RawCommand::Describe { name, output } => Command::Describe {
            name,
            output: output.output,
        },
        RawCommand::FindShard { key, output } => Command::FindShard {
            key,
            output: output.output,
        },
        RawCommand::Put(p) => Command::Put(PutArgs {
            input: match p.input.as_deref() {
                None | Some("-") => Input::Stdin,
                Some(f) => Input::File(PathBuf::from(f)),
            },
            input_format: p.input_format,
            drain_timeout: p.drain_timeout,
            key_delimiter: p.key_delimiter,
            key_column: p.key_column,
            subtask: p.subtask,
        }),
        RawCommand::Read(r) => {
            let offset = match &r.offset {
                None => None,
                Some(text) => {
                    Some(
                        parse_offset(text, now_ms).map_err(|e| match argv.position_of(text) {
                            Some(i) if argv.hidden[i] => {
                                CliError::usage(format!("-o does not take {}", argv.name(i)))
                            }
                            _ => e,
                        })?,
                    )
                }
            };
            Command::Read(ReadArgs {
                offset,
                count: r.count,
                exit_at_end: r.exit,
                checkpoint: r.checkpoint,
                checkpoint_interval: r.checkpoint_interval,
                output: r.output,
                format: r.format,
                subtask: r.subtask,
                group: r.group,
            })
        }
        RawCommand::Group(RawGroup::Describe { name, output }) => Command::GroupDescribe {
            name,
            output: output.output,
        },
        RawCommand::Group(RawGroup::Reset {
            name,
            offset,
            force,
        }) => Command::GroupReset {
            name,
            offset: offset.map(|text| parse_offset(&text, now_ms)).transpose()?,
            force,
        },
        RawCommand::Group(RawGroup::Delete { name }) => Command::GroupDelete { name },
        RawCommand::Completions { shell } => Command::Completions(shell),
        RawCommand::Man => Command::Man,
    };
    Ok(Cli { global, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clap_definition_is_consistent() {
        RawCli::command().debug_assert();
    }

    #[test]
    fn durations_need_a_unit() {
        let ms = Duration::from_millis;
        for (text, want) in [
            ("500ms", ms(500)),
            ("1s", ms(1000)),
            ("1.5s", ms(1500)),
            ("2m", ms(120_000)),
            ("1h", ms(3_600_000)),
        ] {
            assert_eq!(duration_value(text), Ok(want), "{text}");
        }
        assert_eq!(
            p(&["read", "--checkpoint-interval", "-1s"])
                .unwrap_err()
                .exit_code(),
            2
        );
        for bad in ["1", "s", "1 s", "1d", "1e400s"] {
            let e = p(&["read", "--checkpoint-interval", bad]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let e = e.to_string();
            assert!(
                e.contains(&format!(
                    "invalid value '{bad}' for '--checkpoint-interval <DURATION>'"
                )),
                "{e}"
            );
        }
        let e = p(&["read", "--checkpoint-interval", "0s"]).unwrap_err();
        assert!(e.to_string().contains("must be more than 0"), "{e}");
        let e = p(&["put", "--drain-timeout", "5"]).unwrap_err();
        assert!(
            e.to_string().contains("expected a number with a unit"),
            "{e}"
        );
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
            "-t",
            "b",
            "-D",
            "aws.accessKeyId=AK",
            "-vv",
            "-X",
            "stream=c",
        ])
        .unwrap();
        assert_eq!(
            cli.command,
            Command::ListStreams {
                output: AdminOutput::Text
            }
        );
        assert_eq!(
            cli.global.options,
            vec![
                ("stream".to_string(), "a".to_string()),
                ("aws.endpoint".into(), "http://h:1".into()),
                ("aws.region".into(), "eu-west-1".into()),
                ("format".into(), "raw".into()),
                ("stream".into(), "b".into()),
                ("stream".into(), "c".into()),
            ]
        );
        assert_eq!(cli.global.option("stream"), Some("c"));
        assert_eq!(cli.global.origins["stream"], "-X");
        assert_eq!(cli.global.origins["aws.region"], "--region");
        assert_eq!(
            cli.global.sys_props,
            vec![("aws.accessKeyId".into(), "AK".into())]
        );
        assert_eq!(cli.global.verbosity, 2);
    }

    /// A later flag wins whichever side of the command each stands on, and whichever of
    /// the four flags set the key.
    #[test]
    fn region_flags_keep_their_order_across_the_command() {
        for (args, want) in [
            (
                &["--region", "r1", "validate", "-X", "aws.region=r2"][..],
                "r2",
            ),
            (&["-X", "aws.region=r2", "validate", "--region", "r1"], "r1"),
            (
                &[
                    "--region",
                    "r1",
                    "-X",
                    "aws.region=r2",
                    "validate",
                    "--region",
                    "r3",
                ],
                "r3",
            ),
            (&["validate", "--region", "r1", "-X", "aws.region=r2"], "r2"),
            (&["-X", "aws.region=r2", "--region", "r1", "validate"], "r1"),
        ] {
            let cli = p(args).unwrap();
            assert_eq!(cli.global.option("aws.region"), Some(want), "{args:?}");
        }
        let cli = p(&["-t", "s1", "validate", "-X", "stream=s2", "--stream", "s3"]).unwrap();
        assert_eq!(cli.global.option("stream"), Some("s3"));
        assert_eq!(cli.global.origins["stream"], "-t");
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
            "--subtask",
            "1/3",
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
        assert_eq!(r.subtask, Some(Subtask { index: 1, count: 3 }));
        assert_eq!(r.output, None);
        for bad in ["3/3", "1", "a/2", "0/0"] {
            let e = p(&["read", "--subtask", bad]).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("expected I/N"), "{e}");
        }
    }

    #[test]
    fn group_flags_and_commands() {
        let Command::Read(r) = p(&["read", "--group", "g1", "-o", "beginning"])
            .unwrap()
            .command
        else {
            panic!("read")
        };
        assert_eq!(r.group.as_deref(), Some("g1"));
        let Command::Read(r) = p(&["read", "-G", "g2"]).unwrap().command else {
            panic!("read")
        };
        assert_eq!(r.group.as_deref(), Some("g2"));
        // Positions live in the lease table: no checkpoint file, no static subtask.
        for args in [
            &["read", "--group", "g", "--checkpoint", "cp.json"][..],
            &["read", "--group", "g", "--subtask", "0/2"],
        ] {
            let e = p(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(
                e.to_string().contains("cannot be used with"),
                "{args:?}: {e}"
            );
        }
        assert_eq!(
            p(&["group", "describe", "g", "--output", "json"])
                .unwrap()
                .command,
            Command::GroupDescribe {
                name: "g".into(),
                output: AdminOutput::Json
            }
        );
        assert_eq!(
            p(&["group", "reset", "g", "-o", "-1h", "--force"])
                .unwrap()
                .command,
            Command::GroupReset {
                name: "g".into(),
                offset: Some(Offset::AtMillis(1_000_000_000 - 3_600_000)),
                force: true
            }
        );
        assert_eq!(
            p(&["group", "delete", "g"]).unwrap().command,
            Command::GroupDelete { name: "g".into() }
        );
        assert_eq!(
            p(&["group", "reset", "g", "-o", "nope"])
                .unwrap_err()
                .exit_code(),
            2
        );
        assert_eq!(p(&["group"]).unwrap_err().exit_code(), 2);
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
        assert_eq!(
            parse_offset("seq:4960", 0).unwrap(),
            Offset::AtSequence("4960".into())
        );
        assert_eq!(
            parse_offset("after:4960", 0).unwrap(),
            Offset::AfterSequence("4960".into())
        );
        assert!(parse_offset("seq:", 0).is_err());
        assert!(parse_offset("after:12x", 0).is_err());
        assert!(parse_offset("-5", 0).is_err());
        assert!(parse_offset("2024-13-01", 0).is_err());
        assert!(parse_offset("@x", 0).is_err());
    }

    #[test]
    fn usage_errors() {
        let e = p(&["create-stream", "s"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--shards"), "{e}");
        let e = p(&["create-stream", "s", "--shards", "2", "--on-demand"]).unwrap_err();
        assert!(e.to_string().contains("cannot be used with"), "{e}");
        let e = p(&["frobnicate"]).unwrap_err().to_string();
        assert!(e.contains("unrecognized subcommand 'frobnicate'"), "{e}");
        let e = p(&["list-streams", "--bogus"]).unwrap_err().to_string();
        assert!(e.contains("unexpected argument '--bogus'"), "{e}");
        let e = p(&["list-streams", "-c", "3"]).unwrap_err().to_string();
        assert!(e.contains("unexpected argument '-c'"), "{e}");
        assert!(p(&["-X", "novalue", "validate"])
            .unwrap_err()
            .to_string()
            .contains("key=value"));
        let e = p(&["read", "-c"]).unwrap_err().to_string();
        assert!(
            e.contains("a value is required for '--count <COUNT>'"),
            "{e}"
        );
        let e = p(&["read", "-c", "0"]).unwrap_err().to_string();
        assert!(e.contains("invalid value '0'"), "{e}");
        let e = p(&["read", "-f", "%s", "--output", "csv"]).unwrap_err();
        assert!(e.to_string().contains("cannot be used with"), "{e}");
        assert!(p(&[]).is_err());
    }

    #[test]
    fn typos_get_suggestions() {
        for (args, want) in [
            (&["list-stream"][..], "'list-streams'"),
            (&["create-stream", "s", "--shard-count", "2"], "'--shards'"),
            (
                &["--tabel", "t.sql", "validate"],
                "similar argument exists: '--table'",
            ),
            (&["read", "--output", "jsn"], "similar value exists: 'json'"),
        ] {
            let e = p(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
            assert!(e.to_string().contains(want), "{args:?}: {e}");
        }
    }

    #[test]
    fn help_and_version_are_printed() {
        let Command::Print(text) = p(&["read", "--help"]).unwrap().command else {
            panic!("help")
        };
        assert!(text.contains("Usage: kinesis read [OPTIONS]"), "{text}");
        assert!(text.contains("--checkpoint-interval"), "{text}");
        assert!(text.contains("Examples:"), "{text}");
        let Command::Print(text) = p(&["help", "read"]).unwrap().command else {
            panic!("help read")
        };
        assert!(text.contains("Usage: kinesis read [OPTIONS]"), "{text}");
        let Command::Print(text) = p(&["-V"]).unwrap().command else {
            panic!("version")
        };
        assert_eq!(
            text.trim(),
            format!("kinesis {}", env!("CARGO_PKG_VERSION"))
        );
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
            &["--aws.credentials.basic.secretkeyS3CR", "validate"],
            &["aws.credentials.basic.secretkey=S3CR"],
            &["validate", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "-c", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "-o", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "--output", "aws.credentials.basic.secretkey=S3CR"],
            &["read", "--subtask", "aws.credentials.basic.secretkey=S3CR"],
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
            &["--aws.credentials.basic.secretkey", "S3CR", "validate"],
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
        let e = p(&["-X", "aws.credentials.basic.secretkey", "S3CR", "validate"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("-X takes key=value, not argument 2 (not shown"),
            "{e}"
        );
        let e = p(&["validate", "-X", "aws.credentials.basic.secretkey=", "S3CR"])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("unexpected argument 4 (not shown"), "{e}");
        // Other arguments are still quoted, and a complete secret option parses.
        let e = p(&["validate", "extra"]).unwrap_err().to_string();
        assert!(e.contains("unexpected argument 'extra' found"), "{e}");
        let e = p(&[
            "-X",
            "aws.credentials.basic.secretkey=S3CR",
            "validate",
            "extra",
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("unexpected argument 'extra' found"), "{e}");
        assert!(!e.contains("S3CR"), "{e}");
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
                shards: Some(4),
                wait: true
            }
        );
        assert_eq!(
            p(&["create-stream", "s", "--on-demand"]).unwrap().command,
            Command::CreateStream {
                name: "s".into(),
                shards: None,
                wait: false
            }
        );
        let put = |args: &[&str]| match p(args).unwrap().command {
            Command::Put(a) => a,
            other => panic!("{other:?}"),
        };
        let a = put(&["put", "--input", "-", "--input-format", "json"]);
        assert_eq!(a.input, Input::Stdin);
        assert_eq!(a.input_format, Some(InputFormat::Json));
        assert_eq!(a.drain_timeout, DEFAULT_DRAIN_TIMEOUT);
        let a = put(&[
            "put",
            "--input=rows.csv",
            "--drain-timeout",
            "250ms",
            "-K",
            ":",
            "--subtask",
            "2/4",
        ]);
        assert_eq!(a.input, Input::File("rows.csv".into()));
        assert_eq!(a.input_format, None);
        assert_eq!(a.drain_timeout, Duration::from_millis(250));
        assert_eq!(a.key_delimiter.as_deref(), Some(":"));
        assert_eq!(a.subtask, Some(Subtask { index: 2, count: 4 }));
        let e = p(&["put", "-K", ":", "--key-column", "id"]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        let e = p(&["read", "--drain-timeout", "1s"]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
