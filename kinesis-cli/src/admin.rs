//! Stream administration: create-stream, delete-stream, list-streams, describe, find-shard.
//! These need only a client (and, for find-shard, a stream name).

use std::io::Write;
use std::time::Duration;

use kinesis_wire::model::{
    CreateStreamInput, DeleteStreamInput, ListShardsInput, StreamModeDetails,
};
use kinesis_wire::model::{Shard, StreamRef};
use kinesis_wire::{KinesisClient, RetryPolicy, Shutdown};
use md5::{Digest, Md5};
use serde_json::json;

use crate::args::AdminOutput;
use crate::error::{describe_kinesis_error, CliError};

/// How long `create-stream --wait` waits for ACTIVE.
const CREATE_WAIT: Duration = Duration::from_secs(120);

fn runtime<'a>(
    client: &'a KinesisClient,
    stream: Option<&'a str>,
) -> impl Fn(kinesis_wire::KinesisError) -> CliError + 'a {
    move |e| CliError::runtime(describe_kinesis_error(stream, client.endpoint(), &e))
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| CliError::runtime(format!("cannot write to stdout: {e}")))
}

/// `create-stream NAME --shards N | --on-demand [--wait]` (`shards` `None`: on-demand).
pub fn create_stream(
    client: &KinesisClient,
    name: &str,
    shards: Option<u32>,
    wait: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let input = match shards {
        Some(n) => CreateStreamInput::new(name).shard_count(n),
        None => CreateStreamInput::new(name).stream_mode(StreamModeDetails::on_demand()),
    };
    RetryPolicy::default()
        .run(&Shutdown::new(), |_| client.create_stream(&input))
        .map_err(runtime(client, Some(name)))?;
    let what = match shards {
        Some(n) => format!("{n} shards"),
        None => "on-demand".to_string(),
    };
    if wait {
        client
            .wait_for_stream_active(&StreamRef::from(name), CREATE_WAIT)
            .map_err(runtime(client, Some(name)))?;
        write_out(out, &format!("created stream {name} ({what}), ACTIVE\n"))
    } else {
        write_out(out, &format!("creating stream {name} ({what})\n"))
    }
}

/// `delete-stream NAME`.
pub fn delete_stream(
    client: &KinesisClient,
    name: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    RetryPolicy::default()
        .run(&Shutdown::new(), |_| {
            client.delete_stream(
                &DeleteStreamInput::new(StreamRef::from(name)).enforce_consumer_deletion(true),
            )
        })
        .map_err(runtime(client, Some(name)))?;
    write_out(out, &format!("deleting stream {name}\n"))
}

/// `list-streams`: one name per line, or `{"streams": [...]}`.
pub fn list_streams(
    client: &KinesisClient,
    output: AdminOutput,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let names = client
        .list_all_streams(&RetryPolicy::default(), &Shutdown::new())
        .map_err(runtime(client, None))?;
    if output == AdminOutput::Json {
        return write_json(out, &json!({ "streams": names }));
    }
    let mut text = String::new();
    for n in names {
        text.push_str(&n);
        text.push('\n');
    }
    write_out(out, &text)
}

fn all_shards(client: &KinesisClient, stream: &str) -> Result<Vec<Shard>, CliError> {
    client
        .list_all_shards(
            &ListShardsInput::for_stream(stream),
            &RetryPolicy::default(),
            &Shutdown::new(),
        )
        .map_err(runtime(client, Some(stream)))
}

