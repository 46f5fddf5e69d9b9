//! Stream administration: create-stream, delete-stream, list-streams, describe, find-shard.
//! These need only a client (and, for find-shard, a stream name).

use std::io::Write;
use std::time::Duration;

use kinesis_wire::model::{CreateStreamInput, DeleteStreamInput, ListShardsInput};
use kinesis_wire::{
    model::{Shard, StreamRef},
    KinesisClient, RetryPolicy, Shutdown,
};
use md5::{Digest, Md5};

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

/// `create-stream NAME --shards N [--wait]`.
pub fn create_stream(
    client: &KinesisClient,
    name: &str,
    shards: u32,
    wait: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    RetryPolicy::default()
        .run(&Shutdown::new(), |_| {
            client.create_stream(&CreateStreamInput::new(name.to_string()).shard_count(shards))
        })
        .map_err(runtime(client, Some(name)))?;
    if wait {
        client
            .wait_for_stream_active(&StreamRef::from(name), CREATE_WAIT)
            .map_err(runtime(client, Some(name)))?;
        write_out(
            out,
            &format!("created stream {name} ({shards} shards), ACTIVE\n"),
        )
    } else {
        write_out(out, &format!("creating stream {name} ({shards} shards)\n"))
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

/// `list-streams`: one name per line.
pub fn list_streams(client: &KinesisClient, out: &mut dyn Write) -> Result<(), CliError> {
    let names = client
        .list_all_streams(&RetryPolicy::default(), &Shutdown::new())
        .map_err(runtime(client, None))?;
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
/// sequence ranges) and the registered EFO consumers.
pub fn describe(client: &KinesisClient, stream: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let policy = RetryPolicy::default();
    let shutdown = Shutdown::new();
    let summary = policy
        .run(&shutdown, |_| {
            client.describe_stream_summary(&StreamRef::from(stream))
        })
        .map_err(runtime(client, Some(stream)))?;
    let shards = all_shards(client, stream)?;
    let mut t = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(t, "stream:      {}", summary.stream_name);
    let _ = writeln!(t, "arn:         {}", summary.stream_arn);
    let _ = writeln!(
        t,
        "status:      {}",
        format!("{:?}", summary.stream_status).to_uppercase()
    );
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
    match list_consumers(client, &summary.stream_arn) {
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
                    format!("{:?}", c.consumer_status).to_uppercase(),
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

/// `find-shard KEY`: prints the owning shard's id on stdout; the hash key and range at
/// info level (`-v`).
pub fn find_shard(
    client: &KinesisClient,
    stream: &str,
    key: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if key.is_empty() || key.chars().count() > 256 {
        return Err(CliError::usage(
            "a partition key has 1 to 256 Unicode characters",
        ));
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
