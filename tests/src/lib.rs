//! Test support shared by the workspace's integration tests and benches: where the test
//! servers are, clients for them, streams that clean up after themselves, a small loopback
//! HTTP/1.1 responder for fault injection ([`loopback`]), a fault proxy in front of a real
//! server ([`fault_proxy`]), raw HTTP calls that show answers as they came ([`http1`]),
//! moto, the server that verifies signatures and IAM policies ([`moto`]), dynalite, the
//! DynamoDB server for lease tables ([`dynalite`]), and a loopback port reserved for a test
//! that refuses every connection ([`RefusingPort`]).
//!
//! The servers `scripts/test` starts and the variables it exports: kinesis-mock
//! (`KINESIS_MOCK_ENDPOINT`), kinesalite (`KINESALITE_ENDPOINT`), moto (`MOTO_ENDPOINT` and
//! the keys listed in [`moto`]) and dynalite (`DYNALITE_ENDPOINT`). A test that needs one of
//! them fails at once when its variable is unset (a plain `cargo test`), with a one-line
//! message to run `scripts/test` ([`endpoint`]): it never passes without having run.
//!
//! It depends on kinesis-wire only (kinesis-source, kinesis-sink and kinesis-cli use it as a
//! dev-dependency, so it must not depend on them). kinesis-wire's own tests cannot use it
//! (that would be a cycle) and keep their own copy.
#![forbid(unsafe_code)]

pub mod dynalite;
pub mod fault_proxy;
pub mod http1;
pub mod loopback;
pub mod moto;
mod refusing_port;

pub use refusing_port::RefusingPort;

use std::sync::Arc;
use std::time::Duration;

use kinesis_wire::credentials::StaticProvider;
use kinesis_wire::model::{CreateStreamInput, DeleteStreamInput, ListShardsInput};
use kinesis_wire::{
    credentials::Credentials,
    model::{Shard, StreamRef},
    ClientBuilder, KinesisClient, RetryPolicy, Shutdown,
};

/// The endpoint in the environment variable `var`, which `scripts/test` sets after starting
/// the server. Unset (a plain `cargo test`), the test fails at once with a one-line message
/// naming the variable and saying to run `scripts/test`: a test that needs a server never
/// passes without having run.
///
/// ```
/// // Run through scripts/test; a plain `cargo test` fails here, naming the variable.
/// let ep = kinesis_tests::endpoint("KINESIS_MOCK_ENDPOINT");
/// assert!(ep.starts_with("http://127.0.0.1:"));
/// ```
pub fn endpoint(var: &str) -> String {
    env_or_fail(var)
}

/// The value of `var`, or a panic whose one-line message names it and says to run
/// `scripts/test` (which starts the servers and sets every variable the tests read).
pub(crate) fn env_or_fail(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{}", missing_server_message(var)),
    }
}

/// The message of a test that needs a server started by `scripts/test` but was run without
/// it: one line, naming the variable.
///
/// ```
/// let m = kinesis_tests::missing_server_message("KINESALITE_ENDPOINT");
/// assert_eq!(
///     m,
///     "KINESALITE_ENDPOINT is not set: this test needs the servers scripts/test starts; run it through scripts/test (extra arguments go to cargo test)"
/// );
/// ```
pub fn missing_server_message(var: &str) -> String {
    format!(
        "{var} is not set: this test needs the servers scripts/test starts; run it through scripts/test (extra arguments go to cargo test)"
    )
}

/// A client builder for a local endpoint: region `us-east-1` and static keys `test`/`test`
/// (any keys work: neither test server nor the loopback responders check signatures).
///
/// ```
/// let client = kinesis_tests::client_builder("http://127.0.0.1:1")
///     .max_connections(8)
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
pub fn client_builder(endpoint: &str) -> ClientBuilder {
    KinesisClient::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Arc::new(StaticProvider::new(Credentials::new(
            "test", "test", None, None, "BASIC",
        ))))
}

/// [`client_builder`] with the default settings, built.
///
/// ```
/// let client = kinesis_tests::client("http://127.0.0.1:1");
/// # let _ = client;
/// ```
pub fn client(endpoint: &str) -> KinesisClient {
    client_builder(endpoint)
        .build()
        .expect("test client builds")
}

/// A unique stream name, so tests can run in parallel on one server.
///
/// ```
/// assert_ne!(kinesis_tests::unique_name("t"), kinesis_tests::unique_name("t"));
/// ```
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// The MD5 hash key of a partition key, as Kinesis maps keys to shards.
///
/// ```
/// // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
/// assert_eq!(kinesis_tests::hash_key("a"), 0x0cc175b9c0f1b6a831c399e269772661);
/// ```
pub fn hash_key(partition_key: &str) -> u128 {
    use md5::{Digest, Md5};
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// A uniquely named stream, created ACTIVE and deleted on drop (by the handle that created
/// it).
///
/// ```no_run
/// let ep = kinesis_tests::endpoint("KINESIS_MOCK_ENDPOINT");
/// let stream = kinesis_tests::TempStream::create(&kinesis_tests::client(&ep), "doc", 1);
/// assert_eq!(stream.shards().len(), 1);
/// ```
pub struct TempStream {
    /// The client that created it.
    pub client: KinesisClient,
    /// Its name.
    pub name: String,
    /// Only the creating handle deletes the stream.
    owner: bool,
}

impl TempStream {
    /// Creates `<prefix>-<pid>-<random>` with `shards` shards and waits until it is ACTIVE.
    pub fn create(client: &KinesisClient, prefix: &str, shards: u32) -> TempStream {
        let name = unique_name(prefix);
        client
            .create_stream(&CreateStreamInput::new(name.clone()).shard_count(shards))
            .unwrap_or_else(|e| panic!("CreateStream {name}: {e}"));
        let stream = TempStream {
            client: client.clone(),
            name,
            owner: true,
        };
        stream.wait_active();
        stream
    }

    /// A handle for another thread that does not delete the stream when dropped.
    pub fn handle(&self) -> TempStream {
        TempStream {
            client: self.client.clone(),
            name: self.name.clone(),
            owner: false,
        }
    }

    /// The stream by name, for requests.
    pub fn stream(&self) -> StreamRef {
        StreamRef::Name(self.name.clone())
    }

    /// Waits (up to 30 s) until the stream is ACTIVE, e.g. after a split.
    pub fn wait_active(&self) {
        self.client
            .wait_for_stream_active(&self.stream(), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("stream {} never became ACTIVE: {e}", self.name));
    }

    /// Every shard, closed ones included.
    pub fn shards(&self) -> Vec<Shard> {
        self.client
            .list_all_shards(
                &ListShardsInput::for_stream(self.stream()),
                &RetryPolicy::default(),
                &Shutdown::new(),
            )
            .expect("ListShards")
    }
}

impl Drop for TempStream {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        let _ = self
            .client
            .delete_stream(&DeleteStreamInput::new(self.stream()).enforce_consumer_deletion(true));
    }
}
