//! Shared helpers of the kinesis-wire integration tests: finding the test servers, building
//! clients, naming and cleaning up streams.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::{CreateStreamInput, DeleteStreamInput};
use kinesis_wire::{credentials::Credentials, model::StreamRef, KinesisClient};

/// The endpoint in `var`, which `scripts/test` sets after starting the server. Unset (a plain
/// `cargo test`), the test fails with a one-line message naming the variable: a test that
/// needs a server never passes without having run. (kinesis-tests' `endpoint`, copied:
/// kinesis-wire's tests cannot depend on kinesis-tests.)
pub fn endpoint(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{var} is not set: this test needs the servers scripts/test starts; run it through scripts/test (extra arguments go to cargo test)"
        ),
    }
}

/// A client for a local test server (any keys work: neither server checks signatures).
pub fn client(endpoint: &str) -> KinesisClient {
    KinesisClient::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
        .max_connections(4)
        .build()
        .expect("client builds")
}

/// A unique stream name, so tests can run in parallel on one server.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// Creates a stream, waits for ACTIVE, and deletes it when dropped.
pub struct TempStream {
    pub client: KinesisClient,
    pub name: String,
}

impl TempStream {
    pub fn create(client: &KinesisClient, prefix: &str, shards: u32) -> TempStream {
        let name = unique_name(prefix);
        client
            .create_stream(&CreateStreamInput::new(name.clone()).shard_count(shards))
            .unwrap_or_else(|e| panic!("CreateStream {name}: {e}"));
        let t = TempStream {
            client: client.clone(),
            name,
        };
        t.wait_active();
        t
    }

    pub fn stream(&self) -> StreamRef {
        StreamRef::Name(self.name.clone())
    }

    pub fn wait_active(&self) {
        self.client
            .wait_for_stream_active(&self.stream(), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("stream {} never became ACTIVE: {e}", self.name));
    }
}

impl Drop for TempStream {
    fn drop(&mut self) {
        let _ = self
            .client
            .delete_stream(&DeleteStreamInput::new(self.stream()).enforce_consumer_deletion(true));
    }
}

/// Compares two decimal sequence numbers numerically (they exceed u128).
pub fn seq_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}