/// `describe NAME`: the stream summary, every shard (open/closed, parents, hash and
/// sequence ranges) and the registered EFO consumers; as text or one JSON document
/// ([`describe_json`]).
pub fn describe(
    client: &KinesisClient,
    stream: &str,
    output: AdminOutput,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let policy = RetryPolicy::default();
    let shutdown = Shutdown::new();
    let summary = policy
        .run(&shutdown, |_| {
            client.describe_stream_summary(&StreamRef::from(stream))
        })
        .map_err(runtime(client, Some(stream)))?;
    let shards = all_shards(client, stream)?;
    let consumers = list_consumers(client, &summary.stream_arn);
    if output == AdminOutput::Json {
        return write_json(out, &describe_json(&summary, &shards, &consumers));
    }
    let mut t = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(t, "stream:      {}", summary.stream_name);
    let _ = writeln!(t, "arn:         {}", summary.stream_arn);
    let _ = writeln!(t, "status:      {}", status_text(summary.stream_status));
    if let Some(m) = &summary.stream_mode_details {
        let _ = writeln!(t, "mode:        {}", m.stream_mode);
    }
    if let Some(h) = summary.retention_period_hours {
        let _ = writeln!(t, "retention:   {h} h");
    }
    if let Some(e) = &summary.encryption_type {
        let _ = writeln!(t, "encryption:  {e}");
    }
    let open = shards.iter().filter(|s| !s.is_closed()).count();
    let _ = writeln!(
        t,
        "shards:      {} ({open} open, {} closed)",
        shards.len(),
        shards.len() - open
    );
    for s in &shards {
        let parents = match (&s.parent_shard_id, &s.adjacent_parent_shard_id) {
            (Some(p), Some(a)) => format!("{p} + {a}"),
            (Some(p), None) => p.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => "-".to_string(),
        };
        let _ = writeln!(
            t,
            "  {}  {}  parents: {}\n      hash keys: {} .. {}\n      sequence:  {} .. {}",
            s.shard_id,
            if s.is_closed() { "CLOSED" } else { "OPEN" },
            parents,
            s.hash_key_range.starting_hash_key,
            s.hash_key_range.ending_hash_key,
            s.sequence_number_range.starting_sequence_number,
            s.sequence_number_range
                .ending_sequence_number
                .as_deref()
                .unwrap_or("(open)"),
        );
    }
    match consumers {
        Ok(consumers) if consumers.is_empty() => {
            let _ = writeln!(t, "consumers:   none (no EFO consumer registered)");
        }
        Ok(consumers) => {
            let _ = writeln!(t, "consumers:   {}", consumers.len());
            for c in consumers {
                let _ = writeln!(
                    t,
                    "  {}  {}  {}",
                    c.consumer_name,
                    status_text(c.consumer_status),
                    c.consumer_arn
                );
            }
        }
        // kinesalite has no ListStreamConsumers; the rest of the description still stands.
        Err(e) => {
            let _ = writeln!(t, "consumers:   unknown ({e})");
        }
    }
    write_out(out, &t)
}

fn status_text(status: impl std::fmt::Debug) -> String {
    format!("{status:?}").to_uppercase()
}

/// The `describe --output json` document: `{"stream", "arn", "status", "mode",
/// "retention_hours", "encryption", "open_shards", "shards": [{"shard_id", "open",
/// "parent_shard_id", "adjacent_parent_shard_id", "hash_key_range": {"start", "end"},
/// "sequence_number_range": {"start", "end"}}], "consumers": [{"name", "status", "arn"}]
/// or null when they could not be listed, "consumers_error"}`. Hash keys and sequence
/// numbers are strings (they exceed a JSON number's precision).
pub fn describe_json(
    summary: &kinesis_wire::model::StreamDescriptionSummary,
    shards: &[Shard],
    consumers: &Result<Vec<kinesis_wire::model::Consumer>, kinesis_wire::KinesisError>,
) -> serde_json::Value {
    let shards: Vec<serde_json::Value> = shards
        .iter()
        .map(|s| {
            json!({
                "shard_id": s.shard_id,
                "open": !s.is_closed(),
                "parent_shard_id": s.parent_shard_id,
                "adjacent_parent_shard_id": s.adjacent_parent_shard_id,
                "hash_key_range": {
                    "start": s.hash_key_range.starting_hash_key,
                    "end": s.hash_key_range.ending_hash_key,
                },
                "sequence_number_range": {
                    "start": s.sequence_number_range.starting_sequence_number,
                    "end": s.sequence_number_range.ending_sequence_number,
                },
            })
        })
        .collect();
    let open = shards.iter().filter(|s| s["open"] == true).count();
    let (consumers, consumers_error) = match consumers {
        Ok(list) => (
            json!(list
                .iter()
                .map(|c| json!({
                    "name": c.consumer_name,
                    "status": status_text(c.consumer_status),
                    "arn": c.consumer_arn,
                }))
                .collect::<Vec<_>>()),
            serde_json::Value::Null,
        ),
        Err(e) => (serde_json::Value::Null, json!(e.to_string())),
    };
    json!({
        "stream": summary.stream_name,
        "arn": summary.stream_arn,
        "status": status_text(summary.stream_status),
        "mode": summary.stream_mode_details.as_ref().map(|m| m.stream_mode.clone()),
        "retention_hours": summary.retention_period_hours,
        "encryption": summary.encryption_type,
        "open_shards": open,
        "shards": shards,
        "consumers": consumers,
        "consumers_error": consumers_error,
    })
}

