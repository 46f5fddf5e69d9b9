//! `group describe|reset|delete NAME`: a consumer group's lease table (decisions D24).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use kinesis_formats::DataType;
use kinesis_options::{AwsEnvironment, Column, Definition, TableDef};
use kinesis_source::{ConsumerGroup, LeaseInfo, LeaseState, ShardPosition, SourceError};
use kinesis_wire::model::{GetRecordsInput, GetShardIteratorInput, StartingPosition};
use kinesis_wire::{KinesisClient, RetryPolicy, Shutdown};
use serde_json::json;

use crate::args::{AdminOutput, Global, Offset};
use crate::error::CliError;
use crate::table;

/// The stream placeholder of a group command run without `-t` (no lag then).
const NO_STREAM: &str = "kinesis-cli";

/// The table of a group command: `--table`/`-X`/`-t` as for every command, plus
/// `scan.lease.table = NAME`; without a stream, a placeholder (and `None`).
fn group_table(global: &Global, name: &str) -> Result<(TableDef, Option<String>), CliError> {
    let extra = vec![("scan.lease.table".to_string(), name.to_string())];
    if global.table_file.is_some() || global.option("stream").is_some() {
        let t = table::load(global, &extra)?;
        let stream = t.stream().to_string();
        return Ok((t, Some(stream)));
    }
    let mut options: BTreeMap<String, String> = global
        .options
        .iter()
        .filter(|(k, _)| k.starts_with("aws.") || k.starts_with("scan.lease."))
        .cloned()
        .collect();
    options.extend(extra);
    options.insert("stream".into(), NO_STREAM.into());
    options.insert("format".into(), "raw".into());
    let t = TableDef::from_options_with(
        table::DEFAULT_TABLE_NAME,
        vec![Column::physical("data", DataType::bytes())],
        Vec::<String>::new(),
        options,
        &Definition::new().environment(AwsEnvironment::process()),
    )
    .map_err(|e| {
        CliError::invalid(format!(
            "invalid options: {}",
            table::options_error(&e, global.verbosity > 0)
        ))
    })?;
    Ok((t, None))
}

fn open(
    global: &Global,
    name: &str,
) -> Result<(ConsumerGroup, TableDef, Option<String>), CliError> {
    let (t, stream) = group_table(global, name)?;
    let group = ConsumerGroup::open(&t).map_err(group_error)?;
    Ok((group, t, stream))
}

fn group_error(e: SourceError) -> CliError {
    match e {
        SourceError::Config { message } => CliError::invalid(message),
        other => CliError::runtime(other.to_string()),
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))
}

/// How far a shard is behind its newest record after its lease's checkpoint:
/// `MillisBehindLatest` of one GetRecords (limit 1) from there. `None` when it cannot be
/// told (a finished shard, `LATEST`, an error).
fn lag_millis(client: &KinesisClient, stream: &str, lease: &LeaseInfo) -> Option<u64> {
    let position = match lease.checkpoint.as_str() {
        "SHARD_END" | "LATEST" => return None,
        "TRIM_HORIZON" => StartingPosition::TrimHorizon,
        "AT_TIMESTAMP" => {
            StartingPosition::AtTimestamp(lease.checkpoint_timestamp_millis? as f64 / 1000.0)
        }
        seq => StartingPosition::AfterSequenceNumber(seq.to_string()),
    };
    let input = GetShardIteratorInput::new(stream, lease.shard_id.clone(), position);
    let policy = RetryPolicy::default();
    let shutdown = Shutdown::new();
    let lag = policy
        .run(&shutdown, |_| client.get_shard_iterator(&input))
        .and_then(|it| {
            let input = GetRecordsInput::new(it).limit(1);
            policy.run(&shutdown, |_| client.get_records(&input))
        });
    match lag {
        Ok(page) => page.millis_behind_latest,
        Err(e) => {
            log::debug!("lag of shard {}: {e}", lease.shard_id);
            None
        }
    }
}

fn state_text(s: &LeaseState) -> (&'static str, Option<Duration>) {
    match s {
        LeaseState::Free => ("free", None),
        LeaseState::Finished => ("finished", None),
        LeaseState::Live { expires_in } => ("live", Some(*expires_in)),
        LeaseState::NotRenewed { expires_in, .. } => ("not_renewed", Some(*expires_in)),
        LeaseState::Owned => ("owned", None),
        _ => ("unknown", None),
    }
}

