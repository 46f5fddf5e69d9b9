//! Helpers for the end-to-end tests in `tests/tests/`: where the test servers are, and
//! streams that clean up after themselves.

use std::time::Duration;

use kinesis_wire::model::{CreateStreamInput, DeleteStreamInput};
use kinesis_wire::{KinesisClient, StreamRef};

/// The endpoint in the environment variable `var` (set by `scripts/test`), or `None` with a
/// notice when it is unset outside CI. Under `CI=true` a missing server is a failure.
pub fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set; the test servers must be started by scripts/test")
        }
        _ => {
            eprintln!("notice: {var} not set (run the tests through scripts/test); skipping");
            None
        }
    }
}

/// A uniquely named stream, deleted on drop.
pub struct TempStream {
    /// The client that created it.
    pub client: KinesisClient,
    /// Its name.
    pub name: String,
}

impl TempStream {
    /// Creates `<prefix>-<random>` with `shards` shards and waits until it is ACTIVE.
    pub fn create(client: &KinesisClient, prefix: &str, shards: u32) -> TempStream {
        let name = format!("{prefix}-{:08x}", fastrand::u32(..));
        client
            .create_stream(&CreateStreamInput {
                stream_name: name.clone(),
                shard_count: Some(shards),
                stream_mode_details: None,
            })
            .expect("CreateStream");
        client
            .wait_for_stream_active(&StreamRef::from(name.as_str()), Duration::from_secs(30))
            .expect("stream ACTIVE");
        TempStream {
            client: client.clone(),
            name,
        }
    }
}

impl Drop for TempStream {
    fn drop(&mut self) {
        let _ = self.client.delete_stream(&DeleteStreamInput {
            stream: StreamRef::Name(self.name.clone()),
            enforce_consumer_deletion: Some(true),
        });
    }
}