/// Writes one pretty-printed JSON document and a newline.
fn write_json(out: &mut dyn Write, doc: &serde_json::Value) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    write_out(out, &text)
}

fn list_consumers(
    client: &KinesisClient,
    stream_arn: &str,
) -> Result<Vec<kinesis_wire::model::Consumer>, kinesis_wire::KinesisError> {
    client.list_all_stream_consumers(stream_arn, &RetryPolicy::default(), &Shutdown::new())
}

/// The 128-bit hash key Kinesis derives from a partition key: MD5 of its UTF-8 bytes, read
/// as a big-endian unsigned integer.
pub fn hash_key(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    u128::from_be_bytes(bytes)
}

/// The open shard whose hash key range holds `hash`.
pub fn owning_shard(shards: &[Shard], hash: u128) -> Option<&Shard> {
    shards
        .iter()
        .filter(|s| !s.is_closed())
        .find(|s| s.hash_key_range.contains(hash))
}

/// `find-shard KEY`: prints the owning shard's id on stdout (the hash key and range at
/// info level, `-v`), or `{"partition_key", "hash_key", "shard_id", "hash_key_range":
/// {"start", "end"}}`.
pub fn find_shard(
    client: &KinesisClient,
    stream: &str,
    key: &str,
    output: AdminOutput,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let most = kinesis_wire::limits::MAX_PARTITION_KEY_CHARS;
    if key.is_empty() || key.chars().count() > most {
        return Err(CliError::usage(format!(
            "a partition key has 1 to {most} Unicode characters"
        )));
    }
    let hash = hash_key(key);
    let shards = all_shards(client, stream)?;
    let shard = owning_shard(&shards, hash).ok_or_else(|| {
        CliError::runtime(format!(
            "no open shard of stream '{stream}' covers hash key {hash} (partition key '{key}')"
        ))
    })?;
    log::info!(
        "partition key '{key}' -> hash key {hash} in [{}, {}] of {}",
        shard.hash_key_range.starting_hash_key,
        shard.hash_key_range.ending_hash_key,
        shard.shard_id
    );
    if output == AdminOutput::Json {
        return write_json(
            out,
            &json!({
                "partition_key": key,
                "hash_key": hash.to_string(),
                "shard_id": shard.shard_id,
                "hash_key_range": {
                    "start": shard.hash_key_range.starting_hash_key,
                    "end": shard.hash_key_range.ending_hash_key,
                },
            }),
        );
    }
    write_out(out, &format!("{}\n", shard.shard_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinesis_wire::model::{HashKeyRange, SequenceNumberRange};

    #[test]
    fn md5_hash_key_matches_known_values() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(hash_key(""), 0xd41d8cd98f00b204e9800998ecf8427e);
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(hash_key("a"), 0x0cc175b9c0f1b6a831c399e269772661);
    }

    fn shard(id: &str, lo: u128, hi: u128, closed: bool) -> Shard {
        let range = SequenceNumberRange::new("1");
        let range = if closed {
            range.ending_sequence_number("9")
        } else {
            range
        };
        Shard::new(id, HashKeyRange::new(lo.to_string(), hi.to_string()), range)
    }

    #[test]
    fn owning_shard_skips_closed_parents() {
        let half = u128::MAX / 2;
        let shards = vec![
            shard("parent", 0, u128::MAX, true),
            shard("low", 0, half, false),
            shard("high", half + 1, u128::MAX, false),
        ];
        assert_eq!(owning_shard(&shards, 5).unwrap().shard_id, "low");
        assert_eq!(owning_shard(&shards, u128::MAX).unwrap().shard_id, "high");
        assert_eq!(owning_shard(&shards[..1], 5).map(|s| &s.shard_id), None);
    }
}