/// `group describe NAME`.
pub fn describe(
    global: &Global,
    name: &str,
    output: AdminOutput,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (group, t, stream) = open(global, name)?;
    let lease = t
        .source_options()
        .lease
        .clone()
        .expect("set by group_table");
    let window = (lease.renew + lease.renew / 2).min(lease.failover);
    let leases = group.observe(window).map_err(group_error)?;
    let client = match &stream {
        Some(_) => Some(table::client(t.client_config())?),
        None => None,
    };
    let lags: Vec<Option<u64>> = leases
        .iter()
        .map(|l| match (&client, &stream) {
            (Some(c), Some(s)) => lag_millis(c, s, l),
            _ => None,
        })
        .collect();
    let mut workers: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &leases {
        if let Some(o) = &l.owner {
            *workers.entry(o.as_str()).or_default() += 1;
        }
    }
    if output == AdminOutput::Json {
        let items: Vec<serde_json::Value> = leases
            .iter()
            .zip(&lags)
            .map(|(l, lag)| {
                let (state, expires) = state_text(&l.state);
                json!({
                    "shard_id": l.shard_id,
                    "owner": l.owner,
                    "counter": l.counter,
                    "checkpoint": l.checkpoint,
                    "checkpoint_sub_sequence_number": l.checkpoint_sub_sequence_number,
                    "checkpoint_timestamp_millis": l.checkpoint_timestamp_millis,
                    "owner_switches_since_checkpoint": l.owner_switches_since_checkpoint,
                    "parent_shard_ids": l.parent_shard_ids,
                    "child_shard_ids": l.child_shard_ids,
                    "state": state,
                    "expires_in_millis": expires.map(|d| d.as_millis() as u64),
                    "lag_millis": lag,
                })
            })
            .collect();
        let doc = json!({
            "group": group.name(),
            "endpoint": group.endpoint(),
            "stream": stream,
            "observed_millis": window.as_millis() as u64,
            "workers": workers,
            "leases": items,
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON");
        text.push('\n');
        return write_out(out, &text);
    }
    let mut text = format!(
        "group {} ({} leases, {} workers; lease table at {})\n",
        group.name(),
        leases.len(),
        workers.len(),
        group.endpoint()
    );
    let rows: Vec<[String; 5]> = leases
        .iter()
        .zip(&lags)
        .map(|(l, lag)| {
            let checkpoint = match (l.checkpoint.as_str(), l.checkpoint_timestamp_millis) {
                ("AT_TIMESTAMP", Some(ms)) => format!("AT_TIMESTAMP {ms}"),
                (c, _)
                    if c.bytes().all(|b| b.is_ascii_digit())
                        && l.checkpoint_sub_sequence_number > 0 =>
                {
                    format!("{c}/{}", l.checkpoint_sub_sequence_number)
                }
                (c, _) => c.to_string(),
            };
            let (state, expires) = state_text(&l.state);
            let state = match (state, expires) {
                ("live", Some(d)) => {
                    format!("live, expires within {} ms unless renewed", d.as_millis())
                }
                ("not_renewed", Some(d)) if d.is_zero() => "not renewed: expired".to_string(),
                ("not_renewed", Some(d)) => {
                    format!("not renewed, expires within {} ms", d.as_millis())
                }
                (s, _) => s.to_string(),
            };
            [
                l.shard_id.clone(),
                l.owner.clone().unwrap_or_else(|| "-".into()),
                checkpoint,
                lag.map(|ms| format!("{ms} ms"))
                    .unwrap_or_else(|| "-".into()),
                state,
            ]
        })
        .collect();
    let header = ["SHARD", "OWNER", "CHECKPOINT", "LAG", "STATE"];
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(header.map(str::to_string)).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 4 {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    write_out(out, &text)
}

/// `group reset NAME [-o POSITION] [--force]`.
pub fn reset(
    global: &Global,
    name: &str,
    offset: Option<&Offset>,
    force: bool,
    now_ms: i64,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (position, text) = match offset {
        None | Some(Offset::Beginning) => (ShardPosition::TrimHorizon, "TRIM_HORIZON".to_string()),
        Some(Offset::End) => (
            ShardPosition::AtTimestamp {
                epoch_millis: now_ms,
            },
            format!("now (AT_TIMESTAMP {now_ms})"),
        ),
        Some(Offset::AtMillis(ms)) => (
            ShardPosition::AtTimestamp { epoch_millis: *ms },
            format!("AT_TIMESTAMP {ms}"),
        ),
        Some(Offset::AtSequence(_) | Offset::AfterSequence(_)) => return Err(CliError::usage(
            "group reset -o takes beginning, end or a time: a sequence number belongs to one shard",
        )),
    };
    let (group, _, _) = open(global, name)?;
    let n = group.reset(&position, force).map_err(|e| match e {
        // The library says "force it"; the CLI's word for that is the flag.
        SourceError::Lease { .. } if !force => {
            CliError::runtime(format!("{e} (kinesis group reset --force)"))
        }
        other => group_error(other),
    })?;
    write_out(
        out,
        &format!("reset {n} leases of group {} to {text}\n", group.name()),
    )
}

/// `group delete NAME`.
pub fn delete(global: &Global, name: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let (group, _, _) = open(global, name)?;
    if !group.delete().map_err(group_error)? {
        return Err(CliError::runtime(format!(
            "there is no consumer group {name} (no lease table {name} at {})",
            group.endpoint()
        )));
    }
    write_out(out, &format!("deleting group {name} (its lease table)\n"))
}
